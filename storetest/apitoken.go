package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paradero/paradero"
)

// APITokenStore is what a store provides for the JSON API's tokens.
type APITokenStore interface {
	paradero.UserService
	paradero.APITokenService
}

// RunAPITokens runs the contract suite for API tokens. open returns a
// fresh, empty store, closed by the test's cleanup.
func RunAPITokens(t *testing.T, open func(t *testing.T) APITokenStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, APITokenStore)
	}{
		{"RoundTrip", testAPITokenRoundTrip},
		{"Invalid", testAPITokenInvalid},
		{"Conflict", testAPITokenConflict},
		{"Expiry", testAPITokenExpiry},
		{"Revoke", testAPITokenRevoke},
		{"FollowsItsUser", testAPITokenFollowsUser},
		{"Touch", testAPITokenTouch},
		{"FindAPITokens", testFindAPITokens},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// tokenTime is a fixed instant the tokens are made at, with nanoseconds
// that stores must truncate to microseconds.
var tokenTime = time.Date(2025, 4, 1, 10, 0, 0, 123456789, time.UTC)

func newTokenUser(t *testing.T, s APITokenStore, email string, role paradero.Role) *paradero.User {
	t.Helper()
	u := &paradero.User{Email: email, Name: "Usuaria " + string(role), Role: role, Language: "es", PasswordHash: fakeHash}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func newAPIToken(t *testing.T, s APITokenStore, secret string, userID int64, created time.Time, life time.Duration) *paradero.APIToken {
	t.Helper()
	tok := &paradero.APIToken{UserID: userID, Name: "import nocturno", TokenHash: paradero.APITokenHash(secret),
		CreatedAt: created, CreatedBy: "cli:test", ExpiresAt: created.Add(life)}
	if err := s.CreateAPIToken(t.Context(), tok); err != nil {
		t.Fatalf("CreateAPIToken: %v", err)
	}
	return tok
}

func testAPITokenRoundTrip(t *testing.T, s APITokenStore) {
	ctx := t.Context()
	u := newTokenUser(t, s, "doc@example.org", paradero.RoleDocumenter)
	tok := newAPIToken(t, s, "secret-a", u.ID, tokenTime, 30*24*time.Hour)
	if tok.ID != 1 {
		t.Errorf("first token's ID = %d, want 1", tok.ID)
	}
	want := &paradero.APIToken{ID: tok.ID, UserID: u.ID, Name: "import nocturno", TokenHash: paradero.APITokenHash("secret-a"),
		CreatedAt: paradero.Timestamp(tokenTime), CreatedBy: "cli:test", ExpiresAt: paradero.Timestamp(tokenTime.Add(30 * 24 * time.Hour))}
	if diff := cmp.Diff(want, tok); diff != "" {
		t.Errorf("CreateAPIToken left the token as (-want +got):\n%s", diff)
	}
	got, gu, err := s.FindAPITokenByHash(ctx, paradero.APITokenHash("secret-a"), tokenTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FindAPITokenByHash (-want +got):\n%s", diff)
	}
	if gu.ID != u.ID || gu.Email != u.Email || gu.Role != paradero.RoleDocumenter {
		t.Errorf("FindAPITokenByHash user = %+v, want %+v", gu, u)
	}
	byID, err := s.FindAPITokenByID(ctx, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, byID); diff != "" {
		t.Errorf("FindAPITokenByID (-want +got):\n%s", diff)
	}
	_, err = s.FindAPITokenByID(ctx, 999)
	wantCode(t, err, paradero.ENOTFOUND)
	_, _, err = s.FindAPITokenByHash(ctx, paradero.APITokenHash("secret-b"), tokenTime)
	wantCode(t, err, paradero.ENOTFOUND)

	// A zero CreatedAt is the store's clock.
	before := time.Now().Add(-time.Second)
	auto := &paradero.APIToken{UserID: u.ID, Name: "x", TokenHash: paradero.APITokenHash("secret-c"), CreatedBy: "user:1",
		ExpiresAt: time.Now().Add(time.Hour)}
	if err := s.CreateAPIToken(ctx, auto); err != nil {
		t.Fatal(err)
	}
	if auto.CreatedAt.Before(before) || auto.CreatedAt.After(time.Now()) {
		t.Errorf("CreatedAt = %v, want about now", auto.CreatedAt)
	}
}

func testAPITokenInvalid(t *testing.T, s APITokenStore) {
	u := newTokenUser(t, s, "doc@example.org", paradero.RoleDocumenter)
	valid := func() *paradero.APIToken {
		return &paradero.APIToken{UserID: u.ID, Name: "n", TokenHash: paradero.APITokenHash("s"), CreatedAt: tokenTime,
			CreatedBy: "cli:test", ExpiresAt: tokenTime.Add(time.Hour)}
	}
	for name, change := range map[string]func(*paradero.APIToken){
		"no user":         func(x *paradero.APIToken) { x.UserID = 0 },
		"no hash":         func(x *paradero.APIToken) { x.TokenHash = paradero.Hash{} },
		"no name":         func(x *paradero.APIToken) { x.Name = "  " },
		"long name":       func(x *paradero.APIToken) { x.Name = strings.Repeat("n", 101) },
		"two lines":       func(x *paradero.APIToken) { x.Name = "a\nb" },
		"NUL":             func(x *paradero.APIToken) { x.Name = "a\x00b" },
		"bad UTF-8":       func(x *paradero.APIToken) { x.Name = "a\xffb" },
		"no maker":        func(x *paradero.APIToken) { x.CreatedBy = "" },
		"expired":         func(x *paradero.APIToken) { x.ExpiresAt = x.CreatedAt },
		"no expiry":       func(x *paradero.APIToken) { x.ExpiresAt = time.Time{} },
		"too long a life": func(x *paradero.APIToken) { x.ExpiresAt = x.CreatedAt.Add(paradero.MaxAPITokenLifetime + time.Second) },
	} {
		x := valid()
		change(x)
		if err := s.CreateAPIToken(t.Context(), x); paradero.ErrorCode(err) != paradero.EINVALID {
			t.Errorf("%s: CreateAPIToken = %v, want %s", name, err, paradero.EINVALID)
		}
	}
	x := valid()
	x.UserID = 999
	wantCode(t, s.CreateAPIToken(t.Context(), x), paradero.ENOTFOUND)
	if _, total, err := s.FindAPITokens(t.Context(), paradero.APITokenFilter{}); err != nil || total != 0 {
		t.Errorf("after refusals: %d tokens stored, %v; want none", total, err)
	}
}

func testAPITokenConflict(t *testing.T, s APITokenStore) {
	u := newTokenUser(t, s, "doc@example.org", paradero.RoleDocumenter)
	newAPIToken(t, s, "same", u.ID, tokenTime, time.Hour)
	dup := &paradero.APIToken{UserID: u.ID, Name: "dup", TokenHash: paradero.APITokenHash("same"), CreatedAt: tokenTime,
		CreatedBy: "cli:test", ExpiresAt: tokenTime.Add(time.Hour)}
	wantCode(t, s.CreateAPIToken(t.Context(), dup), paradero.ECONFLICT)
	// A refused token takes no id: ids are the same in every store.
	if next := newAPIToken(t, s, "other", u.ID, tokenTime, time.Hour); next.ID != 2 {
		t.Errorf("the token after a refused one has ID %d, want 2", next.ID)
	}
}

func testAPITokenExpiry(t *testing.T, s APITokenStore) {
	ctx := t.Context()
	u := newTokenUser(t, s, "doc@example.org", paradero.RoleDocumenter)
	tok := newAPIToken(t, s, "e", u.ID, tokenTime, time.Hour)
	h := paradero.APITokenHash("e")
	if _, _, err := s.FindAPITokenByHash(ctx, h, tok.ExpiresAt.Add(-time.Microsecond)); err != nil {
		t.Errorf("a microsecond before expiry: %v, want the token", err)
	}
	_, _, err := s.FindAPITokenByHash(ctx, h, tok.ExpiresAt)
	wantCode(t, err, paradero.ENOTFOUND)
	// Expired tokens stay listed: the list says who could act when.
	if got, err := s.FindAPITokenByID(ctx, tok.ID); err != nil || got.Active(tok.ExpiresAt) {
		t.Errorf("FindAPITokenByID of an expired token = %+v, %v; want it, inactive", got, err)
	}
}

func testAPITokenRevoke(t *testing.T, s APITokenStore) {
	ctx := t.Context()
	u := newTokenUser(t, s, "doc@example.org", paradero.RoleDocumenter)
	tok := newAPIToken(t, s, "r", u.ID, tokenTime, 24*time.Hour)
	at := tokenTime.Add(time.Hour + 999*time.Nanosecond)
	got, err := s.RevokeAPIToken(ctx, tok.ID, at)
	if err != nil {
		t.Fatal(err)
	}
	if !got.RevokedAt.Equal(paradero.Timestamp(at)) || got.Active(at) {
		t.Errorf("RevokeAPIToken = %+v, want revoked at %v", got, paradero.Timestamp(at))
	}
	_, _, err = s.FindAPITokenByHash(ctx, paradero.APITokenHash("r"), at)
	wantCode(t, err, paradero.ENOTFOUND)
	again, err := s.RevokeAPIToken(ctx, tok.ID, at.Add(time.Hour))
	if err != nil || !again.RevokedAt.Equal(paradero.Timestamp(at)) {
		t.Errorf("revoking twice = %+v, %v; want the first revocation kept", again, err)
	}
	_, err = s.RevokeAPIToken(ctx, 999, at)
	wantCode(t, err, paradero.ENOTFOUND)
}

func testAPITokenFollowsUser(t *testing.T, s APITokenStore) {
	ctx := t.Context()
	u := newTokenUser(t, s, "doc@example.org", paradero.RoleDocumenter)
	newAPIToken(t, s, "f", u.ID, tokenTime, 24*time.Hour)
	h, now := paradero.APITokenHash("f"), tokenTime.Add(time.Minute)

	role := paradero.RoleLawyer
	if _, err := s.UpdateUser(ctx, u.ID, paradero.UserUpdate{Role: &role}); err != nil {
		t.Fatal(err)
	}
	if _, gu, err := s.FindAPITokenByHash(ctx, h, now); err != nil || gu.Role != paradero.RoleLawyer {
		t.Errorf("after a role change: user %+v, %v; want the new role", gu, err)
	}
	// A new password signs the user out of the pages; tokens are made
	// for programs and stay until revoked or expired.
	pw := fakeHash + "x"
	if _, err := s.UpdateUser(ctx, u.ID, paradero.UserUpdate{PasswordHash: &pw}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.FindAPITokenByHash(ctx, h, now); err != nil {
		t.Errorf("after a password change: %v, want the token", err)
	}
	yes, no := true, false
	if _, err := s.UpdateUser(ctx, u.ID, paradero.UserUpdate{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.FindAPITokenByHash(ctx, h, now)
	wantCode(t, err, paradero.ENOTFOUND)
	if _, err := s.UpdateUser(ctx, u.ID, paradero.UserUpdate{Disabled: &no}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.FindAPITokenByHash(ctx, h, now); err != nil {
		t.Errorf("after enabling the user again: %v, want the token", err)
	}
}

func testAPITokenTouch(t *testing.T, s APITokenStore) {
	ctx := t.Context()
	u := newTokenUser(t, s, "doc@example.org", paradero.RoleDocumenter)
	tok := newAPIToken(t, s, "t", u.ID, tokenTime, 24*time.Hour)
	at := tokenTime.Add(5*time.Minute + 777*time.Nanosecond)
	if err := s.TouchAPIToken(ctx, tok.ID, at); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.FindAPITokenByHash(ctx, paradero.APITokenHash("t"), at)
	if err != nil || !got.LastUsedAt.Equal(paradero.Timestamp(at)) {
		t.Errorf("after TouchAPIToken: %+v, %v; want last used at %v", got, err, paradero.Timestamp(at))
	}
	wantCode(t, s.TouchAPIToken(ctx, 999, at), paradero.ENOTFOUND)
}

func testFindAPITokens(t *testing.T, s APITokenStore) {
	ctx := t.Context()
	a := newTokenUser(t, s, "a@example.org", paradero.RoleDocumenter)
	b := newTokenUser(t, s, "b@example.org", paradero.RoleAdmin)
	for i := range 5 {
		owner := a.ID
		if i%2 == 1 {
			owner = b.ID
		}
		newAPIToken(t, s, fmt.Sprintf("k%d", i), owner, tokenTime, time.Hour)
	}
	if _, err := s.RevokeAPIToken(ctx, 1, tokenTime); err != nil {
		t.Fatal(err)
	}
	ids := func(ts []*paradero.APIToken) []int64 {
		var out []int64
		for _, x := range ts {
			out = append(out, x.ID)
		}
		return out
	}
	all, total, err := s.FindAPITokens(ctx, paradero.APITokenFilter{})
	if err != nil || total != 5 || !cmp.Equal(ids(all), []int64{5, 4, 3, 2, 1}) {
		t.Errorf("FindAPITokens() = %v, total %d, %v; want 5..1 of 5", ids(all), total, err)
	}
	mine, total, err := s.FindAPITokens(ctx, paradero.APITokenFilter{UserID: a.ID})
	if err != nil || total != 3 || !cmp.Equal(ids(mine), []int64{5, 3, 1}) {
		t.Errorf("FindAPITokens(user a) = %v, total %d, %v; want 5, 3, 1 (the revoked one included)", ids(mine), total, err)
	}
	page, total, err := s.FindAPITokens(ctx, paradero.APITokenFilter{Offset: 1, Limit: 2})
	if err != nil || total != 5 || !cmp.Equal(ids(page), []int64{4, 3}) {
		t.Errorf("FindAPITokens(offset 1, limit 2) = %v, total %d, %v; want 4, 3 of 5", ids(page), total, err)
	}
}
