package web

import (
	"bytes"
	"errors"
	"html/template"
	"math"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/estimate"
	"github.com/paradero/paradero/report"
)

// maxUnaccountedShown is how many unaccounted persons the page lists; the
// CSV has them all.
const maxUnaccountedShown = 200

type reconSource struct {
	Source *paradero.Source
	Size   int
}

type reconIntersection struct {
	Sources []*paradero.Source
	Count   int
}

type unaccountedView struct {
	On, Absent *paradero.Source
	Persons    []report.Unaccounted // at most maxUnaccountedShown
	Total      int
}

// estimateView is the multiple systems estimate as the page shows it.
type estimateView struct {
	Lists            []paradero.SourceKind
	Observed, Total  int64
	Missing          int64
	Lower, Upper     int64
	Unbounded        bool // the interval has no upper bound
	NoInterval       bool
	Model            string
	Models, Excluded int
	NoModel          bool     // no model gives an estimate
	Problem          bool     // the chosen model has a numerical problem
	Doubts           bool     // the table's diagnostics found something
	Details          []string // package estimate's warnings, in English (the API's)
	Warnings         []string // the same in the page's language
	At               time.Time
}

// Unreliable reports whether the page must warn that the data cannot
// support the estimate.
func (e *estimateView) Unreliable() bool {
	return e.NoModel || e.Unbounded || e.NoInterval || e.Problem || e.Doubts
}

type reconciliationData struct {
	Persons       int
	Unlinked      int // records linkage has not placed: each counts as a person
	Sources       []reconSource
	UpSet         template.HTML
	Intersections []reconIntersection
	OnID          int64
	AbsentID      int64
	Unaccounted   *unaccountedView
	Estimate      *estimateView
	EstimateError string // a message key when no estimate can be made
	Pending       bool   // the estimate of the current table is being computed
	Stale         bool   // Estimate is of an earlier table
}

// reconciliationPage shows which sources name whom: the UpSet chart, the
// sources' sizes and intersections, who is on one source and missing
// from a later one, and the estimate of how many no list names.
func (s *Server) reconciliationPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, permReconcile); err != nil {
		return err
	}
	on, absent, err := sourcePair(r)
	if err != nil {
		return err
	}
	rec, err := s.reconcile(ctx, auditReconciliationView)
	if err != nil {
		return err
	}
	pr := Printer{stateOf(ctx).printer}
	d := reconciliationData{Persons: len(rec.Persons)}
	for _, m := range rec.Persons {
		if m.PersonID == 0 {
			d.Unlinked++
		}
	}
	for i, src := range rec.Sources {
		d.Sources = append(d.Sources, reconSource{Source: src, Size: rec.Sizes[i]})
	}
	for _, x := range rec.Intersections {
		ix := reconIntersection{Count: x.Count}
		for _, i := range x.Sources {
			ix.Sources = append(ix.Sources, rec.Sources[i])
		}
		d.Intersections = append(d.Intersections, ix)
	}
	if len(rec.Sources) > 0 {
		// Charts are built from escaped text only (report/svg.go).
		d.UpSet = template.HTML(rec.UpSetSVG(report.UpSetOptions{Title: pr.T("reconciliation.upset.title")}))
	}
	if on == 0 && len(rec.Sources) >= 2 {
		// The first source against the last: what the demo's question is.
		on, absent = rec.Sources[0].ID, rec.Sources[len(rec.Sources)-1].ID
	}
	d.OnID, d.AbsentID = on, absent
	if on != 0 {
		if rec.Source(on) == nil || rec.Source(absent) == nil {
			return notFoundError()
		}
		us := rec.Unaccounted(on, absent)
		d.Unaccounted = &unaccountedView{On: rec.Source(on), Absent: rec.Source(absent), Total: len(us),
			Persons: us[:min(len(us), maxUnaccountedShown)]}
	}
	s.estimatePanel(r, rec, &d)
	return s.render(w, r, http.StatusOK, "reconciliation", pr.T("reconciliation.title"), "reconciliation", d)
}

