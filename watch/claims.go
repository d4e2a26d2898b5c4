package watch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/paradero/paradero"
)

// Several watchers, one store. Two servers running `paradero watch` on one
// PostgreSQL database share the work of every round instead of each
// polling everyone: a round's jobs (one per watched person, or one per
// document for a roster) are claimed from the store, a few at a time, each
// by exactly one watcher for the duration of its poll — a lease with an
// expiry, renewed while the watcher is alive, released when the answer is
// stored — so no locator is ever asked about one person by two watchers at
// once, and a watcher killed mid-round leaves its jobs to the others once
// its leases end. Every answer is kept with its claim; when a round has no
// job left unanswered, one watcher claims the round itself, judges every
// answer together (the health rule needs the whole round), records what it
// decided and saves the state, which says when the next round is due. The
// others read that state and wait for it.
//
// A SharedStore keeps the claims; the PostgreSQL and SQLite stores and
// MemStore are. For a store that is not, the scheduler keeps them in
// memory, which is right for one process.

// SharedStore is a Store several watch processes can share. Claims are by
// job key: a watch entry's key, or a key beginning with "*" for a job that
// asks about many entries at once (watch keys may not begin with "*").
// Leases run on the store's clock, so watchers on machines whose clocks
// differ still agree when one ends. results are the watch package's own
// encoding, kept byte for byte.
type SharedStore interface {
	Store
	// OpenWatchRound makes sure every key has a claim (claims of keys not
	// listed stay) and, if round is later than the locator's current
	// round, makes it the current one, begun at at. It returns when round
	// began if it is current and not judged yet, and the zero time if the
	// locator has moved past it.
	OpenWatchRound(ctx context.Context, locator string, round int, keys []string, at time.Time) (time.Time, error)
	// ClaimWatch leases to owner, for lease, up to limit of the locator's
	// keys that have no answer in round and are not leased (or whose lease
	// ended), and returns them; nothing unless round is current and not
	// judged. A claimed key's answer from an earlier round is dropped.
	ClaimWatch(ctx context.Context, locator string, round int, owner string, lease time.Duration, limit int) ([]string, error)
	// RenewWatchClaims extends, by lease from now, every lease owner holds
	// on the locator — unanswered claims and the round's judging — and
	// returns the keys of the claims it still holds.
	RenewWatchClaims(ctx context.Context, locator, owner string, lease time.Duration) ([]string, error)
	// AnswerWatchClaims keeps each result as its key's answer in round
	// and ends owner's lease on it. It returns the keys owner no longer
	// held (another watcher took them over), whose results are not kept.
	// A nil result answers the key without a result.
	AnswerWatchClaims(ctx context.Context, locator string, round int, owner string, results map[string][]byte) ([]string, error)
	// ReleaseWatchClaims ends every lease owner holds on the locator
	// without answering, so other watchers may take the keys at once.
	ReleaseWatchClaims(ctx context.Context, locator, owner string) error
	// ClaimWatchJudge leases the judging of round to owner if round is
	// current and not judged, every key has its answer in it, and no one
	// else holds the judging (or their lease ended). It reports whether
	// owner holds it.
	ClaimWatchJudge(ctx context.Context, locator string, round int, owner string, lease time.Duration) (bool, error)
	// WatchRoundResults returns the results kept for round, by key.
	WatchRoundResults(ctx context.Context, locator string, round int) (map[string][]byte, error)
	// SaveWatchRound saves state as the locator's state, marks round
	// judged and ends owner's judging lease, in one transaction; ECONFLICT
	// if owner does not hold the judging of round or it is judged already.
	SaveWatchRound(ctx context.Context, locator string, round int, owner string, state []byte) error
}

// Pacer is a store that spaces requests to a locator for every watcher
// sharing it: the rate limit and the pauses after failures (backoff,
// Retry-After) hold for all of them, not for each. The PostgreSQL store
// and MemStore are Pacers; for another store each scheduler paces its own
// requests, which is right for one process.
type Pacer interface {
	// PaceWatch reserves the locator's next request slot: it returns how
	// long to wait before asking — until the previous slot plus gap, and
	// any pause, are over — and moves the next slot gap past this one.
	// pause > 0 makes the locator wait that long from now (unless it
	// waits longer already); gap 0 reserves nothing.
	PaceWatch(ctx context.Context, locator string, gap, pause time.Duration) (time.Duration, error)
}

