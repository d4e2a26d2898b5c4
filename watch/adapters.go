package watch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ingest"
)

// MaxBody bounds one answer: a locator page is kilobytes, a roster a few
// megabytes; anything past this is malformed.
const MaxBody = 32 << 20

// fetch GETs u with ctx and returns the status, the body (up to MaxBody)
// and the Retry-After the server asked for.
func fetch(ctx context.Context, client *http.Client, u string, now time.Time) (int, []byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, 0, err
	}
	req.Header.Set("User-Agent", "paradero-watch/1 (+https://github.com/paradero/paradero)")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return resp.StatusCode, nil, 0, err
	}
	return resp.StatusCode, body, RetryAfter(resp.Header.Get("Retry-After"), now), nil
}

// ICE is an adapter for a locator that behaves like the US ICE Online
// Detainee Locator System: one person per request, asked by A-number and
// country of birth, or by name, country of birth and birth date; the page
// shows the current facility, "not in custody", or no result.
//
// The page it reads is the simulator's (package doc: Sim), a stand-in with
// the same shape: a result block with data-status "in-custody" or
// "not-in-custody" and facility, place and custodian spans, or a
// no-results block. Pointing it at the real ODLS needs only parsePage
// changed; the request, classification and snapshot rules stay.
type ICE struct {
	name   string
	base   *url.URL
	client *http.Client
	now    func() time.Time
}

// NewICE returns the adapter for the locator at base (e.g.
// "http://127.0.0.1:8080/odls"). client nil means http.DefaultClient.
func NewICE(name, base string, client *http.Client) (*ICE, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, paradero.Errorf(paradero.EINVALID, "locator %s: %q is not an http(s) URL", name, base)
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &ICE{name: name, base: u, client: client, now: time.Now}, nil
}

func (l *ICE) Name() string { return l.name }
func (l *ICE) Batch() int   { return 1 }

// queryURL builds the search URL for q.
func (l *ICE) queryURL(q Query) (string, error) {
	v := url.Values{}
	switch {
	case q.ANumber != "" && q.CountryOfBirth != "":
		v.Set("a", digits(q.ANumber))
		v.Set("cob", q.CountryOfBirth)
	case q.Name != "" && q.CountryOfBirth != "" && q.BirthDate != "":
		v.Set("name", q.Name)
		v.Set("cob", q.CountryOfBirth)
		v.Set("dob", q.BirthDate)
	default:
		return "", fmt.Errorf("watch entry %s: give an A-number and country of birth, or a name, country of birth and birth date", q.Key)
	}
	u := *l.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/search"
	u.RawQuery = v.Encode()
	return u.String(), nil
}

// Ask asks about one person.
func (l *ICE) Ask(ctx context.Context, qs []Query) (*Response, error) {
	if len(qs) != 1 {
		return nil, fmt.Errorf("watch: ICE asks about one person at a time, not %d", len(qs))
	}
	q := qs[0]
	u, err := l.queryURL(q)
	if err != nil {
		return &Response{Answers: failAll(qs, Malformed, "bad query")}, nil
	}
	status, body, retry, err := fetch(ctx, l.client, u, l.now())
	if err != nil && ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, ctx.Err()
	}
	resp := &Response{StatusCode: status, RetryAfter: retry, MediaType: "text/plain; charset=utf-8", Filename: l.name + ".txt"}
	if err == nil {
		// The snapshot is the exchange: what was asked and the page as
		// received, byte for byte. The answer page may not repeat the
		// query, and identical pages for different people must not be
		// one source.
		var b bytes.Buffer
		fmt.Fprintf(&b, "paradero-snapshot/1\nlocator %s\nGET %s\nstatus %d\n\n", l.name, u, status)
		b.Write(body)
		resp.Body = b.Bytes()
	}
	o, detail, ok := ClassifyHTTP(err, status, body)
	if !ok {
		resp.Answers = failAll(qs, o, detail)
		return resp, nil
	}
	a := parsePage(body)
	a.Key = q.Key
	if a.Outcome.Definite() {
		r := queryRecord(q)
		r.Status, r.Facility, r.Place, r.Custodian = a.Status, a.Facility, a.Place, a.Custodian
		if a.Name != "" {
			r.FullName = a.Name
		}
		a.Record = r
	}
	resp.Answers = []Answer{a.Answer}
	return resp, nil
}

