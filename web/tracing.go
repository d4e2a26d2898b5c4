package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ingest"
	"github.com/paradero/paradero/linkage"
	"github.com/paradero/paradero/timeline"
)

// Tracing requests (paradero.TracingRequest). Two sets of pages share the
// paths under /tracing:
//
//   - A family member files a request and reads their own. What they see
//     is computed from their request alone: their path reads no record and
//     runs no search, so a request for someone the store holds and one for
//     no one give the same page, byte for byte and in time. Until staff
//     answer, the page says where the request stands and nothing else.
//   - Staff verify the requester (how, noted and attributed), search for
//     candidates (only once verified: GET /tracing/{ref}/candidates, which
//     runs the existing search with queries built from what the family
//     wrote, Spanish-name aware), decide on each, and compose the answer
//     in the requester's language from the confirmed person's timeline.
//     The composer will not offer a located answer about someone who may
//     be under 18, and the store refuses one.
//
// A request is named by its reference (paradero.NewTracingRef) in every
// URL, so a family member cannot count or guess others' requests.

// tracingForm is the filing form as submitted.
type tracingForm struct {
	SoughtName, SoughtOtherNames, SoughtBirthDate, SoughtAge, SoughtNationality string
	LastSeenPlace, LastSeenDate, Details, Relationship, Contact                 string
}

func tracingFormOf(r *http.Request) tracingForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return tracingForm{
		SoughtName: v("sought_name"), SoughtOtherNames: v("sought_other_names"), SoughtBirthDate: v("sought_birth_date"),
		SoughtAge: v("sought_age"), SoughtNationality: v("sought_nationality"), LastSeenPlace: v("last_seen_place"),
		LastSeenDate: v("last_seen_date"), Details: v("details"), Relationship: v("relationship"), Contact: v("contact"),
	}
}

// request reads the form into a request, or returns the message keys of
// what is wrong with it.
func (f tracingForm) request() (*paradero.TracingRequest, []string) {
	var errs []string
	r := &paradero.TracingRequest{SoughtName: f.SoughtName, SoughtOtherNames: f.SoughtOtherNames, SoughtAge: f.SoughtAge,
		SoughtNationality: f.SoughtNationality, LastSeenPlace: f.LastSeenPlace, Details: f.Details,
		Relationship: f.Relationship, Contact: f.Contact}
	if strings.IndexFunc(f.SoughtName, unicode.IsLetter) < 0 {
		errs = append(errs, "tracing.need_name")
	}
	if f.Relationship == "" {
		errs = append(errs, "tracing.need_relationship")
	}
	if f.Contact == "" {
		errs = append(errs, "tracing.need_contact")
	}
	var err error
	if r.SoughtBirthDate, err = ingest.ParseDate(f.SoughtBirthDate, ingest.DMY); err != nil {
		errs = append(errs, "tracing.bad_birth_date")
	}
	if r.LastSeenDate, err = ingest.ParseDate(f.LastSeenDate, ingest.DMY); err != nil {
		errs = append(errs, "tracing.bad_last_seen_date")
	}
	if len(errs) == 0 && r.Validate() != nil {
		errs = append(errs, "tracing.too_long")
	}
	return r, errs
}

// Printer words for tracing requests.

// TracingState names a request's state as its reader sees it.
func (p Printer) TracingState(s paradero.TracingState) string {
	return p.T("tracing.state." + string(s))
}

// Method names a verification method.
func (p Printer) Method(m paradero.VerificationMethod) string {
	return p.T("tracing.method." + string(m))
}

// Outcome names an answer's outcome.
func (p Printer) Outcome(o paradero.TracingOutcome) string {
	return p.T("tracing.outcome." + string(o))
}

// Closure names a reason to close a request.
func (p Printer) Closure(c paradero.ClosureReason) string { return p.T("tracing.closure." + string(c)) }

type tracingListData struct {
	Staff     bool
	Requests  []*paradero.TracingRequest
	State     paradero.TracingState
	States    []paradero.TracingState
	Pager     pager
	Available bool
}

