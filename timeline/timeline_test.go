package timeline

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero"
)

func TestInterpret(t *testing.T) {
	tests := []struct {
		status string
		want   Meaning
		known  bool
	}{
		{"detenido", Meaning{Event: paradero.EventHeld}, true},
		{"DETENIDA", Meaning{Event: paradero.EventHeld}, true},
		{"En custodia", Meaning{Event: paradero.EventHeld}, true},
		{"in ICE custody", Meaning{Event: paradero.EventHeld}, true},
		{"not in ICE custody", Meaning{Event: paradero.EventNotInCustody}, true},
		{"Not in custody", Meaning{Event: paradero.EventNotInCustody}, true},
		{"no está bajo custodia", Meaning{Event: paradero.EventNotInCustody}, true},
		{"no match", Meaning{NoMatch: true}, true},
		{"removed to El Salvador", Meaning{Event: paradero.EventRemovalFlight}, true},
		{"deportado", Meaning{Event: paradero.EventRemovalFlight}, true},
		{"Deportada a Honduras", Meaning{Event: paradero.EventRemovalFlight}, true},
		{"liberado", Meaning{Event: paradero.EventRelease}, true},
		{"released on bond", Meaning{Event: paradero.EventRelease, Fact: paradero.FactBond}, true},
		{"trasladado", Meaning{Event: paradero.EventTransfer}, true},
		{"Trasladado al CECOT", Meaning{Event: paradero.EventTransfer}, true},
		{"entregado a la DGCP", Meaning{Event: paradero.EventForeignCustody}, true},
		{"repatriado", Meaning{Event: paradero.EventReturn}, true},
		{"fallecido", Meaning{Event: paradero.EventDeath}, true},
		{"murió detenido", Meaning{Event: paradero.EventDeath}, true},
		{"audiencia", Meaning{Event: paradero.EventHearing}, true},
		{"arrested", Meaning{Event: paradero.EventArrest}, true},
		{"booked", Meaning{Event: paradero.EventBooked}, true},
		{"orden de no deportar", Meaning{Fact: paradero.FactOrderNotToRemove}, true},
		{"Order not to remove (TRO)", Meaning{Fact: paradero.FactOrderNotToRemove}, true},
		{"habeas corpus presentado", Meaning{Fact: paradero.FactHabeasPetition}, true},
		{"notice to appear served", Meaning{Event: paradero.EventCharged, Fact: paradero.FactChargingDocument}, true},
		{"in foreign custody", Meaning{Event: paradero.EventForeignCustody}, true},
		{"en custodia extranjera", Meaning{Event: paradero.EventForeignCustody}, true},
		{"vanished from locator (not found 3 of 3 attempts)", Meaning{Event: paradero.EventVanished}, true},
		{"unreleased", Meaning{}, false}, // whole words only
		{"pendiente", Meaning{}, false},
		{"", Meaning{}, false},
	}
	for _, tt := range tests {
		got, known := Interpret(tt.status)
		if got != tt.want || known != tt.known {
			t.Errorf("Interpret(%q) = %+v, %v, want %+v, %v", tt.status, got, known, tt.want, tt.known)
		}
	}
}

func day(s string) paradero.DateRange {
	d, err := paradero.ParseDateRange(s)
	if err != nil {
		panic(err)
	}
	return d
}

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// rec builds a mention: status, facility, date, and the source's kind.
type rec struct {
	status, facility, place, flight, date string
	nationality                           string
	kind                                  paradero.SourceKind
	published                             string
}

func mentions(rs ...rec) []Mention {
	var out []Mention
	for i, r := range rs {
		kind := r.kind
		if kind == "" {
			kind = paradero.KindLocatorSnapshot
		}
		src := &paradero.Source{ID: int64(100 + i), Kind: kind}
		if r.published != "" {
			src.Published = day(r.published).From
		}
		out = append(out, Mention{
			Record: &paradero.Record{ID: int64(i + 1), SourceID: src.ID, ANumber: "200000001",
				Status: r.status, Facility: r.facility, Place: r.place, Flight: r.flight, EventDate: day(r.date),
				Nationality: r.nationality},
			Source: src,
		})
	}
	return out
}

