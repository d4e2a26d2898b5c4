package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/paradero/paradero"
)

// Store keeps what a watch needs across restarts: every answer as a
// snapshot source, and the watch state. paradero.WatchService is one.
type Store interface {
	RecordSnapshot(ctx context.Context, s *paradero.Snapshot) (*paradero.Sighting, error)
	LoadWatchState(ctx context.Context, locator string) ([]byte, error)
	SaveWatchState(ctx context.Context, locator string, state []byte) error
}

// BatchStore is a Store that keeps many answers in one transaction; the
// scheduler uses it when its store is one. sqlite.DB is one.
type BatchStore interface {
	// RecordSnapshots stores snaps as RecordSnapshot would, one by one, and
	// returns one sighting per snapshot in order; on error none is stored.
	RecordSnapshots(ctx context.Context, snaps []*paradero.Snapshot) ([]*paradero.Sighting, error)
}

// Config configures a Scheduler for one locator.
type Config struct {
	Locator Locator
	Queries []Query
	Store   Store

	Interval    time.Duration // between round starts; default 1h
	Gap         time.Duration // at least this between two requests' starts (the rate limit); default 1s
	Jitter      float64       // up to this fraction of Gap added at random; default 0.5
	MaxInFlight int           // requests in flight at once; default 2
	Timeout     time.Duration // for one request; default 30s
	MaxAttempts int           // tries per query in a round when it fails; default 3
	BreakAfter  int           // after this many failed requests in a row the round's rest is not asked; default 5
	BackoffMin  time.Duration // first pause after a failure; default 5s
	BackoffMax  time.Duration // longest pause; default 15m
	Rule        Rule
	Seed        uint64 // for the jitter
	// FlushEvery is how many answers are stored together when the store
	// is a BatchStore; the rest of a round is stored when it ends, before
	// it is judged. Default 100: at most that many answers wait in memory.
	FlushEvery int

	// Lease is how long a claim on a job holds without renewal (claims.go):
	// a watcher renews its claims every third of it while it lives, and a
	// watcher killed mid-round leaves its jobs to the others once it ends.
	// A request is started only under a claim that outlasts its Timeout.
	// Default and least 2×Timeout, and the default at least a minute.
	Lease time.Duration
	// ClaimBatch is how many jobs a watcher claims at once; default
	// 4×MaxInFlight.
	ClaimBatch int
	// Owner names this watcher in the claims; default the host, the
	// process id and a random part.
	Owner string

	// OnRound, if set, is called after every round the scheduler took
	// part in, from its goroutine. A round another watcher sharing the
	// store judged has JudgedElsewhere set, and only Locator, Round, At,
	// Asked and Requests.
	OnRound func(*Report)
	// OnChanges, if set, is called with every round's report once it is
	// judged and before the state is saved. An error fails the round:
	// nothing is saved and the next round judges again, so what it records
	// (the alerts' notices) is never lost to a crash — at worst recorded
	// twice.
	OnChanges func(context.Context, *Report) error
	Logger    *slog.Logger // never given personal data
	// Now is the clock rounds, snapshots and findings are dated by; nil
	// means time.Now. (Requests are spaced by the real clock.) Tests and
	// replays of past days set it.
	Now func() time.Time
}

