package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
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
