package linkage

import (
	"cmp"
	"slices"

	"github.com/paradero/paradero"
)

// edge is a scored candidate pair; s is its posterior log-odds (match
// weight plus prior), so s ≥ 0 means a match probability of at least ½.
type edge struct {
	a, b int32
	s    float64
}

// maxCross bounds the pairs scored to decide one merge; larger cluster
// pairs are judged on an even sample of that many pairs.
const maxCross = 4096

// clusterer groups records into persons. It is greedy average linkage on
// posterior log-odds (a form of correlation clustering, Bansal, Blum &
// Chawla 2004): links are taken strongest first, and two clusters merge
// unless the pairs between them — scored on demand where blocking never
// proposed them — speak against it. Pairs with nothing decisive to compare
// (a locator row with only an A-number against a family report without
// one; two records that share only a country) carry no evidence and are
// left out. When no pair between the clusters has evidence against a
// match — none has a negative match weight (log Bayes factor), none
// disagrees on a decisive field (another date of birth or document number,
// a different name, even where agreeing names outweigh it) — the link
// stands: the other pairs only say less than it does, a second name
// missing here, a date missing there, and their low posterior reflects
// the prior, not a disagreement. When some pair has evidence against, the
// clusters merge only if the mean posterior log-odds over their pairs is
// positive, so that one strong but wrong link between two large clusters
// is outvoted by the many pairs between them that disagree, and clusters
// do not chain the way connected components do. Must-link decisions join
// clusters before any score is read; cannot-link decisions veto every
// merge that would put their records together.
type clusterer struct {
	parent  []int32
	members [][]int32 // members of each root, in index order of joining
	cannot  map[int32][]int32
	// score returns the match weight of a pair and whether some field
	// of the pair disagrees; ok is false when the pair has nothing
	// decisive to compare.
	score func(a, b int32) (w float64, against, ok bool)
	prior float64 // log2 prior odds of a match
}

func newClusterer(n int, prior float64, score func(a, b int32) (w float64, against, ok bool)) *clusterer {
	c := &clusterer{parent: make([]int32, n), members: make([][]int32, n), cannot: make(map[int32][]int32), score: score, prior: prior}
	for i := range c.parent {
		c.parent[i] = int32(i)
		c.members[i] = []int32{int32(i)}
	}
	return c
}

func (c *clusterer) find(x int32) int32 {
	for c.parent[x] != x {
		c.parent[x] = c.parent[c.parent[x]]
		x = c.parent[x]
	}
	return x
}

func (c *clusterer) union(a, b int32) {
	ra, rb := c.find(a), c.find(b)
	if ra == rb {
		return
	}
	if len(c.members[ra]) < len(c.members[rb]) || len(c.members[ra]) == len(c.members[rb]) && rb < ra {
		ra, rb = rb, ra
	}
	c.parent[rb] = ra
	c.members[ra] = append(c.members[ra], c.members[rb]...)
	c.members[rb] = nil
}

// conflict reports whether a cannot-link decision separates the clusters
// of roots ra and rb.
func (c *clusterer) conflict(ra, rb int32) bool {
	if len(c.cannot) == 0 {
		return false
	}
	small, other := ra, rb
	if len(c.members[rb]) < len(c.members[ra]) {
		small, other = rb, ra
	}
	for _, x := range c.members[small] {
		for _, y := range c.cannot[x] {
			if c.find(y) == other {
				return true
			}
		}
	}
	return false
}

// mergeable reports whether the clusters of roots ra and rb may merge:
// when no informative pair between them has evidence against a match, or
// when the mean posterior log-odds of those pairs is positive (see
// clusterer). Large cluster pairs are judged on an even sample of maxCross
// pairs.
func (c *clusterer) mergeable(ra, rb int32) bool {
	A, B := c.members[ra], c.members[rb]
	total := len(A) * len(B)
	step := 1
	if total > maxCross {
		step = (total + maxCross - 1) / maxCross
	}
	sum, n := 0.0, 0
	against := false
	for i := 0; i < total; i += step {
		if w, ag, ok := c.score(A[i/len(B)], B[i%len(B)]); ok {
			against = against || ag
			sum += w + c.prior
			n++
		}
	}
	if n == 0 {
		return false
	}
	return !against || sum/float64(n) > 0
}

// Decision is a reviewer's verdict on a pair of records, by their sources
// and unique ids.
type Decision struct {
	A, B RecordRef
	Same bool // true: must link; false: cannot link
}

// RecordRef names a record: its input and unique id.
type RecordRef struct {
	Source, ID string
}

func (r RecordRef) String() string { return r.Source + ":" + r.ID }

// applyDecisions joins must-link pairs and records cannot-link pairs. A
// cannot-link between records that must-links join is an EINVALID error:
// the reviewers' decisions contradict each other.
func (c *clusterer) applyDecisions(index map[RecordRef]int32, ds []Decision) error {
	look := func(r RecordRef) (int32, error) {
		i, ok := index[r]
		if !ok {
			return 0, paradero.Errorf(paradero.ENOTFOUND, "decision names record %s, which is not in the input", r)
		}
		return i, nil
	}
	for _, d := range ds {
		a, err := look(d.A)
		if err != nil {
			return err
		}
		b, err := look(d.B)
		if err != nil {
			return err
		}
		if d.Same {
			c.union(a, b)
		} else {
			c.cannot[a] = append(c.cannot[a], b)
			c.cannot[b] = append(c.cannot[b], a)
		}
	}
	for _, d := range ds {
		if !d.Same && c.find(index[d.A]) == c.find(index[d.B]) {
			return paradero.Errorf(paradero.EINVALID, "decisions contradict: %s and %s cannot link, but must-links join them", d.A, d.B)
		}
	}
	return nil
}

