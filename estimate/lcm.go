package estimate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"gonum.org/v1/gonum/stat/distuv"
)

// Latent-class multiple systems estimation, after Manrique-Vallier (2016,
// "Bayesian population size estimation using Dirichlet process mixtures",
// Biometrics 72:1246) as implemented in the R package LCMCR, which the
// Human Rights Data Analysis Group used for Colombia, Peru and Syria.
//
// Log-linear models capture dependence between lists but assume everyone
// has the same chance of being listed. Here the population is a mixture of
// latent classes; within a class the lists are independent Bernoulli
// trials with their own probabilities λ_jk, so people who are easy to find
// (a class with high λs) and people no list reaches (low λs) can coexist.
// The number of classes is left to the data: the class weights have a
// truncated stick-breaking (Dirichlet process) prior with K components and
// concentration α ~ Gamma(a, b); λ_jk ~ Beta(1, 1); and p(N) ∝ 1/N.
//
// The Gibbs sampler augments the data with the class of every person and
// with the unobserved people themselves (who all have capture pattern 0).
// One sweep draws, in LCMCR's order: the classes of the observed people
// (a multinomial per capture pattern), λ, the stick-breaking weights, the
// number unobserved n₀ ~ NegBin(n, 1 − π₀) with π₀ the probability of
// being on no list, the classes of the unobserved, and α.

// LCMOptions sets the prior and the length of the chains. The zero value
// means LCMCR's defaults, with the run length of the reference results.
type LCMOptions struct {
	K          int     `json:"K"`           // latent classes kept by the truncation; 0 means 10
	AlphaShape float64 `json:"alpha_shape"` // prior on α; 0 means 0.25
	AlphaRate  float64 `json:"alpha_rate"`  // 0 means 0.25
	Burnin     int     `json:"burnin"`      // sweeps discarded per chain; 0 means 10,000
	Samples    int     `json:"samples"`     // draws kept in all; 0 means 5,000
	Thinning   int     `json:"thinning"`    // sweeps per draw kept; 0 means 100
	Chains     int     `json:"chains"`      // independent chains sharing Samples; 0 means 2
	Seed       uint64  `json:"seed"`        // chains are seeded (Seed, chain number)
	Level      float64 `json:"level"`       // of the credible interval; 0 means 0.95
}

func (o *LCMOptions) defaults() error {
	if o.K == 0 {
		o.K = 10
	}
	if o.AlphaShape == 0 {
		o.AlphaShape = 0.25
	}
	if o.AlphaRate == 0 {
		o.AlphaRate = 0.25
	}
	if o.Burnin == 0 {
		o.Burnin = 10000
	}
	if o.Samples == 0 {
		o.Samples = 5000
	}
	if o.Thinning == 0 {
		o.Thinning = 100
	}
	if o.Chains == 0 {
		o.Chains = 2
	}
	if o.Level == 0 {
		o.Level = 0.95
	}
	switch {
	case o.K < 2 || o.K > 100:
		return errors.New("estimate: latent classes must be between 2 and 100")
	case !(o.AlphaShape > 0) || !(o.AlphaRate > 0):
		return errors.New("estimate: the prior on α needs a positive shape and rate")
	case o.Burnin < 0 || o.Samples < 1 || o.Thinning < 1 || o.Chains < 1:
		return errors.New("estimate: burn-in must be ≥ 0 and samples, thinning and chains ≥ 1")
	case o.Chains > o.Samples:
		return errors.New("estimate: more chains than samples")
	case o.Level <= 0 || o.Level >= 1:
		return errors.New("estimate: credible level must be in (0, 1)")
	}
	return nil
}

// LCMResult is the posterior of N under the latent-class model.
type LCMResult struct {
	Options LCMOptions `json:"options"`
	Draws   []float64  `json:"-"` // posterior draws of N, chain after chain
	Mean    float64    `json:"mean"`
	Median  float64    `json:"median"`
	Lower   float64    `json:"lower"` // equal-tailed credible interval at Options.Level
	Upper   float64    `json:"upper"`
	// MCSE is the Monte Carlo standard error of the median, by batch
	// means: how much the median would move on a rerun with another seed.
	MCSE float64 `json:"mcse_median"`
	// RHat is the split-chain potential scale reduction of N (Gelman et
	// al. 2013, §11.4): near 1 when the chains agree; above 1.1 they have
	// explored different parts of the posterior (several modes), and the
	// result depends on the seed.
	RHat float64 `json:"rhat"`

	chains [][]float64 // Draws, chain by chain
}

