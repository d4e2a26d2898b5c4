package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/timeline"
)

// The violation pages: the list, one violation, and the form that records
// or changes one. A violation is recorded against one person or a group,
// typed from paradero.ViolationTypes, dated, placed, attributed to an
// institution and supported by sources. access.go decides who sees what;
// a viewer is never named a victim they may not see, only counted.

// ViolationType names a type of violation.
func (p Printer) ViolationType(t paradero.ViolationType) string {
	return p.T("violation.type." + string(t))
}

// Dates formats a date or a range of dates.
func (p Printer) Dates(r paradero.DateRange) string { return dateRange(p, r) }

// mentionsOf returns mentions as package timeline reads them.
func mentionsOf(ms []mention) []timeline.Mention {
	out := make([]timeline.Mention, 0, len(ms))
	for _, m := range ms {
		if m.Record != nil {
			out = append(out, timeline.Mention{Record: m.Record, Source: m.Source})
		}
	}
	return out
}

// victimView is a victim the viewer may see, named as their record wrote
// it.
type victimView struct {
	RecordID int64
	Name     string // "" once redacted
	Link     string
}

// violationRow is a violation as lists show it.
type violationRow struct {
	*paradero.Violation
	Victims []victimView // the first few the viewer may see
	More    int          // others the viewer may see, not named here
	Hidden  int          // victims the viewer may not see: counted, never named
}

// listedVictims is how many victims a list names per violation.
const listedVictims = 5

// violationRows lays out violations for a list; limit victims named each
// (0: all the viewer may see).
func (s *Server) violationRows(ctx context.Context, vs []*paradero.Violation) ([]violationRow, error) {
	return s.violationRowsN(ctx, vs, listedVictims)
}

func (s *Server) violationRowsN(ctx context.Context, vs []*paradero.Violation, limit int) ([]violationRow, error) {
	if len(vs) == 0 {
		return nil, nil
	}
	visible, err := s.victimFilter(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int64
	rows := make([]violationRow, len(vs))
	for i, v := range vs {
		rows[i].Violation = v
		for _, x := range v.Victims {
			switch {
			case !visible(x.RecordID):
				rows[i].Hidden++
			case limit > 0 && len(rows[i].Victims) >= limit:
				rows[i].More++
			default:
				rows[i].Victims = append(rows[i].Victims, victimView{RecordID: x.RecordID,
					Link: "/records/" + strconv.FormatInt(x.RecordID, 10) + "/person"})
				ids = append(ids, x.RecordID)
			}
		}
	}
	recs, err := s.recordNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		for j := range rows[i].Victims {
			if r := recs[rows[i].Victims[j].RecordID]; r != nil {
				rows[i].Victims[j].Name = r.DisplayName()
			}
		}
	}
	return rows, nil
}

// violationsData is the list of violations.
type violationsData struct {
	Violations []violationRow
	Pager      pager
	Type       paradero.ViolationType
	Types      []paradero.ViolationType
	CanRecord  bool
}

// violationsPage lists the violations the viewer sees, latest first,
// optionally of one type.
func (s *Server) violationsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d := violationsData{Type: paradero.ViolationType(r.URL.Query().Get("type")), Types: paradero.ViolationTypes,
		CanRecord: paradero.ActorFromContext(ctx).Can(paradero.PermRecordViolations)}
	if !d.Type.Valid() {
		d.Type = ""
	}
	page := pageParam(r)
	vs, total, err := s.listViolations(ctx, paradero.ViolationFilter{Type: d.Type, Offset: (page - 1) * pageSize, Limit: pageSize})
	if err != nil {
		return err
	}
	d.Pager = newPager(page, total)
	if d.Violations, err = s.violationRows(ctx, vs); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "violations", stateOf(ctx).printer.T("violations.title"), "violations", d)
}

// citationView is a violation's source, described.
type citationView struct {
	paradero.Citation
	Source *paradero.Source
}

// violationData is one violation's page.
type violationData struct {
	Row       violationRow
	Citations []citationView
	Case      *paradero.Case // nil when none, or one the viewer does not see
	History   []*paradero.Change
	CanEdit   bool
}

