package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/watch"
)

// The alerts page lists what the user's follows brought them, newest
// first: each alert is one notice or a digest of several (package alert
// folds them), and a notice says what changed — never who: it carries
// ids, a watch key and facility names, and the person's page, which checks
// access and audits the read, says who it is about. Alerts newer than the
// last one the user marked read are unread; marking them read is an audit
// entry (alert.read of the newest alert shown), so the audit log, which
// every store keeps, is where read state lives.

// noticeView is a notice as the pages show it.
type noticeView struct {
	Kind     paradero.AlertKind
	Change   string
	At       time.Time
	Locator  string
	WatchKey string
	PersonID int64
	From, To string
	SourceID int64
	// Detail is the notice's detail in the page's language when it is a
	// form the pages know ("not found 3 of 5 attempts"); Raw is set, and
	// shown as English, otherwise.
	Detail, Raw string
}

type alertView struct {
	ID        int64
	CreatedAt time.Time
	Unread    bool
	Digest    bool
	Notices   []noticeView
}

type alertsData struct {
	Available bool // the store keeps alerts
	Alerts    []alertView
	Pager     pager
	Unread    int
	Newest    int64 // the newest alert shown, marked read by the form
	Read      bool  // the user just marked them read
}

func noticeOf(p Printer, n *paradero.Notice) noticeView {
	v := noticeView{Kind: n.Kind, Change: n.Change, At: n.At, Locator: n.Locator, WatchKey: n.WatchKey,
		PersonID: n.PersonID, From: n.From, To: n.To, SourceID: n.SourceID}
	var misses, attempts int
	if _, err := fmt.Sscanf(n.Detail, "not found %d of %d attempts", &misses, &attempts); err == nil &&
		n.Detail == fmt.Sprintf("not found %d of %d attempts", misses, attempts) {
		v.Detail = p.T("alerts.detail.not-found", p.Num(misses), p.Num(attempts))
	} else {
		v.Raw = n.Detail
	}
	return v
}

func alertViews(p Printer, as []*paradero.Alert, readUpTo int64) []alertView {
	out := make([]alertView, len(as))
	for i, a := range as {
		v := alertView{ID: a.ID, CreatedAt: a.CreatedAt, Unread: a.ID > readUpTo, Digest: len(a.Notices) > 1}
		for _, n := range a.Notices {
			v.Notices = append(v.Notices, noticeOf(p, n))
		}
		out[i] = v
	}
	return out
}

// alertsPage lists the user's alerts.
func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := Printer{stateOf(ctx).printer}
	page := pageParam(r)
	d := alertsData{Read: r.URL.Query().Get("read") == "1"}
	as, total, readUpTo, err := s.findAlerts(ctx, paradero.AlertFilter{Offset: (page - 1) * pageSize, Limit: pageSize})
	switch {
	case paradero.ErrorCode(err) == paradero.EUNAVAILABLE:
	case err != nil:
		return err
	default:
		d.Available = true
		d.Alerts, d.Pager = alertViews(p, as, readUpTo), newPager(page, total)
		if len(as) > 0 {
			d.Newest = as[0].ID
		}
		if d.Unread, err = s.countUnread(ctx, readUpTo); err != nil {
			return err
		}
	}
	return s.render(w, r, http.StatusOK, "alerts", p.T("alerts.title"), "alerts", d)
}

// markRead marks the user's alerts read up to the newest the page showed.
func (s *Server) markRead(w http.ResponseWriter, r *http.Request) error {
	upto, err := strconv.ParseInt(r.PostFormValue("upto"), 10, 64)
	if err != nil || upto <= 0 {
		return paradero.Errorf(paradero.EINVALID, "no alert to mark read")
	}
	if err := s.markAlertsRead(r.Context(), upto); err != nil {
		return err
	}
	http.Redirect(w, r, "/alerts?read=1", http.StatusSeeOther)
	return nil
}

// countUnread counts the user's alerts newer than readUpTo, walking the
// newest pages only: a follower gets at most one alert per folding window.
func (s *Server) countUnread(ctx context.Context, readUpTo int64) (int, error) {
	n := 0
	for off := 0; ; {
		as, total, _, err := s.findAlerts(ctx, paradero.AlertFilter{Offset: off, Limit: 100})
		if err != nil {
			return 0, err
		}
		for _, a := range as {
			if a.ID <= readUpTo {
				return n, nil
			}
			n++
		}
		off += len(as)
		if len(as) == 0 || off >= total {
			return n, nil
		}
	}
}

// healthView is a watched locator's health as the dashboard shows it.
type healthView struct {
	watch.LocatorHealth
	Cause string // why unhealthy, in the page's language
}

// dashboardAlerts is what the dashboard shows of the watch: the user's
// newest alerts and every locator's health.
type dashboardAlerts struct {
	Available bool // the store keeps alerts
	Recent    []alertView
	Unread    int
	Watch     bool // the store keeps a watch
	Locators  []healthView
}

// recentAlerts is how many alerts the dashboard lists.
const recentAlerts = 5

// dashboardWatch gathers the dashboard's alerts and the locators' health.
func (s *Server) dashboardWatch(ctx context.Context, p Printer) (*dashboardAlerts, error) {
	d := &dashboardAlerts{}
	as, _, readUpTo, err := s.findAlerts(ctx, paradero.AlertFilter{Limit: recentAlerts})
	switch {
	case paradero.ErrorCode(err) == paradero.EUNAVAILABLE:
	case err != nil:
		return nil, err
	default:
		d.Available, d.Recent = true, alertViews(p, as, readUpTo)
		if d.Unread, err = s.countUnread(ctx, readUpTo); err != nil {
			return nil, err
		}
	}
	h, err := s.locatorHealth(ctx)
	switch {
	case paradero.ErrorCode(err) == paradero.EUNAVAILABLE:
	case err != nil:
		return nil, err
	default:
		d.Watch = true
		for _, l := range h.Locators {
			d.Locators = append(d.Locators, healthView{LocatorHealth: l, Cause: healthCause(p, l)})
		}
	}
	return d, nil
}

// healthCause says in the page's language why a locator is unhealthy.
func healthCause(p Printer, l watch.LocatorHealth) string {
	switch l.Cause {
	case "":
		return ""
	case watch.CauseFailing:
		return p.T("watch.cause.failing", p.Num(l.Failed), p.Num(l.Answers))
	case watch.CauseMassDrop:
		return p.T("watch.cause.mass-drop", p.Num(l.Dropped), p.Num(l.WasFound), p.Num(l.StillFound))
	case watch.CauseNoAnswers:
		return p.T("watch.cause.no-answers")
	}
	return p.T("watch.cause.other")
}