// LatentClass samples the posterior of the total N under the
// latent-class model. Chains run in parallel, each seeded from opt.Seed and
// its number, so the result depends on the seed only, not on the number
// of CPUs. It returns ctx.Err() if ctx is cancelled.
func LatentClass(ctx context.Context, t *Table, opt LCMOptions) (*LCMResult, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := opt.defaults(); err != nil {
		return nil, err
	}
	draws := make([][]float64, opt.Chains)
	var wg sync.WaitGroup
	for c := range opt.Chains {
		per := opt.Samples / opt.Chains
		if c < opt.Samples%opt.Chains {
			per++
		}
		wg.Go(func() {
			s := newLCMChain(t, opt, uint64(c))
			draws[c] = s.run(ctx, per)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &LCMResult{Options: opt, chains: draws}
	for _, d := range draws {
		r.Draws = append(r.Draws, d...)
	}
	sorted := slices.Clone(r.Draws)
	slices.Sort(sorted)
	var sum float64
	for _, x := range sorted {
		sum += x
	}
	r.Mean = sum / float64(len(sorted))
	r.Median = quantile7(sorted, 0.5)
	r.Lower = quantile7(sorted, (1-opt.Level)/2)
	r.Upper = quantile7(sorted, (1+opt.Level)/2)
	r.MCSE = quantileMCSE(draws, sorted, 0.5)
	r.RHat = splitRHat(draws)
	return r, nil
}

// splitRHat is the potential scale reduction factor of the chains, each
// cut in halves; NaN with fewer than four draws per chain.
func splitRHat(chains [][]float64) float64 {
	var seqs [][]float64
	for _, d := range chains {
		h := len(d) / 2
		if h < 2 {
			return math.NaN()
		}
		seqs = append(seqs, d[:h], d[len(d)-h:])
	}
	L := len(seqs[0])
	for _, s := range seqs {
		L = min(L, len(s))
	}
	means := make([]float64, len(seqs))
	var w, grand float64
	for i, s := range seqs {
		s = s[:L]
		var m float64
		for _, x := range s {
			m += x
		}
		m /= float64(L)
		var v float64
		for _, x := range s {
			v += (x - m) * (x - m)
		}
		w += v / float64(L-1)
		means[i] = m
		grand += m
	}
	w /= float64(len(seqs))
	grand /= float64(len(seqs))
	var b float64
	for _, m := range means {
		b += (m - grand) * (m - grand)
	}
	b *= float64(L) / float64(len(seqs)-1)
	if w == 0 {
		if b == 0 {
			return 1
		}
		return math.Inf(1)
	}
	return math.Sqrt((float64(L-1)/float64(L)*w + b/float64(L)) / w)
}

// quantileMCSE is the Monte Carlo standard error of the p quantile of the
// draws of several chains, by batch means (20 batches per chain) of the
// indicator of lying below it, turned into a standard error of the
// quantile by the slope of the quantile function there (Flegal & Jones
// 2011, "Implementing MCMC: estimating with confidence"). Between-chain
// disagreement counts too, since batches of different chains are pooled.
func quantileMCSE(chains [][]float64, sorted []float64, p float64) float64 {
	q := quantile7(sorted, p)
	var batches []float64
	for _, d := range chains {
		b := max(1, len(d)/20)
		for i := 0; i+b <= len(d); i += b {
			var below float64
			for _, x := range d[i : i+b] {
				if x <= q {
					below++
				}
			}
			batches = append(batches, below/float64(b))
		}
	}
	if len(batches) < 2 {
		return math.NaN()
	}
	var m, v float64
	for _, x := range batches {
		m += x
	}
	m /= float64(len(batches))
	for _, x := range batches {
		v += (x - m) * (x - m)
	}
	v /= float64(len(batches) - 1)
	seP := math.Sqrt(v / float64(len(batches)))
	h := math.Min(0.05, math.Min(p, 1-p)/2)
	slope := (quantile7(sorted, p+h) - quantile7(sorted, p-h)) / (2 * h)
	return seP * slope
}

// quantile7 is R's default quantile (type 7) of sorted data.
func quantile7(sorted []float64, p float64) float64 {
	h := float64(len(sorted)-1) * p
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-lo)*(sorted[i+1]-sorted[i])
}

// lcmChain is the state of one Gibbs chain.
type lcmChain struct {
	opt    LCMOptions
	k, j   int
	n      int
	cells  []int // observed capture patterns with people
	counts []int // how many on each
	sampler

	lambda  []float64 // λ[j*K+k]
	logNu   []float64 // log class weights
	nu      []float64
	alpha   float64
	n0      int
	zero    []int // unobserved people by class
	m       []int // people by class, observed and unobserved
	s       []int // s[j*K+k]: people of class k on list j
	probs   []float64
	byClass []int
}

func newLCMChain(t *Table, opt LCMOptions, chain uint64) *lcmChain {
	c := &lcmChain{opt: opt, k: opt.K, j: t.K(), sampler: newSampler(opt.Seed, chain)}
	for h := 1; h < len(t.Counts); h++ {
		if t.Counts[h] > 0 {
			c.cells = append(c.cells, h)
			c.counts = append(c.counts, int(t.Counts[h]))
			c.n += int(t.Counts[h])
		}
	}
	K, J := c.k, c.j
	c.lambda = make([]float64, J*K)
	c.logNu, c.nu = make([]float64, K), make([]float64, K)
	c.zero, c.m = make([]int, K), make([]int, K)
	c.s = make([]int, J*K)
	c.probs, c.byClass = make([]float64, K), make([]int, K)
	// Start as LCMCR does: every λ at its list's share of the observed,
	// four large classes and a thin remainder, α small, no one unobserved.
	for j := 0; j < J; j++ {
		p := t.ListSize(j) / float64(c.n)
		for k := 0; k < K; k++ {
			c.lambda[j*K+k] = p
		}
	}
	for k := 0; k < K; k++ {
		c.nu[k] = 0.1 / float64(K-min(K, 4))
		if k < 4 {
			c.nu[k] = 0.9 / float64(min(K, 4))
		}
		c.logNu[k] = math.Log(c.nu[k])
	}
	c.alpha = 0.3 / float64(K)
	return c
}

// run does the burn-in (after a warm-up of 500 sweeps with α held, as
// LCMCR does, against an early collapse to one class) and returns per
// draws of N, one every Thinning sweeps.
func (c *lcmChain) run(ctx context.Context, per int) []float64 {
	for range 500 {
		c.sweep(false)
	}
	c.relabel()
	for i := range c.opt.Burnin {
		if i%1000 == 0 && ctx.Err() != nil {
			return nil
		}
		c.sweep(true)
	}
	out := make([]float64, 0, per)
	for range per {
		if ctx.Err() != nil {
			return nil
		}
		for range c.opt.Thinning {
			c.sweep(true)
		}
		out = append(out, float64(c.n+c.n0))
	}
	return out
}

// sweep is one Gibbs scan.
func (c *lcmChain) sweep(withAlpha bool) {
	K, J := c.k, c.j
	// Classes of the observed, pattern by pattern.
	copy(c.m, c.zero)
	clear(c.s)
	for i, h := range c.cells {
		for k := 0; k < K; k++ {
			p := c.nu[k]
			for j := 0; j < J; j++ {
				if h&(1<<j) != 0 {
					p *= c.lambda[j*K+k]
				} else {
					p *= 1 - c.lambda[j*K+k]
				}
			}
			c.probs[k] = p
		}
		c.multinomial(c.counts[i], c.probs, c.byClass)
		for k, x := range c.byClass {
			if x == 0 {
				continue
			}
			c.m[k] += x
			for j := 0; j < J; j++ {
				if h&(1<<j) != 0 {
					c.s[j*K+k] += x
				}
			}
		}
	}
	// λ given the classes (the unobserved are on no list).
	for j := 0; j < J; j++ {
		for k := 0; k < K; k++ {
			on := float64(c.s[j*K+k])
			c.lambda[j*K+k] = c.beta(1+on, 1+float64(c.m[k])-on)
		}
	}
	// Stick-breaking weights, in logs: the tail weights can be far below
	// the smallest double.
	rest := c.n + c.n0
	var logRest float64 // log Π (1 − V)
	for k := 0; k < K-1; k++ {
		rest -= c.m[k]
		g1 := c.logGamma(1 + float64(c.m[k]))
		g2 := c.logGamma(c.alpha + float64(rest))
		ls := logSumExp(g1, g2)
		c.logNu[k] = g1 - ls + logRest
		logRest += g2 - ls
	}
	c.logNu[K-1] = logRest
	for k := range c.nu {
		c.nu[k] = math.Exp(c.logNu[k])
	}
	// People on no list: π₀, then n₀, then their classes.
	var pi0 float64
	for k := 0; k < K; k++ {
		p := c.nu[k]
		for j := 0; j < J; j++ {
			p *= 1 - c.lambda[j*K+k]
		}
		c.probs[k] = p
		pi0 += p
	}
	c.n0 = c.negBinomial(c.n, pi0)
	c.multinomial(c.n0, c.probs, c.zero)
	if withAlpha {
		c.alpha = c.gamma(c.opt.AlphaShape+float64(K)-1) / (c.opt.AlphaRate - logRest)
	}
}

// relabel orders the classes by decreasing weight.
func (c *lcmChain) relabel() {
	K, J := c.k, c.j
	idx := make([]int, K)
	for k := range idx {
		idx[k] = k
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case c.nu[a] > c.nu[b]:
			return -1
		case c.nu[a] < c.nu[b]:
			return 1
		}
		return 0
	})
	lambda := slices.Clone(c.lambda)
	nu, logNu, zero := slices.Clone(c.nu), slices.Clone(c.logNu), slices.Clone(c.zero)
	for k, old := range idx {
		c.nu[k], c.logNu[k], c.zero[k] = nu[old], logNu[old], zero[old]
		for j := 0; j < J; j++ {
			c.lambda[j*K+k] = lambda[j*K+old]
		}
	}
}

func logSumExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(a, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// sampler draws the random variates of the Gibbs sampler and of the
// bootstrap from one seeded stream.
type sampler struct {
	rng *rand.Rand
	src rand.Source
}

func newSampler(seed, stream uint64) sampler {
	src := rand.NewPCG(seed, stream)
	return sampler{rng: rand.New(src), src: src}
}

// gamma draws from Gamma(shape, 1) by Marsaglia & Tsang (2000), boosted
// by U^(1/shape) below shape 1.
func (c *sampler) gamma(shape float64) float64 {
	if shape < 1 {
		return math.Exp(c.logGamma(shape))
	}
	d := shape - 1.0/3
	cc := 1 / math.Sqrt(9*d)
	for {
		x := c.rng.NormFloat64()
		v := 1 + cc*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := c.rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// logGamma draws the logarithm of a Gamma(shape, 1) variate, exact even
// when the variate itself would underflow (tiny shapes).
func (c *sampler) logGamma(shape float64) float64 {
	if shape >= 1 {
		return math.Log(c.gamma(shape))
	}
	u := 1 - c.rng.Float64() // (0, 1]
	return math.Log(c.gamma(shape+1)) + math.Log(u)/shape
}

func (c *sampler) beta(a, b float64) float64 {
	x, y := c.gamma(a), c.gamma(b)
	return x / (x + y)
}

// multinomial spreads n among the classes with weights w (not normalised)
// into out, by conditional binomials.
func (c *sampler) multinomial(n int, w []float64, out []int) {
	clear(out)
	var total float64
	for _, x := range w {
		total += x
	}
	if n == 0 || !(total > 0) {
		return
	}
	left := n
	for k, x := range w {
		if left <= 24 {
			// Few people left: a categorical draw each is cheaper than
			// the binomials.
			for range left {
				u := c.rng.Float64() * total
				i := k
				for ; i < len(w)-1; i++ {
					u -= w[i]
					if u < 0 {
						break
					}
				}
				out[i]++
			}
			return
		}
		if k == len(w)-1 || x >= total {
			out[k] = left
			return
		}
		out[k] = c.binomial(left, x/total)
		left -= out[k]
		total -= x
	}
}

// binomial draws from Binomial(n, p): by inversion of the distribution
// function when n·min(p, 1−p) is small, by gonum's rejection sampler
// otherwise.
func (c *sampler) binomial(n int, p float64) int {
	if p <= 0 || n == 0 {
		return 0
	}
	if p >= 1 {
		return n
	}
	q, flip := p, false
	if q > 0.5 {
		q, flip = 1-q, true
	}
	var x int
	if float64(n)*q < 20 {
		r := q / (1 - q)
		f := math.Exp(float64(n) * math.Log1p(-q))
		u := c.rng.Float64()
		for u > f && x < n {
			u -= f
			x++
			f *= r * float64(n-x+1) / float64(x)
		}
	} else {
		x = int(distuv.Binomial{N: float64(n), P: q, Src: c.src}.Rand())
	}
	if flip {
		x = n - x
	}
	return x
}

// negBinomial draws the number of failures before n successes of
// probability 1 − pi0: a Poisson with a Gamma(n, pi0/(1 − pi0)) mean.
func (c *sampler) negBinomial(n int, pi0 float64) int {
	if !(pi0 > 0) {
		return 0
	}
	// A chain with every λ near 0 would imagine everyone unobserved; cap
	// the odds so that the draw stays finite (N < 10^15).
	odds := math.Min(pi0/(1-pi0), 1e15/float64(n))
	mean := c.gamma(float64(n)) * odds
	if mean < 10 {
		var k int
		var t float64
		for {
			t += c.rng.ExpFloat64()
			if t >= mean {
				return k
			}
			k++
		}
	}
	return int(distuv.Poisson{Lambda: mean, Src: c.src}.Rand())
}

// String summarises the result.
func (r *LCMResult) String() string {
	return fmt.Sprintf("median %.0f, %g%% %.0f – %.0f, mean %.0f", r.Median, r.Options.Level*100, r.Lower, r.Upper, r.Mean)
}
