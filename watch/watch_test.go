package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/timeline"
)

func TestClassifyHTTP(t *testing.T) {
	tests := []struct {
		err    error
		status int
		body   string
		want   Outcome
		ok     bool
	}{
		{nil, 200, `<div class="result">`, "", true},
		{nil, 404, `no such page`, "", true},
		{nil, 403, ``, Blocked, false},
		{nil, 200, `<div id="challenge-platform">Verify you are human</div>`, Blocked, false},
		{nil, 200, `Please complete the CAPTCHA`, Blocked, false},
		{nil, 429, ``, Failed, false},
		{nil, 503, ``, Failed, false},
		{nil, 500, ``, Failed, false},
		{nil, 302, ``, Failed, false},
		{context.DeadlineExceeded, 0, ``, Failed, false},
		{errors.New("connection refused"), 0, ``, Failed, false},
	}
	for _, tt := range tests {
		o, _, ok := ClassifyHTTP(tt.err, tt.status, []byte(tt.body))
		if o != tt.want || ok != tt.ok {
			t.Errorf("ClassifyHTTP(%v, %d, %q) = %q, %v, want %q, %v", tt.err, tt.status, tt.body, o, ok, tt.want, tt.ok)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
	}{
		{"", 0}, {"120", 2 * time.Minute}, {"-1", 0}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := RetryAfter(tt.h, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

func TestParsePage(t *testing.T) {
	tests := []struct {
		body string
		want Answer
	}{
		{`<div class="no-results">0</div>`, Answer{Outcome: NotFound, Status: "no match"}},
		{`<div class="result" data-status="in-custody"><span class="facility">OTERO &amp; CO</span></div>`,
			Answer{Outcome: Found, InCustody: true, Facility: "OTERO & CO", Status: "in custody"}},
		{`<div class="result" data-status="not-in-custody"></div>`, Answer{Outcome: Found, Status: "not in custody"}},
		{`<div class="result" data-status="in-custody"></div>`, Answer{Outcome: Malformed, Detail: "in custody, but no facility"}},
		{`<div class="result" data-status="weird"></div>`, Answer{Outcome: Malformed, Detail: "unknown status in the page"}},
		{`<html>maintenance</html>`, Answer{Outcome: Malformed, Detail: "no result block in the page"}},
	}
	for _, tt := range tests {
		if got := parsePage([]byte(tt.body)).Answer; got.Outcome != tt.want.Outcome || got.Facility != tt.want.Facility ||
			got.InCustody != tt.want.InCustody || got.Detail != tt.want.Detail {
			t.Errorf("parsePage(%q) = %+v, want %+v", tt.body, got, tt.want)
		}
	}
}

// round builds answers: found at facility "F" for keys [0,found), not
// found for [found,n), failed for the next failed ones.
func round(n, found, failed int, facility string) []Answer {
	var out []Answer
	for i := range n + failed {
		a := Answer{Key: fmt.Sprintf("w%03d", i)}
		switch {
		case i < found:
			a.Outcome, a.InCustody, a.Facility = Found, true, facility
		case i < n:
			a.Outcome = NotFound
		default:
			a.Outcome = Failed
		}
		out = append(out, a)
	}
	return out
}

func count(cs []Change, k ChangeKind) int {
	n := 0
	for _, c := range cs {
		if c.Kind == k {
			n++
		}
	}
	return n
}

func TestObserveHealthRule(t *testing.T) {
	at := time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		rounds  [][]Answer // after a first round where all 300 are found
		healthy []bool
		gone    int // total gone changes
	}{
		{"mass removal is flagged",
			[][]Answer{round(300, 62, 0, "F"), round(300, 62, 0, "F"), round(300, 62, 0, "F")},
			[]bool{true, true, true}, 238},
		{"everyone not found is an outage",
			[][]Answer{round(300, 0, 0, "F"), round(300, 0, 0, "F"), round(300, 0, 0, "F"), round(300, 0, 0, "F")},
			[]bool{false, false, false, false}, 0},
		{"a few still found is not enough",
			[][]Answer{round(300, 20, 0, "F"), round(300, 20, 0, "F"), round(300, 20, 0, "F")},
			[]bool{false, false, false}, 0},
		{"failures make the round unhealthy",
			[][]Answer{round(200, 100, 100, "F"), round(200, 100, 100, "F"), round(200, 100, 100, "F")},
			[]bool{false, false, false}, 0},
		{"misses interrupted by failures still need three healthy ones",
			[][]Answer{round(300, 250, 0, "F"), round(200, 200, 100, "F"), round(300, 250, 0, "F"), round(300, 250, 0, "F")},
			[]bool{true, false, true, true}, 50},
		{"outage then recovery: nobody gone, nobody changed",
			[][]Answer{round(0, 0, 300, "F"), round(300, 0, 0, "F"), round(300, 300, 0, "F")},
			[]bool{false, false, true}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewState()
			if _, cs := s.Observe(at, round(300, 300, 0, "F"), Rule{}); count(cs, Appeared) != 300 {
				t.Fatalf("first round: %d appeared, want 300", count(cs, Appeared))
			}
			gone := 0
			for i, r := range tt.rounds {
				h, cs := s.Observe(at.Add(time.Duration(i+1)*time.Hour), r, Rule{})
				if h.Healthy != tt.healthy[i] {
					t.Errorf("round %d: healthy = %v (%s), want %v", i+1, h.Healthy, h.Reason, tt.healthy[i])
				}
				gone += count(cs, Gone)
				if n := len(cs) - count(cs, Gone); n != 0 {
					t.Errorf("round %d: %d changes besides gone: %+v", i+1, n, cs)
				}
			}
			if gone != tt.gone {
				t.Errorf("%d gone, want %d", gone, tt.gone)
			}
		})
	}
}

func TestObserveChanges(t *testing.T) {
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	s := NewState()
	step := func(a Answer) []Change {
		a.Key = "w1"
		at = at.Add(time.Hour)
		_, cs := s.Observe(at, []Answer{a}, Rule{})
		return cs
	}
	held := func(f string) Answer { return Answer{Outcome: Found, InCustody: true, Facility: f} }
	seq := []struct {
		a    Answer
		want ChangeKind
	}{
		{Answer{Outcome: NotFound}, ""}, // never seen: nothing
		{held("A"), Appeared},
		{held("A"), ""},
		{held("B"), Moved},
		{Answer{Outcome: Failed}, ""},
		{Answer{Outcome: NotFound}, ""},
		{Answer{Outcome: NotFound}, ""},
		{Answer{Outcome: Blocked}, ""},
		{Answer{Outcome: NotFound}, Gone},
		{Answer{Outcome: NotFound}, ""},
		{held("C"), Reappeared},
		{Answer{Outcome: Found}, Left},
		{Answer{Outcome: Found}, ""},
		{held("C"), Appeared},
	}
	for i, st := range seq {
		cs := step(st.a)
		var got ChangeKind
		if len(cs) == 1 {
			got = cs[0].Kind
		}
		if got != st.want || len(cs) > 1 {
			t.Fatalf("step %d (%+v): changes %+v, want %q", i, st.a, cs, st.want)
		}
		if got == Gone && (cs[0].Misses != 3 || cs[0].Attempts != 5 || cs[0].From != "B") {
			t.Errorf("gone = %+v, want 3 misses of 5 attempts, from B", cs[0])
		}
	}
}

// world returns a scenario of n persons held at "FAC 1" from start.
func world(n int, start time.Time) *Scenario {
	sc := &Scenario{}
	for i := range n {
		sc.Persons = append(sc.Persons, SimPerson{
			ANumber: fmt.Sprintf("2%08d", i), CountryOfBirth: "VENEZUELA", Name: fmt.Sprintf("PERSONA %d", i),
			Steps: []SimStep{{From: start, State: SimHeld, Facility: "FAC 1", Place: "Harlingen, TX"}},
		})
	}
	return sc
}

func queries(sc *Scenario) []Query {
	var qs []Query
	for i, p := range sc.Persons {
		qs = append(qs, Query{Key: fmt.Sprintf("w%03d", i), ANumber: p.ANumber, CountryOfBirth: p.CountryOfBirth})
	}
	return qs
}

type harness struct {
	sim   *Sim
	store *MemStore
	sched *Scheduler
	mu    sync.Mutex
	reps  []*Report
}

func newHarness(t *testing.T, sc *Scenario, cfg Config) *harness {
	t.Helper()
	h := &harness{sim: NewSim(sc), store: NewMemStore()}
	loc, err := NewICE("ice-sim", "http://127.0.0.1:1/odls", &http.Client{Transport: Transport{Handler: h.sim}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Locator, cfg.Store, cfg.Queries = loc, h.store, queries(sc)
	if cfg.Gap == 0 {
		cfg.Gap = time.Second
	}
	cfg.OnRound = func(r *Report) { h.mu.Lock(); h.reps = append(h.reps, r); h.mu.Unlock() }
	if h.sched, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) reports() []*Report {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*Report(nil), h.reps...)
}

func changes(reps []*Report, k ChangeKind) map[string]Change {
	out := make(map[string]Change)
	for _, r := range reps {
		for _, c := range r.Changes {
			if c.Kind == k {
				out[c.Key] = c
			}
		}
	}
	return out
}

// Scenario: 300 watched; on one day 238 vanish while 62 keep answering.
func TestScenarioMassRemovalFlagged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		flight := start.Add(24 * time.Hour)
		sc := world(300, start)
		for i := range 238 {
			p := &sc.Persons[i]
			p.Steps = append(p.Steps, SimStep{From: flight, State: SimHeld, Facility: "CECOT", Place: "Tecoluca", Custodian: "DGCP"})
		}
		h := newHarness(t, sc, Config{Interval: 6 * time.Hour, Gap: 200 * time.Millisecond, MaxInFlight: 4})
		if err := h.sched.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * 24 * time.Hour) // fake time: twelve rounds
		h.sched.Close()
		reps := h.reports()
		if len(reps) < 10 {
			t.Fatalf("%d rounds, want at least 10", len(reps))
		}
		for _, r := range reps {
			if !r.Health.Healthy {
				t.Errorf("round %d unhealthy: %s", r.Round, r.Health.Reason)
			}
		}
		gone := changes(reps, Gone)
		if len(gone) != 238 {
			t.Fatalf("%d gone, want 238", len(gone))
		}
		for i := range 238 {
			if c, ok := gone[fmt.Sprintf("w%03d", i)]; !ok || c.Misses != 3 || c.From != "FAC 1" {
				t.Errorf("w%03d: gone = %+v, %v", i, c, ok)
			}
		}
		// The decision is evidence: one finding for the round, a record
		// per person gone, with the identity the watch asked with, dated
		// from the day last seen to the day confirmed; its body names
		// keys, never people.
		var findings []*paradero.Snapshot
		for _, sn := range h.store.Snapshots {
			if strings.HasPrefix(string(sn.Body), FindingFormat) {
				findings = append(findings, sn)
			}
		}
		if len(findings) != 1 || len(findings[0].Records) != 238 {
			t.Fatalf("%d findings, want one of 238 records", len(findings))
		}
		f := findings[0]
		if strings.Contains(string(f.Body), "PERSONA") || strings.Contains(string(f.Body), "200000") {
			t.Errorf("the finding's body names someone:\n%s", f.Body)
		}
		r0 := f.Records[0]
		if r0.Status != FindingStatus || r0.ANumber == "" || r0.EventDate.To.IsZero() || r0.Notes != "not found 3 of 3 attempts; last seen at FAC 1" {
			t.Errorf("finding record = %+v", r0)
		}
		if ns := Notices(reps[len(reps)-1], nil); len(ns) != 0 {
			t.Errorf("last round's notices %+v, want none", ns)
		}
		for _, r := range reps {
			if r.Finding != nil {
				for _, n := range Notices(r, nil) {
					if n.Kind != paradero.AlertDisappearance || n.SourceID != r.Finding.ID {
						t.Errorf("notice %+v, want a disappearance citing the finding %d", n, r.Finding.ID)
					}
				}
			}
		}
		// The foreign roster lists the 238; cmd/paradero's
		// TestScenarioForeignRosterLinksVanished imports it and links it.
		roster, err := NewRoster("dgcp", "http://127.0.0.1:1/roster.csv?custodian=DGCP", nil, &http.Client{Transport: Transport{Handler: h.sim}})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := roster.Ask(t.Context(), []Query{{Key: "x", Name: "PERSONA 5"}, {Key: "y", Name: "PERSONA 299"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Records) != 238 || resp.Answers[0].Outcome != Found || resp.Answers[0].Facility != "CECOT" || resp.Answers[1].Outcome != NotFound {
			t.Errorf("roster: %d records, answers %+v", len(resp.Records), resp.Answers)
		}
	})
}

// Scenario: 503 for six hours, then "not found" for everyone for an hour.
func TestScenarioOutageFlagsNoOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		sc := world(300, start)
		sc.Faults = []SimFault{
			{From: start.Add(2 * time.Hour), To: start.Add(8 * time.Hour), Kind: FaultStatus, Status: 503, RetryAfter: 600},
			{From: start.Add(8 * time.Hour), To: start.Add(9 * time.Hour), Kind: FaultAllNotFound},
		}
		h := newHarness(t, sc, Config{Interval: 15 * time.Minute, Gap: 50 * time.Millisecond, MaxInFlight: 2, Rule: Rule{Confirm: 2}})
		if err := h.sched.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(12 * time.Hour)
		h.sched.Close()
		reps := h.reports()
		var unhealthy, healthyAfter, outageRequests int
		var reasons []string
		for _, r := range reps {
			if !r.Health.Healthy {
				unhealthy++
				reasons = append(reasons, r.Health.Reason)
				if r.UnhealthySince.IsZero() {
					t.Errorf("round %d unhealthy without a since", r.Round)
				}
			}
			if r.At.After(start.Add(9*time.Hour)) && r.Health.Healthy {
				healthyAfter++
			}
			if r.At.After(start.Add(2*time.Hour)) && r.At.Before(start.Add(8*time.Hour)) {
				outageRequests += r.Requests
			}
		}
		for _, k := range []ChangeKind{Gone, Left, Moved, Reappeared} {
			if n := len(changes(reps, k)); n != 0 {
				t.Errorf("%d %s changes, want none", n, k)
			}
		}
		if unhealthy < 4 {
			t.Errorf("%d unhealthy rounds, want the outage's", unhealthy)
		}
		if healthyAfter < 5 {
			t.Errorf("%d healthy rounds after the outage, want polling to resume", healthyAfter)
		}
		if !slicesContain(reasons, "requests got no usable answer") || !slicesContain(reasons, "suddenly not found") {
			t.Errorf("reasons %q name neither failure nor mass not-found", reasons)
		}
		// Polite under failure: the breaker stops each round after a few
		// failed requests, and Retry-After spaces them.
		if outageRequests > 6*4*5 {
			t.Errorf("%d requests during six hours of 503, want few", outageRequests)
		}
	})
}

