package sqlite_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/sqlite"
)

func snapshot(key, body string, at time.Time) *paradero.Snapshot {
	return &paradero.Snapshot{
		Locator: "ice-sim", Key: key, ObservedAt: at, Body: []byte(body),
		Source: paradero.Source{Kind: paradero.KindLocatorSnapshot, Title: "ice-sim answer", Filename: "ice-sim.txt", MediaType: "text/plain"},
		Records: []*paradero.Record{{ANumber: "200000001", CountryOfBirth: "VENEZUELA", Status: "in custody",
			Facility: body, EventDate: paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 1}}}},
	}
}

func TestRecordSnapshot(t *testing.T) {
	db, err := sqlite.Open(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "watch"})
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	bodies := []string{"EL VALLE", "EL VALLE", "OTERO", "EL VALLE", "EL VALLE"}
	wantNew := []bool{true, false, true, false, false}
	var ids []int64
	for i, b := range bodies {
		sg, err := db.RecordSnapshot(ctx, snapshot("w1", b, t0.Add(time.Duration(i)*time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		if sg.New != wantNew[i] {
			t.Errorf("answer %d: New = %v, want %v", i, sg.New, wantNew[i])
		}
		ids = append(ids, sg.SourceID)
	}
	if ids[0] != ids[1] || ids[0] != ids[3] || ids[2] == ids[0] {
		t.Errorf("source ids %v: want identical answers to share a source", ids)
	}
	// Another person with the same bytes reuses the source too.
	if sg, err := db.RecordSnapshot(ctx, snapshot("w2", "OTERO", t0)); err != nil || sg.SourceID != ids[2] || sg.New {
		t.Errorf("w2: %+v, %v", sg, err)
	}
	sgs, err := db.FindSightings(ctx, "ice-sim", "w1", 0)
	if err != nil || len(sgs) != 5 {
		t.Fatalf("FindSightings = %d, %v, want 5", len(sgs), err)
	}
	for i, sg := range sgs {
		if !sg.SeenAt.Equal(t0.Add(time.Duration(i)*time.Hour)) || sg.SourceID != ids[i] {
			t.Errorf("sighting %d = %+v", i, sg)
		}
	}
	st, err := db.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sources != 2 || st.Records != 2 || st.LedgerSize != 4 {
		t.Errorf("status %+v, want 2 sources, 2 records, 4 ledger entries", st)
	}
	src, err := db.FindSourceByID(ctx, ids[2])
	if err != nil || src.Kind != paradero.KindLocatorSnapshot || src.Size != int64(len("OTERO")) {
		t.Errorf("source %+v, %v", src, err)
	}
	recs, _, err := db.FindRecords(ctx, paradero.RecordFilter{SourceID: ids[2]})
	if err != nil || len(recs) != 1 || recs[0].Facility != "OTERO" {
		t.Errorf("records %+v, %v", recs, err)
	}
}

// TestRecordSnapshotsMatchesOneByOne stores the same answers one by one
// and in batches, and wants the same sightings, sources, records and a
// ledger that verifies.
func TestRecordSnapshotsMatchesOneByOne(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	// w1 repeats itself inside a batch and across batches; w2 gives an
	// answer w1 gave; w3's answer is new twice in one batch.
	rounds := [][][2]string{
		{{"w1", "EL VALLE"}, {"w2", "OTERO"}, {"w1", "EL VALLE"}, {"w3", "A"}, {"w3", "B"}},
		{{"w1", "EL VALLE"}, {"w2", "EL VALLE"}, {"w3", "B"}, {"w1", "OTERO"}},
		{{"w1", "OTERO"}},
	}
	type result struct {
		sightings []paradero.Sighting
		status    paradero.Status
		records   []string
	}
	run := func(batch bool) result {
		dir := t.TempDir()
		db, err := sqlite.Open(t.Context(), dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "watch"})
		var res result
		n := 0
		for _, round := range rounds {
			var snaps []*paradero.Snapshot
			for _, a := range round {
				snaps = append(snaps, snapshot(a[0], a[1], t0.Add(time.Duration(n)*time.Minute)))
				n++
			}
			var sgs []*paradero.Sighting
			if batch {
				if sgs, err = db.RecordSnapshots(ctx, snaps); err != nil {
					t.Fatal(err)
				}
			} else {
				for _, sn := range snaps {
					sg, err := db.RecordSnapshot(ctx, sn)
					if err != nil {
						t.Fatal(err)
					}
					sgs = append(sgs, sg)
				}
			}
			if len(sgs) != len(snaps) {
				t.Fatalf("%d sightings for %d snapshots", len(sgs), len(snaps))
			}
			for _, sg := range sgs {
				res.sightings = append(res.sightings, *sg)
			}
		}
		st, err := db.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		res.status = *st
		for id := int64(1); id <= int64(st.Sources); id++ {
			src, err := db.FindSourceByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := db.OpenBlob(ctx, src.SHA256)
			if err != nil {
				t.Fatalf("source %d: %v", id, err)
			}
			rc.Close()
			recs, _, err := db.FindRecords(ctx, paradero.RecordFilter{SourceID: id})
			if err != nil || len(recs) != 1 || src.Records != 1 {
				t.Fatalf("source %d: %d records (source says %d), %v", id, len(recs), src.Records, err)
			}
			res.records = append(res.records, recs[0].Facility)
		}
		key, err := ledger.LoadOrCreateKey(dir)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := ledger.New(db, key).Verify(ctx, ledger.VerifyOptions{})
		if err != nil || !rep.OK() {
			t.Fatalf("verify: %v, %v", err, rep.Problems)
		}
		return res
	}
	one, batch := run(false), run(true)
	if fmt.Sprint(one) != fmt.Sprint(batch) {
		t.Errorf("one by one:\n%v\nin batches:\n%v", one, batch)
	}
	if one.status.Sources != 4 || one.status.LedgerSize != 8 {
		t.Errorf("status %+v, want 4 sources (EL VALLE, OTERO, A, B), 8 ledger entries", one.status)
	}
}

func TestRecordSnapshotsRefusesBadInput(t *testing.T) {
	db, err := sqlite.Open(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	good := snapshot("w1", "EL VALLE", time.Now())
	bad := snapshot("", "OTERO", time.Now())
	if _, err := db.RecordSnapshots(t.Context(), []*paradero.Snapshot{good, bad}); paradero.ErrorCode(err) != paradero.EINVALID {
		t.Errorf("a snapshot without a key: %v, want EINVALID", err)
	}
	badRec := snapshot("w2", "OTERO", time.Now())
	badRec.Records[0].EventDate = paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 13}}
	if _, err := db.RecordSnapshots(t.Context(), []*paradero.Snapshot{good, badRec}); err == nil {
		t.Error("a record with month 13 was stored")
	}
	if st, err := db.Status(t.Context()); err != nil || st.Sources != 0 || st.LedgerSize != 0 {
		t.Errorf("after refused batches: %+v, %v; want nothing stored", st, err)
	}
	if sgs, err := db.FindSightings(t.Context(), "ice-sim", "w1", 0); err != nil || len(sgs) != 0 {
		t.Errorf("sightings after refused batches: %d, %v", len(sgs), err)
	}
}

