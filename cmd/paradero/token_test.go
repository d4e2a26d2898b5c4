package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/paradero/paradero"
)

// TestTokenCommand makes a token at the command line, uses it against the
// served API, lists it and revokes it: the served API refuses it after.
func TestTokenCommand(t *testing.T) {
	w := newWebWorld(t)
	call := func(secret, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "GET", w.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	out := w.cli.ok("token", "create", "--user", "documenter@example.org", "--name", "importación nocturna", "--expires", "7")
	m := regexp.MustCompile(`Secret \(shown once\): (pdr_[A-Za-z0-9_-]{43})\n`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "Created API token 1 for user 2 (documenter)") {
		t.Fatalf("token create printed %q", out)
	}
	secret := m[1]
	code, body := call(secret, "/api/v1/me")
	var me struct {
		User struct{ Email, Role string }
	}
	json.Unmarshal([]byte(body), &me)
	if code != http.StatusOK || me.User.Email != "documenter@example.org" || me.User.Role != "documenter" {
		t.Fatalf("GET /api/v1/me with the new token = %d %s", code, body)
	}
	if code, _ := call(secret, "/api/v1/sources/1/records"); code != http.StatusOK {
		t.Errorf("the documenter's token reading records = %d", code)
	}

	var rows []struct {
		ID        int64
		UserID    int64 `json:"user_id"`
		Name      string
		Active    bool
		LastUsed  *string `json:"last_used_at"`
		RevokedAt *string `json:"revoked_at"`
	}
	if err := json.Unmarshal([]byte(w.cli.ok("token", "list", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Name != "importación nocturna" || !rows[0].Active || rows[0].LastUsed == nil || rows[0].UserID != 2 {
		t.Errorf("token list = %+v", rows)
	}
	if out := w.cli.ok("token", "list", "--user", "admin@example.org"); strings.Count(out, "\n") != 1 {
		t.Errorf("the admin's tokens:\n%s", out)
	}
	if out := w.cli.ok("token", "revoke", "1"); !strings.Contains(out, "API token 1 of user 2 is revoked") {
		t.Errorf("token revoke printed %q", out)
	}
	if code, _ := call(secret, "/api/v1/me"); code != http.StatusUnauthorized {
		t.Errorf("the revoked token = %d, want 401", code)
	}
	if out := w.cli.ok("token", "list"); !strings.Contains(out, "revoked") {
		t.Errorf("token list after revoking:\n%s", out)
	}
	// Both changes are in the audit log, by the operator.
	store := w.m.g.store.(accessStore)
	for _, action := range []string{paradero.AuditAPITokenCreate, paradero.AuditAPITokenRevoke} {
		es, _, err := store.FindAuditEntries(t.Context(), paradero.AuditFilter{Action: action})
		if err != nil || len(es) != 1 || es[0].Object != "api-token:1" || !strings.HasPrefix(es[0].ActorName, "cli") {
			t.Errorf("audit of %s = %+v, %v", action, es, err)
		}
	}
	for _, args := range [][]string{
		{"token"},
		{"token", "create", "--user", "documenter@example.org"},
		{"token", "create", "--user", "documenter@example.org", "--name", "x", "--expires", "400"},
		{"token", "revoke", "x"},
		{"token", "burn"},
	} {
		if code, _, _ := w.cli.run(args...); code != 2 {
			t.Errorf("paradero %s: exit %d, want 2", strings.Join(args, " "), code)
		}
	}
	if code, _, _ := w.cli.run("token", "create", "--user", "nadie@example.org", "--name", "x"); code != 1 {
		t.Errorf("a token for no user: exit %d, want 1", code)
	}
}