func TestBuildStatus(t *testing.T) {
	now := at("2025-04-01")
	tests := []struct {
		name       string
		recs       []rec
		extra      []paradero.Event
		want       paradero.PersonStatus
		flag       string // substring of the flag's reason; "" for no flag
		rule       FlagRule
		lastFacil  string
		wantEvents int
	}{
		{name: "no records", want: paradero.StatusAtLiberty},
		{name: "detained recently",
			recs: []rec{{status: "in ICE custody", facility: "STEWART", date: "2025-03-25"}},
			want: paradero.StatusDetained, lastFacil: "STEWART", wantEvents: 1},
		{name: "date from the source",
			recs: []rec{{facility: "STEWART", published: "2025-03-25"}},
			want: paradero.StatusDetained, lastFacil: "STEWART", wantEvents: 1},
		{name: "unconfirmed too long",
			recs: []rec{{status: "detenido", facility: "STEWART", date: "2025-01-10"}},
			want: paradero.StatusWhereaboutsUnknown, flag: "since 2025-01-10 (81 days, over the threshold of 30)", lastFacil: "STEWART", wantEvents: 1},
		{name: "month-only date counts from its end",
			recs: []rec{{status: "detenido", facility: "STEWART", date: "2025-03"}},
			want: paradero.StatusDetained, lastFacil: "STEWART", wantEvents: 1},
		{name: "not in custody without release",
			recs: []rec{
				{status: "in ICE custody", facility: "EL VALLE", date: "2025-03-10"},
				{status: "not in ICE custody", date: "2025-03-19"},
			},
			want: paradero.StatusWhereaboutsUnknown, flag: "\"not in custody\" on 2025-03-19, and no record says they were released", lastFacil: "EL VALLE", wantEvents: 2},
		{name: "not in custody after a release",
			recs: []rec{
				{status: "in ICE custody", facility: "EL VALLE", date: "2025-03-10"},
				{status: "liberado", place: "Harlingen, TX", date: "2025-03-12"},
				{status: "not in ICE custody", date: "2025-03-19"},
			},
			want: paradero.StatusReleased, lastFacil: "", wantEvents: 3},
		{name: "release the same day as the locator drop",
			recs: []rec{
				{status: "in ICE custody", facility: "EL VALLE", date: "2025-03-10"},
				{status: "not in ICE custody", date: "2025-03-19"},
				{status: "released", date: "2025-03-19"},
			},
			want: paradero.StatusReleased, lastFacil: "EL VALLE", wantEvents: 3},
		{name: "removed to a named prison",
			recs: []rec{
				{status: "in ICE custody", facility: "EL VALLE", date: "2025-03-10"},
				{status: "removed to El Salvador", facility: "CECOT", date: "2025-03-16"},
			},
			want: paradero.StatusDetained, lastFacil: "CECOT", wantEvents: 3},
		{name: "flight without a destination, long ago",
			recs: []rec{
				{status: "detenido", facility: "EL VALLE", date: "2025-02-10"},
				{flight: "HRL-SAL 1", date: "2025-02-15", kind: paradero.KindManifest},
			},
			want: paradero.StatusWhereaboutsUnknown, flag: "removal flight HRL-SAL 1 on 2025-02-15", rule: RuleFlightUnconfirmed, lastFacil: "EL VALLE", wantEvents: 2},
		{name: "vanished from a locator (watch)",
			recs: []rec{{status: "in ICE custody", facility: "EL VALLE", date: "2025-03-14"}},
			extra: []paradero.Event{{Kind: paradero.EventVanished, Date: day("2025-03-16"),
				Evidence: []paradero.Evidence{{SourceID: 7, SourceKind: paradero.KindLocatorSnapshot}}}},
			want: paradero.StatusWhereaboutsUnknown, flag: "stopped answering for the person on 2025-03-16", rule: RuleStoppedAnswering, lastFacil: "EL VALLE", wantEvents: 2},
		{name: "returned",
			recs: []rec{
				{status: "detenido", facility: "CECOT", date: "2025-03-16"},
				{status: "repatriado", place: "Maiquetía", date: "2025-07-18"},
			},
			want: paradero.StatusReturned, lastFacil: "", wantEvents: 2},
		{name: "on a return manifest: a flight home",
			recs: []rec{
				{status: "detenido", facility: "CECOT", date: "2025-03-16"},
				{flight: "SAL-CCS 1", place: "Maiquetía, Venezuela", nationality: "VENEZOLANO", date: "2025-07-18", kind: paradero.KindManifest},
			},
			want: paradero.StatusReturned, lastFacil: "", wantEvents: 2},
		{name: "a flight abroad is not a return",
			recs: []rec{
				{status: "detenido", facility: "EL VALLE", date: "2025-03-10"},
				{flight: "HRL-SAL 1", place: "San Salvador, El Salvador", nationality: "VENEZOLANO", date: "2025-03-15", kind: paradero.KindManifest},
			},
			want: paradero.StatusInTransit, lastFacil: "EL VALLE", wantEvents: 2},
		{name: "removed from the facility that held them",
			recs: []rec{
				{status: "in ICE custody", facility: "EL VALLE", date: "2025-03-10"},
				{status: "removed to El Salvador", facility: "EL VALLE", date: "2025-03-16", kind: paradero.KindCourtFiling},
			},
			// Held, then the flight: no handover at El Valle.
			want: paradero.StatusInTransit, lastFacil: "EL VALLE", wantEvents: 2},
		{name: "deceased",
			recs: []rec{{status: "detenido", facility: "CECOT", date: "2025-03-16"}, {status: "fallecido", date: "2025-03-20"}},
			want: paradero.StatusDeceased, lastFacil: "CECOT", wantEvents: 2},
		{name: "vanished, then the foreign roster places them",
			recs: []rec{
				{status: "in ICE custody", facility: "EL VALLE", date: "2025-03-10"},
				{status: "vanished from locator", date: "2025-03-14/2025-03-16"},
				{status: "in foreign custody", facility: "CECOT", date: "2025-03-15", kind: paradero.KindRoster},
			},
			want: paradero.StatusDetained, lastFacil: "CECOT", wantEvents: 3},
		{name: "handed over the day last seen: the handover explains the vanishing",
			recs: []rec{
				{status: "in ICE custody", facility: "EL VALLE", date: "2025-03-10"},
				{status: "vanished from locator", date: "2025-03-15/2025-03-16"},
				{status: "in foreign custody", facility: "CECOT", date: "2025-03-15", kind: paradero.KindRoster},
			},
			want: paradero.StatusDetained, lastFacil: "CECOT", wantEvents: 3},
		{name: "vanished with no roster",
			recs: []rec{
				{status: "in ICE custody", facility: "EL VALLE", date: "2025-03-10"},
				{status: "vanished from locator", date: "2025-03-14/2025-03-16"},
			},
			want: paradero.StatusWhereaboutsUnknown, flag: "stopped answering for the person on 2025-03-14/2025-03-16", rule: RuleStoppedAnswering,
			lastFacil: "EL VALLE", wantEvents: 2},
		{name: "seen held the day last seen does not explain it",
			recs: []rec{
				{status: "in ICE custody", facility: "EL VALLE", date: "2025-03-15"},
				{status: "vanished from locator", date: "2025-03-15/2025-03-16"},
			},
			want: paradero.StatusWhereaboutsUnknown, rule: RuleStoppedAnswering, flag: "stopped answering", lastFacil: "EL VALLE", wantEvents: 2},
		{name: "no match makes nothing",
			recs: []rec{{status: "no match", date: "2025-03-19"}},
			want: paradero.StatusAtLiberty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := Build(mentions(tt.recs...), tt.extra, Options{Now: now})
			if tl.Status != tt.want {
				t.Errorf("Status = %s, want %s (flag %+v)", tl.Status, tt.want, tl.Flag)
			}
			switch {
			case tt.flag == "" && tl.Flag != nil:
				t.Errorf("Flag = %q, want none", tl.Flag.Reason)
			case tt.flag != "" && tl.Flag == nil:
				t.Errorf("Flag = nil, want one saying %q", tt.flag)
			case tt.flag != "" && !strings.Contains(tl.Flag.Reason, tt.flag):
				t.Errorf("Flag = %q, want it to say %q", tl.Flag.Reason, tt.flag)
			case tt.rule != "" && tl.Flag.Rule != tt.rule:
				t.Errorf("Flag.Rule = %q, want %q (the code pages translate)", tl.Flag.Rule, tt.rule)
			}
			var got string
			if tl.LastConfirmed != nil {
				got = firstOf(tl.LastConfirmed.Facility)
			}
			if got != tt.lastFacil {
				t.Errorf("LastConfirmed facility = %q, want %q", got, tt.lastFacil)
			}
			if len(tl.Events) != tt.wantEvents {
				t.Errorf("%d events, want %d: %+v", len(tl.Events), tt.wantEvents, tl.Events)
			}
		})
	}
}

