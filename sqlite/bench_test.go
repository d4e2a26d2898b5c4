package sqlite_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/sqlite"
)

// benchRecord returns a record shaped like a roster row.
func benchRecord(i int) *paradero.Record {
	return &paradero.Record{
		Row:         i + 2,
		GivenNames:  "José Luis",
		Surnames:    "Pérez Gómez",
		BirthDate:   paradero.PartialDate{Year: 1960 + i%45, Month: 1 + i%12, Day: 1 + i%28},
		Nationality: "venezolana",
		ANumber:     fmt.Sprintf("A%09d", 200000000+i),
		Facility:    "CECOT",
		EventDate:   paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 16}},
		Flight:      "GXT-2",
	}
}

// BenchmarkImport measures importing records with their ledger entries into
// the embedded store, without parsing: b.N records in one import.
func BenchmarkImport(b *testing.B) {
	db, err := sqlite.Open(b.Context(), b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := b.Context()
	b.ResetTimer()
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, strings.NewReader(fmt.Sprint(b.N)))
	if err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		if err := im.AddRecord(ctx, benchRecord(i)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := im.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkVerify measures verifying a ledger of 100 000 entries.
func BenchmarkVerify(b *testing.B) {
	const n = 100000
	db, err := sqlite.Open(b.Context(), b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := b.Context()
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, strings.NewReader("bench"))
	if err != nil {
		b.Fatal(err)
	}
	for i := range n - 1 {
		if err := im.AddRecord(ctx, benchRecord(i)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := im.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	key, err := ledger.LoadOrCreateKey(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	log := ledger.New(db, key)
	if _, err := log.Checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		rep, err := log.Verify(ctx, ledger.VerifyOptions{})
		if err != nil || !rep.OK() {
			b.Fatal(err, rep.Problems)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
