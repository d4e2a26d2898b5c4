package storetest

import (
	"slices"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
)

// PersonStore is a store that also keeps persons and reviews.
type PersonStore interface {
	paradero.Store
	paradero.PersonService
}

// RunPersons runs the contract of paradero.PersonService. open returns a
// fresh, empty store; exec is as in Harness.
func RunPersons(t *testing.T, open func(t *testing.T) PersonStore, exec func(t *testing.T, s paradero.Store, query string)) {
	t.Run("LinkRunsKeepIdsAndLineage", func(t *testing.T) { testLinkRuns(t, open(t)) })
	t.Run("Reviews", func(t *testing.T) { testReviews(t, open(t), exec) })
	t.Run("LatestLinkRunKeepsState", func(t *testing.T) { testLatestLinkRun(t, open(t)) })
}

// testLatestLinkRun checks that a run's state comes back byte for byte
// from the latest run, and that the persons' records can be read whole.
func testLatestLinkRun(t *testing.T, s PersonStore) {
	ctx := actorCtx(t)
	_, err := s.FindLatestLinkRun(ctx)
	wantCode(t, err, paradero.ENOTFOUND)
	importFile(t, s, "five people", sampleRecords(5))
	r := recordIDs(t, s)
	if ps, err := s.FindPersonRecords(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("persons before any run = %v, %v; want none", ps, err)
	}

	run1 := &paradero.LinkRun{CreatedBy: "test", CandidatePairs: 7, Settings: []byte(`{"link_type":"dedupe"}`)}
	if err := s.SaveLinkRun(ctx, run1, [][]int64{{r[3], r[0]}, {r[1]}, {r[2], r[4]}}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindLatestLinkRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != run1.ID || got.State != nil || string(got.Settings) != `{"link_type":"dedupe"}` ||
		got.CreatedBy != "test" || got.Records != 5 || got.Persons != 3 || got.CandidatePairs != 7 || !got.CreatedAt.Equal(run1.CreatedAt) {
		t.Errorf("latest run = %+v, want run %d as saved, without state", got, run1.ID)
	}

	// A state is any bytes (JSON in practice, with floats that must come
	// back exactly), kept as written.
	state := []byte(`{"version":2,"model":{"lambda":0.00071130000000000004,"m":[0.1,1e-300]},"s":"\u00e9"}` + "\xff\x00")
	run2 := &paradero.LinkRun{CreatedBy: "test", Settings: []byte("{}"), State: state}
	if err := s.SaveLinkRun(ctx, run2, [][]int64{{r[0], r[3]}, {r[1], r[2], r[4]}}, nil); err != nil {
		t.Fatal(err)
	}
	got, err = s.FindLatestLinkRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != run2.ID || string(got.State) != string(state) || got.Persons != 2 {
		t.Errorf("latest run = %d with state %q, %d persons; want run %d with its state, 2 persons", got.ID, got.State, got.Persons, run2.ID)
	}

	// Every person's records, ascending, persons by id; a record imported
	// since is in none.
	importFile(t, s, "one more", sampleRecords(1))
	ps, err := s.FindPersonRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p0, _ := s.FindPersonOfRecord(ctx, r[0])
	p1, _ := s.FindPersonOfRecord(ctx, r[1])
	want := [][]int64{p0.Records, p1.Records}
	if p1.ID < p0.ID {
		want[0], want[1] = want[1], want[0]
	}
	if len(ps) != 2 || !slices.Equal(ps[0], want[0]) || !slices.Equal(ps[1], want[1]) {
		t.Errorf("FindPersonRecords = %v, want %v", ps, want)
	}
	if !slices.Equal(p0.Records, []int64{min(r[0], r[3]), max(r[0], r[3])}) {
		t.Errorf("person of record %d holds %v, want %d and %d ascending", r[0], p0.Records, r[0], r[3])
	}
}

func recordIDs(t *testing.T, s paradero.Store) []int64 {
	t.Helper()
	recs, _, err := s.FindRecords(t.Context(), paradero.RecordFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	return ids
}

func testLinkRuns(t *testing.T, s PersonStore) {
	ctx := actorCtx(t)
	importFile(t, s, "six people", sampleRecords(6))
	r := recordIDs(t, s)
	if st, _ := s.Status(ctx); st.Persons != 6 {
		t.Errorf("before linkage: %d persons, want 6 (each record its own)", st.Persons)
	}
	_, err := s.FindPersonOfRecord(ctx, r[0])
	wantCode(t, err, paradero.ENOTFOUND)

	run1 := &paradero.LinkRun{CreatedBy: "test", Settings: []byte("{}")}
	if err := s.SaveLinkRun(ctx, run1, [][]int64{{r[0], r[1], r[2]}, {r[3], r[4]}, {r[5]}}, nil); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Status(ctx); st.Persons != 3 {
		t.Errorf("after the first run: %d persons, want 3", st.Persons)
	}
	big, err := s.FindPersonOfRecord(ctx, r[1])
	if err != nil || !slices.Equal(big.Records, []int64{r[0], r[1], r[2]}) {
		t.Fatalf("person of record %d = %+v, %v", r[1], big, err)
	}
	pair, _ := s.FindPersonOfRecord(ctx, r[3])

	// The second run splits r[2] off the big person and merges the pair
	// with the single: the big person keeps its id, the merged one keeps
	// the pair's (the larger overlap), r[2] gets a new id.
	run2 := &paradero.LinkRun{CreatedBy: "test", Settings: []byte("{}")}
	if err := s.SaveLinkRun(ctx, run2, [][]int64{{r[0], r[1]}, {r[2]}, {r[3], r[4], r[5]}}, nil); err != nil {
		t.Fatal(err)
	}
	big2, _ := s.FindPersonOfRecord(ctx, r[0])
	if big2.ID != big.ID || !slices.Equal(big2.Records, []int64{r[0], r[1]}) {
		t.Errorf("after the split: person %+v, want id %d with records %v", big2, big.ID, r[:2])
	}
	var lost *paradero.Lineage
	for i, l := range big2.Lineage {
		if l.RecordID == r[2] {
			lost = &big2.Lineage[i]
		}
	}
	if lost == nil || lost.FromRun != run1.ID || lost.UntilRun != run2.ID || lost.RemovedAt.IsZero() {
		t.Errorf("lineage of person %d = %+v, want record %d held from run %d until run %d", big2.ID, big2.Lineage, r[2], run1.ID, run2.ID)
	}
	merged, _ := s.FindPersonOfRecord(ctx, r[5])
	if merged.ID != pair.ID || len(merged.Records) != 3 {
		t.Errorf("after the merge: %+v, want id %d with 3 records", merged, pair.ID)
	}
	split, _ := s.FindPersonOfRecord(ctx, r[2])
	if split.ID == big.ID || split.ID == pair.ID {
		t.Errorf("split-off record got an old id %d", split.ID)
	}
	_, err = s.FindPersonByID(ctx, 9999)
	wantCode(t, err, paradero.ENOTFOUND)
	wantCode(t, s.SaveLinkRun(ctx, &paradero.LinkRun{}, [][]int64{{r[0], r[1]}, {r[1]}, {r[2], r[3], r[4], r[5]}}, nil), paradero.EINVALID)
	wantCode(t, s.SaveLinkRun(ctx, &paradero.LinkRun{}, [][]int64{{r[0]}}, nil), paradero.EINVALID)
	// As many ids as records, but one of them names no record.
	wantCode(t, s.SaveLinkRun(ctx, &paradero.LinkRun{}, [][]int64{{r[0], r[1]}, {r[2]}, {r[3], r[4], 99999}}, nil), paradero.EINVALID)
}

func newReview(t *testing.T, a, b int64, v paradero.Verdict, reason string) *paradero.Review {
	salt := make([]byte, 32)
	copy(salt, reason)
	x := &paradero.Review{RecordA: a, RecordB: b, Verdict: v, Reason: reason, CreatedBy: "test:reviewer", Salt: salt}
	x.Commitment = paradero.Commit(salt, paradero.ReviewContent(reason, x.CreatedBy))
	return x
}

func testReviews(t *testing.T, s PersonStore, exec func(t *testing.T, s paradero.Store, query string)) {
	ctx := actorCtx(t)
	importFile(t, s, "four people", sampleRecords(4))
	r := recordIDs(t, s)
	queue := []paradero.ReviewPair{
		{RecordA: r[0], RecordB: r[1], Probability: 0.9, Weight: 3, Explanation: []byte(`{"fields":[]}`)},
		{RecordA: r[2], RecordB: r[3], Probability: 0.45, Weight: -0.2, Explanation: []byte(`{}`)},
	}
	if err := s.SaveLinkRun(ctx, &paradero.LinkRun{Settings: []byte("{}")}, [][]int64{{r[0]}, {r[1]}, {r[2]}, {r[3]}}, queue); err != nil {
		t.Fatal(err)
	}
	q, total, err := s.FindReviewQueue(ctx, paradero.ReviewFilter{})
	if err != nil || total != 2 || q[0].RecordA != r[2] || string(q[1].Explanation) != `{"fields":[]}` {
		t.Fatalf("review queue = %+v, %d, %v; want the most uncertain pair first", q, total, err)
	}
	x := newReview(t, r[1], r[0], paradero.VerdictSame, "same A-number, same mother")
	if err := s.CreateReview(ctx, x); err != nil {
		t.Fatal(err)
	}
	if x.RecordA != r[0] || x.ID == 0 {
		t.Errorf("review = %+v, want its pair ordered and an id", x)
	}
	if _, total, _ := s.FindReviewQueue(ctx, paradero.ReviewFilter{}); total != 1 {
		t.Errorf("after a decision the queue has %d pairs, want 1", total)
	}
	wantCode(t, s.CreateReview(ctx, newReview(t, r[0], r[0], paradero.VerdictSame, "x")), paradero.EINVALID)
	wantCode(t, s.CreateReview(ctx, newReview(t, r[0], r[1], "maybe", "x")), paradero.EINVALID)
	wantCode(t, s.CreateReview(ctx, newReview(t, r[0], 9999, paradero.VerdictDifferent, "x")), paradero.ENOTFOUND)
	undo := newReview(t, r[0], r[1], paradero.VerdictDifferent, "the dates of birth differ by ten years")
	if err := s.CreateReview(ctx, undo); err != nil {
		t.Fatal(err)
	}
	all, err := s.FindReviews(ctx)
	if err != nil || len(all) != 2 || all[1].Verdict != paradero.VerdictDifferent || all[0].Reason != "same A-number, same mother" {
		t.Fatalf("FindReviews = %+v, %v", all, err)
	}
	e, err := s.FindEntry(ctx, undo.LedgerIndex)
	if err != nil || e.Kind != paradero.EntryReview || string(e.Leaf) != string(paradero.ReviewLeaf(undo)) {
		t.Errorf("review entry = %+v, %v", e, err)
	}
	log := ledger.New(s, newKey(t))
	mustVerify(t, s, log)
	exec(t, s, "UPDATE reviews SET reason = 'no reason' WHERE verdict = 'different'")
	rep, err := log.Verify(ctx, ledger.VerifyOptions{})
	if err != nil || rep.OK() || rep.Problems[0].Index != undo.LedgerIndex {
		t.Errorf("verify after changing a review's reason: %v %v, want entry %d named", err, rep.Problems, undo.LedgerIndex)
	}
}
