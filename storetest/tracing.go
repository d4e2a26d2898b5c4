package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
)

// TracingStore is a store that keeps tracing requests, with the accounts
// of those who file and handle them and the persons answers rest on.
type TracingStore interface {
	paradero.Store
	paradero.UserService
	paradero.PersonService
	paradero.TracingService
}

// RunTracing runs the contract of paradero.TracingService. open returns a
// fresh, empty store, closed by the test's cleanup.
func RunTracing(t *testing.T, open func(t *testing.T) TracingStore) {
	tests := []struct {
		name string
		fn   func(*testing.T, TracingStore)
	}{
		{"FileAndRead", testTracingFileAndRead},
		{"OnlyFamilyFiles", testTracingOnlyFamilyFiles},
		{"FilingLimits", testTracingFilingLimits},
		{"FindRequestsSeesOwnOnly", testTracingFindOwn},
		{"Workflow", testTracingWorkflow},
		{"StaffOnly", testTracingStaffOnly},
		{"MinorNeverDisclosed", testTracingMinor},
		{"RedactedNeverDisclosed", testTracingRedacted},
		{"Close", testTracingClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// tracingWorld is a store with a roster (an adult, a child and someone
// whose age says 16), a link run that makes the adult and the child one
// person (as a wrong link could), and an account per role plus a second
// family member.
type tracingWorld struct {
	s       TracingStore
	users   map[string]*paradero.User
	adult   *paradero.Record // José Pérez Gómez, born 1990
	child   *paradero.Record // Luisa Pérez, born 2015, linked with no one
	aged16  *paradero.Record // "16 años" in a list of this year
	twin    *paradero.Record // María Núñez, born 1988, linked with twinOf
	twinOf  *paradero.Record // María Nuñes, age 15 in the same source
	sources []*paradero.Source
}

func newTracingWorld(t *testing.T, s TracingStore) *tracingWorld {
	t.Helper()
	w := &tracingWorld{s: s, users: make(map[string]*paradero.User)}
	year := time.Now().UTC().Year()
	recs := []*paradero.Record{
		{Row: 2, FullName: "José Pérez Gómez", BirthDate: paradero.PartialDate{Year: 1990, Month: 4, Day: 2}, Facility: "CECOT", Status: "detenido"},
		{Row: 3, FullName: "Luisa Pérez", BirthDate: paradero.PartialDate{Year: year - 10}},
		{Row: 4, FullName: "Kelvin Rivas", Age: "16 años"},
		{Row: 5, FullName: "María Núñez", BirthDate: paradero.PartialDate{Year: 1988}},
		{Row: 6, FullName: "María Nuñes", Age: "15"},
	}
	im, err := s.BeginImport(actorCtx(t), &paradero.Source{Kind: paradero.KindRoster, Title: "Lista",
		Published: paradero.PartialDate{Year: year}, Filename: "lista.csv", MediaType: "text/csv"}, strings.NewReader("tracing roster"))
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	for _, r := range recs {
		if err := im.AddRecord(actorCtx(t), r); err != nil {
			t.Fatal(err)
		}
	}
	src, err := im.Commit(actorCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	w.sources = append(w.sources, src)
	w.adult, w.child, w.aged16, w.twin, w.twinOf = recs[0], recs[1], recs[2], recs[3], recs[4]
	run := &paradero.LinkRun{CreatedBy: "test", Settings: []byte("{}")}
	if err := s.SaveLinkRun(actorCtx(t), run, [][]int64{{recs[0].ID}, {recs[1].ID}, {recs[2].ID}, {recs[3].ID, recs[4].ID}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		key  string
		role paradero.Role
	}{{"family", paradero.RoleFamily}, {"family2", paradero.RoleFamily}, {"admin", paradero.RoleAdmin},
		{"documenter", paradero.RoleDocumenter}, {"lawyer", paradero.RoleLawyer}, {"public", paradero.RolePublic}} {
		usr := &paradero.User{Email: u.key + "@example.org", Name: "Usuaria " + u.key, Role: u.role, Language: "es", PasswordHash: fakeHash}
		if err := s.CreateUser(t.Context(), usr); err != nil {
			t.Fatal(err)
		}
		w.users[u.key] = usr
	}
	return w
}

// as returns a context whose actor is the user with this key.
func (w *tracingWorld) as(t *testing.T, key string) context.Context {
	return paradero.NewContextWithActor(t.Context(), w.users[key].Actor())
}

func sampleRequest(name string) *paradero.TracingRequest {
	return &paradero.TracingRequest{SoughtName: name, SoughtOtherNames: "Pepe", SoughtBirthDate: paradero.PartialDate{Year: 1990},
		SoughtNationality: "venezolana", LastSeenPlace: "Maracaibo", LastSeenDate: paradero.PartialDate{Year: 2025, Month: 3},
		Details: "cicatriz en la mano izquierda\ntatuaje de una rosa", Relationship: "madre", Contact: "+58 412 555 0101"}
}

func (w *tracingWorld) file(t *testing.T, key, name string) *paradero.TracingRequest {
	t.Helper()
	r := sampleRequest(name)
	if err := w.s.CreateTracingRequest(w.as(t, key), r); err != nil {
		t.Fatalf("CreateTracingRequest as %s: %v", key, err)
	}
	return r
}

func (w *tracingWorld) verify(t *testing.T, r *paradero.TracingRequest) {
	t.Helper()
	if _, err := w.s.VerifyTracingRequest(w.as(t, "documenter"), r.ID,
		&paradero.TracingVerification{Method: paradero.VerifyVideoCall, Note: "cédula vista por videollamada"}); err != nil {
		t.Fatalf("VerifyTracingRequest: %v", err)
	}
}

func (w *tracingWorld) confirm(t *testing.T, r *paradero.TracingRequest, rec *paradero.Record, v paradero.Verdict) {
	t.Helper()
	if err := w.s.DecideTracingCandidate(w.as(t, "documenter"), &paradero.TracingCandidate{RequestID: r.ID, RecordID: rec.ID,
		Verdict: v, Note: "nombre y fecha coinciden"}); err != nil {
		t.Fatalf("DecideTracingCandidate: %v", err)
	}
}

func located(recs ...*paradero.Record) *paradero.TracingAnswer {
	a := &paradero.TracingAnswer{Outcome: paradero.OutcomeLocated, Message: "Su familiar figura detenido en el CECOT."}
	for _, r := range recs {
		a.Records = append(a.Records, r.ID)
	}
	return a
}

func testTracingFileAndRead(t *testing.T, s TracingStore) {
	w := newTracingWorld(t, s)
	r := w.file(t, "family", "José Pérez Gómez")
	if r.ID == 0 || !paradero.ValidTracingRef(r.Ref) || r.RequesterID != w.users["family"].ID ||
		r.State != paradero.TracingFiled || r.CreatedAt.IsZero() {
		t.Fatalf("filed request = %+v: want an id, a reference, the requester and state filed", r)
	}
	for _, key := range []string{"family", "admin", "documenter"} {
		got, err := s.FindTracingRequestByRef(w.as(t, key), r.Ref)
		if err != nil {
			t.Fatalf("%s: FindTracingRequestByRef: %v", key, err)
		}
		if got.ID != r.ID || got.SoughtName != r.SoughtName || got.Details != r.Details || got.SoughtBirthDate != r.SoughtBirthDate ||
			got.LastSeenDate != r.LastSeenDate || got.Contact != r.Contact || !got.CreatedAt.Equal(r.CreatedAt) {
			t.Errorf("%s reads %+v, want what was filed %+v", key, got, r)
		}
		byID, err := s.FindTracingRequestByID(w.as(t, key), r.ID)
		if err != nil || byID.Ref != r.Ref {
			t.Errorf("%s: FindTracingRequestByID = %v, %v", key, byID, err)
		}
	}
	// Another family member, a lawyer, the public and nobody: exactly as
	// for a request that does not exist.
	_, missing := s.FindTracingRequestByRef(w.as(t, "family"), "ZZZZZ-ZZZZZ")
	wantCode(t, missing, paradero.ENOTFOUND)
	for _, ctx := range []context.Context{w.as(t, "family2"), w.as(t, "lawyer"), w.as(t, "public"), t.Context()} {
		_, err := s.FindTracingRequestByRef(ctx, r.Ref)
		if paradero.ErrorCode(err) != paradero.ENOTFOUND || err.Error() != missing.Error() {
			t.Errorf("%s reading another's request: %v; want exactly %v", paradero.ActorFromContext(ctx).Name, err, missing)
		}
		_, err = s.FindTracingRequestByID(ctx, r.ID)
		wantCode(t, err, paradero.ENOTFOUND)
	}
	_, err := s.FindTracingRequestByRef(w.as(t, "admin"), "not a ref")
	wantCode(t, err, paradero.ENOTFOUND)
}

func testTracingOnlyFamilyFiles(t *testing.T, s TracingStore) {
	w := newTracingWorld(t, s)
	for _, ctx := range []context.Context{w.as(t, "admin"), w.as(t, "documenter"), w.as(t, "lawyer"), w.as(t, "public"), actorCtx(t), t.Context()} {
		err := s.CreateTracingRequest(ctx, sampleRequest("José"))
		wantCode(t, err, paradero.EFORBIDDEN)
	}
	bad := sampleRequest("")
	wantCode(t, s.CreateTracingRequest(w.as(t, "family"), bad), paradero.EINVALID)
	bad = sampleRequest("José")
	bad.Contact = ""
	wantCode(t, s.CreateTracingRequest(w.as(t, "family"), bad), paradero.EINVALID)
	if list, n, _ := s.FindTracingRequests(w.as(t, "admin"), paradero.TracingFilter{}); n != 0 || len(list) != 0 {
		t.Errorf("refused filings left %d requests", n)
	}
	// Hostile text is kept as written.
	r := w.file(t, "family", "<script>alert(1)</script> O'Brien; DROP TABLE users;--")
	got, err := s.FindTracingRequestByID(w.as(t, "family"), r.ID)
	if err != nil || got.SoughtName != r.SoughtName {
		t.Errorf("hostile name read back as %v, %v", got, err)
	}
}

func testTracingFilingLimits(t *testing.T, s TracingStore) {
	w := newTracingWorld(t, s)
	for i := range paradero.MaxTracingPerDay {
		w.file(t, "family", fmt.Sprintf("Persona %d", i))
	}
	err := s.CreateTracingRequest(w.as(t, "family"), sampleRequest("Una más"))
	wantCode(t, err, paradero.ECONFLICT)
	// The limit is the requester's own: another family files on.
	w.file(t, "family2", "José")
	_, n, _ := s.FindTracingRequests(w.as(t, "admin"), paradero.TracingFilter{})
	if n != paradero.MaxTracingPerDay+1 {
		t.Errorf("%d requests stored, want %d", n, paradero.MaxTracingPerDay+1)
	}
}

func testTracingFindOwn(t *testing.T, s TracingStore) {
	w := newTracingWorld(t, s)
	a1 := w.file(t, "family", "José Pérez Gómez")
	a2 := w.file(t, "family", "Nadie Inexistente")
	b := w.file(t, "family2", "María Núñez")
	w.verify(t, a1)
	ids := func(list []*paradero.TracingRequest) []int64 {
		var out []int64
		for _, r := range list {
			out = append(out, r.ID)
		}
		return out
	}
	mine, n, err := s.FindTracingRequests(w.as(t, "family"), paradero.TracingFilter{RequesterID: w.users["family2"].ID})
	if err != nil || n != 2 || !slices.Equal(ids(mine), []int64{a2.ID, a1.ID}) {
		t.Errorf("family's list asking for another's = %v (%d), %v; want their own two, newest first", ids(mine), n, err)
	}
	for _, r := range mine {
		if r.Verification != nil && (r.Verification.Note != "" || r.Verification.By != "") {
			t.Errorf("the requester's list shows staff notes: %+v", r.Verification)
		}
	}
	all, n, _ := s.FindTracingRequests(w.as(t, "documenter"), paradero.TracingFilter{})
	if n != 3 || !slices.Equal(ids(all), []int64{b.ID, a2.ID, a1.ID}) {
		t.Errorf("staff list = %v (%d), want all three", ids(all), n)
	}
	filed, n, _ := s.FindTracingRequests(w.as(t, "documenter"), paradero.TracingFilter{State: paradero.TracingFiled})
	if n != 2 || !slices.Equal(ids(filed), []int64{b.ID, a2.ID}) {
		t.Errorf("filed = %v (%d), want the two unverified", ids(filed), n)
	}
	page, n, _ := s.FindTracingRequests(w.as(t, "admin"), paradero.TracingFilter{Offset: 1, Limit: 1})
	if n != 3 || !slices.Equal(ids(page), []int64{a2.ID}) {
		t.Errorf("page 2 of 1 = %v (%d)", ids(page), n)
	}
	for _, key := range []string{"lawyer", "public"} {
		if list, n, err := s.FindTracingRequests(w.as(t, key), paradero.TracingFilter{}); err != nil || n != 0 || len(list) != 0 {
			t.Errorf("%s lists %d requests, %v; want none", key, n, err)
		}
	}
}

func testTracingWorkflow(t *testing.T, s TracingStore) {
	w := newTracingWorld(t, s)
	r := w.file(t, "family", "José Pérez Gómez")
	staff := w.as(t, "documenter")

	// No candidate and no answer before the requester is verified.
	err := s.DecideTracingCandidate(staff, &paradero.TracingCandidate{RequestID: r.ID, RecordID: w.adult.ID, Verdict: paradero.VerdictSame})
	wantCode(t, err, paradero.ECONFLICT)
	_, err = s.AnswerTracingRequest(staff, r.ID, &paradero.TracingAnswer{Outcome: paradero.OutcomeNotLocated, Message: "x"})
	wantCode(t, err, paradero.ECONFLICT)
	_, err = s.VerifyTracingRequest(staff, r.ID, &paradero.TracingVerification{Method: "telepathy", Note: "x"})
	wantCode(t, err, paradero.EINVALID)
	_, err = s.VerifyTracingRequest(staff, 999, &paradero.TracingVerification{Method: paradero.VerifyInPerson, Note: "x"})
	wantCode(t, err, paradero.ENOTFOUND)

	v := &paradero.TracingVerification{Method: paradero.VerifyInPerson, Note: "pasaporte visto en la oficina de Cúcuta"}
	got, err := s.VerifyTracingRequest(staff, r.ID, v)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != paradero.TracingVerified || got.Verification == nil || got.Verification.By != w.users["documenter"].Actor().Name ||
		got.Verification.Note != v.Note || got.Verification.At.IsZero() || v.By == "" {
		t.Errorf("verified request = %+v %+v: want state verified, attributed", got, got.Verification)
	}
	_, err = s.VerifyTracingRequest(staff, r.ID, v)
	wantCode(t, err, paradero.ECONFLICT)

	// Candidates: an unsure one, then the same record decided; the latest
	// decision stands.
	w.confirm(t, r, w.adult, paradero.VerdictUnsure)
	_, err = s.AnswerTracingRequest(staff, r.ID, located(w.adult))
	wantCode(t, err, paradero.EINVALID)
	w.confirm(t, r, w.adult, paradero.VerdictSame)
	w.confirm(t, r, w.twin, paradero.VerdictDifferent)
	err = s.DecideTracingCandidate(staff, &paradero.TracingCandidate{RequestID: r.ID, RecordID: 9999, Verdict: paradero.VerdictSame})
	wantCode(t, err, paradero.ENOTFOUND)
	cands, err := s.FindTracingCandidates(staff, r.ID)
	if err != nil || len(cands) != 3 || cands[0].Verdict != paradero.VerdictUnsure || cands[1].Verdict != paradero.VerdictSame ||
		cands[2].RecordID != w.twin.ID || cands[1].By != w.users["documenter"].Actor().Name || cands[1].At.IsZero() {
		t.Fatalf("candidates = %v, %v", cands, err)
	}
	_, err = s.AnswerTracingRequest(staff, r.ID, located(w.twin))
	wantCode(t, err, paradero.EINVALID)
	_, err = s.AnswerTracingRequest(staff, r.ID, located(w.adult, w.adult))
	wantCode(t, err, paradero.EINVALID)

	ans := located(w.adult)
	got, err = s.AnswerTracingRequest(w.as(t, "admin"), r.ID, ans)
	if err != nil {
		t.Fatal(err)
	}
	person, err := s.FindPersonOfRecord(actorCtx(t), w.adult.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != paradero.TracingAnswered || got.Answer == nil || got.Answer.PersonID != person.ID ||
		!slices.Equal(got.Answer.Records, []int64{w.adult.ID}) || got.Answer.By != w.users["admin"].Actor().Name ||
		got.Answer.Message != ans.Message || ans.PersonID != person.ID {
		t.Errorf("answered request = %+v %+v", got, got.Answer)
	}
	// The requester reads the outcome and the words, nothing of the work.
	mine, err := s.FindTracingRequestByRef(w.as(t, "family"), r.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if mine.State != paradero.TracingAnswered || mine.Answer.Message != ans.Message || mine.Answer.Outcome != paradero.OutcomeLocated ||
		mine.Answer.Records != nil || mine.Answer.PersonID != 0 || mine.Answer.By != "" || mine.Verification.Note != "" {
		t.Errorf("requester reads %+v %+v %+v", mine, mine.Answer, mine.Verification)
	}
	staffView, _ := s.FindTracingRequestByID(staff, r.ID)
	if !slices.Equal(staffView.Answer.Records, []int64{w.adult.ID}) {
		t.Errorf("staff read answer records %v", staffView.Answer.Records)
	}
	list, _, _ := s.FindTracingRequests(staff, paradero.TracingFilter{State: paradero.TracingAnswered})
	if len(list) != 1 || !slices.Equal(list[0].Answer.Records, []int64{w.adult.ID}) {
		t.Errorf("staff list of answered = %+v", list)
	}
	// Answered is final.
	_, err = s.AnswerTracingRequest(staff, r.ID, &paradero.TracingAnswer{Outcome: paradero.OutcomeNotLocated, Message: "x"})
	wantCode(t, err, paradero.ECONFLICT)
	err = s.DecideTracingCandidate(staff, &paradero.TracingCandidate{RequestID: r.ID, RecordID: w.adult.ID, Verdict: paradero.VerdictDifferent})
	wantCode(t, err, paradero.ECONFLICT)
	_, err = s.CloseTracingRequest(staff, r.ID, &paradero.TracingClosure{Reason: paradero.CloseOther})
	wantCode(t, err, paradero.ECONFLICT)

	// Not located: no records, nothing disclosed.
	r2 := w.file(t, "family", "Nadie Inexistente")
	w.verify(t, r2)
	got, err = s.AnswerTracingRequest(staff, r2.ID, &paradero.TracingAnswer{Outcome: paradero.OutcomeNotLocated, Message: "Aún no hay información."})
	if err != nil || got.Answer.PersonID != 0 || len(got.Answer.Records) != 0 {
		t.Errorf("not-located answer = %+v, %v", got, err)
	}
}

func testTracingStaffOnly(t *testing.T, s TracingStore) {
	w := newTracingWorld(t, s)
	r := w.file(t, "family", "José Pérez Gómez")
	for _, key := range []string{"family", "family2", "lawyer", "public"} {
		ctx := w.as(t, key)
		_, err := s.VerifyTracingRequest(ctx, r.ID, &paradero.TracingVerification{Method: paradero.VerifyInPerson, Note: "yo"})
		wantCode(t, err, paradero.EFORBIDDEN)
		err = s.DecideTracingCandidate(ctx, &paradero.TracingCandidate{RequestID: r.ID, RecordID: w.adult.ID, Verdict: paradero.VerdictSame})
		wantCode(t, err, paradero.EFORBIDDEN)
		_, err = s.AnswerTracingRequest(ctx, r.ID, located(w.adult))
		wantCode(t, err, paradero.EFORBIDDEN)
		_, err = s.CloseTracingRequest(ctx, r.ID, &paradero.TracingClosure{Reason: paradero.CloseWithdrawn})
		wantCode(t, err, paradero.EFORBIDDEN)
		_, err = s.FindTracingCandidates(ctx, r.ID)
		wantCode(t, err, paradero.ENOTFOUND)
	}
	// The same refusals for a request that does not exist: nothing is
	// looked up before the actor is checked.
	_, err := s.VerifyTracingRequest(w.as(t, "family"), 999, &paradero.TracingVerification{Method: paradero.VerifyInPerson, Note: "yo"})
	wantCode(t, err, paradero.EFORBIDDEN)
	_, err = s.FindTracingCandidates(w.as(t, "admin"), 999)
	wantCode(t, err, paradero.ENOTFOUND)
	if got, _ := s.FindTracingRequestByID(w.as(t, "admin"), r.ID); got.State != paradero.TracingFiled {
		t.Errorf("refused changes changed the request: %+v", got)
	}
}

// testTracingMinor proves that a located answer never discloses someone
// who may be under 18: by a record's date of birth, by a record's age, by
// another record of the same person, or by the request itself.
func testTracingMinor(t *testing.T, s TracingStore) {
	w := newTracingWorld(t, s)
	staff := w.as(t, "documenter")
	for _, tc := range []struct {
		name string
		rec  *paradero.Record
	}{
		{"born ten years ago", w.child},
		{"aged 16 in a list of this year", w.aged16},
		{"an adult linked with a 15-year-old", w.twin},
	} {
		r := w.file(t, "family", tc.rec.FullName)
		w.verify(t, r)
		w.confirm(t, r, tc.rec, paradero.VerdictSame)
		_, err := s.AnswerTracingRequest(staff, r.ID, located(tc.rec))
		if paradero.ErrorCode(err) != paradero.EFORBIDDEN {
			t.Errorf("%s: located answer = %v, want EFORBIDDEN", tc.name, err)
		}
		got, _ := s.FindTracingRequestByID(staff, r.ID)
		if got.State != paradero.TracingVerified || got.Answer != nil {
			t.Errorf("%s: the refused answer was stored: %+v", tc.name, got)
		}
		// Referring discloses nothing and is allowed.
		got, err = s.AnswerTracingRequest(staff, r.ID, &paradero.TracingAnswer{Outcome: paradero.OutcomeReferred,
			Message: "Un equipo de protección se pondrá en contacto con usted."})
		if err != nil || got.State != paradero.TracingAnswered || got.Answer.PersonID != 0 {
			t.Errorf("%s: referral = %+v, %v", tc.name, got, err)
		}
	}
	// The request itself describes a child: the adult record found is
	// not disclosed either.
	req := sampleRequest("José Pérez Gómez")
	req.SoughtBirthDate = paradero.PartialDate{}
	req.SoughtAge = "15"
	if err := s.CreateTracingRequest(w.as(t, "family2"), req); err != nil {
		t.Fatal(err)
	}
	w.verify(t, req)
	w.confirm(t, req, w.adult, paradero.VerdictSame)
	_, err := s.AnswerTracingRequest(staff, req.ID, located(w.adult))
	wantCode(t, err, paradero.EFORBIDDEN)
}

func testTracingRedacted(t *testing.T, s TracingStore) {
	w := newTracingWorld(t, s)
	log := ledger.New(s, newKey(t))
	if _, err := log.Checkpoint(actorCtx(t)); err != nil {
		t.Fatal(err)
	}
	// Link the adult with a record that is then redacted.
	im, err := s.BeginImport(actorCtx(t), &paradero.Source{Kind: paradero.KindNews, Title: "Nota",
		Published: paradero.PartialDate{Year: 2025}, Filename: "nota.txt", MediaType: "text/plain"}, strings.NewReader("a news item"))
	if err != nil {
		t.Fatal(err)
	}
	other := &paradero.Record{Row: 1, FullName: "J. Pérez"}
	if err := im.AddRecord(actorCtx(t), other); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Commit(actorCtx(t)); err != nil {
		t.Fatal(err)
	}
	run := &paradero.LinkRun{CreatedBy: "test", Settings: []byte("{}")}
	if err := s.SaveLinkRun(actorCtx(t), run, [][]int64{{w.adult.ID, other.ID}, {w.child.ID}, {w.aged16.ID}, {w.twin.ID, w.twinOf.ID}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.RedactRecord(actorCtx(t), newRedaction(t, log, other, "protege a un testigo")); err != nil {
		t.Fatal(err)
	}
	r := w.file(t, "family", "José Pérez Gómez")
	w.verify(t, r)
	w.confirm(t, r, w.adult, paradero.VerdictSame)
	_, err = s.AnswerTracingRequest(w.as(t, "documenter"), r.ID, located(w.adult))
	wantCode(t, err, paradero.EFORBIDDEN)
}

func testTracingClose(t *testing.T, s TracingStore) {
	w := newTracingWorld(t, s)
	r := w.file(t, "family", "José Pérez Gómez")
	staff := w.as(t, "documenter")
	_, err := s.CloseTracingRequest(staff, r.ID, &paradero.TracingClosure{Reason: "bored"})
	wantCode(t, err, paradero.EINVALID)
	got, err := s.CloseTracingRequest(staff, r.ID, &paradero.TracingClosure{Reason: paradero.CloseUnverifiable, Note: "no contestó a tres llamadas"})
	if err != nil || got.State != paradero.TracingClosed || got.Closure.Reason != paradero.CloseUnverifiable ||
		got.Closure.By != w.users["documenter"].Actor().Name || got.Closure.Note == "" {
		t.Fatalf("closed = %+v, %v", got, err)
	}
	_, err = s.VerifyTracingRequest(staff, r.ID, &paradero.TracingVerification{Method: paradero.VerifyInPerson, Note: "x"})
	wantCode(t, err, paradero.ECONFLICT)
	_, err = s.CloseTracingRequest(staff, r.ID, &paradero.TracingClosure{Reason: paradero.CloseOther})
	wantCode(t, err, paradero.ECONFLICT)
	mine, err := s.FindTracingRequestByRef(w.as(t, "family"), r.Ref)
	if err != nil || mine.Closure == nil || mine.Closure.Reason != paradero.CloseUnverifiable || mine.Closure.Note != "" || mine.Closure.By != "" {
		t.Errorf("requester reads the closure as %+v, %v", mine.Closure, err)
	}
	// A closed request no longer counts as open, but still counts in the
	// day's filings.
	_, open, _ := s.FindTracingRequests(staff, paradero.TracingFilter{State: paradero.TracingFiled})
	if open != 0 {
		t.Errorf("%d filed requests after closing the only one", open)
	}
}
