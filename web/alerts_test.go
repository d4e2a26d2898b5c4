package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/watch"
	"golang.org/x/net/html"
)

// withAttr returns the elements under root with attribute key = val.
func withAttr(root *html.Node, key, val string) []*html.Node {
	var out []*html.Node
	walk(root, func(n *html.Node) {
		if n.Type == html.ElementNode && attr(n, key) == val {
			out = append(out, n)
		}
	})
	return out
}

func hasClass(n *html.Node, class string) bool {
	return slices.Contains(strings.Fields(attr(n, "class")), class)
}

// Following a person from its page, listing and stopping follows; only
// one's own follows, only what one may see.
func TestFollowPerson(t *testing.T) {
	w := newWorld(t)
	w.linked()
	id := w.personOf(w.records[0])
	path := fmt.Sprintf("/persons/%d", id)
	doc := w.client()
	doc.login(paradero.RoleDocumenter)

	page := parse(t, doc.get(path).body)
	if byID(page, "follow-button") == nil || byID(page, "following") != nil {
		t.Fatalf("person page: want a follow button and no 'following'")
	}
	if r := doc.post(path+"/follow", nil); r.status != http.StatusSeeOther {
		t.Fatalf("follow: status %d", r.status)
	}
	page = parse(t, doc.get(path).body)
	if byID(page, "following") == nil || byID(page, "unfollow") == nil || byID(page, "follow-button") != nil {
		t.Errorf("after following: want 'following' and an unfollow button")
	}
	// Following twice changes nothing.
	doc.post(path+"/follow", nil)
	fs, err := w.db.FindFollows(t.Context(), paradero.FollowFilter{UserID: w.users[paradero.RoleDocumenter].ID})
	if err != nil || len(fs) != 1 || fs[0].Subject() != fmt.Sprintf("person:%d", id) {
		t.Fatalf("follows = %+v, %v; want one of person %d", fs, err, id)
	}
	list := parse(t, doc.get("/follows").body)
	rows := withAttr(list, "data-kind", "person")
	if len(rows) != 1 || len(withAttr(rows[0], "href", path)) != 1 {
		t.Errorf("follows page: %d person rows, want one linking to %s", len(rows), path)
	}
	if got := w.auditOf(paradero.RoleDocumenter); !slices.Contains(got, fmt.Sprintf("follow.create follow:%d", fs[0].ID)) {
		t.Errorf("audit %q lacks the follow", got)
	}

	// Someone else's follow answers as if it did not exist, even to an admin.
	admin := w.client()
	admin.login(paradero.RoleAdmin)
	if r := admin.post(fmt.Sprintf("/follows/%d/delete", fs[0].ID), nil); r.status != http.StatusNotFound {
		t.Errorf("admin deleting another's follow: status %d, want 404", r.status)
	}
	if list := parse(t, admin.get("/follows").body); byID(list, "follows") != nil || byID(list, "follows-empty") == nil {
		t.Errorf("admin's follows page shows someone's follows")
	}
	// A lawyer may not see the person, so may not follow it.
	lawyer := w.client()
	lawyer.login(paradero.RoleLawyer)
	if r := lawyer.post(path+"/follow", nil); r.status != http.StatusNotFound {
		t.Errorf("lawyer following: status %d, want 404", r.status)
	}
	if r := lawyer.post("/follows", url.Values{"target": {"facility:EL VALLE"}}); r.status != http.StatusNotFound {
		t.Errorf("lawyer following a facility: status %d, want 404", r.status)
	}

	// Follow a facility by name; a bad name and a repeat say why.
	for _, tc := range []struct {
		target string
		status int
		errID  bool
	}{
		{"facility:el valle", http.StatusSeeOther, false},
		{"facility:EL  VALLE", http.StatusConflict, true},
		{"planet:Mars", http.StatusBadRequest, true},
		{"99999", http.StatusNotFound, true},
	} {
		r := doc.post("/follows", url.Values{"target": {tc.target}})
		if r.status != tc.status || (byID(parse(t, r.body), "target-error") != nil) != tc.errID {
			t.Errorf("follow %q: status %d, want %d (error shown: want %v)", tc.target, r.status, tc.status, tc.errID)
		}
	}
	if rows := withAttr(parse(t, doc.get("/follows").body), "data-kind", "facility"); len(rows) != 1 || !strings.Contains(text(rows[0]), "EL VALLE") {
		t.Errorf("facility follow not listed")
	}

	if r := doc.post(path+"/unfollow", nil); r.status != http.StatusSeeOther {
		t.Fatalf("unfollow: status %d", r.status)
	}
	if page := parse(t, doc.get(path).body); byID(page, "following") != nil || byID(page, "follow-button") == nil {
		t.Errorf("after unfollowing: still following")
	}
	if got := w.auditOf(paradero.RoleDocumenter); !slices.Contains(got, fmt.Sprintf("follow.delete follow:%d", fs[0].ID)) {
		t.Errorf("audit %q lacks the unfollow", got)
	}
}

