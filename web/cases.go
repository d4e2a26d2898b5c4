package web

import (
	"bytes"
	"context"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

// The case pages: the list of one's cases with the hearings and deadlines
// coming up, a case's page (its people, lawyers, hearings, deadlines,
// court orders, documents, violations and history), the forms that change
// it, and its dossier. access.go decides who sees and changes what; every
// form carries the CSRF token and answers with a redirect (303) on
// success, or the page again with the error (400) in place.

// Words for the cases' vocabularies.

// CaseKind names a kind of case.
func (p Printer) CaseKind(k paradero.CaseKind) string { return p.T("case.kind." + string(k)) }

// CaseStatus names a case's status.
func (p Printer) CaseStatus(s paradero.CaseStatus) string { return p.T("case.status." + string(s)) }

// DeadlineKind names a hearing or a deadline.
func (p Printer) DeadlineKind(k paradero.DeadlineKind) string {
	return p.T("deadline.kind." + string(k))
}

// DeadlineStatus names a deadline's status.
func (p Printer) DeadlineStatus(s paradero.DeadlineStatus) string {
	return p.T("deadline.status." + string(s))
}

// OrderKind names a kind of court order.
func (p Printer) OrderKind(k paradero.OrderKind) string { return p.T("order.kind." + string(k)) }

// Compliance says whether an order was obeyed.
func (p Printer) Compliance(c paradero.Compliance) string { return p.T("order.obeyed." + string(c)) }

// Change says what a change to a case or violation did.
func (p Printer) Change(c *paradero.Change) string { return p.T("change." + c.Action) }

// reminderDays are the choices a form offers for a reminder: none, or so
// many days before.
var reminderDays = []int{0, 1, 2, 3, 7, 14, 30}

// today is the server's calendar day, as deadlines are dated.
func (s *Server) today() paradero.PartialDate {
	t := s.now().UTC()
	return paradero.PartialDate{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}
}

// addDays moves a full date by n days.
func addDays(d paradero.PartialDate, n int) paradero.PartialDate {
	t := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n)
	return paradero.PartialDate{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}
}

// daysBetween returns b − a in days, both full dates.
func daysBetween(a, b paradero.PartialDate) int {
	ta := time.Date(a.Year, time.Month(a.Month), a.Day, 0, 0, 0, 0, time.UTC)
	tb := time.Date(b.Year, time.Month(b.Month), b.Day, 0, 0, 0, 0, time.UTC)
	return int(tb.Sub(ta).Hours() / 24)
}

// formText reads a trimmed form field.
func formText(r *http.Request, name string) string { return strings.TrimSpace(r.PostFormValue(name)) }

// formDate reads an ISO date field, "" being the zero date.
func formDate(r *http.Request, name string) (paradero.PartialDate, bool) {
	d, err := paradero.ParsePartialDate(formText(r, name))
	return d, err == nil
}

// formID reads a positive id field; "" is 0.
func formID(r *http.Request, name string) (int64, bool) {
	v := formText(r, name)
	if v == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n > 0
}

// pathID reads a numeric path value; a malformed one is not found.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFoundError()
	}
	return id, nil
}

// formErrorKey turns a store's refusal of a form into a message key;
// other errors are not the form's and go up.
func formErrorKey(err error) (string, bool) {
	switch paradero.ErrorCode(err) {
	case paradero.EINVALID:
		return "form.invalid", true
	case paradero.ENOTFOUND:
		return "form.not_found", true
	case paradero.ECONFLICT:
		return "form.conflict", true
	}
	return "", false
}

// casesData is the cases list.
type casesData struct {
	Cases    []caseRow
	Pager    pager
	Kind     paradero.CaseKind
	Status   paradero.CaseStatus
	Kinds    []paradero.CaseKind
	Statuses []paradero.CaseStatus
	Coming   []deadlineRow // the next weeks' hearings and deadlines
	Due      []deadlineRow // reminders due and not done
	CanEdit  bool
}

type caseRow struct {
	*paradero.Case
	Next *paradero.Deadline // the next pending hearing or deadline
}

type deadlineRow struct {
	*paradero.Deadline
	Title       string // its case's
	Overdue     bool
	ReminderDue bool
	InDays      int
}