// tracingPage lists the requests the viewer may read: a family member's
// own, with the way to file one; every request for staff, by state.
func (s *Server) tracingPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if !canReadTracing(ctx) {
		return notFoundError()
	}
	_, available := s.tracingService()
	staff := paradero.ActorFromContext(ctx).Can(paradero.PermHandleTracing)
	d := tracingListData{Staff: staff, States: paradero.TracingStates, Available: available}
	page := pageParam(r)
	f := paradero.TracingFilter{Offset: (page - 1) * pageSize, Limit: pageSize}
	if st := paradero.TracingState(r.URL.Query().Get("state")); staff && st.Valid() {
		d.State, f.State = st, st
	}
	list, total, err := s.findTracingRequests(ctx, f)
	if err != nil {
		return err
	}
	d.Requests, d.Pager = list, newPager(page, total)
	p := stateOf(ctx).printer
	title := p.T("tracing.title.own")
	if staff {
		title = p.T("tracing.title")
	}
	return s.render(w, r, http.StatusOK, "tracing", title, "tracing", d)
}

type tracingNewData struct {
	Form   tracingForm
	Errors []string
}

// tracingNewPage shows the filing form.
func (s *Server) tracingNewPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, paradero.PermFileTracing); err != nil {
		return err
	}
	p := stateOf(ctx).printer
	return s.render(w, r, http.StatusOK, "tracing_new", p.T("tracing.new.title"), "tracing", tracingNewData{})
}

// fileTracing files a request and sends the family member to it. The
// answer is a redirect to the new request's page, whatever the store
// holds.
func (s *Server) fileTracing(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, paradero.PermFileTracing); err != nil {
		return err
	}
	p := stateOf(ctx).printer
	form := tracingFormOf(r)
	again := func(status int, keys ...string) error {
		return s.render(w, r, status, "tracing_new", p.T("tracing.new.title"), "tracing", tracingNewData{Form: form, Errors: keys})
	}
	req, errs := form.request()
	if len(errs) > 0 {
		return again(http.StatusBadRequest, errs...)
	}
	err := s.fileTracingRequest(ctx, req)
	switch paradero.ErrorCode(err) {
	case "":
	case paradero.ECONFLICT:
		return again(http.StatusTooManyRequests, "tracing.limit")
	case paradero.EINVALID:
		return again(http.StatusBadRequest, "tracing.too_long")
	default:
		return err
	}
	http.Redirect(w, r, "/tracing/"+req.Ref, http.StatusSeeOther)
	return nil
}

// refParam reads the {ref} path value. A malformed one is simply not
// found.
func refParam(r *http.Request) (string, error) {
	ref := r.PathValue("ref")
	if !paradero.ValidTracingRef(ref) {
		return "", notFoundError()
	}
	return ref, nil
}

type tracingRequestData struct {
	Request *paradero.TracingRequest
	Details []string // the details' lines
	Message []string // the answer's lines
}

// lines splits text into its lines, for a page to break them without
// markup in the text.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

func answerMessage(r *paradero.TracingRequest) string {
	if r.Answer == nil {
		return ""
	}
	return r.Answer.Message
}

// tracingRequestPage shows a request: to its requester, what they filed
// and where it stands; to staff, the whole file and its forms.
func (s *Server) tracingRequestPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ref, err := refParam(r)
	if err != nil {
		return err
	}
	req, err := s.findTracingRequest(ctx, ref)
	if err != nil {
		return err
	}
	if !paradero.ActorFromContext(ctx).Can(paradero.PermHandleTracing) {
		p := stateOf(ctx).printer
		return s.render(w, r, http.StatusOK, "tracing_request", p.T("tracing.request.title", req.Ref), "tracing",
			tracingRequestData{Request: req, Details: lines(req.Details), Message: lines(answerMessage(req))})
	}
	d, err := s.tracingStaffData(ctx, req)
	if err != nil {
		return err
	}
	return s.renderStaff(w, r, http.StatusOK, d)
}

