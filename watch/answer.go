package watch

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/paradero/paradero"
)

// Query is one watched person, as a locator is asked about them. Key is the
// watch entry's opaque id (never personal data: it is logged and stored in
// the clear); the other fields are what the locator is asked.
type Query struct {
	Key            string `json:"key"`
	ANumber        string `json:"a_number,omitempty"`
	CountryOfBirth string `json:"country_of_birth,omitempty"`
	Name           string `json:"name,omitempty"`
	BirthDate      string `json:"birth_date,omitempty"` // YYYY-MM-DD
	// Person is the store's person this entry watches, if known: its
	// followers hear of the entry's changes too.
	Person int64 `json:"person,omitempty"`
}

// Outcome classifies one answer.
type Outcome string

const (
	// Found: the locator knows the person. InCustody says whether it
	// shows them held (at Facility) or "not in custody".
	Found Outcome = "found"
	// NotFound: the locator answered, and does not know the person. One
	// such answer proves nothing; see Tracker.
	NotFound Outcome = "not-found"
	// Blocked: the locator refused the client (a challenge page, 403).
	Blocked Outcome = "blocked"
	// Failed: no usable answer (5xx, 429, timeout, connection refused).
	Failed Outcome = "failed"
	// Malformed: an answer the adapter cannot read.
	Malformed Outcome = "malformed"
)

// Definite reports whether o is an answer about the person (found or not
// found) rather than about the locator.
func (o Outcome) Definite() bool { return o == Found || o == NotFound }

// Answer is what a locator said about one query.
type Answer struct {
	Key       string
	Outcome   Outcome
	InCustody bool   // for Found
	Facility  string // for Found in custody
	Place     string
	Custodian string
	Status    string // as the locator wrote it
	// Record is the answer as a record of its snapshot (the query's
	// identity and what was answered); nil if the answer says nothing of
	// the person.
	Record *paradero.Record
	Detail string // why, for Blocked, Failed and Malformed; never personal data
}

// Response is one request's result: the document received, kept byte for
// byte as a snapshot source, and one answer per query asked.
type Response struct {
	Body       []byte // nil if nothing was received
	MediaType  string
	Filename   string
	Records    []*paradero.Record // the snapshot's records; nil: the answers' records
	Answers    []Answer
	StatusCode int
	RetryAfter time.Duration // asked for by the locator (HTTP 429, 503)
}

// Locator is one watched source of whereabouts.
type Locator interface {
	// Name identifies the locator in state, snapshots and logs.
	Name() string
	// Batch is how many queries one request answers: 1 for a per-person
	// locator, 0 for a document (a roster) that answers everyone.
	Batch() int
	// Ask makes one request about qs and returns one answer per query, in
	// order, also when the request failed (then with Blocked, Failed or
	// Malformed). The error is for the caller's context ending only.
	Ask(ctx context.Context, qs []Query) (*Response, error)
}

// challengeMarkers are what bot-challenge and block pages say.
var challengeMarkers = [][]byte{
	[]byte("captcha"), []byte("challenge-platform"), []byte("cf-chl"), []byte("access denied"),
	[]byte("are you a robot"), []byte("verify you are human"), []byte("request blocked"),
}

// ClassifyHTTP classifies a request's transport result before the adapter
// reads the body: err (a transport error), or the status and body. ok is
// true when the body should be read as an answer.
func ClassifyHTTP(err error, status int, body []byte) (o Outcome, detail string, ok bool) {
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return Failed, "timed out", false
		}
		return Failed, "request failed", false
	}
	switch {
	case status == http.StatusForbidden:
		return Blocked, "HTTP 403", false
	case status == http.StatusTooManyRequests:
		return Failed, "HTTP 429", false
	case status >= 500:
		return Failed, "HTTP " + strconv.Itoa(status), false
	case status != http.StatusOK && status != http.StatusNotFound:
		return Failed, "HTTP " + strconv.Itoa(status), false
	}
	low := bytes.ToLower(body)
	if len(low) > 64<<10 {
		low = low[:64<<10]
	}
	for _, m := range challengeMarkers {
		if bytes.Contains(low, m) {
			return Blocked, "challenge page", false
		}
	}
	return "", "", true
}

// RetryAfter reads an HTTP Retry-After header (seconds or an HTTP date)
// relative to now; 0 if absent or unreadable.
func RetryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// failAll answers every query with the same outcome.
func failAll(qs []Query, o Outcome, detail string) []Answer {
	out := make([]Answer, len(qs))
	for i, q := range qs {
		out[i] = Answer{Key: q.Key, Outcome: o, Detail: detail}
	}
	return out
}
