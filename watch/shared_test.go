package watch

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/paradero/paradero"
)

// watcher is one of several schedulers sharing a store, as servers share
// a database, with the reports of its rounds.
type watcher struct {
	name  string
	sched *Scheduler
	mu    sync.Mutex
	reps  []*Report
	times []time.Time // when each report came
}

func (w *watcher) reports() []*Report {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.reps)
}

func newWatcher(t *testing.T, name string, store Store, client *http.Client, sc *Scenario, cfg Config) *watcher {
	t.Helper()
	w := &watcher{name: name}
	loc, err := NewICE("ice-sim", "http://127.0.0.1:1/odls", client)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Locator, cfg.Store, cfg.Queries, cfg.Owner = loc, store, queries(sc), name
	cfg.OnRound = func(r *Report) {
		w.mu.Lock()
		w.reps, w.times = append(w.reps, r), append(w.times, time.Now())
		w.mu.Unlock()
	}
	if w.sched, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	return w
}

// slowWorld is n people held, each answer taking delay: long enough for
// two requests about one person to overlap if two watchers asked at once.
func slowWorld(n int, start time.Time, delay time.Duration) *Scenario {
	sc := world(n, start)
	sc.Faults = []SimFault{{From: start.Add(-time.Hour), To: start.Add(1000 * time.Hour), Kind: FaultSlow, Delay: delay}}
	return sc
}

// TestSharedRoundsSplitWork: two watchers on one store share every round.
// Each person is asked once a round, by one of them, never by both at
// once; both do some of the work; each round is judged once, and the
// requests of both keep to the one rate limit.
func TestSharedRoundsSplitWork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		const n, rounds = 60, 4
		sc := slowWorld(n, start, 2*time.Second)
		sim := NewSim(sc)
		ch := &countingHandler{h: sim}
		client := &http.Client{Transport: Transport{Handler: ch}}
		store := NewMemStore()
		cfg := Config{Interval: time.Hour, Gap: 100 * time.Millisecond, Jitter: 0.01, MaxInFlight: 2, Timeout: 5 * time.Second, Lease: 15 * time.Second}
		ws := []*watcher{newWatcher(t, "a", store, client, sc, cfg), newWatcher(t, "b", store, client, sc, cfg)}
		for _, w := range ws {
			if err := w.sched.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep((rounds-1)*time.Hour + 30*time.Minute)
		for _, w := range ws {
			w.sched.Close()
		}

		stats := sim.QueryStats()
		if len(stats) != n {
			t.Fatalf("%d queries asked, want %d", len(stats), n)
		}
		for q, st := range stats {
			if st.Requests != rounds || st.Peak != 1 {
				t.Errorf("%s: asked %d times, %d at once at most; want %d times, one at a time", q, st.Requests, st.Peak, rounds)
			}
		}
		for i := 1; i < len(ch.starts); i++ {
			if d := ch.starts[i].Sub(ch.starts[i-1]); d < cfg.Gap {
				t.Errorf("requests %d and %d %v apart, want ≥ %v across both watchers", i-1, i, d, cfg.Gap)
			}
		}
		judged := make(map[int]string)
		asked := make(map[int]map[string]int)
		for _, w := range ws {
			reps := w.reports()
			if len(reps) != rounds {
				t.Errorf("watcher %s took part in %d rounds, want %d", w.name, len(reps), rounds)
			}
			for _, r := range reps {
				if asked[r.Round] == nil {
					asked[r.Round] = make(map[string]int)
				}
				asked[r.Round][w.name] = r.Asked
				if r.JudgedElsewhere {
					continue
				}
				if judged[r.Round] != "" {
					t.Errorf("round %d judged by %s and %s", r.Round, judged[r.Round], w.name)
				}
				judged[r.Round] = w.name
				if r.Health.Answers != n || r.Requests != n || len(r.Sightings) != n || !r.Health.Healthy {
					t.Errorf("round %d judged by %s: %d answers, %d requests, %d sightings, healthy %v; want %d of each, healthy",
						r.Round, w.name, r.Health.Answers, r.Requests, len(r.Sightings), r.Health.Healthy, n)
				}
			}
		}
		t.Logf("asked per round: %v; judged by %v", asked, judged)
		for r := 1; r <= rounds; r++ {
			if judged[r] == "" {
				t.Errorf("round %d judged by no one", r)
			}
			if a, b := asked[r]["a"], asked[r]["b"]; a+b != n || a == 0 || b == 0 {
				t.Errorf("round %d: a asked %d, b asked %d; want %d between them, some each", r, a, b, n)
			}
		}
		for _, q := range queries(sc) {
			if sgs, _ := store.FindSightings(t.Context(), "ice-sim", q.Key, 0); len(sgs) != rounds {
				t.Errorf("%s seen %d times, want %d: every answer stored once", q.Key, len(sgs), rounds)
			}
		}
		if len(store.Snapshots) != n {
			t.Errorf("%d snapshots stored, want %d (identical answers stored once)", len(store.Snapshots), n)
		}
		b, err := store.LoadWatchState(t.Context(), "ice-sim")
		if err != nil {
			t.Fatal(err)
		}
		st := NewState()
		if err := decodeJSON(b, st); err != nil {
			t.Fatal(err)
		}
		if st.Round != rounds || len(st.Persons) != n || !st.NextRound.Equal(start.Add(rounds*time.Hour)) {
			t.Errorf("state: round %d, %d persons, next round %v; want %d, %d, %v",
				st.Round, len(st.Persons), st.NextRound.Sub(start), rounds, n, time.Duration(rounds)*time.Hour)
		}
	})
}