// violationPage shows one violation with every victim the viewer may see,
// its sources and its history.
func (s *Server) violationPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := idParam(r)
	if err != nil {
		return err
	}
	v, err := s.findViolation(ctx, id)
	if err != nil {
		return err
	}
	rows, err := s.violationRowsN(ctx, []*paradero.Violation{v}, 0)
	if err != nil {
		return err
	}
	d := violationData{Row: rows[0], CanEdit: paradero.ActorFromContext(ctx).Can(paradero.PermRecordViolations)}
	var ids []int64
	for _, c := range v.Sources {
		ids = append(ids, c.SourceID)
	}
	srcs, err := s.findSourcesByID(ctx, ids)
	if err != nil {
		return err
	}
	for _, c := range v.Sources {
		d.Citations = append(d.Citations, citationView{Citation: c, Source: srcs[c.SourceID]})
	}
	if v.CaseID != 0 {
		c, _, err := s.loadCase(ctx, v.CaseID)
		switch {
		case err == nil:
			d.Case = c
		case paradero.ErrorCode(err) != paradero.ENOTFOUND:
			return err
		}
	}
	if d.History, err = s.findViolationChanges(ctx, id); err != nil {
		return err
	}
	p := Printer{stateOf(ctx).printer}
	return s.render(w, r, http.StatusOK, "violation", p.T("violation.title", v.ID, p.ViolationType(v.Type)), "violations", d)
}

// violationFormData is the form that records or changes a violation.
type violationFormData struct {
	Violation *paradero.Violation // nil when recording one
	Form      url.Values
	Error     string
	Types     []paradero.ViolationType
	Action    string
}

func (s *Server) renderViolationForm(w http.ResponseWriter, r *http.Request, status int, v *paradero.Violation, form url.Values, key string) error {
	p := Printer{stateOf(r.Context()).printer}
	d := violationFormData{Violation: v, Form: form, Error: key, Types: paradero.ViolationTypes, Action: "/violations"}
	title := p.T("violation.new.title")
	if v != nil {
		d.Action = "/violations/" + strconv.FormatInt(v.ID, 10)
		title = p.T("violation.edit.title", v.ID)
	}
	return s.render(w, r, status, "violation_form", title, "violations", d)
}

// violationNewPage shows the form, filled in from ?person=, ?record= and
// ?case= when a page links to it.
func (s *Server) violationNewPage(w http.ResponseWriter, r *http.Request) error {
	if err := require(r.Context(), paradero.PermRecordViolations); err != nil {
		return err
	}
	q := r.URL.Query()
	form := url.Values{"type": {string(paradero.ViolationArbitraryDetention)}}
	var victims []string
	for _, k := range []string{"person", "record"} {
		if id, err := strconv.ParseInt(q.Get(k), 10, 64); err == nil && id > 0 {
			victims = append(victims, k+":"+strconv.FormatInt(id, 10))
		}
	}
	form.Set("victims", strings.Join(victims, "\n"))
	if id, err := strconv.ParseInt(q.Get("case"), 10, 64); err == nil && id > 0 {
		form.Set("case", strconv.FormatInt(id, 10))
	}
	return s.renderViolationForm(w, r, http.StatusOK, nil, form, "")
}

// readViolation reads a violation's form into v; a message key when a
// field is wrong, an error for anything else.
func (s *Server) readViolation(r *http.Request, v *paradero.Violation) (string, error) {
	ctx := r.Context()
	v.Type = paradero.ViolationType(formText(r, "type"))
	from, ok1 := formDate(r, "from")
	to, ok2 := formDate(r, "to")
	caseID, ok3 := formID(r, "case")
	switch {
	case !v.Type.Valid():
		return "form.invalid", nil
	case !ok1 || !ok2:
		return "form.date", nil
	case from.IsZero() && to.IsZero():
		return "violation.error.date", nil
	case !ok3:
		return "form.invalid", nil
	}
	v.Date = paradero.DateRange{From: from, To: to}
	v.Place, v.Perpetrator, v.Group = formText(r, "place"), formText(r, "perpetrator"), formText(r, "group")
	v.Notes, v.CaseID = strings.TrimSpace(r.PostFormValue("notes")), caseID
	v.Victims = nil
	for _, t := range splitTargets(r.PostFormValue("victims")) {
		rec, err := s.resolveTarget(ctx, t)
		if err != nil {
			return formKey(err)
		}
		if !containsVictim(v.Victims, rec) {
			v.Victims = append(v.Victims, paradero.Victim{RecordID: rec})
		}
	}
	if len(v.Victims) == 0 {
		return "violation.error.victims", nil
	}
	v.Sources = nil
	for _, t := range splitTargets(r.PostFormValue("sources")) {
		kind, n, ok := strings.Cut(t, ":")
		if !ok {
			kind, n = "source", kind
		}
		id, err := strconv.ParseInt(n, 10, 64)
		if err != nil || id <= 0 || kind != "source" && kind != "record" {
			return "violation.error.sources", nil
		}
		c := paradero.Citation{SourceID: id}
		if kind == "record" {
			c = paradero.Citation{RecordID: id}
		}
		v.Sources = append(v.Sources, c)
	}
	if len(v.Sources) == 0 {
		return "violation.error.sources", nil
	}
	if err := v.Validate(); err != nil {
		return "form.invalid", nil
	}
	return "", nil
}

