package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/postgres"
	"github.com/paradero/paradero/postgres/pgtest"
	"github.com/paradero/paradero/watch"
)

// watchRound is what one watcher printed about one round.
type watchRound struct {
	round   int
	judged  bool // by this watcher
	answers int  // the round's, if judged here
	healthy bool
	asked   int       // by this watcher
	seen    time.Time // when the test read it
}

// watcherProc is a `paradero watch` child process and what it printed.
type watcherProc struct {
	name   string
	cmd    *exec.Cmd
	stderr bytes.Buffer
	mu     sync.Mutex
	rounds []watchRound
	exited chan error
}

var (
	judgedLine    = regexp.MustCompile(`^ice-sim round (\d+) at \S+: (\d+) answers \((\d+) found, \d+ not found, \d+ failed\); (.*)$`)
	askedLine     = regexp.MustCompile(`^  (\d+) of its queries asked here$`)
	elsewhereLine = regexp.MustCompile(`^ice-sim round (\d+) at \S+: judged by another watcher; (\d+) of its queries asked here$`)
)

func startWatcher(t *testing.T, name string, args ...string) *watcherProc {
	t.Helper()
	w := &watcherProc{name: name, cmd: binary(t, args...), exited: make(chan error, 1)}
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	w.cmd.Stderr = &w.stderr
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			w.mu.Lock()
			switch m := judgedLine.FindStringSubmatch(line); {
			case m != nil:
				r, _ := strconv.Atoi(m[1])
				n, _ := strconv.Atoi(m[2])
				w.rounds = append(w.rounds, watchRound{round: r, judged: true, answers: n, asked: n, healthy: m[4] == "healthy", seen: time.Now()})
			case askedLine.MatchString(line) && len(w.rounds) > 0:
				w.rounds[len(w.rounds)-1].asked, _ = strconv.Atoi(askedLine.FindStringSubmatch(line)[1])
			default:
				if m := elsewhereLine.FindStringSubmatch(line); m != nil {
					r, _ := strconv.Atoi(m[1])
					n, _ := strconv.Atoi(m[2])
					w.rounds = append(w.rounds, watchRound{round: r, asked: n, seen: time.Now()})
				}
			}
			w.mu.Unlock()
		}
		w.exited <- w.cmd.Wait()
	}()
	t.Cleanup(func() {
		if w.cmd.ProcessState == nil {
			w.cmd.Process.Kill()
			<-w.exited
		}
		if t.Failed() {
			t.Logf("watcher %s wrote:\n%s", name, w.stderr.String())
		}
	})
	return w
}

func (w *watcherProc) report() []watchRound {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.rounds)
}

// judgedRound returns this watcher's report of round r if it judged it.
func (w *watcherProc) judgedRound(r int) (watchRound, bool) {
	for _, x := range w.report() {
		if x.round == r && x.judged {
			return x, true
		}
	}
	return watchRound{}, false
}