type page struct {
	Answer
	Name string
}

// parsePage reads a locator page.
func parsePage(body []byte) page {
	s := string(body)
	switch {
	case strings.Contains(s, `class="no-results"`):
		return page{Answer: Answer{Outcome: NotFound, Status: "no match"}}
	case strings.Contains(s, `class="result"`):
	default:
		return page{Answer: Answer{Outcome: Malformed, Detail: "no result block in the page"}}
	}
	st := attr(s, `data-status="`)
	var a page
	a.Outcome = Found
	switch st {
	case "in-custody":
		a.InCustody, a.Status = true, "in custody"
		a.Facility = span(s, "facility")
		if a.Facility == "" {
			return page{Answer: Answer{Outcome: Malformed, Detail: "in custody, but no facility"}}
		}
	case "not-in-custody":
		a.Status = "not in custody"
	default:
		return page{Answer: Answer{Outcome: Malformed, Detail: "unknown status in the page"}}
	}
	a.Place, a.Custodian, a.Name = span(s, "place"), span(s, "custodian"), span(s, "name")
	return a
}

func attr(s, prefix string) string {
	i := strings.Index(s, prefix)
	if i < 0 {
		return ""
	}
	rest := s[i+len(prefix):]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return html.UnescapeString(rest[:j])
}

func span(s, class string) string {
	open := `<span class="` + class + `">`
	i := strings.Index(s, open)
	if i < 0 {
		return ""
	}
	rest := s[i+len(open):]
	j := strings.Index(rest, "</span>")
	if j < 0 {
		return ""
	}
	return strings.TrimSpace(html.UnescapeString(rest[:j]))
}

// queryRecord is a snapshot record carrying the query's identity.
func queryRecord(q Query) *paradero.Record {
	r := &paradero.Record{ANumber: q.ANumber, CountryOfBirth: q.CountryOfBirth, FullName: q.Name}
	if d, err := paradero.ParsePartialDate(q.BirthDate); err == nil {
		r.BirthDate = d
	}
	return r
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return strings.TrimLeft(b.String(), "0")
}

// Roster is an adapter for a roster published as a file at a URL (CSV,
// JSON Lines or XLSX, as package ingest reads them, with an optional
// column mapping). One request answers everyone: a watched person listed
// is found, held at the facility the row gives; one not listed is not
// found.
type Roster struct {
	name    string
	url     string
	mapping *ingest.Mapping
	client  *http.Client
	now     func() time.Time
}

// NewRoster returns the adapter for the roster at rawURL.
func NewRoster(name, rawURL string, mapping *ingest.Mapping, client *http.Client) (*Roster, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, paradero.Errorf(paradero.EINVALID, "locator %s: %q is not an http(s) URL", name, rawURL)
	}
	if client == nil {
		client = http.DefaultClient
	}
	return &Roster{name: name, url: rawURL, mapping: mapping, client: client, now: time.Now}, nil
}

func (l *Roster) Name() string { return l.name }
func (l *Roster) Batch() int   { return 0 }

