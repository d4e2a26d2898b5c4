// Package timeline derives a person's custody timeline, status and
// due-process facts from the records that mention them, and detects
// disappearance. It is a pure core: values in, values out, no I/O.
//
// Why this shape:
//   - Every event keeps the records (and their sources) behind it. Claims
//     that agree (same kind, date, facility, place and flight) are folded
//     into one event with all their evidence; claims that disagree (held in
//     two places on the same day, seen after a reported death) stay side by
//     side and are listed in Conflicts — never silently merged.
//   - A status as a list writes it ("detenido", "not in ICE custody",
//     "removed to El Salvador") is read through one documented vocabulary
//     (Interpret; docs/timeline.md). A status the vocabulary does not know
//     makes no event; the record is listed in Unclassified so nothing is lost.
//   - Disappearance is detected, not declared (DESIGN.md §2.5): a person
//     deprived of liberty whose whereabouts no source has confirmed for
//     longer than Options.Threshold, or who left a locator ("not in
//     custody", or a watch's confirmed "vanished") with no record of release
//     or of where they were sent, gets StatusWhereaboutsUnknown and a Flag
//     whose Reason says why in plain words, naming any court order not to
//     remove on record. A handover to a foreign custodian, a release, a
//     return or a death explains a vanishing that starts the same day:
//     the locator stops knowing someone the day another state takes them.
//   - Due-process facts come from statuses, extra columns, notes (read for
//     due-process phrases only, denials first) and court-filing sources
//     (dueprocess.go); a source saying something did not happen is a fact
//     too (Denied), and an order not to remove followed by a removal is
//     marked disobeyed with the removal's evidence.
//   - Dates are partial or ranges. Events sort by the earliest day a date
//     allows; "confirmed since" uses the latest, so a month-only date never
//     makes a person look missing sooner than the source allows.
package timeline

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/linkage"
)

// Mention is one record about the person and the source it comes from.
type Mention struct {
	Record *paradero.Record
	Source *paradero.Source // may be nil; then the record must carry a date
}

// DefaultThreshold is how long a person deprived of liberty may go
// unconfirmed before being flagged: 30 days, a month of rosters.
const DefaultThreshold = 30 * 24 * time.Hour

// Options tune Build.
type Options struct {
	// Now is the day of the assessment; the zero value skips the
	// threshold rule (an undated assessment cannot say "for too long").
	Now time.Time
	// Threshold is how long without confirmation makes whereabouts
	// unknown; 0 means DefaultThreshold.
	Threshold time.Duration
}

// Timeline is what the records say about one person.
type Timeline struct {
	Events       []paradero.Event // dated, in order
	Undated      []paradero.Event // claims with no date, neither from the record nor its source
	Conflicts    []Conflict
	Facts        []paradero.DueProcessFact
	Unclassified []paradero.Evidence // records whose status the vocabulary does not know

	Status paradero.PersonStatus
	// LastConfirmed is the latest event that placed the person somewhere
	// (a facility, place or custodian); nil if none.
	LastConfirmed *paradero.Event
	// Flag is set when whereabouts are unknown.
	Flag *Flag
}

// Conflict is a set of events (indexes into Events) whose claims cannot all
// be true, with why.
type Conflict struct {
	Events []int
	Reason string
}

// Flag says why a person's whereabouts are unknown.
type Flag struct {
	Reason string                    // in English, for logs and the command line
	Since  paradero.DateRange        // of the last confirmed whereabouts, or of the vanishing
	Orders []paradero.DueProcessFact // court orders not to remove on record

	// The same, as facts a page can put in its own language: the rule that
	// raised the flag and what it counted.
	Rule      FlagRule
	Flight    string // the removal flight, for RuleFlightUnconfirmed
	Days      int64  // days without confirmation
	Threshold int64  // the threshold in days
}

// FlagRule names why a flag was raised.
type FlagRule string

const (
	RuleStoppedAnswering            FlagRule = "stopped-answering"              // a locator stopped answering; nothing says where to
	RuleStoppedAnsweringAfterFlight FlagRule = "stopped-answering-after-flight" // … after a flight to an unrecorded destination
	RuleNotInCustody                FlagRule = "not-in-custody"                 // a locator said "not in custody"; nothing says where to
	RuleNotInCustodyAfterFlight     FlagRule = "not-in-custody-after-flight"    // … after a flight to an unrecorded destination
	RuleFlightUnconfirmed           FlagRule = "flight-unconfirmed"             // removal flight, no confirmation since, over the threshold
	RuleHeldUnconfirmed             FlagRule = "held-unconfirmed"               // held, no confirmation since, over the threshold
	RuleNeverPlaced                 FlagRule = "never-placed"                   // deprived of liberty, never placed anywhere
)