// A disappearance reaches a follower in the app: listed unread, marked
// read (an audit entry), on the dashboard; nobody else sees it.
func TestAlertsPage(t *testing.T) {
	w := newWorld(t)
	w.linked()
	id := w.personOf(w.records[0])
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	me := w.users[paradero.RoleDocumenter]
	if err := w.db.CreateFollow(ctx, &paradero.Follow{UserID: me.ID, Kind: paradero.FollowPerson, Object: fmt.Sprint(id)}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 17, 6, 0, 0, 0, time.UTC)
	if _, err := w.db.CreateNotices(ctx, []*paradero.Notice{{Kind: paradero.AlertDisappearance, Change: "gone", At: at,
		Locator: "ice-sim", WatchKey: "w7", PersonID: id, From: "EL VALLE", SourceID: w.source.ID, Detail: "not found 3 of 4 attempts"}}); err != nil {
		t.Fatal(err)
	}
	alerts, err := w.db.FoldAlerts(ctx, time.Now(), time.Minute, nil)
	if err != nil || len(alerts) != 1 {
		t.Fatalf("fold: %d alerts, %v", len(alerts), err)
	}

	doc := w.client()
	doc.login(paradero.RoleDocumenter)
	page := parse(t, doc.get("/alerts").body)
	items := withAttr(page, "data-alert", fmt.Sprint(alerts[0].ID))
	if len(items) != 1 || !hasClass(items[0], "unread") {
		t.Fatalf("alerts page: want the alert, unread")
	}
	notice := withAttr(items[0], "data-change", "gone")
	if len(notice) != 1 || len(withAttr(notice[0], "href", fmt.Sprintf("/persons/%d", id))) != 1 ||
		!strings.Contains(text(notice[0]), "EL VALLE") || !strings.Contains(text(notice[0]), "no encontrado en 3 de 4 intentos") {
		t.Errorf("notice = %q, want the disappearance from EL VALLE, in Spanish, linking to the person", text(notice[0]))
	}
	if got := text(byID(page, "alerts-unread")); got != "1 sin leer" {
		t.Errorf("unread = %q", got)
	}
	dash := parse(t, doc.get("/").body)
	if recent := byID(dash, "recent-alerts"); recent == nil || len(withAttr(recent, "data-alert", fmt.Sprint(alerts[0].ID))) != 1 {
		t.Errorf("dashboard lacks the recent alert")
	}

	// Someone else reads nothing of it, and cannot mark it read.
	admin := w.client()
	admin.login(paradero.RoleAdmin)
	if page := parse(t, admin.get("/alerts").body); byID(page, "alerts") != nil || byID(page, "alerts-empty") == nil {
		t.Errorf("admin sees another's alerts")
	}
	if r := admin.post("/alerts/read", url.Values{"upto": {fmt.Sprint(alerts[0].ID)}}); r.status != http.StatusNotFound {
		t.Errorf("admin marking another's alert: status %d, want 404", r.status)
	}

	if r := doc.post("/alerts/read", url.Values{"upto": {fmt.Sprint(alerts[0].ID)}}); r.status != http.StatusSeeOther {
		t.Fatalf("mark read: status %d", r.status)
	}
	page = parse(t, doc.get("/alerts").body)
	if items := withAttr(page, "data-alert", fmt.Sprint(alerts[0].ID)); len(items) != 1 || hasClass(items[0], "unread") || byID(page, "mark-read") != nil {
		t.Errorf("after marking read: still unread")
	}
	if got := w.auditOf(paradero.RoleDocumenter); !slices.Contains(got, fmt.Sprintf("alert.read alert:%d", alerts[0].ID)) {
		t.Errorf("audit %q lacks alert.read", got)
	}
}

