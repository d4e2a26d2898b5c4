package linkage

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/paradero/paradero"
)

// Options tune a run without changing its result, except Decisions.
type Options struct {
	// Decisions are reviewers' must-link and cannot-link verdicts.
	Decisions []Decision
	// Logf, if set, receives progress: the candidate-pair count is
	// reported before any pair is scored.
	Logf func(format string, args ...any)
	// MaxCandidatePairs, if positive, stops the run with EINVALID before
	// scoring when blocking yields more pairs: the rules are too loose.
	MaxCandidatePairs int64
	// Workers bounds parallelism; 0 means GOMAXPROCS. Results do not
	// depend on it.
	Workers int
}

func (o Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// Stats describe a run.
type Stats struct {
	Records        int
	NewRecords     int // records whose pairs were scored: all but in an incremental run
	Rules          [][]string
	RulePairs      []int64 // new candidate pairs each rule adds
	SkippedRecords []int   // per rule, records in blocks over max_block_size
	CandidatePairs int64
	RandomPairs    int
	Links          int // pairs at or above the link threshold
	Review         int // pairs in the review band
	Clusters       int
	Durations      map[string]time.Duration
}

// Thresholds are the decision points in match weight, derived from the
// fitted model's prior so that they mean the same posterior probability on
// every data set.
type Thresholds struct {
	Link       float64 // weight at probability ½: at or above, a link
	ReviewLow  float64 // weight at the review band's lower probability
	ReviewHigh float64 // weight at the review band's upper probability
}

// ScoredPair is a candidate pair with its score. A and B index
// Result.Records, A < B.
type ScoredPair struct {
	A, B        int
	Weight      float64 // match weight, log2 Bayes factor
	Probability float64 // posterior match probability
}

// Result is the outcome of linking: the fitted model, every record's
// cluster, the scored pairs from the review band up, and what it took.
type Result struct {
	Settings   Settings
	Model      *Model
	Thresholds Thresholds
	Stats      Stats
	Records    []RecordRef
	// Cluster gives each record's person: the index of the cluster's
	// first record.
	Cluster []int
	// Pairs are the candidate pairs with probability at or above the
	// review band's lower end, ordered by (A, B).
	Pairs []ScoredPair

	ds *dataset
	nz *Normalizer
	sc *scorer
	// fitted is the number of records the Model was fitted on.
	fitted int
}

type candidate struct {
	a, b int32
	p    pattern
}

// Link finds the persons in the tables: it blocks, counts candidate pairs,
// estimates u from random pairs and m by EM, scores the candidates, and
// clusters them. The same settings and tables give the same result.
func Link(ctx context.Context, s Settings, tables []Table, opt Options) (*Result, error) {
	s = s.Defaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return run(ctx, s, NewNormalizer(), tables, nil, opt)
}

// Extend links new tables against a previous result without refitting:
// the model, thresholds and clusters of r are kept, only pairs that
// involve a new record are blocked and scored, and clustering starts from
// r's clusters (which may grow or merge, never split). Decisions apply as
// in Link.
func (r *Result) Extend(ctx context.Context, tables []Table, opt Options) (*Result, error) {
	all := append(slices.Clip(slices.Clone(r.ds.tables)), tables...)
	byCluster := make(map[int][]RecordRef)
	for i, c := range r.Cluster {
		byCluster[c] = append(byCluster[c], r.Records[i])
	}
	persons := make([][]RecordRef, 0, len(byCluster))
	for i, c := range r.Cluster {
		if c == i {
			persons = append(persons, byCluster[c])
		}
	}
	b := &base{rules: r.Stats.Rules, model: r.Model, persons: persons, pairs: r.Pairs, fitted: r.fitted}
	return run(ctx, r.Settings, r.nz, all, b, opt)
}

// base is what an incremental run starts from: the blocking rules and
// model of a full run, and the persons found so far. Records in no person
// are new.
type base struct {
	rules   [][]string
	model   *Model
	persons [][]RecordRef
	pairs   []ScoredPair // scored pairs kept from before (Extend)
	fitted  int          // records the model was fitted on
}

func run(ctx context.Context, s Settings, nz *Normalizer, tables []Table, prev *base, opt Options) (*Result, error) {
	durs := make(map[string]time.Duration)
	lap := time.Now()
	stage := func(name string) {
		now := time.Now()
		durs[name] = now.Sub(lap)
		lap = now
	}
	ds, err := newDataset(s, nz, tables)
	if err != nil {
		return nil, err
	}
	if s.LinkType == LinkOnly && len(tables) < 2 {
		return nil, paradero.Errorf(paradero.EINVALID, "link_only needs at least two inputs")
	}
	refs := make([]RecordRef, ds.n)
	index := make(map[RecordRef]int32, ds.n)
	for i := range refs {
		refs[i] = RecordRef{Source: tables[ds.src[i]].Name, ID: ds.ids[i]}
		index[refs[i]] = int32(i)
	}
	// isNew marks the records whose pairs are scored in an incremental
	// run (nil: every record); persons are the clusters it starts from.
	var isNew []bool
	var persons [][]int32
	if prev != nil {
		isNew, persons, err = startFrom(index, prev.persons, opt.Decisions)
		if err != nil {
			return nil, err
		}
	}
	stage("prepare")
	rules := s.Blocking
	switch {
	case prev != nil:
		rules = prev.rules
	case len(rules) == 0:
		rules = ds.chooseBlocking()
	}
	bl, err := ds.block(rules)
	if err != nil {
		return nil, err
	}
	chunks := bl.chunks(1 << 15)
	counts := make([]int64, len(chunks))
	parallel(len(chunks), opt.Workers, func(i int) {
		n := int64(0)
		ds.eachPair(bl, chunks[i], isNew, func(a, b int32) { n++ })
		counts[i] = n
	})
	newRecords := ds.n
	if isNew != nil {
		newRecords = 0
		for _, x := range isNew {
			if x {
				newRecords++
			}
		}
	}
	st := Stats{Records: ds.n, NewRecords: newRecords, Rules: rules, RulePairs: make([]int64, len(rules)), SkippedRecords: bl.skipped, Durations: durs}
	for i, c := range chunks {
		st.RulePairs[c.rule] += counts[i]
		st.CandidatePairs += counts[i]
	}
	stage("block")
	opt.logf("linkage: %d records, %d candidate pairs from %d blocking rules", ds.n, st.CandidatePairs, len(rules))
	for i, r := range rules {
		opt.logf("linkage:   rule %v: %d pairs, %d records in blocks over %d skipped", r, st.RulePairs[i], bl.skipped[i], s.MaxBlockSize)
	}
	if opt.MaxCandidatePairs > 0 && st.CandidatePairs > opt.MaxCandidatePairs {
		return nil, paradero.Errorf(paradero.EINVALID, "blocking yields %d candidate pairs, more than the limit of %d; tighten the rules", st.CandidatePairs, opt.MaxCandidatePairs)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Score: one comparison vector per candidate, counted by pattern.
	// Each pair is also counted under every later rule that covers it,
	// for training (see train).
	cands := make([][]candidate, len(chunks))
	firstCounts := make([]map[ruleCount]int64, len(chunks))
	coverCounts := make([]map[ruleCount]int64, len(chunks))
	parallel(len(chunks), opt.Workers, func(i int) {
		if ctx.Err() != nil {
			return
		}
		out := make([]candidate, 0, counts[i])
		fc := make(map[ruleCount]int64)
		cc := make(map[ruleCount]int64)
		r0 := chunks[i].rule
		ds.eachPair(bl, chunks[i], isNew, func(a, b int32) {
			p := ds.compare(int(a), int(b))
			out = append(out, candidate{a, b, p})
			if prev != nil {
				return // no training
			}
			fc[ruleCount{r0, p}]++
			for r := r0; r < len(bl.rules); r++ {
				if k := bl.keys[r][a]; k >= 0 && k == bl.keys[r][b] && bl.usable[r][k] {
					cc[ruleCount{r, p}]++
				}
			}
		})
		cands[i], firstCounts[i], coverCounts[i] = out, fc, cc
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	stage("compare")

	var model *Model
	if prev != nil {
		model = prev.model
	} else {
		first := make(map[ruleCount]float64)
		cover := make(map[ruleCount]float64)
		for i := range chunks {
			for rc, n := range firstCounts[i] {
				first[rc] += float64(n)
			}
			for rc, n := range coverCounts[i] {
				cover[rc] += float64(n)
			}
		}
		if len(first) == 0 {
			return nil, paradero.Errorf(paradero.EINVALID, "blocking yields no candidate pairs; nothing to link")
		}
		npairs := min(s.RandomPairs, max(ds.n*(ds.n-1)/2, 1000))
		u, sampled := ds.estimateU(s.Seed, npairs, opt.Workers)
		st.RandomPairs = sampled
		stage("estimate_u")
		// The weights are Bayes factors against random pairs, so the
		// prior is the share of matches among all pairs: the matches
		// found among the candidates, over every pair the link type
		// allows (Splink's probability_two_random_records_match).
		// Random pairs include matches too, which for a document number
		// outnumber chance agreements; u is corrected for them with the
		// fitted m and prior, and the model refitted with the corrected
		// u (two rounds).
		all := ds.allowedPairs()
		uc := u
		var m [][]float64
		var matches, lambda float64
		var present []float64
		var sessions []Session
		for range 2 {
			m, matches, present, sessions = ds.train(rules, cover, first, uc, s.MaxIterations)
			lambda = min(max(matches/all, 1/all), 0.5)
			uc = ds.correctU(u, m, present)
		}
		// m again from anchors, which let every comparison vote (see
		// anchorM), and u corrected for the matches among random pairs
		// with the levels the candidates' matches show.
		for range anchorRounds {
			var mAll [][]float64
			m, mAll, present = ds.anchorM(bl, cands, m, uc, lambda, opt.Workers)
			uc = ds.correctU(u, mAll, present)
		}
		u = uc
		lambdaC := matches / float64(st.CandidatePairs)
		model = buildModel(ds, m, u, lambda)
		model.CandidateLambda, model.Sessions, model.Patterns = lambdaC, sessions, len(first)
		stage("em")
		opt.logf("linkage: EM in %d sessions: %.4g of candidates match (%.0f pairs), λ = %.4g", len(sessions), lambdaC, matches, lambda)
	}
	sc := newScorer(ds, model)
	th := Thresholds{Link: sc.linkAt, ReviewLow: model.WeightAt(s.ReviewBand[0]), ReviewHigh: model.WeightAt(s.ReviewBand[1])}

	var edges []edge
	var pairs []ScoredPair
	if prev != nil {
		pairs = slices.Clone(prev.pairs)
	}
	for _, cs := range cands {
		for _, c := range cs {
			w := sc.weight(c.p, int(c.a), int(c.b))
			if w < th.ReviewLow {
				continue
			}
			pairs = append(pairs, ScoredPair{A: int(c.a), B: int(c.b), Weight: w, Probability: model.Probability(w)})
			if w >= th.Link {
				edges = append(edges, edge{c.a, c.b, w + sc.prior})
			}
		}
	}
	cands = nil
	slices.SortFunc(pairs, func(x, y ScoredPair) int {
		if r := cmp.Compare(x.A, y.A); r != 0 {
			return r
		}
		return cmp.Compare(x.B, y.B)
	})
	// A pair kept from before comes again if a decision released its
	// records; it is scored the same.
	pairs = slices.CompactFunc(pairs, func(x, y ScoredPair) bool { return x.A == y.A && x.B == y.B })
	for _, p := range pairs {
		if p.Weight >= th.Link {
			st.Links++
		}
		if p.Weight < th.ReviewHigh {
			st.Review++
		}
	}
	stage("score")

	// A pair that can only agree on weak comparisons (a country shared by
	// half the records, sex) says too little to weigh in a merge; strong
	// comparisons are those whose largest weight — agreement, not
	// disagreement — reaches half the link threshold. A country that
	// matches rarely contradict has a large negative weight, yet a pair
	// that shares only a country still has nothing but the prior, which
	// would count against every merge.
	var strong pattern
	for k, ws := range sc.w {
		big := 0.0
		for _, w := range ws {
			big = max(big, w)
		}
		if big >= math.Abs(th.Link)/2 {
			strong |= 0xf << (4 * k)
		}
	}
	cl := newClusterer(ds.n, sc.prior, func(a, b int32) (float64, bool, bool) {
		if !ds.pairAllowed(int(a), int(b)) {
			return 0, false, false
		}
		p := ds.compare(int(a), int(b))
		if p&strong == 0 {
			return 0, false, false // nothing decisive to compare: no evidence either way
		}
		w, against := sc.weightAgainst(p, strong, int(a), int(b))
		return w, against, true
	})
	for _, p := range persons {
		for _, x := range p[1:] {
			cl.union(p[0], x)
		}
	}
	if err := cl.applyDecisions(index, opt.Decisions); err != nil {
		return nil, err
	}
	cl.run(edges)
	labels := cl.labels()
	cluster := make([]int, ds.n)
	seen := make(map[int32]bool)
	for i, l := range labels {
		cluster[i] = int(l)
		seen[l] = true
	}
	st.Clusters = len(seen)
	stage("cluster")
	opt.logf("linkage: stages: prepare %v, block %v, compare %v, estimate u %v, EM %v, score %v, cluster %v",
		durs["prepare"].Round(time.Millisecond), durs["block"].Round(time.Millisecond), durs["compare"].Round(time.Millisecond),
		durs["estimate_u"].Round(time.Millisecond), durs["em"].Round(time.Millisecond), durs["score"].Round(time.Millisecond), durs["cluster"].Round(time.Millisecond))
	fitted := ds.n
	if prev != nil {
		fitted = prev.fitted
	}
	return &Result{Settings: s, Model: model, Thresholds: th, Stats: st, Records: refs, Cluster: cluster, Pairs: pairs, ds: ds, nz: nz, sc: sc, fitted: fitted}, nil
}

// Review returns the pairs in the review band, ordered by (A, B).
func (r *Result) Review() []ScoredPair {
	var out []ScoredPair
	for _, p := range r.Pairs {
		if p.Weight < r.Thresholds.ReviewHigh {
			out = append(out, p)
		}
	}
	return out
}

// Decision says how a pair's weight stands against the thresholds:
// "link", "review" (a link the reviewer should confirm, or a non-link to
// check) or "non-link".
func (r *Result) Decision(weight float64) string {
	switch {
	case weight >= r.Thresholds.ReviewHigh:
		return "link"
	case weight >= r.Thresholds.ReviewLow:
		return "review"
	}
	return "non-link"
}

// Index returns the index of a record in Records.
func (r *Result) Index(ref RecordRef) (int, error) {
	for i, x := range r.Records {
		if x == ref {
			return i, nil
		}
	}
	return 0, paradero.Errorf(paradero.ENOTFOUND, "no record %s", ref)
}

func (r *Result) String() string {
	return fmt.Sprintf("%d records, %d candidate pairs, %d clusters", r.Stats.Records, r.Stats.CandidatePairs, r.Stats.Clusters)
}

// buildModel assembles a Model from m, u and the prior: each level's
// weight is log2(m/u).
func buildModel(ds *dataset, m, u [][]float64, lambda float64) *Model {
	model := &Model{Lambda: lambda}
	for k, c := range ds.s.Comparisons {
		cm := ComparisonModel{Name: c.Name, Kind: c.Kind, TermFrequency: *c.TermFrequency}
		for l, label := range ds.cmps[k].levels() {
			lv := LevelModel{Label: label}
			if l > 0 {
				lv.M, lv.U = m[k][l], u[k][l]
				lv.Weight = math.Log2(m[k][l] / u[k][l])
			}
			cm.Levels = append(cm.Levels, lv)
		}
		model.Comparisons = append(model.Comparisons, cm)
	}
	return model
}