// casesPage lists the cases the viewer sees, newest first, with the
// hearings and deadlines of the next weeks and the reminders due.
func (s *Server) casesPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	d := casesData{Kind: paradero.CaseKind(q.Get("kind")), Status: paradero.CaseStatus(q.Get("status")),
		Kinds: paradero.CaseKinds, Statuses: paradero.CaseStatuses,
		CanEdit: paradero.ActorFromContext(ctx).Can(paradero.PermEditCases)}
	if !d.Kind.Valid() {
		d.Kind = ""
	}
	if !d.Status.Valid() {
		d.Status = ""
	}
	page := pageParam(r)
	cases, total, err := s.findCases(ctx, paradero.CaseFilter{Kind: d.Kind, Status: d.Status, Offset: (page - 1) * pageSize, Limit: pageSize})
	if err != nil {
		return err
	}
	d.Pager = newPager(page, total)
	today := s.today()
	ahead, err := s.findDeadlines(ctx, paradero.DeadlineFilter{Status: paradero.DeadlinePending, To: addDays(today, 30), Limit: 200})
	if err != nil {
		return err
	}
	titles := make(map[int64]string)
	for _, c := range cases {
		titles[c.ID] = c.Title
	}
	next := make(map[int64]*paradero.Deadline)
	for _, dl := range ahead {
		if _, ok := next[dl.CaseID]; !ok && !dl.Due.IsZero() && daysBetween(today, dl.Due) >= 0 {
			next[dl.CaseID] = dl
		}
		if _, ok := titles[dl.CaseID]; !ok {
			c, _, err := s.loadCase(ctx, dl.CaseID)
			if err != nil {
				return err
			}
			titles[c.ID] = c.Title
		}
		row := deadlineRow{Deadline: dl, Title: titles[dl.CaseID], InDays: daysBetween(today, dl.Due)}
		row.Overdue = row.InDays < 0
		row.ReminderDue = !dl.RemindOn.IsZero() && daysBetween(dl.RemindOn, today) >= 0
		d.Coming = append(d.Coming, row)
		if row.ReminderDue {
			d.Due = append(d.Due, row)
		}
	}
	for _, c := range cases {
		d.Cases = append(d.Cases, caseRow{Case: c, Next: next[c.ID]})
	}
	p := stateOf(ctx).printer
	return s.render(w, r, http.StatusOK, "cases", p.T("cases.title"), "cases", d)
}

// caseFormData is the form that opens or edits a case.
type caseFormData struct {
	Case      *paradero.Case // nil when opening one
	Form      url.Values
	Error     string
	Kinds     []paradero.CaseKind
	Statuses  []paradero.CaseStatus
	Manage    bool // may link people and assign lawyers on opening
	Lawyers   []*paradero.User
	Action    string
	ChosenLaw map[string]bool
}

func (s *Server) caseForm(r *http.Request, c *paradero.Case, form url.Values, errKey string) (*caseFormData, error) {
	ctx := r.Context()
	d := &caseFormData{Case: c, Form: form, Error: errKey, Kinds: paradero.CaseKinds, Statuses: paradero.CaseStatuses,
		Action: "/cases", ChosenLaw: make(map[string]bool)}
	if c != nil {
		d.Action = "/cases/" + strconv.FormatInt(c.ID, 10)
		if form == nil {
			d.Form = url.Values{"kind": {string(c.Kind)}, "title": {c.Title}, "court": {c.Court}, "number": {c.Number},
				"status": {string(c.Status)}, "opened": {c.Opened.String()}, "closed": {c.Closed.String()}, "notes": {c.Notes}}
		}
	} else if paradero.ActorFromContext(ctx).Can(paradero.PermManageCases) {
		d.Manage = true
		us, err := s.findLawyers(ctx)
		if err != nil {
			return nil, err
		}
		d.Lawyers = us
	}
	if d.Form == nil {
		d.Form = url.Values{"kind": {string(paradero.CaseHabeas)}, "status": {string(paradero.CaseOpen)}}
	}
	for _, v := range d.Form["lawyer"] {
		d.ChosenLaw[v] = true
	}
	return d, nil
}