// frozenStore is a store whose watcher stops dead when frozen, as a
// process killed by SIGKILL does: nothing it asks of the store returns,
// so it neither renews its claims nor answers them.
type frozenStore struct {
	*MemStore
	once   sync.Once
	frozen chan struct{}
}

func (f *frozenStore) freeze() { f.once.Do(func() { close(f.frozen) }) }

func (f *frozenStore) check(ctx context.Context) error {
	select {
	case <-f.frozen:
		<-ctx.Done()
		return ctx.Err()
	default:
		return nil
	}
}

func (f *frozenStore) RecordSnapshot(ctx context.Context, s *paradero.Snapshot) (*paradero.Sighting, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	return f.MemStore.RecordSnapshot(ctx, s)
}

func (f *frozenStore) RecordSnapshots(ctx context.Context, s []*paradero.Snapshot) ([]*paradero.Sighting, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	return f.MemStore.RecordSnapshots(ctx, s)
}

func (f *frozenStore) BeginImport(ctx context.Context, src *paradero.Source, blob io.Reader) (paradero.Import, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	return f.MemStore.BeginImport(ctx, src, blob)
}

func (f *frozenStore) LoadWatchState(ctx context.Context, locator string) ([]byte, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	return f.MemStore.LoadWatchState(ctx, locator)
}

func (f *frozenStore) SaveWatchState(ctx context.Context, locator string, state []byte) error {
	if err := f.check(ctx); err != nil {
		return err
	}
	return f.MemStore.SaveWatchState(ctx, locator, state)
}

func (f *frozenStore) OpenWatchRound(ctx context.Context, locator string, round int, keys []string, at time.Time) (time.Time, error) {
	if err := f.check(ctx); err != nil {
		return time.Time{}, err
	}
	return f.MemStore.OpenWatchRound(ctx, locator, round, keys, at)
}

func (f *frozenStore) ClaimWatch(ctx context.Context, locator string, round int, owner string, lease time.Duration, limit int) ([]string, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	return f.MemStore.ClaimWatch(ctx, locator, round, owner, lease, limit)
}

func (f *frozenStore) RenewWatchClaims(ctx context.Context, locator, owner string, lease time.Duration) ([]string, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	return f.MemStore.RenewWatchClaims(ctx, locator, owner, lease)
}

func (f *frozenStore) AnswerWatchClaims(ctx context.Context, locator string, round int, owner string, results map[string][]byte) ([]string, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	return f.MemStore.AnswerWatchClaims(ctx, locator, round, owner, results)
}

func (f *frozenStore) ReleaseWatchClaims(ctx context.Context, locator, owner string) error {
	if err := f.check(ctx); err != nil {
		return err
	}
	return f.MemStore.ReleaseWatchClaims(ctx, locator, owner)
}

func (f *frozenStore) ClaimWatchJudge(ctx context.Context, locator string, round int, owner string, lease time.Duration) (bool, error) {
	if err := f.check(ctx); err != nil {
		return false, err
	}
	return f.MemStore.ClaimWatchJudge(ctx, locator, round, owner, lease)
}

func (f *frozenStore) WatchRoundResults(ctx context.Context, locator string, round int) (map[string][]byte, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	return f.MemStore.WatchRoundResults(ctx, locator, round)
}

