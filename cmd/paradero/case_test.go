package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/report"
	"github.com/paradero/paradero/sqlite"
)

// TestCaseCommand opens a case at the command line, links a person,
// assigns a lawyer, lists the reminder due and exports the case's dossier,
// whose proofs verify.
func TestCaseCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("import", "--kind", "roster", "--published", "20/03/2025", writeFile(t, "lista.csv", roster))
	c.ok("link", "--quiet")
	c.ok("user", "add", "--email", "abogada@example.org", "--name", "Abogada", "--role", "lawyer")
	out := c.ok("case", "create", "--kind", "habeas", "--title", "Hábeas de José", "--court", "Corte", "--opened", "2025-03", "--lawyer", "abogada@example.org")
	if !strings.Contains(out, "case 1 opened") {
		t.Fatalf("create: %s", out)
	}
	if out = c.ok("case", "link", "1", "record:1", "record:2"); !strings.Contains(out, "linked record 2") {
		t.Errorf("link: %s", out)
	}
	if code, _, errs := c.run("case", "link", "1", "record:1"); code == 0 || !strings.Contains(errs, "already") {
		t.Errorf("linking twice: exit %d, %s", code, errs)
	}
	if code, _, _ := c.run("case", "create", "--kind", "divorce", "--title", "x"); code == 0 {
		t.Error("a case of an unknown kind was opened")
	}
	list := c.ok("case", "list", "--lawyer", "abogada@example.org")
	if !strings.Contains(list, "Hábeas de José") || strings.Contains(list, "example.org") {
		t.Errorf("list:\n%s", list)
	}
	show := c.ok("case", "show", "1")
	for _, want := range []string{"kind habeas", "record 1: person", "lawyers (1): user 1", "person.add record:1", "lawyer.assign user:1"} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	}

	// A deadline with its reminder due today, added behind the command.
	db, err := sqlite.Open(t.Context(), c.data, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	now := time.Now().UTC()
	today := paradero.PartialDate{Year: now.Year(), Month: int(now.Month()), Day: now.Day()}
	if err := db.CreateDeadline(ctx, &paradero.Deadline{CaseID: 1, Kind: paradero.DeadlineHearing, Due: today, What: "Audiencia",
		Status: paradero.DeadlinePending, RemindOn: today}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if out = c.ok("case", "reminders", "--mark"); !strings.Contains(out, "Audiencia") || !strings.Contains(out, "user:1") {
		t.Errorf("reminders:\n%s", out)
	}
	if out = c.ok("case", "reminders"); strings.Contains(out, "Audiencia") {
		t.Errorf("a reminder marked sent is due again:\n%s", out)
	}

	var d struct {
		Format string
		People []struct {
			Records []struct{ Proof *ledger.Proof }
		}
		Sources []struct{ Proof *ledger.Proof }
	}
	if err := json.Unmarshal([]byte(c.ok("export", "dossier", "case:1", "--json")), &d); err != nil {
		t.Fatal(err)
	}
	if d.Format != report.CaseDossierFormat || len(d.People) != 2 || len(d.Sources) != 1 {
		t.Fatalf("case dossier: format %q, %d people, %d sources", d.Format, len(d.People), len(d.Sources))
	}
	pub, err := os.ReadFile(filepath.Join(c.data, "ledger.pub"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append(d.People[0].Records, d.Sources...) {
		if _, err := ledger.VerifyProof(p.Proof, strings.TrimSpace(string(pub)), nil); err != nil {
			t.Errorf("a case dossier proof does not verify: %v", err)
		}
	}
	pdf := filepath.Join(t.TempDir(), "case.pdf")
	c.ok("export", "dossier", "case:1", "--pdf", "--lang", "en", "--out", pdf)
	if b, err := os.ReadFile(pdf); err != nil || !strings.HasPrefix(string(b), "%PDF-") {
		t.Errorf("PDF case dossier: %v", err)
	}
	if code, _, _ := c.run("export", "dossier", "case:9"); code == 0 {
		t.Error("the dossier of a missing case was exported")
	}
}

// TestDemoCases seeds the demo's cases into a copy of the synthetic world:
// the lawyer gets two, with a reminder due today, and seeding again adds
// nothing.
func TestDemoCases(t *testing.T) {
	src, err := syntheticStore()
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(data, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(t.Context(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli", Role: paradero.RoleAdmin})
	lawyer := &paradero.User{Email: "lawyer@demo.example", Name: "Demo lawyer", Role: paradero.RoleLawyer, Language: "es",
		PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"}
	if err := db.CreateUser(ctx, lawyer); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for range 2 {
		if err := demoCases(ctx, db, db, &out); err != nil {
			t.Fatal(err)
		}
	}
	all, total, _ := db.FindCases(ctx, paradero.CaseFilter{})
	mine, _, _ := db.FindCases(ctx, paradero.CaseFilter{LawyerID: lawyer.ID})
	if total != 3 || len(mine) != 2 {
		t.Fatalf("demo cases: %d in all, %d the lawyer's; want 3 and 2", len(all), len(mine))
	}
	now := time.Now().UTC()
	due, _ := db.FindDeadlines(ctx, paradero.DeadlineFilter{LawyerID: lawyer.ID,
		RemindBy: paradero.PartialDate{Year: now.Year(), Month: int(now.Month()), Day: now.Day()}})
	if len(due) != 1 {
		t.Errorf("reminders due today for the lawyer: %d, want 1", len(due))
	}
	vs, n, _ := db.FindViolations(ctx, paradero.ViolationFilter{})
	if n != 3 {
		t.Fatalf("demo violations: %d (%v), want 3", n, vs)
	}
	// The one the demo calls the documenters' only is against someone in
	// none of the lawyer's cases.
	for _, v := range vs {
		if v.CaseID != 0 {
			continue
		}
		recs := []int64{v.Victims[0].RecordID}
		if p, err := db.FindPersonOfRecord(ctx, recs[0]); err == nil {
			recs = p.Records
		}
		if _, k, _ := db.FindCases(ctx, paradero.CaseFilter{LawyerID: lawyer.ID, Records: recs}); k != 0 {
			t.Errorf("violation %d is against a person of the lawyer's cases", v.ID)
		}
	}
	if !strings.Contains(out.String(), "The lawyer has cases") {
		t.Errorf("demo output: %s", out.String())
	}
}
