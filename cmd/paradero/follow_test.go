package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/alert"
	"github.com/paradero/paradero/alert/alerttest"
	"github.com/paradero/paradero/sqlite"
	"github.com/paradero/paradero/watch"
)

func TestFollowAccess(t *testing.T) {
	c := newCLI(t)
	c.ok("user", "add", "--email", "doc@example.org", "--name", "Doc", "--role", "documenter")
	c.ok("user", "add", "--email", "fam@example.org", "--name", "Fam", "--role", "family")
	out := c.ok("follow", "watch:w1", "--user", "doc@example.org")
	if !strings.Contains(out, "user 1 follows watch:w1") || strings.Contains(out, "example.org") {
		t.Errorf("follow: %s", out)
	}
	c.ok("follow", "facility:  el valle ", "--user", "doc@example.org")
	if code, _, errs := c.run("follow", "watch:w1", "--user", "fam@example.org"); code == 0 || !strings.Contains(errs, "may not follow") {
		t.Errorf("a family member followed a watch entry: exit %d, %s", code, errs)
	}
	if code, _, errs := c.run("follow", "watch:w1", "--user", "doc@example.org"); code == 0 || !strings.Contains(errs, "already") {
		t.Errorf("following twice: exit %d, %s", code, errs)
	}
	if code, _, _ := c.run("follow", "person:abc", "--user", "doc@example.org"); code == 0 {
		t.Error("person:abc accepted")
	}
	out = c.ok("follow", "--list")
	if !strings.Contains(out, "watch:w1") || !strings.Contains(out, "facility:EL VALLE") {
		t.Errorf("list:\n%s", out)
	}
}

// TestWatchAlertsEndToEnd: the simulator removes a followed person; an
// e-mail reaches the SMTP listener on loopback and a signed webhook the
// HTTP server on loopback.
func TestWatchAlertsEndToEnd(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(t0.UnixNano())
	sc := &watch.Scenario{}
	for i := range 3 {
		steps := []watch.SimStep{{From: t0.Add(-time.Hour), State: watch.SimHeld, Facility: "EL VALLE"}}
		if i == 0 {
			steps = append(steps, watch.SimStep{From: t0.Add(24 * time.Hour), State: watch.SimAbsent})
		}
		sc.Persons = append(sc.Persons, watch.SimPerson{ANumber: fmt.Sprintf("20000000%d", i), CountryOfBirth: "VENEZUELA", Steps: steps})
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

	secret := "e2e-webhook-secret-0123456789"
	type hook struct {
		key  string
		body []byte
	}
	hooks := make(chan hook, 10)
	var mu sync.Mutex
	seen := make(map[string]bool)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		b.ReadFrom(r.Body)
		if err := alert.Verify([]byte(secret), r.Header, b.Bytes(), time.Now(), 5*time.Minute); err != nil {
			t.Errorf("webhook: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		key := r.Header.Get(alert.HeaderIdempotency)
		mu.Lock()
		dup := seen[key]
		seen[key] = true
		mu.Unlock()
		if !dup {
			hooks <- hook{key, b.Bytes()}
		}
	}))
	defer hs.Close()

	secretFile := writeFile(t, "hook.secret", secret+"\n")
	cfg := writeFile(t, "watch.json", fmt.Sprintf(`{
		"locators": [{"name": "ice-sim", "kind": "ice", "url": %q, "gap": "1ms", "confirm": 1}],
		"watch": [{"key": "w0", "a_number": "200000000", "country_of_birth": "VENEZUELA"},
		          {"key": "w1", "a_number": "200000001", "country_of_birth": "VENEZUELA"},
		          {"key": "w2", "a_number": "200000002", "country_of_birth": "VENEZUELA"}],
		"alerts": {"window": "1ms",
		           "smtp": {"addr": %q, "from": "alerts@example.org", "starttls": "off"},
		           "webhooks": [{"name": "hub", "url": %q, "secret_file": %q}]}}`, loc.URL+"/odls", mail.Addr(), hs.URL, secretFile))
	c := newCLI(t)
	c.ok("user", "add", "--email", "doc@example.org", "--name", "Doc", "--role", "documenter", "--language", "en")
	c.ok("follow", "watch:w0", "--user", "doc@example.org")

	wait := func(what string) (alerttest.Mail, hook) {
		t.Helper()
		timeout := time.NewTimer(20 * time.Second)
		defer timeout.Stop()
		var m alerttest.Mail
		var h hook
		for got := 0; got < 2; got++ {
			select {
			case m = <-mail.Mails:
			case h = <-hooks:
			case <-timeout.C:
				t.Fatalf("%s: no e-mail or webhook", what)
			}
		}
		return m, h
	}
	out := c.ok("watch", "--config", cfg, "--once")
	if !strings.Contains(out, "w0 appeared") {
		t.Fatalf("round 1:\n%s", out)
	}
	m, h := wait("appeared")
	if !strings.Contains(m.Data, "status changed") || !strings.Contains(string(h.body), `"change":"appeared"`) {
		t.Errorf("appeared: mail\n%s\nwebhook %s", m.Data, h.body)
	}

	clock.Store(t0.Add(48 * time.Hour).UnixNano()) // the scenario removes w0
	out = c.ok("watch", "--config", cfg, "--once")
	if !strings.Contains(out, "w0 gone") {
		t.Fatalf("round 2:\n%s", out)
	}
	m, h = wait("gone")
	if m.To[0] != "doc@example.org" || !strings.Contains(m.Data, "DISAPPEARANCE") || !strings.Contains(m.Data, "EL VALLE") {
		t.Errorf("gone: mail to %v\n%s", m.To, m.Data)
	}
	var p alert.Payload
	if err := json.Unmarshal(h.body, &p); err != nil || len(p.Notices) != 1 || p.Notices[0].Kind != "disappearance" || p.Notices[0].WatchKey != "w0" || p.User != 1 {
		t.Errorf("gone: webhook %s, %v", h.body, err)
	}
	if strings.Contains(m.Data, "200000000") || strings.Contains(string(h.body), "200000000") {
		t.Error("an alert carries the A-number")
	}
	// Nothing more is due: a third run sends nothing again.
	c.ok("watch", "--config", cfg, "--once")
	select {
	case m := <-mail.Mails:
		t.Errorf("a third mail:\n%s", m.Data)
	case h := <-hooks:
		t.Errorf("a third webhook: %s", h.body)
	default:
	}
}

