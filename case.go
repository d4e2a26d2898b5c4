package paradero

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CaseKind says what kind of proceeding a case is.
type CaseKind string

const (
	CaseHabeas   CaseKind = "habeas"   // a habeas corpus petition
	CaseRemoval  CaseKind = "removal"  // removal (deportation) proceedings
	CaseCriminal CaseKind = "criminal" // criminal proceedings against the person
	// CaseInternational is a petition, or a request for precautionary
	// measures, before an international body (the Inter-American
	// Commission, a UN working group or committee).
	CaseInternational CaseKind = "international"
	CaseOther         CaseKind = "other"
)

// CaseKinds lists every kind, in the order a form offers them.
var CaseKinds = []CaseKind{CaseHabeas, CaseRemoval, CaseCriminal, CaseInternational, CaseOther}

// Valid reports whether k is one of CaseKinds.
func (k CaseKind) Valid() bool { return slices.Contains(CaseKinds, k) }

// CaseStatus says where a case stands.
type CaseStatus string

const (
	CaseOpen   CaseStatus = "open"
	CaseAppeal CaseStatus = "appeal" // decided at first instance, now on appeal
	CaseClosed CaseStatus = "closed"
)

// CaseStatuses lists every status, in the order a form offers them.
var CaseStatuses = []CaseStatus{CaseOpen, CaseAppeal, CaseClosed}

// Valid reports whether s is one of CaseStatuses.
func (s CaseStatus) Valid() bool { return slices.Contains(CaseStatuses, s) }

// Case is a legal proceeding the people who use Paradero follow: a habeas
// petition, removal proceedings, a criminal case, a petition before an
// international body. It is work product, not evidence: it is kept
// outside the ledger and may change, but every change is attributed (the
// CreatedBy/UpdatedBy fields, and a Change per write) and the web audits
// it.
//
// A case concerns people through their records (CasePerson): a person is
// what linkage makes of records and may split or merge; a record never
// changes.
type Case struct {
	ID     int64
	Kind   CaseKind
	Title  string // the name the team uses for it, one line
	Court  string // the court or body, as it names itself
	Number string // the docket number, as the court writes it
	Status CaseStatus
	Opened PartialDate // filed or opened
	Closed PartialDate // zero while open
	Notes  string

	// People and Lawyers come with every case a store returns;
	// Deadlines, Orders and Documents only from FindCaseByID.
	People    []CasePerson
	Lawyers   []CaseLawyer
	Deadlines []*Deadline    // by date
	Orders    []*CourtOrder  // by date
	Documents []CaseDocument // by source id

	CreatedAt time.Time
	CreatedBy string // Actor.Name
	UpdatedAt time.Time
	UpdatedBy string
}

// CasePerson says a case concerns a person. The link is to one of the
// person's records, its anchor, because person ids come from linkage and a
// person that splits keeps its id in one part only: the case concerns
// whichever person the anchor record belongs to now
// (PersonService.FindPersonOfRecord), or the record alone while linkage
// has not placed it.
type CasePerson struct {
	RecordID int64
	// PersonID is the person the anchor belonged to when it was linked to
	// the case (0 if none): a note of history, never used for access.
	PersonID int64
	AddedAt  time.Time
	AddedBy  string
}

// CaseLawyer is a lawyer assigned to a case. A lawyer sees the cases they
// are assigned to and the people those cases concern, nothing else.
type CaseLawyer struct {
	UserID     int64
	AssignedAt time.Time
	AssignedBy string
}

// CaseDocument is a source that supports a case: a filing, an order, a
// news report. The source itself is evidence, in the ledger.
type CaseDocument struct {
	SourceID int64
	Note     string // what it shows, one line
	AddedAt  time.Time
	AddedBy  string
}

// DeadlineKind says whether a date of a case is a hearing or a deadline.
type DeadlineKind string

const (
	DeadlineHearing  DeadlineKind = "hearing"  // before a judge
	DeadlineDeadline DeadlineKind = "deadline" // something is due: a filing, a reply, an appeal
)

// DeadlineKinds lists every kind.
var DeadlineKinds = []DeadlineKind{DeadlineHearing, DeadlineDeadline}

// Valid reports whether k is one of DeadlineKinds.
func (k DeadlineKind) Valid() bool { return slices.Contains(DeadlineKinds, k) }

// DeadlineStatus says whether a hearing or deadline is still ahead.
type DeadlineStatus string

