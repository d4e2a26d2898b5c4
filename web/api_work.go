package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ingest"
	"github.com/paradero/paradero/linkage"
)

// Search, review and import: the documenters' work, with the pages' rules
// (access.go) and the pages' limits (the same search rate limiter, the
// same upload size).

type apiSearchRequest struct {
	Name      string `json:"name"`
	BirthDate string `json:"birth_date"` // ISO 8601, possibly partial: "1990", "1990-04", "1990-04-02"
	ANumber   string `json:"a_number"`
	Facility  string `json:"facility"`
	Limit     int    `json:"limit"`
	Offset    int    `json:"offset"`
}

type apiMatchReason struct {
	Field string             `json:"field"`
	Kind  paradero.MatchKind `json:"kind"`
	Query string             `json:"query"`
	Found string             `json:"found"`
}

type apiSearchHit struct {
	Record  apiRecord        `json:"record"`
	Source  apiSource        `json:"source"`
	Score   int              `json:"score"`
	Reasons []apiMatchReason `json:"reasons"`
}

// apiSearchResult is a page of hits. A search is a POST (names never
// travel in a URL), so the next page is an offset to post again, not a
// link.
type apiSearchResult struct {
	Items      []apiSearchHit `json:"items"`
	Total      int            `json:"total"`
	Truncated  bool           `json:"truncated"`
	Pending    int            `json:"pending"` // records not yet indexed when the search ran
	Limit      int            `json:"limit"`
	Offset     int            `json:"offset"`
	NextOffset *int           `json:"next_offset"`
}

// apiSearch runs a search as the search page does: every criterion given
// must match, each hit says why, searches count against the user's one
// rate limit, and the audit log says a search was run, never for what.
func (s *Server) apiSearch(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, permSearch); err != nil {
		return err
	}
	var req apiSearchRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Limit == 0 {
		req.Limit = searchPageSize
	}
	if req.Limit < 1 || req.Limit > apiMaxLimit || req.Offset < 0 || req.Offset > apiMaxOffset {
		return paradero.Errorf(paradero.EINVALID, "limit must be from 1 to %d and offset from 0 to %d", apiMaxLimit, apiMaxOffset)
	}
	q := paradero.SearchQuery{Name: req.Name, ANumber: req.ANumber, Facility: req.Facility, Limit: req.Limit, Offset: req.Offset}
	if strings.TrimSpace(req.Name+req.BirthDate+req.ANumber+req.Facility) == "" {
		return paradero.Errorf(paradero.EINVALID, "give at least one of name, birth_date, a_number, facility")
	}
	if !s.searches.allow(paradero.ActorFromContext(ctx).UserID) {
		return &apiError{code: apiCodeRateLimited, message: "too many searches; wait a minute", retryAfter: int(searchWindow.Seconds())}
	}
	if b := strings.TrimSpace(req.BirthDate); b != "" {
		d, err := paradero.ParsePartialDate(b)
		if err != nil {
			return paradero.Errorf(paradero.EINVALID, "birth_date is not YYYY, YYYY-MM or YYYY-MM-DD")
		}
		q.BirthDate = d
	}
	res, ms, err := s.searchRecords(ctx, q)
	if err != nil {
		return err
	}
	out := apiSearchResult{Items: []apiSearchHit{}, Total: res.Total, Truncated: res.Truncated, Pending: res.Pending, Limit: req.Limit, Offset: req.Offset}
	for _, h := range res.Hits {
		m := ms[h.RecordID]
		if m.Record.Redaction != nil {
			continue // redacted after the index caught up: never shown
		}
		hit := apiSearchHit{Record: recordJSON(m.Record), Source: sourceJSON(m.Source), Score: h.Score, Reasons: []apiMatchReason{}}
		for _, x := range h.Reasons {
			hit.Reasons = append(hit.Reasons, apiMatchReason{Field: x.Field, Kind: x.Kind, Query: x.Query, Found: x.Found})
		}
		out.Items = append(out.Items, hit)
	}
	if next := req.Offset + len(res.Hits); len(res.Hits) > 0 && next < res.Total {
		out.NextOffset = &next
	}
	return writeJSON(w, http.StatusOK, out)
}

type apiReviewPair struct {
	RecordA     int64   `json:"record_a"`
	RecordB     int64   `json:"record_b"`
	Probability float64 `json:"probability"`
	Weight      float64 `json:"weight"`
}

func reviewPairJSON(p *paradero.ReviewPair) apiReviewPair {
	return apiReviewPair{RecordA: p.RecordA, RecordB: p.RecordB, Probability: p.Probability, Weight: p.Weight}
}