func (c *Config) validate() error {
	if c.Locator == nil || c.Store == nil {
		return paradero.Errorf(paradero.EINVALID, "watch: a locator and a store are required")
	}
	if n := c.Locator.Name(); n == "" || strings.HasPrefix(n, "*") {
		return paradero.Errorf(paradero.EINVALID, "watch: a locator needs a name not beginning with \"*\" (%q)", n)
	}
	seen := make(map[string]bool)
	for _, q := range c.Queries {
		// Keys beginning with "*" name jobs about many entries (claims.go)
		// and a document's snapshots.
		if q.Key == "" || seen[q.Key] || strings.HasPrefix(q.Key, "*") {
			return paradero.Errorf(paradero.EINVALID, "watch %s: every watch entry needs its own key, not beginning with \"*\" (%q)", c.Locator.Name(), q.Key)
		}
		seen[q.Key] = true
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Interval, time.Hour)
	def(&c.Gap, time.Second)
	def(&c.Timeout, 30*time.Second)
	def(&c.BackoffMin, 5*time.Second)
	def(&c.BackoffMax, 15*time.Minute)
	if c.Jitter <= 0 {
		c.Jitter = 0.5
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 2
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	if c.BreakAfter <= 0 {
		c.BreakAfter = 5
	}
	if c.FlushEvery <= 0 {
		c.FlushEvery = 100
	}
	if c.Lease <= 0 {
		c.Lease = max(time.Minute, 2*c.Timeout)
	}
	c.Lease = max(c.Lease, 2*c.Timeout)
	if c.ClaimBatch <= 0 {
		c.ClaimBatch = 4 * c.MaxInFlight
	}
	if c.Owner == "" {
		c.Owner = newOwner()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Report is one round's result.
type Report struct {
	Locator        string
	Round          int
	At             time.Time
	Health         Health
	UnhealthySince time.Time
	Changes        []Change
	// Sightings holds, per watch key, the snapshot that answered it.
	Sightings map[string]*paradero.Sighting
	Requests  int // requests made, retries included, by every watcher
	// Asked is how many of the round's queries this watcher asked: all of
	// them unless several share the store.
	Asked int
	// JudgedElsewhere is set when another watcher sharing the store
	// judged the round; the report then says only what this one did.
	JudgedElsewhere bool
	// Finding is the source that records the round's gone changes
	// (finding.go); nil if there were none or the store keeps no
	// findings.
	Finding *paradero.Source
}

// Scheduler polls one locator politely and durably: rounds every
// Interval, requests at least Gap apart plus jitter, at most MaxInFlight
// at once, each with its own timeout; exponential backoff after failures
// and HTTP 429, honouring Retry-After; the state saved after every round so
// a restart resumes where it stopped. Watchers sharing a store share each
// round's work, each job claimed by one of them at a time (claims.go). It
// owns its goroutine: Start, then Close.
type Scheduler struct {
	cfg    Config
	gate   *gate
	state  *State
	byKey  map[string]Query
	jobs   []*job
	byJob  map[string]*job
	shared SharedStore
	// poll is how often a watcher whose share of a round is done looks
	// for jobs whose lease ended and for the round's end.
	poll time.Duration

	cancel context.CancelFunc
	done   chan struct{}
}

// job is one request's worth of queries, Queries[lo:hi], claimed under
// key: the watch key for a per-person locator, "*" for a document that
// answers everyone.
type job struct {
	key    string
	lo, hi int
}

// New returns a scheduler for cfg.
func New(cfg Config) (*Scheduler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	byKey := make(map[string]Query, len(cfg.Queries))
	for _, q := range cfg.Queries {
		byKey[q.Key] = q
	}
	s := &Scheduler{cfg: cfg, byKey: byKey, byJob: make(map[string]*job), poll: min(max(cfg.Lease/4, 10*time.Millisecond), 5*time.Second),
		gate: &gate{gap: cfg.Gap, breakAfter: cfg.BreakAfter, jitter: cfg.Jitter, min: cfg.BackoffMin, max: cfg.BackoffMax,
			rnd: rand.New(rand.NewPCG(cfg.Seed, 0x7061726164)), locator: cfg.Locator.Name()}}
	qs := cfg.Queries
	batch := cfg.Locator.Batch()
	if batch <= 0 {
		batch = max(len(qs), 1)
	}
	for lo := 0; lo < len(qs); lo += batch {
		j := &job{key: qs[lo].Key, lo: lo, hi: min(lo+batch, len(qs))}
		if batch > 1 {
			j.key = "*"
			if j.hi-j.lo < len(qs) {
				j.key += qs[lo].Key
			}
		}
		s.jobs = append(s.jobs, j)
		s.byJob[j.key] = j
	}
	if ss, ok := cfg.Store.(SharedStore); ok {
		s.shared = ss
	} else {
		s.shared = &localShared{Store: cfg.Store, c: newMemClaims()}
	}
	if p, ok := cfg.Store.(Pacer); ok {
		s.gate.pacer = p
	}
	return s, nil
}

// Load reads the saved state (a new one if none).
func (s *Scheduler) Load(ctx context.Context) error {
	b, err := s.cfg.Store.LoadWatchState(ctx, s.cfg.Locator.Name())
	switch {
	case paradero.ErrorCode(err) == paradero.ENOTFOUND:
		s.state = NewState()
		return nil
	case err != nil:
		return err
	}
	st := NewState()
	if err := json.Unmarshal(b, st); err != nil {
		return fmt.Errorf("watch %s: saved state: %w", s.cfg.Locator.Name(), err)
	}
	if st.Persons == nil {
		st.Persons = make(map[string]*PersonState)
	}
	s.state = st
	return nil
}

// State returns the current state; call it only when no round runs.
func (s *Scheduler) State() *State { return s.state }

// Start loads the state and starts polling until Close or ctx ends.
func (s *Scheduler) Start(ctx context.Context) error {
	if s.done != nil {
		return errors.New("watch: scheduler started twice")
	}
	if err := s.Load(ctx); err != nil {
		return err
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.loop(ctx)
	return nil
}

// Close stops polling and waits for the scheduler's goroutines to end.
// Claims it holds are released, for other watchers to take at once.
func (s *Scheduler) Close() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	<-s.done
	return nil
}

func (s *Scheduler) loop(ctx context.Context) {
	defer close(s.done)
	var retryAt time.Time // after a failed round
	for {
		var due time.Time
		if s.state != nil {
			due = s.state.NextRound
		}
		if retryAt.After(due) {
			due = retryAt
		}
		if err := sleep(ctx, due.Sub(s.cfg.Now())); err != nil {
			return
		}
		// Another watcher sharing the store may have run the round
		// meanwhile: the saved state says when the next one is due.
		err := s.Load(ctx)
		if err == nil && s.state.NextRound.After(s.cfg.Now()) {
			continue
		}
		if err == nil {
			_, err = s.RunRound(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.cfg.Logger.Error("watch round failed", "locator", s.cfg.Locator.Name(), "err", err)
			// A store fault: try again after a pause rather than spin.
			retryAt = s.cfg.Now().Add(s.cfg.BackoffMin)
			continue
		}
		retryAt = time.Time{}
	}
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errLost says a claim was taken over by another watcher before its job
// was asked: the job is theirs now.
var errLost = errors.New("watch: the claim was taken over")

// share is what this watcher did in a round.
type share struct {
	mu       sync.Mutex
	asked    int // queries whose answers it recorded
	requests int
}

// RunRound runs the next round now: it reads the saved state, asks about
// every job of the round it can claim, stores every answer, and — once
// every job has its answer, from this watcher or another sharing the store
// — judges the round and saves the state, unless another watcher judges
// it first (the report then has JudgedElsewhere set).
func (s *Scheduler) RunRound(ctx context.Context) (*Report, error) {
	if err := s.Load(ctx); err != nil {
		return nil, err
	}
	round := s.state.Round + 1
	loc := s.cfg.Locator.Name()
	keys := make([]string, len(s.jobs))
	for i, j := range s.jobs {
		keys[i] = j.key
	}
	at, err := s.shared.OpenWatchRound(ctx, loc, round, keys, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	s.gate.newRound()
	me := &share{}
	if at.IsZero() {
		// Another watcher ran this round and began the next while the
		// state was read.
		return s.elsewhere(ctx, round, at, me)
	}
	ls := &leases{until: make(map[string]lease)}
	stop := s.heartbeat(ctx, ls)
	defer stop()
	ok := false
	defer func() {
		if !ok {
			// Whatever this watcher still holds is free for the others
			// at once rather than when its lease ends.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if err := s.shared.ReleaseWatchClaims(rctx, loc, s.cfg.Owner); err != nil {
				s.cfg.Logger.Warn("releasing watch claims failed", "locator", loc, "err", err)
			}
			cancel()
		}
	}()
	for {
		n, err := s.pollShare(ctx, round, ls, me)
		if err != nil {
			return nil, err
		}
		judge, err := s.shared.ClaimWatchJudge(ctx, loc, round, s.cfg.Owner, s.cfg.Lease)
		if err != nil {
			return nil, err
		}
		if judge {
			rep, err := s.judge(ctx, round, at, me)
			ok = err == nil
			return rep, err
		}
		if rep, err := s.elsewhere(ctx, round, at, me); err == nil {
			ok = true
			return rep, nil
		} else if !errors.Is(err, errNotJudged) {
			return nil, err
		}
		// Other watchers hold the rest of the round, or judge it: look
		// again in a while, for its end or for leases that ended.
		if n == 0 {
			if err := sleep(ctx, s.poll); err != nil {
				return nil, err
			}
		}
	}
}

var errNotJudged = errors.New("watch: the round is not judged yet")

// elsewhere returns the report of a round another watcher judged, or
// errNotJudged.
func (s *Scheduler) elsewhere(ctx context.Context, round int, at time.Time, me *share) (*Report, error) {
	if err := s.Load(ctx); err != nil {
		return nil, err
	}
	if s.state.Round < round {
		if at.IsZero() {
			return nil, fmt.Errorf("watch %s: the store's rounds are past round %d, but its saved state is not", s.cfg.Locator.Name(), round)
		}
		return nil, errNotJudged
	}
	me.mu.Lock()
	rep := &Report{Locator: s.cfg.Locator.Name(), Round: round, At: at, Asked: me.asked, Requests: me.requests, JudgedElsewhere: true}
	me.mu.Unlock()
	s.cfg.Logger.Info("watch round judged by another watcher", "locator", rep.Locator, "round", round, "asked", rep.Asked, "requests", rep.Requests)
	if s.cfg.OnRound != nil {
		s.cfg.OnRound(rep)
	}
	return rep, nil
}

// pollShare claims jobs of round, a few at a time, and asks about them
// until none is left to claim; their answers are stored and kept with
// their claims. It returns how many jobs it took.
func (s *Scheduler) pollShare(ctx context.Context, round int, ls *leases, me *share) (int, error) {
	loc := s.cfg.Locator.Name()
	var (
		mu       sync.Mutex
		firstErr error
		taken    int
		wg       sync.WaitGroup
	)
	cctx, stopClaims := context.WithCancel(ctx)
	defer stopClaims()
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		stopClaims()
	}
	buf := &snapBuffer{store: s.cfg.Store, shared: s.shared, locator: loc, round: round, owner: s.cfg.Owner, n: s.cfg.FlushEvery,
		sightings: make(map[string]*paradero.Sighting), me: me, leases: ls, logger: s.cfg.Logger}
	jobs := make(chan *job)
	wg.Go(func() {
		defer close(jobs)
		for {
			start := time.Now()
			keys, err := s.shared.ClaimWatch(cctx, loc, round, s.cfg.Owner, s.cfg.Lease, s.cfg.ClaimBatch)
			if err != nil {
				if cctx.Err() == nil {
					fail(err)
				}
				return
			}
			if len(keys) == 0 {
				return
			}
			ls.add(keys, start, time.Now(), s.cfg.Lease)
			for _, k := range keys {
				j := s.byJob[k]
				if j == nil {
					// A job this watcher does not know: watchers sharing the
					// store run different configurations. Answer it empty,
					// so the round can end.
					s.cfg.Logger.Warn("claimed a watch job this watcher does not have; do all watchers sharing the store have the same configuration?", "locator", loc, "job", k)
					buf.done(k, nil, nil, 0)
					continue
				}
				select {
				case jobs <- j:
				case <-cctx.Done():
					return
				}
			}
		}
	})
	for range s.cfg.MaxInFlight {
		wg.Go(func() {
			for j := range jobs {
				if cctx.Err() != nil {
					continue
				}
				mu.Lock()
				taken++
				mu.Unlock()
				qs := s.cfg.Queries[j.lo:j.hi]
				got, n, err := s.ask(ctx, j.key, qs, buf, ls)
				me.mu.Lock()
				me.requests += n
				me.mu.Unlock()
				switch {
				case errors.Is(err, errLost):
					s.cfg.Logger.Info("a watch claim was taken over before its job was asked", "locator", loc, "job", j.key)
				case err != nil:
					fail(err)
				default:
					buf.done(j.key, qs, got, n)
				}
			}
		})
	}
	wg.Wait()
	// Answers received are evidence: they are stored even when the round
	// is cut short by Close.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	err := buf.flush(fctx)
	cancel()
	if err != nil && firstErr == nil {
		firstErr = err
	}
	if firstErr != nil {
		return taken, firstErr
	}
	return taken, ctx.Err()
}

// heartbeat renews, every third of a lease, whatever this watcher holds,
// until the returned function is called; claims the store no longer says
// are this watcher's are dropped from ls, so they are not asked.
func (s *Scheduler) heartbeat(ctx context.Context, ls *leases) func() {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(s.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			start := time.Now()
			held, err := s.shared.RenewWatchClaims(ctx, s.cfg.Locator.Name(), s.cfg.Owner, s.cfg.Lease)
			if err != nil {
				if ctx.Err() == nil {
					s.cfg.Logger.Warn("renewing watch claims failed", "locator", s.cfg.Locator.Name(), "err", err)
				}
				continue
			}
			ls.renewed(held, start, s.cfg.Lease)
		}
	}()
	return func() { cancel(); <-done }
}

// leases are the claims a watcher holds, each with when it ends by the
// watcher's own clock — reckoned from before the claim or renewal was
// asked, so never later than the store's — and since when the watcher
// knows it holds it.
type leases struct {
	mu    sync.Mutex
	until map[string]lease
}

type lease struct{ since, until time.Time }

func (l *leases) add(keys []string, asked, got time.Time, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.until[k] = lease{since: got, until: asked.Add(d)}
	}
}

// renewed records a renewal asked at asked that found held: a claim it
// did not find, and known before it was asked, was taken over.
func (l *leases) renewed(held []string, asked time.Time, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	found := make(map[string]bool, len(held))
	for _, k := range held {
		found[k] = true
	}
	for k, c := range l.until {
		switch {
		case found[k]:
			l.until[k] = lease{since: c.since, until: asked.Add(d)}
		case c.since.Before(asked):
			delete(l.until, k)
		}
	}
}

// holds reports whether the claim on key lasts past t.
func (l *leases) holds(key string, t time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.until[key]
	return ok && c.until.After(t)
}

func (l *leases) drop(keys []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.until, k)
	}
}