const (
	DeadlinePending DeadlineStatus = "pending"
	DeadlineDone    DeadlineStatus = "done"    // held, or met
	DeadlineVacated DeadlineStatus = "vacated" // cancelled or no longer applies
)

// DeadlineStatuses lists every status.
var DeadlineStatuses = []DeadlineStatus{DeadlinePending, DeadlineDone, DeadlineVacated}

// Valid reports whether s is one of DeadlineStatuses.
func (s DeadlineStatus) Valid() bool { return slices.Contains(DeadlineStatuses, s) }

// Deadline is a hearing or a deadline of a case, with an optional
// reminder. Due is a full date; Time, when given, is the court's local
// time of day ("09:30"), as the court writes it: a hearing is in the
// court's time zone, whoever reads it.
type Deadline struct {
	ID     int64
	CaseID int64
	Kind   DeadlineKind
	Due    PartialDate // a full date
	Time   string      // "HH:MM" or ""
	What   string      // what happens or is due, one line
	Status DeadlineStatus
	// RemindOn is the day the case's lawyers are reminded (a full date on
	// or before Due), or zero for no reminder. RemindedAt is when the
	// reminder went out; zero until then, and again whenever RemindOn
	// changes.
	RemindOn   PartialDate
	RemindedAt time.Time

	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
	UpdatedBy string
}

// OrderKind says what a court order orders.
type OrderKind string

const (
	OrderNotToRemove OrderKind = "not-to-remove" // bars removal: a temporary restraining order, a stay of removal
	OrderRelease     OrderKind = "release"
	OrderStay        OrderKind = "stay"     // stays proceedings or a decision
	OrderReturn      OrderKind = "return"   // to facilitate the person's return
	OrderDisclose    OrderKind = "disclose" // to disclose where the person is held, or in what condition
	OrderAccess      OrderKind = "access"   // to allow counsel, consular or family access
	OrderOther       OrderKind = "other"
)

// OrderKinds lists every kind, in the order a form offers them.
var OrderKinds = []OrderKind{OrderNotToRemove, OrderRelease, OrderStay, OrderReturn, OrderDisclose, OrderAccess, OrderOther}

// Valid reports whether k is one of OrderKinds.
func (k OrderKind) Valid() bool { return slices.Contains(OrderKinds, k) }

// Compliance says whether a court order was obeyed.
type Compliance string

const (
	ComplianceUnknown   Compliance = "unknown"
	ComplianceObeyed    Compliance = "obeyed"
	ComplianceDisobeyed Compliance = "disobeyed"
)

// Compliances lists every answer, in the order a form offers them.
var Compliances = []Compliance{ComplianceUnknown, ComplianceObeyed, ComplianceDisobeyed}

// Valid reports whether c is one of Compliances.
func (c Compliance) Valid() bool { return slices.Contains(Compliances, c) }

// CourtOrder is an order of the court in a case, and whether it was
// obeyed: ObeyedSource is the source that shows it (0 if none yet) and
// ObeyedNote says how.
type CourtOrder struct {
	ID           int64
	CaseID       int64
	Date         PartialDate
	Kind         OrderKind
	Text         string // the order's words, or a summary
	Obeyed       Compliance
	ObeyedSource int64
	ObeyedNote   string

	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
	UpdatedBy string
}

// Bounds of a case's text fields, in bytes.
const (
	MaxCaseLine = 500    // a title, a court, a number, a deadline's what, a note on a document
	MaxCaseText = 20_000 // notes, an order's text
)

// checkCaseText checks one text field: valid UTF-8, no NUL byte, at most max
// bytes, and one line if oneLine. EINVALID names the field.
func checkCaseText(field, v string, max int, oneLine bool) error {
	switch {
	case len(v) > max:
		return Errorf(EINVALID, "%s is longer than %d bytes", field, max)
	case !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0:
		return Errorf(EINVALID, "%s is not valid text", field)
	case oneLine && strings.ContainsAny(v, "\r\n"):
		return Errorf(EINVALID, "%s must be one line", field)
	}
	return nil
}

// dateNotBefore reports whether b is not before a, as far as the less
// precise of the two goes ("2025" is not before "2025-03-16"). Either
// zero is never out of order.
func dateNotBefore(a, b PartialDate) bool {
	if a.IsZero() || b.IsZero() {
		return true
	}
	as, bs := a.String(), b.String()
	n := min(len(as), len(bs))
	return bs[:n] >= as[:n]
}

