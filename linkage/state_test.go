package linkage

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/paradero/paradero"
)

// personsOf returns a result's clusters as lists of record refs.
func personsOf(res *Result) [][]RecordRef {
	by := make(map[int][]RecordRef)
	for i, c := range res.Cluster {
		by[c] = append(by[c], res.Records[i])
	}
	var out [][]RecordRef
	for i, c := range res.Cluster {
		if i == c {
			out = append(out, by[c])
		}
	}
	return out
}

// roundTrip writes a result's state and reads it back.
func roundTrip(t *testing.T, res *Result) *State {
	t.Helper()
	var buf bytes.Buffer
	if _, err := res.State().WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	st, err := ReadState(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// clusterOf maps each record to the smallest ref of its cluster, so that
// results over tables in different orders compare.
func clusterOf(res *Result) map[RecordRef]RecordRef {
	lo := make(map[int]RecordRef)
	for i, c := range res.Cluster {
		r := res.Records[i]
		if l, ok := lo[c]; !ok || r.String() < l.String() {
			lo[c] = r
		}
	}
	out := make(map[RecordRef]RecordRef, len(res.Records))
	for i, c := range res.Cluster {
		out[res.Records[i]] = lo[c]
	}
	return out
}

// The incremental case on the synthetic world: link every source
// but the last, keep the state, then link the last against the persons
// found. Old persons stay whole, only pairs with a new record are scored,
// and the persons are as good as linking everything at once.
func TestLinkIncrementalSynth(t *testing.T) {
	tables, truth := synthWorld(t, 5000, 4)
	s := DefaultPersonSettings()
	last := len(tables) - 1
	old, err := Link(t.Context(), s, tables[:last], Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := roundTrip(t, old)
	inc, err := LinkIncremental(t.Context(), st, tables, personsOf(old), Options{})
	if err != nil {
		t.Fatal(err)
	}
	full, err := Link(t.Context(), s, tables, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if inc.Stats.NewRecords != len(tables[last].Rows) {
		t.Errorf("NewRecords = %d, want the %d rows of %s", inc.Stats.NewRecords, len(tables[last].Rows), tables[last].Name)
	}
	before, after := clusterOf(old), clusterOf(inc)
	for r, c := range before {
		if after[r] != after[c] {
			t.Fatalf("LinkIncremental split %v from %v", r, c)
		}
	}
	ent := func(x RecordRef) string { return truth[x] }
	pi, ri, fi := pairScores(inc, ent, false)
	pf, rf, ff := pairScores(full, ent, false)
	t.Logf("%s (%d records) against %d: incremental P=%.4f R=%.4f F1=%.4f, %d candidate pairs; full P=%.4f R=%.4f F1=%.4f, %d candidate pairs",
		tables[last].Name, len(tables[last].Rows), len(old.Records), pi, ri, fi, inc.Stats.CandidatePairs, pf, rf, ff, full.Stats.CandidatePairs)
	if pi < 0.99 || ri < 0.96 || fi < ff-0.01 {
		t.Errorf("incremental P=%.4f R=%.4f F1=%.4f, want P ≥ 0.99, R ≥ 0.96 and F1 within 0.01 of a full run's %.4f", pi, ri, fi, ff)
	}
	// Agreement with the full run, pair by pair, with full as the truth.
	fc := clusterOf(full)
	pa, ra, _ := pairScores(inc, func(x RecordRef) string { return fc[x].String() }, false)
	t.Logf("incremental against full: P=%.4f R=%.4f", pa, ra)
	if pa < 0.99 || ra < 0.99 {
		t.Errorf("incremental against full: P=%.4f R=%.4f, want both ≥ 0.99", pa, ra)
	}
	if 2*inc.Stats.CandidatePairs > full.Stats.CandidatePairs {
		t.Errorf("incremental scored %d pairs, want under half a full run's %d", inc.Stats.CandidatePairs, full.Stats.CandidatePairs)
	}
	// Deterministic, whatever the workers.
	again, err := LinkIncremental(t.Context(), st, tables, personsOf(old), Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Cluster, inc.Cluster) || !slices.Equal(again.Pairs, inc.Pairs) {
		t.Errorf("LinkIncremental with 1 worker differs from the default")
	}
}

// A state read back scores exactly as the run that wrote it: with no new
// record, an incremental run changes nothing and scores no pair.
func TestStateRoundTrip(t *testing.T) {
	tables, _ := fakeWorld(1000, 21)
	res, err := Link(t.Context(), quick(), tables, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := roundTrip(t, res)
	if st.Records != len(res.Records) || st.Thresholds != res.Thresholds {
		t.Errorf("state: %d records, thresholds %+v; want %d, %+v", st.Records, st.Thresholds, len(res.Records), res.Thresholds)
	}
	inc, err := LinkIncremental(t.Context(), st, tables, personsOf(res), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if inc.Stats.CandidatePairs != 0 || !slices.Equal(inc.Cluster, res.Cluster) {
		t.Errorf("no new records: %d pairs scored, clusters equal %v; want 0, true", inc.Stats.CandidatePairs, slices.Equal(inc.Cluster, res.Cluster))
	}
	if inc.Thresholds != res.Thresholds {
		t.Errorf("thresholds after the round trip %+v, want %+v", inc.Thresholds, res.Thresholds)
	}
	// Every pair weighs the same under the state read back.
	for _, p := range res.Pairs[:min(len(res.Pairs), 200)] {
		a, _ := inc.Explain(p.A, p.B)
		if a.Weight != p.Weight {
			t.Fatalf("pair %v–%v weighs %v after the round trip, %v before", res.Records[p.A], res.Records[p.B], a.Weight, p.Weight)
		}
	}

	var buf bytes.Buffer
	res.State().WriteTo(&buf)
	good := buf.String()
	for name, text := range map[string]string{
		"not json":     "{",
		"version":      strings.Replace(good, `"version":1`, `"version":99`, 1),
		"unknown key":  strings.Replace(good, `"version":1`, `"version":1,"colour":2`, 1),
		"no model":     strings.Replace(good, `"model":{`, `"model":null,"x":{`, 1),
		"wrong levels": strings.Replace(good, `"levels":[{`, `"levels":[{"label":"extra"},{`, 1),
	} {
		if _, err := ReadState(strings.NewReader(text)); paradero.ErrorCode(err) != paradero.EINVALID {
			t.Errorf("ReadState(%s) = %v, want EINVALID", name, err)
		}
	}
}

// Reviewers' decisions hold in an incremental run: a must-link merges two
// persons, and a cannot-link between two records of one person dissolves
// it, so that its records are linked again and the pair kept apart.
func TestLinkIncrementalDecisions(t *testing.T) {
	tables, _ := fakeWorld(1000, 23)
	res, err := Link(t.Context(), quick(), tables[:len(tables)-1], Options{})
	if err != nil {
		t.Fatal(err)
	}
	persons := personsOf(res)
	var big, other []RecordRef
	for _, p := range persons {
		switch {
		case big == nil && len(p) >= 3:
			big = p
		case other == nil && len(p) >= 2:
			other = p
		}
	}
	if big == nil || other == nil {
		t.Fatal("no persons of 3 and 2 records to decide on")
	}
	ds := []Decision{
		{A: big[0], B: big[1], Same: false},
		{A: big[2], B: other[0], Same: true},
	}
	inc, err := LinkIncremental(t.Context(), roundTrip(t, res), tables, persons, Options{Decisions: ds})
	if err != nil {
		t.Fatal(err)
	}
	c := clusterOf(inc)
	if c[big[0]] == c[big[1]] {
		t.Errorf("cannot-link %v, %v: one person after the incremental run", big[0], big[1])
	}
	if c[big[2]] != c[other[0]] {
		t.Errorf("must-link %v, %v: two persons after the incremental run", big[2], other[0])
	}
	if c[other[0]] != c[other[1]] {
		t.Errorf("person %v was split", other)
	}
	if inc.Stats.NewRecords < len(tables[len(tables)-1].Rows)+len(big) {
		t.Errorf("NewRecords = %d, want the last table's %d rows and the dissolved person's %d records", inc.Stats.NewRecords, len(tables[len(tables)-1].Rows), len(big))
	}
	// Persons that do not fit the tables are refused.
	for name, ps := range map[string][][]RecordRef{
		"unknown record": {{{Source: "nowhere", ID: "1"}}},
		"twice":          {{big[0]}, {big[0]}},
	} {
		if _, err := LinkIncremental(t.Context(), roundTrip(t, res), tables, ps, Options{}); paradero.ErrorCode(err) != paradero.EINVALID {
			t.Errorf("LinkIncremental with a record %s: %v, want EINVALID", name, err)
		}
	}
}