// newOwner returns a name for a watcher that no other has: the host and
// process, for an operator reading the claims, and a random part.
func newOwner() string {
	host, _ := os.Hostname()
	var b [8]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// savedAnswer is an Answer as a claim keeps it: what the judging needs,
// never the record (which names the person).
type savedAnswer struct {
	Key       string  `json:"key"`
	Outcome   Outcome `json:"outcome"`
	InCustody bool    `json:"in_custody,omitempty"`
	Facility  string  `json:"facility,omitempty"`
	Place     string  `json:"place,omitempty"`
	Custodian string  `json:"custodian,omitempty"`
	Status    string  `json:"status,omitempty"`
	Detail    string  `json:"detail,omitempty"`
}

// jobResult is one job's result as its claim keeps it.
type jobResult struct {
	Answers  []savedAnswer `json:"answers"`
	Requests int           `json:"requests"`
	// Sighting is the snapshot that answered the job last (a retry's
	// over the failure's); nil if nothing was received.
	Sighting *paradero.Sighting `json:"sighting,omitempty"`
}

func encodeResult(answers []Answer, requests int, sg *paradero.Sighting) ([]byte, error) {
	r := jobResult{Requests: requests, Sighting: sg}
	for _, a := range answers {
		r.Answers = append(r.Answers, savedAnswer{Key: a.Key, Outcome: a.Outcome, InCustody: a.InCustody, Facility: a.Facility,
			Place: a.Place, Custodian: a.Custodian, Status: a.Status, Detail: a.Detail})
	}
	return json.Marshal(r)
}

func decodeResult(b []byte) (*jobResult, error) {
	var r jobResult
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func (a savedAnswer) answer() Answer {
	return Answer{Key: a.Key, Outcome: a.Outcome, InCustody: a.InCustody, Facility: a.Facility, Place: a.Place,
		Custodian: a.Custodian, Status: a.Status, Detail: a.Detail}
}

// memClaims keeps claims in memory, on the process's clock: MemStore's,
// and the scheduler's for a store that is not a SharedStore.
type memClaims struct {
	mu     sync.Mutex
	rounds map[string]*memRound
	claims map[string]map[string]*memClaim // by locator, key
	pace   map[string]*memPace
}

type memRound struct {
	round      int
	started    time.Time
	judged     int
	judge      string
	judgeUntil time.Time
}

type memClaim struct {
	round    int
	owner    string
	until    time.Time
	answered bool
	result   []byte
}

type memPace struct{ next, paused time.Time }

func newMemClaims() *memClaims {
	return &memClaims{rounds: make(map[string]*memRound), claims: make(map[string]map[string]*memClaim), pace: make(map[string]*memPace)}
}

func (m *memClaims) openRound(locator string, round int, keys []string, at time.Time) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	cs := m.claims[locator]
	if cs == nil {
		cs = make(map[string]*memClaim)
		m.claims[locator] = cs
	}
	for _, k := range keys {
		if cs[k] == nil {
			cs[k] = &memClaim{}
		}
	}
	r := m.rounds[locator]
	if r == nil {
		r = &memRound{}
		m.rounds[locator] = r
	}
	if r.round < round {
		r.round, r.started, r.judge, r.judgeUntil = round, at, "", time.Time{}
	}
	if r.round != round || r.judged >= round {
		return time.Time{}
	}
	return r.started
}

func (m *memClaims) claim(locator string, round int, owner string, lease time.Duration, limit int) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.rounds[locator]; r == nil || r.round != round || r.judged >= round {
		return nil
	}
	now := time.Now()
	cs := m.claims[locator]
	keys := make([]string, 0, len(cs))
	for k, c := range cs {
		if c.round < round || !c.answered && (c.owner == "" || !c.until.After(now)) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := cs[a].round - cs[b].round; d != 0 {
			return d
		}
		return cmpStr(a, b)
	})
	keys = keys[:min(len(keys), max(limit, 0))]
	for _, k := range keys {
		*cs[k] = memClaim{round: round, owner: owner, until: now.Add(lease)}
	}
	return keys
}

func (m *memClaims) renew(locator, owner string, lease time.Duration) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if r := m.rounds[locator]; r != nil && r.judge == owner {
		r.judgeUntil = now.Add(lease)
	}
	var held []string
	for k, c := range m.claims[locator] {
		if c.owner == owner && !c.answered {
			c.until = now.Add(lease)
			held = append(held, k)
		}
	}
	slices.Sort(held)
	return held
}