// Validate checks a case's own fields (not its people, lawyers or
// deadlines). EINVALID names the field.
func (c *Case) Validate() error {
	if !c.Kind.Valid() {
		return Errorf(EINVALID, "case kind %q is not one of habeas, removal, criminal, international, other", c.Kind)
	}
	if !c.Status.Valid() {
		return Errorf(EINVALID, "case status %q is not open, appeal or closed", c.Status)
	}
	if strings.TrimSpace(c.Title) == "" {
		return Errorf(EINVALID, "a case needs a title")
	}
	for _, f := range []struct{ name, v string }{{"title", c.Title}, {"court", c.Court}, {"case number", c.Number}} {
		if err := checkCaseText(f.name, f.v, MaxCaseLine, true); err != nil {
			return err
		}
	}
	if err := checkCaseText("notes", c.Notes, MaxCaseText, false); err != nil {
		return err
	}
	if !c.Opened.Valid() || !c.Closed.Valid() {
		return Errorf(EINVALID, "a case's dates must be calendar dates")
	}
	if !dateNotBefore(c.Opened, c.Closed) {
		return Errorf(EINVALID, "a case cannot close before it opened")
	}
	return nil
}

// Validate checks a hearing or deadline. EINVALID names the field.
func (d *Deadline) Validate() error {
	if !d.Kind.Valid() {
		return Errorf(EINVALID, "%q is neither a hearing nor a deadline", d.Kind)
	}
	if !d.Status.Valid() {
		return Errorf(EINVALID, "deadline status %q is not pending, done or vacated", d.Status)
	}
	if d.Due.Day == 0 || !d.Due.Valid() {
		return Errorf(EINVALID, "a hearing or deadline needs a full date")
	}
	if d.Time != "" {
		t, err := time.Parse("15:04", d.Time)
		if err != nil || t.Format("15:04") != d.Time {
			return Errorf(EINVALID, "time %q is not HH:MM", d.Time)
		}
	}
	if strings.TrimSpace(d.What) == "" {
		return Errorf(EINVALID, "say what the hearing or deadline is")
	}
	if err := checkCaseText("what", d.What, MaxCaseLine, true); err != nil {
		return err
	}
	if !d.RemindOn.IsZero() {
		if d.RemindOn.Day == 0 || !d.RemindOn.Valid() {
			return Errorf(EINVALID, "a reminder needs a full date")
		}
		if !dateNotBefore(d.RemindOn, d.Due) {
			return Errorf(EINVALID, "a reminder must come on or before the date it reminds of")
		}
	}
	return nil
}

// Validate checks a court order. EINVALID names the field.
func (o *CourtOrder) Validate() error {
	if !o.Kind.Valid() {
		return Errorf(EINVALID, "order kind %q is not one of %v", o.Kind, OrderKinds)
	}
	if o.Date.IsZero() || !o.Date.Valid() {
		return Errorf(EINVALID, "a court order needs its date (at least the year)")
	}
	if !o.Obeyed.Valid() {
		return Errorf(EINVALID, "%q is not obeyed, disobeyed or unknown", o.Obeyed)
	}
	if o.ObeyedSource < 0 {
		return Errorf(EINVALID, "the source of compliance is a source id")
	}
	if err := checkCaseText("order text", o.Text, MaxCaseText, false); err != nil {
		return err
	}
	return checkCaseText("compliance note", o.ObeyedNote, MaxCaseLine, true)
}

// Validate checks a document's citation. EINVALID.
func (d *CaseDocument) Validate() error {
	if d.SourceID <= 0 {
		return Errorf(EINVALID, "a document is a source, by its id")
	}
	return checkCaseText("note", d.Note, MaxCaseLine, true)
}

// CaseUpdate changes a case's own fields; nil fields stay as they are.
type CaseUpdate struct {
	Kind   *CaseKind
	Title  *string
	Court  *string
	Number *string
	Status *CaseStatus
	Opened *PartialDate
	Closed *PartialDate
	Notes  *string
}

// Apply sets the fields upd gives and returns the names of those that
// changed (never their values, which may be personal data).
func (c *Case) Apply(upd CaseUpdate) []string {
	var changed []string
	setField(&changed, "kind", &c.Kind, upd.Kind)
	setField(&changed, "title", &c.Title, upd.Title)
	setField(&changed, "court", &c.Court, upd.Court)
	setField(&changed, "number", &c.Number, upd.Number)
	setField(&changed, "status", &c.Status, upd.Status)
	setField(&changed, "opened", &c.Opened, upd.Opened)
	setField(&changed, "closed", &c.Closed, upd.Closed)
	setField(&changed, "notes", &c.Notes, upd.Notes)
	return changed
}

