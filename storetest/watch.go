package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/watch"
)

// WatchStore is a store that also keeps what a locator watch needs.
type WatchStore interface {
	paradero.Store
	paradero.WatchService
}

// RunWatch runs the contract of paradero.WatchService. open returns a
// fresh, empty store, closed by the test's cleanup.
func RunWatch(t *testing.T, open func(t *testing.T) WatchStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, WatchStore)
	}{
		{"RecordSnapshot", testRecordSnapshot},
		{"SnapshotOfImportedFile", testSnapshotOfImportedFile},
		{"SnapshotInvalid", testSnapshotInvalid},
		{"SightingsLimitAndTime", testSightingsLimitAndTime},
		{"ConcurrentSameAnswer", testConcurrentSameAnswer},
		{"WatchState", testWatchState},
		{"ClaimsShareARound", testClaimsShareARound},
		{"ClaimLeaseEndsAndIsTakenOver", testClaimTakeover},
		{"ClaimRenewedAndReleased", testClaimRenewRelease},
		{"JudgeLeaseEnds", testJudgeTakeover},
		{"ClaimsConcurrent", testClaimsConcurrent},
		{"Pace", testPace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// watchSnapshot is one locator answer whose one record says the person is
// held at the facility named by body.
func watchSnapshot(key, body string, at time.Time) *paradero.Snapshot {
	return &paradero.Snapshot{
		Locator: "ice-sim", Key: key, ObservedAt: at, Body: []byte(body),
		Source: paradero.Source{Kind: paradero.KindLocatorSnapshot, Title: "ice-sim answer", Filename: "ice-sim.txt", MediaType: "text/plain"},
		Records: []*paradero.Record{{ANumber: "200000001", CountryOfBirth: "VENEZUELA", Status: "in custody",
			Facility: body, EventDate: paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 1}}}},
	}
}

// testRecordSnapshot: an answer is stored once, seen many times; an
// answer that comes back after another is the source stored before; the
// same bytes for another entry are that source too. Only the sighting
// that stored the answer is New.
func testRecordSnapshot(t *testing.T, s WatchStore) {
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "watch"})
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	bodies := []string{"EL VALLE", "EL VALLE", "OTERO", "EL VALLE", "EL VALLE"}
	wantNew := []bool{true, false, true, false, false}
	var ids []int64
	for i, b := range bodies {
		snap := watchSnapshot("w1", b, t0.Add(time.Duration(i)*time.Hour))
		sg, err := s.RecordSnapshot(ctx, snap)
		if err != nil {
			t.Fatal(err)
		}
		if sg.New != wantNew[i] || sg.Locator != "ice-sim" || sg.Key != "w1" || !sg.SeenAt.Equal(snap.ObservedAt) || sg.SourceID == 0 {
			t.Errorf("RecordSnapshot(answer %d) = %+v, want New %v", i, sg, wantNew[i])
		}
		if snap.Records[0].ID != 0 {
			t.Errorf("RecordSnapshot changed the caller's record: %+v", snap.Records[0])
		}
		ids = append(ids, sg.SourceID)
	}
	if ids[0] != ids[1] || ids[0] != ids[3] || ids[0] != ids[4] || ids[2] == ids[0] {
		t.Errorf("source ids %v: want identical answers to share a source", ids)
	}
	if sg, err := s.RecordSnapshot(ctx, watchSnapshot("w2", "OTERO", t0)); err != nil || sg.SourceID != ids[2] || sg.New {
		t.Errorf("w2 with w1's answer = %+v, %v; want source %d, not new", sg, err, ids[2])
	}
	sgs, err := s.FindSightings(ctx, "ice-sim", "w1", 0)
	if err != nil || len(sgs) != len(bodies) {
		t.Fatalf("FindSightings(w1) = %d sightings, %v; want %d", len(sgs), err, len(bodies))
	}
	for i, sg := range sgs {
		want := paradero.Sighting{Locator: "ice-sim", Key: "w1", SourceID: ids[i], SeenAt: t0.Add(time.Duration(i) * time.Hour), New: wantNew[i]}
		if *sg != want {
			t.Errorf("sighting %d = %+v, want %+v", i, *sg, want)
		}
	}
	if sgs, err := s.FindSightings(ctx, "ice-sim", "w2", -1); err != nil || len(sgs) != 1 {
		t.Errorf("FindSightings(w2) = %v, %v; want one", sgs, err)
	}
	if sgs, err := s.FindSightings(ctx, "other", "w1", 0); err != nil || len(sgs) != 0 {
		t.Errorf("FindSightings(other locator) = %v, %v; want none", sgs, err)
	}

	st, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sources != 2 || st.Records != 2 || st.LedgerSize != 4 {
		t.Errorf("status %+v, want 2 sources, 2 records, 4 ledger entries", st)
	}
	src, err := s.FindSourceByID(ctx, ids[2])
	if err != nil || src.Kind != paradero.KindLocatorSnapshot || src.Size != int64(len("OTERO")) || src.ImportedBy != "watch" ||
		src.Records != 1 || src.Title != "ice-sim answer" {
		t.Errorf("source %+v, %v", src, err)
	}
	recs, _, err := s.FindRecords(ctx, paradero.RecordFilter{SourceID: ids[2]})
	if err != nil || len(recs) != 1 || recs[0].Facility != "OTERO" || recs[0].ANumber != "200000001" {
		t.Errorf("records of the OTERO answer = %+v, %v", recs, err)
	}
	mustVerify(t, s, ledger.New(s, newKey(t)))
}