func (s *Server) apiReviews(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	pairs, total, err := s.findReviewQueue(r.Context(), paradero.ReviewFilter{Offset: p.Offset, Limit: p.Limit})
	if err != nil {
		return err
	}
	items := make([]apiReviewPair, len(pairs))
	for i, x := range pairs {
		items[i] = reviewPairJSON(x)
	}
	return writeJSON(w, http.StatusOK, newList(r, p, items, total))
}

type apiContribution struct {
	Comparison    string  `json:"comparison"`
	ValueA        string  `json:"value_a"`
	ValueB        string  `json:"value_b"`
	Level         int     `json:"level"`
	Label         string  `json:"label"` // in English, as package linkage words it
	M             float64 `json:"m"`
	U             float64 `json:"u"`
	Weight        float64 `json:"weight"`
	TermFrequency float64 `json:"term_frequency"`
}

// apiExplanation is the match-weight waterfall: the prior log-odds, then
// each comparison's weight (plus its term-frequency adjustment), summing
// to the weight.
type apiExplanation struct {
	Prior       float64           `json:"prior"`
	Weight      float64           `json:"weight"`
	Probability float64           `json:"probability"`
	Decision    string            `json:"decision"`
	Fields      []apiContribution `json:"fields"`
}

type apiReviewDetail struct {
	apiReviewPair
	Explanation apiExplanation `json:"explanation"`
	Records     []apiRecord    `json:"records"` // A, then B
	Sources     []apiSource    `json:"sources"` // of A, then of B
}

// apiReviewPairDetail shows a queued pair as the review page does: both
// records (each view audited) and the waterfall.
func (s *Server) apiReviewPairDetail(w http.ResponseWriter, r *http.Request) error {
	a, b, err := pairParams(r)
	if err != nil {
		return err
	}
	pair, ms, err := s.findReviewPair(r.Context(), a, b)
	if err != nil {
		return err
	}
	var exp linkage.Explanation
	if err := json.Unmarshal(pair.Explanation, &exp); err != nil {
		return fmt.Errorf("web: review pair %d–%d: explanation: %w", a, b, err)
	}
	d := apiReviewDetail{apiReviewPair: reviewPairJSON(pair),
		Explanation: apiExplanation{Prior: exp.Prior, Weight: exp.Weight, Probability: exp.Probability, Decision: exp.Decision,
			Fields: []apiContribution{}}}
	for _, f := range exp.Fields {
		d.Explanation.Fields = append(d.Explanation.Fields, apiContribution{Comparison: f.Comparison, ValueA: f.ValueA,
			ValueB: f.ValueB, Level: f.Level, Label: f.Label, M: f.M, U: f.U, Weight: f.Weight, TermFrequency: f.TermFrequency})
	}
	for _, id := range []int64{a, b} {
		d.Records = append(d.Records, recordJSON(ms[id].Record))
		d.Sources = append(d.Sources, sourceJSON(ms[id].Source))
	}
	return writeJSON(w, http.StatusOK, d)
}

type apiDecision struct {
	Verdict paradero.Verdict `json:"verdict"`
	Reason  string           `json:"reason"`
}

type apiReview struct {
	ID          int64            `json:"id"`
	RecordA     int64            `json:"record_a"`
	RecordB     int64            `json:"record_b"`
	Verdict     paradero.Verdict `json:"verdict"`
	Reason      string           `json:"reason"`
	CreatedAt   time.Time        `json:"created_at"`
	CreatedBy   string           `json:"created_by"`
	LedgerIndex int64            `json:"ledger_index"`
}

// apiDecide records a reviewer's decision on a queued pair, as the review
// page does (a ledger entry, audited, under a new checkpoint). It shows
// no record, so it audits the decision only.
func (s *Server) apiDecide(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, permReview); err != nil {
		return err
	}
	a, b, err := pairParams(r)
	if err != nil {
		return err
	}
	var d apiDecision
	if err := decodeJSON(r, &d); err != nil {
		return err
	}
	d.Reason = strings.TrimSpace(d.Reason)
	if key := reviewProblem(d.Verdict, d.Reason); key != "" {
		return paradero.Errorf(paradero.EINVALID, "%s", s.catalog.Printer("en").T(key))
	}
	ps, ok := s.personService()
	if !ok {
		return notFoundError()
	}
	pair, err := findQueued(ctx, ps, a, b)
	if err != nil {
		return err
	}
	x := s.newReview(ctx, pair, d.Verdict, d.Reason)
	if err := s.createReview(ctx, x); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, apiReview{ID: x.ID, RecordA: x.RecordA, RecordB: x.RecordB, Verdict: x.Verdict,
		Reason: x.Reason, CreatedAt: x.CreatedAt.UTC(), CreatedBy: x.CreatedBy,
		LedgerIndex: x.LedgerIndex})
}

