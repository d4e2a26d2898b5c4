package estimate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
)

// BootstrapInterval returns a parametric bootstrap percentile interval for
// the total N under model m (Buckland & Garthwaite 1991, "Quantifying
// precision of mark-recapture estimates using the bootstrap and related
// methods", Biometrics 47:255): replicates tables are drawn from the
// fitted model — N̂ people (rounded) spread over every capture pattern,
// the unobserved one included, with the fitted probabilities — the people
// drawn into the unobserved pattern are dropped, m is fitted again to
// what is left, and the interval runs between the (1 ∓ level)/2 quantiles
// of the replicates' estimates.
//
// The model is held fixed: the interval reflects sampling variation under
// m, not the uncertainty of having chosen m. Replicate tables on which m
// has no estimate (sparse tables can lose a needed overlap) are left out
// and counted in Note. Replicate b is drawn from the stream (seed, b), so
// the interval depends on the seed only, not on the number of CPUs.
func BootstrapInterval(ctx context.Context, t *Table, m Model, level float64, replicates int, seed uint64) (Interval, error) {
	if err := t.Validate(); err != nil {
		return Interval{}, err
	}
	if level <= 0 || level >= 1 {
		return Interval{}, errors.New("estimate: confidence level must be in (0, 1)")
	}
	if replicates < 10 {
		return Interval{}, errors.New("estimate: a bootstrap needs at least 10 replicates")
	}
	f := newFitter(t)
	mf, mu := f.fitMu(m, f.newScratch())
	if !mf.Exists {
		return Interval{}, errors.New("estimate: " + mf.Problem)
	}
	// Probabilities of every pattern under the fit; pattern 0 gets the
	// estimated number missing.
	p := make([]float64, len(t.Counts))
	copy(p, mu)
	p[0] = mf.Missing
	var total float64
	for _, x := range p {
		total += x
	}
	for h := range p {
		p[h] /= total
	}
	size := int(math.Round(mf.N))
	est := make([]float64, replicates)
	workers := min(runtime.GOMAXPROCS(0), replicates)
	var wg sync.WaitGroup
	var mu0 sync.Mutex
	next := 0
	for range workers {
		wg.Go(func() {
			counts := make([]int, len(p))
			tab := &Table{Lists: t.Lists, Counts: make([]float64, len(p))}
			for {
				if ctx.Err() != nil {
					return
				}
				mu0.Lock()
				b := next
				next++
				mu0.Unlock()
				if b >= replicates {
					return
				}
				s := newSampler(seed, uint64(b))
				s.multinomial(size, p, counts)
				for h := range counts {
					tab.Counts[h] = float64(counts[h])
				}
				tab.Counts[0] = 0
				est[b] = math.NaN()
				if tab.Observed() == 0 {
					continue
				}
				bf := newFitter(tab)
				if r := bf.fit(m, bf.newScratch()); r.Exists {
					est[b] = r.N
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Interval{}, err
	}
	ok := slices.DeleteFunc(est, math.IsNaN)
	iv := Interval{Level: level, Method: "bootstrap", Point: mf.N}
	if len(ok) < replicates/2 {
		iv.Lower, iv.Upper = math.NaN(), math.NaN()
		iv.Note = fmt.Sprintf("%d of %d bootstrap tables gave no estimate: the data are too sparse for a bootstrap interval", replicates-len(ok), replicates)
		return iv, nil
	}
	slices.Sort(ok)
	iv.Lower = quantile7(ok, (1-level)/2)
	iv.Upper = quantile7(ok, (1+level)/2)
	if len(ok) < replicates {
		iv.Note = fmt.Sprintf("%d of %d bootstrap tables gave no estimate and were left out, which narrows the interval", replicates-len(ok), replicates)
	}
	return iv, nil
}