func TestOrderNotToRemoveNamed(t *testing.T) {
	ms := mentions(
		rec{status: "in ICE custody", facility: "EL VALLE", date: "2025-03-10"},
		rec{status: "Order not to remove", date: "2025-03-12", kind: paradero.KindCourtFiling},
		rec{status: "not in ICE custody", date: "2025-03-16"},
	)
	ms[1].Record.Custodian = "US District Court, D.D.C."
	tl := Build(ms, nil, Options{Now: at("2025-03-17")})
	if tl.Flag == nil {
		t.Fatalf("no flag; status %s", tl.Status)
	}
	for _, want := range []string{`court order not to remove is on record: "Order not to remove"`, "D.D.C.", "2025-03-12", "source 101"} {
		if !strings.Contains(tl.Flag.Reason, want) {
			t.Errorf("Flag = %q, want it to say %q", tl.Flag.Reason, want)
		}
	}
	if len(tl.Flag.Orders) != 1 || len(tl.Facts) != 1 {
		t.Errorf("orders %d, facts %d, want 1, 1", len(tl.Flag.Orders), len(tl.Facts))
	}
}

func TestAgreeingClaimsMerge(t *testing.T) {
	tl := Build(mentions(
		rec{status: "detenido", facility: "Stewart Detention Center", date: "2025-03-01"},
		rec{status: "in custody", facility: "STEWART DETENTION CENTER", date: "2025-03-01", kind: paradero.KindRoster},
	), nil, Options{})
	if len(tl.Events) != 1 || len(tl.Events[0].Evidence) != 2 {
		t.Fatalf("events = %+v, want one with two pieces of evidence", tl.Events)
	}
	if len(tl.Conflicts) != 0 {
		t.Errorf("conflicts = %+v, want none", tl.Conflicts)
	}
}

