package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/linkage"
)

// levelKeys translate the comparison levels package linkage names in
// English (linkage/compare.go); a level not listed is shown as written.
var levelKeys = map[string]string{
	"missing":   "level.missing",
	"different": "level.different",
	"exact":     "level.exact",
	"similar (Jaro–Winkler ≥ 0.80) or a shared name":      "level.name_similar",
	"one name contains the other (initials allowed)":      "level.name_contains",
	"Jaro–Winkler ≥ 0.92":                                 "level.name_close",
	"same names in another order, same sound or nickname": "level.name_same",
	"same year":                                       "level.date_year",
	"one of day, month, year differs":                 "level.date_one_off",
	"day and month swapped":                           "level.date_swapped",
	"partial date that agrees":                        "level.date_partial",
	"two edits apart":                                 "level.id_two",
	"one typo or transposition":                       "level.id_one",
	"similar (Jaro–Winkler ≥ 0.80 or half the words)": "level.text_similar",
	"close (Jaro–Winkler ≥ 0.92 or same words)":       "level.text_close",
}

// Level names a comparison level.
func (p Printer) Level(label string) string {
	if k, ok := levelKeys[label]; ok {
		return p.T(k)
	}
	return label
}

// Comparison names a comparison of the linkage settings.
func (p Printer) Comparison(name string) string {
	switch name {
	case "given_name", "surname", "country", "birth_date", "a_number", "passport":
		return p.T("comparison." + name)
	}
	return name
}

// step is one bar of the match-weight waterfall: the running total goes
// From → To. X and Width place the bar in a 100-unit-wide chart whose zero
// is at Zero.
type step struct {
	Label    string // a message for the prior and the total; else the comparison's name
	Level    string
	ValueA   string
	ValueB   string
	Weight   float64
	From, To float64
	X, Width int
	Y        int
	Total    bool
}

// waterfall lays the explanation out as bars: the prior, each
// comparison's contribution (its weight plus the term-frequency
// adjustment), then the final weight (prior included: the posterior
// log-odds).
func waterfall(p Printer, e linkage.Explanation) ([]step, int, int) {
	var steps []step
	run := 0.0
	add := func(st step) {
		st.From, st.To = run, run+st.Weight
		run = st.To
		steps = append(steps, st)
	}
	add(step{Label: p.T("review.prior"), Weight: e.Prior})
	for _, f := range e.Fields {
		add(step{Label: p.Comparison(f.Comparison), Level: p.Level(f.Label), ValueA: f.ValueA, ValueB: f.ValueB,
			Weight: f.Weight + f.TermFrequency})
	}
	steps = append(steps, step{Label: p.T("review.total"), Weight: run, From: 0, To: run, Total: true})
	lo, hi := 0.0, 0.0
	for _, st := range steps {
		lo, hi = min(lo, st.From, st.To), max(hi, st.From, st.To)
	}
	scale := 100 / max(hi-lo, 1e-9)
	x := func(v float64) int { return int((v - lo) * scale) }
	for i := range steps {
		a, b := x(min(steps[i].From, steps[i].To)), x(max(steps[i].From, steps[i].To))
		steps[i].X, steps[i].Width, steps[i].Y = a, max(1, b-a), i*waterfallRow
	}
	return steps, x(0), len(steps) * waterfallRow
}

// waterfallRow is the height of a waterfall bar's row, in the chart's
// units (the chart is 100 wide).
const waterfallRow = 4

type reviewsData struct {
	Pairs   []*paradero.ReviewPair
	Pager   pager
	Decided int64 // the review just recorded, to confirm it
}

// reviewsPage lists the pairs linkage could not decide, most uncertain
// first.
func (s *Server) reviewsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	page := pageParam(r)
	pairs, total, err := s.findReviewQueue(ctx, paradero.ReviewFilter{Offset: (page - 1) * pageSize, Limit: pageSize})
	if err != nil {
		return err
	}
	d := reviewsData{Pairs: pairs, Pager: newPager(page, total)}
	if n, err := strconv.ParseInt(r.URL.Query().Get("decided"), 10, 64); err == nil && n > 0 {
		d.Decided = n
	}
	p := stateOf(ctx).printer
	return s.render(w, r, http.StatusOK, "reviews", p.T("review.title"), "review", d)
}

type reviewData struct {
	Pair      *paradero.ReviewPair
	A, B      mention
	Rows      []compareRow
	Steps     []step
	Zero      int
	Height    int
	Reason    string
	Error     string // a message key
	Verdicts  []paradero.Verdict
	Chosen    paradero.Verdict
	ActionURL string
}

// compareRow is one field of the two records, side by side.
type compareRow struct {
	Label  string
	A, B   string
	Differ bool
}