// caseNewPage shows the form that opens a case.
func (s *Server) caseNewPage(w http.ResponseWriter, r *http.Request) error {
	if err := require(r.Context(), paradero.PermEditCases); err != nil {
		return err
	}
	d, err := s.caseForm(r, nil, nil, "")
	if err != nil {
		return err
	}
	// A person page's "open a case" fills the person in.
	q := r.URL.Query()
	for _, k := range []string{"person", "record"} {
		if id, err := strconv.ParseInt(q.Get(k), 10, 64); err == nil && id > 0 && d.Manage {
			d.Form.Set("people", k+":"+strconv.FormatInt(id, 10))
		}
	}
	return s.render(w, r, http.StatusOK, "case_form", stateOf(r.Context()).printer.T("case.new.title"), "cases", d)
}

// readCaseFacts reads the facts of a case from its form; a message key
// when one is wrong.
func readCaseFacts(r *http.Request) (paradero.CaseUpdate, string) {
	kind, status := paradero.CaseKind(formText(r, "kind")), paradero.CaseStatus(formText(r, "status"))
	title, court, number, notes := formText(r, "title"), formText(r, "court"), formText(r, "number"), strings.TrimSpace(r.PostFormValue("notes"))
	opened, ok1 := formDate(r, "opened")
	closed, ok2 := formDate(r, "closed")
	switch {
	case !kind.Valid() || !status.Valid():
		return paradero.CaseUpdate{}, "form.invalid"
	case title == "":
		return paradero.CaseUpdate{}, "case.error.title"
	case !ok1 || !ok2:
		return paradero.CaseUpdate{}, "form.date"
	}
	upd := paradero.CaseUpdate{Kind: &kind, Title: &title, Court: &court, Number: &number, Status: &status,
		Opened: &opened, Closed: &closed, Notes: &notes}
	var c paradero.Case
	c.Apply(upd)
	if c.Validate() != nil {
		return paradero.CaseUpdate{}, "form.invalid"
	}
	return upd, ""
}

// createCaseForm opens a case from its form.
func (s *Server) createCaseForm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, paradero.PermEditCases); err != nil {
		return err
	}
	p := stateOf(ctx).printer
	again := func(key string) error {
		d, err := s.caseForm(r, nil, r.PostForm, key)
		if err != nil {
			return err
		}
		return s.render(w, r, http.StatusBadRequest, "case_form", p.T("case.new.title"), "cases", d)
	}
	upd, key := readCaseFacts(r)
	if key != "" {
		return again(key)
	}
	c := &paradero.Case{}
	c.Apply(upd)
	if paradero.ActorFromContext(ctx).Can(paradero.PermManageCases) {
		for _, t := range splitTargets(r.PostFormValue("people")) {
			rec, err := s.resolveTarget(ctx, t)
			if err != nil {
				if k, ok := formErrorKey(err); ok {
					return again(k)
				}
				return err
			}
			if !slices.ContainsFunc(c.People, func(p paradero.CasePerson) bool { return p.RecordID == rec }) {
				c.People = append(c.People, paradero.CasePerson{RecordID: rec})
			}
		}
		for _, v := range r.PostForm["lawyer"] {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return again("form.invalid")
			}
			c.Lawyers = append(c.Lawyers, paradero.CaseLawyer{UserID: id})
		}
	}
	if err := s.createCase(ctx, c); err != nil {
		if k, ok := formErrorKey(err); ok {
			return again(k)
		}
		return err
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	return nil
}

// splitTargets splits a list of people ("person:12, record:40" or one a
// line) into its items.
func splitTargets(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ';' || r == ' ' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// caseEditPage shows the form that edits a case's facts.
func (s *Server) caseEditPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, paradero.PermEditCases); err != nil {
		return err
	}
	id, err := idParam(r)
	if err != nil {
		return err
	}
	c, _, err := s.loadCase(ctx, id)
	if err != nil {
		return err
	}
	d, err := s.caseForm(r, c, nil, "")
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "case_form", stateOf(ctx).printer.T("case.edit.title", c.ID), "cases", d)
}