func TestWatchRefusesRemoteAlerts(t *testing.T) {
	cfg := writeFile(t, "watch.json", `{"locators": [{"name": "ice", "kind": "ice", "url": "http://127.0.0.1:1/odls"}], "watch": [],
		"alerts": {"webhooks": [{"name": "hub", "url": "https://hooks.example.org/x", "secret_file": "/nonexistent"}]}}`)
	code, _, errs := newCLI(t).run("watch", "--config", cfg, "--once")
	if code == 0 || !strings.Contains(errs, "not on loopback") {
		t.Errorf("exit %d, %s", code, errs)
	}
}

// A person followed from its page hears of its watch entry once linkage
// has put the entry's answers in that person, though the watch
// configuration names no person.
func TestWatchAlertsReachPersonFollowers(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(t0.UnixNano())
	sc := &watch.Scenario{}
	names := []string{"ANA LUISA PEREZ GOMEZ", "JOSE MIGUEL DIAZ ROJAS"}
	for i, n := range names {
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
	c.ok("user", "add", "--email", "doc@example.org", "--name", "Doc", "--role", "documenter", "--language", "en")
	c.ok("watch", "--config", cfg, "--once")
	c.ok("link")
	// The person w0's first answer is in, as the person page shows it.
	db, err := sqlite.Open(t.Context(), c.data, nil)
	if err != nil {
		t.Fatal(err)
	}
	sgs, err := db.FindSightings(t.Context(), "ice-sim", "w0", 1)
	if err != nil || len(sgs) != 1 {
		t.Fatalf("sightings of w0: %v", err)
	}
	recs, _, err := db.FindRecords(t.Context(), paradero.RecordFilter{SourceID: sgs[0].SourceID})
	if err != nil || len(recs) != 1 {
		t.Fatalf("records of w0's answer: %v", err)
	}
	person, err := db.FindPersonOfRecord(t.Context(), recs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	c.ok("follow", fmt.Sprintf("person:%d", person.ID), "--user", "doc@example.org")

	clock.Store(t0.Add(48 * time.Hour).UnixNano()) // the scenario removes w0
	if out := c.ok("watch", "--config", cfg, "--once"); !strings.Contains(out, "w0 gone") {
		t.Fatalf("round 2:\n%s", out)
	}
	select {
	case m := <-mail.Mails:
		if !strings.Contains(m.Data, "DISAPPEARANCE") || !strings.Contains(m.Data, fmt.Sprintf("person %d", person.ID)) {
			t.Errorf("mail:\n%s", m.Data)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no e-mail reached the person's follower")
	}
}
