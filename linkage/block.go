package linkage

import (
	"math"
	"slices"
	"strings"

	"github.com/paradero/paradero"
)

// DefaultBlocking returns the essential blocking rules used when settings
// give none: each document number alone, and every two of the names and
// dates together (the first token's phonetic key of a name; a date with
// day and month unordered, so that swaps meet). A true match is then a
// candidate unless it differs in its documents and in all but one of its
// names and dates. With only one name or date, that key alone. Link adds
// to these the rules that the data make cheap (see chooseBlocking).
func DefaultBlocking(s Settings) [][]string {
	var rules, strong [][]string
	for _, c := range s.Comparisons {
		switch c.Kind {
		case KindID:
			rules = append(rules, []string{c.Name})
		case KindName, KindGivenName, KindSurname:
			strong = append(strong, []string{"phonetic(" + c.Name + ")"})
		case KindDate:
			strong = append(strong, []string{"dm(" + c.Name + ")"})
		}
	}
	if len(strong) == 1 {
		rules = append(rules, strong[0])
	}
	for i := range strong {
		for j := i + 1; j < len(strong); j++ {
			rules = append(rules, []string{strong[i][0], strong[j][0]})
		}
	}
	return rules
}

// blockAtom returns the blocking key of one comparison used to build
// derived rules.
func blockAtom(c Comparison) string {
	switch c.Kind {
	case KindName, KindGivenName, KindSurname:
		return "phonetic(" + c.Name + ")"
	case KindDate:
		return "dm(" + c.Name + ")"
	}
	return c.Name
}