func slicesContain(ss []string, sub string) bool {
	for _, s := range ss {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Scenario: transferred three times in a week; the timeline shows each
// facility with its snapshot as source.
func TestScenarioTransfersTimeline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		sc := world(12, start)
		p := &sc.Persons[0]
		for i, f := range []string{"PORT ISABEL", "OTERO", "STEWART"} {
			p.Steps = append(p.Steps, SimStep{From: start.Add(time.Duration(2*i+1) * 24 * time.Hour), State: SimHeld, Facility: f})
		}
		h := newHarness(t, sc, Config{Interval: 12 * time.Hour})
		if err := h.sched.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(7 * 24 * time.Hour)
		h.sched.Close()
		var evs []paradero.Event
		for _, r := range h.reports() {
			for _, c := range r.Changes {
				if c.Key == "w000" {
					evs = append(evs, ChangeEvent(c, r.Sightings[c.Key]))
				}
			}
		}
		tl := timeline.Build(nil, evs, timeline.Options{Now: time.Now()})
		want := []string{"FAC 1", "PORT ISABEL", "OTERO", "STEWART"}
		if len(tl.Events) != len(want) {
			t.Fatalf("timeline = %+v, want %d events", tl.Events, len(want))
		}
		seen := make(map[int64]bool)
		for i, e := range tl.Events {
			if e.Facility != want[i] || len(e.Evidence) != 1 {
				t.Fatalf("event %d = %+v, want at %s", i, e, want[i])
			}
			snap := h.store.Snapshot(e.Evidence[0].SourceID)
			if snap == nil || !strings.Contains(string(snap.Body), want[i]) || seen[e.Evidence[0].SourceID] {
				t.Errorf("event %d's source %d is not a distinct snapshot showing %s", i, e.Evidence[0].SourceID, want[i])
			}
			seen[e.Evidence[0].SourceID] = true
		}
		if tl.Status != paradero.StatusDetained || tl.LastConfirmed.Facility != "STEWART" {
			t.Errorf("status %s, last %+v", tl.Status, tl.LastConfirmed)
		}
		// Identical answers are stored once and seen many times.
		sg, _ := h.store.FindSightings(t.Context(), "ice-sim", "w005", 0)
		stored := 0
		for _, s := range sg {
			if s.New {
				stored++
			}
		}
		if len(sg) != 14 || stored != 1 {
			t.Errorf("w005: %d sightings, %d stored, want 14, 1", len(sg), stored)
		}
	})
}

