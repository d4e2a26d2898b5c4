package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paradero/paradero"
)

// AlertStore is a store that keeps users, their follows and their alerts.
type AlertStore interface {
	paradero.UserService
	paradero.AlertService
}

// AlertHarness is what the alert suite needs of a store.
type AlertHarness struct {
	// Open returns a fresh, empty store, closed by the test's cleanup.
	Open func(t *testing.T) AlertStore
	// Reopen closes s without finishing anything in progress, as a crash
	// or a restart would, and opens its database again.
	Reopen func(t *testing.T, s AlertStore) AlertStore
}

// RunAlerts runs the contract of paradero.AlertService.
func RunAlerts(t *testing.T, h AlertHarness) {
	tests := []struct {
		name string
		fn   func(*testing.T, AlertHarness)
	}{
		{"FollowAccess", testFollowAccess},
		{"FindFollows", testFindFollows},
		{"NoticesReachFollowers", testNoticesReachFollowers},
		{"NoticesReachCaseFollowers", testNoticesReachCaseFollowers},
		{"Digest", testDigest},
		{"OutboxSurvivesRestart", testOutboxSurvivesRestart},
		{"RetryAndGiveUp", testRetryAndGiveUp},
		{"ConcurrentClaims", testConcurrentClaims},
		{"ConcurrentFolds", testConcurrentFolds},
		{"QueueOfWhoMayNoLongerFollow", testQueueDropped},
		{"UnfollowKeepsQueue", testUnfollowKeepsQueue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, h) })
	}
}

func adminCtx(t *testing.T) context.Context {
	return paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
}