// Ask fetches the roster and answers every query from it.
func (l *Roster) Ask(ctx context.Context, qs []Query) (*Response, error) {
	status, body, retry, err := fetch(ctx, l.client, l.url, l.now())
	if err != nil && ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, ctx.Err()
	}
	name := filepath.Base(strings.SplitN(l.url, "?", 2)[0])
	resp := &Response{StatusCode: status, RetryAfter: retry, Filename: name}
	if o, detail, ok := ClassifyHTTP(err, status, body); !ok {
		if err == nil {
			resp.Body = body
		}
		resp.Answers = failAll(qs, o, detail)
		return resp, nil
	}
	if status != http.StatusOK {
		resp.Body = body
		resp.Answers = failAll(qs, Failed, "HTTP 404: the roster is not there")
		return resp, nil
	}
	resp.Body = body
	answerFromDocument(resp, name, body, l.mapping, qs)
	return resp, nil
}

// Folder is an adapter for a folder where rosters are dropped by hand: the
// newest file (by modification time, then name) answers everyone, as a
// Roster does.
type Folder struct {
	name    string
	dir     string
	mapping *ingest.Mapping
}

// NewFolder returns the adapter for dir.
func NewFolder(name, dir string, mapping *ingest.Mapping) *Folder {
	return &Folder{name: name, dir: dir, mapping: mapping}
}

func (l *Folder) Name() string { return l.name }
func (l *Folder) Batch() int   { return 0 }

// Ask reads the newest file.
func (l *Folder) Ask(ctx context.Context, qs []Query) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return &Response{Answers: failAll(qs, Failed, "cannot read the folder")}, nil
	}
	var newest string
	var newestT time.Time
	for _, e := range ents {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".csv", ".txt", ".tsv", ".jsonl", ".json", ".xlsx":
		default:
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if newest == "" || info.ModTime().After(newestT) || info.ModTime().Equal(newestT) && e.Name() > newest {
			newest, newestT = e.Name(), info.ModTime()
		}
	}
	if newest == "" {
		return &Response{Answers: failAll(qs, Failed, "no roster in the folder")}, nil
	}
	body, err := os.ReadFile(filepath.Join(l.dir, newest))
	if err != nil || len(body) > MaxBody {
		return &Response{Answers: failAll(qs, Failed, "cannot read the newest roster")}, nil
	}
	resp := &Response{Body: body, Filename: newest}
	answerFromDocument(resp, newest, body, l.mapping, qs)
	return resp, nil
}

// answerFromDocument parses a roster with package ingest and answers each
// query: found (held at the row's facility) if a row matches it by
// A-number, else by name and birth date; not found otherwise.
func answerFromDocument(resp *Response, name string, body []byte, mapping *ingest.Mapping, qs []Query) {
	rd, err := ingest.Open(bytes.NewReader(body), int64(len(body)), ingest.Options{Filename: name, Mapping: mapping})
	if err != nil {
		resp.Answers = failAll(qs, Malformed, "the roster cannot be read")
		return
	}
	defer rd.Close()
	resp.MediaType = rd.MediaType()
	byA := make(map[string]*paradero.Record)
	byName := make(map[string]*paradero.Record)
	for {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			resp.Answers = failAll(qs, Malformed, "the roster cannot be read")
			resp.Records = nil
			return
		}
		resp.Records = append(resp.Records, r)
		if a := digits(r.ANumber); a != "" {
			byA[a] = r
		}
		if n := foldName(r.DisplayName()); n != "" {
			byName[n+"|"+r.BirthDate.String()] = r
		}
	}
	resp.Answers = make([]Answer, len(qs))
	for i, q := range qs {
		var r *paradero.Record
		if a := digits(q.ANumber); a != "" {
			r = byA[a]
		}
		if r == nil && q.Name != "" {
			r = byName[foldName(q.Name)+"|"+q.BirthDate]
		}
		if r == nil {
			resp.Answers[i] = Answer{Key: q.Key, Outcome: NotFound, Status: "not listed"}
			continue
		}
		resp.Answers[i] = Answer{Key: q.Key, Outcome: Found, InCustody: true, Facility: firstNonEmpty(r.Facility, r.Place),
			Place: r.Place, Custodian: r.Custodian, Status: r.Status, Record: r}
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func foldName(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}