// testSnapshotOfImportedFile: an answer whose bytes a source imported by
// hand has already is that source, not a new one; a snapshot without a
// source kind is stored as a locator snapshot.
func testSnapshotOfImportedFile(t *testing.T, s WatchStore) {
	ctx := actorCtx(t)
	src := importFile(t, s, "EL VALLE", sampleRecords(2))
	at := time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)
	sg, err := s.RecordSnapshot(ctx, watchSnapshot("w1", "EL VALLE", at))
	if err != nil || sg.SourceID != src.ID || sg.New {
		t.Errorf("RecordSnapshot of an imported file's bytes = %+v, %v; want source %d, not new", sg, err, src.ID)
	}
	snap := watchSnapshot("w1", "OTERO", at.Add(time.Hour))
	snap.Source.Kind = ""
	sg, err = s.RecordSnapshot(ctx, snap)
	if err != nil || !sg.New {
		t.Fatalf("RecordSnapshot(new answer, no kind) = %+v, %v", sg, err)
	}
	if got, err := s.FindSourceByID(ctx, sg.SourceID); err != nil || got.Kind != paradero.KindLocatorSnapshot {
		t.Errorf("source of a snapshot without a kind = %+v, %v; want kind %s", got, err, paradero.KindLocatorSnapshot)
	}
	if st, err := s.Status(ctx); err != nil || st.Sources != 2 || st.Records != 3 || st.LedgerSize != 5 {
		t.Errorf("status %+v, %v; want 2 sources, 3 records, 5 entries", st, err)
	}
	mustVerify(t, s, ledger.New(s, newKey(t)))
}

// testSnapshotInvalid: a snapshot without a locator or key, or with a
// record the import refuses, stores nothing, neither source nor sighting.
func testSnapshotInvalid(t *testing.T, s WatchStore) {
	ctx := actorCtx(t)
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	noLocator := watchSnapshot("w1", "A", at)
	noLocator.Locator = ""
	noKey := watchSnapshot("", "B", at)
	badRecord := watchSnapshot("w1", "C", at)
	badRecord.Records[0].BirthDate = paradero.PartialDate{Year: 2025, Month: 13}
	badKind := watchSnapshot("w1", "D", at)
	badKind.Source.Kind = "rumour"
	for name, snap := range map[string]*paradero.Snapshot{
		"no locator": noLocator, "no key": noKey, "bad record": badRecord, "bad kind": badKind,
	} {
		sg, err := s.RecordSnapshot(ctx, snap)
		if paradero.ErrorCode(err) != paradero.EINVALID {
			t.Errorf("%s: RecordSnapshot = %+v, %v; want %s", name, sg, err, paradero.EINVALID)
		}
	}
	if st, err := s.Status(ctx); err != nil || st.Sources != 0 || st.LedgerSize != 0 {
		t.Errorf("after refused snapshots: status %+v, %v; want nothing stored", st, err)
	}
	if sgs, err := s.FindSightings(ctx, "ice-sim", "w1", 0); err != nil || len(sgs) != 0 {
		t.Errorf("after refused snapshots: sightings %v, %v; want none", sgs, err)
	}
}

