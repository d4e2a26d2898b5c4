package watch

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Scenario scripts what the simulated locator answers, and when. Times are
// absolute; the simulator reads its clock (Sim.Now) on every request, so a
// test under testing/synctest plays days in milliseconds.
type Scenario struct {
	Persons []SimPerson `json:"persons"`
	Faults  []SimFault  `json:"faults,omitempty"`
}

// SimPerson is one person's script. Steps are in time order; before the
// first, the locator does not know the person.
type SimPerson struct {
	ANumber        string    `json:"a_number"`
	CountryOfBirth string    `json:"country_of_birth"`
	Name           string    `json:"name,omitempty"`
	BirthDate      string    `json:"birth_date,omitempty"`
	Steps          []SimStep `json:"steps"`
}

// Step states.
const (
	SimHeld         = "held"           // in the custodian's hands at Facility
	SimNotInCustody = "not-in-custody" // the US locator says "not in custody"
	SimAbsent       = "absent"         // no match
)

// SimStep is what is true of a person from a time on. A person held by a
// custodian other than "ICE" (or empty) is absent from the US locator and
// listed on that custodian's roster (/roster.csv?custodian=NAME).
type SimStep struct {
	From      time.Time `json:"from"`
	State     string    `json:"state"`
	Facility  string    `json:"facility,omitempty"`
	Place     string    `json:"place,omitempty"`
	Custodian string    `json:"custodian,omitempty"`
}

// Fault kinds.
const (
	FaultStatus      = "status"        // answer Status (e.g. 503), with Retry-After if set
	FaultSlow        = "slow"          // wait Delay before answering
	FaultMalformed   = "malformed"     // a page with no result block
	FaultChallenge   = "challenge"     // a bot-challenge page
	FaultAllNotFound = "all-not-found" // "no match" for everyone
)

// SimFault is a fault of the locator between From and To.
type SimFault struct {
	From       time.Time     `json:"from"`
	To         time.Time     `json:"to"`
	Kind       string        `json:"kind"`
	Status     int           `json:"status,omitempty"`
	RetryAfter int           `json:"retry_after,omitempty"` // seconds
	Delay      time.Duration `json:"delay,omitempty"`
}

// ParseScenario reads a scenario file (JSON).
func ParseScenario(r io.Reader) (*Scenario, error) {
	var sc Scenario
	dec := json.NewDecoder(io.LimitReader(r, 64<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	for i, p := range sc.Persons {
		if p.ANumber == "" && p.Name == "" {
			return nil, fmt.Errorf("scenario: person %d has neither A-number nor name", i+1)
		}
		for j, s := range p.Steps {
			switch s.State {
			case SimHeld, SimNotInCustody, SimAbsent:
			default:
				return nil, fmt.Errorf("scenario: person %d step %d: state %q is not held, not-in-custody or absent", i+1, j+1, s.State)
			}
			if j > 0 && s.From.Before(p.Steps[j-1].From) {
				return nil, fmt.Errorf("scenario: person %d: steps out of time order", i+1)
			}
		}
	}
	for i, f := range sc.Faults {
		switch f.Kind {
		case FaultStatus, FaultSlow, FaultMalformed, FaultChallenge, FaultAllNotFound:
		default:
			return nil, fmt.Errorf("scenario: fault %d: unknown kind %q", i+1, f.Kind)
		}
	}
	return &sc, nil
}

// Sim serves a scenario over HTTP: GET /odls/search?a=…&cob=… (or
// name, cob, dob) answers as the ICE adapter expects, and GET
// /roster.csv?custodian=NAME lists who that custodian holds now (with
// &columns=… only those columns: see serveRoster). It is safe for
// concurrent use.
type Sim struct {
	sc  *Scenario
	Now func() time.Time // default time.Now

	byA    map[string]int
	byName map[string]int

	mu       sync.Mutex
	requests int
	inFlight map[string]int
	queries  map[string]*SimQueryStats
}

// SimQueryStats is what the simulator saw of one query: how many requests
// asked it, and the most that asked it at once. Watchers sharing a store
// never ask about one person twice at once: Peak above 1 is a violation.
type SimQueryStats struct {
	Requests int
	Peak     int
}

// NewSim returns a simulator of sc.
func NewSim(sc *Scenario) *Sim {
	s := &Sim{sc: sc, Now: time.Now, byA: make(map[string]int), byName: make(map[string]int),
		inFlight: make(map[string]int), queries: make(map[string]*SimQueryStats)}
	for i, p := range sc.Persons {
		if a := digits(p.ANumber); a != "" {
			s.byA[a+"|"+foldName(p.CountryOfBirth)] = i
		}
		if p.Name != "" {
			s.byName[foldName(p.Name)+"|"+foldName(p.CountryOfBirth)+"|"+p.BirthDate] = i
		}
	}
	return s
}

// Requests returns how many requests were served.
func (s *Sim) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func (s *Sim) stepAt(p *SimPerson, t time.Time) SimStep {
	cur := SimStep{State: SimAbsent}
	for _, st := range p.Steps {
		if st.From.After(t) {
			break
		}
		cur = st
	}
	return cur
}

func (s *Sim) fault(t time.Time) *SimFault {
	for i := range s.sc.Faults {
		f := &s.sc.Faults[i]
		if !t.Before(f.From) && t.Before(f.To) {
			return f
		}
	}
	return nil
}

func usCustody(c string) bool { return c == "" || c == "ICE" }

// QueryStats returns, for every query asked — the request's path and
// query string, as the adapter sent them — how often it was asked and the
// most requests for it in flight at once (a slow answer is in flight for
// its delay).
func (s *Sim) QueryStats() map[string]SimQueryStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]SimQueryStats, len(s.queries))
	for k, q := range s.queries {
		out[k] = *q
	}
	return out
}

