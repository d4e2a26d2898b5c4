package web

import (
	"math"
	"testing"
	"time"

	"github.com/paradero/paradero/estimate"
)

func TestEstimatesCache(t *testing.T) {
	table := func(counts ...float64) *estimate.Table {
		tb, err := estimate.TableOf([]string{"roster", "court-filing"}, counts)
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	e := newEstimates()
	now := time.Now
	r1, ok := e.get(t.Context(), table(0, 4, 1, 1), time.Minute, now)
	if !ok || r1 == nil || r1.Err != nil || math.Abs(r1.Report.Estimate-10) > 1e-6 {
		t.Fatalf("get(4 1 1) = %+v, %v; want the estimate 10, current", r1, ok)
	}
	if again, ok := e.get(t.Context(), table(0, 4, 1, 1), time.Minute, now); !ok || again != r1 {
		t.Errorf("get(the same table) computed again")
	}
	r2, ok := e.get(t.Context(), table(0, 8, 2, 2), time.Minute, now)
	if !ok || r2 == r1 || math.Abs(r2.Report.Estimate-20) > 1e-6 {
		t.Errorf("get(8 2 2) = %+v, %v; want a new estimate, 20", r2, ok)
	}
	e.close()
	if r, ok := e.get(t.Context(), table(0, 1, 1, 1), time.Minute, now); ok || r != r2 {
		t.Errorf("after close, get(a new table) = %+v, %v; want the latest, not current, and nothing started", r, ok)
	}
}