// decisionView is a decision on a candidate, with the record and the
// name of who decided.
type decisionView struct {
	*paradero.TracingCandidate
	Mention mention
	By      string
	Latest  bool // the decision in force for its record
}

// historyItem is one step of a request, attributed.
type historyItem struct {
	At     string
	By     string
	Action string // a message key
	Detail string
}

type tracingStaffData struct {
	Request   *paradero.TracingRequest
	Requester *paradero.User
	Lang      string // the requester's language: the answer is written in it
	Minor     bool   // the request itself may describe someone under 18
	Decisions []decisionView
	Confirmed []decisionView // records whose decision in force is "same"
	Draft     string         // a located answer, drafted from the confirmed person
	Blocked   string         // why a located answer cannot be given (a message key), if so
	Status    paradero.PersonStatus
	History   []historyItem
	Names     map[string]string // actor names ("user:3") as people read them
	Details   []string
	Message   []string
	Methods   []paradero.VerificationMethod
	Outcomes  []paradero.TracingOutcome
	Reasons   []paradero.ClosureReason
	Error     string // a message key
	Form      struct {
		Method, Note, Outcome, Message, Reason, CloseNote string
	}
}

// renderStaff renders the staff view of a request.
func (s *Server) renderStaff(w http.ResponseWriter, r *http.Request, status int, d *tracingStaffData) error {
	p := stateOf(r.Context()).printer
	return s.render(w, r, status, "tracing_staff", p.T("tracing.request.title", d.Request.Ref), "tracing", d)
}

// actorLabel names an actor as the audit log writes them ("user:3") by
// the user's name when it is a user.
func (s *Server) actorLabel(ctx context.Context, cache map[string]string, name string) string {
	if v, ok := cache[name]; ok {
		return v
	}
	label := name
	if id, err := strconv.ParseInt(strings.TrimPrefix(name, "user:"), 10, 64); err == nil && strings.HasPrefix(name, "user:") {
		if u, err := s.store.FindUserByID(ctx, id); err == nil {
			label = u.Name
		}
	}
	cache[name] = label
	return label
}