// Scenario: a court order not to remove is on record and the person
// vanishes: the flag names the order.
func TestScenarioCourtOrderNamed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		sc := world(20, start)
		sc.Persons[3].Steps = append(sc.Persons[3].Steps, SimStep{From: start.Add(36 * time.Hour), State: SimAbsent})
		h := newHarness(t, sc, Config{Interval: 6 * time.Hour})
		if err := h.sched.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(4 * 24 * time.Hour)
		h.sched.Close()
		var evs []paradero.Event
		for _, r := range h.reports() {
			for _, c := range r.Changes {
				if c.Key == "w003" {
					evs = append(evs, ChangeEvent(c, r.Sightings[c.Key]))
				}
			}
		}
		order := timeline.Mention{
			Record: &paradero.Record{ID: 9, SourceID: 900, FullName: "PERSONA 3", Status: "Order not to remove",
				Custodian: "US District Court for the District of Columbia", EventDate: paradero.DateRange{From: paradero.PartialDate{Year: 2000, Month: 1, Day: 1}}},
			Source: &paradero.Source{ID: 900, Kind: paradero.KindCourtFiling},
		}
		tl := timeline.Build([]timeline.Mention{order}, evs, timeline.Options{Now: time.Now()})
		if tl.Status != paradero.StatusWhereaboutsUnknown || tl.Flag == nil {
			t.Fatalf("status %s, events %+v", tl.Status, tl.Events)
		}
		for _, want := range []string{"stopped answering", "Order not to remove", "District of Columbia", "source 900"} {
			if !strings.Contains(tl.Flag.Reason, want) {
				t.Errorf("flag %q does not say %q", tl.Flag.Reason, want)
			}
		}
	})
}