// updateCaseForm changes a case's facts from its form.
func (s *Server) updateCaseForm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, paradero.PermEditCases); err != nil {
		return err
	}
	id, err := idParam(r)
	if err != nil {
		return err
	}
	c, _, err := s.loadCase(ctx, id)
	if err != nil {
		return err
	}
	again := func(key string) error {
		d, err := s.caseForm(r, c, r.PostForm, key)
		if err != nil {
			return err
		}
		return s.render(w, r, http.StatusBadRequest, "case_form", stateOf(ctx).printer.T("case.edit.title", c.ID), "cases", d)
	}
	upd, key := readCaseFacts(r)
	if key != "" {
		return again(key)
	}
	if _, err := s.updateCase(ctx, id, upd); err != nil {
		if k, ok := formErrorKey(err); ok {
			return again(k)
		}
		return err
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// caseData is a case's page.
type caseData struct {
	Case       *paradero.Case
	People     []casePersonRow
	Lawyers    []lawyerRow
	Deadlines  []deadlineRow
	Orders     []orderRow
	Documents  []documentRow
	Violations []violationRow
	History    []*paradero.Change

	CanEdit, CanManage, CanRecord bool
	Follow                        *caseFollow // nil when the store keeps no follows
	LawyerChoices                 []*paradero.User
	Sources                       map[int64]*paradero.Source // the case's citable sources, for lawyers' choices

	DeadlineKinds    []paradero.DeadlineKind
	DeadlineStatuses []paradero.DeadlineStatus
	OrderKinds       []paradero.OrderKind
	Compliances      []paradero.Compliance
	ReminderDays     []int

	Error   string     // a message key
	ErrorAt string     // the section whose form failed
	Form    url.Values // that form's values
}

type casePersonRow struct {
	casePerson
	Name     string // as the anchor (or the first record that names them) wrote it
	Link     string
	Status   paradero.PersonStatus
	Flagged  bool
	Moved    bool // linked as another person than the one it is now
	Redacted bool
}

type lawyerRow struct {
	paradero.CaseLawyer
	Name string
}

type orderRow struct {
	*paradero.CourtOrder
	Source *paradero.Source
}

type documentRow struct {
	paradero.CaseDocument
	Source *paradero.Source
}

// Value returns a field of the form that failed in section, to fill it
// in again.
func (d *caseData) Value(section, name string) string {
	if d.ErrorAt != section || d.Form == nil {
		return ""
	}
	return d.Form.Get(name)
}

// deadlineFormData is a hearing or deadline's form: D is nil for a new one.
type deadlineFormData struct {
	C      *caseData
	D      *paradero.Deadline
	Prefix string // of the form's element ids
}

// Get returns the value a field starts with: the deadline's, or what the
// failed form held.
func (f deadlineFormData) Get(name string) string {
	if f.D == nil {
		return f.C.Value("deadlines", name)
	}
	switch name {
	case "kind":
		return string(f.D.Kind)
	case "due":
		return f.D.Due.String()
	case "time":
		return f.D.Time
	case "what":
		return f.D.What
	case "remind":
		if f.D.RemindOn.IsZero() {
			return "0"
		}
		return strconv.Itoa(daysBetween(f.D.RemindOn, f.D.Due))
	}
	return ""
}

// DeadlineForm returns the form of deadline dl, or of a new one.
func (d *caseData) DeadlineForm(dl *paradero.Deadline) deadlineFormData {
	f := deadlineFormData{C: d, D: dl, Prefix: "dl-new"}
	if dl != nil {
		f.Prefix = "dl-" + strconv.FormatInt(dl.ID, 10)
	}
	return f
}

// sourceFieldData is a field naming a source: a number for who browses
// evidence, a choice among the case's sources for a lawyer.
type sourceFieldData struct {
	ID      string
	Current int64
	Choices []*paradero.Source
}

// SourceField returns the source field with element id, set to current.
func (d *caseData) SourceField(id string, current int64) sourceFieldData {
	f := sourceFieldData{ID: id, Current: current}
	for _, s := range d.Sources {
		f.Choices = append(f.Choices, s)
	}
	slices.SortFunc(f.Choices, func(a, b *paradero.Source) int { return int(a.ID - b.ID) })
	return f
}

// caseView lays out case c for its page; the caller has audited the view.
func (s *Server) caseView(r *http.Request, c *paradero.Case) (*caseData, error) {
	ctx := r.Context()
	a := paradero.ActorFromContext(ctx)
	d := &caseData{Case: c, CanEdit: a.Can(paradero.PermEditCases), CanManage: a.Can(paradero.PermManageCases),
		CanRecord:     a.Can(paradero.PermRecordViolations),
		DeadlineKinds: paradero.DeadlineKinds, DeadlineStatuses: paradero.DeadlineStatuses,
		OrderKinds: paradero.OrderKinds, Compliances: paradero.Compliances, ReminderDays: reminderDays}
	people, err := s.resolveCasePeople(ctx, c)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for _, cp := range people {
		row := casePersonRow{casePerson: cp, Link: "/records/" + strconv.FormatInt(cp.RecordID, 10) + "/person"}
		if cp.Person != nil {
			row.Link = "/persons/" + strconv.FormatInt(cp.Person.ID, 10)
			row.Moved = cp.PersonID != 0 && cp.PersonID != cp.Person.ID
		}
		if m, ok := cp.Mentions[cp.RecordID]; ok {
			row.Name = m.Record.DisplayName()
		}
		var ms []mention
		for _, id := range cp.Records {
			m := cp.Mentions[id]
			ms = append(ms, m)
			if row.Name == "" {
				row.Name = m.Record.DisplayName()
			}
		}
		row.Redacted = row.Name == ""
		t := timelineOf(mentionsOf(ms), now)
		row.Status, row.Flagged = t.Status, t.Flag != nil
		d.People = append(d.People, row)
	}
	users, err := s.findCaseUsers(ctx, c)
	if err != nil {
		return nil, err
	}
	for _, l := range c.Lawyers {
		d.Lawyers = append(d.Lawyers, lawyerRow{CaseLawyer: l, Name: users[l.UserID].Name})
	}
	if d.CanManage {
		if d.LawyerChoices, err = s.findLawyers(ctx); err != nil {
			return nil, err
		}
	}
	today := s.today()
	for _, dl := range c.Deadlines {
		row := deadlineRow{Deadline: dl, Title: c.Title, InDays: daysBetween(today, dl.Due)}
		row.Overdue = dl.Status == paradero.DeadlinePending && row.InDays < 0
		row.ReminderDue = dl.Status == paradero.DeadlinePending && !dl.RemindOn.IsZero() && daysBetween(dl.RemindOn, today) >= 0
		d.Deadlines = append(d.Deadlines, row)
	}
	var ids []int64
	for _, o := range c.Orders {
		ids = append(ids, o.ObeyedSource)
	}
	for _, doc := range c.Documents {
		ids = append(ids, doc.SourceID)
	}
	srcs, err := s.findSourcesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, o := range c.Orders {
		d.Orders = append(d.Orders, orderRow{CourtOrder: o, Source: srcs[o.ObeyedSource]})
	}
	for _, doc := range c.Documents {
		d.Documents = append(d.Documents, documentRow{CaseDocument: doc, Source: srcs[doc.SourceID]})
	}
	if d.CanEdit && !a.Can(paradero.PermBrowseEvidence) {
		cite, err := s.caseSources(ctx, c)
		if err != nil {
			return nil, err
		}
		var citeIDs []int64
		for id := range cite {
			citeIDs = append(citeIDs, id)
		}
		slices.Sort(citeIDs)
		if d.Sources, err = s.findSourcesByID(ctx, citeIDs); err != nil {
			return nil, err
		}
	}
	vs, err := s.violationsOfCase(ctx, c, people)
	if err != nil {
		return nil, err
	}
	if d.Violations, err = s.violationRows(ctx, vs); err != nil {
		return nil, err
	}
	if d.History, err = s.findCaseChanges(ctx, c.ID); err != nil {
		return nil, err
	}
	if d.Follow, err = s.caseFollowOf(ctx, c.ID); err != nil {
		return nil, err
	}
	return d, nil
}

// caseFollow is the case page's follow button: it posts to /follows
// (target case:ID), and stopping posts to the follow's delete.
type caseFollow struct {
	Following *paradero.Follow
	CanFollow bool
}

// caseFollowOf returns the follow panel of case id's page, nil when the
// store keeps no follows.
func (s *Server) caseFollowOf(ctx context.Context, id int64) (*caseFollow, error) {
	fs, err := s.findFollows(ctx, paradero.FollowFilter{Kind: paradero.FollowCase, Object: strconv.FormatInt(id, 10)})
	switch {
	case paradero.ErrorCode(err) == paradero.EUNAVAILABLE:
		return nil, nil
	case err != nil:
		return nil, err
	}
	f := &caseFollow{CanFollow: paradero.CanFollow(paradero.ActorFromContext(ctx).Role, paradero.FollowCase)}
	if len(fs) > 0 {
		f.Following = fs[0]
	}
	return f, nil
}

// casePage shows a case.
func (s *Server) casePage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := idParam(r)
	if err != nil {
		return err
	}
	c, err := s.findCase(ctx, id)
	if err != nil {
		return err
	}
	d, err := s.caseView(r, c)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "case", stateOf(ctx).printer.T("case.title", c.ID, c.Title), "cases", d)
}