func (m *memClaims) answer(locator string, round int, owner string, results map[string][]byte) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var lost []string
	for k, res := range results {
		c := m.claims[locator][k]
		if c == nil || c.round != round || c.owner != owner || c.answered {
			lost = append(lost, k)
			continue
		}
		*c = memClaim{round: round, answered: true, result: slices.Clone(res)}
	}
	slices.Sort(lost)
	return lost
}

func (m *memClaims) release(locator, owner string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.rounds[locator]; r != nil && r.judge == owner {
		r.judge, r.judgeUntil = "", time.Time{}
	}
	for _, c := range m.claims[locator] {
		if c.owner == owner && !c.answered {
			c.owner, c.until = "", time.Time{}
		}
	}
}

func (m *memClaims) claimJudge(locator string, round int, owner string, lease time.Duration) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rounds[locator]
	now := time.Now()
	if r == nil || r.round != round || r.judged >= round || r.judge != "" && r.judge != owner && r.judgeUntil.After(now) {
		return false
	}
	for _, c := range m.claims[locator] {
		if c.round < round || !c.answered {
			return false
		}
	}
	r.judge, r.judgeUntil = owner, now.Add(lease)
	return true
}

func (m *memClaims) results(locator string, round int) map[string][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][]byte)
	for k, c := range m.claims[locator] {
		if c.round == round && c.answered && c.result != nil {
			out[k] = slices.Clone(c.result)
		}
	}
	return out
}

// saveRound calls save while it holds the claims, if owner judges round.
func (m *memClaims) saveRound(locator string, round int, owner string, save func() error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rounds[locator]
	if r == nil || r.judge != owner || r.judged >= round || r.round != round {
		return paradero.Errorf(paradero.ECONFLICT, "watch %s: round %d is not this watcher's to judge", locator, round)
	}
	if err := save(); err != nil {
		return err
	}
	r.judged, r.judge, r.judgeUntil = round, "", time.Time{}
	return nil
}

func (m *memClaims) paceWatch(locator string, gap, pause time.Duration) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	p := m.pace[locator]
	if p == nil {
		p = &memPace{next: now, paused: now}
		m.pace[locator] = p
	}
	if pause > 0 && now.Add(pause).After(p.paused) {
		p.paused = now.Add(pause)
	}
	if gap <= 0 {
		return 0
	}
	t := now
	for _, u := range []time.Time{p.next, p.paused} {
		if u.After(t) {
			t = u
		}
	}
	p.next = t.Add(gap)
	return t.Sub(now)
}

// localShared makes a Store that is not a SharedStore one, keeping the
// claims in memory: right for the one process that uses the store.
type localShared struct {
	Store
	c *memClaims
}

func (l *localShared) OpenWatchRound(ctx context.Context, locator string, round int, keys []string, at time.Time) (time.Time, error) {
	return l.c.openRound(locator, round, keys, at), nil
}

func (l *localShared) ClaimWatch(ctx context.Context, locator string, round int, owner string, lease time.Duration, limit int) ([]string, error) {
	return l.c.claim(locator, round, owner, lease, limit), nil
}

func (l *localShared) RenewWatchClaims(ctx context.Context, locator, owner string, lease time.Duration) ([]string, error) {
	return l.c.renew(locator, owner, lease), nil
}

func (l *localShared) AnswerWatchClaims(ctx context.Context, locator string, round int, owner string, results map[string][]byte) ([]string, error) {
	return l.c.answer(locator, round, owner, results), nil
}

func (l *localShared) ReleaseWatchClaims(ctx context.Context, locator, owner string) error {
	l.c.release(locator, owner)
	return nil
}

func (l *localShared) ClaimWatchJudge(ctx context.Context, locator string, round int, owner string, lease time.Duration) (bool, error) {
	return l.c.claimJudge(locator, round, owner, lease), nil
}

func (l *localShared) WatchRoundResults(ctx context.Context, locator string, round int) (map[string][]byte, error) {
	return l.c.results(locator, round), nil
}

func (l *localShared) SaveWatchRound(ctx context.Context, locator string, round int, owner string, state []byte) error {
	return l.c.saveRound(locator, round, owner, func() error { return l.Store.SaveWatchState(ctx, locator, state) })
}