// judge judges round from every answer kept with its claims, records what
// it decided, and saves the state; this watcher holds the judging.
func (s *Scheduler) judge(ctx context.Context, round int, at time.Time, me *share) (*Report, error) {
	loc := s.cfg.Locator.Name()
	results, err := s.shared.WatchRoundResults(ctx, loc, round)
	if err != nil {
		return nil, err
	}
	me.mu.Lock()
	rep := &Report{Locator: loc, At: at, Sightings: make(map[string]*paradero.Sighting), Asked: me.asked}
	me.mu.Unlock()
	answers := make([]Answer, 0, len(s.cfg.Queries))
	for _, j := range s.jobs {
		b, ok := results[j.key]
		if !ok {
			continue
		}
		r, err := decodeResult(b)
		if err != nil {
			return nil, fmt.Errorf("watch %s: the answer kept for job %s: %w", loc, j.key, err)
		}
		rep.Requests += r.Requests
		for _, a := range r.Answers {
			if _, ok := s.byKey[a.Key]; !ok {
				continue
			}
			answers = append(answers, a.answer())
			if r.Sighting != nil {
				rep.Sightings[a.Key] = r.Sighting
			}
		}
	}
	rep.Health, rep.Changes = s.state.Observe(at, answers, s.cfg.Rule)
	for i := range rep.Changes {
		rep.Changes[i].At = at
	}
	rep.Round, rep.UnhealthySince = s.state.Round, s.state.UnhealthySince
	s.state.NextRound = at.Add(s.cfg.Interval)
	// What the round decided is recorded before its state is saved: if
	// recording fails the state is not saved, and the round is judged
	// again — recorded twice after a crash at worst, never lost.
	rejudge := func(err error) (*Report, error) {
		s.state = nil
		if lerr := s.Load(ctx); lerr != nil {
			return nil, errors.Join(err, lerr)
		}
		return nil, err
	}
	if fs, ok := s.cfg.Store.(paradero.ImportService); ok {
		src, err := storeFinding(ctx, fs, rep, s.byKey)
		if err != nil {
			return rejudge(err)
		}
		rep.Finding = src
	}
	if s.cfg.OnChanges != nil {
		if err := s.cfg.OnChanges(ctx, rep); err != nil {
			return rejudge(err)
		}
	}
	b, err := json.Marshal(s.state)
	if err != nil {
		return nil, err
	}
	if err := s.shared.SaveWatchRound(ctx, loc, round, s.cfg.Owner, b); err != nil {
		if paradero.ErrorCode(err) == paradero.ECONFLICT {
			// This watcher's judging lease ended and another judged the
			// round: theirs is the state.
			if rep, eerr := s.elsewhere(ctx, round, at, me); eerr == nil {
				return rep, nil
			}
		}
		return rejudge(err)
	}
	s.cfg.Logger.Info("watch round", "locator", loc, "round", rep.Round, "healthy", rep.Health.Healthy,
		"answers", rep.Health.Answers, "found", rep.Health.Found, "not_found", rep.Health.NotFound,
		"failed", rep.Health.Failed, "changes", len(rep.Changes), "requests", rep.Requests, "asked", rep.Asked)
	if s.cfg.OnRound != nil {
		s.cfg.OnRound(rep)
	}
	return rep, nil
}

