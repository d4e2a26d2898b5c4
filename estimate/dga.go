package estimate

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Bayesian model averaging over decomposable graphical models, after
// Madigan & York (1997, "Bayesian methods for estimation of the size of a
// closed population", Biometrika 84:19) as implemented in R's dga package
// (Johndrow, Lum & Ball; HRDAG), which the Human Rights Data Analysis Group
// used for Syria, Kosovo and Peru.
//
// A decomposable (chordal) graph on the lists is a log-linear model whose
// likelihood factorises over its cliques and separators. With a
// hyper-Dirichlet prior of δ per cell of the complete 2^k table, each
// clique's marginal table has a Dirichlet prior of δ·2^(k−|C|) per cell and
// the marginal likelihood of the completed table (the unobserved cell set
// to a candidate value m) is, in closed form,
//
//	Π_C DM(C) / Π_S DM(S),   DM(A) = Π_cells Γ(y_A + α_A)/Γ(α_A),
//
// times, for every connected component, Γ(δ2^k)/Γ(N + δ2^k). To this is
// added the multinomial coefficient N!/(m! Π y!) and a prior on N
// (default 1/N). Normalising over graphs and over the grid of m gives the
// joint posterior, whose margins are each graph's posterior probability and
// the posterior of N averaged over graphs.

// Graph is a decomposable graph on the lists: its maximal cliques and the
// separators of a junction tree, as list patterns.
type Graph struct {
	K          int   `json:"-"`
	Cliques    []int `json:"-"`
	Separators []int `json:"-"` // non-empty separators only
	Components int   `json:"-"`
}

