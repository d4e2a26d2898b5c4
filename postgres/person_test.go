package postgres_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/postgres"
	"github.com/paradero/paradero/postgres/pgtest"
	"github.com/paradero/paradero/storetest"
)

// TestPersons runs the PersonService contract against the real PostgreSQL
// server, one fresh database per test.
func TestPersons(t *testing.T) {
	storetest.RunPersons(t,
		func(t *testing.T) storetest.PersonStore { return postgres.OpenTest(t) },
		func(t *testing.T, s paradero.Store, query string) {
			t.Helper()
			if err := s.(*postgres.DB).ExecUnsafe(t.Context(), query); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		})
}

// TestReviewInsertedOutsideParadero checks that FindUnledgered, and so
// verification, names a review row that no ledger entry covers, as it
// names sources, records and redactions.
func TestReviewInsertedOutsideParadero(t *testing.T) {
	db := postgres.OpenTest(t)
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, strings.NewReader("two people"))
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	for i, name := range []string{"Ana Pérez", "Ana Peres"} {
		if err := im.AddRecord(ctx, &paradero.Record{Row: i + 2, FullName: name}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := im.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	salt := bytes.Repeat([]byte{1}, 32)
	x := &paradero.Review{RecordA: 1, RecordB: 2, Verdict: paradero.VerdictSame, Reason: "misma madre", CreatedBy: "cli:test", Salt: salt,
		Commitment: paradero.Commit(salt, paradero.ReviewContent("misma madre", "cli:test"))}
	if err := db.CreateReview(ctx, x); err != nil {
		t.Fatal(err)
	}
	if got, err := db.FindUnledgered(ctx, 10); err != nil || len(got) != 0 {
		t.Fatalf("FindUnledgered before tampering = %v, %v; want nothing", got, err)
	}
	if err := db.ExecUnsafe(ctx, `INSERT INTO reviews (id, record_a, record_b, verdict, reason, created_by, created_at, salt, commitment, ledger_idx)
		SELECT 1000, record_a, record_b, 'different', reason, created_by, created_at, salt, commitment, ledger_idx FROM reviews`); err != nil {
		t.Fatal(err)
	}
	if got, err := db.FindUnledgered(ctx, 10); err != nil || len(got) != 1 || got[0] != "review 1000" {
		t.Errorf("FindUnledgered = %q, %v; want [review 1000]", got, err)
	}
}

// TestLinkRunUnknownRecord: clusters that name a record the store does
// not have, in place of one it has, are refused as EINVALID, as the
// PersonService contract says, and change nothing.
func TestLinkRunUnknownRecord(t *testing.T) {
	db := postgres.OpenTest(t)
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, strings.NewReader("two people"))
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	for i, name := range []string{"Ana Pérez", "Luis Rivas"} {
		if err := im.AddRecord(ctx, &paradero.Record{Row: i + 2, FullName: name}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := im.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	err = db.SaveLinkRun(ctx, &paradero.LinkRun{}, [][]int64{{1}, {9999}}, nil)
	if paradero.ErrorCode(err) != paradero.EINVALID {
		t.Errorf("SaveLinkRun with an unknown record = %v, want %s", err, paradero.EINVALID)
	}
	if st, err := db.Status(ctx); err != nil || st.Persons != 2 {
		t.Errorf("after the refused run: %+v, %v; want 2 unlinked records", st, err)
	}
	if _, err := db.FindPersonOfRecord(ctx, 1); paradero.ErrorCode(err) != paradero.ENOTFOUND {
		t.Errorf("after the refused run: FindPersonOfRecord(1) = %v, want %s", err, paradero.ENOTFOUND)
	}
}

// BenchmarkSaveLinkRun measures a link run over n records that alternates
// between every record alone and records in pairs, so each run moves half
// of them: the cost of a relinking after a large import.
func BenchmarkSaveLinkRun(b *testing.B) {
	const n = 200_000
	db, err := postgres.Open(b.Context(), pgtest.NewDatabase(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := paradero.NewContextWithActor(b.Context(), paradero.Actor{Name: "cli:bench", Role: paradero.RoleAdmin})
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, strings.NewReader("bench"))
	if err != nil {
		b.Fatal(err)
	}
	defer im.Rollback()
	ids := make([]int64, n)
	for i := range n {
		r := &paradero.Record{Row: i + 2, FullName: fmt.Sprint("Persona ", i)}
		if err := im.AddRecord(ctx, r); err != nil {
			b.Fatal(err)
		}
		ids[i] = r.ID
	}
	if _, err := im.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	alone, pairs := make([][]int64, n), make([][]int64, n/2)
	for i, id := range ids {
		alone[i] = []int64{id}
	}
	for i := range pairs {
		pairs[i] = []int64{ids[2*i], ids[2*i+1]}
	}
	if err := db.SaveLinkRun(ctx, &paradero.LinkRun{}, alone, nil); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		clusters := pairs
		if i%2 == 1 {
			clusters = alone
		}
		if err := db.SaveLinkRun(ctx, &paradero.LinkRun{}, clusters, nil); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)*n/2/b.Elapsed().Seconds(), "moves/s")
}
