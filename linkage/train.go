package linkage

import (
	"math"
	"slices"
)

// ruleCount keys a pattern count by blocking rule.
type ruleCount struct {
	rule int
	p    pattern
}

// Session is one EM training session: the candidate pairs of one blocking
// rule, with the comparisons the rule blocks on masked.
type Session struct {
	Rule       []string `json:"rule"`
	Pairs      float64  `json:"pairs"`
	Masked     []string `json:"masked"`
	Lambda     float64  `json:"lambda"` // share of matches among the rule's pairs
	Iterations int      `json:"em_iterations"`
	Converged  bool     `json:"em_converged"`
}

// train estimates m for every comparison and the number of matches among
// the candidate pairs. Blocking biases the candidates: pairs that share a
// surname key agree on surnames whether or not they match, so EM over all
// candidates at once mistakes "same name" for "same person". As Splink
// does, each blocking rule is therefore a training session over all the
// pairs that rule yields (cover), with the comparisons it blocks on masked
// (treated as missing) and u fixed at its random-pair estimate; within a
// rule the other comparisons behave as they would on random pairs. A
// comparison's m is then pooled over the sessions where it is unmasked
// (see below). The expected matches among
// the candidates sum each candidate's posterior under the session of the
// rule that produced it (first).
//
// It returns m, the expected matches, those among them where each
// comparison has both values, and the sessions; comparisons masked
// in every session (a single rule) fall back to one EM over all candidates
// with both m and u free.
func (ds *dataset) train(rules [][]string, cover, first map[ruleCount]float64, u [][]float64, maxIter int) ([][]float64, float64, []float64, []Session) {
	K := len(ds.cmps)
	nl := make([]int, K)
	for k, c := range ds.cmps {
		nl[k] = len(c.levels())
	}
	names := make(map[string]int)
	for k, c := range ds.s.Comparisons {
		names[c.Name] = k
	}
	masks := make([]pattern, len(rules))
	sessions := make([]Session, len(rules))
	for r, rule := range rules {
		sessions[r].Rule = rule
		for _, key := range rule {
			_, arg := splitKeyFunc(key)
			if k, ok := names[arg]; ok {
				masks[r] |= 0xf << (4 * k)
				sessions[r].Masked = append(sessions[r].Masked, arg)
			}
		}
	}
	byRule := make([]map[pattern]float64, len(rules))
	for rc, n := range cover {
		if byRule[rc.rule] == nil {
			byRule[rc.rule] = make(map[pattern]float64)
		}
		byRule[rc.rule][rc.p&^masks[rc.rule]] += n
	}
	ms := make([][][]float64, len(rules))
	weight := make([]float64, len(rules))
	for r := range rules {
		if byRule[r] == nil || masks[r] == pattern(1<<(4*K))-1 {
			continue
		}
		pats, counts := sortedPatterns(byRule[r])
		m, lambda, iters, conv := fitEM(pats, counts, nl, u, maxIter, true)
		total := 0.0
		for _, c := range counts {
			total += c
		}
		ms[r] = m
		weight[r] = lambda * total
		sessions[r].Pairs, sessions[r].Lambda, sessions[r].Iterations, sessions[r].Converged = total, lambda, iters, conv
	}
	// Pool the sessions: m_k(l) is the share of level l among the pairs
	// of every session where k is unmasked, each pair weighted by its
	// match posterior computed without k (leave one out), so that k's
	// own agreement does not vote on k's m. Pairs with nothing else to
	// compare are left out: their posterior is only the prior, and a
	// document number agreeing or not in such pairs says nothing about
	// how often matches agree on it. A level counts as something to
	// compare when it carries at least one bit of evidence in the session
	// (|log2 m/u| ≥ 1): agreeing on a country everyone shares does not.
	acc := make([][]float64, K)
	for k := range K {
		acc[k] = make([]float64, nl[k])
	}
	for r := range rules {
		if ms[r] == nil {
			continue
		}
		pats, counts := sortedPatterns(byRule[r])
		lam := sessions[r].Lambda
		for i, q := range pats {
			var lm, lu [maxComparisons]float64
			a, b, informative := 0.0, 0.0, 0
			for k := range K {
				if l := q.level(k); l > 0 {
					lm[k], lu[k] = math.Log(ms[r][k][l]), math.Log(u[k][l])
					a += lm[k]
					b += lu[k]
					if math.Abs(lm[k]-lu[k]) >= math.Ln2 {
						informative++
					}
				}
			}
			if informative < 2 {
				continue
			}
			for k := range K {
				l := q.level(k)
				if l == 0 {
					continue
				}
				post := 1 / (1 + (1-lam)/lam*math.Exp((b-lu[k])-(a-lm[k])))
				acc[k][l] += counts[i] * post
			}
		}
	}
	m := make([][]float64, K)
	var fallback [][]float64
	for k := range K {
		m[k] = make([]float64, nl[k])
		sum := 0.0
		for l := 1; l < nl[k]; l++ {
			sum += acc[k][l]
		}
		if sum >= 1 {
			for l := 1; l < nl[k]; l++ {
				m[k][l] = (acc[k][l] + 0.5) / (sum + 0.5*float64(nl[k]-1))
			}
			continue
		}
		if fallback == nil {
			all := make(map[pattern]float64)
			for rc, n := range first {
				all[rc.p] += n
			}
			pats, counts := sortedPatterns(all)
			fallback, _, _, _ = fitEM(pats, counts, nl, u, maxIter, false)
		}
		m[k] = fallback[k]
	}
	// Expected matches among the candidates.
	keys := make([]ruleCount, 0, len(first))
	for rc := range first {
		keys = append(keys, rc)
	}
	slices.SortFunc(keys, func(a, b ruleCount) int {
		if a.rule != b.rule {
			return a.rule - b.rule
		}
		return cmpUint(uint64(a.p), uint64(b.p))
	})
	matches := 0.0
	present := make([]float64, K) // expected matches where comparison k has both values
	for _, rc := range keys {
		r := rc.rule
		sm, lambda := m, 0.0
		if ms[r] != nil {
			sm, lambda = ms[r], sessions[r].Lambda
		} else {
			lambda = pooledLambda(sessions)
		}
		q := rc.p &^ masks[r]
		a, b := 0.0, 0.0
		for k := range K {
			if l := q.level(k); l > 0 {
				a += math.Log(sm[k][l])
				b += math.Log(u[k][l])
			}
		}
		e := first[rc] / (1 + (1-lambda)/lambda*math.Exp(b-a))
		matches += e
		for k := range K {
			if rc.p.level(k) > 0 {
				present[k] += e
			}
		}
	}
	return m, matches, present, sessions
}

// pooledLambda is the share of matches over all sessions' pairs.
func pooledLambda(ss []Session) float64 {
	var m, n float64
	for _, s := range ss {
		m += s.Lambda * s.Pairs
		n += s.Pairs
	}
	if n == 0 {
		return 0.1
	}
	return min(max(m/n, 1e-6), 1-1e-6)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
