package estimate

import (
	"math"
	"runtime"
	"strings"
	"testing"
)

// TestBootstrapCoverage checks the bootstrap interval where the truth is
// known: tables drawn from an independence model of 1,000 people with
// capture probabilities 0.3, 0.4 and 0.25. About 95% of the 95% intervals
// must contain 1,000; with 60 tables, 52 or fewer happen with probability
// below 0.2% if the true coverage is 95%.
func TestBootstrapCoverage(t *testing.T) {
	const N = 1000
	sims := 60
	if testing.Short() {
		sims = 15
	}
	probs := []float64{0.3, 0.4, 0.25}
	cell := make([]float64, 8)
	for h := range cell {
		q := 1.0
		for j, p := range probs {
			if h&(1<<j) != 0 {
				q *= p
			} else {
				q *= 1 - p
			}
		}
		cell[h] = q
	}
	ind, _ := NewModel(3)
	covered := 0
	counts := make([]int, 8)
	for i := range sims {
		s := newSampler(99, uint64(i))
		s.multinomial(N, cell, counts)
		tab, _ := NewTable("A", "B", "C")
		for h := 1; h < 8; h++ {
			tab.Counts[h] = float64(counts[h])
		}
		iv, err := BootstrapInterval(t.Context(), tab, ind, 0.95, 200, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		if iv.Lower <= N && N <= iv.Upper {
			covered++
		}
	}
	if min := sims * 53 / 60; covered < min {
		t.Errorf("%d of %d intervals contain N, want at least %d", covered, sims, min)
	}
	t.Logf("%d of %d intervals contain N", covered, sims)
}

// TestBootstrapNearProfile checks that on a large, well-behaved table the
// bootstrap and profile-likelihood intervals of the same model nearly
// agree, as both approximate the same sampling distribution, and that the
// seed alone fixes the interval.
func TestBootstrapNearProfile(t *testing.T) {
	tab := readBenchTable(t, "kosovo_4")
	m, _ := ParseModel(4, "[123,14,34]") // best BIC
	prof, err := ProfileInterval(tab, m, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := BootstrapInterval(t.Context(), tab, m, 0.95, 400, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what      string
		got, want float64
	}{{"lower", boot.Lower, prof.Lower}, {"upper", boot.Upper, prof.Upper}} {
		if math.Abs(c.got-c.want) > 0.05*prof.Point {
			t.Errorf("bootstrap %s %.0f, profile %.0f: more than 5%% of N apart", c.what, c.got, c.want)
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	again, err := BootstrapInterval(t.Context(), tab, m, 0.95, 400, 1)
	if err != nil {
		t.Fatal(err)
	}
	if again != boot {
		t.Errorf("same seed, different interval: %+v and %+v", again, boot)
	}
	t.Logf("profile %.0f – %.0f, bootstrap %.0f – %.0f", prof.Lower, prof.Upper, boot.Lower, boot.Upper)
}

// TestBootstrapSparse checks that on a sparse table replicates without an
// estimate are left out and said so: new_orleans_5's best-AIC model, whose
// profile interval has no upper bound.
func TestBootstrapSparse(t *testing.T) {
	tab := readBenchTable(t, "new_orleans_5")
	m, _ := ParseModel(5, "[12,14,23,24,5]")
	iv, err := BootstrapInterval(t.Context(), tab, m, 0.95, 200, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !(iv.Lower < iv.Point && iv.Point < iv.Upper) {
		t.Errorf("interval %+v does not contain its point", iv)
	}
	if !strings.Contains(iv.Note, "gave no estimate and were left out") {
		t.Errorf("note %q does not say that replicates were left out", iv.Note)
	}
}
