package watch

import (
	"context"
	"crypto/sha256"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/paradero/paradero"
)

// MemStore is a Store in memory, for tests and the simulator's demo. Like
// the real stores, a body seen before is stored once (its source id is
// reused) and every observation is a sighting; like the PostgreSQL store,
// it is a SharedStore and a Pacer, so schedulers sharing one MemStore
// share their rounds as watchers sharing a database do (on the process's
// clock, which testing/synctest fakes).
type MemStore struct {
	mu        sync.Mutex
	bySum     map[paradero.Hash]int64
	Snapshots []*paradero.Snapshot // index i is source id i+1
	sightings []*paradero.Sighting
	states    map[string][]byte
	claims    *memClaims
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{bySum: make(map[paradero.Hash]int64), states: make(map[string][]byte), claims: newMemClaims()}
}

var (
	_ Store                  = (*MemStore)(nil)
	_ BatchStore             = (*MemStore)(nil)
	_ SharedStore            = (*MemStore)(nil)
	_ Pacer                  = (*MemStore)(nil)
	_ paradero.ImportService = (*MemStore)(nil)
)

// BeginImport takes a source other than a snapshot (a watch's finding):
// it is kept among Snapshots, with no locator and no key. A body stored
// already is ECONFLICT, as in the real stores.
func (m *MemStore) BeginImport(ctx context.Context, src *paradero.Source, blob io.Reader) (paradero.Import, error) {
	body, err := io.ReadAll(blob)
	if err != nil {
		return nil, err
	}
	return &memImport{m: m, snap: &paradero.Snapshot{Source: *src, Body: body}}, nil
}

type memImport struct {
	m    *MemStore
	snap *paradero.Snapshot
}

func (im *memImport) AddRecord(ctx context.Context, r *paradero.Record) error {
	if err := r.Validate(); err != nil {
		return err
	}
	im.snap.Records = append(im.snap.Records, r)
	return nil
}

func (im *memImport) Commit(ctx context.Context) (*paradero.Source, error) {
	m := im.m
	m.mu.Lock()
	defer m.mu.Unlock()
	sum := paradero.Hash(sha256.Sum256(im.snap.Body))
	if _, ok := m.bySum[sum]; ok {
		return nil, paradero.Errorf(paradero.ECONFLICT, "this file was imported already")
	}
	c := im.snap
	c.Source.ID, c.Source.SHA256, c.Source.Records = int64(len(m.Snapshots)+1), sum, len(c.Records)
	for i, r := range c.Records {
		r.SourceID, r.ID = c.Source.ID, int64(i+1)
	}
	m.Snapshots = append(m.Snapshots, c)
	m.bySum[sum] = c.Source.ID
	src := c.Source
	return &src, nil
}

func (im *memImport) Rollback() error { return nil }

// RecordSnapshots stores each snapshot as RecordSnapshot does.
func (m *MemStore) RecordSnapshots(ctx context.Context, snaps []*paradero.Snapshot) ([]*paradero.Sighting, error) {
	out := make([]*paradero.Sighting, len(snaps))
	for i, s := range snaps {
		out[i], _ = m.RecordSnapshot(ctx, s)
	}
	return out, nil
}

// RecordSnapshot stores s unless its body is stored already.
func (m *MemStore) RecordSnapshot(ctx context.Context, s *paradero.Snapshot) (*paradero.Sighting, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	sum := paradero.Hash(sha256.Sum256(s.Body))
	sg := &paradero.Sighting{Locator: s.Locator, Key: s.Key, SeenAt: s.ObservedAt}
	if id, ok := m.bySum[sum]; ok {
		sg.SourceID = id
	} else {
		c := *s
		c.Source.ID = int64(len(m.Snapshots) + 1)
		c.Source.SHA256 = sum
		for i, r := range c.Records {
			rr := *r
			rr.SourceID, rr.ID = c.Source.ID, int64(i+1)
			c.Records[i] = &rr
		}
		m.Snapshots = append(m.Snapshots, &c)
		m.bySum[sum] = c.Source.ID
		sg.SourceID, sg.New = c.Source.ID, true
	}
	m.sightings = append(m.sightings, sg)
	return sg, nil
}

// FindSightings returns the sightings of one watch entry, oldest first.
func (m *MemStore) FindSightings(ctx context.Context, locator, key string, limit int) ([]*paradero.Sighting, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*paradero.Sighting
	for _, s := range m.sightings {
		if s.Locator == locator && s.Key == key {
			out = append(out, s)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Snapshot returns the snapshot stored as source id.
func (m *MemStore) Snapshot(id int64) *paradero.Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id < 1 || id > int64(len(m.Snapshots)) {
		return nil
	}
	return m.Snapshots[id-1]
}

// LoadWatchState returns ENOTFOUND if nothing was saved.
func (m *MemStore) LoadWatchState(ctx context.Context, locator string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.states[locator]
	if !ok {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no watch state for %s", locator)
	}
	return slices.Clone(b), nil
}

// SaveWatchState replaces the saved state.
func (m *MemStore) SaveWatchState(ctx context.Context, locator string, state []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.states[locator] = slices.Clone(state)
	return nil
}

// OpenWatchRound implements SharedStore.
func (m *MemStore) OpenWatchRound(ctx context.Context, locator string, round int, keys []string, at time.Time) (time.Time, error) {
	return m.claims.openRound(locator, round, keys, at), nil
}

// ClaimWatch implements SharedStore.
func (m *MemStore) ClaimWatch(ctx context.Context, locator string, round int, owner string, lease time.Duration, limit int) ([]string, error) {
	return m.claims.claim(locator, round, owner, lease, limit), nil
}

// RenewWatchClaims implements SharedStore.
func (m *MemStore) RenewWatchClaims(ctx context.Context, locator, owner string, lease time.Duration) ([]string, error) {
	return m.claims.renew(locator, owner, lease), nil
}

// AnswerWatchClaims implements SharedStore.
func (m *MemStore) AnswerWatchClaims(ctx context.Context, locator string, round int, owner string, results map[string][]byte) ([]string, error) {
	return m.claims.answer(locator, round, owner, results), nil
}

// ReleaseWatchClaims implements SharedStore.
func (m *MemStore) ReleaseWatchClaims(ctx context.Context, locator, owner string) error {
	m.claims.release(locator, owner)
	return nil
}

// ClaimWatchJudge implements SharedStore.
func (m *MemStore) ClaimWatchJudge(ctx context.Context, locator string, round int, owner string, lease time.Duration) (bool, error) {
	return m.claims.claimJudge(locator, round, owner, lease), nil
}

// WatchRoundResults implements SharedStore.
func (m *MemStore) WatchRoundResults(ctx context.Context, locator string, round int) (map[string][]byte, error) {
	return m.claims.results(locator, round), nil
}

// SaveWatchRound implements SharedStore.
func (m *MemStore) SaveWatchRound(ctx context.Context, locator string, round int, owner string, state []byte) error {
	return m.claims.saveRound(locator, round, owner, func() error { return m.SaveWatchState(ctx, locator, state) })
}

// PaceWatch implements Pacer.
func (m *MemStore) PaceWatch(ctx context.Context, locator string, gap, pause time.Duration) (time.Duration, error) {
	return m.claims.paceWatch(locator, gap, pause), nil
}