// testSightingsLimitAndTime: FindSightings returns the oldest first and at
// most limit of them; times are kept to the microsecond, in UTC.
func testSightingsLimitAndTime(t *testing.T, s WatchStore) {
	ctx := actorCtx(t)
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CST", -6*3600))
	for i := range 5 {
		if _, err := s.RecordSnapshot(ctx, watchSnapshot("w1", "EL VALLE", t0.Add(time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	sgs, err := s.FindSightings(ctx, "ice-sim", "w1", 2)
	if err != nil || len(sgs) != 2 {
		t.Fatalf("FindSightings(limit 2) = %v, %v; want 2", sgs, err)
	}
	for i, sg := range sgs {
		want := paradero.Timestamp(t0.Add(time.Duration(i) * time.Minute))
		if !sg.SeenAt.Equal(want) || sg.SeenAt.Location() != time.UTC || sg.SeenAt.Nanosecond()%1000 != 0 {
			t.Errorf("sighting %d seen at %v, want %v (UTC, microseconds)", i, sg.SeenAt, want)
		}
	}
	if !sgs[0].New || sgs[1].New {
		t.Errorf("New = %v, %v; want true, false", sgs[0].New, sgs[1].New)
	}
}

// testConcurrentSameAnswer: watchers storing the same new answer at once
// store it once; every one of them gets its sighting, exactly one New.
func testConcurrentSameAnswer(t *testing.T, s WatchStore) {
	ctx := actorCtx(t)
	const n = 6
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	sgs := make([]*paradero.Sighting, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sgs[i], errs[i] = s.RecordSnapshot(ctx, watchSnapshot(fmt.Sprint("w", i), "LA MISMA RESPUESTA", at))
		})
	}
	wg.Wait()
	var news int
	var ids []int64
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("watcher %d: %v", i, errs[i])
		}
		if sgs[i].New {
			news++
		}
		ids = append(ids, sgs[i].SourceID)
	}
	if news != 1 || slices.ContainsFunc(ids, func(id int64) bool { return id != ids[0] }) {
		t.Errorf("%d of %d sightings New, source ids %v; want one New and one source", news, n, ids)
	}
	if st, err := s.Status(ctx); err != nil || st.Sources != 1 || st.Records != 1 || st.LedgerSize != 2 {
		t.Errorf("status %+v, %v; want the answer stored once", st, err)
	}
	for i := range n {
		if got, err := s.FindSightings(ctx, "ice-sim", fmt.Sprint("w", i), 0); err != nil || len(got) != 1 {
			t.Errorf("sightings of w%d = %v, %v; want one", i, got, err)
		}
	}
	mustVerify(t, s, ledger.New(s, newKey(t)))
}