func TestConflictsSideBySide(t *testing.T) {
	tl := Build(mentions(
		rec{status: "detenido", facility: "STEWART", date: "2025-03-01"},
		rec{status: "detenido", facility: "OTERO", date: "2025-03-01"},
		rec{status: "fallecido", date: "2025-03-05"},
		rec{status: "in custody", facility: "OTERO", date: "2025-03-09"},
	), nil, Options{})
	if len(tl.Events) != 4 {
		t.Fatalf("%d events, want 4 (both claims kept)", len(tl.Events))
	}
	if len(tl.Conflicts) != 2 {
		t.Fatalf("conflicts = %+v, want 2", tl.Conflicts)
	}
	if c := tl.Conflicts[0]; len(c.Events) != 2 || !strings.Contains(c.Reason, "2 different places on 2025-03-01") {
		t.Errorf("conflict 0 = %+v", c)
	}
	if c := tl.Conflicts[1]; len(c.Events) != 2 || !strings.Contains(c.Reason, "reports death on 2025-03-05") {
		t.Errorf("conflict 1 = %+v", c)
	}
}

func TestTransfersEachWithSource(t *testing.T) {
	fac := []string{"EL VALLE", "PORT ISABEL", "OTERO", "STEWART"}
	var rs []rec
	for i, f := range fac {
		rs = append(rs, rec{status: "in ICE custody", facility: f, date: fmt.Sprintf("2025-03-%02d", 1+2*i)})
	}
	tl := Build(mentions(rs...), nil, Options{Now: at("2025-03-09")})
	if len(tl.Events) != 4 {
		t.Fatalf("%d events, want 4", len(tl.Events))
	}
	for i, e := range tl.Events {
		if e.Facility != fac[i] || len(e.Evidence) != 1 || e.Evidence[0].SourceID != int64(100+i) {
			t.Errorf("event %d = %s at %s from %+v, want %s from source %d", i, e.Kind, e.Facility, e.Evidence, fac[i], 100+i)
		}
	}
	if tl.LastConfirmed == nil || tl.LastConfirmed.Facility != "STEWART" || tl.Status != paradero.StatusDetained {
		t.Errorf("status %s, last %+v", tl.Status, tl.LastConfirmed)
	}
}

func TestUnclassifiedAndUndated(t *testing.T) {
	ms := mentions(rec{status: "pendiente de revisión"}, rec{facility: "CECOT"})
	ms[1].Source.Published = paradero.PartialDate{}
	tl := Build(ms, nil, Options{})
	if len(tl.Unclassified) != 1 || tl.Unclassified[0].RecordID != 1 {
		t.Errorf("Unclassified = %+v, want record 1", tl.Unclassified)
	}
	if len(tl.Undated) != 1 || len(tl.Events) != 0 {
		t.Errorf("Undated = %+v, Events = %+v", tl.Undated, tl.Events)
	}
}

