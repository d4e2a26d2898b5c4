package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/watch"
)

// Follows: the person page follows and unfollows a person; the follows
// page lists what the user follows, stops any of it, and follows a
// facility or a watch entry by name; the case page follows its case by
// posting "case:ID" to the follows page (caseFollowOf). Changes
// then reach the user in the app (the alerts page), and by e-mail and
// webhook where the watch is configured to send them (docs/watch.md).

type followView struct {
	ID        int64
	Kind      paradero.FollowKind
	Object    string
	PersonID  int64 // for a person
	CreatedAt time.Time
}

type followsData struct {
	Available bool
	Follows   []followView
	Target    string // the form's value, when it is shown again
	Error     string // a message key
	Done      string // a message key: what was just done
	CanFollow bool   // the user's role may follow at all
}

func followViews(fs []*paradero.Follow) []followView {
	out := make([]followView, len(fs))
	for i, f := range fs {
		out[i] = followView{ID: f.ID, Kind: f.Kind, Object: f.Object, CreatedAt: f.CreatedAt}
		if f.Kind == paradero.FollowPerson {
			out[i].PersonID, _ = strconv.ParseInt(f.Object, 10, 64)
		}
	}
	return out
}

func (s *Server) followsData(r *http.Request) (followsData, error) {
	ctx := r.Context()
	d := followsData{CanFollow: paradero.CanFollow(paradero.ActorFromContext(ctx).Role, paradero.FollowFacility)}
	fs, err := s.findFollows(ctx, paradero.FollowFilter{})
	switch {
	case paradero.ErrorCode(err) == paradero.EUNAVAILABLE:
		return d, nil
	case err != nil:
		return d, err
	}
	d.Available, d.Follows = true, followViews(fs)
	switch r.URL.Query().Get("done") {
	case "followed":
		d.Done = "follows.done.followed"
	case "unfollowed":
		d.Done = "follows.done.unfollowed"
	}
	return d, nil
}

// followsPage lists what the user follows.
func (s *Server) followsPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.followsData(r)
	if err != nil {
		return err
	}
	p := stateOf(r.Context()).printer
	return s.render(w, r, http.StatusOK, "follows", p.T("follows.title"), "follows", d)
}

// follow follows what the form names: "facility:EL VALLE", "watch:w1",
// or a person's number.
func (s *Server) follow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	target := strings.TrimSpace(r.PostFormValue("target"))
	again := func(key string, status int) error {
		d, err := s.followsData(r)
		if err != nil {
			return err
		}
		d.Target, d.Error = target, key
		p := stateOf(ctx).printer
		return s.render(w, r, status, "follows", p.T("follows.title"), "follows", d)
	}
	kind, object, err := paradero.ParseFollowTarget(target)
	if err != nil {
		return again("follows.error.target", http.StatusBadRequest)
	}
	_, err = s.createFollow(ctx, kind, object)
	switch paradero.ErrorCode(err) {
	case "":
	case paradero.ECONFLICT:
		return again("follows.error.already", http.StatusConflict)
	case paradero.ENOTFOUND:
		// What the user may not see answers as what does not exist.
		return again("follows.error.unknown", http.StatusNotFound)
	default:
		return err
	}
	http.Redirect(w, r, "/follows?done=followed", http.StatusSeeOther)
	return nil
}