// chooseBlocking returns the essential rules of DefaultBlocking and then,
// cheapest first, every rule of one comparison's key or two comparisons'
// keys whose estimated pair count fits in the budget of
// s.BlockingBudget pairs per record. Costs are estimated on an evenly
// spaced sample of records, as Σ c(c−1) over sample blocks scaled to the
// full data (Christen 2012, "Data Matching", ch. 4, on block-size
// estimation); blocks over max_block_size are left out as they will be.
// So the rules follow the data: a postcode that is nearly unique becomes
// a rule, a sex column never does.
func (ds *dataset) chooseBlocking() [][]string {
	s := ds.s
	rules := DefaultBlocking(s)
	have := make(map[string]bool)
	for _, r := range rules {
		have[strings.Join(r, "\x00")] = true
	}
	var atoms, extra []string
	for _, c := range s.Comparisons {
		atoms = append(atoms, blockAtom(c))
		switch c.Kind {
		case KindName, KindGivenName, KindSurname:
			extra = append(extra, "phonetics("+c.Name+")")
		case KindDate:
			extra = append(extra, "year("+c.Name+")")
		}
	}
	var cands [][]string
	for i := range atoms {
		cands = append(cands, []string{atoms[i]})
		for j := i + 1; j < len(atoms); j++ {
			cands = append(cands, []string{atoms[i], atoms[j]})
		}
	}
	all := append(slices.Clone(atoms), extra...)
	sample := min(ds.n, 20000)
	if sample < 2 {
		return rules
	}
	step := float64(ds.n) / float64(sample)
	idx := make([]int, sample)
	for i := range idx {
		idx[i] = int(float64(i) * step)
	}
	names := make(map[string]int)
	for k, c := range s.Comparisons {
		names[c.Name] = k
	}
	// Key ids of each atom on the sample.
	atomKeys := make(map[string][]int32)
	// Keys of a person's given names and surnames share one id space,
	// as they are compared unordered (see unorderedNameKeys).
	nameIn := newInterner()
	for _, a := range all {
		fn, arg := splitKeyFunc(a)
		k := names[arg]
		in := newInterner()
		if k == ds.givenK || k == ds.surK {
			in = nameIn
		}
		keys := make([]int32, sample)
		for j, i := range idx {
			keys[j] = -1
			if v := ds.cmps[k].blockKey(fn, i); v != "" {
				keys[j] = in.id(v)
			}
		}
		atomKeys[a] = keys
	}
	scale := float64(ds.n) / float64(sample)
	const noKey = ^uint64(0)
	// estimate returns the rule's pair count, or +Inf for a rule most of
	// whose records fall in blocks too large to use (sex, country).
	estimate := func(rule []string) float64 {
		cnt := make(map[uint64]int)
		unordered := ds.unorderedNameKeys(rule)
		vs := make([]int32, len(rule))
		for j := range idx {
			key := uint64(0)
			for i, a := range rule {
				vs[i] = atomKeys[a][j]
			}
			if len(unordered) == 2 && vs[unordered[0]] > vs[unordered[1]] {
				vs[unordered[0]], vs[unordered[1]] = vs[unordered[1]], vs[unordered[0]]
			}
			for _, v := range vs {
				if v < 0 {
					key = noKey
					break
				}
				key = key<<32 | uint64(v)
			}
			if key != noKey {
				cnt[key]++
			}
		}
		pairs, keyed, over := 0.0, 0, 0
		for _, c := range cnt {
			keyed += c
			if float64(c)*scale <= float64(s.MaxBlockSize) {
				pairs += float64(c) * float64(c-1) / 2 * scale * scale
			} else {
				over += c
			}
		}
		if 2*over > keyed {
			return math.Inf(1)
		}
		return pairs
	}
	// sampleKeys returns each sample record's key under rule, noKey for
	// none or for a block too large to use.
	sampleKeys := func(rule []string) []uint64 {
		out := make([]uint64, len(idx))
		unordered := ds.unorderedNameKeys(rule)
		vs := make([]int32, len(rule))
		cnt := make(map[uint64]int)
		for j := range idx {
			for i, a := range rule {
				vs[i] = atomKeys[a][j]
			}
			if len(unordered) == 2 && vs[unordered[0]] > vs[unordered[1]] {
				vs[unordered[0]], vs[unordered[1]] = vs[unordered[1]], vs[unordered[0]]
			}
			key := uint64(0)
			for _, v := range vs {
				if v < 0 {
					key = noKey
					break
				}
				key = key<<32 | uint64(v)
			}
			out[j] = key
			if key != noKey {
				cnt[key]++
			}
		}
		for j, k := range out {
			if k != noKey && float64(cnt[k])*scale > float64(s.MaxBlockSize) {
				out[j] = noKey
			}
		}
		return out
	}
	// addedPairs counts the pairs of the sample blocks of keys that no
	// block of chosen holds, scaled to the data.
	addedPairs := func(keys []uint64, chosen [][]uint64) float64 {
		blocks := make(map[uint64][]int32)
		for j, k := range keys {
			if k != noKey {
				blocks[k] = append(blocks[k], int32(j))
			}
		}
		n := 0
		for _, ms := range blocks {
			for x, i := range ms {
			pairs:
				for _, j := range ms[x+1:] {
					for _, ck := range chosen {
						if ck[i] != noKey && ck[i] == ck[j] {
							continue pairs
						}
					}
					n++
				}
			}
		}
		return float64(n) * scale * scale
	}
	// An essential rule that would cost more than half the budget is
	// refined: a name key takes all the name's tokens instead of the
	// first (both surnames), or a birth year is added. The most inclusive
	// refinement that fits wins; if none fits, the cheapest.
	budget := s.BlockingBudget * float64(ds.n)
	for i, r := range rules {
		if estimate(r) <= budget/2 {
			continue
		}
		var variants [][]string
		var swaps []int
		for j, a := range r {
			if fn, arg := splitKeyFunc(a); fn == "phonetic" {
				v := slices.Clone(r)
				v[j] = "phonetics(" + arg + ")"
				variants = append(variants, v)
				swaps = append(swaps, j)
			}
		}
		if len(swaps) > 1 {
			v := slices.Clone(r)
			for _, j := range swaps {
				_, arg := splitKeyFunc(v[j])
				v[j] = "phonetics(" + arg + ")"
			}
			variants = append(variants, v)
		}
		for _, e := range extra {
			if fn, arg := splitKeyFunc(e); fn == "year" && !slices.ContainsFunc(r, func(k string) bool { _, a := splitKeyFunc(k); return a == arg }) {
				variants = append(variants, append(slices.Clone(r), e))
			}
		}
		best, bestCost, fits := r, math.Inf(1), false
		for _, v := range variants {
			c := estimate(v)
			switch {
			case c <= budget/2 && (!fits || c > bestCost):
				best, bestCost, fits = v, c, true
			case !fits && c < bestCost:
				best, bestCost = v, c
			}
		}
		rules[i] = best
		have[strings.Join(best, "\x00")] = true
	}
	type costed struct {
		rule []string
		cost float64
	}
	var opt []costed
	// A rule that contains another rule's keys adds no pair.
	covered := func(r []string) bool {
		for _, q := range rules {
			if !slices.ContainsFunc(q, func(k string) bool { return !slices.Contains(r, k) }) {
				return true
			}
		}
		return false
	}
	for _, r := range cands {
		if have[strings.Join(r, "\x00")] || covered(r) {
			continue
		}
		opt = append(opt, costed{r, estimate(r)})
	}
	slices.SortStableFunc(opt, func(a, b costed) int { return cmpFloat(a.cost, b.cost) })
	// The derived rules have a budget of their own. It pays first for the
	// companions of the essential rules: a rule on the first token of a
	// name gets one on all its tokens in any order, which finds names
	// whose surnames are written the other way round (PEREZ GOMEZ and
	// GOMEZ PEREZ) and that the first token keeps apart. A companion adds
	// few pairs to its rule's, and is charged those it adds, counted on the
	// sample: its own count would be about its rule's.
	spent := 0.0
	chosen := make([][]uint64, 0, len(rules))
	for _, r := range rules {
		chosen = append(chosen, sampleKeys(r))
	}
	for _, r := range slices.Clone(rules) {
		for j, a := range r {
			fn, arg := splitKeyFunc(a)
			if fn != "phonetic" {
				continue
			}
			v := slices.Clone(r)
			v[j] = "phonetics(" + arg + ")"
			if have[strings.Join(v, "\x00")] {
				continue
			}
			keys := sampleKeys(v)
			if c := addedPairs(keys, chosen); c > 0 && spent+c <= budget {
				spent += c
				rules = append(rules, v)
				chosen = append(chosen, keys)
				have[strings.Join(v, "\x00")] = true
			}
		}
	}
	for _, o := range opt {
		if spent+o.cost > budget {
			break
		}
		spent += o.cost
		rules = append(rules, o.rule)
	}
	// Drop a derived rule that contains another rule's keys: the other
	// rule yields all its pairs.
	out := rules[:0:0]
	for i, r := range rules {
		redundant := false
		for j, q := range rules {
			if i != j && len(q) < len(r) && !slices.ContainsFunc(q, func(k string) bool { return !slices.Contains(r, k) }) {
				redundant = true
			}
		}
		if !redundant {
			out = append(out, r)
		}
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// blocking holds, per rule, each record's key id (-1: none) and the
// records grouped by key.
type blocking struct {
	rules  [][]string
	keys   [][]int32 // [rule][record]
	usable [][]bool  // [rule][key]: the key's block is used (not too large)
	order  [][]int32 // [rule]: records with a usable key, sorted by key, then index
	starts [][]int32 // [rule]: block boundaries in order, len = blocks+1
	// skipped counts records in blocks too large to use, per rule.
	skipped []int
}

func (ds *dataset) block(rules [][]string) (*blocking, error) {
	bl := &blocking{rules: rules}
	names := make(map[string]int)
	for k, c := range ds.s.Comparisons {
		names[c.Name] = k
	}
	for _, rule := range rules {
		type part struct {
			cmp int
			col columnGetter
			fn  string
		}
		parts := make([]part, len(rule))
		for i, key := range rule {
			fn, arg := splitKeyFunc(key)
			if k, ok := names[arg]; ok {
				parts[i] = part{cmp: k, fn: fn}
				continue
			}
			found := false
			for _, tb := range ds.tables {
				found = found || slices.Contains(tb.Columns, arg)
			}
			if !found {
				return nil, paradero.Errorf(paradero.EINVALID, "blocking key %q: no comparison or column %q", key, arg)
			}
			parts[i] = part{cmp: -1, col: newColumnGetter(ds.tables, []string{arg}), fn: fn}
		}
		in := newInterner()
		keys := make([]int32, ds.n)
		var sb strings.Builder
		unordered := ds.unorderedNameKeys(rule)
		vals := make([]string, len(parts))
		rowIter(ds.tables, func(i, t int, row []string) {
			sb.Reset()
			for j, p := range parts {
				var k string
				if p.cmp >= 0 {
					k = ds.cmps[p.cmp].blockKey(p.fn, i)
				} else if f := Fold(p.col.get(t, row)); f != "" {
					k = keyFunc(p.fn, f)
				}
				if k == "" {
					keys[i] = -1
					return
				}
				vals[j] = k
			}
			if len(unordered) == 2 && vals[unordered[0]] > vals[unordered[1]] {
				vals[unordered[0]], vals[unordered[1]] = vals[unordered[1]], vals[unordered[0]]
			}
			for j, v := range vals {
				if j > 0 {
					sb.WriteByte(0)
				}
				sb.WriteString(v)
			}
			keys[i] = in.id(sb.String())
		})
		counts := make([]int32, len(in.strs))
		for _, k := range keys {
			if k >= 0 {
				counts[k]++
			}
		}
		usable := make([]bool, len(counts))
		skipped := 0
		for k, c := range counts {
			usable[k] = c >= 2 && int(c) <= ds.s.MaxBlockSize
			if int(c) > ds.s.MaxBlockSize {
				skipped += int(c)
			}
		}
		// Counting sort by key id; ids are in first-seen order, which is
		// deterministic.
		startOf := make([]int32, len(counts)+1)
		for k, c := range counts {
			startOf[k+1] = startOf[k]
			if usable[k] {
				startOf[k+1] += c
			}
		}
		order := make([]int32, startOf[len(counts)])
		fill := slices.Clone(startOf[:len(counts)])
		for i, k := range keys {
			if k >= 0 && usable[k] {
				order[fill[k]] = int32(i)
				fill[k]++
			}
		}
		starts := []int32{0}
		for k := range counts {
			if usable[k] {
				starts = append(starts, startOf[k+1])
			}
		}
		bl.keys = append(bl.keys, keys)
		bl.usable = append(bl.usable, usable)
		bl.order = append(bl.order, order)
		bl.starts = append(bl.starts, starts)
		bl.skipped = append(bl.skipped, skipped)
	}
	return bl, nil
}

// unorderedNameKeys returns the positions in rule of a key of the given
// names and a key of the surnames of one person name, when the rule has
// one of each, and nil otherwise. Those two keys are compared as a set:
// a name written with given names and surnames swapped (a roster that put
// them in the wrong columns, "PEREZ JOSE" read the wrong way round) then
// falls in the same block as the name written the right way, and the
// comparison recognises it (see personNames.levels).
func (ds *dataset) unorderedNameKeys(rule []string) []int {
	if ds.givenK < 0 {
		return nil
	}
	names := make(map[string]int)
	for k, c := range ds.s.Comparisons {
		names[c.Name] = k
	}
	g, sur := -1, -1
	for i, key := range rule {
		_, arg := splitKeyFunc(key)
		k, ok := names[arg]
		switch {
		case !ok:
		case k == ds.givenK && g < 0:
			g = i
		case k == ds.surK && sur < 0:
			sur = i
		}
	}
	if g < 0 || sur < 0 {
		return nil
	}
	return []int{g, sur}
}

// coveredBefore reports whether an earlier rule than r puts a and b in one
// usable block, so that each candidate pair is produced by one rule only
// (the first), without a set of all pairs.
func (bl *blocking) coveredBefore(r int, a, b int32) bool {
	for q := 0; q < r; q++ {
		k := bl.keys[q][a]
		if k >= 0 && k == bl.keys[q][b] && bl.usable[q][k] {
			return true
		}
	}
	return false
}

// chunk is a unit of pair generation: a run of blocks of one rule.
type chunk struct {
	rule       int
	first, end int // block indexes
}

// chunks splits every rule's blocks into runs of about target pairs.
func (bl *blocking) chunks(target int) []chunk {
	var out []chunk
	for r, st := range bl.starts {
		c := chunk{rule: r}
		pairs := 0
		for b := 0; b+1 < len(st); b++ {
			n := int(st[b+1] - st[b])
			pairs += n * (n - 1) / 2
			if pairs >= target {
				c.end = b + 1
				out = append(out, c)
				c = chunk{rule: r, first: b + 1}
				pairs = 0
			}
		}
		if c.first < len(st)-1 {
			c.end = len(st) - 1
			out = append(out, c)
		}
	}
	return out
}

// eachPair calls f for every candidate pair of the chunk, a < b, that the
// link type allows, that no earlier rule produced, and, when isNew is not
// nil, that has at least one new record (incremental linking). A block
// without a new record costs one pass over its members.
func (ds *dataset) eachPair(bl *blocking, c chunk, isNew []bool, f func(a, b int32)) {
	order, st := bl.order[c.rule], bl.starts[c.rule]
	linkOnly := ds.s.LinkType == LinkOnly
	emit := func(a, b int32) {
		if linkOnly && ds.src[a] == ds.src[b] {
			return
		}
		if c.rule > 0 && bl.coveredBefore(c.rule, a, b) {
			return
		}
		f(a, b)
	}
	for blk := c.first; blk < c.end; blk++ {
		members := order[st[blk]:st[blk+1]] // in index order
		if isNew == nil {
			for i, a := range members {
				for _, b := range members[i+1:] {
					emit(a, b)
				}
			}
			continue
		}
		// Each new member pairs with every earlier member that is old and
		// every later member, so that a pair of new records comes once.
		for i, x := range members {
			if !isNew[x] {
				continue
			}
			for _, a := range members[:i] {
				if !isNew[a] {
					emit(a, x)
				}
			}
			for _, b := range members[i+1:] {
				emit(x, b)
			}
		}
	}
}
