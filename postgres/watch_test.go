package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/postgres"
	"github.com/paradero/paradero/postgres/pgtest"
	"github.com/paradero/paradero/storetest"
)

// TestWatchContract runs the WatchService contract, which the SQLite store
// runs too, against the real PostgreSQL server.
func TestWatchContract(t *testing.T) {
	storetest.RunWatch(t, func(t *testing.T) storetest.WatchStore { return postgres.OpenTest(t) })
}

// BenchmarkRecordSnapshot measures the store side of a watch round on
// PostgreSQL, as sqlite's benchmark of the same name does: most answers
// are the same as last time (one INSERT … SELECT), some are new (an import
// with its ledger entries and the sighting, in one transaction).
func BenchmarkRecordSnapshot(b *testing.B) {
	for _, changed := range []int{0, 10, 100} {
		b.Run(fmt.Sprintf("changed-%dpct", changed), func(b *testing.B) {
			db, err := postgres.Open(b.Context(), pgtest.NewDatabase(b), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ctx := paradero.NewContextWithActor(b.Context(), paradero.Actor{Name: "watch"})
			const people = 1000
			t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
			snap := func(k int, body string, at time.Time) *paradero.Snapshot {
				return &paradero.Snapshot{
					Locator: "ice-sim", Key: fmt.Sprint("w", k), ObservedAt: at, Body: []byte(body),
					Source:  paradero.Source{Kind: paradero.KindLocatorSnapshot, Title: "ice-sim answer", Filename: "ice-sim.txt", MediaType: "text/plain"},
					Records: []*paradero.Record{{ANumber: "200000001", CountryOfBirth: "VENEZUELA", Status: "in custody", Facility: body}},
				}
			}
			for k := range people {
				if _, err := db.RecordSnapshot(ctx, snap(k, fmt.Sprint("FAC ", k, " 0"), t0)); err != nil {
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
				if _, err := db.RecordSnapshot(ctx, snap(k, body, t0.Add(time.Duration(i)*time.Second))); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "snapshots/s")
		})
	}
}
