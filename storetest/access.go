package storetest

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/paradero/paradero"
)

// AccessStore is what a store provides for people and access: accounts,
// sessions and the audit log.
type AccessStore interface {
	paradero.UserService
	paradero.SessionService
	paradero.AuditService
}

// RunAccess runs the contract suite for people and access. open returns a
// fresh, empty store, closed by the test's cleanup.
func RunAccess(t *testing.T, open func(t *testing.T) AccessStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, AccessStore)
	}{
		{"UserRoundTrip", testUserRoundTrip},
		{"UserEmailUnique", testUserEmailUnique},
		{"UserInvalid", testUserInvalid},
		{"UserNotFound", testUserNotFound},
		{"FindUsers", testFindUsers},
		{"UpdateUser", testUpdateUser},
		{"Sessions", testSessions},
		{"PasswordChangeRevokesSessions", testPasswordChangeRevokes},
		{"DisableRevokesSessions", testDisableRevokes},
		{"Audit", testAudit},
		{"AuditRefusesPersonalContent", testAuditRefusesContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// fakeHash is a syntactically valid argon2id PHC string; the store never
// checks it further.
const fakeHash = "$argon2id$v=19$m=65536,t=1,p=4$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"

func newUser(t *testing.T, s AccessStore, email string, role paradero.Role) *paradero.User {
	t.Helper()
	u := &paradero.User{Email: email, Name: "Usuaria " + string(role), Role: role, Language: "es", PasswordHash: fakeHash}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func tokenHash(s string) paradero.Hash { return paradero.Hash(sha256.Sum256([]byte(s))) }

func testUserRoundTrip(t *testing.T, s AccessStore) {
	ctx := t.Context()
	names := []string{"María José Pérez Núñez", "<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`, "O'Brien; DROP TABLE users;--"}
	for i, name := range names {
		u := &paradero.User{Email: fmt.Sprintf("  Persona%d@Example.ORG ", i), Name: name, Role: paradero.RoleDocumenter,
			Language: "en", PasswordHash: fakeHash, TOTPSecret: []byte{0, 1, 2, 255}}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser(%q): %v", name, err)
		}
		if u.ID == 0 || u.CreatedAt.IsZero() || u.UpdatedAt.IsZero() {
			t.Fatalf("CreateUser did not set ID and times: %+v", u)
		}
		want := fmt.Sprintf("persona%d@example.org", i)
		if u.Email != want {
			t.Errorf("CreateUser email = %q, want %q", u.Email, want)
		}
		got, err := s.FindUserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != name || got.Email != want || got.Role != u.Role || got.Language != "en" ||
			got.PasswordHash != fakeHash || string(got.TOTPSecret) != string(u.TOTPSecret) || got.Disabled ||
			!got.CreatedAt.Equal(u.CreatedAt) {
			t.Errorf("FindUserByID = %+v, want %+v", got, u)
		}
		byEmail, err := s.FindUserByEmail(ctx, fmt.Sprintf("PERSONA%d@example.org", i))
		if err != nil {
			t.Fatalf("FindUserByEmail (other case): %v", err)
		}
		if byEmail.ID != u.ID {
			t.Errorf("FindUserByEmail = user %d, want %d", byEmail.ID, u.ID)
		}
	}
}

func testUserEmailUnique(t *testing.T, s AccessStore) {
	newUser(t, s, "ana@example.org", paradero.RoleLawyer)
	u := &paradero.User{Email: "ANA@example.org", Name: "Otra", Role: paradero.RoleFamily, Language: "es", PasswordHash: fakeHash}
	wantCode(t, s.CreateUser(t.Context(), u), paradero.ECONFLICT)
}

func testUserInvalid(t *testing.T, s AccessStore) {
	valid := func() *paradero.User {
		return &paradero.User{Email: "x@example.org", Name: "X", Role: paradero.RoleAdmin, Language: "es", PasswordHash: fakeHash}
	}
	for name, change := range map[string]func(*paradero.User){
		"no email":      func(u *paradero.User) { u.Email = "" },
		"bad email":     func(u *paradero.User) { u.Email = "not an address" },
		"no name":       func(u *paradero.User) { u.Name = "  " },
		"two-line name": func(u *paradero.User) { u.Name = "a\nb" },
		"bad role":      func(u *paradero.User) { u.Role = "root" },
		"bad language":  func(u *paradero.User) { u.Language = "fr" },
		"plain password": func(u *paradero.User) {
			u.PasswordHash = "hunter2"
		},
	} {
		u := valid()
		change(u)
		err := s.CreateUser(t.Context(), u)
		if paradero.ErrorCode(err) != paradero.EINVALID {
			t.Errorf("%s: CreateUser = %v, want %s", name, err, paradero.EINVALID)
		}
	}
	if _, n, err := s.FindUsers(t.Context(), paradero.UserFilter{}); err != nil || n != 0 {
		t.Errorf("after invalid users: FindUsers total = %d, %v; want 0", n, err)
	}
}

func testUserNotFound(t *testing.T, s AccessStore) {
	ctx := t.Context()
	_, err := s.FindUserByID(ctx, 12345)
	wantCode(t, err, paradero.ENOTFOUND)
	_, err = s.FindUserByEmail(ctx, "nadie@example.org")
	wantCode(t, err, paradero.ENOTFOUND)
	name := "Nadie"
	_, err = s.UpdateUser(ctx, 12345, paradero.UserUpdate{Name: &name})
	wantCode(t, err, paradero.ENOTFOUND)
}

func testFindUsers(t *testing.T, s AccessStore) {
	for i := range 7 {
		role := paradero.RoleDocumenter
		if i%3 == 0 {
			role = paradero.RoleLawyer
		}
		newUser(t, s, fmt.Sprintf("u%d@example.org", i), role)
	}
	page, total, err := s.FindUsers(t.Context(), paradero.UserFilter{Offset: 2, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if total != 7 || len(page) != 3 || page[0].Email != "u2@example.org" || page[2].Email != "u4@example.org" {
		t.Errorf("FindUsers(offset 2, limit 3) = %d users from %v, total %d; want u2..u4 of 7", len(page), page, total)
	}
	lawyers, total, err := s.FindUsers(t.Context(), paradero.UserFilter{Role: paradero.RoleLawyer})
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(lawyers) != 3 {
		t.Errorf("FindUsers(lawyer) = %d, total %d; want 3", len(lawyers), total)
	}
}

func testUpdateUser(t *testing.T, s AccessStore) {
	ctx := t.Context()
	u := newUser(t, s, "doc@example.org", paradero.RoleDocumenter)
	lang, role, name := "en", paradero.RoleAdmin, "Nuevo Nombre"
	got, err := s.UpdateUser(ctx, u.ID, paradero.UserUpdate{Language: &lang, Role: &role, Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	if got.Language != "en" || got.Role != paradero.RoleAdmin || got.Name != name || got.Email != u.Email {
		t.Errorf("UpdateUser = %+v", got)
	}
	again, err := s.FindUserByID(ctx, u.ID)
	if err != nil || again.Language != "en" || again.Role != paradero.RoleAdmin {
		t.Errorf("after UpdateUser: FindUserByID = %+v, %v", again, err)
	}
	bad := "xx"
	_, err = s.UpdateUser(ctx, u.ID, paradero.UserUpdate{Language: &bad})
	wantCode(t, err, paradero.EINVALID)
}

func newSession(t *testing.T, s AccessStore, token string, userID int64, now time.Time) *paradero.Session {
	t.Helper()
	sess := &paradero.Session{TokenHash: tokenHash(token), UserID: userID, CSRFToken: "csrf-" + token,
		CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(t.Context(), sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return sess
}

func testSessions(t *testing.T, s AccessStore) {
	ctx := t.Context()
	u := newUser(t, s, "s@example.org", paradero.RoleDocumenter)
	now := time.Now()
	sess := newSession(t, s, "a", u.ID, now)
	got, gu, err := s.FindSession(ctx, tokenHash("a"), now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != u.ID || got.CSRFToken != "csrf-a" || !got.ExpiresAt.Equal(sess.ExpiresAt) || gu.ID != u.ID || gu.Email != u.Email {
		t.Errorf("FindSession = %+v, %+v", got, gu)
	}
	if err := s.TouchSession(ctx, tokenHash("a"), now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, _, _ = s.FindSession(ctx, tokenHash("a"), now.Add(3*time.Minute))
	if want := paradero.Timestamp(now.Add(2 * time.Minute)); got == nil || !got.LastSeenAt.Equal(want) {
		t.Errorf("after TouchSession: LastSeenAt = %v, want %v", got, want)
	}
	wantCode(t, s.TouchSession(ctx, tokenHash("zzz"), now), paradero.ENOTFOUND)

	_, _, err = s.FindSession(ctx, tokenHash("a"), now.Add(time.Hour))
	wantCode(t, err, paradero.ENOTFOUND) // expired
	_, _, err = s.FindSession(ctx, tokenHash("nope"), now)
	wantCode(t, err, paradero.ENOTFOUND)

	wantCode(t, s.CreateSession(ctx, &paradero.Session{TokenHash: tokenHash("a"), UserID: u.ID, CSRFToken: "c", ExpiresAt: now.Add(time.Hour)}), paradero.ECONFLICT)
	wantCode(t, s.CreateSession(ctx, &paradero.Session{TokenHash: tokenHash("b"), UserID: 9999, CSRFToken: "c", ExpiresAt: now.Add(time.Hour)}), paradero.ENOTFOUND)
	wantCode(t, s.CreateSession(ctx, &paradero.Session{TokenHash: tokenHash("b"), UserID: u.ID}), paradero.EINVALID)

	if err := s.DeleteSession(ctx, tokenHash("a")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, tokenHash("a")); err != nil {
		t.Errorf("DeleteSession twice: %v, want nil", err)
	}
	_, _, err = s.FindSession(ctx, tokenHash("a"), now)
	wantCode(t, err, paradero.ENOTFOUND)

	newSession(t, s, "c", u.ID, now)
	newSession(t, s, "d", u.ID, now)
	other := newUser(t, s, "o@example.org", paradero.RoleLawyer)
	newSession(t, s, "e", other.ID, now.Add(-2*time.Hour))
	if n, err := s.DeleteUserSessions(ctx, u.ID); err != nil || n != 2 {
		t.Errorf("DeleteUserSessions = %d, %v; want 2", n, err)
	}
	if n, err := s.DeleteExpiredSessions(ctx, now); err != nil || n != 1 {
		t.Errorf("DeleteExpiredSessions = %d, %v; want 1", n, err)
	}
}

func testPasswordChangeRevokes(t *testing.T, s AccessStore) {
	ctx := t.Context()
	u := newUser(t, s, "p@example.org", paradero.RoleDocumenter)
	now := time.Now()
	newSession(t, s, "x", u.ID, now)
	lang := "en"
	if _, err := s.UpdateUser(ctx, u.ID, paradero.UserUpdate{Language: &lang}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.FindSession(ctx, tokenHash("x"), now); err != nil {
		t.Fatalf("a language change revoked the session: %v", err)
	}
	h := fakeHash + "x"
	if _, err := s.UpdateUser(ctx, u.ID, paradero.UserUpdate{PasswordHash: &h}); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.FindSession(ctx, tokenHash("x"), now)
	wantCode(t, err, paradero.ENOTFOUND)
}

func testDisableRevokes(t *testing.T, s AccessStore) {
	ctx := t.Context()
	u := newUser(t, s, "d@example.org", paradero.RoleDocumenter)
	now := time.Now()
	newSession(t, s, "y", u.ID, now)
	yes := true
	if _, err := s.UpdateUser(ctx, u.ID, paradero.UserUpdate{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.FindSession(ctx, tokenHash("y"), now)
	wantCode(t, err, paradero.ENOTFOUND)
}

func testAudit(t *testing.T, s AccessStore) {
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{UserID: 7, Name: "user:7", Role: paradero.RoleDocumenter})
	for i := range 5 {
		e := paradero.NewAuditEntry(ctx, paradero.AuditRecordView, fmt.Sprintf("record:%d", i+1))
		if err := s.CreateAuditEntry(ctx, e); err != nil {
			t.Fatal(err)
		}
		if e.ID == 0 || e.Time.IsZero() {
			t.Fatalf("CreateAuditEntry did not set ID and Time: %+v", e)
		}
	}
	cli := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:root", Role: paradero.RoleAdmin})
	if err := s.CreateAuditEntry(cli, paradero.NewAuditEntry(cli, paradero.AuditUserCreate, "user:7")); err != nil {
		t.Fatal(err)
	}
	all, total, err := s.FindAuditEntries(ctx, paradero.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if total != 6 || len(all) != 6 {
		t.Fatalf("FindAuditEntries = %d entries, total %d; want 6", len(all), total)
	}
	if all[0].Action != paradero.AuditUserCreate || all[0].ActorName != "cli:root" || all[0].ActorRole != paradero.RoleAdmin {
		t.Errorf("newest entry = %+v, want the user.create by cli:root", all[0])
	}
	if e := all[1]; e.ActorID != 7 || e.ActorName != "user:7" || e.ActorRole != paradero.RoleDocumenter || e.Object != "record:5" {
		t.Errorf("second entry = %+v, want user:7 viewing record:5", e)
	}
	page, total, err := s.FindAuditEntries(ctx, paradero.AuditFilter{ActorID: 7, Action: paradero.AuditRecordView, Offset: 1, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if total != 5 || len(page) != 2 || page[0].Object != "record:4" || page[1].Object != "record:3" {
		t.Errorf("FindAuditEntries(actor 7, record.view, offset 1, limit 2) = %v, total %d", page, total)
	}
	one, total, err := s.FindAuditEntries(ctx, paradero.AuditFilter{Object: "record:2"})
	if err != nil || total != 1 || len(one) != 1 || one[0].Object != "record:2" {
		t.Errorf("FindAuditEntries(object record:2) = %v, %d, %v", one, total, err)
	}
}

func testAuditRefusesContent(t *testing.T, s AccessStore) {
	ctx := t.Context()
	for _, e := range []*paradero.AuditEntry{
		{ActorName: "user:1", Action: "record.view", Object: "record:José Pérez"},
		{ActorName: "user:1", Action: "viewed José", Object: "record:1"},
		{ActorName: "ana@example.org", Action: "record.view", Object: "record:1"},
		{ActorName: "user:1", Action: "", Object: "record:1"},
		{ActorName: "user:1", Action: "record.view", Object: "record:1", ActorRole: "root"},
	} {
		err := s.CreateAuditEntry(ctx, e)
		if paradero.ErrorCode(err) != paradero.EINVALID {
			t.Errorf("CreateAuditEntry(%+v) = %v, want %s", e, err, paradero.EINVALID)
		}
	}
	if _, n, err := s.FindAuditEntries(ctx, paradero.AuditFilter{}); err != nil || n != 0 {
		t.Errorf("after refused entries: total = %d, %v; want 0", n, err)
	}
}