// The dashboard says when a locator is unhealthy, and the person page
// shows what each locator last said of the person, with the locator's
// health, and the due-process facts with their sources.
func TestLocatorHealthAndPersonWatch(t *testing.T) {
	w := newWorld(t)
	recs := w.linked()
	ctx := paradero.NewContextWithActor(t.Context(), paradero.Actor{Name: "cli:test", Role: paradero.RoleAdmin})
	at := time.Date(2025, 3, 17, 6, 0, 0, 0, time.UTC)
	sg, err := w.db.RecordSnapshot(ctx, &paradero.Snapshot{Locator: "ice-sim", Key: "w7", ObservedAt: at, Body: []byte("page: EL VALLE"),
		Source: paradero.Source{Kind: paradero.KindLocatorSnapshot, Title: "ice-sim answer", Published: paradero.PartialDate{Year: 2025, Month: 3, Day: 17},
			Filename: "ice-sim.txt", MediaType: "text/plain"},
		Records: []*paradero.Record{{ANumber: "123456789", Status: "in custody", Facility: "EL VALLE",
			EventDate: paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 17}}}}})
	if err != nil {
		t.Fatal(err)
	}
	snapRecs, _, err := w.db.FindRecords(ctx, paradero.RecordFilter{SourceID: sg.SourceID})
	if err != nil || len(snapRecs) != 1 {
		t.Fatalf("snapshot records: %v", err)
	}
	// Link the answer to José.
	clusters := [][]int64{{w.records[0].ID, recs[0].ID, snapRecs[0].ID}}
	for _, r := range append(w.records[1:], recs[1]) {
		clusters = append(clusters, []int64{r.ID})
	}
	if err := w.db.SaveLinkRun(ctx, &paradero.LinkRun{CreatedBy: "cli:test", Settings: []byte("{}")}, clusters, nil); err != nil {
		t.Fatal(err)
	}
	id := w.personOf(w.records[0])
	rep := &watch.Report{Locator: "ice-sim", Round: 9, At: at, UnhealthySince: at.Add(-time.Hour),
		Health: watch.Health{Cause: watch.CauseMassDrop, Answers: 300, NotFound: 300, WasFound: 300, Dropped: 300}}
	if err := watch.SaveHealth(ctx, w.db, rep); err != nil {
		t.Fatal(err)
	}

	doc := w.client()
	doc.login(paradero.RoleDocumenter)
	dash := parse(t, doc.get("/").body)
	row := withAttr(dash, "data-locator", "ice-sim")
	if len(row) != 1 || !hasClass(row[0], "unhealthy") || !strings.Contains(text(row[0]), "CON FALLAS") ||
		!strings.Contains(text(row[0]), "300 de las 300 personas") {
		t.Errorf("dashboard locator row = %q, want ice-sim unhealthy, saying why", text(row[0]))
	}
	page := parse(t, doc.get(fmt.Sprintf("/persons/%d", id)).body)
	wrow := withAttr(byID(page, "watch"), "data-locator", "ice-sim")
	if len(wrow) != 1 || !strings.Contains(text(wrow[0]), "EL VALLE") || !strings.Contains(text(wrow[0]), "CON FALLAS") ||
		len(withAttr(wrow[0], "href", fmt.Sprintf("/sources/%d", sg.SourceID))) != 1 {
		t.Errorf("person watch row = %q, want ice-sim's answer with its source and health", text(wrow[0]))
	}
	// Due process: the habeas filing makes José a petitioner; nothing
	// speaks of a lawyer.
	facts := byID(page, "facts")
	habeas := withAttr(facts, "data-fact", string(paradero.FactHabeasPetition))
	if len(habeas) != 1 || len(withAttr(habeas[0], "href", fmt.Sprintf("/records/%d", recs[0].ID))) != 1 {
		t.Errorf("habeas fact = %q, want it with the filing's record", text(habeas[0]))
	}
	lawyer := withAttr(facts, "data-fact", string(paradero.FactLawyerContact))
	if len(lawyer) != 1 || !strings.Contains(text(lawyer[0]), "Ninguna fuente lo dice") {
		t.Errorf("lawyer contact = %q, want 'no source says'", text(lawyer[0]))
	}
}