// countingHandler measures requests in flight and their start times.
type countingHandler struct {
	h        http.Handler
	mu       sync.Mutex
	inFlight int
	peak     int
	starts   []time.Time
	hold     time.Duration
}

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.inFlight++
	c.peak = max(c.peak, c.inFlight)
	c.starts = append(c.starts, time.Now())
	c.mu.Unlock()
	time.Sleep(c.hold)
	c.h.ServeHTTP(w, r)
	c.mu.Lock()
	c.inFlight--
	c.mu.Unlock()
}

func TestSchedulerPoliteness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		sc := world(40, start)
		ch := &countingHandler{h: NewSim(sc), hold: 3 * time.Second}
		loc, _ := NewICE("ice-sim", "http://127.0.0.1:1/odls", &http.Client{Transport: Transport{Handler: ch}})
		s, err := New(Config{Locator: loc, Store: NewMemStore(), Queries: queries(sc), Gap: time.Second, Jitter: 0.5, MaxInFlight: 2, Interval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RunRound(t.Context()); err != nil {
			t.Fatal(err)
		}
		if ch.peak > 2 {
			t.Errorf("peak in flight %d, want ≤ 2", ch.peak)
		}
		for i := 1; i < len(ch.starts); i++ {
			if d := ch.starts[i].Sub(ch.starts[i-1]); d < time.Second {
				t.Errorf("requests %d and %d %v apart, want ≥ 1s", i-1, i, d)
			}
		}
	})
}

