package postgres

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/paradero/paradero"
)

// BenchmarkImport imports sources of 100 000 records each, ledger entries
// included, and reports records/s. Run with
//
//	go test ./postgres -run '^$' -bench Import -benchtime 3x
func BenchmarkImport(b *testing.B) {
	const perImport = 100_000
	db := openTest(b)
	if os.Getenv("BENCH_NOFK") != "" {
		if _, err := db.pool.Exec(b.Context(), os.Getenv("BENCH_NOFK")); err != nil {
			b.Fatal(err)
		}
	}
	ctx := paradero.NewContextWithActor(b.Context(), paradero.Actor{Name: "bench"})
	recs := make([]paradero.Record, 1000)
	for i := range recs {
		recs[i] = paradero.Record{
			FullName:    fmt.Sprintf("María Fernanda López García %d", i),
			GivenNames:  "María Fernanda",
			Surnames:    "López García",
			BirthDate:   paradero.PartialDate{Year: 1980 + i%30, Month: 1 + i%12, Day: 1 + i%28},
			Sex:         "F",
			Nationality: "Venezuela",
			ANumber:     fmt.Sprintf("A%09d", i),
			Status:      "detenido",
			Facility:    "Centro de Confinamiento del Terrorismo",
			EventDate:   paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 15}},
		}
	}
	var total time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster, Title: "bench"},
			bytes.NewReader(fmt.Appendf(nil, "bench file %d", n)))
		if err != nil {
			b.Fatal(err)
		}
		defer im.Rollback()
		for i := range perImport {
			r := recs[i%len(recs)]
			r.Row = i + 2
			if err := im.AddRecord(ctx, &r); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := im.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		n++
	}
	b.ReportMetric(float64(n*perImport)/total.Seconds(), "records/s")
}

// BenchmarkScanLedger reads a ledger of 1 000 000 records with their
// subjects, as verification does. Run with
//
//	go test ./postgres -run '^$' -bench ScanLedger -benchtime 3x
func BenchmarkScanLedger(b *testing.B) {
	const sources, perSource = 10, 100_000
	db := openTest(b)
	ctx := paradero.NewContextWithActor(b.Context(), paradero.Actor{Name: "bench"})
	for s := range sources {
		im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, bytes.NewReader(fmt.Appendf(nil, "scan %d", s)))
		if err != nil {
			b.Fatal(err)
		}
		defer im.Rollback()
		for i := range perSource {
			r := paradero.Record{Row: i + 2, FullName: fmt.Sprintf("Persona %d", i), ANumber: fmt.Sprintf("A%09d", i),
				BirthDate: paradero.PartialDate{Year: 1990, Month: 1 + i%12}}
			if err := im.AddRecord(ctx, &r); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := im.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	want := int64(sources * (perSource + 1))
	if _, err := db.pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		var n int64
		if err := db.ScanLedger(ctx, func(it *paradero.LedgerItem) error {
			if it.Index != n || (it.Record == nil && it.Source == nil) {
				return fmt.Errorf("entry %d: %+v", n, it)
			}
			n++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if n != want {
			b.Fatalf("scanned %d entries, want %d", n, want)
		}
		start := time.Now()
		if got, err := db.FindUnledgered(ctx, 10); err != nil || len(got) != 0 {
			b.Fatalf("FindUnledgered = %v, %v", got, err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "unledgered-s")
	}
	b.ReportMetric(float64(want)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