// caseAgain shows the case's page again with a form's error in place.
func (s *Server) caseAgain(w http.ResponseWriter, r *http.Request, caseID int64, section, key string) error {
	ctx := r.Context()
	c, err := s.findCase(ctx, caseID)
	if err != nil {
		return err
	}
	d, err := s.caseView(r, c)
	if err != nil {
		return err
	}
	d.Error, d.ErrorAt, d.Form = key, section, r.PostForm
	return s.render(w, r, http.StatusBadRequest, "case", stateOf(ctx).printer.T("case.title", c.ID, c.Title), "cases", d)
}

// caseAction runs one of the case page's forms. do checks who may use
// it first (an error: hidden looks missing), then returns a message key
// for a mistake in the form, or "" on success, which goes back to the
// form's section.
func (s *Server) caseAction(section string, do func(r *http.Request, caseID int64) (string, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := idParam(r)
		if err != nil {
			return err
		}
		key, err := do(r, id)
		if err != nil {
			return err
		}
		if key != "" {
			return s.caseAgain(w, r, id, section, key)
		}
		http.Redirect(w, r, "/cases/"+strconv.FormatInt(id, 10)+"#"+section, http.StatusSeeOther)
		return nil
	}
}

// formKey returns the message key of a store's refusal of a form, after
// the caller has checked who may use it; other errors go up.
func formKey(err error) (string, error) {
	if err == nil {
		return "", nil
	}
	if k, ok := formErrorKey(err); ok {
		return k, nil
	}
	return "", err
}