// tracingStaffData gathers the staff view of a request: its requester,
// the decisions on its candidates, the draft answer and the history.
func (s *Server) tracingStaffData(ctx context.Context, req *paradero.TracingRequest) (*tracingStaffData, error) {
	p := Printer{stateOf(ctx).printer}
	d := &tracingStaffData{Request: req, Methods: paradero.VerificationMethods, Outcomes: paradero.TracingOutcomes,
		Reasons: paradero.ClosureReasons, Minor: req.MayBeMinor(s.now())}
	u, err := s.store.FindUserByID(ctx, req.RequesterID)
	if err != nil {
		return nil, err
	}
	d.Requester, d.Lang = u, u.Language
	d.Details, d.Message = lines(req.Details), lines(answerMessage(req))
	names := make(map[string]string)
	d.Names = names
	d.History = append(d.History, historyItem{At: p.When(req.CreatedAt), By: u.Name, Action: "tracing.history.filed"})
	if v := req.Verification; v != nil {
		d.History = append(d.History, historyItem{At: p.When(v.At), By: s.actorLabel(ctx, names, v.By),
			Action: "tracing.history.verified", Detail: p.Method(v.Method) + ": " + v.Note})
	}
	if req.State != paradero.TracingFiled {
		cs, ms, err := s.findTracingCandidates(ctx, req)
		if err != nil {
			return nil, err
		}
		latest := make(map[int64]int)
		for i, c := range cs {
			latest[c.RecordID] = i
		}
		for i, c := range cs {
			dv := decisionView{TracingCandidate: c, Mention: ms[c.RecordID], By: s.actorLabel(ctx, names, c.By), Latest: latest[c.RecordID] == i}
			d.Decisions = append(d.Decisions, dv)
			if dv.Latest && c.Verdict == paradero.VerdictSame {
				d.Confirmed = append(d.Confirmed, dv)
			}
			d.History = append(d.History, historyItem{At: p.When(c.At), By: dv.By, Action: "tracing.history.candidate",
				Detail: p.T("person.record", c.RecordID) + ": " + p.Verdict(c.Verdict)})
		}
	}
	if a := req.Answer; a != nil {
		d.History = append(d.History, historyItem{At: p.When(a.At), By: s.actorLabel(ctx, names, a.By),
			Action: "tracing.history.answered", Detail: p.Outcome(a.Outcome)})
	}
	if c := req.Closure; c != nil {
		detail := p.Closure(c.Reason)
		if c.Note != "" {
			detail += ": " + c.Note
		}
		d.History = append(d.History, historyItem{At: p.When(c.At), By: s.actorLabel(ctx, names, c.By),
			Action: "tracing.history.closed", Detail: detail})
	}
	if req.State == paradero.TracingVerified {
		if err := s.draftAnswer(ctx, d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// draftAnswer fills the draft of a located answer, in the requester's
// language, from the timeline of the person of the first confirmed record,
// and says why none may be given: nothing confirmed, or someone who may be
// under 18 or whom a redaction protects (the store refuses those too).
func (s *Server) draftAnswer(ctx context.Context, d *tracingStaffData) error {
	now := s.now()
	switch {
	case len(d.Confirmed) == 0:
		d.Blocked = "tracing.answer.none_confirmed"
		return nil
	case d.Minor:
		d.Blocked = "tracing.answer.minor"
		return nil
	}
	first := d.Confirmed[0].RecordID
	ids := []int64{first}
	person, err := s.personOfRecord(ctx, first)
	if err != nil {
		return err
	}
	if person != nil {
		ids = person.Records
	}
	for _, c := range d.Confirmed[1:] {
		if !slices.Contains(ids, c.RecordID) {
			ids = append(ids, c.RecordID)
		}
	}
	ms, err := s.loadMentions(ctx, ids)
	if err != nil {
		return err
	}
	if person != nil {
		if err := s.audit(ctx, auditPersonView, objectID("person", person.ID)); err != nil {
			return err
		}
	}
	var tl []timeline.Mention
	for _, id := range ids {
		m := ms[id]
		if m.Record.Redaction != nil {
			d.Blocked = "tracing.answer.protected"
			return nil
		}
		if paradero.RecordMayBeMinor(m.Record, m.Source.Published, now) {
			d.Blocked = "tracing.answer.minor"
			return nil
		}
		tl = append(tl, timeline.Mention{Record: m.Record, Source: m.Source})
	}
	t := timeline.Build(tl, nil, timeline.Options{Now: now})
	d.Status = t.Status
	rp := Printer{s.catalog.Printer(d.Lang)}
	var b strings.Builder
	b.WriteString(rp.Plural("tracing.draft.found", countSources(ms), d.Request.SoughtName))
	b.WriteString(" ")
	b.WriteString(rp.T("tracing.draft.status", rp.Status(t.Status)))
	if e := t.LastConfirmed; e != nil {
		var where []string
		for _, v := range []string{e.Facility, e.Place, e.Custodian} {
			if v != "" && !slices.Contains(where, v) {
				where = append(where, v)
			}
		}
		if len(where) > 0 {
			b.WriteString(" ")
			b.WriteString(rp.T("tracing.draft.last", strings.Join(where, ", "), dateRange(rp, e.Date)))
		}
	}
	b.WriteString(" ")
	b.WriteString(rp.T("tracing.draft.contact"))
	d.Draft = b.String()
	return nil
}

func countSources(ms map[int64]mention) int {
	seen := make(map[int64]bool)
	for _, m := range ms {
		seen[m.Source.ID] = true
	}
	return len(seen)
}

// staffRequest reads the request of the path for a staff action.
func (s *Server) staffRequest(r *http.Request) (*paradero.TracingRequest, error) {
	ref, err := refParam(r)
	if err != nil {
		return nil, err
	}
	return s.findTracingRequestForChange(r.Context(), ref)
}

// verifyTracing records that staff verified the requester.
func (s *Server) verifyTracing(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	req, err := s.staffRequest(r)
	if err != nil {
		return err
	}
	v := &paradero.TracingVerification{Method: paradero.VerificationMethod(r.PostFormValue("method")),
		Note: strings.TrimSpace(r.PostFormValue("note"))}
	key := ""
	switch {
	case !v.Method.Valid():
		key = "tracing.verify.need_method"
	case v.Note == "":
		key = "tracing.verify.need_note"
	case v.Validate() != nil:
		key = "tracing.too_long"
	}
	if key == "" {
		err = s.verifyTracingRequest(ctx, req.ID, v)
		if err == nil {
			http.Redirect(w, r, "/tracing/"+req.Ref+"#verification", http.StatusSeeOther)
			return nil
		}
		if paradero.ErrorCode(err) != paradero.ECONFLICT {
			return err
		}
		key = "tracing.conflict"
	}
	return s.staffAgain(w, r, req, key, func(d *tracingStaffData) {
		d.Form.Method, d.Form.Note = string(v.Method), v.Note
	})
}

// staffAgain renders the staff view again with an error and the form as
// submitted.
func (s *Server) staffAgain(w http.ResponseWriter, r *http.Request, req *paradero.TracingRequest, key string, fill func(*tracingStaffData)) error {
	ctx := r.Context()
	// Read the request again: the refused action may have raced another.
	fresh, err := s.findTracingRequest(ctx, req.Ref)
	if err != nil {
		return err
	}
	d, err := s.tracingStaffData(ctx, fresh)
	if err != nil {
		return err
	}
	d.Error = key
	fill(d)
	status := http.StatusBadRequest
	switch key {
	case "tracing.conflict":
		status = http.StatusConflict
	case "tracing.answer.minor", "tracing.answer.protected", "tracing.answer.refused":
		status = http.StatusForbidden
	}
	return s.renderStaff(w, r, status, d)
}

// candidateView is one record found for a request, with why it was found
// and any decision in force on it.
type candidateView struct {
	Record    *paradero.Record
	Source    *paradero.Source
	Reasons   []paradero.MatchReason
	Found     int // how many of the searches found it
	Score     int
	BirthDate string // "agrees", "differs" or "" when either date is unknown
	Minor     bool   // may be under 18: never disclosed through a tracing answer
	Decision  *paradero.TracingCandidate
}

type candidatesData struct {
	Request    *paradero.TracingRequest
	Queries    []string // the names searched for, as sent
	Candidates []candidateView
	Available  bool
	Error      string
	Verdicts   []paradero.Verdict
}

// maxCandidates bounds the candidates a request's page lists.
const maxCandidates = 50

// tracingQueries builds the searches a request calls for, from what the
// family wrote: the name as given (with the date of birth, then without
// it, since a family's date is often approximate), the first given name
// with each surname (lists drop second names and second surnames), and
// each other name they gave, with the first surname when it is one word
// (a nickname alone would find every Pepe).
func tracingQueries(nz *linkage.Normalizer, req *paradero.TracingRequest) []paradero.SearchQuery {
	var qs []paradero.SearchQuery
	seen := make(map[string]bool)
	add := func(name string, birth paradero.PartialDate) {
		name = strings.Join(strings.Fields(name), " ")
		key := linkage.Fold(name) + "|" + birth.String()
		if name == "" || seen[key] {
			return
		}
		seen[key] = true
		qs = append(qs, paradero.SearchQuery{Name: name, BirthDate: birth, Limit: maxCandidates})
	}
	if !req.SoughtBirthDate.IsZero() {
		add(req.SoughtName, req.SoughtBirthDate)
	}
	add(req.SoughtName, paradero.PartialDate{})
	n := nz.ParseName(linkage.NameParts{Full: req.SoughtName})
	if len(n.Given) > 0 {
		for _, sur := range n.Surnames {
			add(n.Given[0]+" "+sur, paradero.PartialDate{})
		}
	}
	for _, other := range strings.FieldsFunc(req.SoughtOtherNames, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		other = strings.TrimSpace(other)
		if len(strings.Fields(other)) == 1 && len(n.Surnames) > 0 {
			other += " " + n.Surnames[0]
		}
		add(other, paradero.PartialDate{})
	}
	return qs
}

// tracingCandidatesPage searches the records for a verified request and
// lists what it found, best first, with the decision form for each. Only
// staff reach it; the family's pages never search.
func (s *Server) tracingCandidatesPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, paradero.PermHandleTracing); err != nil {
		return err
	}
	ref, err := refParam(r)
	if err != nil {
		return err
	}
	req, err := s.findTracingRequest(ctx, ref)
	if err != nil {
		return err
	}
	p := stateOf(ctx).printer
	_, available := s.store.(paradero.SearchService)
	d := &candidatesData{Request: req, Available: available,
		Verdicts: []paradero.Verdict{paradero.VerdictSame, paradero.VerdictDifferent, paradero.VerdictUnsure}}
	render := func(status int) error {
		return s.render(w, r, status, "tracing_candidates", p.T("tracing.candidates.title", req.Ref), "tracing", d)
	}
	if req.State != paradero.TracingVerified {
		d.Error = "tracing.candidates.unverified"
		return render(http.StatusConflict)
	}
	if !available {
		return render(http.StatusOK)
	}
	if !s.searches.allow(stateOf(ctx).actor.UserID) {
		d.Error = "search.throttled"
		return render(http.StatusTooManyRequests)
	}
	qs := tracingQueries(linkage.NewNormalizer(), req)
	for _, q := range qs {
		label := q.Name
		if !q.BirthDate.IsZero() {
			label += " · " + Printer{p}.PartialDate(q.BirthDate)
		}
		d.Queries = append(d.Queries, label)
	}
	results, ms, err := s.searchTracingCandidates(ctx, req, qs)
	if err != nil {
		return err
	}
	decided, _, err := s.findTracingCandidates(ctx, req)
	if err != nil {
		return err
	}
	latest := make(map[int64]*paradero.TracingCandidate)
	for _, c := range decided {
		latest[c.RecordID] = c
	}
	byRecord := make(map[int64]*candidateView)
	now := s.now()
	for _, res := range results {
		for _, h := range res.Hits {
			m := ms[h.RecordID]
			if m.Record == nil || m.Record.Redaction != nil {
				continue
			}
			c, ok := byRecord[h.RecordID]
			if !ok {
				c = &candidateView{Record: m.Record, Source: m.Source, Decision: latest[h.RecordID],
					Minor: paradero.RecordMayBeMinor(m.Record, m.Source.Published, now)}
				c.BirthDate = dateAgreement(req.SoughtBirthDate, m.Record.BirthDate)
				byRecord[h.RecordID] = c
			}
			c.Found++
			if h.Score > c.Score {
				c.Score, c.Reasons = h.Score, h.Reasons
			}
		}
	}
	for _, c := range byRecord {
		d.Candidates = append(d.Candidates, *c)
	}
	slices.SortFunc(d.Candidates, func(a, b candidateView) int {
		switch {
		case a.Found != b.Found:
			return b.Found - a.Found
		case (a.BirthDate == "agrees") != (b.BirthDate == "agrees"):
			if a.BirthDate == "agrees" {
				return -1
			}
			return 1
		case a.Score != b.Score:
			return b.Score - a.Score
		}
		return int(a.Record.ID - b.Record.ID)
	})
	if len(d.Candidates) > maxCandidates {
		d.Candidates = d.Candidates[:maxCandidates]
	}
	return render(http.StatusOK)
}

// dateAgreement compares the family's date of birth with a record's, as
// far as the less precise of the two goes.
func dateAgreement(a, b paradero.PartialDate) string {
	if a.IsZero() || b.IsZero() {
		return ""
	}
	if a.Year != b.Year || (a.Month != 0 && b.Month != 0 && a.Month != b.Month) ||
		(a.Day != 0 && b.Day != 0 && a.Day != b.Day) {
		return "differs"
	}
	return "agrees"
}

// decideCandidate records staff's decision on one record found for a
// request and goes back to the candidates.
func (s *Server) decideCandidate(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	req, err := s.staffRequest(r)
	if err != nil {
		return err
	}
	rec, err := strconv.ParseInt(r.PostFormValue("record"), 10, 64)
	if err != nil || rec <= 0 {
		return paradero.Errorf(paradero.EINVALID, "no record chosen")
	}
	c := &paradero.TracingCandidate{RequestID: req.ID, RecordID: rec, Verdict: paradero.Verdict(r.PostFormValue("verdict")),
		Note: strings.TrimSpace(r.PostFormValue("note"))}
	if c.Validate() != nil {
		return paradero.Errorf(paradero.EINVALID, "choose same, different or unsure")
	}
	if err := s.decideTracingCandidate(ctx, c); err != nil {
		return err
	}
	back := "/tracing/" + req.Ref + "/candidates#record-" + strconv.FormatInt(rec, 10)
	if r.PostFormValue("back") == "request" {
		back = "/tracing/" + req.Ref + "#candidates"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// answerTracing stores the answer. A located answer rests on every record
// confirmed as the person sought; an empty message takes the standard
// words for the outcome, in the requester's language.
func (s *Server) answerTracing(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	req, err := s.staffRequest(r)
	if err != nil {
		return err
	}
	outcome := paradero.TracingOutcome(r.PostFormValue("outcome"))
	message := strings.TrimSpace(r.PostFormValue("message"))
	fill := func(d *tracingStaffData) { d.Form.Outcome, d.Form.Message = string(outcome), message }
	if !outcome.Valid() {
		return s.staffAgain(w, r, req, "tracing.answer.need_outcome", fill)
	}
	if req.State != paradero.TracingVerified {
		return s.staffAgain(w, r, req, "tracing.conflict", fill)
	}
	d, err := s.tracingStaffData(ctx, req)
	if err != nil {
		return err
	}
	a := &paradero.TracingAnswer{Outcome: outcome, Message: message}
	if outcome == paradero.OutcomeLocated {
		if d.Blocked != "" {
			return s.staffAgain(w, r, req, d.Blocked, fill)
		}
		for _, c := range d.Confirmed {
			a.Records = append(a.Records, c.RecordID)
		}
		if a.Message == "" {
			a.Message = d.Draft
		}
	}
	if a.Message == "" {
		a.Message = Printer{s.catalog.Printer(d.Lang)}.T("tracing.standard." + string(outcome))
	}
	if a.Validate() != nil {
		return s.staffAgain(w, r, req, "tracing.too_long", fill)
	}
	err = s.answerTracingRequest(ctx, req.ID, a)
	switch paradero.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/tracing/"+req.Ref+"#answer", http.StatusSeeOther)
		return nil
	case paradero.EFORBIDDEN:
		// The store's own check: a record may describe a minor or be
		// protected although the draft did not see it (a link run in
		// between).
		return s.staffAgain(w, r, req, "tracing.answer.refused", fill)
	case paradero.ECONFLICT:
		return s.staffAgain(w, r, req, "tracing.conflict", fill)
	}
	return err
}

// closeTracing closes an open request without an answer.
func (s *Server) closeTracing(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	req, err := s.staffRequest(r)
	if err != nil {
		return err
	}
	c := &paradero.TracingClosure{Reason: paradero.ClosureReason(r.PostFormValue("reason")), Note: strings.TrimSpace(r.PostFormValue("close_note"))}
	fill := func(d *tracingStaffData) { d.Form.Reason, d.Form.CloseNote = string(c.Reason), c.Note }
	if c.Validate() != nil {
		return s.staffAgain(w, r, req, "tracing.close.need_reason", fill)
	}
	if err := s.closeTracingRequest(ctx, req.ID, c); err != nil {
		if paradero.ErrorCode(err) == paradero.ECONFLICT {
			return s.staffAgain(w, r, req, "tracing.conflict", fill)
		}
		return err
	}
	http.Redirect(w, r, "/tracing/"+req.Ref, http.StatusSeeOther)
	return nil
}