// DeadlineUpdate changes a hearing or deadline; nil fields stay.
type DeadlineUpdate struct {
	Kind     *DeadlineKind
	Due      *PartialDate
	Time     *string
	What     *string
	Status   *DeadlineStatus
	RemindOn *PartialDate
}

// Apply sets the fields upd gives and returns the names of those that
// changed. A new reminder day clears RemindedAt, so it goes out again.
func (d *Deadline) Apply(upd DeadlineUpdate) []string {
	var changed []string
	setField(&changed, "kind", &d.Kind, upd.Kind)
	setField(&changed, "due", &d.Due, upd.Due)
	setField(&changed, "time", &d.Time, upd.Time)
	setField(&changed, "what", &d.What, upd.What)
	setField(&changed, "status", &d.Status, upd.Status)
	if setField(&changed, "remind_on", &d.RemindOn, upd.RemindOn) {
		d.RemindedAt = time.Time{}
	}
	return changed
}

// CourtOrderUpdate changes a court order; nil fields stay.
type CourtOrderUpdate struct {
	Date         *PartialDate
	Kind         *OrderKind
	Text         *string
	Obeyed       *Compliance
	ObeyedSource *int64
	ObeyedNote   *string
}

// Apply sets the fields upd gives and returns the names of those that
// changed.
func (o *CourtOrder) Apply(upd CourtOrderUpdate) []string {
	var changed []string
	setField(&changed, "date", &o.Date, upd.Date)
	setField(&changed, "kind", &o.Kind, upd.Kind)
	setField(&changed, "text", &o.Text, upd.Text)
	setField(&changed, "obeyed", &o.Obeyed, upd.Obeyed)
	setField(&changed, "obeyed_source", &o.ObeyedSource, upd.ObeyedSource)
	setField(&changed, "obeyed_note", &o.ObeyedNote, upd.ObeyedNote)
	return changed
}

// setField copies *v into *dst if v is given and differs, noting name in
// changed; it reports whether it did.
func setField[T comparable](changed *[]string, name string, dst *T, v *T) bool {
	if v == nil || *v == *dst {
		return false
	}
	*dst = *v
	*changed = append(*changed, name)
	return true
}

// Change is one attributed write to a case or a violation: who, when,
// what. Stores append one in the transaction of every write, so the
// history cannot miss one. It holds ids and field names, never values.
type Change struct {
	ID      int64
	Subject string // "case:12" or "violation:3"
	At      time.Time
	Actor   string // Actor.Name
	Action  string // see the Change* actions
	Object  string // what inside the subject: "record:40", "user:3", "deadline:5", "order:2", "source:7"; "" for the subject itself
	Fields  string // for an update, the names of the fields it changed, comma-separated
}

// Change actions.
const (
	ChangeCreate         = "create"
	ChangeUpdate         = "update"
	ChangePersonAdd      = "person.add"
	ChangePersonRemove   = "person.remove"
	ChangeLawyerAssign   = "lawyer.assign"
	ChangeLawyerUnassign = "lawyer.unassign"
	ChangeDeadlineAdd    = "deadline.add"
	ChangeDeadlineUpdate = "deadline.update"
	ChangeOrderAdd       = "order.add"
	ChangeOrderUpdate    = "order.update"
	ChangeDocumentAdd    = "document.add"
	ChangeDocumentRemove = "document.remove"
)

// CaseSubject and ViolationSubject name a case or a violation as changes,
// audit entries and follows do: "case:12".
func CaseSubject(id int64) string      { return "case:" + strconv.FormatInt(id, 10) }
func ViolationSubject(id int64) string { return "violation:" + strconv.FormatInt(id, 10) }

// Audit actions of cases and violations, written by whoever shows or
// changes them (the web's access layer). The object is "case:ID" or
// "violation:ID". Linking a person to a case or assigning a lawyer changes
// who may see whom, so it has an action of its own.
const (
	AuditCaseView        = "case.view" // a case's page (it names its people) was shown
	AuditCaseCreate      = "case.create"
	AuditCaseUpdate      = "case.update" // its facts, hearings, deadlines, orders or documents changed
	AuditCaseAccess      = "case.access" // a person was linked or unlinked, a lawyer assigned or unassigned
	AuditViolationView   = "violation.view"
	AuditViolationCreate = "violation.create"
	AuditViolationUpdate = "violation.update"
)