// Build derives the timeline of the person mentioned by ms. extra holds
// events derived elsewhere (a watch's "vanished"), with their evidence.
// Records that are redacted (no content) are skipped.
func Build(ms []Mention, extra []paradero.Event, opt Options) *Timeline {
	if opt.Threshold <= 0 {
		opt.Threshold = DefaultThreshold
	}
	t := &Timeline{}
	var evs []paradero.Event
	countries := linkage.NewCountries()
	for _, m := range ms {
		if m.Record == nil || m.Record.Redaction != nil {
			continue
		}
		e, f, ok := fromRecord(m, countries)
		if !ok {
			t.Unclassified = append(t.Unclassified, evidence(m))
		}
		evs = append(evs, e...)
		t.Facts = append(t.Facts, f...)
	}
	evs = dropOriginHandovers(evs)
	for _, e := range extra {
		evs = append(evs, cloneEvent(e))
	}
	for _, e := range evs {
		if e.Date.IsZero() {
			t.Undated = append(t.Undated, e)
		} else {
			t.Events = append(t.Events, e)
		}
	}
	t.Events = merge(t.Events)
	t.Undated = merge(t.Undated)
	t.Conflicts = conflicts(t.Events)
	t.deriveFacts()
	t.Facts = mergeFacts(t.Facts)
	t.derive(opt)
	return t
}

func evidence(m Mention) paradero.Evidence {
	ev := paradero.Evidence{RecordID: m.Record.ID, SourceID: m.Record.SourceID, Status: m.Record.Status}
	if m.Source != nil {
		ev.SourceKind = m.Source.Kind
		if ev.SourceID == 0 {
			ev.SourceID = m.Source.ID
		}
	}
	return ev
}