type apiColumn struct {
	Name   string `json:"name"`
	Key    string `json:"key"`
	Mapped bool   `json:"mapped"`
}

// apiPreview is what a file would import, as the import page previews it.
type apiPreview struct {
	Name       string         `json:"name"`
	Format     string         `json:"format"`
	Encoding   string         `json:"encoding"`
	Size       int64          `json:"size"`
	Columns    []apiColumn    `json:"columns"`
	Records    int            `json:"records"`
	Errors     []apiLineError `json:"errors"`
	MoreErrors bool           `json:"more_errors"`
	Already    *apiSource     `json:"already"` // imported before: importing changes nothing
}

func previewJSON(pv *importPreview) apiPreview {
	out := apiPreview{Name: pv.Name, Format: pv.Format, Encoding: pv.Encoding, Size: pv.Size, Columns: []apiColumn{},
		Records: pv.Records, Errors: lineErrorsJSON(pv.Errors), MoreErrors: pv.MoreErrors}
	for _, c := range pv.Columns {
		out.Columns = append(out.Columns, apiColumn{Name: c.Name, Key: c.Key, Mapped: c.Mapped})
	}
	if pv.Already != nil {
		src := sourceJSON(pv.Already)
		out.Already = &src
	}
	return out
}

type apiDryRun struct {
	DryRun  bool       `json:"dry_run"`
	Preview apiPreview `json:"preview"`
}

type apiImported struct {
	Source  apiSource  `json:"source"`
	Preview apiPreview `json:"preview"`
}

// apiImport imports one file in one request, all or nothing, through the
// import page's path (previewImport, importSource): a multipart form with
// the file and its kind, title and publication date. With ?dry_run=true
// it only previews: the columns, the records and every error by line.
func (s *Server) apiImport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, permImport); err != nil {
		return err // before the body is read
	}
	dry := false
	switch r.URL.Query().Get("dry_run") {
	case "", "false":
	case "true":
		dry = true
	default:
		return paradero.Errorf(paradero.EINVALID, "dry_run is true or false")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		return &apiError{code: apiCodeMediaType, message: "the body must be multipart/form-data"}
	}
	// Held in memory whole (apiAdapt bounds the body): no temporary file
	// of an upload is left on disk.
	if err := r.ParseMultipartForm(uploadLimit(ctx, "/import")); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return &paradero.Error{Code: paradero.EINVALID, Message: "the form could not be read", Err: err}
	}
	defer r.MultipartForm.RemoveAll()
	src := paradero.Source{Kind: paradero.SourceKind(r.PostFormValue("kind")), Title: strings.TrimSpace(r.PostFormValue("title"))}
	if !src.Kind.Valid() {
		return paradero.Errorf(paradero.EINVALID, "kind is not a source kind")
	}
	if p := strings.TrimSpace(r.PostFormValue("published")); p != "" {
		d, err := paradero.ParsePartialDate(p)
		if err != nil {
			return paradero.Errorf(paradero.EINVALID, "published is not YYYY, YYYY-MM or YYYY-MM-DD")
		}
		src.Published = d
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return paradero.Errorf(paradero.EINVALID, "the form has no file")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxUpload+1))
	if err != nil {
		return err
	}
	switch {
	case len(data) > maxUpload:
		return &apiError{code: apiCodeTooLarge, message: fmt.Sprintf("the file is larger than %d bytes", maxUpload)}
	case len(data) == 0:
		return paradero.Errorf(paradero.EINVALID, "the file is empty")
	}
	name := baseName(hdr.Filename)
	pv, err := s.previewImport(ctx, name, data)
	if err != nil {
		return err
	}
	if dry {
		return writeJSON(w, http.StatusOK, apiDryRun{DryRun: true, Preview: previewJSON(pv)})
	}
	if pv.Already != nil {
		return paradero.Errorf(paradero.ECONFLICT, "this file was imported already, as source %d", pv.Already.ID)
	}
	if len(pv.Errors) > 0 {
		return &apiError{code: apiCodeUnprocessed, message: "the file has errors; nothing was imported", lines: lineErrorsJSON(pv.Errors)}
	}
	saved, err := s.importSource(ctx, name, data, &src)
	var ie *ingest.Error
	switch {
	case errors.As(err, &ie):
		return &apiError{code: apiCodeUnprocessed, message: "the file has errors; nothing was imported",
			lines: []apiLineError{{Line: ie.Line, Column: ie.Column, Reason: ie.Reason}}}
	case err != nil:
		return err
	}
	w.Header().Set("Location", apiPath("/sources/%s", strconv.FormatInt(saved.ID, 10)))
	return writeJSON(w, http.StatusCreated, apiImported{Source: sourceJSON(saved), Preview: previewJSON(pv)})
}
