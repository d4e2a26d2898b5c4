package linkage

import (
	"math"
	"slices"
	"strconv"
	"strings"
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

// anchorProbability is how sure the other comparisons must make a pair
// before it counts towards a comparison's m (see anchorM).
const anchorProbability = 0.97

// anchorRounds is how many times anchorM runs: the first round's anchors
// are chosen with the EM sessions' m, the second with the first round's.
const anchorRounds = 2

// anchorM re-estimates every comparison's m from anchors: for comparison
// k, the candidate pairs whose other comparisons alone give a posterior
// match probability of at least anchorProbability, each counted with that
// probability. The posterior uses every other comparison, with its
// term-frequency adjustment, and the prior of all pairs; this is valid for
// a pair selected by blocking because blocking selects on the very values
// the other comparisons weigh. Only pairs that some blocking rule not
// built on k yields are used (a rule on k selects pairs that agree on k).
//
// Why not the EM sessions' m: in a session, the comparisons its rule
// blocks on are masked, so a document number's m comes only from pairs
// whose names cannot vote; where the records that carry a document have
// nothing else strong (a locator row with an A-number, a name and a
// country), EM cannot tell a match that disagrees on the document from a
// namesake, and puts m(different) near ½, so that sharing the document
// barely links. Anchors use the names too.
//
// Pairs whose records have the same content (every comparison sees the
// same value: the same row in four snapshots of a locator, a duplicated
// row) are left out, and a pair of records whose contents recur is
// counted once per pair of contents (weight 1/(copies of a × copies of
// b)). Copies are not independent observations of a person — every field
// agrees because it was copied — and counting them makes m describe
// copies: a name part missing in one list and present in another, the
// commonest difference between independent lists, would then seem rare
// and cost a pair most of its evidence. Identical records need no m to
// link: they agree on everything.
//
// It also returns, for correctU, the expected matches among all the
// candidates (copies included) where each comparison has both values —
// the sum of posteriors under the model it was given — and their levels'
// distribution.
func (ds *dataset) anchorM(bl *blocking, cands [][]candidate, m, u [][]float64, lambda float64, workers int) (mAnchor, mAll [][]float64, present []float64) {
	K := len(ds.cmps)
	names := make(map[string]int)
	for k, c := range ds.s.Comparisons {
		names[c.Name] = k
	}
	masks := make([]pattern, len(bl.rules))
	for r, rule := range bl.rules {
		for _, key := range rule {
			_, arg := splitKeyFunc(key)
			if k, ok := names[arg]; ok {
				masks[r] |= 0xf << (4 * k)
			}
		}
	}
	sc := newScorer(ds, buildModel(ds, m, u, lambda))
	content, copies := ds.contents()
	thr := math.Log2(anchorProbability / (1 - anchorProbability))
	accs := make([][][]float64, len(cands))
	alls := make([][][]float64, len(cands))
	parallel(len(cands), workers, func(ch int) {
		acc := make([][]float64, K)
		all := make([][]float64, K)
		for k := range K {
			acc[k] = make([]float64, len(m[k]))
			all[k] = make([]float64, len(m[k]))
		}
		var w [maxComparisons]float64
		for _, c := range cands[ch] {
			a, b := int(c.a), int(c.b)
			total := sc.prior
			for k := range K {
				l := c.p.level(k)
				w[k] = sc.w[k][l] + sc.tf(k, l, a, b)
				total += w[k]
			}
			post := 1 / (1 + math.Exp2(-total))
			for k := range K {
				all[k][c.p.level(k)] += post
			}
			if content[a] == content[b] {
				continue
			}
			cw := 1 / float64(copies[content[a]]*copies[content[b]])
			// Comparisons every rule that yields the pair blocks on.
			blocked := ^pattern(0)
			for r := range bl.rules {
				if key := bl.keys[r][a]; key >= 0 && key == bl.keys[r][b] && bl.usable[r][key] {
					blocked &= masks[r]
				}
			}
			for k := range K {
				l := c.p.level(k)
				if l == 0 || blocked&(0xf<<(4*k)) != 0 {
					continue
				}
				if lo := total - w[k]; lo >= thr {
					acc[k][l] += cw / (1 + math.Exp2(-lo))
				}
			}
		}
		accs[ch], alls[ch] = acc, all
	})
	mAnchor, mAll, present = make([][]float64, K), make([][]float64, K), make([]float64, K)
	for k := range K {
		mAll[k] = make([]float64, len(m[k]))
		for _, all := range alls {
			for l := 1; l < len(m[k]); l++ {
				mAll[k][l] += all[k][l]
				present[k] += all[k][l]
			}
		}
		for l := range mAll[k] {
			mAll[k][l] /= max(present[k], 1e-300)
		}
	}
	out := mAnchor
	for k := range K {
		out[k] = slices.Clone(m[k])
		tot := make([]float64, len(m[k]))
		sum := 0.0
		for _, acc := range accs {
			for l := 1; l < len(m[k]); l++ {
				tot[l] += acc[k][l]
				sum += acc[k][l]
			}
		}
		if sum < 1 {
			continue // no anchors: keep the sessions' estimate
		}
		for l := 1; l < len(m[k]); l++ {
			out[k][l] = (tot[l] + 0.5) / (sum + 0.5*float64(len(m[k])-1))
		}
	}
	return mAnchor, mAll, present
}

// contents gives each record the id of its content — the value every
// comparison sees, as normalised — and the number of records per content.
func (ds *dataset) contents() ([]int32, []int32) {
	in := newInterner()
	ids := make([]int32, ds.n)
	var sb strings.Builder
	for i := range ds.n {
		sb.Reset()
		for _, c := range ds.cmps {
			if v := c.tfID(i); v >= 0 {
				sb.WriteString(strconv.Itoa(int(v)))
			} else if c.present(i) {
				sb.WriteString(c.value(i))
			}
			sb.WriteByte(0)
		}
		ids[i] = in.id(sb.String())
	}
	copies := make([]int32, len(in.strs))
	for _, id := range ids {
		copies[id]++
	}
	return ids, copies
}