// testWatchState: ENOTFOUND before anything is saved; a save replaces the
// state byte for byte; locators are independent.
func testWatchState(t *testing.T, s WatchStore) {
	ctx := t.Context()
	_, err := s.LoadWatchState(ctx, "ice")
	wantCode(t, err, paradero.ENOTFOUND)
	for _, st := range []string{`{"round":1}`, "{\"round\":2,\"bytes\":\"\x00\xff\"}"} {
		if err := s.SaveWatchState(ctx, "ice", []byte(st)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveWatchState(ctx, "cecot", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if b, err := s.LoadWatchState(ctx, "ice"); err != nil || string(b) != "{\"round\":2,\"bytes\":\"\x00\xff\"}" {
		t.Errorf("LoadWatchState(ice) = %q, %v; want the second state", b, err)
	}
	if b, err := s.LoadWatchState(ctx, "cecot"); err != nil || string(b) != `{}` {
		t.Errorf("LoadWatchState(cecot) = %q, %v", b, err)
	}
}

// The claims contract (watch.SharedStore): several watchers sharing a
// store share each round, every job claimed by one of them at a time
// under a lease that ends unless renewed. Leases run on the store's clock;
// these tests wait on the real one, with leases of a few hundred
// milliseconds.

func sharedStore(t *testing.T, s WatchStore) watch.SharedStore {
	t.Helper()
	ss, ok := s.(watch.SharedStore)
	if !ok {
		t.Fatalf("%T is not a watch.SharedStore", s)
	}
	return ss
}

func claimJobs(t *testing.T, s watch.SharedStore, round int, owner string, lease time.Duration, limit int) []string {
	t.Helper()
	keys, err := s.ClaimWatch(t.Context(), "ice-sim", round, owner, lease, limit)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func claimJudge(t *testing.T, s watch.SharedStore, round int, owner string, lease time.Duration) bool {
	t.Helper()
	ok, err := s.ClaimWatchJudge(t.Context(), "ice-sim", round, owner, lease)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func answerJobs(t *testing.T, s watch.SharedStore, round int, owner string, results map[string][]byte) []string {
	t.Helper()
	lost, err := s.AnswerWatchClaims(t.Context(), "ice-sim", round, owner, results)
	if err != nil {
		t.Fatal(err)
	}
	return lost
}

func openJobs(t *testing.T, s watch.SharedStore, round int, keys []string, at time.Time) time.Time {
	t.Helper()
	got, err := s.OpenWatchRound(t.Context(), "ice-sim", round, keys, at)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

var claimKeys = []string{"w1", "w2", "w3", "w4", "w5"}

// testClaimsShareARound: two watchers split a round's keys, each key
// claimed by one of them; the round can be judged only once every key is
// answered, by one watcher, once; its results are every answer with a
// result; its state is saved with it; the next round claims every key
// again and drops the old answers.
func testClaimsShareARound(t *testing.T, ws WatchStore) {
	s := sharedStore(t, ws)
	ctx := t.Context()
	const lease = time.Minute
	t1 := time.Date(2025, 3, 10, 6, 0, 0, 0, time.UTC)
	if got := openJobs(t, s, 1, claimKeys, t1); !got.Equal(t1) {
		t.Fatalf("round 1 began at %v, want %v", got, t1)
	}
	if got := openJobs(t, s, 1, claimKeys, t1.Add(time.Minute)); !got.Equal(t1) {
		t.Errorf("round 1 opened again: began at %v, want the first opening's %v", got, t1)
	}
	if got := claimJobs(t, s, 2, "a", lease, 10); len(got) != 0 {
		t.Errorf("claims for a round not begun: %v", got)
	}
	a := claimJobs(t, s, 1, "a", lease, 2)
	b := claimJobs(t, s, 1, "b", lease, 10)
	if !slices.Equal(a, []string{"w1", "w2"}) || !slices.Equal(b, []string{"w3", "w4", "w5"}) {
		t.Fatalf("a claimed %v, b claimed %v; want w1 w2, then the other three", a, b)
	}
	if got := claimJobs(t, s, 1, "a", lease, 10); len(got) != 0 {
		t.Errorf("a claimed %v, all held by b", got)
	}
	if claimJudge(t, s, 1, "a", lease) {
		t.Error("the round could be judged before any answer")
	}
	if lost := answerJobs(t, s, 1, "a", map[string][]byte{"w1": []byte("1"), "w2": []byte("2"), "w3": []byte("x")}); !slices.Equal(lost, []string{"w3"}) {
		t.Errorf("a answering w3, b's: lost %v, want [w3]", lost)
	}
	if lost := answerJobs(t, s, 1, "b", map[string][]byte{"w3": []byte("3"), "w4": nil}); len(lost) != 0 {
		t.Errorf("b lost %v", lost)
	}
	if claimJudge(t, s, 1, "b", lease) {
		t.Error("the round could be judged with w5 unanswered")
	}
	if lost := answerJobs(t, s, 1, "b", map[string][]byte{"w5": []byte("5")}); len(lost) != 0 {
		t.Errorf("b lost %v", lost)
	}
	if lost := answerJobs(t, s, 1, "b", map[string][]byte{"w5": []byte("again")}); !slices.Equal(lost, []string{"w5"}) {
		t.Errorf("answering w5 twice: lost %v, want [w5]", lost)
	}
	if got := claimJobs(t, s, 1, "a", lease, 10); len(got) != 0 {
		t.Errorf("a claimed answered keys %v", got)
	}
	if !claimJudge(t, s, 1, "b", lease) {
		t.Fatal("b cannot judge the answered round")
	}
	if !claimJudge(t, s, 1, "b", lease) {
		t.Error("b cannot claim again the judging it holds")
	}
	if claimJudge(t, s, 1, "a", lease) {
		t.Error("a could judge the round b judges")
	}
	res, err := s.WatchRoundResults(ctx, "ice-sim", 1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"w1": "1", "w2": "2", "w3": "3", "w5": "5"}
	if len(res) != len(want) {
		t.Errorf("results %q, want %q (w4 answered without one)", res, want)
	}
	for k, v := range want {
		if string(res[k]) != v {
			t.Errorf("result of %s = %q, want %q", k, res[k], v)
		}
	}
	wantCode(t, s.SaveWatchRound(ctx, "ice-sim", 1, "a", []byte(`{"round":1,"by":"a"}`)), paradero.ECONFLICT)
	if err := s.SaveWatchRound(ctx, "ice-sim", 1, "b", []byte(`{"round":1}`)); err != nil {
		t.Fatal(err)
	}
	if st, err := s.LoadWatchState(ctx, "ice-sim"); err != nil || string(st) != `{"round":1}` {
		t.Errorf("state %q, %v; want b's", st, err)
	}
	wantCode(t, s.SaveWatchRound(ctx, "ice-sim", 1, "b", []byte(`{"round":1,"again":true}`)), paradero.ECONFLICT)
	if claimJudge(t, s, 1, "a", lease) || len(claimJobs(t, s, 1, "a", lease, 10)) != 0 {
		t.Error("a judged round could be judged or claimed again")
	}
	if got := openJobs(t, s, 1, claimKeys, t1.Add(time.Hour)); !got.IsZero() {
		t.Errorf("opening judged round 1 again: began %v, want the zero time", got)
	}

	t2 := t1.Add(time.Hour)
	if got := openJobs(t, s, 2, append(claimKeys, "w6"), t2); !got.Equal(t2) {
		t.Fatalf("round 2 began at %v, want %v", got, t2)
	}
	if got := openJobs(t, s, 1, claimKeys, t2); !got.IsZero() {
		t.Errorf("round 1 opened after round 2: began %v, want the zero time", got)
	}
	if got := claimJobs(t, s, 1, "a", lease, 10); len(got) != 0 {
		t.Errorf("claims of round 1 during round 2: %v", got)
	}
	if got := claimJobs(t, s, 2, "a", lease, 10); !slices.Equal(got, []string{"w1", "w2", "w3", "w4", "w5", "w6"}) {
		t.Errorf("round 2: a claimed %v, want every key", got)
	}
	if res, err := s.WatchRoundResults(ctx, "ice-sim", 1); err != nil || len(res) != 0 {
		t.Errorf("round 1's results once its keys are claimed again: %q, %v; want none", res, err)
	}
	if res, err := s.WatchRoundResults(ctx, "other", 1); err != nil || len(res) != 0 {
		t.Errorf("another locator's results: %q, %v", res, err)
	}
}

// testClaimTakeover: a watcher's claims are taken over once their lease
// ends; its answers are then refused and its renewal finds nothing.
func testClaimTakeover(t *testing.T, ws WatchStore) {
	s := sharedStore(t, ws)
	const lease = 300 * time.Millisecond
	openJobs(t, s, 1, claimKeys, time.Now())
	if got := claimJobs(t, s, 1, "a", lease, 10); len(got) != 5 {
		t.Fatalf("a claimed %v", got)
	}
	if got := claimJobs(t, s, 1, "b", lease, 10); len(got) != 0 {
		t.Fatalf("b claimed %v during a's lease", got)
	}
	time.Sleep(lease + 150*time.Millisecond)
	if got := claimJobs(t, s, 1, "b", time.Minute, 3); !slices.Equal(got, []string{"w1", "w2", "w3"}) {
		t.Fatalf("b claimed %v after a's lease ended, want w1 w2 w3", got)
	}
	if lost := answerJobs(t, s, 1, "a", map[string][]byte{"w1": []byte("a"), "w4": []byte("a")}); !slices.Equal(lost, []string{"w1"}) {
		t.Errorf("a answering after its lease ended: lost %v, want [w1] (w4 was not taken over)", lost)
	}
	held, err := s.RenewWatchClaims(t.Context(), "ice-sim", "a", lease)
	if err != nil || !slices.Equal(held, []string{"w5"}) {
		t.Errorf("a renewing: holds %v, %v; want [w5]", held, err)
	}
	if held, err := s.RenewWatchClaims(t.Context(), "ice-sim", "b", time.Minute); err != nil || !slices.Equal(held, []string{"w1", "w2", "w3"}) {
		t.Errorf("b renewing: holds %v, %v", held, err)
	}
	if lost := answerJobs(t, s, 1, "b", map[string][]byte{"w1": []byte("b")}); len(lost) != 0 {
		t.Errorf("b lost %v", lost)
	}
	res, _ := s.WatchRoundResults(t.Context(), "ice-sim", 1)
	if string(res["w1"]) != "b" || string(res["w4"]) != "a" {
		t.Errorf("results %q: want b's answer for w1, a's for w4", res)
	}
}

// testClaimRenewRelease: renewing keeps a claim past its first lease;
// releasing hands it to others at once.
func testClaimRenewRelease(t *testing.T, ws WatchStore) {
	s := sharedStore(t, ws)
	const lease = 300 * time.Millisecond
	openJobs(t, s, 1, claimKeys, time.Now())
	claimJobs(t, s, 1, "a", lease, 2)
	for range 5 {
		time.Sleep(lease / 3)
		if held, err := s.RenewWatchClaims(t.Context(), "ice-sim", "a", lease); err != nil || len(held) != 2 {
			t.Fatalf("renewal: %v, %v", held, err)
		}
	}
	if got := claimJobs(t, s, 1, "b", lease, 10); !slices.Equal(got, []string{"w3", "w4", "w5"}) {
		t.Errorf("b claimed %v while a renewed its claims, want the other three", got)
	}
	if err := s.ReleaseWatchClaims(t.Context(), "ice-sim", "a"); err != nil {
		t.Fatal(err)
	}
	if got := claimJobs(t, s, 1, "c", lease, 10); !slices.Equal(got, []string{"w1", "w2"}) {
		t.Errorf("c claimed %v after a released, want w1 w2", got)
	}
	if lost := answerJobs(t, s, 1, "a", map[string][]byte{"w1": []byte("a")}); len(lost) != 1 {
		t.Errorf("a answered a released claim")
	}
}

// testJudgeTakeover: the judging of a round is leased too; when the lease
// ends another watcher judges, and the first can no longer save.
func testJudgeTakeover(t *testing.T, ws WatchStore) {
	s := sharedStore(t, ws)
	const lease = 300 * time.Millisecond
	openJobs(t, s, 1, claimKeys[:1], time.Now())
	claimJobs(t, s, 1, "a", lease, 10)
	answerJobs(t, s, 1, "a", map[string][]byte{"w1": []byte("1")})
	if !claimJudge(t, s, 1, "a", lease) || claimJudge(t, s, 1, "b", lease) {
		t.Fatal("a could not judge, or b could too")
	}
	for range 3 {
		time.Sleep(lease / 3)
		if _, err := s.RenewWatchClaims(t.Context(), "ice-sim", "a", lease); err != nil {
			t.Fatal(err)
		}
	}
	if claimJudge(t, s, 1, "b", lease) {
		t.Fatal("b took the judging a renews")
	}
	time.Sleep(lease + 150*time.Millisecond)
	if !claimJudge(t, s, 1, "b", time.Minute) {
		t.Fatal("b cannot judge once a's lease ended")
	}
	wantCode(t, s.SaveWatchRound(t.Context(), "ice-sim", 1, "a", []byte("a")), paradero.ECONFLICT)
	if err := s.SaveWatchRound(t.Context(), "ice-sim", 1, "b", []byte("b")); err != nil {
		t.Fatal(err)
	}
	// Releasing gives the judging up at once.
	openJobs(t, s, 2, claimKeys[:1], time.Now())
	claimJobs(t, s, 2, "a", time.Minute, 10)
	answerJobs(t, s, 2, "a", map[string][]byte{"w1": []byte("1")})
	if !claimJudge(t, s, 2, "a", time.Minute) {
		t.Fatal("a cannot judge round 2")
	}
	if err := s.ReleaseWatchClaims(t.Context(), "ice-sim", "a"); err != nil {
		t.Fatal(err)
	}
	if !claimJudge(t, s, 2, "b", time.Minute) {
		t.Error("b cannot judge round 2 once a released it")
	}
}

// testClaimsConcurrent: watchers claiming at once never get the same key:
// each of 200 keys is claimed and answered by exactly one of them.
func testClaimsConcurrent(t *testing.T, ws WatchStore) {
	s := sharedStore(t, ws)
	const n, watchers = 200, 4
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("w%03d", i)
	}
	openJobs(t, s, 1, keys, time.Now())
	got := make([][]string, watchers)
	errs := make([]error, watchers)
	var wg sync.WaitGroup
	for i := range watchers {
		owner := fmt.Sprint("watcher-", i)
		wg.Go(func() {
			for {
				ks, err := s.ClaimWatch(t.Context(), "ice-sim", 1, owner, time.Minute, 7)
				if err != nil || len(ks) == 0 {
					errs[i] = err
					return
				}
				got[i] = append(got[i], ks...)
				res := make(map[string][]byte)
				for _, k := range ks {
					res[k] = []byte(owner)
				}
				if lost, err := s.AnswerWatchClaims(t.Context(), "ice-sim", 1, owner, res); err != nil || len(lost) > 0 {
					errs[i] = errors.Join(err, fmt.Errorf("lost %v", lost))
					return
				}
			}
		})
	}
	wg.Wait()
	seen := make(map[string]int)
	for i := range watchers {
		if errs[i] != nil {
			t.Errorf("watcher %d: %v", i, errs[i])
		}
		for _, k := range got[i] {
			if _, ok := seen[k]; ok {
				t.Errorf("%s claimed by watchers %d and %d", k, seen[k], i)
			}
			seen[k] = i
		}
	}
	if len(seen) != n {
		t.Errorf("%d keys claimed, want %d", len(seen), n)
	}
	res, err := s.WatchRoundResults(t.Context(), "ice-sim", 1)
	if err != nil || len(res) != n {
		t.Fatalf("%d results, %v; want %d", len(res), err, n)
	}
	for k, i := range seen {
		if string(res[k]) != fmt.Sprint("watcher-", i) {
			t.Errorf("result of %s = %q, want watcher %d's", k, res[k], i)
		}
	}
	var (
		mu     sync.Mutex
		judges int
	)
	for i := range watchers {
		wg.Go(func() {
			ok, err := s.ClaimWatchJudge(t.Context(), "ice-sim", 1, fmt.Sprint("watcher-", i), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				judges++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if judges != 1 {
		t.Errorf("%d watchers judge the round at once, want 1", judges)
	}
}

// testPace: a store that paces requests (watch.Pacer) spaces every
// watcher's requests gap apart, and holds them all back during a pause.
// The embedded store is used by one process, whose scheduler paces itself.
func testPace(t *testing.T, ws WatchStore) {
	p, ok := ws.(watch.Pacer)
	if !ok {
		t.Skipf("%T paces no requests: one process uses it", ws)
	}
	ctx := t.Context()
	const gap = 200 * time.Millisecond
	var waits []time.Duration
	for range 3 {
		d, err := p.PaceWatch(ctx, "ice-sim", gap, 0)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, d)
	}
	// The calls take a little time each, so a slot comes that much
	// sooner than gap after the call before.
	if waits[0] > 20*time.Millisecond || waits[1] < gap-50*time.Millisecond || waits[1] > gap || waits[2] < 2*gap-100*time.Millisecond || waits[2] > 2*gap {
		t.Errorf("waits %v, want about 0, %v, %v", waits, gap, 2*gap)
	}
	if d, err := p.PaceWatch(ctx, "other", gap, 0); err != nil || d > 20*time.Millisecond {
		t.Errorf("another locator waits %v, %v; want no wait", d, err)
	}
	time.Sleep(3 * gap)
	if d, err := p.PaceWatch(ctx, "ice-sim", 0, 2*time.Second); err != nil || d != 0 {
		t.Errorf("a pause: %v, %v; want no wait, no slot", d, err)
	}
	if d, err := p.PaceWatch(ctx, "ice-sim", 0, time.Second); err != nil || d != 0 {
		t.Errorf("a shorter pause: %v, %v", d, err)
	}
	d, err := p.PaceWatch(ctx, "ice-sim", gap, 0)
	if err != nil || d < 2*time.Second-100*time.Millisecond || d > 2*time.Second {
		t.Errorf("after a 2 s pause: wait %v, %v; want about 2 s (the longer pause holds)", d, err)
	}
}