func TestRedactedSkipped(t *testing.T) {
	ms := mentions(rec{status: "detenido", facility: "X", date: "2025-03-01"})
	ms[0].Record.Redaction = &paradero.Redaction{}
	if tl := Build(ms, nil, Options{}); len(tl.Events) != 0 {
		t.Errorf("redacted record made events: %+v", tl.Events)
	}
}

func manyMentions(n int) []Mention {
	statuses := []string{"in ICE custody", "trasladado", "detenido", "audiencia", "not in ICE custody"}
	rs := make([]rec, n)
	for i := range rs {
		d := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)
		rs[i] = rec{status: statuses[i%len(statuses)], facility: fmt.Sprintf("FACILITY %d", i%37), date: d.Format("2006-01-02")}
	}
	return mentions(rs...)
}

func TestThousandEventsFast(t *testing.T) {
	ms := manyMentions(1000)
	start := time.Now()
	tl := Build(ms, nil, Options{Now: at("2025-01-01")})
	if el := time.Since(start); el > 100*time.Millisecond { // generous under -race; the benchmark measures
		t.Errorf("Build of 1000 events took %v", el)
	}
	if len(tl.Events) != 1000 {
		t.Errorf("%d events, want 1000", len(tl.Events))
	}
}

func BenchmarkBuild1000(b *testing.B) {
	ms := manyMentions(1000)
	now := at("2025-01-01")
	for b.Loop() {
		Build(ms, nil, Options{Now: now})
	}
}

func factsOfKind(tl *Timeline, k paradero.DueProcessKind) []paradero.DueProcessFact {
	var out []paradero.DueProcessFact
	for _, f := range tl.Facts {
		if f.Kind == k {
			out = append(out, f)
		}
	}
	return out
}

func TestDueProcessFromNotesAndSource(t *testing.T) {
	ms := mentions(rec{facility: "CECOT", kind: paradero.KindCourtFiling, published: "2025-04"})
	ms[0].Source.Title = "Habeas corpus petition for Venezuelans held in CECOT, Supreme Court of El Salvador (synthetic)"
	ms[0].Record.Notes = "Ingresó al CECOT el 16 de marzo de 2025; sin acceso a abogado ni a su familia"
	tl := Build(ms, nil, Options{})
	tests := []struct {
		kind   paradero.DueProcessKind
		denied bool
	}{
		{paradero.FactHabeasPetition, false},
		{paradero.FactLawyerContact, true},
		{paradero.FactFamilyContact, true},
	}
	for _, tt := range tests {
		fs := factsOfKind(tl, tt.kind)
		if len(fs) != 1 || fs[0].Denied != tt.denied || fs[0].Date.String() != "2025-04" || len(fs[0].Evidence) != 1 || fs[0].Evidence[0].SourceID != 100 {
			t.Errorf("%s facts = %+v, want one, denied %v, of 2025-04, from source 100", tt.kind, fs, tt.denied)
		}
	}
	if len(tl.Facts) != 3 {
		t.Errorf("facts = %+v, want 3", tl.Facts)
	}
	// A family's note: the last call is family contact; nothing else.
	ms = mentions(rec{kind: paradero.KindFamilyReport, published: "2025-04-30"})
	ms[0].Record.Notes = "Su última llamada fue desde Raymondville. Creemos que lo enviaron a El Salvador."
	if fs := Build(ms, nil, Options{}).Facts; len(fs) != 1 || fs[0].Kind != paradero.FactFamilyContact || fs[0].Denied {
		t.Errorf("family note facts = %+v, want one family contact", fs)
	}
}

