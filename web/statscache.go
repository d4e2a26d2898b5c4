package web

import (
	"context"
	"sync"
	"time"

	"github.com/paradero/paradero"
)

// statsTTL is how long the store-wide counts of the dashboard and the
// public statistics are reused: at a million records counting takes half
// a second, and fifty people opening the dashboard must not each pay it.
const statsTTL = 30 * time.Second

// statsCache keeps the last store-wide counts. They are aggregates, the
// same for every reader, so one copy serves everyone; while one request
// counts afresh the others are given the previous counts rather than wait.
type statsCache struct {
	mu         sync.Mutex
	at         time.Time
	st         *paradero.Status
	byKind     map[paradero.SourceKind]int
	refreshing bool
	gen        int // bumped by forget: a count begun before it is not kept
}

// get returns counts no older than statsTTL (or older ones while another
// request refreshes them), counting with compute when needed.
func (c *statsCache) get(ctx context.Context, now time.Time,
	compute func(context.Context) (*paradero.Status, map[paradero.SourceKind]int, error)) (*paradero.Status, map[paradero.SourceKind]int, error) {
	c.mu.Lock()
	if c.st != nil && (now.Sub(c.at) < statsTTL || c.refreshing) {
		st, byKind := c.st, c.byKind
		c.mu.Unlock()
		return st, byKind, nil
	}
	c.refreshing = true
	gen := c.gen
	c.mu.Unlock()

	st, byKind, err := compute(ctx)

	c.mu.Lock()
	defer c.mu.Unlock()
	c.refreshing = false
	if err != nil {
		return nil, nil, err
	}
	if gen == c.gen {
		c.st, c.byKind, c.at = st, byKind, now
	}
	return st, byKind, nil
}

// forget drops the counts, so the next reader counts afresh: after an
// import from the web, whose author expects to see it counted.
func (c *statsCache) forget() {
	c.mu.Lock()
	c.st = nil
	c.gen++
	c.mu.Unlock()
}
