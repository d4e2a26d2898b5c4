package sqlite_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/paradero/paradero"
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
// with its ledger entries). docs/watch.md has the figures.
func BenchmarkRecordSnapshot(b *testing.B) {
	for _, changed := range []int{0, 10, 100} {
		b.Run(fmt.Sprintf("changed-%dpct", changed), func(b *testing.B) {
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
			for b.Loop() {
				k := i % people
				body := fmt.Sprint("FAC ", k, " 0")
				if changed > 0 && i%100 < changed {
					body = fmt.Sprint("FAC ", k, " ", i)
				}
				if _, err := db.RecordSnapshot(ctx, snapshot(fmt.Sprint("w", k), body, t0.Add(time.Duration(i)*time.Second))); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "snapshots/s")
		})
	}
}