// ask makes one request about qs, the job key, with retries and backoff,
// and hands every snapshot to buf. It returns the answers and the number
// of requests made; an error only for the context's end, a store fault, or
// errLost if the claim on the job ends before a request can.
func (s *Scheduler) ask(ctx context.Context, key string, qs []Query, buf *snapBuffer, ls *leases) ([]Answer, int, error) {
	loc := s.cfg.Locator
	for attempt := 1; ; attempt++ {
		if s.gate.broken() {
			// The source failed BreakAfter times in a row: the rest of the
			// round is not asked, to spare it; the next round probes again.
			return failAll(qs, Failed, "not asked: the source is failing"), attempt - 1, nil
		}
		if err := s.gate.wait(ctx); err != nil {
			return nil, attempt - 1, err
		}
		// A request is made only under a claim that outlasts it: another
		// watcher never asks about the job at the same time.
		if !ls.holds(key, time.Now().Add(s.cfg.Timeout)) {
			return nil, attempt - 1, errLost
		}
		rctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		resp, err := loc.Ask(rctx, qs)
		cancel()
		if err != nil {
			return nil, attempt, err
		}
		if len(resp.Answers) != len(qs) {
			return nil, attempt, fmt.Errorf("watch %s: %d answers to %d queries", loc.Name(), len(resp.Answers), len(qs))
		}
		if resp.Body != nil {
			if err := buf.add(ctx, qs, s.snapshot(qs, resp)); err != nil {
				return nil, attempt, err
			}
		}
		transient, blocked := false, false
		for _, a := range resp.Answers {
			transient = transient || a.Outcome == Failed
			blocked = blocked || a.Outcome == Blocked
		}
		if !transient && !blocked {
			s.gate.ok()
			return resp.Answers, attempt, nil
		}
		if err := s.gate.fail(ctx, resp.RetryAfter); err != nil {
			return nil, attempt, err
		}
		// A block is not retried in the round: asking again at once is
		// what gets a client blocked for good.
		if blocked || attempt >= s.cfg.MaxAttempts {
			return resp.Answers, attempt, nil
		}
	}
}