func containsVictim(vs []paradero.Victim, rec int64) bool {
	for _, v := range vs {
		if v.RecordID == rec {
			return true
		}
	}
	return false
}

// createViolationForm records a violation from its form.
func (s *Server) createViolationForm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, paradero.PermRecordViolations); err != nil {
		return err
	}
	v := &paradero.Violation{}
	key, err := s.readViolation(r, v)
	if err != nil {
		return err
	}
	if key == "" {
		if key, err = formKey(s.createViolation(ctx, v)); err != nil {
			return err
		}
	}
	if key != "" {
		return s.renderViolationForm(w, r, http.StatusBadRequest, nil, r.PostForm, key)
	}
	http.Redirect(w, r, "/violations/"+strconv.FormatInt(v.ID, 10), http.StatusSeeOther)
	return nil
}

// violationEditPage shows the form filled with a violation.
func (s *Server) violationEditPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, paradero.PermRecordViolations); err != nil {
		return err
	}
	id, err := idParam(r)
	if err != nil {
		return err
	}
	v, err := s.loadViolation(ctx, id)
	if err != nil {
		return err
	}
	var victims, sources []string
	for _, x := range v.Victims {
		victims = append(victims, "record:"+strconv.FormatInt(x.RecordID, 10))
	}
	for _, c := range v.Sources {
		if c.RecordID != 0 {
			sources = append(sources, "record:"+strconv.FormatInt(c.RecordID, 10))
		} else {
			sources = append(sources, "source:"+strconv.FormatInt(c.SourceID, 10))
		}
	}
	form := url.Values{"type": {string(v.Type)}, "from": {v.Date.From.String()}, "to": {v.Date.To.String()},
		"place": {v.Place}, "perpetrator": {v.Perpetrator}, "group": {v.Group}, "notes": {v.Notes},
		"victims": {strings.Join(victims, "\n")}, "sources": {strings.Join(sources, "\n")}}
	if v.CaseID != 0 {
		form.Set("case", strconv.FormatInt(v.CaseID, 10))
	}
	return s.renderViolationForm(w, r, http.StatusOK, v, form, "")
}

// updateViolationForm changes a violation from its form.
func (s *Server) updateViolationForm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, paradero.PermRecordViolations); err != nil {
		return err
	}
	id, err := idParam(r)
	if err != nil {
		return err
	}
	old, err := s.loadViolation(ctx, id)
	if err != nil {
		return err
	}
	var v paradero.Violation
	key, err := s.readViolation(r, &v)
	if err != nil {
		return err
	}
	if key == "" {
		upd := paradero.ViolationUpdate{Type: &v.Type, Date: &v.Date, Place: &v.Place, Perpetrator: &v.Perpetrator,
			Group: &v.Group, Victims: &v.Victims, Sources: &v.Sources, CaseID: &v.CaseID, Notes: &v.Notes}
		_, err := s.updateViolation(ctx, id, upd)
		if key, err = formKey(err); err != nil {
			return err
		}
	}
	if key != "" {
		return s.renderViolationForm(w, r, http.StatusBadRequest, old, r.PostForm, key)
	}
	http.Redirect(w, r, "/violations/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}
