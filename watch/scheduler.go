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

	// OnRound, if set, is called after every round, from the scheduler's
	// goroutine.
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
		if q.Key == "" || seen[q.Key] {
			return paradero.Errorf(paradero.EINVALID, "watch %s: every watch entry needs its own key (%q)", c.Locator.Name(), q.Key)
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
	Requests  int // requests made, retries included
	// Finding is the source that records the round's gone changes
	// (finding.go); nil if there were none or the store keeps no
	// findings.
	Finding *paradero.Source
}

// Scheduler polls one locator politely and durably: rounds every
// Interval, requests at least Gap apart plus jitter, at most MaxInFlight
// at once, each with its own timeout; exponential backoff after failures
// and HTTP 429, honouring Retry-After; the state saved after every round so
// a restart resumes where it stopped. It owns its goroutine: Start, then
// Close.
type Scheduler struct {
	cfg   Config
	gate  *gate
	state *State
	byKey map[string]Query

	cancel context.CancelFunc
	done   chan struct{}
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
	return &Scheduler{cfg: cfg, byKey: byKey, gate: &gate{gap: cfg.Gap, breakAfter: cfg.BreakAfter, jitter: cfg.Jitter, min: cfg.BackoffMin, max: cfg.BackoffMax,
		rnd: rand.New(rand.NewPCG(cfg.Seed, 0x7061726164))}}, nil
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
	for {
		if wait := s.state.NextRound.Sub(s.cfg.Now()); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if _, err := s.RunRound(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.cfg.Logger.Error("watch round failed", "locator", s.cfg.Locator.Name(), "err", err)
			// A store fault: try again after a pause rather than spin.
			s.state.NextRound = s.cfg.Now().Add(s.cfg.BackoffMin)
		}
	}
}

// RunRound asks about every watched person once, stores every answer,
// judges the round and saves the state. Load must have been called (Start
// does).
func (s *Scheduler) RunRound(ctx context.Context) (*Report, error) {
	if s.state == nil {
		if err := s.Load(ctx); err != nil {
			return nil, err
		}
	}
	at := s.cfg.Now()
	loc := s.cfg.Locator
	qs := s.cfg.Queries
	batch := loc.Batch()
	if batch <= 0 {
		batch = max(len(qs), 1)
	}
	s.gate.newRound()
	type job struct{ lo, hi int }
	jobs := make(chan job)
	answers := make([]Answer, len(qs))
	rep := &Report{Locator: loc.Name(), At: at, Sightings: make(map[string]*paradero.Sighting)}
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	buf := &snapBuffer{store: s.cfg.Store, n: s.cfg.FlushEvery, sightings: rep.Sightings}
	for range min(s.cfg.MaxInFlight, (len(qs)+batch-1)/batch) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				got, n, err := s.ask(ctx, qs[j.lo:j.hi], buf)
				mu.Lock()
				rep.Requests += n
				if err == nil {
					copy(answers[j.lo:j.hi], got)
				}
				mu.Unlock()
				if err != nil {
					fail(err)
				}
			}
		}()
	}
	for lo := 0; lo < len(qs); lo += batch {
		select {
		case jobs <- job{lo, min(lo+batch, len(qs))}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(jobs)
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
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.Health, rep.Changes = s.state.Observe(at, answers, s.cfg.Rule)
	for i := range rep.Changes {
		rep.Changes[i].At = at
	}
	rep.Round, rep.UnhealthySince = s.state.Round, s.state.UnhealthySince
	s.state.NextRound = at.Add(s.cfg.Interval)
	// What the round decided is recorded before its state is saved: if
	// recording fails the state is not saved, and the next round judges
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
	if err := s.cfg.Store.SaveWatchState(ctx, loc.Name(), b); err != nil {
		return nil, err
	}
	s.cfg.Logger.Info("watch round", "locator", loc.Name(), "round", rep.Round, "healthy", rep.Health.Healthy,
		"answers", rep.Health.Answers, "found", rep.Health.Found, "not_found", rep.Health.NotFound,
		"failed", rep.Health.Failed, "changes", len(rep.Changes), "requests", rep.Requests)
	if s.cfg.OnRound != nil {
		s.cfg.OnRound(rep)
	}
	return rep, nil
}

// ask makes one request about qs, with retries and backoff, and hands
// every snapshot to buf. It returns the answers and the number of requests
// made; an error only for the context's end or a store fault.
func (s *Scheduler) ask(ctx context.Context, qs []Query, buf *snapBuffer) ([]Answer, int, error) {
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
		s.gate.fail(resp.RetryAfter)
		// A block is not retried in the round: asking again at once is
		// what gets a client blocked for good.
		if blocked || attempt >= s.cfg.MaxAttempts {
			return resp.Answers, attempt, nil
		}
	}
}

// snapBuffer collects a round's snapshots and stores them FlushEvery at a
// time, in one transaction when the store is a BatchStore. The sighting of
// each snapshot is recorded for every key it answered, later ones
// overriding earlier ones (a retry's answer over the failure's).
type snapBuffer struct {
	mu        sync.Mutex // held while flushing, so snapshots are stored in the order added
	store     Store
	n         int
	snaps     []*paradero.Snapshot
	keys      [][]Query
	sightings map[string]*paradero.Sighting
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

func (b *snapBuffer) flush(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked(ctx)
}

func (b *snapBuffer) flushLocked(ctx context.Context) error {
	if len(b.snaps) == 0 {
		return nil
	}
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
// Retry-After asked if that is longer, and ends at the first success.
type gate struct {
	mu            sync.Mutex
	next          time.Time
	gap, min, max time.Duration
	backoff       time.Duration
	jitter        float64
	rnd           *rand.Rand
	streak        int // failed requests in a row
	breakAfter    int
}

func (g *gate) wait(ctx context.Context) error {
	g.mu.Lock()
	now := time.Now()
	t := g.next
	if t.Before(now) {
		t = now
	}
	g.next = t.Add(g.gap + time.Duration(g.jitter*g.rnd.Float64()*float64(g.gap)))
	g.mu.Unlock()
	if d := t.Sub(now); d > 0 {
		tm := time.NewTimer(d)
		defer tm.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tm.C:
		}
	}
	return ctx.Err()
}

func (g *gate) fail(retryAfter time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.streak++
	if g.backoff == 0 {
		g.backoff = g.min
	} else {
		g.backoff = min(2*g.backoff, g.max)
	}
	d := max(g.backoff, min(retryAfter, 24*time.Hour))
	if t := time.Now().Add(d); t.After(g.next) {
		g.next = t
	}
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