// String names the graph by its cliques, lists numbered from 1, in the
// notation of dga's output: "[12,3]" joins lists 1 and 2 and leaves 3 alone.
func (g Graph) String() string {
	cs := slices.Clone(g.Cliques)
	sort.Slice(cs, func(a, b int) bool {
		pa, pb := popcount(cs[a]), popcount(cs[b])
		if pa != pb {
			return pa > pb
		}
		return termName(cs[a]) < termName(cs[b])
	})
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = termName(c)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// DecomposableGraphs returns every decomposable graph on k lists (k ≤ 8):
// 8 for 3 lists, 61 for 4, 822 for 5, 18,154 for 6.
func DecomposableGraphs(k int) []Graph {
	if k < 2 || k > 8 {
		return nil
	}
	type pair struct{ a, b int }
	var pairs []pair
	for a := 0; a < k; a++ {
		for b := a + 1; b < k; b++ {
			pairs = append(pairs, pair{a, b})
		}
	}
	var out []Graph
	adj := make([]int, k)
	for e := 0; e < 1<<len(pairs); e++ {
		for i := range adj {
			adj[i] = 1 << i
		}
		for i, p := range pairs {
			if e&(1<<i) != 0 {
				adj[p.a] |= 1 << p.b
				adj[p.b] |= 1 << p.a
			}
		}
		if !chordal(adj) {
			continue
		}
		out = append(out, junctionTree(k, adj))
	}
	return out
}

// chordal reports whether the graph (closed neighbourhoods adj) can be
// emptied by removing simplicial vertices one by one (Fulkerson & Gross
// 1965): the definition of a decomposable graph.
func chordal(adj []int) bool {
	left := 1<<len(adj) - 1
	for left != 0 {
		found := false
		for v := range adj {
			if left&(1<<v) == 0 {
				continue
			}
			nb := adj[v] & left
			if isClique(adj, nb) {
				left &^= 1 << v
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func isClique(adj []int, set int) bool {
	for v := range adj {
		if set&(1<<v) != 0 && adj[v]&set != set {
			return false
		}
	}
	return true
}

// junctionTree finds the maximal cliques of a chordal graph and the
// separators of a maximum-weight spanning forest of its clique graph, which
// is a junction tree (Jensen & Jensen 1994).
func junctionTree(k int, adj []int) Graph {
	var cliques []int
	for s := 1; s < 1<<k; s++ {
		if isClique(adj, s) {
			cliques = append(cliques, s)
		}
	}
	var maximal []int
	for _, c := range cliques {
		max := true
		for _, d := range cliques {
			if d != c && d&c == c {
				max = false
				break
			}
		}
		if max {
			maximal = append(maximal, c)
		}
	}
	g := Graph{K: k, Cliques: maximal}
	// Prim's algorithm on |C_i ∩ C_j|; zero-weight links join components.
	in := make([]bool, len(maximal))
	in[0] = true
	g.Components = 1
	for added := 1; added < len(maximal); added++ {
		bi, bw := -1, -1
		for i := range maximal {
			if in[i] {
				continue
			}
			for j := range maximal {
				if in[j] {
					if w := popcount(maximal[i] & maximal[j]); w > bw {
						bi, bw = i, w
					}
				}
			}
		}
		in[bi] = true
		if bw == 0 {
			g.Components++
			continue
		}
		best := 0
		for j := range maximal {
			if in[j] && j != bi && popcount(maximal[bi]&maximal[j]) == bw {
				best = maximal[bi] & maximal[j]
				break
			}
		}
		g.Separators = append(g.Separators, best)
	}
	return g
}

// BMAOptions sets the prior and the grid of the model averaging.
type BMAOptions struct {
	// Delta is the hyper-Dirichlet prior count per cell of the complete
	// table; 0 means dga's default 2^−k.
	Delta float64
	// Missing is the grid of candidate numbers of unobserved people; nil
	// means 0, s, 2s, …, up to 30 n, with the step s chosen to keep at
	// most 20,001 points.
	Missing []float64
	// LogPrior is the log prior density of the total N; nil means 1/N
	// (dga's default, −log N).
	LogPrior func(N float64) float64
	// Graphs are the models averaged; nil means every decomposable graph.
	Graphs []Graph
}

// GraphPosterior is one graph's share of the posterior.
type GraphPosterior struct {
	Graph Graph   `json:"-"`
	Name  string  `json:"graph"`
	Prob  float64 `json:"prob"`   // posterior probability
	MeanN float64 `json:"mean_N"` // posterior mean of N under this graph
}

// BMAResult is the model-averaged posterior of N.
type BMAResult struct {
	Delta  float64          `json:"delta"`
	Graphs []GraphPosterior `json:"graphs"` // sorted by decreasing probability
	N      []float64        `json:"-"`      // the grid of totals
	Post   []float64        `json:"-"`      // posterior probability of each
	Mean   float64          `json:"mean"`
	Median float64          `json:"median"`
	Mode   float64          `json:"mode"`
	Lower  float64          `json:"lower"` // 2.5% quantile
	Upper  float64          `json:"upper"` // 97.5% quantile
	AtEnd  float64          `json:"mass_at_grid_end"`
}

// Quantile returns the smallest N on the grid whose posterior cumulative
// probability reaches p, as dga's examples compute quantiles.
func (r *BMAResult) Quantile(p float64) float64 {
	var c float64
	for i, q := range r.Post {
		c += q
		if c >= p {
			return r.N[i]
		}
	}
	return r.N[len(r.N)-1]
}

// BMA averages over decomposable graphs. It fails if the table has more
// than 8 lists or the options are invalid, and returns ctx.Err() if ctx is
// cancelled.
func BMA(ctx context.Context, t *Table, opt BMAOptions) (*BMAResult, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	k := t.K()
	if k > 8 {
		return nil, errors.New("estimate: model averaging supports at most 8 lists")
	}
	n := t.Observed()
	delta := opt.Delta
	if delta == 0 {
		delta = math.Pow(2, -float64(k))
	}
	if delta < 0 || math.IsNaN(delta) {
		return nil, errors.New("estimate: delta must be positive")
	}
	grid := opt.Missing
	if grid == nil {
		top := 30 * n
		step := math.Max(1, math.Ceil(top/20000))
		for m := 0.0; m <= top; m += step {
			grid = append(grid, m)
		}
	}
	if len(grid) == 0 {
		return nil, errors.New("estimate: the grid of missing people is empty")
	}
	for _, m := range grid {
		if m < 0 || math.IsNaN(m) || math.IsInf(m, 0) {
			return nil, errors.New("estimate: the grid of missing people must be non-negative")
		}
	}
	graphs := opt.Graphs
	if graphs == nil {
		graphs = DecomposableGraphs(k)
	}
	G := len(grid)
	// comp[c][g]: log Π_cells Γ(y+α)/Γ(α) of the margin on lists c.
	comp := make([][]float64, 1<<k)
	need := make([]bool, 1<<k)
	for _, gr := range graphs {
		for _, c := range gr.Cliques {
			need[c] = true
		}
		for _, s := range gr.Separators {
			need[s] = true
		}
	}
	for c := 1; c < 1<<k; c++ {
		if !need[c] {
			continue
		}
		size := popcount(c)
		alpha := delta * math.Pow(2, float64(k-size))
		marg := make([]float64, 1<<size)
		for h := 1; h < len(t.Counts); h++ {
			g, i := 0, 0
			for j := 0; j < k; j++ {
				if c&(1<<j) != 0 {
					if h&(1<<j) != 0 {
						g |= 1 << i
					}
					i++
				}
			}
			marg[g] += t.Counts[h]
		}
		lga, _ := math.Lgamma(alpha)
		base := -float64(len(marg)) * lga
		for _, y := range marg[1:] {
			l, _ := math.Lgamma(y + alpha)
			base += l
		}
		row := make([]float64, G)
		for gi, m := range grid {
			l, _ := math.Lgamma(marg[0] + m + alpha)
			row[gi] = base + l
		}
		comp[c] = row
	}
	// Terms shared by every graph: the multinomial coefficient, the prior
	// and, per connected component, Γ(Σα)/Γ(N + Σα).
	sumAlpha := delta * math.Pow(2, float64(k))
	common := make([]float64, G)
	denom := make([]float64, G)
	var lgy float64
	for _, y := range t.Counts[1:] {
		l, _ := math.Lgamma(y + 1)
		lgy += l
	}
	lgSum, _ := math.Lgamma(sumAlpha)
	for gi, m := range grid {
		N := n + m
		a, _ := math.Lgamma(N + 1)
		b, _ := math.Lgamma(m + 1)
		prior := -math.Log(N)
		if opt.LogPrior != nil {
			prior = opt.LogPrior(N)
		}
		common[gi] = a - lgy - b + prior
		d, _ := math.Lgamma(N + sumAlpha)
		denom[gi] = lgSum - d
	}
	shared := make([][]float64, k+1) // shared[nc]: common + nc·denom
	for nc := 1; nc <= k; nc++ {
		row := make([]float64, G)
		for gi := range row {
			row[gi] = common[gi] + float64(nc)*denom[gi]
		}
		shared[nc] = row
	}
	bl := newBlocks(grid)
	terms := make([]blockRow, len(comp))
	for c, row := range comp {
		if row != nil {
			terms[c] = bl.row(row)
		}
	}
	sharedTerms := make([]blockRow, k+1)
	for nc := 1; nc <= k; nc++ {
		sharedTerms[nc] = bl.row(shared[nc])
	}
	// A grid point whose weight under a graph is below e^−cut times that
	// graph's largest is left out: all of them together weigh less than
	// 1e-16 of it, below the rounding of the sums.
	cut := math.Log(1e16 * float64(G))
	// Each worker keeps its column sums relative to its own running
	// reference, so no G×|graphs| matrix is ever stored.
	type acc struct {
		ref float64   // the largest reference log weight seen so far
		col []float64 // Σ_j exp(w_jg − ref)
	}
	rowLog := make([]float64, len(graphs)) // log Σ_g exp(w_jg)
	rowMean := make([]float64, len(graphs))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(graphs)/8))
	accs := make([]acc, workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for wi := range workers {
		wg.Go(func() {
			a := &accs[wi]
			a.ref = math.Inf(-1)
			a.col = make([]float64, G)
			v := make([]float64, G) // exp(w − ref) on the blocks kept
			ends := make([]float64, len(bl.ends))
			live := make([]bool, bl.n)
			for {
				if ctx.Err() != nil {
					return
				}
				mu.Lock()
				j := next
				next++
				mu.Unlock()
				if j >= len(graphs) {
					return
				}
				gr := graphs[j]
				sh := &sharedTerms[gr.Components]
				at := func(gi int) float64 {
					w := sh.val[gi]
					for _, c := range gr.Cliques {
						w += terms[c].val[gi]
					}
					for _, s := range gr.Separators {
						w -= terms[s].val[gi]
					}
					return w
				}
				// The log weight w at the ends of the blocks bounds its
				// maximum below; with the terms' deviations from their
				// chords, it bounds w on each block above.
				copy(ends, sh.endVal)
				for _, c := range gr.Cliques {
					for e, x := range terms[c].endVal {
						ends[e] += x
					}
				}
				for _, s := range gr.Separators {
					for e, x := range terms[s].endVal {
						ends[e] -= x
					}
				}
				ref := math.Inf(-1)
				for _, x := range ends {
					if x > ref {
						ref = x
					}
				}
				var sum, sumN float64
				for b := range live {
					up, abs := sh.up[b], sh.abs[b]
					for _, c := range gr.Cliques {
						up += terms[c].up[b]
						abs += terms[c].abs[b]
					}
					for _, s := range gr.Separators {
						up += terms[s].down[b]
						abs += terms[s].abs[b]
					}
					live[b] = math.Max(ends[b], ends[b+1])+up+1e-6 >= ref-cut
					if !live[b] {
						continue
					}
					lo, hi := bl.ends[b], bl.ends[b+1]
					if abs < 300 && bl.uniform {
						// w = chord + Σ ±(term − its chord): the exponential
						// of the chord is geometric along the block, that of
						// each deviation was tabled once for all graphs.
						// Walk from the higher end, so that nothing that
						// matters underflows.
						steps := float64(hi - lo)
						i, stop, dir := lo, hi, 1
						start, other := ends[b], ends[b+1]
						if other > start {
							i, stop, dir = hi, lo, -1
							start, other = other, start
						}
						f := math.Exp(start - ref)
						rho := math.Exp((other - start) / steps)
						for {
							v[i] = f
							if i == stop {
								break
							}
							i += dir
							f *= rho
						}
						blk := v[lo : hi+1]
						for k, x := range sh.exp[lo : hi+1] {
							blk[k] *= x
						}
						for _, c := range gr.Cliques {
							for k, x := range terms[c].exp[lo : hi+1] {
								blk[k] *= x
							}
						}
						for _, s := range gr.Separators {
							for k, x := range terms[s].inv[lo : hi+1] {
								blk[k] *= x
							}
						}
					} else {
						for i := lo; i <= hi; i++ {
							v[i] = math.Exp(at(i) - ref)
						}
					}
				}
				if ref > a.ref {
					scale := math.Exp(a.ref - ref)
					for gi := range a.col {
						a.col[gi] *= scale
					}
					a.ref = ref
				}
				scale := math.Exp(ref - a.ref)
				for b, ok := range live {
					if !ok {
						continue
					}
					lo, hi := bl.ends[b], bl.ends[b+1]
					if b > 0 && live[b-1] {
						lo++ // the shared end is counted with block b−1
					}
					for gi := lo; gi <= hi; gi++ {
						e := v[gi]
						a.col[gi] += e * scale
						sum += e
						sumN += e * (n + grid[gi])
					}
				}
				rowLog[j] = ref + math.Log(sum)
				rowMean[j] = sumN / sum
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ref := math.Inf(-1)
	for _, a := range accs {
		ref = math.Max(ref, a.ref)
	}
	post := make([]float64, G)
	for _, a := range accs {
		if math.IsInf(a.ref, -1) {
			continue
		}
		s := math.Exp(a.ref - ref)
		for gi, v := range a.col {
			post[gi] += v * s
		}
	}
	var total float64
	for _, v := range post {
		total += v
	}
	res := &BMAResult{Delta: delta, N: make([]float64, G), Post: post}
	logTotal := ref + math.Log(total)
	for gi := range post {
		post[gi] /= total
		res.N[gi] = n + grid[gi]
	}
	for j, gr := range graphs {
		res.Graphs = append(res.Graphs, GraphPosterior{Graph: gr, Name: gr.String(), Prob: math.Exp(rowLog[j] - logTotal), MeanN: rowMean[j]})
	}
	sort.SliceStable(res.Graphs, func(a, b int) bool { return res.Graphs[a].Prob > res.Graphs[b].Prob })
	best := 0
	for gi, v := range post {
		res.Mean += v * res.N[gi]
		if v > post[best] {
			best = gi
		}
	}
	res.Mode = res.N[best]
	res.Median = res.Quantile(0.5)
	res.Lower = res.Quantile(0.025)
	res.Upper = res.Quantile(0.975)
	res.AtEnd = post[G-1]
	return res, nil
}

// blocks cuts a grid into runs of consecutive points that share their
// ends. On a run, a log weight is its chord (the straight line between its
// values at the two ends) plus a deviation that is small when the run is
// short: the deviations bound the weight from above without evaluating
// it, and their exponentials, tabled once per term, give the weight by
// multiplication instead of an exponential per point and graph.
type blocks struct {
	grid    []float64
	ends    []int // index of the first point of each block, then of the last point
	n       int   // number of blocks
	uniform bool  // equally spaced grid
}

// blockSize is the number of grid intervals per block: small enough that
// the log weights are nearly straight on a block, large enough that the
// bounds cost little.
const blockSize = 32

func newBlocks(grid []float64) blocks {
	b := blocks{grid: grid, uniform: true}
	sorted := true
	for i := 1; i < len(grid); i++ {
		if !(grid[i] > grid[i-1]) {
			sorted = false
		}
		if d, d0 := grid[i]-grid[i-1], grid[1]-grid[0]; math.Abs(d-d0) > 1e-9*math.Abs(d0) {
			b.uniform = false
		}
	}
	step := blockSize
	if !sorted {
		// Chords need increasing points; one block per interval bounds
		// nothing away, but stays correct.
		step, b.uniform = 1, false
	}
	for i := 0; i < len(grid)-1; i += step {
		b.ends = append(b.ends, i)
	}
	b.ends = append(b.ends, len(grid)-1)
	if len(grid) == 1 {
		b.ends = []int{0, 0}
	}
	b.n = len(b.ends) - 1
	return b
}

// blockRow is one term of the log weights on the grid, with its
// deviations from its chords.
type blockRow struct {
	val      []float64 // the term at each grid point
	up, down []float64 // by block: largest excess over the chord, largest shortfall
	abs      []float64 // by block: max(up, down)
	exp, inv []float64 // at each point: e^(term − chord) and its inverse
	endVal   []float64 // the term at the ends of the blocks
}

func (b blocks) row(val []float64) blockRow {
	r := blockRow{
		val: val,
		up:  make([]float64, b.n), down: make([]float64, b.n), abs: make([]float64, b.n),
		exp: make([]float64, len(val)), inv: make([]float64, len(val)),
		endVal: make([]float64, len(b.ends)),
	}
	for e, i := range b.ends {
		r.endVal[e] = val[i]
	}
	for k := 0; k < b.n; k++ {
		lo, hi := b.ends[k], b.ends[k+1]
		x0, x1 := b.grid[lo], b.grid[hi]
		y0, y1 := val[lo], val[hi]
		for i := lo; i <= hi; i++ {
			d := 0.0
			if i != lo && i != hi && x1 > x0 {
				d = val[i] - (y0 + (y1-y0)*(b.grid[i]-x0)/(x1-x0))
			}
			r.up[k] = math.Max(r.up[k], d)
			r.down[k] = math.Max(r.down[k], -d)
			r.exp[i] = math.Exp(d)
			r.inv[i] = math.Exp(-d)
		}
		r.abs[k] = math.Max(r.up[k], r.down[k])
	}
	return r
}