// pairParams reads {a} and {b}; a malformed pair is simply not found.
func pairParams(r *http.Request) (int64, int64, error) {
	a, errA := strconv.ParseInt(r.PathValue("a"), 10, 64)
	b, errB := strconv.ParseInt(r.PathValue("b"), 10, 64)
	if errA != nil || errB != nil || a <= 0 || b <= a {
		return 0, 0, notFoundError()
	}
	return a, b, nil
}

func (s *Server) reviewData(r *http.Request) (*reviewData, error) {
	ctx := r.Context()
	a, b, err := pairParams(r)
	if err != nil {
		return nil, err
	}
	pair, ms, err := s.findReviewPair(ctx, a, b)
	if err != nil {
		return nil, err
	}
	var exp linkage.Explanation
	if err := json.Unmarshal(pair.Explanation, &exp); err != nil {
		return nil, fmt.Errorf("web: review pair %d–%d: explanation: %w", a, b, err)
	}
	p := Printer{stateOf(ctx).printer}
	d := &reviewData{Pair: pair, A: ms[a], B: ms[b],
		Verdicts:  []paradero.Verdict{paradero.VerdictSame, paradero.VerdictDifferent, paradero.VerdictUnsure},
		ActionURL: fmt.Sprintf("/review/%d/%d", a, b)}
	d.Steps, d.Zero, d.Height = waterfall(p, exp)
	for _, f := range paradero.RecordFields {
		va, vb := f.Get(d.A.Record), f.Get(d.B.Record)
		if va == "" && vb == "" {
			continue
		}
		if f.Date {
			for _, v := range []*string{&va, &vb} {
				if pd, err := paradero.ParsePartialDate(*v); err == nil {
					*v = p.PartialDate(pd)
				}
			}
		}
		d.Rows = append(d.Rows, compareRow{Label: p.Field(f.Key), A: va, B: vb,
			Differ: va != "" && vb != "" && linkage.Fold(va) != linkage.Fold(vb)})
	}
	return d, nil
}

// reviewPage shows two records side by side with the match-weight
// waterfall and the decision form.
func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.reviewData(r)
	if err != nil {
		return err
	}
	p := stateOf(r.Context()).printer
	return s.render(w, r, http.StatusOK, "review", p.T("review.pair.title", d.Pair.RecordA, d.Pair.RecordB), "review", d)
}

// maxReasonBytes bounds a reviewer's reason.
const maxReasonBytes = 2000

// reviewProblem returns the message key of what is wrong with a
// reviewer's decision (the reason trimmed), or "" when nothing is. The
// review page and the API both check decisions with it.
func reviewProblem(v paradero.Verdict, reason string) string {
	switch {
	case !v.Valid():
		return "review.need_verdict"
	case reason == "":
		return "review.need_reason"
	case len(reason) > maxReasonBytes || !utf8.ValidString(reason) || strings.IndexByte(reason, 0) >= 0:
		return "review.reason_too_long"
	}
	return ""
}

// newReview makes the ledger entry of the actor's decision on pair, its
// reason and author committed to through a fresh salt.
func (s *Server) newReview(ctx context.Context, pair *paradero.ReviewPair, v paradero.Verdict, reason string) *paradero.Review {
	x := &paradero.Review{RecordA: pair.RecordA, RecordB: pair.RecordB, Verdict: v, Reason: reason,
		CreatedBy: paradero.ActorFromContext(ctx).Name, CreatedAt: s.now(), Salt: make([]byte, 32)}
	rand.Read(x.Salt) // never fails (crypto/rand, Go 1.24+)
	x.Commitment = paradero.Commit(x.Salt, paradero.ReviewContent(x.Reason, x.CreatedBy))
	return x
}

// decide records a reviewer's decision as a ledger entry and signs a
// checkpoint over it.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d, err := s.reviewData(r)
	if err != nil {
		return err
	}
	d.Chosen = paradero.Verdict(r.PostFormValue("verdict"))
	d.Reason = strings.TrimSpace(r.PostFormValue("reason"))
	p := stateOf(ctx).printer
	again := func(key string) error {
		d.Error = key
		return s.render(w, r, http.StatusBadRequest, "review", p.T("review.pair.title", d.Pair.RecordA, d.Pair.RecordB), "review", d)
	}
	if key := reviewProblem(d.Chosen, d.Reason); key != "" {
		return again(key)
	}
	x := s.newReview(ctx, d.Pair, d.Chosen, d.Reason)
	if err := s.createReview(ctx, x); err != nil {
		return err
	}
	http.Redirect(w, r, "/review?decided="+strconv.FormatInt(x.ID, 10), http.StatusSeeOther)
	return nil
}
