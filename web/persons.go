package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/linkage"
	"github.com/paradero/paradero/timeline"
)

// identityKeys are the record fields that say who someone is, in the
// order the person page lists them.
var identityKeys = []string{"full_name", "given_names", "surnames", "first_surname", "second_surname",
	"birth_date", "age", "sex", "nationality", "country_of_birth", "a_number", "passport", "other_documents"}

// identityRow is one identity field as each record wrote it, side by side.
// Conflict marks a field the sources give different values for: both are
// shown, never merged.
type identityRow struct {
	Key      string
	Label    string
	Values   []string
	Conflict bool
}

// evidenceView is one record behind a claim.
type evidenceView struct {
	RecordID, SourceID int64
	SourceTitle        string
	SourceKind         paradero.SourceKind
	Status             string
}

type eventView struct {
	N          int // 1-based, as conflicts refer to events
	Kind       paradero.EventKind
	Date       string
	FromSource bool
	Facility   string
	Place      string
	Custodian  string
	Flight     string
	Evidence   []evidenceView
	Conflict   bool
}

type factView struct {
	Kind       paradero.DueProcessKind
	Date       string
	Court      string
	Detail     string
	Evidence   []evidenceView
	Denied     bool
	CaseNumber string
	Decided    string
	Outcome    string
	Obeyed     string // "", paradero.FactObeyed or paradero.FactDisobeyed
	Breach     []evidenceView
}

// dueProcessKinds are the due-process facts the person page lists, in the
// order a case moves through them; a kind no source speaks of says so.
var dueProcessKinds = []paradero.DueProcessKind{paradero.FactChargingDocument, paradero.FactLawyerContact,
	paradero.FactConsularNotification, paradero.FactFamilyContact, paradero.FactFirstHearing, paradero.FactBond,
	paradero.FactFinalOrder, paradero.FactHabeasPetition, paradero.FactOrderNotToRemove}

// dueProcessRow is one kind of due-process fact and what the sources say
// of it, side by side when they disagree.
type dueProcessRow struct {
	Kind  paradero.DueProcessKind
	Facts []factView
}

func dueProcessRows(facts []factView) []dueProcessRow {
	out := make([]dueProcessRow, len(dueProcessKinds))
	for i, k := range dueProcessKinds {
		out[i].Kind = k
		for _, f := range facts {
			if f.Kind == k {
				out[i].Facts = append(out[i].Facts, f)
			}
		}
	}
	return out
}

type flagView struct {
	Since  string
	Reason string // in the page's language, from the flag's rule
	Orders []factView
}

type conflictView struct {
	Reason string // as package timeline words it, in English
	Events []int
}

type lineageView struct {
	paradero.Lineage
	Mention mention
}

type personData struct {
	Person       *paradero.Person // nil when a record not linked yet is its own person
	Own          *paradero.Record // that record
	Columns      []mention
	Rows         []identityRow
	Status       paradero.PersonStatus
	Flag         *flagView
	Last         *eventView
	Events       []eventView
	Undated      []eventView
	Conflicts    []conflictView
	Facts        []factView
	Unclassified []evidenceView
	Lineage      []lineageView
	DueProcess   []dueProcessRow
	Follow       *personFollow    // nil when the store keeps no follows
	Watch        []watchRow       // what each locator last said of the person
	Cases        []*paradero.Case // the viewer's cases that concern the person (cases.go)
	Violations   []violationRow   // recorded against the person (violations.go)
}

// personPage shows a person: the identity as each source wrote it, the
// custody timeline with its sources, the derived status and any
// disappearance flag, and every record the person ever held.
func (s *Server) personPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := idParam(r)
	if err != nil {
		return err
	}
	p, ms, err := s.findPerson(ctx, id)
	if err != nil {
		return err
	}
	pr := Printer{stateOf(ctx).printer}
	d := s.personView(pr, p.Records, ms)
	d.Person = p
	for _, l := range p.Lineage {
		d.Lineage = append(d.Lineage, lineageView{Lineage: l, Mention: ms[l.RecordID]})
	}
	if d.Follow, err = s.personFollowOf(r, p.ID); err != nil {
		return err
	}
	if d.Watch, err = s.personWatchOf(ctx, pr, p.Records, ms); err != nil {
		return err
	}
	if d.Cases, d.Violations, err = s.personPanels(r, p.Records); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "person", pr.T("person.title", p.ID), "search", d)
}

// recordPersonPage sends a record's reader to its person, or shows the
// record as its own person when it is not linked (or the store keeps no
// persons).
func (s *Server) recordPersonPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := idParam(r)
	if err != nil {
		return err
	}
	rec, src, err := s.findRecord(ctx, id)
	if err != nil {
		return err
	}
	p, err := s.personOfRecord(ctx, id)
	if err != nil {
		return err
	}
	if p != nil {
		http.Redirect(w, r, "/persons/"+strconv.FormatInt(p.ID, 10), http.StatusSeeOther)
		return nil
	}
	pr := Printer{stateOf(ctx).printer}
	d := s.personView(pr, []int64{id}, map[int64]mention{id: {Record: rec, Source: src}})
	d.Own = rec
	if d.Cases, d.Violations, err = s.personPanels(r, []int64{id}); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "person", pr.T("person.own.title", rec.ID), "search", d)
}