func TestScheduler429RetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		sc := world(3, start)
		sc.Faults = []SimFault{{From: start, To: start.Add(time.Second), Kind: FaultStatus, Status: 429, RetryAfter: 120}}
		ch := &countingHandler{h: NewSim(sc)}
		loc, _ := NewICE("ice-sim", "http://127.0.0.1:1/odls", &http.Client{Transport: Transport{Handler: ch}})
		s, _ := New(Config{Locator: loc, Store: NewMemStore(), Queries: queries(sc), Gap: 100 * time.Millisecond, MaxInFlight: 1})
		rep, err := s.RunRound(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Health.Found != 3 {
			t.Errorf("found %d, want 3 after the retry", rep.Health.Found)
		}
		if len(ch.starts) != 4 || ch.starts[1].Sub(ch.starts[0]) < 120*time.Second {
			t.Errorf("requests at %v, want the retry 120s after the 429", ch.starts)
		}
	})
}

func TestSchedulerBackoffDoubles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		sc := world(1, start)
		sc.Faults = []SimFault{{From: start, To: start.Add(time.Hour), Kind: FaultStatus, Status: 500}}
		ch := &countingHandler{h: NewSim(sc)}
		loc, _ := NewICE("ice-sim", "http://127.0.0.1:1/odls", &http.Client{Transport: Transport{Handler: ch}})
		s, _ := New(Config{Locator: loc, Store: NewMemStore(), Queries: queries(sc), MaxAttempts: 4, BackoffMin: 5 * time.Second, Gap: time.Millisecond})
		rep, err := s.RunRound(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Health.Failed != 1 || rep.Requests != 4 {
			t.Errorf("failed %d, requests %d, want 1, 4", rep.Health.Failed, rep.Requests)
		}
		for i, want := range []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second} {
			if d := ch.starts[i+1].Sub(ch.starts[i]); d < want || d > want+time.Second {
				t.Errorf("pause %d = %v, want %v", i, d, want)
			}
		}
	})
}

func TestSchedulerResumesAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		sc := world(5, start)
		store := NewMemStore()
		sim := NewSim(sc)
		mk := func() *Scheduler {
			loc, _ := NewICE("ice-sim", "http://127.0.0.1:1/odls", &http.Client{Transport: Transport{Handler: sim}})
			s, err := New(Config{Locator: loc, Store: store, Queries: queries(sc), Interval: time.Hour, Gap: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := mk()
		if err := s.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Minute) // one round done, the next due at 1h
		s.Close()
		if got := sim.Requests(); got != 5 {
			t.Fatalf("%d requests, want 5", got)
		}
		s = mk()
		if err := s.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Minute) // before the next round is due: nothing
		if got := sim.Requests(); got != 5 {
			t.Errorf("%d requests 50 minutes in, want 5: a restart must not poll early", got)
		}
		time.Sleep(20 * time.Minute)
		s.Close()
		if got := sim.Requests(); got != 10 {
			t.Errorf("%d requests after the due time, want 10", got)
		}
		if st := s.State(); st.Round != 2 || len(st.Persons) != 5 {
			t.Errorf("state round %d with %d persons, want 2, 5", st.Round, len(st.Persons))
		}
	})
}

func TestFolderAdapter(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mod time.Time) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	write("old.csv", "a_number,full_name,facility\n200000001,ANA,OLD PLACE\n", t0)
	write("new.csv", "a_number,full_name,facility\nA-200000001,ANA,CECOT\n", t0.Add(time.Hour))
	write("notes.pdf", "x", t0.Add(2*time.Hour))
	f := NewFolder("drop", dir, nil)
	resp, err := f.Ask(t.Context(), []Query{{Key: "a", ANumber: "200000001"}, {Key: "b", ANumber: "200000002"}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Filename != "new.csv" || resp.Answers[0].Outcome != Found || resp.Answers[0].Facility != "CECOT" || resp.Answers[1].Outcome != NotFound {
		t.Errorf("folder answered from %s: %+v", resp.Filename, resp.Answers)
	}
	write("newest.csv", "\"unclosed\n", t0.Add(3*time.Hour))
	resp, _ = f.Ask(t.Context(), []Query{{Key: "a", ANumber: "200000001"}})
	if resp.Answers[0].Outcome != Malformed {
		t.Errorf("broken roster: %+v, want malformed", resp.Answers[0])
	}
}

func TestParseScenario(t *testing.T) {
	good := `{"persons":[{"a_number":"200000001","country_of_birth":"VENEZUELA","steps":[{"from":"2025-03-10T00:00:00Z","state":"held","facility":"EL VALLE"}]}],
	"faults":[{"from":"2025-03-11T00:00:00Z","to":"2025-03-11T06:00:00Z","kind":"status","status":503}]}`
	if _, err := ParseScenario(strings.NewReader(good)); err != nil {
		t.Errorf("good scenario: %v", err)
	}
	for _, bad := range []string{
		`{"persons":[{"steps":[]}]}`,
		`{"persons":[{"a_number":"1","steps":[{"state":"flying"}]}]}`,
		`{"faults":[{"kind":"meteor"}]}`,
		`{"people":[]}`,
	} {
		if _, err := ParseScenario(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseScenario(%s) = nil error", bad)
		}
	}
}

func TestScenarioFromSynth(t *testing.T) {
	persons := "person_id,group,full_name,birth_date,country_of_birth,a_number\n" +
		"P1,aea,ANA,1990-01-01,VE,200000001\nP2,wider,BEA,1991-01-01,MX,200000002\n"
	custody := "person_id,seq,event,date,facility_id,facility,place,custodian,flight\n" +
		"P1,1,arrest,2025-01-01,,,X,ICE,\nP1,2,booked,2025-01-02,F1,EL VALLE,Raymondville,ICE,\n" +
		"P1,3,removal_flight,2025-03-15,,,,ICE,HRL-SAL 1\nP1,4,foreign_custody,2025-03-16,SV,CECOT,Tecoluca,DGCP,\n" +
		"P2,1,booked,2025-02-01,F2,OTERO,NM,ICE,\nP2,2,release,2025-03-01,,,NM,,\n"
	sc, err := ScenarioFromSynth(strings.NewReader(persons), strings.NewReader(custody))
	if err != nil {
		t.Fatal(err)
	}
	sim := NewSim(sc)
	ask := func(day, a string) string {
		sim.Now = func() time.Time { return at(day) }
		rec := httptestRecorder(sim, "/odls/search?a="+a+"&cob=VE")
		if a == "200000002" {
			rec = httptestRecorder(sim, "/odls/search?a="+a+"&cob=MX")
		}
		return rec
	}
	tests := []struct{ day, a, want string }{
		{"2025-01-05", "200000001", "EL VALLE"},
		{"2025-03-15", "200000001", "no-results"},
		{"2025-02-05", "200000002", "OTERO"},
		{"2025-03-05", "200000002", "not-in-custody"},
		{"2025-05-05", "200000002", "no-results"},
	}
	for _, tt := range tests {
		if got := ask(tt.day, tt.a); !strings.Contains(got, tt.want) {
			t.Errorf("%s on %s: %s, want %s", tt.a, tt.day, got, tt.want)
		}
	}
	sim.Now = func() time.Time { return at("2025-04-01") }
	if got := httptestRecorder(sim, "/roster.csv?custodian=DGCP"); !strings.Contains(got, "ANA,CECOT") {
		t.Errorf("roster = %q", got)
	}
}

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func httptestRecorder(h http.Handler, target string) string {
	resp, err := (&http.Client{Transport: Transport{Handler: h}}).Get("http://127.0.0.1:1" + target)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var b strings.Builder
	io.Copy(&b, resp.Body)
	return b.String()
}

// BenchmarkObserve measures the diff side of a round: 10 000 watched
// people, one answer each.
func BenchmarkObserve(b *testing.B) {
	s := NewState()
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	r1, r2 := round(10000, 10000, 0, "A"), round(10000, 9000, 0, "B")
	s.Observe(at, r1, Rule{})
	i := 0
	for b.Loop() {
		r := r1
		if i%2 == 1 {
			r = r2
		}
		s.Observe(at, r, Rule{})
		i++
	}
	b.ReportMetric(float64(b.N*10000)/b.Elapsed().Seconds(), "answers/s")
}

func TestRosterColumns(t *testing.T) {
	sc := world(3, at("2025-03-01"))
	sc.Persons[1].BirthDate = "1990-01-02"
	sc.Persons[1].Steps = append(sc.Persons[1].Steps, SimStep{From: at("2025-03-15"), State: SimHeld, Facility: "CECOT", Custodian: "DGCP"})
	sim := NewSim(sc)
	sim.Now = func() time.Time { return at("2025-03-20") }
	if got, want := httptestRecorder(sim, "/roster.csv?custodian=DGCP"), "full_name,facility,place,custodian\nPERSONA 1,CECOT,,DGCP\n"; got != want {
		t.Errorf("default roster = %q, want %q", got, want)
	}
	if got, want := httptestRecorder(sim, "/roster.csv?custodian=DGCP&columns=full_name,birth_date"), "full_name,birth_date\nPERSONA 1,1990-01-02\n"; got != want {
		t.Errorf("bare roster = %q, want %q", got, want)
	}
	if got := httptestRecorder(sim, "/roster.csv?custodian=DGCP&columns=full_name,religion"); !strings.Contains(got, "unknown column") {
		t.Errorf("unknown column: %q", got)
	}
}

func TestHealthSummary(t *testing.T) {
	ctx := t.Context()
	store := NewMemStore()
	if h, err := LoadHealth(ctx, store); err != nil || len(h.Locators) != 0 {
		t.Fatalf("LoadHealth of nothing = %+v, %v", h, err)
	}
	at := time.Date(2025, 3, 15, 6, 0, 0, 0, time.UTC)
	for _, r := range []*Report{
		{Locator: "ice", Round: 1, At: at, Health: Health{Healthy: true, Answers: 300, Found: 300}},
		{Locator: "dgcp", Round: 1, At: at, Health: Health{Healthy: true, Answers: 1, Found: 1}},
		{Locator: "ice", Round: 2, At: at.Add(time.Hour), UnhealthySince: at.Add(time.Hour),
			Health: Health{Cause: CauseMassDrop, Reason: "an outage", Answers: 300, NotFound: 300, WasFound: 300, Dropped: 300}},
	} {
		if err := SaveHealth(ctx, store, r); err != nil {
			t.Fatal(err)
		}
	}
	h, err := LoadHealth(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Locators) != 2 || h.Locators[0].Locator != "dgcp" || h.Locators[1].Locator != "ice" {
		t.Fatalf("summary = %+v, want dgcp then ice", h.Locators)
	}
	if l := h.Locators[1]; l.Healthy || l.Round != 2 || l.Cause != CauseMassDrop || !l.UnhealthySince.Equal(at.Add(time.Hour)) || l.Dropped != 300 {
		t.Errorf("ice = %+v, want round 2 unhealthy since 07:00, mass drop", l)
	}
	loc, _ := NewICE("*health", "http://127.0.0.1:1/odls", nil)
	if _, err := New(Config{Locator: loc, Store: store}); paradero.ErrorCode(err) != paradero.EINVALID {
		t.Errorf("a locator named *health: %v, want EINVALID", err)
	}
}