// fromRecord reads one record: its events and due-process facts. ok is
// false when the record's status is something the vocabulary does not
// know: it then makes no event, but its other columns, notes and source
// may still give due-process facts. A record that asserts nothing (a bare
// name on a roster) is a sighting only if it names a facility or a place,
// else it makes nothing.
func fromRecord(m Mention, countries *linkage.Countries) (evs []paradero.Event, facts []paradero.DueProcessFact, ok bool) {
	r := m.Record
	ev := evidence(m)
	date, fromSource := r.EventDate, false
	if date.IsZero() && m.Source != nil && !m.Source.Published.IsZero() {
		date, fromSource = paradero.DateRange{From: m.Source.Published}, true
	}
	base := paradero.Event{Date: date, DateFromSource: fromSource, Facility: r.Facility, Place: r.Place,
		Custodian: r.Custodian, Flight: r.Flight, Evidence: []paradero.Evidence{ev}}
	var mean Meaning
	if strings.TrimSpace(r.Status) != "" {
		var known bool
		if mean, known = Interpret(r.Status); !known {
			return nil, recordFacts(m, date, ev, nil), false
		}
	} else {
		switch {
		case r.Flight != "" && homeward(countries, r):
			// A flight that lands in the person's own country, with no
			// status (a return manifest): they were returned home.
			mean.Event = paradero.EventReturn
		case r.Flight != "":
			mean.Event = paradero.EventRemovalFlight
		case r.Facility != "":
			mean.Event = paradero.EventHeld
		case r.Place != "" && m.Source != nil && m.Source.Kind == paradero.KindRoster:
			mean.Event = paradero.EventHeld
		}
	}
	if mean.NoMatch {
		return nil, nil, true
	}
	if mean.Fact != "" {
		f := paradero.DueProcessFact{Kind: mean.Fact, Date: date, Court: firstOf(r.Custodian, r.Place),
			Detail: r.Status, Evidence: []paradero.Evidence{ev}}
		facts = append(facts, f)
	}
	facts = recordFacts(m, date, ev, facts)
	if mean.Event != "" {
		e := base
		e.Kind = mean.Event
		evs = append(evs, e)
		// A removal record naming a facility says where the person was
		// delivered: the flight and the handover, the same day — unless
		// an earlier source held them at that facility, in which case it
		// is the one they were removed from (a court filing's "removed to
		// El Salvador" beside "El Valle Detention Facility"); Build drops
		// such a handover (see dropOriginHandovers).
		if e.Kind == paradero.EventRemovalFlight && r.Facility != "" {
			h := cloneEvent(base)
			h.Kind = paradero.EventForeignCustody
			h.Flight = ""
			evs = append(evs, h)
		}
	}
	return evs, facts, true
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func cloneEvent(e paradero.Event) paradero.Event {
	e.Evidence = slices.Clone(e.Evidence)
	return e
}

// day numbers: days since 1970-01-01 of a partial date's first and last
// possible day.
func firstDay(d paradero.PartialDate) int64 {
	m, dd := max(d.Month, 1), max(d.Day, 1)
	return time.Date(d.Year, time.Month(m), dd, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func lastDay(d paradero.PartialDate) int64 {
	switch {
	case d.Month == 0:
		return time.Date(d.Year+1, 1, 0, 0, 0, 0, 0, time.UTC).Unix() / 86400
	case d.Day == 0:
		return time.Date(d.Year, time.Month(d.Month)+1, 0, 0, 0, 0, 0, time.UTC).Unix() / 86400
	}
	return firstDay(d)
}

// span returns the first and last day a range allows.
func span(r paradero.DateRange) (int64, int64) {
	switch {
	case r.From.IsZero():
		return firstDay(r.To) - 36500, lastDay(r.To) // "/TO": any time before
	case r.To.IsZero():
		return firstDay(r.From), lastDay(r.From)
	}
	return firstDay(r.From), lastDay(r.To)
}

type sortKey struct {
	first, last int64
	rank        int
}

func keyOf(e *paradero.Event) sortKey {
	f, l := span(e.Date)
	return sortKey{f, l, e.Kind.Rank()}
}

func (a sortKey) cmp(b sortKey) int {
	if a.first != b.first {
		return cmpInt(a.first, b.first)
	}
	if a.rank != b.rank {
		return cmpInt(int64(a.rank), int64(b.rank))
	}
	return cmpInt(a.last, b.last)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// claimKey identifies a claim: events with equal keys say the same thing.
func claimKey(e *paradero.Event) string {
	return string(e.Kind) + "\x00" + e.Date.String() + "\x00" + fold(e.Facility) + "\x00" +
		fold(e.Place) + "\x00" + fold(e.Custodian) + "\x00" + fold(e.Flight)
}

// merge sorts events and folds claims that agree into one event carrying
// all their evidence (a date from a record beats one from its source).
func merge(evs []paradero.Event) []paradero.Event {
	if len(evs) == 0 {
		return nil
	}
	type keyed struct {
		k   sortKey
		idx int
	}
	order := make([]keyed, len(evs))
	for i := range evs {
		order[i] = keyed{keyOf(&evs[i]), i}
	}
	slices.SortStableFunc(order, func(a, b keyed) int { return a.k.cmp(b.k) })
	out := make([]paradero.Event, 0, len(evs))
	seen := make(map[string]int, len(evs))
	for _, o := range order {
		e := evs[o.idx]
		ck := claimKey(&e)
		if i, ok := seen[ck]; ok {
			out[i].Evidence = append(out[i].Evidence, e.Evidence...)
			out[i].DateFromSource = out[i].DateFromSource && e.DateFromSource
			continue
		}
		seen[ck] = len(out)
		out = append(out, e)
	}
	return out
}

func mergeFacts(fs []paradero.DueProcessFact) []paradero.DueProcessFact {
	if len(fs) == 0 {
		return nil
	}
	var out []paradero.DueProcessFact
	seen := make(map[string]int)
	for _, f := range fs {
		k := string(f.Kind) + "\x00" + f.Date.String() + "\x00" + fold(f.Court) + "\x00" + fold(f.CaseNumber) +
			"\x00" + strconv.FormatBool(f.Denied) + "\x00" + f.Obeyed
		if i, ok := seen[k]; ok {
			out[i].Evidence = append(out[i].Evidence, f.Evidence...)
			continue
		}
		seen[k] = len(out)
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b paradero.DueProcessFact) int {
		fa, _ := span(a.Date)
		fb, _ := span(b.Date)
		if a.Date.IsZero() || b.Date.IsZero() {
			return 0
		}
		return cmpInt(fa, fb)
	})
	return out
}

// placing reports whether an event places the person in custody somewhere.
func placing(e *paradero.Event) bool {
	switch e.Kind {
	case paradero.EventBooked, paradero.EventTransfer, paradero.EventHeld, paradero.EventForeignCustody:
		return e.Facility != "" || e.Place != ""
	}
	return false
}

// conflicts finds claims that cannot all be true: held at different
// facilities on the same exact day, and events dated after a reported death.
// Events must be sorted.
func conflicts(evs []paradero.Event) []Conflict {
	var out []Conflict
	byDay := make(map[int64][]int)
	var days []int64
	for i := range evs {
		e := &evs[i]
		if !placing(e) || e.Date.From.Day == 0 || !e.Date.To.IsZero() {
			continue
		}
		d := firstDay(e.Date.From)
		if _, ok := byDay[d]; !ok {
			days = append(days, d)
		}
		byDay[d] = append(byDay[d], i)
	}
	for _, d := range days {
		idx := byDay[d]
		places := make(map[string]bool)
		for _, i := range idx {
			places[fold(firstOf(evs[i].Facility, evs[i].Place))] = true
		}
		if len(places) > 1 {
			out = append(out, Conflict{Events: idx, Reason: fmt.Sprintf(
				"sources place the person in %d different places on %s", len(places), evs[idx[0]].Date)})
		}
	}
	for i := range evs {
		if evs[i].Kind != paradero.EventDeath {
			continue
		}
		_, deathLast := span(evs[i].Date)
		var later []int
		for j := i + 1; j < len(evs); j++ {
			if f, _ := span(evs[j].Date); f > deathLast && evs[j].Kind != paradero.EventDeath {
				later = append(later, j)
			}
		}
		if len(later) > 0 {
			out = append(out, Conflict{Events: append([]int{i}, later...), Reason: fmt.Sprintf(
				"a source reports death on %s, but %d later events are on record", evs[i].Date, len(later))})
		}
		break
	}
	return out
}

// derive walks the events in order to the status, the last confirmed
// whereabouts and the flag.
func (t *Timeline) derive(opt Options) {
	t.Status = paradero.StatusAtLiberty
	var (
		last       = -1 // last confirmed whereabouts
		flight     = -1 // removal flight since the last placing
		left       = -1 // a "not in custody" or "vanished" while deprived of liberty
		leftStatus paradero.PersonStatus
	)
	for i := range t.Events {
		e := &t.Events[i]
		switch e.Kind {
		case paradero.EventArrest, paradero.EventBooked, paradero.EventTransfer, paradero.EventHeld,
			paradero.EventForeignCustody:
			t.Status = paradero.StatusDetained
			flight, left = -1, -1
			if placing(e) || (e.Kind == paradero.EventArrest && e.Place != "") ||
				(e.Kind == paradero.EventForeignCustody && e.Custodian != "") {
				last = i
			}
		case paradero.EventRemovalFlight:
			t.Status = paradero.StatusInTransit
			flight, left = i, -1
		case paradero.EventRelease:
			t.Status, flight, left = paradero.StatusReleased, -1, -1
			if e.Place != "" || e.Facility != "" {
				last = i
			}
		case paradero.EventReturn:
			t.Status, flight, left = paradero.StatusReturned, -1, -1
			if e.Place != "" {
				last = i
			}
		case paradero.EventDeath:
			t.Status, flight, left = paradero.StatusDeceased, -1, -1
		case paradero.EventNotInCustody, paradero.EventVanished:
			if t.Status.DeprivedOfLiberty() && left < 0 && !t.explainedBefore(i) {
				left, leftStatus = i, t.Status
			}
		}
	}
	if last >= 0 {
		e := cloneEvent(t.Events[last])
		t.LastConfirmed = &e
	}
	orders := t.ordersNotToRemove()
	switch {
	case left >= 0 && (flight < 0 || leftStatus != paradero.StatusInTransit ||
		(t.Events[flight].Place == "" && t.Events[flight].Facility == "")):
		// Left a locator with no record of release or of where they were sent.
		e := &t.Events[left]
		what, rule := "a locator stopped answering for the person", RuleStoppedAnswering
		if e.Kind == paradero.EventNotInCustody {
			what, rule = "a locator reported the person \"not in custody\"", RuleNotInCustody
		}
		reason := fmt.Sprintf("%s on %s, and no record says they were released or where they were sent", what, e.Date)
		if flight >= 0 {
			reason = fmt.Sprintf("%s on %s after a removal flight to an unrecorded destination", what, e.Date)
			rule += "-after-flight"
		}
		t.flag(Flag{Reason: reason, Rule: rule}, e.Date, orders)
	case t.Status.DeprivedOfLiberty() && !opt.Now.IsZero():
		since := paradero.DateRange{}
		var sinceLast int64 = -1 << 40
		if last >= 0 {
			since = t.Events[last].Date
			_, sinceLast = span(since)
		}
		if flight >= 0 {
			// The flight is later than the last placing; count from it.
			since = t.Events[flight].Date
			_, sinceLast = span(since)
		}
		now := opt.Now.UTC().Unix() / 86400
		limit := int64(opt.Threshold / (24 * time.Hour))
		if now-sinceLast <= limit {
			break
		}
		f := Flag{Days: now - sinceLast, Threshold: limit}
		switch {
		case flight >= 0:
			fl := &t.Events[flight]
			f.Rule, f.Flight = RuleFlightUnconfirmed, fl.Flight
			f.Reason = fmt.Sprintf("put on removal flight %s on %s; no source has confirmed where they are since (%d days, over the threshold of %d)",
				orUnnamed(fl.Flight), fl.Date, f.Days, limit)
		case last >= 0:
			f.Rule = RuleHeldUnconfirmed
			f.Reason = fmt.Sprintf("deprived of liberty; no source has confirmed where they are held since %s (%d days, over the threshold of %d)",
				since, f.Days, limit)
		default:
			f = Flag{Rule: RuleNeverPlaced, Reason: "deprived of liberty, and no source has ever said where they are held"}
		}
		t.flag(f, since, orders)
	}
}

// explainedBefore reports whether leaving a locator, event i, is explained
// by an event sorted before it only because it starts the same day: a
// handover to a foreign custodian, a release, a return or a death. A
// locator stops knowing someone handed to another state the day they are
// handed over, and a watch dates the vanishing from the day it last saw
// them, so the two often share a first day; sorting puts the handover
// first (kinds of a day sort in EventKinds order), yet it is what the
// vanishing means. A later event explains it in the walk itself.
func (t *Timeline) explainedBefore(i int) bool {
	first, _ := span(t.Events[i].Date)
	for j := i - 1; j >= 0; j-- {
		e := &t.Events[j]
		if f, _ := span(e.Date); f < first {
			break
		}
		switch e.Kind {
		case paradero.EventForeignCustody, paradero.EventRelease, paradero.EventReturn, paradero.EventDeath:
			return true
		}
	}
	return false
}

func orUnnamed(s string) string {
	if s == "" {
		return "(unnamed)"
	}
	return s
}

func (t *Timeline) ordersNotToRemove() []paradero.DueProcessFact {
	var out []paradero.DueProcessFact
	for _, f := range t.Facts {
		if f.Kind == paradero.FactOrderNotToRemove && !f.Denied {
			out = append(out, f)
		}
	}
	return out
}

func (t *Timeline) flag(f Flag, since paradero.DateRange, orders []paradero.DueProcessFact) {
	t.Status = paradero.StatusWhereaboutsUnknown
	reason := f.Reason
	for _, o := range orders {
		reason += fmt.Sprintf(". A court order not to remove is on record: %q", o.Detail)
		if o.Court != "" {
			reason += " (" + o.Court + ")"
		}
		if !o.Date.IsZero() {
			reason += " of " + o.Date.String()
		}
		if len(o.Evidence) > 0 {
			reason += fmt.Sprintf(", source %d", o.Evidence[0].SourceID)
		}
	}
	f.Reason, f.Since, f.Orders = reason, since, orders
	t.Flag = &f
}

// homeward reports whether r's flight lands in the person's own country:
// its place names the country of the record's nationality or birth.
func homeward(countries *linkage.Countries, r *paradero.Record) bool {
	dest, ok := countries.Code(r.Place)
	if !ok {
		return false
	}
	for _, s := range []string{r.Nationality, r.CountryOfBirth} {
		if c, ok := countries.Code(s); ok && c == dest {
			return true
		}
	}
	return false
}

// dropOriginHandovers removes a handover to foreign custody that a
// removal record implied from its facility when an earlier event already
// held the person at that facility: the facility is then where they were
// removed from, not where they were delivered.
func dropOriginHandovers(evs []paradero.Event) []paradero.Event {
	out := evs[:0:0]
	for i, e := range evs {
		if e.Kind == paradero.EventForeignCustody && e.Facility != "" && heldBefore(evs, i) {
			continue
		}
		out = append(out, e)
	}
	return out
}

func heldBefore(evs []paradero.Event, i int) bool {
	f, _ := span(evs[i].Date)
	for j, e := range evs {
		if j == i || fold(e.Facility) != fold(evs[i].Facility) {
			continue
		}
		switch e.Kind {
		case paradero.EventHeld, paradero.EventBooked, paradero.EventTransfer:
			if g, _ := span(e.Date); !e.Date.IsZero() && g < f {
				return true
			}
		}
	}
	return false
}