// personView lays out the records ids (with their mentions) as a person.
func (s *Server) personView(p Printer, ids []int64, ms map[int64]mention) personData {
	var d personData
	var tl []timeline.Mention
	for _, id := range ids {
		m := ms[id]
		d.Columns = append(d.Columns, m)
		tl = append(tl, timeline.Mention{Record: m.Record, Source: m.Source})
	}
	for _, key := range identityKeys {
		f, _ := paradero.LookupRecordField(key)
		row := identityRow{Key: key, Label: p.Field(key)}
		distinct := make(map[string]bool)
		for _, m := range d.Columns {
			v := f.Get(m.Record)
			if v != "" {
				distinct[linkage.Fold(v)] = true
				if f.Date {
					if pd, err := paradero.ParsePartialDate(v); err == nil {
						v = p.PartialDate(pd)
					}
				}
			}
			row.Values = append(row.Values, v)
		}
		if len(distinct) == 0 {
			continue
		}
		row.Conflict = len(distinct) > 1
		d.Rows = append(d.Rows, row)
	}
	t := timelineOf(tl, s.now())
	d.Status = t.Status
	evidence := func(es []paradero.Evidence) []evidenceView {
		out := make([]evidenceView, len(es))
		for i, e := range es {
			out[i] = evidenceView{RecordID: e.RecordID, SourceID: e.SourceID, SourceKind: e.SourceKind, Status: e.Status}
			if m, ok := ms[e.RecordID]; ok {
				out[i].SourceTitle = m.Source.Title
			}
		}
		return out
	}
	event := func(n int, e paradero.Event) eventView {
		return eventView{N: n, Kind: e.Kind, Date: dateRange(p, e.Date), FromSource: e.DateFromSource,
			Facility: e.Facility, Place: e.Place, Custodian: e.Custodian, Flight: e.Flight, Evidence: evidence(e.Evidence)}
	}
	fact := func(f paradero.DueProcessFact) factView {
		return factView{Kind: f.Kind, Date: dateRange(p, f.Date), Court: f.Court, Detail: f.Detail, Evidence: evidence(f.Evidence),
			Denied: f.Denied, CaseNumber: f.CaseNumber, Decided: dateRange(p, f.Decided), Outcome: f.Outcome, Obeyed: f.Obeyed,
			Breach: evidence(f.Breach)}
	}
	inConflict := make(map[int]bool)
	for _, c := range t.Conflicts {
		cv := conflictView{Reason: c.Reason}
		for _, i := range c.Events {
			inConflict[i] = true
			cv.Events = append(cv.Events, i+1)
		}
		d.Conflicts = append(d.Conflicts, cv)
	}
	for i, e := range t.Events {
		ev := event(i+1, e)
		ev.Conflict = inConflict[i]
		d.Events = append(d.Events, ev)
	}
	for _, e := range t.Undated {
		d.Undated = append(d.Undated, event(0, e))
	}
	if t.LastConfirmed != nil {
		ev := event(0, *t.LastConfirmed)
		d.Last = &ev
	}
	for _, f := range t.Facts {
		d.Facts = append(d.Facts, fact(f))
	}
	d.DueProcess = dueProcessRows(d.Facts)
	if t.Flag != nil {
		d.Flag = &flagView{Since: dateRange(p, t.Flag.Since), Reason: flagReason(p, t.Flag)}
		for _, o := range t.Flag.Orders {
			d.Flag.Orders = append(d.Flag.Orders, fact(o))
		}
	}
	d.Unclassified = evidence(t.Unclassified)
	return d
}

// timelineOf builds the custody timeline of a person's mentions at now:
// the one the person page draws and the API returns.
func timelineOf(ms []timeline.Mention, now time.Time) *timeline.Timeline {
	return timeline.Build(ms, nil, timeline.Options{Now: now})
}

// dateRange formats a date or a range of dates.
func dateRange(p Printer, r paradero.DateRange) string {
	from, to := p.PartialDate(r.From), p.PartialDate(r.To)
	switch {
	case to == "" || to == from:
		return from
	case from == "":
		return p.T("date.until", to)
	}
	return p.T("date.range", from, to)
}

// flagReason says why whereabouts are unknown in the page's language, from
// the rule the timeline applied; the court orders are listed apart.
func flagReason(p Printer, f *timeline.Flag) string {
	key := "person.flag.rule." + string(f.Rule)
	since := dateRange(p, f.Since)
	switch f.Rule {
	case timeline.RuleFlightUnconfirmed:
		flight := f.Flight
		if flight == "" {
			flight = p.T("person.flag.unnamed-flight")
		}
		return p.T(key, flight, since, p.Number(f.Days), p.Number(f.Threshold))
	case timeline.RuleHeldUnconfirmed:
		return p.T(key, since, p.Number(f.Days), p.Number(f.Threshold))
	case timeline.RuleNeverPlaced:
		return p.T(key)
	}
	return p.T(key, since)
}
