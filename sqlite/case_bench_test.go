package sqlite_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/sqlite"
)

// BenchmarkCaseAccess measures what a lawyer's read of a person costs on
// top of the person itself: one FindCases by lawyer and the person's
// records, with 5 000 cases of three people each over 20 000 records,
// 50 lawyers; and the person page's violations panel, with 5 000
// violations.
func BenchmarkCaseAccess(b *testing.B) {
	const nrec, ncase = 20000, 5000
	db, err := sqlite.Open(b.Context(), b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := paradero.NewContextWithActor(b.Context(), paradero.Actor{Name: "cli:bench", Role: paradero.RoleAdmin})
	im, err := db.BeginImport(ctx, &paradero.Source{Kind: paradero.KindRoster}, strings.NewReader("bench"))
	if err != nil {
		b.Fatal(err)
	}
	for i := range nrec {
		if err := im.AddRecord(ctx, benchRecord(i)); err != nil {
			b.Fatal(err)
		}
	}
	src, err := im.Commit(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var lawyers []int64
	for i := range 50 {
		u := &paradero.User{Email: fmt.Sprintf("l%d@example.org", i), Name: "L", Role: paradero.RoleLawyer, Language: "es",
			PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA"}
		if err := db.CreateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
		lawyers = append(lawyers, u.ID)
	}
	for i := range ncase {
		c := &paradero.Case{Kind: paradero.CaseHabeas, Title: "c", Status: paradero.CaseOpen,
			Lawyers: []paradero.CaseLawyer{{UserID: lawyers[i%50]}}}
		for j := range 3 {
			c.People = append(c.People, paradero.CasePerson{RecordID: int64(1 + (i*3+j)%nrec)})
		}
		if err := db.CreateCase(ctx, c); err != nil {
			b.Fatal(err)
		}
		v := &paradero.Violation{Type: paradero.ViolationArbitraryDetention, Date: paradero.DateRange{From: paradero.PartialDate{Year: 2025}},
			Victims: []paradero.Victim{{RecordID: int64(1 + (i*3)%nrec)}}, Sources: []paradero.Citation{{SourceID: src.ID}}}
		if err := db.CreateViolation(ctx, v); err != nil {
			b.Fatal(err)
		}
	}
	person := []int64{7000, 7001, 7002, 7003} // records of one person
	b.Run("FindCases/lawyer+records", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := db.FindCases(ctx, paradero.CaseFilter{LawyerID: lawyers[7], Records: person, Limit: 1}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FindViolations/records", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := db.FindViolations(ctx, paradero.ViolationFilter{Records: person, Limit: 200}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FindCaseByID", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.FindCaseByID(ctx, 2500); err != nil {
				b.Fatal(err)
			}
		}
	})
}
