package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero/watch"
)

func TestWatchOnceAgainstSimulator(t *testing.T) {
	now := time.Now()
	sc := &watch.Scenario{}
	for i := range 3 {
		sc.Persons = append(sc.Persons, watch.SimPerson{ANumber: fmt.Sprintf("20000000%d", i), CountryOfBirth: "VENEZUELA",
			Steps: []watch.SimStep{{From: now.Add(-time.Hour), State: watch.SimHeld, Facility: "EL VALLE"}}})
	}
	sim := watch.NewSim(sc)
	srv := httptest.NewServer(sim) // 127.0.0.1
	defer srv.Close()
	cfg := writeFile(t, "watch.json", fmt.Sprintf(`{
		"locators": [{"name": "ice-sim", "kind": "ice", "url": %q, "gap": "1ms"}],
		"watch": [{"key": "w0", "a_number": "200000000", "country_of_birth": "VENEZUELA"},
		          {"key": "w1", "a_number": "200000001", "country_of_birth": "VENEZUELA"},
		          {"key": "w2", "a_number": "200000002", "country_of_birth": "VENEZUELA"}]}`, srv.URL+"/odls"))
	c := newCLI(t)
	out := c.ok("watch", "--config", cfg, "--once")
	if !strings.Contains(out, "ice-sim round 1") || strings.Count(out, "appeared EL VALLE") != 3 {
		t.Errorf("first round:\n%s", out)
	}
	out = c.ok("watch", "--config", cfg, "--once")
	if !strings.Contains(out, "ice-sim round 2") || strings.Contains(out, "appeared") {
		t.Errorf("second round (state must be resumed):\n%s", out)
	}
	st := c.status()
	if st.Sources != 3 || st.Records != 3 || st.CheckpointSize != st.LedgerSize {
		t.Errorf("status %+v: want 3 snapshots stored once each, checkpoint signed", st)
	}
	if strings.Contains(out, "20000000") {
		t.Errorf("output names an A-number:\n%s", out)
	}
}

func TestWatchRefusesRemoteLocator(t *testing.T) {
	cfg := writeFile(t, "watch.json", `{"locators": [{"name": "ice", "kind": "ice", "url": "https://locator.example.gov/odls"}], "watch": []}`)
	code, _, errs := newCLI(t).run("watch", "--config", cfg, "--once")
	if code == 0 || !strings.Contains(errs, "not on loopback") {
		t.Errorf("exit %d, %s", code, errs)
	}
}

func TestLocatorSimServes(t *testing.T) {
	scen := writeFile(t, "s.json", `{"persons":[{"a_number":"200000001","country_of_birth":"VENEZUELA","name":"ANA",
		"steps":[{"from":"2025-03-01T00:00:00Z","state":"held","facility":"OTERO"}]}]}`)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"locator-sim", "--addr", "127.0.0.1:0", "--scenario", scen, "--start", "2025-03-10"}, strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	i := strings.Index(line, "http://")
	j := strings.Index(line[i:], " ")
	base := line[i : i+j]
	resp, err := http.Get(base + "/search?a=200000001&cob=VENEZUELA")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `data-status="in-custody"`) || !strings.Contains(string(body), "OTERO") {
		t.Errorf("page: %s", body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
	if code, _, errs := newCLI(t).run("locator-sim", "--addr", "0.0.0.0:8470", "--scenario", scen); code != 2 || !strings.Contains(errs, "not a loopback") {
		t.Errorf("non-loopback: exit %d, %s", code, errs)
	}
}