// snapBuffer collects a round's snapshots and stores them FlushEvery at a
// time, in one transaction when the store is a BatchStore; then it keeps
// the answers of the jobs done with their claims, which ends them. The
// sighting of each snapshot is recorded for every key it answered, later
// ones overriding earlier ones (a retry's answer over the failure's).
type snapBuffer struct {
	mu        sync.Mutex // held while flushing, so snapshots are stored in the order added
	store     Store
	shared    SharedStore
	locator   string
	round     int
	owner     string
	n         int
	snaps     []*paradero.Snapshot
	keys      [][]Query
	sightings map[string]*paradero.Sighting
	finished  []finished
	me        *share
	leases    *leases
	logger    *slog.Logger
}

// finished is a job asked and answered, whose answers wait to be kept.
type finished struct {
	key      string
	qs       []Query
	answers  []Answer
	requests int
}

func (b *snapBuffer) add(ctx context.Context, qs []Query, snap *paradero.Snapshot) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.snaps = append(b.snaps, snap)
	b.keys = append(b.keys, qs)
	if len(b.snaps) < b.n {
		return nil
	}
	return b.flushLocked(ctx)
}

// done records a job's answers; they are kept with its claim once its
// snapshots are stored, at the next flush.
func (b *snapBuffer) done(key string, qs []Query, answers []Answer, requests int) {
	b.mu.Lock()
	b.finished = append(b.finished, finished{key: key, qs: qs, answers: answers, requests: requests})
	b.mu.Unlock()
}

