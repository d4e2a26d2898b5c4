package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

// Figures: the public statistics, the staff dashboard, the reconciliation
// of sources and the estimate of how many no list names.

type apiKindCount struct {
	Kind    paradero.SourceKind `json:"kind"`
	Records *int                `json:"records"` // null: suppressed (public statistics only)
}

// apiStats is the public statistics page's figures: aggregates only, and
// a cell under SmallCell (with its complement, when needed) is null.
type apiStats struct {
	Sources   int            `json:"sources"`
	Records   *int           `json:"records"`
	ByKind    []apiKindCount `json:"by_kind"`
	SmallCell int            `json:"small_cell"`
}

// kindCounts lists the records per source kind in the pages' order,
// suppressing cells as the public page does when suppressBelow > 0.
func kindCounts(byKind map[paradero.SourceKind]int, suppressBelow int) []apiKindCount {
	var bs []bar
	for _, k := range paradero.SourceKinds {
		if v, ok := byKind[k]; ok {
			bs = append(bs, bar{Label: string(k), Value: v})
		}
	}
	if suppressBelow > 0 {
		suppress(bs, suppressBelow)
	}
	out := make([]apiKindCount, len(bs))
	for i, b := range bs {
		out[i] = apiKindCount{Kind: paradero.SourceKind(b.Label)}
		if !b.Suppressed {
			v := b.Value
			out[i].Records = &v
		}
	}
	return out
}

func (s *Server) apiStats(w http.ResponseWriter, r *http.Request) error {
	st, byKind, err := s.statistics(r.Context())
	if err != nil {
		return err
	}
	out := apiStats{Sources: st.Sources, ByKind: kindCounts(byKind, SmallCell), SmallCell: SmallCell}
	if n := st.Records; n == 0 || n >= SmallCell {
		out.Records = &n
	}
	return writeJSON(w, http.StatusOK, out)
}

type apiStatus struct {
	Sources    int   `json:"sources"`
	Records    int   `json:"records"`
	Redactions int   `json:"redactions"`
	Persons    int   `json:"persons"`
	LedgerSize int64 `json:"ledger_size"`
}

type apiCheckpoint struct {
	Size      int64     `json:"size"`
	Hash      string    `json:"hash"`
	CreatedAt time.Time `json:"created_at"`
	Note      string    `json:"note"` // the signed note, as published
}

type apiDashboard struct {
	Status     apiStatus      `json:"status"`
	Checkpoint *apiCheckpoint `json:"checkpoint"`
	ByKind     []apiKindCount `json:"by_kind"`
}

// apiDashboard is the dashboard's figures, for the roles the dashboard is
// for; to everyone else it does not exist.
func (s *Server) apiDashboard(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, paradero.PermViewDashboard); err != nil {
		return err
	}
	st, byKind, err := s.statistics(ctx)
	if err != nil {
		return err
	}
	out := apiDashboard{Status: apiStatus(*st), ByKind: kindCounts(byKind, 0)}
	cp, err := s.store.LatestCheckpoint(ctx)
	switch {
	case err == nil:
		out.Checkpoint = &apiCheckpoint{Size: cp.Size, Hash: cp.Hash.String(), CreatedAt: cp.CreatedAt.UTC(), Note: string(cp.Note)}
	case paradero.ErrorCode(err) != paradero.ENOTFOUND:
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

type apiReconSource struct {
	Source apiSource `json:"source"`
	Size   int       `json:"size"` // persons it names
}

type apiIntersection struct {
	Sources []int64 `json:"sources"`
	Count   int     `json:"count"`
}

// apiReconciliation is who is on which list, in figures: each source's
// persons and the exclusive intersections (the UpSet chart's bars).
type apiReconciliation struct {
	Persons       int               `json:"persons"`
	Unlinked      int               `json:"unlinked"`
	Sources       []apiReconSource  `json:"sources"`
	Intersections []apiIntersection `json:"intersections"`
}

// apiReconciliation names no one, so, as package report's figures, it
// writes no audit entry (reconcile with no action).
func (s *Server) apiReconciliation(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.reconcile(r.Context(), "")
	if err != nil {
		return err
	}
	out := apiReconciliation{Persons: len(rec.Persons), Sources: []apiReconSource{}, Intersections: []apiIntersection{}}
	for _, m := range rec.Persons {
		if m.PersonID == 0 {
			out.Unlinked++
		}
	}
	for i, src := range rec.Sources {
		out.Sources = append(out.Sources, apiReconSource{Source: sourceJSON(src), Size: rec.Sizes[i]})
	}
	for _, x := range rec.Intersections {
		ix := apiIntersection{Count: x.Count, Sources: []int64{}}
		for _, i := range x.Sources {
			ix.Sources = append(ix.Sources, rec.Sources[i].ID)
		}
		out.Intersections = append(out.Intersections, ix)
	}
	return writeJSON(w, http.StatusOK, out)
}

type apiUnaccounted struct {
	PersonID *int64  `json:"person_id"` // null for a record not linked yet
	Name     string  `json:"name"`      // as the person's first record wrote it; "" if redacted
	Records  []int64 `json:"records"`
	Sources  []int64 `json:"sources"`
	LastSeen *string `json:"last_seen"` // the latest publication date of a source naming them
}

// apiUnaccountedList pages through the persons named by source on and
// missing from source absent, audited as the reconciliation page is
// (reconciliation.view): it names them.
func (s *Server) apiUnaccountedList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, permReconcile); err != nil {
		return err // before the query is looked at: hidden looks missing
	}
	on, absent, err := sourcePair(r)
	if err != nil {
		return err
	}
	if on == 0 {
		return paradero.Errorf(paradero.EINVALID, "on and absent are required")
	}
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	rec, err := s.reconcile(ctx, auditReconciliationView)
	if err != nil {
		return err
	}
	if rec.Source(on) == nil || rec.Source(absent) == nil {
		return notFoundError()
	}
	us := rec.Unaccounted(on, absent)
	items := []apiUnaccounted{}
	for _, u := range us[min(p.Offset, len(us)):min(p.Offset+p.Limit, len(us))] {
		x := apiUnaccounted{Name: u.Name, Records: u.Records, Sources: u.Sources, LastSeen: nullable(u.LastSeen.String())}
		if u.PersonID != 0 {
			id := u.PersonID
			x.PersonID = &id
		}
		items = append(items, x)
	}
	return writeJSON(w, http.StatusOK, newList(r, p, items, len(us)))
}

