package linkage

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Model is a fitted Fellegi–Sunter model (Fellegi & Sunter 1969, "A theory
// for record linkage"): for each comparison and level, m = P(level | same
// person) and u = P(level | different persons), and Lambda, the share of
// all pairs that are matches (the prior). A pair's match weight is the sum over
// comparisons of log2(m/u) at its levels (0 for a missing value, which is
// neutral), adjusted for term frequency at exact agreement; its posterior
// match probability adds the prior log-odds log2(Lambda/(1-Lambda)).
type Model struct {
	Lambda float64 `json:"lambda"`
	// CandidateLambda is the share of matches among the candidate pairs,
	// as EM estimated it.
	CandidateLambda float64           `json:"candidate_lambda"`
	Comparisons     []ComparisonModel `json:"comparisons"`
	// Sessions are the EM training sessions, one per blocking rule.
	Sessions []Session `json:"sessions"`
	// Patterns is the number of distinct (rule, agreement pattern)
	// counts EM ran over.
	Patterns int `json:"patterns"`
}

// ComparisonModel holds one comparison's levels; level 0 is "missing".
type ComparisonModel struct {
	Name          string       `json:"name"`
	Kind          string       `json:"kind"`
	TermFrequency bool         `json:"term_frequency"`
	Levels        []LevelModel `json:"levels"`
}

// LevelModel is one level's m, u and weight log2(m/u).
type LevelModel struct {
	Label  string  `json:"label"`
	M      float64 `json:"m"`
	U      float64 `json:"u"`
	Weight float64 `json:"weight"`
}

// PriorWeight returns log2(Lambda/(1-Lambda)), the log-odds of a match
// before any comparison.
func (m *Model) PriorWeight() float64 { return math.Log2(m.Lambda / (1 - m.Lambda)) }

// Probability returns the posterior match probability of a match weight.
func (m *Model) Probability(weight float64) float64 {
	return 1 / (1 + math.Exp2(-(weight + m.PriorWeight())))
}

// WeightAt returns the match weight whose posterior probability is p.
func (m *Model) WeightAt(p float64) float64 {
	return math.Log2(p/(1-p)) - m.PriorWeight()
}

// estimateU estimates u for every comparison and level from random pairs
// (as Splink does), which are almost all non-matches: u_k(l) is the share
// of random pairs with level l among those where both values are present.
// The exact level's u is computed exactly where values have ids, as the
// chance that two random records share a value, Σ_v p_v²; the other levels
// share the rest in the sample's proportions. Sampling is split into
// fixed chunks, each seeded from (seed, chunk), so the result does not
// depend on the number of workers.
func (ds *dataset) estimateU(seed uint64, pairs int, workers int) ([][]float64, int) {
	nl := make([]int, len(ds.cmps))
	for k, c := range ds.cmps {
		nl[k] = len(c.levels())
	}
	const chunkSize = 1 << 14
	nchunks := (pairs + chunkSize - 1) / chunkSize
	counts := make([][][]float64, nchunks)
	parallel(nchunks, workers, func(ch int) {
		rng := rand.New(rand.NewPCG(seed, uint64(ch)+0x9e3779b97f4a7c15))
		cnt := make([][]float64, len(ds.cmps))
		for k := range cnt {
			cnt[k] = make([]float64, nl[k])
		}
		todo := min(chunkSize, pairs-ch*chunkSize)
		for done, tries := 0, 0; done < todo && tries < 20*todo; tries++ {
			a, b := rng.IntN(ds.n), rng.IntN(ds.n)
			if a == b || !ds.pairAllowed(a, b) {
				continue
			}
			done++
			p := ds.compare(a, b)
			for k := range ds.cmps {
				cnt[k][p.level(k)]++
			}
		}
		counts[ch] = cnt
	})
	u := make([][]float64, len(ds.cmps))
	sampled := 0
	for k := range ds.cmps {
		u[k] = make([]float64, nl[k])
		for _, cnt := range counts {
			for l, v := range cnt[k] {
				u[k][l] += v
			}
		}
	}
	for l := range u[0] {
		sampled += int(u[0][l])
	}
	for k, c := range ds.cmps {
		top := nl[k] - 1
		exact := -1.0
		if _, isDate := c.(*dateComparator); !isDate {
			// Over distinct pairs of the T records with a value:
			// Σ c_v(c_v−1) / T(T−1) = (T·Σ p_v² − 1)/(T − 1). Σ p_v²
			// alone counts a record paired with itself, which for a
			// nearly unique value (a document number) is most of it.
			sq, t := 0.0, 0.0
			for _, f := range termFrequencies(c, ds.n) {
				sq += f * f
			}
			for i := 0; i < ds.n; i++ {
				if c.present(i) {
					t++
				}
			}
			if t > 1 {
				exact = max((t*sq-1)/(t-1), 0)
			}
		}
		present := 0.0
		for l := 1; l < nl[k]; l++ {
			present += u[k][l]
		}
		// Add-half smoothing keeps rare levels from u = 0.
		rest := 0.0
		for l := 1; l < nl[k]; l++ {
			if exact >= 0 && l == top {
				continue
			}
			rest += u[k][l] + 0.5
		}
		out := make([]float64, nl[k])
		for l := 1; l < nl[k]; l++ {
			switch {
			case exact >= 0 && l == top:
				out[l] = max(exact, 1e-9)
			case exact >= 0:
				out[l] = (1 - max(exact, 1e-9)) * (u[k][l] + 0.5) / rest
			default:
				out[l] = (u[k][l] + 0.5) / (present + 0.5*float64(nl[k]-1))
			}
		}
		u[k] = out
	}
	return u, sampled
}

// fitEM fits a two-class mixture to the counts of distinct agreement
// patterns of the candidate pairs by expectation–maximisation (Winkler
// 1988; over pattern counts rather than pairs, as fastLink does, Enamorado,
// Fifield & Imai 2019). Both classes are free: m, the level distribution
// of matches, and uc, that of the candidate non-matches, which blocking
// has made far more alike than random pairs; uc starts at the random-pair
// u0 and m at levels rising geometrically. It returns m, the share of
// matches among candidates lambda, and the posteriors' sum. Conditional
// independence given match status is assumed; a missing value drops out of
// the likelihood. The result depends only on the inputs' order, which the
// caller fixes.
//
// With fixU, u stays at u0: Splink's practice when u comes from random
// pairs and the comparisons a blocking rule used are masked (see train).
func fitEM(pats []pattern, counts []float64, nlevels []int, u0 [][]float64, maxIter int, fixU bool) (m [][]float64, lambda float64, iters int, converged bool) {
	K := len(nlevels)
	m = make([][]float64, K)
	u := make([][]float64, K)
	for k, nl := range nlevels {
		m[k] = make([]float64, nl)
		u[k] = slices.Clone(u0[k])
		sum := 0.0
		for l := 1; l < nl; l++ {
			m[k][l] = math.Pow(4, float64(l))
			sum += m[k][l]
		}
		for l := 1; l < nl; l++ {
			m[k][l] /= sum
		}
	}
	lambda = 0.1
	post := make([]float64, len(pats))
	lm := make([][]float64, K)
	lu := make([][]float64, K)
	for iters = 1; iters <= maxIter; iters++ {
		for k := range K {
			lm[k] = logs(lm[k], m[k])
			lu[k] = logs(lu[k], u[k])
		}
		// E step.
		var matches, total float64
		for i, p := range pats {
			a, b := 0.0, 0.0
			for k := 0; k < K; k++ {
				if l := p.level(k); l > 0 {
					a += lm[k][l]
					b += lu[k][l]
				}
			}
			post[i] = 1 / (1 + (1-lambda)/lambda*math.Exp(b-a))
			matches += counts[i] * post[i]
			total += counts[i]
		}
		// M step, with half a pair of smoothing per level so that no
		// level becomes impossible.
		newLambda := matches / total
		delta := math.Abs(newLambda - lambda)
		for k := 0; k < K; k++ {
			am := make([]float64, nlevels[k])
			au := make([]float64, nlevels[k])
			for i, p := range pats {
				if l := p.level(k); l > 0 {
					am[l] += counts[i] * post[i]
					au[l] += counts[i] * (1 - post[i])
				}
			}
			sm, su := 0.0, 0.0
			for l := 1; l < nlevels[k]; l++ {
				am[l] += 0.5
				au[l] += 0.5
				sm += am[l]
				su += au[l]
			}
			for l := 1; l < nlevels[k]; l++ {
				v := am[l] / sm
				delta = max(delta, math.Abs(v-m[k][l]))
				m[k][l] = v
				if !fixU {
					u[k][l] = au[l] / su
				}
			}
		}
		lambda = min(max(newLambda, 1e-9), 1-1e-9)
		if delta < 1e-7 {
			converged = true
			break
		}
	}
	return m, lambda, min(iters, maxIter), converged
}

func logs(dst, p []float64) []float64 {
	dst = dst[:0]
	for _, v := range p {
		dst = append(dst, math.Log(v))
	}
	return dst
}

// correctU removes the matches from random-pair estimates of u. Among
// the pairs where comparison k has both values, a share lambda_k match,
// so the observed share of a level is lambda_k·m + (1−lambda_k)·u; lambda_k
// is the expected matches among candidates with both values (present[k])
// over all such pairs. For most levels the correction is nil; for exact
// agreement on a document number, which random non-matches almost never
// show but the same person's records in repeated snapshots always do, it
// is most of the estimate. No u falls below one pair in all such pairs,
// the resolution of any estimate from these data; the levels are
// renormalised.
func (ds *dataset) correctU(u, m [][]float64, present []float64) [][]float64 {
	out := make([][]float64, len(u))
	for k := range u {
		pairs := ds.presentPairs(k)
		lambda := min(present[k]/max(pairs, 1), 0.5)
		floor := 1 / max(pairs, 1)
		out[k] = make([]float64, len(u[k]))
		sum := 0.0
		for l := 1; l < len(u[k]); l++ {
			out[k][l] = max((u[k][l]-lambda*m[k][l])/(1-lambda), floor)
			sum += out[k][l]
		}
		for l := 1; l < len(u[k]); l++ {
			out[k][l] /= sum
		}
	}
	return out
}

// sortedPatterns returns the patterns of a count map in increasing order,
// so that EM sums in the same order every run.
func sortedPatterns(cnt map[pattern]float64) ([]pattern, []float64) {
	pats := make([]pattern, 0, len(cnt))
	for p := range cnt {
		pats = append(pats, p)
	}
	slices.Sort(pats)
	counts := make([]float64, len(pats))
	for i, p := range pats {
		counts[i] = cnt[p]
	}
	return pats, counts
}

// scorer turns patterns into match weights.
type scorer struct {
	ds     *dataset
	w      [][]float64 // [comparison][level]
	topTF  []bool      // comparison uses term frequencies at its top level
	top    []uint8
	m, u   [][]float64
	prior  float64
	tfAdj  [][]float64 // [comparison][value id]: added at exact agreement
	model  *Model
	linkAt float64 // match weight at probability 0.5
	// dfFloor bounds a token set's frequency from below: one record.
	dfFloor []float64
}

func newScorer(ds *dataset, model *Model) *scorer {
	sc := &scorer{ds: ds, model: model, prior: model.PriorWeight()}
	for k, cm := range model.Comparisons {
		w := make([]float64, len(cm.Levels))
		m := make([]float64, len(cm.Levels))
		u := make([]float64, len(cm.Levels))
		for l, lv := range cm.Levels {
			w[l], m[l], u[l] = lv.Weight, lv.M, lv.U
		}
		sc.w = append(sc.w, w)
		sc.m = append(sc.m, m)
		sc.u = append(sc.u, u)
		sc.top = append(sc.top, uint8(len(cm.Levels)-1))
		sc.topTF = append(sc.topTF, cm.TermFrequency && ds.tf[k] != nil)
		var adj []float64
		if sc.topTF[k] {
			// Agreeing on value v: weight log2(m_top / p_v) instead of
			// log2(m_top / u_top), as in Splink's term-frequency
			// adjustment; common values (González) count less, rare ones
			// (Quintero) more.
			uTop := u[len(u)-1]
			adj = make([]float64, len(ds.tf[k]))
			for v, f := range ds.tf[k] {
				if f > 0 {
					adj[v] = math.Log2(uTop / f)
				}
			}
		}
		sc.tfAdj = append(sc.tfAdj, adj)
	}
	sc.dfFloor = make([]float64, len(ds.cmps))
	for k, c := range ds.cmps {
		n := 0
		for i := 0; i < ds.n; i++ {
			if c.present(i) {
				n++
			}
		}
		sc.dfFloor[k] = 1 / float64(max(n, 1))
	}
	sc.linkAt = model.WeightAt(0.5)
	return sc
}

// weight returns the match weight of records a and b, whose pattern is p.
func (sc *scorer) weight(p pattern, a, b int) float64 {
	w := 0.0
	for k, ws := range sc.w {
		l := p.level(k)
		w += ws[l] + sc.tf(k, l, a, b)
	}
	return w
}

// weightAgainst returns the match weight of records a and b, whose
// pattern is p, and whether the pair speaks against a match: its weight
// is negative, or a comparison in decisive (a mask of patterns' bits)
// disagrees — is at a level whose weight log2(m/u) is negative: another
// date of birth or document number outweighed by agreeing names. A level
// of agreement stays agreement when a common value's term frequency
// makes its contribution small or negative.
func (sc *scorer) weightAgainst(p, decisive pattern, a, b int) (float64, bool) {
	w, against := 0.0, false
	for k, wk := range sc.w {
		l := p.level(k)
		w += wk[l] + sc.tf(k, l, a, b)
		if wk[l] < 0 && decisive&(0xf<<(4*k)) != 0 {
			against = true
		}
	}
	return w, against || w < 0
}

// tf returns the term-frequency adjustment of comparison k at level l.
// At exact agreement the agreed value's frequency replaces u. When one
// name contains the other ("Pérez" and "Pérez Gómez"), the chance that a
// random record contains the shorter name's tokens — the product of their
// document frequencies — replaces u in the same way, so that a missing
// maternal surname costs little after Quintero and much after González.
func (sc *scorer) tf(k int, l uint8, a, b int) float64 {
	switch {
	case l == 0 || !sc.topTF[k]:
		return 0
	case l == sc.top[k]:
		if v := sc.ds.cmps[k].tfID(a); v >= 0 && int(v) < len(sc.tfAdj[k]) {
			return sc.tfAdj[k][v]
		}
	case l == nameSubsetLevel && sc.ds.tokDF[k] != nil:
		nv := nameValuesOf(sc.ds.cmps[k])
		short := nv.tokens(a)
		if t := nv.tokens(b); len(t) < len(short) {
			short = t
		}
		df := sc.ds.tokDF[k]
		uv := 1.0
		for _, t := range short {
			if int(t) < len(df) {
				uv *= df[t]
			}
		}
		return math.Log2(sc.u[k][l] / max(uv, sc.dfFloor[k]))
	}
	return 0
}