func (b *snapBuffer) flush(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked(ctx)
}

func (b *snapBuffer) flushLocked(ctx context.Context) error {
	if len(b.snaps) > 0 {
		var sgs []*paradero.Sighting
		if bs, ok := b.store.(BatchStore); ok {
			var err error
			if sgs, err = bs.RecordSnapshots(ctx, b.snaps); err != nil {
				return err
			}
		} else {
			for _, sn := range b.snaps {
				sg, err := b.store.RecordSnapshot(ctx, sn)
				if err != nil {
					return err
				}
				sgs = append(sgs, sg)
			}
		}
		if len(sgs) != len(b.snaps) {
			return fmt.Errorf("watch: the store returned %d sightings for %d snapshots", len(sgs), len(b.snaps))
		}
		for i, qs := range b.keys {
			for _, q := range qs {
				b.sightings[q.Key] = sgs[i]
			}
		}
		b.snaps, b.keys = b.snaps[:0], b.keys[:0]
	}
	if len(b.finished) == 0 {
		return nil
	}
	// Every snapshot of a finished job is stored: keep its answers.
	results := make(map[string][]byte, len(b.finished))
	for _, f := range b.finished {
		if f.qs == nil {
			results[f.key] = nil
			continue
		}
		r, err := encodeResult(f.answers, f.requests, b.sightings[f.qs[0].Key])
		if err != nil {
			return err
		}
		results[f.key] = r
	}
	lost, err := b.shared.AnswerWatchClaims(ctx, b.locator, b.round, b.owner, results)
	if err != nil {
		return err
	}
	if len(lost) > 0 {
		// Asked here after the lease ended and another watcher took the
		// job over: its answer is stored as evidence, but theirs counts.
		b.logger.Warn("watch claims were taken over before their answers were kept", "locator", b.locator, "jobs", len(lost))
	}
	isLost := make(map[string]bool, len(lost))
	for _, k := range lost {
		isLost[k] = true
	}
	keys := make([]string, 0, len(b.finished))
	b.me.mu.Lock()
	for _, f := range b.finished {
		keys = append(keys, f.key)
		if !isLost[f.key] {
			b.me.asked += len(f.qs)
		}
	}
	b.me.mu.Unlock()
	b.leases.drop(keys)
	b.finished = b.finished[:0]
	return nil
}

