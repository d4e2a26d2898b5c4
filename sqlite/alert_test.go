package sqlite_test

import (
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/sqlite"
)

func addUser(t *testing.T, db *sqlite.DB, email string, role paradero.Role) *paradero.User {
	t.Helper()
	u := &paradero.User{Email: email, Name: "Synthetic User", Role: role, Language: "en", PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA"}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestFollowAccess(t *testing.T) {
	db, err := sqlite.Open(t.Context(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	doc := addUser(t, db, "doc@example.org", paradero.RoleDocumenter)
	fam := addUser(t, db, "fam@example.org", paradero.RoleFamily)
	admin := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli", Role: paradero.RoleAdmin})
	for _, tc := range []struct {
		ctx  *paradero.Actor
		f    paradero.Follow
		want string
	}{
		{nil, paradero.Follow{UserID: doc.ID, Kind: paradero.FollowFacility, Object: "EL VALLE"}, ""},
		{nil, paradero.Follow{UserID: doc.ID, Kind: paradero.FollowFacility, Object: "EL VALLE"}, paradero.ECONFLICT},
		{nil, paradero.Follow{UserID: fam.ID, Kind: paradero.FollowWatch, Object: "w1"}, paradero.EFORBIDDEN},
		{nil, paradero.Follow{UserID: 99, Kind: paradero.FollowWatch, Object: "w1"}, paradero.ENOTFOUND},
		{nil, paradero.Follow{UserID: doc.ID, Kind: paradero.FollowPerson, Object: "x"}, paradero.EINVALID},
		{&paradero.Actor{UserID: fam.ID, Name: "user:2", Role: paradero.RoleFamily}, paradero.Follow{UserID: doc.ID, Kind: paradero.FollowWatch, Object: "w9"}, paradero.EFORBIDDEN},
		{&paradero.Actor{UserID: doc.ID, Name: "user:1", Role: paradero.RoleDocumenter}, paradero.Follow{UserID: doc.ID, Kind: paradero.FollowWatch, Object: "w9"}, ""},
	} {
		ctx := admin
		if tc.ctx != nil {
			ctx = paradero.NewContextWithActor(t.Context(), *tc.ctx)
		}
		f := tc.f
		if err := db.CreateFollow(ctx, &f); paradero.ErrorCode(err) != tc.want {
			t.Errorf("CreateFollow(%+v) = %v, want %q", tc.f, err, tc.want)
		}
	}
	fos, err := db.FindFollows(admin, paradero.FollowFilter{UserID: doc.ID})
	if err != nil || len(fos) != 2 || fos[0].Subject() != "facility:EL VALLE" || fos[1].Subject() != "watch:w9" {
		t.Fatalf("FindFollows = %v, %v", fos, err)
	}
	famCtx := paradero.NewContextWithActor(t.Context(), paradero.Actor{UserID: fam.ID, Name: "user:2", Role: paradero.RoleFamily})
	if err := db.DeleteFollow(famCtx, fos[0].ID); paradero.ErrorCode(err) != paradero.EFORBIDDEN {
		t.Errorf("another user deletes a follow: %v", err)
	}
	if err := db.DeleteFollow(admin, fos[0].ID); err != nil {
		t.Error(err)
	}
	if err := db.DeleteFollow(admin, fos[0].ID); paradero.ErrorCode(err) != paradero.ENOTFOUND {
		t.Errorf("deleting twice: %v", err)
	}
}

// TestOutboxSurvivesRestart: notices are stored once, folded for their
// followers only, and an unsent delivery — never claimed, or claimed by a
// run that crashed — is sent after reopening, with the same idempotency
// key.
func TestOutboxSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	db, err := sqlite.Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli", Role: paradero.RoleAdmin})
	doc := addUser(t, db, "doc@example.org", paradero.RoleDocumenter)
	other := addUser(t, db, "other@example.org", paradero.RoleAdmin)
	if err := db.CreateFollow(ctx, &paradero.Follow{UserID: doc.ID, Kind: paradero.FollowFacility, Object: "OTERO"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateFollow(ctx, &paradero.Follow{UserID: other.ID, Kind: paradero.FollowWatch, Object: "w9"}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 15, 12, 0, 0, 0, time.UTC)
	n := &paradero.Notice{Kind: paradero.AlertTransfer, Change: "moved", At: at, Locator: "ice", WatchKey: "w1", From: "EL VALLE", To: "otero"}
	for range 2 { // a replayed round stores it once
		if q, err := db.CreateNotices(ctx, []*paradero.Notice{n}); err != nil || q != 1 && n.ID == 0 {
			t.Fatalf("CreateNotices = %d, %v", q, err)
		}
	}
	alerts, err := db.FoldAlerts(ctx, at, time.Hour, []string{"email", "webhook:hub"})
	if err != nil || len(alerts) != 1 || alerts[0].UserID != doc.ID || len(alerts[0].Notices) != 1 {
		t.Fatalf("FoldAlerts = %+v, %v; want one alert for the facility's follower", alerts, err)
	}
	claimed, err := db.ClaimDeliveries(ctx, at, time.Minute, 1)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %d, %v", len(claimed), err)
	}
	db.Close() // a crash: one delivery claimed and not sent, one never claimed

	db, err = sqlite.Open(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ds, err := db.ClaimDeliveries(ctx, at.Add(30*time.Second), time.Minute, 10)
	if err != nil || len(ds) != 1 || ds[0].ID == claimed[0].ID {
		t.Fatalf("during the lease: %d due, want only the unclaimed one", len(ds))
	}
	if err := db.CompleteDelivery(ctx, ds[0].ID, at.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	ds, err = db.ClaimDeliveries(ctx, at.Add(2*time.Minute), time.Minute, 10)
	if err != nil || len(ds) != 1 || ds[0].ID != claimed[0].ID || ds[0].IdempotencyKey != claimed[0].IdempotencyKey || ds[0].Attempts != 1 {
		t.Fatalf("after the lease: %+v, %v; want the crashed delivery again, same key", ds, err)
	}
	if err := db.CompleteDelivery(ctx, ds[0].ID, at.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.RetryDelivery(ctx, ds[0].ID+1000, time.Time{}, "x"); paradero.ErrorCode(err) != paradero.ENOTFOUND {
		t.Errorf("RetryDelivery of nothing: %v", err)
	}
	if ds, _ := db.ClaimDeliveries(ctx, at.Add(time.Hour), time.Minute, 10); len(ds) != 0 {
		t.Fatalf("an hour later: %d due, want none: both sent", len(ds))
	}
	// Demoted users' queues are dropped, not delivered.
	if _, err := db.UpdateUser(ctx, doc.ID, paradero.UserUpdate{Role: new(paradero.RoleFamily)}); err != nil {
		t.Fatal(err)
	}
	n2 := *n
	n2.At = at.Add(time.Hour)
	db.CreateNotices(ctx, []*paradero.Notice{&n2})
	if alerts, err := db.FoldAlerts(ctx, at.Add(3*time.Hour), time.Hour, []string{"email"}); err != nil || len(alerts) != 0 {
		t.Errorf("FoldAlerts for a demoted user = %d, %v; want none", len(alerts), err)
	}
}