// ServeHTTP answers one request.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Path + "?" + r.URL.RawQuery
	s.mu.Lock()
	s.requests++
	st := s.queries[q]
	if st == nil {
		st = &SimQueryStats{}
		s.queries[q] = st
	}
	st.Requests++
	s.inFlight[q]++
	st.Peak = max(st.Peak, s.inFlight[q])
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight[q]--
		s.mu.Unlock()
	}()
	now := s.Now()
	if f := s.fault(now); f != nil {
		switch f.Kind {
		case FaultSlow:
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		case FaultStatus:
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
			}
			http.Error(w, http.StatusText(f.Status), f.Status)
			return
		case FaultMalformed:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "<html><body><h1>Online Detainee Locator System</h1><p>Temporarily unavailable</body></html>")
			return
		case FaultChallenge:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, `<html><body><div id="challenge-platform">Verify you are human</div></body></html>`)
			return
		}
	}
	switch r.URL.Path {
	case "/odls/search":
		s.serveSearch(w, r, now)
	case "/roster.csv":
		s.serveRoster(w, r, now)
	default:
		http.NotFound(w, r)
	}
}

func (s *Sim) serveSearch(w http.ResponseWriter, r *http.Request, now time.Time) {
	q := r.URL.Query()
	i, ok := -1, false
	if a := q.Get("a"); a != "" {
		i, ok = s.byA[digits(a)+"|"+foldName(q.Get("cob"))]
	} else {
		i, ok = s.byName[foldName(q.Get("name"))+"|"+foldName(q.Get("cob"))+"|"+q.Get("dob")]
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b bytes.Buffer
	b.WriteString("<html><body><h1>Online Detainee Locator System</h1>\n")
	st := SimStep{State: SimAbsent}
	if ok {
		st = s.stepAt(&s.sc.Persons[i], now)
	}
	if f := s.fault(now); f != nil && f.Kind == FaultAllNotFound {
		st = SimStep{State: SimAbsent}
	}
	switch {
	case st.State == SimHeld && usCustody(st.Custodian):
		p := &s.sc.Persons[i]
		fmt.Fprintf(&b, `<div class="result" data-status="in-custody"><span class="name">%s</span><span class="facility">%s</span><span class="place">%s</span><span class="custodian">ICE</span></div>`,
			html.EscapeString(p.Name), html.EscapeString(st.Facility), html.EscapeString(st.Place))
	case st.State == SimNotInCustody:
		p := &s.sc.Persons[i]
		fmt.Fprintf(&b, `<div class="result" data-status="not-in-custody"><span class="name">%s</span></div>`, html.EscapeString(p.Name))
	default:
		b.WriteString(`<div class="no-results">0 Search Results</div>`)
	}
	b.WriteString("\n</body></html>\n")
	w.Write(b.Bytes())
}

// rosterColumns are the columns /roster.csv can list, by their record
// field keys; DefaultRosterColumns are those it lists unless asked.
var rosterColumns = map[string]func(p *SimPerson, st SimStep) string{
	"full_name":        func(p *SimPerson, st SimStep) string { return p.Name },
	"a_number":         func(p *SimPerson, st SimStep) string { return p.ANumber },
	"birth_date":       func(p *SimPerson, st SimStep) string { return p.BirthDate },
	"country_of_birth": func(p *SimPerson, st SimStep) string { return p.CountryOfBirth },
	"facility":         func(p *SimPerson, st SimStep) string { return st.Facility },
	"place":            func(p *SimPerson, st SimStep) string { return st.Place },
	"custodian":        func(p *SimPerson, st SimStep) string { return st.Custodian },
}

// DefaultRosterColumns are the columns /roster.csv lists unless its
// columns parameter names others.
const DefaultRosterColumns = "full_name,facility,place,custodian"

// serveRoster lists who a custodian holds now. columns=full_name,birth_date
// lists only those columns — a prison's bare list of names, such as the
// leaked CECOT roster — and 400 names an unknown one.
func (s *Sim) serveRoster(w http.ResponseWriter, r *http.Request, now time.Time) {
	custodian := r.URL.Query().Get("custodian")
	cols := strings.Split(cmp.Or(r.URL.Query().Get("columns"), DefaultRosterColumns), ",")
	for _, c := range cols {
		if rosterColumns[c] == nil {
			http.Error(w, "unknown column "+strconv.Quote(c), http.StatusBadRequest)
			return
		}
	}
	type row struct {
		key    string
		values []string
	}
	var rows []row
	for i := range s.sc.Persons {
		p := &s.sc.Persons[i]
		st := s.stepAt(p, now)
		if st.State == SimHeld && st.Custodian == custodian {
			rw := row{key: p.Name + p.ANumber}
			for _, c := range cols {
				rw.values = append(rw.values, rosterColumns[c](p, st))
			}
			rows = append(rows, rw)
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return cmpStr(a.key, b.key) })
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	cw.Write(cols)
	for _, r := range rows {
		cw.Write(r.values)
	}
	cw.Flush()
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Transport is an http.RoundTripper that serves requests with a handler in
// the calling goroutine, without a network: tests under testing/synctest
// use it, since a real socket is not "durably blocked" and would keep fake
// time from advancing.
type Transport struct{ Handler http.Handler }

// RoundTrip serves req with the handler.
func (t Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.Handler.ServeHTTP(rec, req)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	return rec.Result(), nil
}