// snapshot returns resp as a snapshot to store. A per-person answer is
// keyed by its watch entry; a document by the locator alone.
func (s *Scheduler) snapshot(qs []Query, resp *Response) *paradero.Snapshot {
	key := "*"
	if s.cfg.Locator.Batch() == 1 {
		key = qs[0].Key
	}
	now := s.cfg.Now()
	recs := resp.Records
	if recs == nil {
		for _, a := range resp.Answers {
			if a.Record != nil {
				r := *a.Record
				recs = append(recs, &r)
			}
		}
	}
	day := paradero.PartialDate{Year: now.UTC().Year(), Month: int(now.UTC().Month()), Day: now.UTC().Day()}
	for _, r := range recs {
		if r.EventDate.IsZero() {
			r.EventDate = paradero.DateRange{From: day}
		}
	}
	mt := resp.MediaType
	if mt == "" {
		mt = "application/octet-stream"
	}
	return &paradero.Snapshot{
		Locator: s.cfg.Locator.Name(), Key: key, ObservedAt: now, Body: resp.Body, Records: recs,
		Source: paradero.Source{Kind: paradero.KindLocatorSnapshot, Title: s.cfg.Locator.Name() + " answer",
			Published: day, Filename: resp.Filename, MediaType: mt},
	}
}