// run merges along the edges with s ≥ 0, strongest first.
func (c *clusterer) run(edges []edge) {
	slices.SortFunc(edges, func(x, y edge) int {
		if r := cmp.Compare(y.s, x.s); r != 0 {
			return r
		}
		if r := cmp.Compare(x.a, y.a); r != 0 {
			return r
		}
		return cmp.Compare(x.b, y.b)
	})
	type key struct{ a, b int32 }
	rejected := make(map[key]int) // roots → combined size when rejected
	for _, e := range edges {
		if e.s < 0 {
			break
		}
		ra, rb := c.find(e.a), c.find(e.b)
		if ra == rb {
			continue
		}
		if ra > rb {
			ra, rb = rb, ra
		}
		size := len(c.members[ra]) + len(c.members[rb])
		k := key{ra, rb}
		if rejected[k] == size {
			continue
		}
		if c.conflict(ra, rb) {
			rejected[k] = size
			continue
		}
		if size > 2 && !c.mergeable(ra, rb) {
			rejected[k] = size
			continue
		}
		c.union(ra, rb)
	}
}

// labels returns, per record, its cluster id: the smallest record index in
// its cluster, so that labels do not depend on merge order.
func (c *clusterer) labels() []int32 {
	out := make([]int32, len(c.parent))
	for _, ms := range c.members {
		if len(ms) == 0 {
			continue
		}
		lo := slices.Min(ms)
		for _, m := range ms {
			out[m] = lo
		}
	}
	return out
}

// startFrom resolves the persons an incremental run starts from and marks
// the records it links: those in no person, and those of the persons that
// reviewers' decisions split. A cannot-link between records that persons
// and must-links hold together dissolves the person holding both, else
// the persons of either record, else every person joining them; their
// records are linked again, as a full run would. It returns, per record,
// whether it is to be linked, and the kept persons as record indexes. A
// record in two persons, or one not in the input, is EINVALID.
func startFrom(index map[RecordRef]int32, persons [][]RecordRef, decisions []Decision) ([]bool, [][]int32, error) {
	n := len(index)
	of := make([]int32, n) // each record's person, -1 for none
	for i := range of {
		of[i] = -1
	}
	ps := make([][]int32, len(persons))
	for p, refs := range persons {
		for _, r := range refs {
			i, ok := index[r]
			if !ok {
				return nil, nil, paradero.Errorf(paradero.EINVALID, "a person holds record %s, which is not in the input", r)
			}
			if of[i] >= 0 {
				return nil, nil, paradero.Errorf(paradero.EINVALID, "record %s is in two persons", r)
			}
			of[i] = int32(p)
			ps[p] = append(ps[p], i)
		}
	}
	type pair struct{ a, b int32 }
	var same, cannot []pair
	for _, d := range decisions {
		a, okA := index[d.A]
		b, okB := index[d.B]
		if !okA || !okB {
			continue // applyDecisions reports it
		}
		if d.Same {
			same = append(same, pair{a, b})
		} else {
			cannot = append(cannot, pair{a, b})
		}
	}
	// byDecisions joins records by must-links only: a cannot-link between
	// records it joins is the reviewers' contradiction, which no release
	// resolves (applyDecisions reports it).
	byDecisions := newClusterer(n, 0, nil)
	for _, p := range same {
		byDecisions.union(p.a, p.b)
	}
	released := make([]bool, len(persons))
	for {
		c := newClusterer(n, 0, nil)
		for p, members := range ps {
			if !released[p] {
				for _, x := range members[1:] {
					c.union(members[0], x)
				}
			}
		}
		for _, p := range same {
			c.union(p.a, p.b)
		}
		more := false
		for _, p := range cannot {
			r := c.find(p.a)
			if r != c.find(p.b) || byDecisions.find(p.a) == byDecisions.find(p.b) {
				continue
			}
			// Release the person holding both records; else the persons
			// of either; else every person of the component.
			qa, qb := of[p.a], of[p.b]
			switch {
			case qa >= 0 && qa == qb && !released[qa]:
				released[qa] = true
			case qa >= 0 && !released[qa] || qb >= 0 && !released[qb]:
				for _, q := range []int32{qa, qb} {
					if q >= 0 {
						released[q] = true
					}
				}
			default:
				for _, x := range c.members[r] {
					if q := of[x]; q >= 0 {
						released[q] = true
					}
				}
			}
			more = true
			break
		}
		if !more {
			break
		}
	}
	isNew := make([]bool, n)
	var kept [][]int32
	for i, p := range of {
		isNew[i] = p < 0 || released[p]
	}
	for p, members := range ps {
		if !released[p] && len(members) > 0 {
			kept = append(kept, members)
		}
	}
	return isNew, kept, nil
}