// caseGate checks that the actor holds perm and sees case id.
func (s *Server) caseGate(r *http.Request, id int64, perm paradero.Permission) (*paradero.Case, error) {
	if err := require(r.Context(), perm); err != nil {
		return nil, err
	}
	c, _, err := s.loadCase(r.Context(), id)
	return c, err
}

// addCasePersonForm links a person (person:ID or record:ID) to a case.
func (s *Server) addCasePersonForm(r *http.Request, id int64) (string, error) {
	ctx := r.Context()
	if _, err := s.caseGate(r, id, paradero.PermManageCases); err != nil {
		return "", err
	}
	targets := splitTargets(r.PostFormValue("person"))
	if len(targets) == 0 {
		return "case.error.person", nil
	}
	for _, t := range targets {
		rec, err := s.resolveTarget(ctx, t)
		if err != nil {
			return formKey(err)
		}
		if _, err := s.addCasePerson(ctx, id, rec); err != nil {
			return formKey(err)
		}
	}
	return "", nil
}

// removeCasePersonForm unlinks a record's person from a case.
func (s *Server) removeCasePersonForm(r *http.Request, id int64) (string, error) {
	rec, err := pathID(r, "record")
	if err != nil {
		return "", err
	}
	return "", s.removeCasePerson(r.Context(), id, rec)
}

// assignLawyerForm assigns a lawyer to a case.
func (s *Server) assignLawyerForm(r *http.Request, id int64) (string, error) {
	if _, err := s.caseGate(r, id, paradero.PermManageCases); err != nil {
		return "", err
	}
	user, ok := formID(r, "lawyer")
	if !ok || user == 0 {
		return "form.invalid", nil
	}
	return formKey(s.assignCaseLawyer(r.Context(), id, user))
}