// gate spaces requests Gap apart plus jitter, and pauses them after
// failures: the pause doubles from BackoffMin to BackoffMax, or is what
// Retry-After asked if that is longer, and ends at the first success. With
// a Pacer for a store the spacing and the pauses are the store's, shared
// by every watcher of the locator; the doubling and the streak of failures
// stay each watcher's own.
type gate struct {
	mu            sync.Mutex
	next          time.Time
	gap, min, max time.Duration
	backoff       time.Duration
	jitter        float64
	rnd           *rand.Rand
	streak        int // failed requests in a row
	breakAfter    int
	pacer         Pacer
	locator       string
}

func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	gap := g.gap + time.Duration(g.jitter*g.rnd.Float64()*float64(g.gap))
	if g.pacer != nil {
		g.mu.Unlock()
		d, err := g.pacer.PaceWatch(ctx, g.locator, gap, 0)
		if err != nil {
			return err
		}
		return sleep(ctx, d)
	}
	now := time.Now()
	t := g.next
	if t.Before(now) {
		t = now
	}
	g.next = t.Add(gap)
	g.mu.Unlock()
	return sleep(ctx, t.Sub(now))
}

func (g *gate) fail(ctx context.Context, retryAfter time.Duration) error {
	g.mu.Lock()
	g.streak++
	if g.backoff == 0 {
		g.backoff = g.min
	} else {
		g.backoff = min(2*g.backoff, g.max)
	}
	d := max(g.backoff, min(retryAfter, 24*time.Hour))
	if g.pacer != nil {
		g.mu.Unlock()
		_, err := g.pacer.PaceWatch(ctx, g.locator, 0, d)
		return err
	}
	defer g.mu.Unlock()
	if t := time.Now().Add(d); t.After(g.next) {
		g.next = t
	}
	return nil
}

func (g *gate) ok() {
	g.mu.Lock()
	g.backoff, g.streak = 0, 0
	g.mu.Unlock()
}

func (g *gate) broken() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.streak >= g.breakAfter
}

// newRound lets the next request probe a source that was failing.
func (g *gate) newRound() {
	g.mu.Lock()
	g.streak = min(g.streak, g.breakAfter-1)
	g.mu.Unlock()
}
