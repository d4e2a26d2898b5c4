package main

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/alert/alerttest"
	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/watch"
)

// TestWatchAlertsReachCaseFollowers: a lawyer follows their case, not the
// person; the simulator removes the person the case concerns, and one
// e-mail reaches the lawyer on the SMTP listener on loopback.
func TestWatchAlertsReachCaseFollowers(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(t0.UnixNano())
	sc := &watch.Scenario{}
	for i, n := range []string{"ANA LUISA PEREZ GOMEZ", "JOSE MIGUEL DIAZ ROJAS"} {
		steps := []watch.SimStep{{From: t0.Add(-time.Hour), State: watch.SimHeld, Facility: "EL VALLE"}}
		if i == 0 {
			steps = append(steps, watch.SimStep{From: t0.Add(24 * time.Hour), State: watch.SimAbsent})
		}
		sc.Persons = append(sc.Persons, watch.SimPerson{ANumber: fmt.Sprintf("20000000%d", i), CountryOfBirth: "VENEZUELA",
			Name: n, BirthDate: fmt.Sprintf("199%d-01-02", i), Steps: steps})
	}
	sim := watch.NewSim(sc)
	sim.Now = func() time.Time { return time.Unix(0, clock.Load()) }
	loc := httptest.NewServer(sim)
	defer loc.Close()
	mail, err := alerttest.NewSMTPServer()
	if err != nil {
		t.Fatal(err)
	}
	defer mail.Close()
	var entries []string
	for i, p := range sc.Persons {
		entries = append(entries, fmt.Sprintf(`{"key": "w%d", "a_number": %q, "country_of_birth": "VENEZUELA", "name": %q, "birth_date": %q}`,
			i, p.ANumber, p.Name, p.BirthDate))
	}
	cfg := writeFile(t, "watch.json", fmt.Sprintf(`{
		"locators": [{"name": "ice-sim", "kind": "ice", "url": %q, "gap": "1ms", "confirm": 1}],
		"watch": [%s],
		"alerts": {"window": "1ms", "smtp": {"addr": %q, "from": "alerts@example.org", "starttls": "off"}}}`,
		loc.URL+"/odls", strings.Join(entries, ","), mail.Addr()))
	c := newCLI(t)
	c.ok("user", "add", "--email", "lawyer@example.org", "--name", "Abogada", "--role", "lawyer", "--language", "en")
	c.ok("watch", "--config", cfg, "--once")
	c.ok("link")

	// A case concerns w0 through the record of its first answer, and the
	// lawyer is assigned to it, as an administrator would do.
	db, err := sqlite.Open(t.Context(), c.data, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	sgs, err := db.FindSightings(ctx, "ice-sim", "w0", 1)
	if err != nil || len(sgs) != 1 {
		t.Fatalf("sightings of w0: %v", err)
	}
	recs, _, err := db.FindRecords(ctx, paradero.RecordFilter{SourceID: sgs[0].SourceID})
	if err != nil || len(recs) != 1 {
		t.Fatalf("records of w0's answer: %v", err)
	}
	person, err := db.FindPersonOfRecord(ctx, recs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	lawyer, err := db.FindUserByEmail(ctx, "lawyer@example.org")
	if err != nil {
		t.Fatal(err)
	}
	cs := &paradero.Case{Kind: paradero.CaseHabeas, Title: "Habeas", Status: paradero.CaseOpen,
		People: []paradero.CasePerson{{RecordID: recs[0].ID}}, Lawyers: []paradero.CaseLawyer{{UserID: lawyer.ID}}}
	if err := db.CreateCase(ctx, cs); err != nil {
		t.Fatal(err)
	}
	db.Close()
	c.ok("follow", fmt.Sprintf("case:%d", cs.ID), "--user", "lawyer@example.org")

	clock.Store(t0.Add(48 * time.Hour).UnixNano()) // the scenario removes w0
	if out := c.ok("watch", "--config", cfg, "--once"); !strings.Contains(out, "w0 gone") {
		t.Fatalf("round 2:\n%s", out)
	}
	select {
	case m := <-mail.Mails:
		if len(m.To) != 1 || m.To[0] != "lawyer@example.org" ||
			!strings.Contains(m.Data, "DISAPPEARANCE") || !strings.Contains(m.Data, fmt.Sprintf("person %d", person.ID)) {
			t.Errorf("mail to %v:\n%s", m.To, m.Data)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no e-mail reached the case's follower")
	}
	select {
	case m := <-mail.Mails:
		t.Errorf("a second e-mail, to %v", m.To)
	case <-time.After(200 * time.Millisecond):
	}
}