func waitUntil(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// shareLedgerKey copies the ledger key of one data directory to another,
// as servers sharing a database share it (docs/operations.md).
func shareLedgerKey(t *testing.T, from, to string) {
	t.Helper()
	if _, err := ledger.LoadOrCreateKey(from); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ledger.SignerKeyFile, ledger.VerifierKeyFile} {
		b, err := os.ReadFile(filepath.Join(from, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWatchersShareOnePostgreSQL runs two `paradero watch` processes on
// one PostgreSQL database, as two servers would, watching 200 people on
// the simulator, whose every answer takes 25 ms so that two requests
// about one person at once would overlap there. The simulator counts, per
// person, the requests in flight. Then one watcher is killed with SIGKILL
// in the middle of a round.
//
// Asserted: no one is ever asked about by both at once; each round every
// person is asked once, by one of the two, and both do part of every round
// before the kill; each round is judged once; every answer is stored once
// (200 sources, one sighting a person a round, one new); after the kill
// the survivor waits for the dead one's claims to end, takes them over and
// finishes the round, then does every round alone; and `paradero verify`
// passes.
func TestWatchersShareOnePostgreSQL(t *testing.T) {
	const people = 200
	const lease = 2500 * time.Millisecond
	dbURL := pgtest.NewDatabase(t)
	dataA, dataB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	shareLedgerKey(t, dataA, dataB)

	now := time.Now()
	sc := &watch.Scenario{Faults: []watch.SimFault{{From: now.Add(-time.Hour), To: now.Add(time.Hour), Kind: watch.FaultSlow, Delay: 25 * time.Millisecond}}}
	type entry struct {
		Key            string `json:"key"`
		ANumber        string `json:"a_number"`
		CountryOfBirth string `json:"country_of_birth"`
	}
	var entries []entry
	for i := range people {
		a := fmt.Sprintf("3%08d", i)
		sc.Persons = append(sc.Persons, watch.SimPerson{ANumber: a, CountryOfBirth: "VENEZUELA", Name: fmt.Sprintf("PERSONA %d", i),
			Steps: []watch.SimStep{{From: now.Add(-time.Hour), State: watch.SimHeld, Facility: "EL VALLE", Place: "Raymondville, TX"}}})
		entries = append(entries, entry{Key: fmt.Sprintf("w%03d", i), ANumber: a, CountryOfBirth: "VENEZUELA"})
	}
	sim := watch.NewSim(sc)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cfg, err := json.Marshal(map[string]any{
		"locators": []map[string]any{{"name": "ice-sim", "kind": "ice", "url": srv.URL + "/odls", "interval": "2s", "gap": "1ms",
			"timeout": "1s", "lease": lease.String(), "max_in_flight": 4}},
		"watch": entries,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := writeFile(t, "watch.json", string(cfg))

	// Both start at once on the empty database.
	a := startWatcher(t, "a", "--data", dataA, "--database-url", dbURL, "watch", "--config", cfgFile)
	b := startWatcher(t, "b", "--data", dataB, "--database-url", dbURL, "watch", "--config", cfgFile)
	judgedBy := func(r int) *watcherProc {
		for _, w := range []*watcherProc{a, b} {
			if _, ok := w.judgedRound(r); ok {
				return w
			}
		}
		return nil
	}
	const before = 4 // rounds before the kill
	waitUntil(t, "four rounds", 60*time.Second, func() bool { return judgedBy(before) != nil })

	// Kill b once the next round is under way.
	waitUntil(t, "round 5 under way", 30*time.Second, func() bool { return sim.Requests() >= before*people+40 })
	if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed, inRound := time.Now(), sim.Requests()-before*people
	<-b.exited
	waitUntil(t, "round 5 finished by a", 30*time.Second, func() bool { _, ok := a.judgedRound(before + 1); return ok })
	waitUntil(t, "round 6 done by a alone", 30*time.Second, func() bool { _, ok := a.judgedRound(before + 2); return ok })
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-a.exited:
		if err != nil {
			t.Errorf("watcher a on SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("watcher a did not stop on SIGTERM")
	}

	// Rounds: each judged once; before the kill both did part of each.
	rounds := before + 2
	asked := make(map[int]map[string]int)
	for _, w := range []*watcherProc{a, b} {
		for _, r := range w.report() {
			if asked[r.round] == nil {
				asked[r.round] = make(map[string]int)
			}
			asked[r.round][w.name] = r.asked
		}
	}
	for r := 1; r <= rounds; r++ {
		w := judgedBy(r)
		if w == nil {
			t.Errorf("round %d judged by no one", r)
			continue
		}
		if other := map[*watcherProc]*watcherProc{a: b, b: a}[w]; r <= before {
			if _, ok := other.judgedRound(r); ok {
				t.Errorf("round %d judged by both", r)
			}
		}
		rep, _ := w.judgedRound(r)
		if rep.answers != people || !rep.healthy {
			t.Errorf("round %d: %d answers, healthy %v; want %d, healthy", r, rep.answers, rep.healthy, people)
		}
		if r <= before && (asked[r]["a"] == 0 || asked[r]["b"] == 0 || asked[r]["a"]+asked[r]["b"] != people) {
			t.Errorf("round %d: a asked %d, b asked %d; want %d between them, some each", r, asked[r]["a"], asked[r]["b"], people)
		}
	}
	if w := judgedBy(before + 1); w != a {
		t.Errorf("round %d, the one b was killed in, judged by %v; want a", before+1, w)
	} else {
		// a could take b's claims only once their leases ended: b renewed
		// them a third of a lease at most before it died.
		rep, _ := a.judgedRound(before + 1)
		if d := rep.seen.Sub(killed); d < lease*2/3 {
			t.Errorf("round %d finished %v after b was killed, before b's leases could end (%v)", before+1, d, lease)
		}
		t.Logf("b killed %d requests into round %d; a asked %d of its %d people and finished it %v later",
			inRound, before+1, rep.asked, people, rep.seen.Sub(killed).Round(time.Millisecond))
	}
	if asked[before+2]["a"] != people {
		t.Errorf("round %d: a asked %d; want everyone, alone", before+2, asked[before+2]["a"])
	}
	t.Logf("asked per round (a, b): %v", asked)

	// The simulator: never two requests about one person at once.
	stats := sim.QueryStats()
	if len(stats) != people {
		t.Errorf("%d people asked about, want %d", len(stats), people)
	}
	extra := 0
	ctx := t.Context()
	db, err := postgres.Open(ctx, dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sightings := make(map[string][]time.Time)
	for _, e := range entries {
		sgs, err := db.FindSightings(ctx, "ice-sim", e.Key, 0)
		if err != nil {
			t.Fatal(err)
		}
		q := fmt.Sprintf("/odls/search?a=%s&cob=VENEZUELA", e.ANumber)
		st, ok := stats[q]
		if !ok {
			t.Fatalf("the simulator was never asked %s", q)
		}
		if st.Peak != 1 {
			t.Errorf("%s asked about by %d watchers at once", e.Key, st.Peak)
		}
		// Asked once a round, and stored once: an answer b received and
		// never stored, before it died, is asked again by a.
		if len(sgs) < rounds || st.Requests-len(sgs) < 0 || st.Requests-len(sgs) > 1 {
			t.Errorf("%s: asked %d times, seen %d; want a sighting every round (%d) and every request stored but b's last",
				e.Key, st.Requests, len(sgs), rounds)
		}
		extra += st.Requests - len(sgs)
		for j, sg := range sgs {
			if sg.New != (j == 0) {
				t.Errorf("%s: sighting %d new %v; want only the first new (the same answer stored once)", e.Key, j, sg.New)
			}
			sightings[e.Key] = append(sightings[e.Key], sg.SeenAt)
		}
	}
	// The n-th sighting of everyone is round n's: all of round n's come
	// before any of round n+1's.
	for r := 0; r+1 < rounds; r++ {
		var last, first time.Time
		for _, ts := range sightings {
			if len(ts) <= r+1 {
				continue
			}
			if ts[r].After(last) {
				last = ts[r]
			}
			if first.IsZero() || ts[r+1].Before(first) {
				first = ts[r+1]
			}
		}
		if !last.Before(first) {
			t.Errorf("round %d's last answer at %v is not before round %d's first at %v: someone was asked twice in a round", r+1, last, r+2, first)
		}
	}
	st, err := db.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sources != people {
		t.Errorf("%d sources, want %d: every answer stored once", st.Sources, people)
	}
	t.Logf("%d requests, %d answers stored as %d sources; %d received by b and lost with it", sim.Requests(), sim.Requests()-extra, st.Sources, extra)
	out := crashStore{t: t, flags: []string{"--data", dataA, "--database-url", dbURL}}.ok("verify")
	if !strings.Contains(out, "Ledger intact") {
		t.Errorf("verify: %s", out)
	}
}