// unfollow stops one of the user's follows.
func (s *Server) unfollow(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if _, err := s.deleteFollow(r.Context(), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/follows?done=unfollowed", http.StatusSeeOther)
	return nil
}

// followPerson follows the person of the page it is posted from.
func (s *Server) followPerson(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	_, err = s.createFollow(r.Context(), paradero.FollowPerson, strconv.FormatInt(id, 10))
	if err != nil && paradero.ErrorCode(err) != paradero.ECONFLICT {
		return err
	}
	http.Redirect(w, r, "/persons/"+strconv.FormatInt(id, 10)+"?followed=1#follow", http.StatusSeeOther)
	return nil
}

// unfollowPerson stops following the person of the page.
func (s *Server) unfollowPerson(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if _, err := s.seePerson(ctx, id); err != nil {
		return err
	}
	fs, err := s.findFollows(ctx, paradero.FollowFilter{Kind: paradero.FollowPerson, Object: strconv.FormatInt(id, 10)})
	if err != nil {
		return err
	}
	for _, f := range fs {
		if _, err := s.deleteFollow(ctx, f.ID); err != nil {
			return err
		}
	}
	http.Redirect(w, r, "/persons/"+strconv.FormatInt(id, 10)+"?unfollowed=1#follow", http.StatusSeeOther)
	return nil
}

// personFollow is the person page's follow button and what it says.
type personFollow struct {
	Following  *paradero.Follow
	CanFollow  bool
	Followed   bool // just followed
	Unfollowed bool // just stopped
}

// personFollowOf returns the follow panel of person id's page, nil when
// the store keeps no follows.
func (s *Server) personFollowOf(r *http.Request, id int64) (*personFollow, error) {
	ctx := r.Context()
	fs, err := s.findFollows(ctx, paradero.FollowFilter{Kind: paradero.FollowPerson, Object: strconv.FormatInt(id, 10)})
	switch {
	case paradero.ErrorCode(err) == paradero.EUNAVAILABLE:
		return nil, nil
	case err != nil:
		return nil, err
	}
	f := &personFollow{CanFollow: paradero.CanFollow(paradero.ActorFromContext(ctx).Role, paradero.FollowPerson),
		Followed: r.URL.Query().Get("followed") == "1", Unfollowed: r.URL.Query().Get("unfollowed") == "1"}
	if len(fs) > 0 {
		f.Following = fs[0]
	}
	return f, nil
}

// watchRow is what one locator last said of a person: its newest answer
// (or the watch's finding that the person is gone) among the person's
// records, and the locator's health now.
type watchRow struct {
	Locator  string
	Date     string
	Status   string // as the locator (or the finding) wrote it
	Facility string
	RecordID int64
	SourceID int64
	Finding  bool
	Health   *healthView // nil if the watch has not reported on this locator
	order    [2]int64
}

// personWatchOf returns, for each locator that answered about the person
// (records ids of ms), its newest answer and health, by locator name.
func (s *Server) personWatchOf(ctx context.Context, p Printer, ids []int64, ms map[int64]mention) ([]watchRow, error) {
	rows := make(map[string]*watchRow)
	for _, id := range ids {
		m, ok := ms[id]
		if !ok || m.Record == nil || m.Record.Redaction != nil {
			continue
		}
		name, finding, ok := watch.LocatorOf(m.Source)
		if !ok {
			continue
		}
		date := m.Record.EventDate
		if date.IsZero() {
			date = paradero.DateRange{From: m.Source.Published}
		}
		last := date.To
		if last.IsZero() {
			last = date.From
		}
		order := [2]int64{int64(last.Year*10000 + last.Month*100 + last.Day), m.Source.ID}
		if cur := rows[name]; cur != nil && (cur.order[0] > order[0] || cur.order[0] == order[0] && cur.order[1] > order[1]) {
			continue
		}
		rows[name] = &watchRow{Locator: name, Date: dateRange(p, date), Status: m.Record.Status, Facility: m.Record.Facility,
			RecordID: m.Record.ID, SourceID: m.Source.ID, Finding: finding, order: order}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	h, err := s.locatorHealth(ctx)
	switch {
	case err == nil:
		for _, l := range h.Locators {
			if r := rows[l.Locator]; r != nil {
				r.Health = &healthView{LocatorHealth: l, Cause: healthCause(p, l)}
			}
		}
	case paradero.ErrorCode(err) != paradero.EUNAVAILABLE && paradero.ErrorCode(err) != paradero.ENOTFOUND:
		return nil, err
	}
	out := make([]watchRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b watchRow) int { return strings.Compare(a.Locator, b.Locator) })
	return out, nil
}