func alertUser(t *testing.T, s AlertStore, email string, role paradero.Role) *paradero.User {
	t.Helper()
	u := &paradero.User{Email: email, Name: "Usuaria " + string(role), Role: role, Language: "es", PasswordHash: fakeHash}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func follow(t *testing.T, s AlertStore, userID int64, target string) *paradero.Follow {
	t.Helper()
	kind, obj, err := paradero.ParseFollowTarget(target)
	if err != nil {
		t.Fatal(err)
	}
	f := &paradero.Follow{UserID: userID, Kind: kind, Object: obj}
	if err := s.CreateFollow(adminCtx(t), f); err != nil {
		t.Fatalf("follow %s: %v", target, err)
	}
	return f
}

var alertT0 = time.Date(2025, 3, 15, 12, 0, 0, 0, time.UTC)

// transfer is a notice that the watch entry key moved between facilities.
func transfer(key string, at time.Time, from, to string) *paradero.Notice {
	return &paradero.Notice{Kind: paradero.AlertTransfer, Change: "moved", At: at, Locator: "ice-sim", WatchKey: key,
		From: from, To: to, SourceID: 7, Detail: "found 1 of 1 attempts"}
}

func createNotices(t *testing.T, s AlertStore, ns ...*paradero.Notice) int {
	t.Helper()
	q, err := s.CreateNotices(adminCtx(t), ns)
	if err != nil {
		t.Fatalf("CreateNotices: %v", err)
	}
	return q
}

func fold(t *testing.T, s AlertStore, now time.Time, channels ...string) []*paradero.Alert {
	t.Helper()
	as, err := s.FoldAlerts(adminCtx(t), now, time.Hour, channels)
	if err != nil {
		t.Fatalf("FoldAlerts: %v", err)
	}
	return as
}

func claim(t *testing.T, s AlertStore, now time.Time, limit int) []*paradero.Delivery {
	t.Helper()
	ds, err := s.ClaimDeliveries(adminCtx(t), now, time.Minute, limit)
	if err != nil {
		t.Fatalf("ClaimDeliveries: %v", err)
	}
	return ds
}

var noticeCmp = []cmp.Option{cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(0)}

func testFollowAccess(t *testing.T, h AlertHarness) {
	s := h.Open(t)
	doc := alertUser(t, s, "doc@example.org", paradero.RoleDocumenter)
	fam := alertUser(t, s, "fam@example.org", paradero.RoleFamily)
	lawyer := alertUser(t, s, "lawyer@example.org", paradero.RoleLawyer)
	off := alertUser(t, s, "off@example.org", paradero.RoleAdmin)
	if _, err := s.UpdateUser(t.Context(), off.ID, paradero.UserUpdate{Disabled: new(true)}); err != nil {
		t.Fatal(err)
	}
	docActor := &paradero.Actor{UserID: doc.ID, Name: "user:doc", Role: paradero.RoleDocumenter}
	famActor := &paradero.Actor{UserID: fam.ID, Name: "user:fam", Role: paradero.RoleFamily}
	for _, tc := range []struct {
		actor *paradero.Actor // nil: an admin on the command line
		f     paradero.Follow
		want  string
	}{
		{nil, paradero.Follow{UserID: doc.ID, Kind: paradero.FollowFacility, Object: "EL VALLE"}, ""},
		{nil, paradero.Follow{UserID: doc.ID, Kind: paradero.FollowFacility, Object: "EL VALLE"}, paradero.ECONFLICT},
		{nil, paradero.Follow{UserID: fam.ID, Kind: paradero.FollowWatch, Object: "w1"}, paradero.EFORBIDDEN},
		{nil, paradero.Follow{UserID: fam.ID, Kind: paradero.FollowCase, Object: "1"}, paradero.EFORBIDDEN},
		// Lawyers follow persons and cases (which ones is the web's rule),
		// never a facility or a watch entry, which lead to everyone.
		{nil, paradero.Follow{UserID: lawyer.ID, Kind: paradero.FollowCase, Object: "1"}, ""},
		{nil, paradero.Follow{UserID: lawyer.ID, Kind: paradero.FollowPerson, Object: "12"}, ""},
		{nil, paradero.Follow{UserID: lawyer.ID, Kind: paradero.FollowWatch, Object: "w1"}, paradero.EFORBIDDEN},
		{nil, paradero.Follow{UserID: lawyer.ID, Kind: paradero.FollowFacility, Object: "EL VALLE"}, paradero.EFORBIDDEN},
		{nil, paradero.Follow{UserID: off.ID, Kind: paradero.FollowWatch, Object: "w1"}, paradero.EFORBIDDEN},
		{nil, paradero.Follow{UserID: 424242, Kind: paradero.FollowWatch, Object: "w1"}, paradero.ENOTFOUND},
		{nil, paradero.Follow{UserID: doc.ID, Kind: paradero.FollowPerson, Object: "x"}, paradero.EINVALID},
		{nil, paradero.Follow{UserID: doc.ID, Kind: paradero.FollowFacility, Object: "el valle"}, paradero.EINVALID},
		{nil, paradero.Follow{UserID: doc.ID, Kind: "flight", Object: "GXT-2"}, paradero.EINVALID},
		{nil, paradero.Follow{Kind: paradero.FollowWatch, Object: "w1"}, paradero.EINVALID},
		{famActor, paradero.Follow{UserID: doc.ID, Kind: paradero.FollowWatch, Object: "w9"}, paradero.EFORBIDDEN},
		{docActor, paradero.Follow{UserID: doc.ID, Kind: paradero.FollowWatch, Object: "w9"}, ""},
		{docActor, paradero.Follow{UserID: doc.ID, Kind: paradero.FollowPerson, Object: "12"}, ""},
	} {
		ctx := adminCtx(t)
		if tc.actor != nil {
			ctx = paradero.NewContextWithActor(t.Context(), *tc.actor)
		}
		f := tc.f
		err := s.CreateFollow(ctx, &f)
		if paradero.ErrorCode(err) != tc.want {
			t.Errorf("CreateFollow(%+v) = %v, want %q", tc.f, err, tc.want)
		}
		if err == nil && (f.ID == 0 || f.CreatedAt.IsZero()) {
			t.Errorf("CreateFollow(%+v) set no id or time: %+v", tc.f, f)
		}
	}
	fos, err := s.FindFollows(adminCtx(t), paradero.FollowFilter{UserID: doc.ID})
	if err != nil || len(fos) != 3 || fos[0].Subject() != "facility:EL VALLE" || fos[1].Subject() != "watch:w9" || fos[2].Subject() != "person:12" {
		t.Fatalf("FindFollows = %v, %v", fos, err)
	}
	famCtx := paradero.NewContextWithActor(t.Context(), *famActor)
	if err := s.DeleteFollow(famCtx, fos[0].ID); paradero.ErrorCode(err) != paradero.EFORBIDDEN {
		t.Errorf("another user deletes a follow: %v", err)
	}
	if err := s.DeleteFollow(paradero.NewContextWithActor(t.Context(), *docActor), fos[1].ID); err != nil {
		t.Errorf("the user deletes their follow: %v", err)
	}
	if err := s.DeleteFollow(adminCtx(t), fos[0].ID); err != nil {
		t.Error(err)
	}
	if err := s.DeleteFollow(adminCtx(t), fos[0].ID); paradero.ErrorCode(err) != paradero.ENOTFOUND {
		t.Errorf("deleting twice: %v", err)
	}
	if fos, _ := s.FindFollows(adminCtx(t), paradero.FollowFilter{UserID: doc.ID}); len(fos) != 1 || fos[0].Subject() != "person:12" {
		t.Errorf("after deletions: %v", fos)
	}
}

func testFindFollows(t *testing.T, h AlertHarness) {
	s := h.Open(t)
	a := alertUser(t, s, "a@example.org", paradero.RoleDocumenter)
	b := alertUser(t, s, "b@example.org", paradero.RoleAdmin)
	follow(t, s, a.ID, "facility:Otero")
	follow(t, s, b.ID, "facility:OTERO")
	follow(t, s, b.ID, "watch:w1")
	follow(t, s, a.ID, "7")
	for _, tc := range []struct {
		f    paradero.FollowFilter
		want []string
	}{
		{paradero.FollowFilter{}, []string{"a facility:OTERO", "b facility:OTERO", "b watch:w1", "a person:7"}},
		{paradero.FollowFilter{UserID: b.ID}, []string{"b facility:OTERO", "b watch:w1"}},
		{paradero.FollowFilter{Kind: paradero.FollowFacility, Object: "OTERO"}, []string{"a facility:OTERO", "b facility:OTERO"}},
		{paradero.FollowFilter{Kind: paradero.FollowPerson}, []string{"a person:7"}},
		{paradero.FollowFilter{Object: "w1"}, []string{"b watch:w1"}},
		{paradero.FollowFilter{UserID: 424242}, nil},
	} {
		fos, err := s.FindFollows(adminCtx(t), tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range fos {
			who := map[int64]string{a.ID: "a", b.ID: "b"}[f.UserID]
			got = append(got, who+" "+f.Subject())
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("FindFollows(%+v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

// testNoticesReachFollowers: a notice is queued once for each user who
// follows one of its subjects — the watch entry, the person, either
// facility — and stored once however often it is replayed.
func testNoticesReachFollowers(t *testing.T, h AlertHarness) {
	s := h.Open(t)
	ctx := adminCtx(t)
	users := map[string]*paradero.User{}
	for _, name := range []string{"person", "watch", "to", "both", "none"} {
		users[name] = alertUser(t, s, name+"@example.org", paradero.RoleDocumenter)
	}
	follow(t, s, users["person"].ID, "person:12")
	follow(t, s, users["watch"].ID, "watch:w1")
	follow(t, s, users["to"].ID, "facility:Otero")
	follow(t, s, users["both"].ID, "facility:El Valle")
	follow(t, s, users["both"].ID, "watch:w1")
	follow(t, s, users["none"].ID, "watch:w2")
	n := transfer("w1", alertT0, "El Valle", "otero")
	n.PersonID = 12
	if q := createNotices(t, s, n); q != 4 || n.ID == 0 {
		t.Fatalf("CreateNotices queued %d (id %d), want 4", q, n.ID)
	}
	again := *n
	again.ID = 0
	other := transfer("w3", alertT0, "Krome", "Krome Annex")
	if q := createNotices(t, s, &again, other); q != 0 || again.ID != n.ID || other.ID == 0 || other.ID == n.ID {
		t.Fatalf("a replayed notice: queued %d, id %d (want %d); an unfollowed one: id %d", q, again.ID, n.ID, other.ID)
	}
	if q, err := s.CreateNotices(ctx, nil); q != 0 || err != nil {
		t.Errorf("CreateNotices(nil) = %d, %v", q, err)
	}
	alerts := fold(t, s, alertT0.Add(time.Minute), "email")
	var got []int64
	for _, a := range alerts {
		got = append(got, a.UserID)
		if len(a.Notices) != 1 || a.ID == 0 || !a.CreatedAt.Equal(alertT0.Add(time.Minute)) {
			t.Errorf("alert %+v: want one notice, an id and the fold's time", a)
		} else if d := cmp.Diff(n, a.Notices[0], noticeCmp...); d != "" {
			t.Errorf("alert's notice differs from the one created (-want +got):\n%s", d)
		}
	}
	want := []int64{users["person"].ID, users["watch"].ID, users["to"].ID, users["both"].ID}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("alerts for users %v, want %v", got, want)
	}
	as, total, err := s.FindAlerts(ctx, paradero.AlertFilter{UserID: users["both"].ID})
	if err != nil || total != 1 || len(as) != 1 || len(as[0].Notices) != 1 || as[0].Notices[0].ID != n.ID {
		t.Errorf("FindAlerts = %+v, %d, %v", as, total, err)
	}
	if as, total, err := s.FindAlerts(ctx, paradero.AlertFilter{UserID: users["none"].ID}); err != nil || total != 0 || len(as) != 0 {
		t.Errorf("FindAlerts of a user told nothing = %+v, %d, %v", as, total, err)
	}
}

// testNoticesReachCaseFollowers: a notice about a person reaches the
// followers of every case that concerns the person through one of its
// records, each user once, and only while they may see the case: who
// manages cases, or a lawyer assigned to it.
func testNoticesReachCaseFollowers(t *testing.T, h AlertHarness) {
	s := h.Open(t)
	cs, ok := s.(CaseStore)
	if !ok {
		t.Skip("the store keeps no cases")
	}
	f := newCaseFixture(t, cs)
	r := f.recs
	// Case a concerns the person {r0 r1 r2} through r1, and b the same
	// person through r2 and the person {r3 r4} through r3.
	a := f.newCase(t, paradero.CaseHabeas, "Habeas", r[1])
	b := f.newCase(t, paradero.CaseRemoval, "Removal", r[2], r[3])
	for _, as := range []struct{ c, u int64 }{{a.ID, f.lawyers[0].ID}, {b.ID, f.lawyers[0].ID}} {
		if err := cs.AssignCaseLawyer(f.ctx, as.c, as.u); err != nil {
			t.Fatal(err)
		}
	}
	caseOf := func(c *paradero.Case) string { return fmt.Sprintf("case:%d", c.ID) }
	// The documenter follows the person and both cases; the first lawyer
	// both cases; the second lawyer, assigned to neither, case a.
	follow(t, s, f.doc.ID, fmt.Sprintf("person:%d", f.personOf[r[0]]))
	follow(t, s, f.doc.ID, caseOf(a))
	follow(t, s, f.doc.ID, caseOf(b))
	follow(t, s, f.lawyers[0].ID, caseOf(a))
	follow(t, s, f.lawyers[0].ID, caseOf(b))
	follow(t, s, f.lawyers[1].ID, caseOf(a))
	// The second lawyer also follows the person of case a directly: while
	// assigned to no case of that person, they may not see it, and hear
	// nothing of it either way.
	follow(t, s, f.lawyers[1].ID, fmt.Sprintf("person:%d", f.personOf[r[0]]))

	gone := &paradero.Notice{Kind: paradero.AlertDisappearance, Change: "gone", At: alertT0, Locator: "ice-sim", WatchKey: "w0",
		PersonID: f.personOf[r[0]], From: "EL VALLE", Detail: "not found 3 of 3 attempts"}
	moved := transfer("w3", alertT0, "OTERO", "KROME")
	moved.PersonID = f.personOf[r[3]]
	alone := transfer("w5", alertT0, "OTERO", "KROME") // the person {r5}: in no case
	alone.PersonID = f.personOf[r[5]]
	if q := createNotices(t, s, gone, moved, alone); q != 4 {
		t.Errorf("CreateNotices queued %d, want 4: gone to the documenter and the first lawyer, moved to both of them", q)
	}
	got := map[int64][]int64{}
	for _, al := range fold(t, s, alertT0.Add(time.Minute), "email") {
		for _, n := range al.Notices {
			got[al.UserID] = append(got[al.UserID], n.ID)
		}
	}
	want := map[int64][]int64{f.doc.ID: {gone.ID, moved.ID}, f.lawyers[0].ID: {gone.ID, moved.ID}}
	for _, ids := range got {
		slices.Sort(ids)
	}
	for _, ids := range want {
		slices.Sort(ids)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("notices per user (-want +got):\n%s", d)
	}
}

// testDigest: what comes while a user's last alert is recent waits, and
// then reaches them as one alert, one delivery per channel.
func testDigest(t *testing.T, h AlertHarness) {
	s := h.Open(t)
	ctx := adminCtx(t)
	u := alertUser(t, s, "doc@example.org", paradero.RoleDocumenter)
	follow(t, s, u.ID, "watch:w1")
	n1 := transfer("w1", alertT0, "EL VALLE", "OTERO")
	createNotices(t, s, n1)
	first := fold(t, s, alertT0, "email", "webhook:hub")
	if len(first) != 1 || len(first[0].Notices) != 1 {
		t.Fatalf("first fold = %+v", first)
	}
	n3 := &paradero.Notice{Kind: paradero.AlertDisappearance, Change: "gone", At: alertT0.Add(20 * time.Minute), Locator: "ice-sim", WatchKey: "w1",
		From: "KROME", Detail: "not found 3 of 3 attempts"}
	n2 := transfer("w1", alertT0.Add(10*time.Minute), "OTERO", "KROME")
	createNotices(t, s, n3, n2)
	if as := fold(t, s, alertT0.Add(30*time.Minute), "email", "webhook:hub"); len(as) != 0 {
		t.Fatalf("fold within the window made %d alerts, want none", len(as))
	}
	digest := fold(t, s, alertT0.Add(time.Hour), "email", "webhook:hub")
	if len(digest) != 1 || len(digest[0].Notices) != 2 || digest[0].Notices[0].ID != n2.ID || digest[0].Notices[1].ID != n3.ID {
		t.Fatalf("digest = %+v, want notices %d and %d in time order", digest, n2.ID, n3.ID)
	}
	if as := fold(t, s, alertT0.Add(5*time.Hour), "email"); len(as) != 0 {
		t.Errorf("a fold with nothing queued made %d alerts", len(as))
	}
	as, total, err := s.FindAlerts(ctx, paradero.AlertFilter{UserID: u.ID})
	if err != nil || total != 2 || len(as) != 2 || as[0].ID != digest[0].ID || as[1].ID != first[0].ID || len(as[0].Notices) != 2 {
		t.Fatalf("FindAlerts = %+v, %d, %v; want the digest, then the first alert", as, total, err)
	}
	if as, total, _ := s.FindAlerts(ctx, paradero.AlertFilter{UserID: u.ID, Offset: 1, Limit: 1}); total != 2 || len(as) != 1 || as[0].ID != first[0].ID {
		t.Errorf("second page = %+v, total %d", as, total)
	}
	ds := claim(t, s, alertT0.Add(time.Hour), 10)
	var chans []string
	keys := map[string]bool{}
	for _, d := range ds {
		chans = append(chans, fmt.Sprint(d.Alert.ID == first[0].ID, " ", d.Channel))
		keys[d.IdempotencyKey] = true
		if d.Alert.UserID != u.ID || d.Attempts != 0 || len(d.IdempotencyKey) < 16 {
			t.Errorf("delivery %+v", d)
		}
		if d.Alert.ID == digest[0].ID && len(d.Alert.Notices) != 2 {
			t.Errorf("the digest's delivery carries %d notices, want 2", len(d.Alert.Notices))
		}
	}
	slices.Sort(chans)
	if want := []string{"false email", "false webhook:hub", "true email", "true webhook:hub"}; !slices.Equal(chans, want) || len(keys) != 4 {
		t.Errorf("deliveries %q with %d keys, want %q with distinct keys", chans, len(keys), want)
	}
}

// testOutboxSurvivesRestart: an unsent delivery — never claimed, or
// claimed by a run that crashed — is sent after reopening, with the same
// idempotency key.
func testOutboxSurvivesRestart(t *testing.T, h AlertHarness) {
	s := h.Open(t)
	doc := alertUser(t, s, "doc@example.org", paradero.RoleDocumenter)
	follow(t, s, doc.ID, "facility:OTERO")
	createNotices(t, s, transfer("w1", alertT0, "EL VALLE", "otero"))
	if alerts := fold(t, s, alertT0, "email", "webhook:hub"); len(alerts) != 1 {
		t.Fatalf("FoldAlerts = %+v", alerts)
	}
	claimed := claim(t, s, alertT0, 1)
	if len(claimed) != 1 {
		t.Fatalf("claimed %d", len(claimed))
	}
	s = h.Reopen(t, s) // a crash: one delivery claimed and not sent, one never claimed

	ds := claim(t, s, alertT0.Add(30*time.Second), 10)
	if len(ds) != 1 || ds[0].ID == claimed[0].ID {
		t.Fatalf("during the lease: %d due, want only the unclaimed one", len(ds))
	}
	if err := s.CompleteDelivery(adminCtx(t), ds[0].ID, alertT0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	ds = claim(t, s, alertT0.Add(2*time.Minute), 10)
	if len(ds) != 1 || ds[0].ID != claimed[0].ID || ds[0].IdempotencyKey != claimed[0].IdempotencyKey || ds[0].Attempts != 1 || ds[0].Channel != claimed[0].Channel {
		t.Fatalf("after the lease: %+v; want the crashed delivery again, same key, one attempt made", ds)
	}
	if err := s.CompleteDelivery(adminCtx(t), ds[0].ID, alertT0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if ds := claim(t, s, alertT0.Add(time.Hour), 10); len(ds) != 0 {
		t.Fatalf("an hour later: %d due, want none: both sent", len(ds))
	}
	if as, total, err := s.FindAlerts(adminCtx(t), paradero.AlertFilter{UserID: doc.ID}); err != nil || total != 1 || len(as[0].Notices) != 1 {
		t.Errorf("after the restart the alert is listed: %+v, %d, %v", as, total, err)
	}
}

// testRetryAndGiveUp: a failed delivery is due again when asked, counts
// its attempts, and one given up is never claimed again.
func testRetryAndGiveUp(t *testing.T, h AlertHarness) {
	s := h.Open(t)
	ctx := adminCtx(t)
	doc := alertUser(t, s, "doc@example.org", paradero.RoleDocumenter)
	follow(t, s, doc.ID, "watch:w1")
	createNotices(t, s, transfer("w1", alertT0, "A", "B"))
	fold(t, s, alertT0, "email", "webhook:hub")
	ds := claim(t, s, alertT0, 10)
	if len(ds) != 2 {
		t.Fatalf("claimed %d, want 2", len(ds))
	}
	byChan := map[string]*paradero.Delivery{}
	for _, d := range ds {
		byChan[d.Channel] = d
	}
	if err := s.RetryDelivery(ctx, byChan["email"].ID, alertT0.Add(5*time.Minute), "smtp 451"); err != nil {
		t.Fatal(err)
	}
	if err := s.RetryDelivery(ctx, byChan["webhook:hub"].ID, time.Time{}, "http 410"); err != nil {
		t.Fatal(err)
	}
	if ds := claim(t, s, alertT0.Add(2*time.Minute), 10); len(ds) != 0 {
		t.Errorf("before the retry is due: %d claimed", len(ds))
	}
	for i := range 3 {
		at := alertT0.Add(5*time.Minute + time.Duration(i)*time.Hour)
		ds = claim(t, s, at, 10)
		if len(ds) != 1 || ds[0].Channel != "email" || ds[0].Attempts != i+1 || ds[0].IdempotencyKey != byChan["email"].IdempotencyKey {
			t.Fatalf("retry %d: %+v; want the e-mail, %d attempts made, same key", i, ds, i+1)
		}
		if err := s.RetryDelivery(ctx, ds[0].ID, at.Add(time.Hour), "smtp 451 greylisted "+strings.Repeat("ñ", 300)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CompleteDelivery(ctx, ds[0].ID, alertT0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ds := claim(t, s, alertT0.Add(48*time.Hour), 10); len(ds) != 0 {
		t.Errorf("after sending and giving up: %d claimed", len(ds))
	}
	if err := s.CompleteDelivery(ctx, 424242, alertT0); paradero.ErrorCode(err) != paradero.ENOTFOUND {
		t.Errorf("CompleteDelivery of nothing: %v", err)
	}
	if err := s.RetryDelivery(ctx, 424242, time.Time{}, "x"); paradero.ErrorCode(err) != paradero.ENOTFOUND {
		t.Errorf("RetryDelivery of nothing: %v", err)
	}
}

// testConcurrentClaims: senders claiming at once (several servers) never
// get the same delivery within its lease.
func testConcurrentClaims(t *testing.T, h AlertHarness) {
	s := h.Open(t)
	const users = 20
	for i := range users {
		u := alertUser(t, s, fmt.Sprintf("u%d@example.org", i), paradero.RoleDocumenter)
		follow(t, s, u.ID, "facility:OTERO")
	}
	createNotices(t, s, transfer("w1", alertT0, "EL VALLE", "OTERO"))
	if as := fold(t, s, alertT0, "email"); len(as) != users {
		t.Fatalf("%d alerts, want %d", len(as), users)
	}
	var (
		mu   sync.Mutex
		got  []int64
		wg   sync.WaitGroup
		errs = make([]error, 4)
	)
	for g := range errs {
		wg.Go(func() {
			for {
				ds, err := s.ClaimDeliveries(adminCtx(t), alertT0, time.Minute, 3)
				if err != nil || len(ds) == 0 {
					errs[g] = err
					return
				}
				mu.Lock()
				for _, d := range ds {
					got = append(got, d.ID)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if len(got) != users || len(slices.Compact(got)) != users {
		t.Errorf("claimed %v: want each of %d deliveries once", got, users)
	}
}

// testConcurrentFolds: folds run at once (several servers) put each
// queued notice in exactly one alert.
func testConcurrentFolds(t *testing.T, h AlertHarness) {
	s := h.Open(t)
	const users = 10
	for i := range users {
		u := alertUser(t, s, fmt.Sprintf("u%d@example.org", i), paradero.RoleDocumenter)
		follow(t, s, u.ID, "watch:w1")
	}
	for i := range 5 {
		createNotices(t, s, transfer("w1", alertT0.Add(time.Duration(i)*time.Minute), "A", "B"))
	}
	var (
		wg     sync.WaitGroup
		alerts = make([][]*paradero.Alert, 4)
		errs   = make([]error, 4)
	)
	for g := range alerts {
		wg.Go(func() {
			alerts[g], errs[g] = s.FoldAlerts(adminCtx(t), alertT0.Add(time.Hour), time.Hour, []string{"email"})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	perUser := map[int64]int{}
	for _, as := range alerts {
		for _, a := range as {
			perUser[a.UserID]++
			if len(a.Notices) != 5 {
				t.Errorf("alert for user %d holds %d notices, want all 5", a.UserID, len(a.Notices))
			}
		}
	}
	if len(perUser) != users {
		t.Errorf("alerts reached %d users, want %d", len(perUser), users)
	}
	for u, n := range perUser {
		if n != 1 {
			t.Errorf("user %d got %d alerts, want 1", u, n)
		}
	}
	if ds := claim(t, s, alertT0.Add(time.Hour), 100); len(ds) != users {
		t.Errorf("%d deliveries, want one per user: %d", len(ds), users)
	}
}

// testQueueDropped: a user demoted or disabled since they followed is
// told nothing more; their queue is dropped, not delivered.
func testQueueDropped(t *testing.T, h AlertHarness) {
	s := h.Open(t)
	ctx := adminCtx(t)
	demoted := alertUser(t, s, "demoted@example.org", paradero.RoleDocumenter)
	disabled := alertUser(t, s, "disabled@example.org", paradero.RoleAdmin)
	kept := alertUser(t, s, "kept@example.org", paradero.RoleDocumenter)
	for _, u := range []*paradero.User{demoted, disabled, kept} {
		follow(t, s, u.ID, "watch:w1")
	}
	createNotices(t, s, transfer("w1", alertT0, "A", "B"))
	if _, err := s.UpdateUser(ctx, demoted.ID, paradero.UserUpdate{Role: new(paradero.RoleFamily)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateUser(ctx, disabled.ID, paradero.UserUpdate{Disabled: new(true)}); err != nil {
		t.Fatal(err)
	}
	as := fold(t, s, alertT0.Add(time.Hour), "email")
	if len(as) != 1 || as[0].UserID != kept.ID {
		t.Fatalf("FoldAlerts = %+v, want one alert, for the user who may still follow", as)
	}
	// Restored, they hear of what comes next, not of what was dropped.
	if _, err := s.UpdateUser(ctx, disabled.ID, paradero.UserUpdate{Disabled: new(false)}); err != nil {
		t.Fatal(err)
	}
	n2 := transfer("w1", alertT0.Add(2*time.Hour), "B", "C")
	createNotices(t, s, n2)
	as = fold(t, s, alertT0.Add(4*time.Hour), "email")
	var forDisabled *paradero.Alert
	for _, a := range as {
		if a.UserID == disabled.ID {
			forDisabled = a
		}
	}
	if forDisabled == nil || len(forDisabled.Notices) != 1 || forDisabled.Notices[0].ID != n2.ID {
		t.Errorf("after re-enabling: %+v, want only the new notice", forDisabled)
	}
	if _, total, _ := s.FindAlerts(ctx, paradero.AlertFilter{UserID: demoted.ID}); total != 0 {
		t.Errorf("the demoted user has %d alerts", total)
	}
}

// testUnfollowKeepsQueue: what was queued before an unfollow is still
// told; what comes after is not.
func testUnfollowKeepsQueue(t *testing.T, h AlertHarness) {
	s := h.Open(t)
	u := alertUser(t, s, "doc@example.org", paradero.RoleDocumenter)
	f := follow(t, s, u.ID, "watch:w1")
	n1 := transfer("w1", alertT0, "A", "B")
	createNotices(t, s, n1)
	if err := s.DeleteFollow(adminCtx(t), f.ID); err != nil {
		t.Fatal(err)
	}
	if q := createNotices(t, s, transfer("w1", alertT0.Add(time.Minute), "B", "C")); q != 0 {
		t.Errorf("after unfollowing, a notice was queued %d times", q)
	}
	as := fold(t, s, alertT0.Add(time.Hour), "email")
	if len(as) != 1 || len(as[0].Notices) != 1 || as[0].Notices[0].ID != n1.ID {
		t.Errorf("FoldAlerts = %+v, want the notice queued before unfollowing", as)
	}
}