func (f *frozenStore) SaveWatchRound(ctx context.Context, locator string, round int, owner string, state []byte) error {
	if err := f.check(ctx); err != nil {
		return err
	}
	return f.MemStore.SaveWatchRound(ctx, locator, round, owner, state)
}

func (f *frozenStore) PaceWatch(ctx context.Context, locator string, gap, pause time.Duration) (time.Duration, error) {
	if err := f.check(ctx); err != nil {
		return 0, err
	}
	return f.MemStore.PaceWatch(ctx, locator, gap, pause)
}

// frozenTransport fails every request once its store is frozen: a killed
// process asks nothing more.
type frozenTransport struct {
	t http.RoundTripper
	f *frozenStore
}

func (ft frozenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case <-ft.f.frozen:
		return nil, errors.New("the process is dead")
	default:
		return ft.t.RoundTrip(r)
	}
}

// TestSharedTakeoverAfterCrash: a watcher stops dead in the middle of a
// round, holding claims; the other does its own share, waits for those
// claims' leases to end, takes them over and judges the round. Nobody is
// asked about twice at once, and everyone is answered.
func TestSharedTakeoverAfterCrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		const n = 40
		sc := slowWorld(n, start, time.Second)
		sim := NewSim(sc)
		store := NewMemStore()
		dead := &frozenStore{MemStore: store, frozen: make(chan struct{})}
		cfg := Config{Interval: time.Hour, Gap: 100 * time.Millisecond, MaxInFlight: 2, Timeout: 3 * time.Second, Lease: 30 * time.Second}
		a := newWatcher(t, "a", dead, &http.Client{Transport: frozenTransport{Transport{Handler: sim}, dead}}, sc, cfg)
		b := newWatcher(t, "b", store, &http.Client{Transport: Transport{Handler: sim}}, sc, cfg)
		ctx, cancel := context.WithCancel(t.Context())
		if err := a.sched.Start(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second) // a holds claims and has asked about a few
		dead.freeze()
		killed := time.Now()
		if err := b.sched.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Minute)
		b.sched.Close()
		cancel()
		a.sched.Close()

		stats := sim.QueryStats()
		if len(stats) != n {
			t.Errorf("%d people asked about, want %d", len(stats), n)
		}
		twice := 0
		for q, st := range stats {
			if st.Peak != 1 || st.Requests > 2 {
				t.Errorf("%s asked %d times, by %d at once at most; want once or twice (by a, then by b), one at a time", q, st.Requests, st.Peak)
			}
			if st.Requests == 2 {
				twice++
			}
		}
		if twice == 0 {
			t.Error("a asked about no one before it died; the test proved nothing")
		}
		reps := b.reports()
		if len(reps) != 1 || reps[0].JudgedElsewhere || reps[0].Round != 1 {
			t.Fatalf("b's rounds: %+v; want round 1, judged by b", reps)
		}
		r := reps[0]
		if r.Health.Answers != n || r.Asked != n || len(r.Sightings) != n || !r.Health.Healthy {
			t.Errorf("round 1: %d answers, b asked %d, %d sightings, healthy %v; want %d, %d, %d, healthy",
				r.Health.Answers, r.Asked, len(r.Sightings), r.Health.Healthy, n, n, n)
		}
		// b could take a's claims only once their leases ended: a renewed
		// them a third of a lease at most before it died.
		if d := b.times[0].Sub(killed); d < cfg.Lease*2/3 {
			t.Errorf("b judged the round %v after a died, before a's leases could end", d)
		}
		t.Logf("%d asked twice; b judged %v after a died", twice, b.times[0].Sub(killed))
		if len(a.reports()) != 0 {
			t.Errorf("the dead watcher reported %+v", a.reports())
		}
		b2, err := store.LoadWatchState(t.Context(), "ice-sim")
		if err != nil {
			t.Fatal(err)
		}
		s := NewState()
		if err := decodeJSON(b2, s); err != nil || s.Round != 1 || len(s.Persons) != n {
			t.Errorf("state round %d with %d persons (%v), want 1, %d", s.Round, len(s.Persons), err, n)
		}
		if !s.NextRound.Equal(start.Add(time.Hour)) {
			t.Errorf("next round at start+%v, want start+1h: the round began when a began it", s.NextRound.Sub(start))
		}
	})
}

func decodeJSON(b []byte, v any) error { return json.Unmarshal(b, v) }
