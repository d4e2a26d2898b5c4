package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/sqlite"
)

// TestDemoTracingRequest files the demo family's request into a copy of
// the synthetic world: one request, for an adult the world holds, and
// running the demo again adds none.
func TestDemoTracingRequest(t *testing.T) {
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
	family := &paradero.User{Email: "family@demo.example", Name: "Demo family", Role: paradero.RoleFamily, Language: "es",
		PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"}
	if err := db.CreateUser(ctx, family); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for range 2 {
		if err := demoTracingRequest(ctx, db, db, &out); err != nil {
			t.Fatal(err)
		}
	}
	reqs, n, err := db.FindTracingRequests(ctx, paradero.TracingFilter{})
	if err != nil || n != 1 || reqs[0].RequesterID != family.ID || reqs[0].State != paradero.TracingFiled {
		t.Fatalf("demo requests = %v (%d), %v; want one filed by the family account", reqs, n, err)
	}
	res, err := db.SearchRecords(ctx, paradero.SearchQuery{Name: reqs[0].SoughtName, BirthDate: reqs[0].SoughtBirthDate})
	if err != nil || res.Total == 0 {
		t.Errorf("the person sought (%q) is not found in the world: %v", reqs[0].SoughtName, err)
	}
	if !strings.Contains(out.String(), reqs[0].Ref) {
		t.Errorf("demo output does not give the reference: %s", out.String())
	}
}