func TestDueProcessFromColumns(t *testing.T) {
	ms := mentions(
		rec{status: "in ICE custody", facility: "EL VALLE", date: "2025-03-10"},
		rec{kind: paradero.KindCourtFiling, date: "2025-03-20"},
	)
	ms[1].Record.Extra = []paradero.Field{
		{Name: "Orden de no deportar", Value: "15/03/2025"},
		{Name: "Número de caso", Value: "1:25-cv-00766"},
		{Name: "Tribunal", Value: "D.D.C."},
		{Name: "Cumplida", Value: "no"},
		{Name: "Abogado", Value: "Sin abogado"},
		{Name: "Notificación consular", Value: "sí"},
		{Name: "Fianza", Value: "denegada"},
		{Name: "Foto", Value: "x.jpg"},
	}
	tl := Build(ms, nil, Options{})
	orders := factsOfKind(tl, paradero.FactOrderNotToRemove)
	if len(orders) != 1 {
		t.Fatalf("orders = %+v, want 1", orders)
	}
	if o := orders[0]; o.Date.String() != "2025-03-15" || o.CaseNumber != "1:25-cv-00766" || o.Court != "D.D.C." || o.Obeyed != paradero.FactDisobeyed {
		t.Errorf("order = %+v, want of 2025-03-15, case 1:25-cv-00766, D.D.C., disobeyed (the column says so)", o)
	}
	for _, tt := range []struct {
		kind   paradero.DueProcessKind
		denied bool
	}{{paradero.FactLawyerContact, true}, {paradero.FactConsularNotification, false}, {paradero.FactBond, true}} {
		if fs := factsOfKind(tl, tt.kind); len(fs) != 1 || fs[0].Denied != tt.denied {
			t.Errorf("%s = %+v, want one, denied %v", tt.kind, fs, tt.denied)
		}
	}
	if len(tl.Facts) != 4 {
		t.Errorf("facts = %+v, want 4 (the photo column says nothing)", tl.Facts)
	}
}

func TestOrderObeyedFromTimeline(t *testing.T) {
	tests := []struct {
		name, removal string
		want          string
	}{
		{"removed the next day", "2025-03-16", paradero.FactDisobeyed},
		{"removed the same day: left to the reader", "2025-03-15", ""},
		{"removed before the order", "2025-03-10", ""},
	}
	// Removed before the order, returned home after it: no breach.
	tl := Build(mentions(
		rec{status: "in foreign custody", facility: "CECOT", date: "2025-03-16"},
		rec{status: "order not to remove", date: "2025-04-01", kind: paradero.KindCourtFiling},
		rec{status: "repatriado", place: "Maiquetía", date: "2025-07-18"},
	), nil, Options{})
	if o := factsOfKind(tl, paradero.FactOrderNotToRemove); len(o) != 1 || o[0].Obeyed != "" {
		t.Errorf("order after the removal = %+v, want obedience left open", o)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := Build(mentions(
				rec{status: "in ICE custody", facility: "EL VALLE", date: "2025-03-01"},
				rec{status: "temporary restraining order", date: "2025-03-15", kind: paradero.KindCourtFiling},
				rec{flight: "HRL-SAL 1", date: tt.removal, kind: paradero.KindManifest},
			), nil, Options{})
			o := factsOfKind(tl, paradero.FactOrderNotToRemove)
			if len(o) != 1 || o[0].Obeyed != tt.want {
				t.Fatalf("order = %+v, want obeyed %q", o, tt.want)
			}
			if tt.want == paradero.FactDisobeyed && (len(o[0].Breach) != 1 || o[0].Breach[0].SourceID != 102) {
				t.Errorf("breach = %+v, want the manifest (source 102)", o[0].Breach)
			}
		})
	}
}

func TestFirstHearing(t *testing.T) {
	ms := mentions(
		rec{status: "audiencia", date: "2025-03-10", kind: paradero.KindCourtFiling},
		rec{status: "hearing", date: "2025-02-20", kind: paradero.KindCourtFiling},
	)
	ms[1].Record.Custodian = "Immigration Court, Harlingen"
	fs := factsOfKind(Build(ms, nil, Options{}), paradero.FactFirstHearing)
	if len(fs) != 1 || fs[0].Date.String() != "2025-02-20" || fs[0].Court != "Immigration Court, Harlingen" || fs[0].Evidence[0].RecordID != 2 {
		t.Errorf("first hearing = %+v, want 2025-02-20 at the immigration court, from record 2", fs)
	}
}

func TestDeniedOrderIsNotNamed(t *testing.T) {
	ms := mentions(
		rec{status: "in ICE custody", facility: "EL VALLE", date: "2025-03-10"},
		rec{kind: paradero.KindCourtFiling, date: "2025-03-12"},
		rec{status: "not in ICE custody", date: "2025-03-16"},
	)
	ms[1].Record.Notes = "Stay of removal denied"
	tl := Build(ms, nil, Options{})
	if tl.Flag == nil || len(tl.Flag.Orders) != 0 || strings.Contains(tl.Flag.Reason, "order") {
		t.Errorf("flag = %+v, want one naming no order", tl.Flag)
	}
}