// unassignLawyerForm removes a lawyer from a case.
func (s *Server) unassignLawyerForm(r *http.Request, id int64) (string, error) {
	user, err := pathID(r, "user")
	if err != nil {
		return "", err
	}
	return "", s.unassignCaseLawyer(r.Context(), id, user)
}

// readDeadline reads a hearing or deadline's form; a message key when one
// field is wrong. The reminder is chosen as days before the date.
func readDeadline(r *http.Request) (paradero.DeadlineUpdate, string) {
	kind, status := paradero.DeadlineKind(formText(r, "kind")), paradero.DeadlineStatus(formText(r, "status"))
	if status == "" {
		status = paradero.DeadlinePending
	}
	due, ok := formDate(r, "due")
	tm, what := formText(r, "time"), formText(r, "what")
	days, err := strconv.Atoi(formText(r, "remind"))
	switch {
	case !kind.Valid() || !status.Valid():
		return paradero.DeadlineUpdate{}, "form.invalid"
	case !ok || due.Day == 0:
		return paradero.DeadlineUpdate{}, "deadline.error.date"
	case what == "":
		return paradero.DeadlineUpdate{}, "deadline.error.what"
	case err != nil || !slices.Contains(reminderDays, days):
		return paradero.DeadlineUpdate{}, "form.invalid"
	}
	var remind paradero.PartialDate
	if days > 0 {
		remind = addDays(due, -days)
	}
	upd := paradero.DeadlineUpdate{Kind: &kind, Due: &due, Time: &tm, What: &what, Status: &status, RemindOn: &remind}
	var d paradero.Deadline
	d.Apply(upd)
	if d.Validate() != nil {
		return paradero.DeadlineUpdate{}, "form.invalid"
	}
	return upd, ""
}

// addDeadlineForm adds a hearing or deadline to a case.
func (s *Server) addDeadlineForm(r *http.Request, id int64) (string, error) {
	if _, err := s.caseGate(r, id, paradero.PermEditCases); err != nil {
		return "", err
	}
	upd, key := readDeadline(r)
	if key != "" {
		return key, nil
	}
	d := &paradero.Deadline{CaseID: id}
	d.Apply(upd)
	return formKey(s.createDeadline(r.Context(), d))
}

// updateDeadlineForm changes a hearing or deadline: its status alone (the
// row's buttons), or every field (the row's edit form).
func (s *Server) updateDeadlineForm(r *http.Request, id int64) (string, error) {
	did, err := pathID(r, "did")
	if err != nil {
		return "", err
	}
	c, err := s.caseGate(r, id, paradero.PermEditCases)
	if err != nil {
		return "", err
	}
	if !slices.ContainsFunc(c.Deadlines, func(d *paradero.Deadline) bool { return d.ID == did }) {
		return "", notFoundError() // the path names it: missing, not a mistake in the form
	}
	var upd paradero.DeadlineUpdate
	if r.PostForm.Has("due") {
		var key string
		if upd, key = readDeadline(r); key != "" {
			return key, nil
		}
	} else {
		st := paradero.DeadlineStatus(formText(r, "status"))
		if !st.Valid() {
			return "form.invalid", nil
		}
		upd.Status = &st
	}
	_, err = s.updateDeadline(r.Context(), id, did, upd)
	return formKey(err)
}

// readOrder reads a court order's form.
func readOrder(r *http.Request) (paradero.CourtOrderUpdate, string) {
	kind, obeyed := paradero.OrderKind(formText(r, "kind")), paradero.Compliance(formText(r, "obeyed"))
	date, ok := formDate(r, "date")
	src, okSrc := formID(r, "source")
	text, note := strings.TrimSpace(r.PostFormValue("text")), formText(r, "note")
	switch {
	case !kind.Valid() || !obeyed.Valid():
		return paradero.CourtOrderUpdate{}, "form.invalid"
	case !ok || date.IsZero():
		return paradero.CourtOrderUpdate{}, "order.error.date"
	case !okSrc:
		return paradero.CourtOrderUpdate{}, "order.error.source"
	}
	upd := paradero.CourtOrderUpdate{Date: &date, Kind: &kind, Text: &text, Obeyed: &obeyed, ObeyedSource: &src, ObeyedNote: &note}
	var o paradero.CourtOrder
	o.Apply(upd)
	if o.Validate() != nil {
		return paradero.CourtOrderUpdate{}, "form.invalid"
	}
	return upd, ""
}

