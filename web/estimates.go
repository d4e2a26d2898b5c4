package web

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/paradero/paradero/estimate"
)

// estimateTimeout bounds one estimate's computation (the demo's six kinds
// of source, 32,768 models, take about 12 seconds).
const estimateTimeout = 10 * time.Minute

// estimates computes multiple systems estimates off the request path and
// keeps the latest. An estimate is a pure function of its capture-history
// table, so the table itself is the cache key: a new source, a redaction or
// a link run that changes who is on which list changes the table, and
// anything that leaves it alone reuses the estimate. At most one
// computation runs at a time; a table asked for while another is computed
// waits for the next request after it.
type estimates struct {
	base   context.Context // cancelled by close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	latest  *estimateResult // the last one finished, for any table
	running *estimateRun    // nil when idle
}

// estimateResult is a finished estimate of one table.
type estimateResult struct {
	Table  *estimate.Table
	Report *estimate.Report // nil with Err
	Err    error
	At     time.Time // when it finished
}

type estimateRun struct {
	table *estimate.Table
	done  chan struct{} // closed when the run has stored its result
}

func newEstimates() *estimates {
	ctx, cancel := context.WithCancel(context.Background())
	return &estimates{base: ctx, cancel: cancel}
}

func sameTable(a, b *estimate.Table) bool {
	return a != nil && b != nil && slices.Equal(a.Lists, b.Lists) && slices.Equal(a.Counts, b.Counts)
}

// get returns the estimate of t, waiting at most wait for it. When none is
// ready it returns the latest estimate of another table (or nil) with
// current false, and starts computing t unless another computation is
// running. now stamps the result.
func (e *estimates) get(ctx context.Context, t *estimate.Table, wait time.Duration, now func() time.Time) (res *estimateResult, current bool) {
	e.mu.Lock()
	if e.latest != nil && sameTable(e.latest.Table, t) {
		defer e.mu.Unlock()
		return e.latest, true
	}
	run := e.running
	if run == nil && e.base.Err() == nil {
		run = &estimateRun{table: t, done: make(chan struct{})}
		e.running = run
		e.wg.Go(func() { e.compute(run, now) })
	}
	e.mu.Unlock()
	if run != nil && sameTable(run.table, t) && wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-run.done:
		case <-timer.C:
		case <-ctx.Done():
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.latest, e.latest != nil && sameTable(e.latest.Table, t)
}

// compute runs the estimate as `paradero estimate` does by default (BIC,
// 95 % profile interval) and stores it as the latest.
func (e *estimates) compute(run *estimateRun, now func() time.Time) {
	ctx, cancel := context.WithTimeout(e.base, estimateTimeout)
	defer cancel()
	r, err := estimate.Estimate(ctx, run.table, estimate.Options{})
	e.mu.Lock()
	if e.base.Err() == nil {
		e.latest = &estimateResult{Table: run.table, Report: r, Err: err, At: now()}
	}
	e.running = nil
	e.mu.Unlock()
	close(run.done)
}

// close stops a running computation and waits for it to end.
func (e *estimates) close() {
	e.cancel()
	e.wg.Wait()
}
