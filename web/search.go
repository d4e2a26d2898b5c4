package web

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ingest"
)

// Searches are rate-limited per user: a documenter at work searches a few
// times a minute; a script walking the database searches many.
const (
	searchWindow   = time.Minute
	maxSearches    = 30
	searchPageSize = 50
)

// rateLimiter allows each key at most max events within window. Counts
// live in memory, owned by the Server.
type rateLimiter struct {
	mu     sync.Mutex
	now    func() time.Time
	window time.Duration
	max    int
	events map[int64][]time.Time
}

func newRateLimiter(now func() time.Time, window time.Duration, max int) *rateLimiter {
	return &rateLimiter{now: now, window: window, max: max, events: make(map[int64][]time.Time)}
}

// allow records an event for key and reports whether it is within the
// limit; a refused event is not counted.
func (l *rateLimiter) allow(key int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	cut := now.Add(-l.window)
	if len(l.events) > 10000 {
		for k, ts := range l.events {
			if len(ts) == 0 || !ts[len(ts)-1].After(cut) {
				delete(l.events, k)
			}
		}
	}
	ts := l.events[key]
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) >= l.max {
		l.events[key] = ts
		return false
	}
	l.events[key] = append(ts, now)
	return true
}

// searchForm is the search form as submitted.
type searchForm struct {
	Name, BirthDate, ANumber, Facility string
}

func (f searchForm) empty() bool {
	return strings.TrimSpace(f.Name+f.BirthDate+f.ANumber+f.Facility) == ""
}

// searchHit is one record found, with why.
type searchHit struct {
	*paradero.SearchHit
	Record *paradero.Record
	Source *paradero.Source
}

type searchData struct {
	Form      searchForm
	Searched  bool
	Error     string // a message key
	Hits      []searchHit
	Total     int
	Truncated bool
	Pending   int // records not yet indexed when the search ran
	Page      int
	Prev      int
	Next      int
	Available bool // the store can search
}

// searchPage shows the search form. Searching is a POST, so that names
// never travel in a URL (where proxies and histories keep them).
func (s *Server) searchPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, permSearch); err != nil {
		return err
	}
	_, ok := s.store.(paradero.SearchService)
	p := stateOf(ctx).printer
	return s.render(w, r, http.StatusOK, "search", p.T("search.title"), "search", searchData{Available: ok})
}

// search runs a search: every criterion given must match; each hit says
// why it matched.
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, permSearch); err != nil {
		return err
	}
	_, available := s.store.(paradero.SearchService)
	p := stateOf(ctx).printer
	form := searchForm{
		Name: r.PostFormValue("name"), BirthDate: r.PostFormValue("birth_date"),
		ANumber: r.PostFormValue("a_number"), Facility: r.PostFormValue("facility"),
	}
	d := searchData{Form: form, Searched: true, Page: 1, Available: available}
	again := func(status int, key string) error {
		d.Error, d.Searched = key, false
		return s.render(w, r, status, "search", p.T("search.title"), "search", d)
	}
	if form.empty() {
		return again(http.StatusBadRequest, "search.empty")
	}
	if !s.searches.allow(stateOf(ctx).actor.UserID) {
		return again(http.StatusTooManyRequests, "search.throttled")
	}
	q := paradero.SearchQuery{Name: form.Name, ANumber: form.ANumber, Facility: form.Facility, Limit: searchPageSize}
	if b := strings.TrimSpace(form.BirthDate); b != "" {
		date, err := ingest.ParseDate(b, ingest.DMY)
		if err != nil {
			return again(http.StatusBadRequest, "search.bad_date")
		}
		q.BirthDate = date
	}
	if n, err := strconv.Atoi(r.PostFormValue("page")); err == nil && n > 1 && n < 1<<16 {
		d.Page = n
	}
	q.Offset = (d.Page - 1) * searchPageSize
	res, ms, err := s.searchRecords(ctx, q)
	if paradero.ErrorCode(err) == paradero.EINVALID {
		return again(http.StatusBadRequest, "search.invalid")
	}
	if err != nil {
		return err
	}
	for _, h := range res.Hits {
		m := ms[h.RecordID]
		if m.Record.Redaction != nil {
			continue // redacted after the index caught up: never shown
		}
		d.Hits = append(d.Hits, searchHit{SearchHit: h, Record: m.Record, Source: m.Source})
	}
	d.Total, d.Truncated, d.Pending = res.Total, res.Truncated, res.Pending
	if d.Page > 1 {
		d.Prev = d.Page - 1
	}
	if d.Page*searchPageSize < res.Total {
		d.Next = d.Page + 1
	}
	return s.render(w, r, http.StatusOK, "search", p.T("search.title"), "search", d)
}