// addOrderForm adds a court order to a case.
func (s *Server) addOrderForm(r *http.Request, id int64) (string, error) {
	if _, err := s.caseGate(r, id, paradero.PermEditCases); err != nil {
		return "", err
	}
	upd, key := readOrder(r)
	if key != "" {
		return key, nil
	}
	o := &paradero.CourtOrder{CaseID: id}
	o.Apply(upd)
	return formKey(s.createCourtOrder(r.Context(), o))
}

// updateOrderForm changes a court order: whether it was obeyed, and what
// shows it (the row's form), or every field.
func (s *Server) updateOrderForm(r *http.Request, id int64) (string, error) {
	oid, err := pathID(r, "oid")
	if err != nil {
		return "", err
	}
	c, err := s.caseGate(r, id, paradero.PermEditCases)
	if err != nil {
		return "", err
	}
	if !slices.ContainsFunc(c.Orders, func(o *paradero.CourtOrder) bool { return o.ID == oid }) {
		return "", notFoundError() // the path names it: missing, not a mistake in the form
	}
	var upd paradero.CourtOrderUpdate
	if r.PostForm.Has("date") {
		var key string
		if upd, key = readOrder(r); key != "" {
			return key, nil
		}
	} else {
		obeyed := paradero.Compliance(formText(r, "obeyed"))
		src, ok := formID(r, "source")
		note := formText(r, "note")
		if !obeyed.Valid() {
			return "form.invalid", nil
		}
		if !ok {
			return "order.error.source", nil
		}
		upd = paradero.CourtOrderUpdate{Obeyed: &obeyed, ObeyedSource: &src, ObeyedNote: &note}
	}
	_, err = s.updateCourtOrder(r.Context(), id, oid, upd)
	return formKey(err)
}

// addDocumentForm cites a source in support of a case.
func (s *Server) addDocumentForm(r *http.Request, id int64) (string, error) {
	if _, err := s.caseGate(r, id, paradero.PermManageCases); err != nil {
		return "", err
	}
	src, ok := formID(r, "source")
	if !ok || src == 0 {
		return "order.error.source", nil
	}
	return formKey(s.addCaseDocument(r.Context(), id, &paradero.CaseDocument{SourceID: src, Note: formText(r, "note")}))
}

// removeDocumentForm removes a source's citation from a case.
func (s *Server) removeDocumentForm(r *http.Request, id int64) (string, error) {
	src, err := pathID(r, "source")
	if err != nil {
		return "", err
	}
	return "", s.removeCaseDocument(r.Context(), id, src)
}

// caseDossier sends a case's dossier (report.BuildCaseDossier) as a file
// in the page's language: HTML by default, PDF with ?format=pdf. The
// export is audited as dossier.export of "case:ID".
func (s *Server) caseDossier(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := idParam(r)
	if err != nil {
		return err
	}
	if err := require(ctx, paradero.PermViewCases); err != nil {
		return err // before the format is looked at: hidden looks missing
	}
	format := r.URL.Query().Get("format")
	ct := map[string]string{"": "text/html; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}[format]
	if ct == "" {
		return paradero.Errorf(paradero.EINVALID, "format is html or pdf")
	}
	d, err := s.buildCaseDossier(ctx, id, stateOf(ctx).printer.Lang)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	ext := ".html"
	if format == "pdf" {
		ext = ".pdf"
		err = d.WritePDF(&b)
	} else {
		err = d.WriteHTML(&b)
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": "paradero-case-" + strconv.FormatInt(id, 10) + "-" + d.Lang + ext}))
	_, err = w.Write(b.Bytes())
	return err
}

// personPanels fills a person page's cases and violations, as the viewer
// may see them. The caller has shown (and audited) the person.
func (s *Server) personPanels(r *http.Request, recs []int64) ([]*paradero.Case, []violationRow, error) {
	ctx := r.Context()
	cases, err := s.casesOfPerson(ctx, recs)
	if err != nil {
		return nil, nil, err
	}
	vs, err := s.violationsOfPerson(ctx, recs)
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.violationRows(ctx, vs)
	return cases, rows, err
}
