package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/watch"
)

// TestLawyerFollowsTheirCase: a lawyer follows their case from its page
// and the person it concerns from hers; a disappearance the watch raises
// about her reaches the lawyer in the app once, though they follow both.
// Someone else's case, or a person outside their cases, answers exactly
// as something that does not exist; family members follow no case.
func TestLawyerFollowsTheirCase(t *testing.T) {
	w := newWorld(t)
	cw := w.withCases()
	lawyer := w.client()
	lawyer.login(paradero.RoleLawyer)
	casePath := path("/cases/%d", cw.mine.ID)

	page := parse(t, lawyer.get(casePath).body)
	form := byID(page, "follow")
	if byID(page, "follow-button") == nil || byID(page, "following") != nil ||
		len(withAttr(form, "value", fmt.Sprintf("case:%d", cw.mine.ID))) != 1 {
		t.Fatalf("case page: want a follow button posting case:%d and no 'following'", cw.mine.ID)
	}
	if r := lawyer.post("/follows", url.Values{"target": {fmt.Sprintf("case:%d", cw.mine.ID)}}); r.status != http.StatusSeeOther {
		t.Fatalf("lawyer following their case: status %d", r.status)
	}
	page = parse(t, lawyer.get(casePath).body)
	if byID(page, "following") == nil || byID(page, "unfollow") == nil || byID(page, "follow-button") != nil {
		t.Errorf("case page after following: want 'following' and a stop button")
	}
	if rows := withAttr(parse(t, lawyer.get("/follows").body), "data-kind", "case"); len(rows) != 1 {
		t.Errorf("follows page lists %d case follows, want 1", len(rows))
	}

	// Someone else's case answers as a missing one, byte for byte but for
	// the target the form shows again.
	missing := lawyer.post("/follows", url.Values{"target": {"case:999999"}})
	other := lawyer.post("/follows", url.Values{"target": {fmt.Sprintf("case:%d", cw.other.ID)}})
	if other.status != http.StatusNotFound || missing.status != http.StatusNotFound ||
		strings.ReplaceAll(other.body, fmt.Sprintf("case:%d", cw.other.ID), "case:999999") != missing.body {
		t.Errorf("lawyer following another's case: status %d, missing %d; bodies equal: %v; want 404 and equal",
			other.status, missing.status, strings.ReplaceAll(other.body, fmt.Sprintf("case:%d", cw.other.ID), "case:999999") == missing.body)
	}
	if r := lawyer.post(path("/persons/%d/follow", cw.jose), nil); r.status != http.StatusNotFound {
		t.Errorf("lawyer following a person outside their cases: status %d, want 404", r.status)
	}
	for _, role := range []paradero.Role{paradero.RoleFamily, paradero.RolePublic} {
		if _, ok := w.users[role]; !ok {
			continue
		}
		c := w.client()
		c.login(role)
		if r := c.post("/follows", url.Values{"target": {fmt.Sprintf("case:%d", cw.mine.ID)}}); r.status != http.StatusNotFound {
			t.Errorf("%s following a case: status %d, want 404", role, r.status)
		}
	}

	// The watch sees María gone, and José moved: the lawyer, who follows
	// only the case, hears of María alone.
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	at := time.Date(2025, 3, 17, 6, 0, 0, 0, time.UTC)
	persons := map[string]int64{"w3": cw.maria, "w0": cw.jose}
	mine := watchRound(t, w, ctx, persons, at.Add(-time.Hour), watch.Change{Key: "w3", Kind: watch.Gone, From: "EL VALLE", At: at, Misses: 3, Attempts: 3},
		watch.Change{Key: "w0", Kind: watch.Moved, From: "EL VALLE", To: "OTERO", At: at})
	if mine == nil || len(mine.Notices) != 1 || mine.Notices[0].PersonID != cw.maria {
		t.Fatalf("lawyer's alert = %+v, want one notice about María (person %d)", mine, cw.maria)
	}
	page = parse(t, lawyer.get("/alerts").body)
	items := withAttr(page, "data-alert", fmt.Sprint(mine.ID))
	if len(items) != 1 || len(withAttr(items[0], "data-change", "gone")) != 1 ||
		len(withAttr(items[0], "href", path("/persons/%d", cw.maria))) != 1 || len(withAttr(page, "data-change", "moved")) != 0 {
		t.Errorf("lawyer's alerts page: want María's disappearance alone, linking to her page")
	}

	// The lawyer follows María too, from her page; her reappearance
	// reaches them once.
	if r := lawyer.post(path("/persons/%d/follow", cw.maria), nil); r.status != http.StatusSeeOther {
		t.Errorf("lawyer following the person of their case: status %d, want 303", r.status)
	}
	if page := parse(t, lawyer.get(path("/persons/%d", cw.maria)).body); byID(page, "following") == nil {
		t.Errorf("María's page: the lawyer does not follow her")
	}
	fs, err := w.db.FindFollows(t.Context(), paradero.FollowFilter{UserID: w.users[paradero.RoleLawyer].ID})
	if err != nil || len(fs) != 2 {
		t.Fatalf("lawyer's follows = %v, %v; want their case and María", fs, err)
	}
	again := watchRound(t, w, ctx, persons, at.Add(time.Hour), watch.Change{Key: "w3", Kind: watch.Reappeared, To: "OTERO", At: at.Add(time.Hour)})
	if again == nil || len(again.Notices) != 1 || again.Notices[0].Kind != paradero.AlertReappearance {
		t.Fatalf("lawyer's second alert = %+v, want María's reappearance once", again)
	}
}

// watchRound turns a round's changes into notices as the watch does,
// folds them at now, and returns the lawyer's alert (nil if none).
func watchRound(t *testing.T, w *world, ctx context.Context, persons map[string]int64, now time.Time, cs ...watch.Change) *paradero.Alert {
	t.Helper()
	if _, err := w.db.CreateNotices(ctx, watch.Notices(&watch.Report{Locator: "ice-sim", Changes: cs}, persons)); err != nil {
		t.Fatal(err)
	}
	alerts, err := w.db.FoldAlerts(ctx, now, time.Minute, []string{"email"})
	if err != nil {
		t.Fatal(err)
	}
	var mine *paradero.Alert
	for _, a := range alerts {
		if a.UserID == w.users[paradero.RoleLawyer].ID {
			if mine != nil {
				t.Fatalf("the lawyer got two alerts")
			}
			mine = a
		}
	}
	return mine
}