type apiEstimate struct {
	Lists      []paradero.SourceKind `json:"lists"`
	Observed   int64                 `json:"observed"`
	Total      *int64                `json:"total"`   // null when no model gives an estimate
	Missing    *int64                `json:"missing"` // total − observed: the people no list names
	Lower      *int64                `json:"lower"`
	Upper      *int64                `json:"upper"` // null: no upper bound
	Model      string                `json:"model"`
	Models     int                   `json:"models"`
	Excluded   int                   `json:"excluded"`
	Unreliable bool                  `json:"unreliable"` // the data cannot support the estimate: say so beside it
	Warnings   []string              `json:"warnings"`   // in English, as package estimate words them
	ComputedAt time.Time             `json:"computed_at"`
}

// apiEstimateState is the estimate as the reconciliation page shows it:
// ready, still being computed (state pending: ask again; a stale estimate
// of an earlier table may come with it), or unavailable with a reason.
type apiEstimateState struct {
	State    string       `json:"state"`  // ready, pending or unavailable
	Reason   *string      `json:"reason"` // when unavailable: few_lists, many_lists, empty, failed
	Stale    bool         `json:"stale"`
	Estimate *apiEstimate `json:"estimate"`
}

func (s *Server) apiEstimate(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.reconcile(r.Context(), "")
	if err != nil {
		return err
	}
	var d reconciliationData
	s.estimatePanel(r, rec, &d)
	out := apiEstimateState{State: "ready", Stale: d.Stale}
	switch {
	case d.EstimateError != "":
		out.State = "unavailable"
		out.Reason = nullable(strings.TrimPrefix(d.EstimateError, "estimate."))
	case d.Pending:
		out.State = "pending"
	}
	if v := d.Estimate; v != nil {
		e := &apiEstimate{Lists: v.Lists, Observed: v.Observed, Model: v.Model, Models: v.Models, Excluded: v.Excluded,
			Unreliable: v.Unreliable(), Warnings: v.Details, ComputedAt: v.At.UTC()}
		if e.Lists == nil {
			e.Lists = []paradero.SourceKind{}
		}
		if e.Warnings == nil {
			e.Warnings = []string{}
		}
		if !v.NoModel {
			total, missing := v.Total, v.Missing
			e.Total, e.Missing = &total, &missing
		}
		if !v.NoInterval {
			lower := v.Lower
			e.Lower = &lower
			if !v.Unbounded {
				upper := v.Upper
				e.Upper = &upper
			}
		}
		out.Estimate = e
	}
	return writeJSON(w, http.StatusOK, out)
}