// estimatePanel fills d's estimate: the capture-history table is built as
// `paradero estimate` builds it from the store by default (one list per
// kind of source, every source), and the estimate comes from the cache or
// is computed off the request path.
func (s *Server) estimatePanel(r *http.Request, rec *report.Reconciliation, d *reconciliationData) {
	t, err := estimate.TableOf(rec.PatternCounts(true))
	switch {
	case errors.Is(err, estimate.ErrFewLists):
		d.EstimateError = "estimate.few_lists"
		return
	case errors.Is(err, estimate.ErrManyLists):
		d.EstimateError = "estimate.many_lists"
		return
	case err != nil:
		d.EstimateError = "estimate.failed"
		return
	}
	if t.Observed() == 0 {
		d.EstimateError = "estimate.empty"
		return
	}
	res, current := s.estimates.get(r.Context(), t, s.estWait, s.now)
	d.Pending, d.Stale = !current, !current && res != nil
	if res == nil {
		return
	}
	if res.Err != nil {
		if current {
			s.logger.Error("estimating", "err", res.Err) // the error speaks of lists and counts, never of persons
			d.EstimateError = "estimate.failed"
		}
		return
	}
	d.Estimate = viewEstimate(res)
	lang := stateOf(r.Context()).printer.Lang
	for _, w := range d.Estimate.Details {
		d.Estimate.Warnings = append(d.Estimate.Warnings, report.EstimateWarning(lang, w))
	}
}

func viewEstimate(res *estimateResult) *estimateView {
	r := res.Report
	round := func(x float64) int64 { return int64(math.Round(x)) }
	v := &estimateView{Observed: round(r.Observed), Models: len(r.Models), Excluded: r.Excluded,
		Details: r.Warnings, At: res.At, NoModel: r.Chosen == nil}
	for _, l := range r.Lists {
		v.Lists = append(v.Lists, paradero.SourceKind(l))
	}
	v.Doubts = len(estimate.Diagnose(res.Table)) > 0
	if r.Chosen != nil {
		v.Total, v.Missing = round(r.Estimate), round(r.Estimate-r.Observed)
		v.Model = r.Chosen.Label
		v.Problem = !r.Chosen.Clean
	}
	switch {
	case r.Interval == nil:
		v.NoInterval = true
	case math.IsInf(r.Interval.Upper, 0) || math.IsNaN(r.Interval.Upper):
		v.Unbounded = true
		v.Lower = round(r.Interval.Lower)
	default:
		v.Lower, v.Upper = round(r.Interval.Lower), round(r.Interval.Upper)
	}
	return v
}

// sourcePair reads ?on=ID&absent=ID: both or neither.
func sourcePair(r *http.Request) (on, absent int64, err error) {
	q := r.URL.Query()
	if q.Get("on") == "" && q.Get("absent") == "" {
		return 0, 0, nil
	}
	on, err1 := strconv.ParseInt(q.Get("on"), 10, 64)
	absent, err2 := strconv.ParseInt(q.Get("absent"), 10, 64)
	if err1 != nil || err2 != nil || on <= 0 || absent <= 0 {
		return 0, 0, paradero.Errorf(paradero.EINVALID, "on and absent are source ids")
	}
	return on, absent, nil
}

// reconciliationCSV sends a table of the reconciliation as CSV, its text
// cells neutralised against formula injection by package report:
// persons.csv (one row per person, a 0/1 column per source),
// intersections.csv (the UpSet table) or unaccounted.csv?on=ID&absent=ID.
func (s *Server) reconciliationCSV(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, permReconcile); err != nil {
		return err
	}
	name := r.PathValue("file")
	on, absent, err := sourcePair(r)
	if err != nil {
		return err
	}
	switch {
	case name == "unaccounted.csv" && on == 0:
		return paradero.Errorf(paradero.EINVALID, "on and absent are required")
	case name != "persons.csv" && name != "intersections.csv" && name != "unaccounted.csv":
		return notFoundError()
	}
	rec, err := s.reconcile(ctx, auditReconciliationExport)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	switch name {
	case "persons.csv":
		err = rec.WriteCSV(&b)
	case "intersections.csv":
		err = rec.WriteIntersectionsCSV(&b)
	default:
		if rec.Source(on) == nil || rec.Source(absent) == nil {
			return notFoundError()
		}
		err = report.WriteUnaccountedCSV(&b, rec.Unaccounted(on, absent))
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "paradero-" + name}))
	_, err = w.Write(b.Bytes())
	return err
}