func TestWatchState(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.LoadWatchState(t.Context(), "ice"); paradero.ErrorCode(err) != paradero.ENOTFOUND {
		t.Errorf("LoadWatchState of nothing: %v, want ENOTFOUND", err)
	}
	for _, s := range []string{`{"round":1}`, `{"round":2}`} {
		if err := db.SaveWatchState(t.Context(), "ice", []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db, err = sqlite.Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if b, err := db.LoadWatchState(t.Context(), "ice"); err != nil || string(b) != `{"round":2}` {
		t.Errorf("after reopening: %s, %v", b, err)
	}
}

// BenchmarkRecordSnapshot measures the store side of a watch round: most
// answers are the same as last time (a sighting), some are new (an import
// with its ledger entries). batch-N stores N answers per RecordSnapshots
// call, as the scheduler does; one stores them one by one. docs/watch.md
// has the figures.
func BenchmarkRecordSnapshot(b *testing.B) {
	for _, bc := range []struct {
		name           string
		batch, changed int
	}{
		{"one/changed-0pct", 0, 0}, {"one/changed-10pct", 0, 10}, {"one/changed-100pct", 0, 100},
		{"batch-100/changed-0pct", 100, 0}, {"batch-100/changed-10pct", 100, 10}, {"batch-100/changed-100pct", 100, 100},
	} {
		changed := bc.changed
		b.Run(bc.name, func(b *testing.B) {
			db, err := sqlite.Open(b.Context(), b.TempDir(), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ctx := paradero.NewContextWithActor(b.Context(), paradero.Actor{Name: "watch"})
			const people = 1000
			t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
			for k := range people {
				if _, err := db.RecordSnapshot(ctx, snapshot(fmt.Sprint("w", k), fmt.Sprint("FAC ", k, " 0"), t0)); err != nil {
					b.Fatal(err)
				}
			}
			i := 0
			next := func() *paradero.Snapshot {
				k := i % people
				body := fmt.Sprint("FAC ", k, " 0")
				if changed > 0 && i%100 < changed {
					body = fmt.Sprint("FAC ", k, " ", i)
				}
				i++
				return snapshot(fmt.Sprint("w", k), body, t0.Add(time.Duration(i)*time.Second))
			}
			stored := 0
			for b.Loop() {
				if bc.batch == 0 {
					if _, err := db.RecordSnapshot(ctx, next()); err != nil {
						b.Fatal(err)
					}
					stored++
					continue
				}
				// One iteration is one batch.
				snaps := make([]*paradero.Snapshot, bc.batch)
				for j := range snaps {
					snaps[j] = next()
				}
				if _, err := db.RecordSnapshots(ctx, snaps); err != nil {
					b.Fatal(err)
				}
				stored += len(snaps)
			}
			b.ReportMetric(float64(stored)/b.Elapsed().Seconds(), "snapshots/s")
		})
	}
}
