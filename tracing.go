package paradero

import (
	"context"
	"crypto/rand"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Tracing requests follow the practice of Restoring Family Links (ICRC,
// Restoring Family Links Strategy and the Professional Standards for
// Protection Work, ch. 6 on managing sensitive information):
//
//   - The requester is known before anything is searched. A family member
//     files a request; staff check who they are (identity and relationship)
//     and note how, and only a verified request is searched.
//   - Nothing about the records reaches the requester until staff have
//     reviewed the candidates and composed an answer. Until then what the
//     requester sees depends on their request alone, never on the store:
//     a request for someone the store holds and one for no one look the
//     same, byte for byte and in timing (the search never runs on the
//     requester's path).
//   - Children are not disclosed through this path: a person who may be
//     under 18, by any record's date of birth or age or by the request
//     itself, is referred to those who handle child protection instead.
//   - A request is named to its requester by an unguessable reference, not
//     its sequential id, so no one learns how many requests others filed.

// TracingState is where a tracing request stands.
type TracingState string

const (
	TracingFiled    TracingState = "filed"    // received; the requester is not verified yet
	TracingVerified TracingState = "verified" // the requester verified; staff search and review
	TracingAnswered TracingState = "answered" // staff gave an answer
	TracingClosed   TracingState = "closed"   // closed without an answer
)

// TracingStates lists every state, in the order a request moves through
// them.
var TracingStates = []TracingState{TracingFiled, TracingVerified, TracingAnswered, TracingClosed}

// Valid reports whether s is one of TracingStates.
func (s TracingState) Valid() bool { return slices.Contains(TracingStates, s) }

// Open reports whether the request still awaits an answer.
func (s TracingState) Open() bool { return s == TracingFiled || s == TracingVerified }

// VerificationMethod is how staff confirmed who the requester is.
type VerificationMethod string

const (
	VerifyInPerson  VerificationMethod = "in-person"  // met, identity document seen
	VerifyVideoCall VerificationMethod = "video-call" // seen on a call with a document
	VerifyPhoneCall VerificationMethod = "phone-call" // questions only the family could answer
	VerifyReferral  VerificationMethod = "referral"   // referred by a known partner organisation
)

// VerificationMethods lists every method, in the order a form offers them.
var VerificationMethods = []VerificationMethod{VerifyInPerson, VerifyVideoCall, VerifyPhoneCall, VerifyReferral}

// Valid reports whether m is one of VerificationMethods.
func (m VerificationMethod) Valid() bool { return slices.Contains(VerificationMethods, m) }

// TracingOutcome is what an answer tells the requester.
type TracingOutcome string

const (
	// OutcomeLocated: the person was found in the records; the answer
	// says what they show. It rests on candidates staff confirmed.
	OutcomeLocated TracingOutcome = "located"
	// OutcomeNotLocated: no record was found that staff could confirm.
	OutcomeNotLocated TracingOutcome = "not-located"
	// OutcomeReferred: the request was handed to colleagues who will
	// contact the requester in person (a child, a protection concern).
	// Nothing about the records is disclosed.
	OutcomeReferred TracingOutcome = "referred"
)

// TracingOutcomes lists every outcome, in the order a form offers them.
var TracingOutcomes = []TracingOutcome{OutcomeLocated, OutcomeNotLocated, OutcomeReferred}

// Valid reports whether o is one of TracingOutcomes.
func (o TracingOutcome) Valid() bool { return slices.Contains(TracingOutcomes, o) }

// ClosureReason says why a request was closed without an answer.
type ClosureReason string

const (
	CloseWithdrawn ClosureReason = "withdrawn" // the requester withdrew it
	// CloseDuplicate: the requester has another request for the same
	// person. Never another family's request: saying so would tell them
	// that someone else is looking.
	CloseDuplicate    ClosureReason = "duplicate"
	CloseUnverifiable ClosureReason = "unverifiable" // the requester could not be verified
	CloseOther        ClosureReason = "other"
)

// ClosureReasons lists every reason, in the order a form offers them.
var ClosureReasons = []ClosureReason{CloseWithdrawn, CloseDuplicate, CloseUnverifiable, CloseOther}

// Valid reports whether c is one of ClosureReasons.
func (c ClosureReason) Valid() bool { return slices.Contains(ClosureReasons, c) }

// TracingRequest is a family member's request to find someone: who they
// look for, as they know them, and how to reach them. Everything in it is
// personal data; the audit log names it by id only.
type TracingRequest struct {
	ID          int64
	Ref         string // the requester's reference: NewTracingRef, unique
	RequesterID int64  // the user who filed it
	State       TracingState

	// The person sought, as the requester knows them.
	SoughtName        string      // names as the family knows them
	SoughtOtherNames  string      // nicknames, other spellings, names used elsewhere
	SoughtBirthDate   PartialDate // as far as known
	SoughtAge         string      // an approximate age, when the date is not known
	SoughtNationality string
	LastSeenPlace     string
	LastSeenDate      PartialDate
	Details           string // distinguishing details, circumstances of the separation

	// The requester.
	Relationship string // to the person sought
	Contact      string // how staff may reach them: phone, address, messaging

	CreatedAt time.Time
	UpdatedAt time.Time

	Verification *TracingVerification // nil until verified
	Answer       *TracingAnswer       // nil until answered
	Closure      *TracingClosure      // nil unless closed
}

// TracingVerification is staff's check of the requester.
type TracingVerification struct {
	Method VerificationMethod
	Note   string // what was checked; no document number is needed
	By     string // the actor's name: "user:3"
	At     time.Time
}

// TracingCandidate is staff's decision on one record found for a request:
// whether it is of the person sought (VerdictSame), not (VerdictDifferent)
// or unsure. Decisions are kept, never changed; the latest for a record is
// the one in force.
type TracingCandidate struct {
	ID        int64
	RequestID int64
	RecordID  int64
	Verdict   Verdict
	Note      string
	By        string
	At        time.Time
}

// TracingAnswer is what staff tell the requester.
type TracingAnswer struct {
	Outcome TracingOutcome
	// Records are the confirmed candidates a located answer rests on;
	// empty for any other outcome.
	Records []int64
	// PersonID is the person of the first record, set by the store; 0
	// when the record is not linked or nothing was located.
	PersonID int64
	Message  string // the words the requester reads, composed by staff
	By       string
	At       time.Time
}

// TracingClosure says why and by whom a request was closed.
type TracingClosure struct {
	Reason ClosureReason
	Note   string
	By     string
	At     time.Time
}

// Limits of a tracing request's fields, in bytes.
const (
	maxTracingLine = 200  // a name, a place, a relationship
	maxTracingText = 4000 // details, notes, an answer
)

// Tracing filing limits: a family looks for a few relatives, not a list.
// Stores enforce them when a request is filed.
const (
	MaxTracingPerDay = 5  // requests one requester may file in 24 hours
	MaxOpenTracing   = 20 // requests one requester may have open at once
)

// Validate checks what a requester filed. EINVALID names the field.
func (r *TracingRequest) Validate() error {
	if strings.TrimSpace(r.SoughtName) == "" || !hasLetter(r.SoughtName) {
		return Errorf(EINVALID, "the name of the person sought is required")
	}
	for _, f := range []struct{ name, v string }{
		{"name", r.SoughtName}, {"other names", r.SoughtOtherNames}, {"age", r.SoughtAge},
		{"nationality", r.SoughtNationality}, {"last seen place", r.LastSeenPlace},
		{"relationship", r.Relationship}, {"contact", r.Contact},
	} {
		if err := checkTracingText(f.name, f.v, maxTracingLine, false); err != nil {
			return err
		}
	}
	if err := checkTracingText("details", r.Details, maxTracingText, true); err != nil {
		return err
	}
	if strings.TrimSpace(r.Relationship) == "" {
		return Errorf(EINVALID, "the relationship to the person sought is required")
	}
	if strings.TrimSpace(r.Contact) == "" {
		return Errorf(EINVALID, "a way to contact the requester is required")
	}
	if !r.SoughtBirthDate.Valid() {
		return Errorf(EINVALID, "the date of birth is not a calendar date")
	}
	if !r.LastSeenDate.Valid() {
		return Errorf(EINVALID, "the date last seen is not a calendar date")
	}
	return nil
}

// Validate checks a verification before it is stored. EINVALID.
func (v *TracingVerification) Validate() error {
	if !v.Method.Valid() {
		return Errorf(EINVALID, "verification method %q is not one of in-person, video-call, phone-call, referral", v.Method)
	}
	if strings.TrimSpace(v.Note) == "" {
		return Errorf(EINVALID, "say what was checked")
	}
	return checkTracingText("note", v.Note, maxTracingText, true)
}

// Validate checks a candidate decision before it is stored. EINVALID.
func (c *TracingCandidate) Validate() error {
	if c.RequestID <= 0 || c.RecordID <= 0 {
		return Errorf(EINVALID, "a candidate names a request and a record")
	}
	if !c.Verdict.Valid() {
		return Errorf(EINVALID, "verdict %q is not same, different or unsure", c.Verdict)
	}
	return checkTracingText("note", c.Note, maxTracingText, true)
}

// Validate checks an answer before it is stored. EINVALID.
func (a *TracingAnswer) Validate() error {
	if !a.Outcome.Valid() {
		return Errorf(EINVALID, "outcome %q is not located, not-located or referred", a.Outcome)
	}
	if a.Outcome == OutcomeLocated && len(a.Records) == 0 {
		return Errorf(EINVALID, "a located answer rests on at least one confirmed record")
	}
	if a.Outcome != OutcomeLocated && len(a.Records) != 0 {
		return Errorf(EINVALID, "only a located answer names records")
	}
	if strings.TrimSpace(a.Message) == "" {
		return Errorf(EINVALID, "the answer needs a message")
	}
	return checkTracingText("message", a.Message, maxTracingText, true)
}

// Validate checks a closure before it is stored. EINVALID.
func (c *TracingClosure) Validate() error {
	if !c.Reason.Valid() {
		return Errorf(EINVALID, "closure reason %q is not withdrawn, duplicate, unverifiable or other", c.Reason)
	}
	return checkTracingText("note", c.Note, maxTracingText, true)
}

// checkTracingText refuses text that is too long, not UTF-8, holds a NUL byte or,
// unless multiline, a line break.
func checkTracingText(name, v string, limit int, multiline bool) error {
	switch {
	case len(v) > limit:
		return Errorf(EINVALID, "%s is longer than %d bytes", name, limit)
	case !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0:
		return Errorf(EINVALID, "%s is not valid text", name)
	case !multiline && strings.ContainsAny(v, "\r\n"):
		return Errorf(EINVALID, "%s must be one line", name)
	}
	return nil
}

func hasLetter(s string) bool { return strings.IndexFunc(s, unicode.IsLetter) >= 0 }

// ForRequester returns the request as its requester may see it: what they
// filed, its state and dates, and the answer's outcome and words — never
// who on the staff did what, their notes, or which records and person an
// answer rests on.
func (r *TracingRequest) ForRequester() *TracingRequest {
	c := *r
	if v := r.Verification; v != nil {
		c.Verification = &TracingVerification{Method: v.Method, At: v.At}
	}
	if a := r.Answer; a != nil {
		c.Answer = &TracingAnswer{Outcome: a.Outcome, Message: a.Message, At: a.At}
	}
	if x := r.Closure; x != nil {
		c.Closure = &TracingClosure{Reason: x.Reason, At: x.At}
	}
	return &c
}

// tracingRefAlphabet has no 0/O, 1/I/L or U, so a reference read over the
// telephone is not misheard.
const tracingRefAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewTracingRef returns a new random reference, "XXXXX-XXXXX" over
// tracingRefAlphabet: 49 bits, so references cannot be guessed or counted.
func NewTracingRef() string {
	b := make([]byte, 10)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	out := make([]byte, 0, 11)
	for i, x := range b {
		if i == 5 {
			out = append(out, '-')
		}
		// 256 is not a multiple of 30: the first 16 letters are a little
		// likelier, which costs a fraction of a bit and nothing else.
		out = append(out, tracingRefAlphabet[int(x)%len(tracingRefAlphabet)])
	}
	return string(out)
}

// ValidTracingRef reports whether s has the form NewTracingRef returns.
func ValidTracingRef(s string) bool {
	if len(s) != 11 || s[5] != '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i != 5 && strings.IndexByte(tracingRefAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// AgeOfMajority is the age below which this path discloses no one
// (Convention on the Rights of the Child, art. 1).
const AgeOfMajority = 18

// MayBeMinor reports whether someone described by a date of birth and an
// age as written (the age as of asOf, when known) may be under
// AgeOfMajority at now. Every doubt counts against disclosure:
//   - a partial date of birth is read as its latest possible day ("2007"
//     as 31 December 2007);
//   - an age is read as the smallest number it holds ("16-17", "17 años");
//     the person has aged since asOf by the whole years from its latest
//     possible day, or not at all when asOf is unknown.
//
// Nothing known (no date, no number in the age) is not a minor.
func MayBeMinor(birth PartialDate, age string, asOf PartialDate, now time.Time) bool {
	now = now.UTC()
	if !birth.IsZero() && birth.Valid() {
		if now.Before(latestDay(birth).AddDate(AgeOfMajority, 0, 0)) {
			return true
		}
	}
	if n, ok := smallestNumber(age); ok {
		elapsed := 0
		if !asOf.IsZero() && asOf.Valid() {
			elapsed = wholeYears(latestDay(asOf), now)
		}
		if n+elapsed < AgeOfMajority {
			return true
		}
	}
	return false
}

// RecordMayBeMinor applies MayBeMinor to a record: its date of birth, and
// its age as of the event it reports or else the source's publication
// date.
func RecordMayBeMinor(r *Record, published PartialDate, now time.Time) bool {
	asOf := r.EventDate.To
	if asOf.IsZero() {
		asOf = r.EventDate.From
	}
	if asOf.IsZero() {
		asOf = published
	}
	return MayBeMinor(r.BirthDate, r.Age, asOf, now)
}

// MayBeMinor applies MayBeMinor to the person sought as the request
// describes them, the age as of the day it was filed.
func (r *TracingRequest) MayBeMinor(now time.Time) bool {
	var filed PartialDate
	if !r.CreatedAt.IsZero() {
		t := r.CreatedAt.UTC()
		filed = PartialDate{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}
	}
	return MayBeMinor(r.SoughtBirthDate, r.SoughtAge, filed, now)
}

// latestDay returns the last day a partial date allows, at its start.
func latestDay(d PartialDate) time.Time {
	switch {
	case d.Month == 0:
		return time.Date(d.Year, 12, 31, 0, 0, 0, 0, time.UTC)
	case d.Day == 0:
		return time.Date(d.Year, time.Month(d.Month)+1, 0, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
}

// wholeYears returns the whole years from a to b (0 if b is before a).
func wholeYears(a, b time.Time) int {
	n := b.Year() - a.Year()
	if a.AddDate(n, 0, 0).After(b) {
		n--
	}
	return max(n, 0)
}

// smallestNumber returns the smallest whole number written in s, if any.
func smallestNumber(s string) (int, bool) {
	best, found := 0, false
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		if len(f) > 3 {
			continue // a year or a document number, not an age
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			continue
		}
		if !found || n < best {
			best, found = n, true
		}
	}
	return best, found
}

// TracingFilter selects tracing requests. Zero fields select everything
// the actor may see.
type TracingFilter struct {
	State       TracingState
	RequesterID int64
	Offset      int
	Limit       int // 0 means a default page of 100
}

// Audit actions of tracing requests. The object is always
// "tracing-request:ID".
const (
	AuditTracingFile      = "tracing.file"      // a family member filed a request
	AuditTracingView      = "tracing.view"      // a request's page was shown
	AuditTracingVerify    = "tracing.verify"    // staff verified the requester
	AuditTracingSearch    = "tracing.search"    // staff searched the records for it
	AuditTracingCandidate = "tracing.candidate" // staff decided on a candidate record
	AuditTracingAnswer    = "tracing.answer"    // staff answered it
	AuditTracingClose     = "tracing.close"     // staff closed it
)

// TracingService keeps tracing requests and enforces who may do what with
// them, from the actor in ctx: a requester (PermFileTracing) files and
// reads their own requests, as ForRequester shows them; staff
// (PermHandleTracing) read every request and verify, decide, answer and
// close. A request the actor may not read is ENOTFOUND, exactly as a
// missing one.
type TracingService interface {
	// CreateTracingRequest files r for the actor, who becomes its
	// requester; the store sets ID, Ref, RequesterID, State (filed),
	// CreatedAt and UpdatedAt. EINVALID (from Validate), EFORBIDDEN
	// unless the actor may file, ECONFLICT if the actor filed
	// MaxTracingPerDay requests in the last 24 hours or has MaxOpenTracing
	// open.
	CreateTracingRequest(ctx context.Context, r *TracingRequest) error
	// FindTracingRequestByID returns a request; ENOTFOUND if there is none
	// or the actor may not read it.
	FindTracingRequestByID(ctx context.Context, id int64) (*TracingRequest, error)
	// FindTracingRequestByRef is FindTracingRequestByID by reference.
	FindTracingRequestByRef(ctx context.Context, ref string) (*TracingRequest, error)
	// FindTracingRequests returns a page of the requests the actor may
	// read that f selects, newest first, and their total: a requester's
	// own whatever f.RequesterID says, everyone's for staff, none for
	// anyone else.
	FindTracingRequests(ctx context.Context, f TracingFilter) ([]*TracingRequest, int, error)
	// VerifyTracingRequest records that staff verified the requester; the
	// store sets v.By and v.At. EFORBIDDEN unless the actor is staff (and
	// not the requester), ENOTFOUND, EINVALID, ECONFLICT unless the
	// request is filed.
	VerifyTracingRequest(ctx context.Context, id int64, v *TracingVerification) (*TracingRequest, error)
	// DecideTracingCandidate records staff's decision on a record for a
	// request; the store sets ID, By and At. EFORBIDDEN unless staff,
	// ENOTFOUND for no such request or record, EINVALID, ECONFLICT unless
	// the request is verified.
	DecideTracingCandidate(ctx context.Context, c *TracingCandidate) error
	// FindTracingCandidates returns every decision on a request's
	// candidates, oldest first. ENOTFOUND unless the actor is staff and
	// the request exists.
	FindTracingCandidates(ctx context.Context, requestID int64) ([]*TracingCandidate, error)
	// AnswerTracingRequest answers a verified request; the store sets
	// a.PersonID, a.By and a.At. A located answer must rest on records
	// whose latest decision for this request is VerdictSame (EINVALID),
	// and is refused with EFORBIDDEN if the request or any record of
	// those records' persons may describe someone under 18
	// (RecordMayBeMinor) or was redacted: this path never discloses a
	// child or someone a redaction protects. EFORBIDDEN unless staff,
	// ENOTFOUND, EINVALID, ECONFLICT unless the request is verified.
	AnswerTracingRequest(ctx context.Context, id int64, a *TracingAnswer) (*TracingRequest, error)
	// CloseTracingRequest closes an open request without an answer; the
	// store sets c.By and c.At. EFORBIDDEN unless staff, ENOTFOUND,
	// EINVALID, ECONFLICT unless the request is open.
	CloseTracingRequest(ctx context.Context, id int64, c *TracingClosure) (*TracingRequest, error)
}

// CheckTracingStaff returns EFORBIDDEN unless the actor handles tracing
// requests. Stores call it before any lookup, so the refusal says nothing
// about what exists.
func CheckTracingStaff(ctx context.Context) error {
	if !ActorFromContext(ctx).Can(PermHandleTracing) {
		return Errorf(EFORBIDDEN, "only staff who handle tracing requests may do this")
	}
	return nil
}

// CheckConfirmed returns EINVALID unless records are distinct and the
// latest decision on each among cands (oldest first, as
// FindTracingCandidates returns them) is VerdictSame: an answer discloses
// only what staff confirmed.
func CheckConfirmed(cands []*TracingCandidate, records []int64) error {
	latest := make(map[int64]Verdict)
	for _, c := range cands {
		latest[c.RecordID] = c.Verdict
	}
	seen := make(map[int64]bool)
	for _, id := range records {
		if seen[id] {
			return Errorf(EINVALID, "record %d is named twice", id)
		}
		seen[id] = true
		if latest[id] != VerdictSame {
			return Errorf(EINVALID, "record %d is not a confirmed candidate of this request", id)
		}
	}
	return nil
}

// CheckDisclosable checks one record a located answer would disclose, as
// a store holds it: its canonical content (redacted when the record is),
// and its source's publication date in ISO form. EFORBIDDEN if it was
// redacted or may describe a minor at now.
func CheckDisclosable(id int64, content []byte, redacted bool, published string, now time.Time) error {
	if redacted {
		return TracingProtectedError()
	}
	var r Record
	if err := r.SetContent(content); err != nil {
		return &Error{Code: ETAMPERED, Message: "record " + strconv.FormatInt(id, 10) + ": its stored content is malformed", Err: err}
	}
	pub, err := ParsePartialDate(published)
	if err != nil {
		pub = PartialDate{}
	}
	if RecordMayBeMinor(&r, pub, now) {
		return TracingMinorError()
	}
	return nil
}

// TracingLimitError is the ECONFLICT a store returns when a requester has
// filed too many requests.
func TracingLimitError() error {
	return Errorf(ECONFLICT, "too many tracing requests: at most %d a day and %d open at once", MaxTracingPerDay, MaxOpenTracing)
}

// TracingStateError is the ECONFLICT a store returns when a request is not
// in the state an action needs.
func TracingStateError(want TracingState, got TracingState) error {
	return Errorf(ECONFLICT, "the tracing request is %s; this needs it %s", got, want)
}

// TracingMinorError is the EFORBIDDEN a store returns when an answer
// would disclose someone who may be a child.
func TracingMinorError() error {
	return Errorf(EFORBIDDEN, "the person may be under %d: a tracing answer never discloses a child; refer the request instead", AgeOfMajority)
}

// TracingProtectedError is the EFORBIDDEN a store returns when an answer
// would rest on a person one of whose records was redacted.
func TracingProtectedError() error {
	return Errorf(EFORBIDDEN, "a record of this person was redacted to protect someone: a tracing answer cannot disclose them")
}