// CaseFilter selects cases. Zero fields select everything; given fields
// must all hold.
type CaseFilter struct {
	LawyerID int64 // cases this user is assigned to
	// Records selects cases linked to one of these records (a person's
	// records); nil selects any, an empty slice none.
	Records []int64
	Kind    CaseKind
	Status  CaseStatus
	Offset  int
	Limit   int // 0 means a default page of 100
}

// DeadlineFilter selects hearings and deadlines. Zero fields select
// everything; given fields must all hold.
type DeadlineFilter struct {
	CaseID   int64
	LawyerID int64 // of cases this user is assigned to
	Status   DeadlineStatus
	From, To PartialDate // Due within [From, To], full dates
	// RemindBy selects pending deadlines whose reminder day is on or
	// before it and whose reminder has not gone out: the reminder sweep.
	RemindBy PartialDate
	Limit    int // 0 means a default of 100
}

// CaseService keeps cases, their people, lawyers, hearings, deadlines,
// court orders and documents. It stores and attributes (every write
// records the actor in ctx and appends a Change); it does not decide who
// may call it: the web's access layer and the command line do, through
// Role.Can and the case's lawyers.
type CaseService interface {
	// CreateCase stores c with its People and Lawyers; the store sets ID,
	// the times and the actors (from ctx). EINVALID (Validate, a lawyer
	// who is not a lawyer), ENOTFOUND for a record or user that does not
	// exist.
	CreateCase(ctx context.Context, c *Case) error
	// FindCaseByID returns the case with everything it holds. ENOTFOUND.
	FindCaseByID(ctx context.Context, id int64) (*Case, error)
	// FindCases returns a page of cases, newest first, with their People
	// and Lawyers, and the total.
	FindCases(ctx context.Context, f CaseFilter) ([]*Case, int, error)
	// UpdateCase applies upd and returns the case as stored. ENOTFOUND,
	// EINVALID.
	UpdateCase(ctx context.Context, id int64, upd CaseUpdate) (*Case, error)

	// AddCasePerson links a record's person to a case; the store sets
	// AddedAt and AddedBy. ENOTFOUND (case, record), ECONFLICT if the
	// record is linked already.
	AddCasePerson(ctx context.Context, caseID int64, p *CasePerson) error
	// RemoveCasePerson unlinks it. ENOTFOUND if it is not linked.
	RemoveCasePerson(ctx context.Context, caseID, recordID int64) error
	// AssignCaseLawyer assigns a user with the lawyer role. ENOTFOUND
	// (case, user), EINVALID if the user is not a lawyer, ECONFLICT if
	// assigned already.
	AssignCaseLawyer(ctx context.Context, caseID, userID int64) error
	// UnassignCaseLawyer removes the assignment. ENOTFOUND if none.
	UnassignCaseLawyer(ctx context.Context, caseID, userID int64) error

	// CreateDeadline stores d (CaseID set); the store sets ID, times and
	// actors. ENOTFOUND (case), EINVALID.
	CreateDeadline(ctx context.Context, d *Deadline) error
	// UpdateDeadline applies upd. ENOTFOUND, EINVALID.
	UpdateDeadline(ctx context.Context, id int64, upd DeadlineUpdate) (*Deadline, error)
	// FindDeadlines returns hearings and deadlines by date, then id.
	FindDeadlines(ctx context.Context, f DeadlineFilter) ([]*Deadline, error)
	// MarkReminded records that a deadline's reminder went out at at.
	// ENOTFOUND.
	MarkReminded(ctx context.Context, id int64, at time.Time) error

	// CreateCourtOrder stores o (CaseID set). ENOTFOUND (case, the source
	// of compliance), EINVALID.
	CreateCourtOrder(ctx context.Context, o *CourtOrder) error
	// UpdateCourtOrder applies upd. ENOTFOUND, EINVALID.
	UpdateCourtOrder(ctx context.Context, id int64, upd CourtOrderUpdate) (*CourtOrder, error)

	// AddCaseDocument cites a source in support of a case. ENOTFOUND
	// (case, source), ECONFLICT if cited already, EINVALID.
	AddCaseDocument(ctx context.Context, caseID int64, d *CaseDocument) error
	// RemoveCaseDocument removes the citation. ENOTFOUND if none.
	RemoveCaseDocument(ctx context.Context, caseID, sourceID int64) error

	// FindChanges returns the changes to a subject ("case:12",
	// "violation:3"), oldest first.
	FindChanges(ctx context.Context, subject string) ([]*Change, error)
}
