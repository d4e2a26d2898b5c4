package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paradero/paradero"
)

// CaseStore is a store that keeps persons, users, cases and violations.
type CaseStore interface {
	paradero.Store
	paradero.PersonService
	paradero.UserService
	paradero.CaseService
	paradero.ViolationService
}

// RunCases runs the contract of paradero.CaseService and
// paradero.ViolationService. open returns a fresh, empty store; exec runs
// one SQL statement on its database behind the store's back and returns
// the database's answer.
func RunCases(t *testing.T, open func(t *testing.T) CaseStore, exec func(s paradero.Store, query string) error) {
	tests := []struct {
		name string
		fn   func(*testing.T, CaseStore)
	}{
		{"CaseRoundTrip", testCaseRoundTrip},
		{"CaseInvalid", testCaseInvalid},
		{"FindCases", testFindCases},
		{"UpdateCase", testUpdateCase},
		{"CasePeopleAndLawyers", testCasePeopleAndLawyers},
		{"CaseFollowsItsRecordAcrossLinkRuns", testCaseFollowsRecord},
		{"Deadlines", testDeadlines},
		{"CourtOrders", testCourtOrders},
		{"CaseDocuments", testCaseDocuments},
		{"ViolationRoundTrip", testViolationRoundTrip},
		{"ViolationInvalid", testViolationInvalid},
		{"FindViolations", testFindViolations},
		{"UpdateViolation", testUpdateViolation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
	t.Run("ChangesAreAppendOnly", func(t *testing.T) {
		s := open(t)
		f := newCaseFixture(t, s)
		c := f.newCase(t, paradero.CaseHabeas, "Habeas")
		for _, q := range []string{`DELETE FROM case_changes`, `UPDATE case_changes SET actor = 'someone else'`} {
			if err := exec(s, q); err == nil {
				t.Errorf("%s: the database allowed it", q)
			}
		}
		got, err := s.FindChanges(f.ctx, paradero.CaseSubject(c.ID))
		if err != nil || len(got) != 1 || got[0].Actor != f.actor {
			t.Errorf("after tampering: changes = %v, %v; want the one create by %s", got, err, f.actor)
		}
	})
}

// caseFixture is a store with six records in two sources, linked into
// persons {r0 r1 r2} {r3 r4} {r5}, two lawyers and a documenter.
type caseFixture struct {
	s        CaseStore
	ctx      context.Context
	actor    string
	recs     []int64
	sources  []int64
	lawyers  []*paradero.User
	doc      *paradero.User
	personOf map[int64]int64
}

func newCaseFixture(t *testing.T, s CaseStore) *caseFixture {
	t.Helper()
	f := &caseFixture{s: s, ctx: actorCtx(t), actor: "test:documenter", personOf: make(map[int64]int64)}
	src1 := importFile(t, s, "lista uno", sampleRecords(4))
	src2 := importFile(t, s, "lista dos", sampleRecords(2))
	f.sources = []int64{src1.ID, src2.ID}
	f.recs = recordIDs(t, s)
	r := f.recs
	run := &paradero.LinkRun{CreatedBy: "test", Settings: []byte("{}")}
	if err := s.SaveLinkRun(f.ctx, run, [][]int64{{r[0], r[1], r[2]}, {r[3], r[4]}, {r[5]}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range r {
		p, err := s.FindPersonOfRecord(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		f.personOf[id] = p.ID
	}
	for i := range 2 {
		u := &paradero.User{Email: fmt.Sprintf("abogada%d@example.org", i), Name: "Abogada", Role: paradero.RoleLawyer, Language: "es", PasswordHash: fakeHash}
		if err := s.CreateUser(f.ctx, u); err != nil {
			t.Fatal(err)
		}
		f.lawyers = append(f.lawyers, u)
	}
	f.doc = &paradero.User{Email: "doc@example.org", Name: "Documentadora", Role: paradero.RoleDocumenter, Language: "es", PasswordHash: fakeHash}
	if err := s.CreateUser(f.ctx, f.doc); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *caseFixture) newCase(t *testing.T, kind paradero.CaseKind, title string, people ...int64) *paradero.Case {
	t.Helper()
	c := &paradero.Case{Kind: kind, Title: title, Status: paradero.CaseOpen}
	for _, r := range people {
		c.People = append(c.People, paradero.CasePerson{RecordID: r})
	}
	if err := f.s.CreateCase(f.ctx, c); err != nil {
		t.Fatalf("CreateCase(%q): %v", title, err)
	}
	return c
}

var caseCmp = []cmp.Option{cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(0)}

// changesOf returns a subject's changes as "action object fields" lines.
func changesOf(t *testing.T, s CaseStore, subject string) []string {
	t.Helper()
	cs, err := s.FindChanges(t.Context(), subject)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		if c.Subject != subject || c.At.IsZero() || c.Actor == "" {
			t.Errorf("change %+v lacks its subject, time or actor", c)
		}
		out = append(out, c.Action+" "+c.Object+" "+c.Fields)
	}
	return out
}

func testCaseRoundTrip(t *testing.T, s CaseStore) {
	f := newCaseFixture(t, s)
	c := &paradero.Case{
		Kind: paradero.CaseHabeas, Title: "Hábeas corpus — grupo CECOT <script>", Court: "Sala de lo Constitucional, CSJ",
		Number: "HC 123-2025", Status: paradero.CaseOpen, Opened: paradero.PartialDate{Year: 2025, Month: 3, Day: 20},
		Notes:   "Peticionarias: madres.\nSegunda línea; \"comillas\" y ñ.",
		People:  []paradero.CasePerson{{RecordID: f.recs[1]}, {RecordID: f.recs[3]}},
		Lawyers: []paradero.CaseLawyer{{UserID: f.lawyers[0].ID}},
	}
	if err := s.CreateCase(f.ctx, c); err != nil {
		t.Fatal(err)
	}
	if c.ID == 0 || c.CreatedAt.IsZero() || c.CreatedBy != f.actor || c.UpdatedBy != f.actor {
		t.Fatalf("CreateCase did not set id, time and actor: %+v", c)
	}
	if c.People[0].PersonID != f.personOf[f.recs[1]] || c.People[0].AddedBy != f.actor || c.Lawyers[0].AssignedBy != f.actor {
		t.Errorf("CreateCase people/lawyers = %+v / %+v", c.People, c.Lawyers)
	}
	got, err := s.FindCaseByID(f.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, got, caseCmp...); diff != "" {
		t.Errorf("FindCaseByID differs from what was created (-created +found):\n%s", diff)
	}
	want := []string{"create  ", fmt.Sprintf("person.add record:%d ", f.recs[1]), fmt.Sprintf("person.add record:%d ", f.recs[3]),
		fmt.Sprintf("lawyer.assign user:%d ", f.lawyers[0].ID)}
	if diff := cmp.Diff(want, changesOf(t, s, paradero.CaseSubject(c.ID))); diff != "" {
		t.Errorf("changes after CreateCase (-want +got):\n%s", diff)
	}
	_, err = s.FindCaseByID(f.ctx, c.ID+100)
	wantCode(t, err, paradero.ENOTFOUND)
}

func testCaseInvalid(t *testing.T, s CaseStore) {
	f := newCaseFixture(t, s)
	valid := func() *paradero.Case {
		return &paradero.Case{Kind: paradero.CaseRemoval, Title: "Remoción", Status: paradero.CaseOpen}
	}
	for name, tc := range map[string]struct {
		change func(*paradero.Case)
		code   string
	}{
		"bad kind":       {func(c *paradero.Case) { c.Kind = "divorce" }, paradero.EINVALID},
		"bad status":     {func(c *paradero.Case) { c.Status = "pending" }, paradero.EINVALID},
		"no title":       {func(c *paradero.Case) { c.Title = "  " }, paradero.EINVALID},
		"two-line title": {func(c *paradero.Case) { c.Title = "a\nb" }, paradero.EINVALID},
		"NUL in court":   {func(c *paradero.Case) { c.Court = "a\x00b" }, paradero.EINVALID},
		"bad date":       {func(c *paradero.Case) { c.Opened = paradero.PartialDate{Year: 2025, Month: 2, Day: 30} }, paradero.EINVALID},
		"closed before": {func(c *paradero.Case) {
			c.Opened, c.Closed = paradero.PartialDate{Year: 2025, Month: 5}, paradero.PartialDate{Year: 2025, Month: 4}
		}, paradero.EINVALID},
		"no such record":    {func(c *paradero.Case) { c.People = []paradero.CasePerson{{RecordID: 9999}} }, paradero.ENOTFOUND},
		"no such user":      {func(c *paradero.Case) { c.Lawyers = []paradero.CaseLawyer{{UserID: 9999}} }, paradero.ENOTFOUND},
		"not a lawyer":      {func(c *paradero.Case) { c.Lawyers = []paradero.CaseLawyer{{UserID: f.doc.ID}} }, paradero.EINVALID},
		"same record twice": {func(c *paradero.Case) { c.People = []paradero.CasePerson{{RecordID: f.recs[0]}, {RecordID: f.recs[0]}} }, paradero.ECONFLICT},
	} {
		c := valid()
		tc.change(c)
		if err := s.CreateCase(f.ctx, c); paradero.ErrorCode(err) != tc.code {
			t.Errorf("%s: CreateCase = %v, want %s", name, err, tc.code)
		}
	}
	if cs, n, err := s.FindCases(f.ctx, paradero.CaseFilter{}); err != nil || n != 0 || len(cs) != 0 {
		t.Errorf("after refused cases: FindCases = %d cases, total %d, %v; want none", len(cs), n, err)
	}
}

func testFindCases(t *testing.T, s CaseStore) {
	f := newCaseFixture(t, s)
	r := f.recs
	a := f.newCase(t, paradero.CaseHabeas, "A", r[0])
	b := f.newCase(t, paradero.CaseRemoval, "B", r[3], r[5])
	c := f.newCase(t, paradero.CaseHabeas, "C")
	if err := s.AssignCaseLawyer(f.ctx, a.ID, f.lawyers[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.AssignCaseLawyer(f.ctx, b.ID, f.lawyers[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.AssignCaseLawyer(f.ctx, b.ID, f.lawyers[1].ID); err != nil {
		t.Fatal(err)
	}
	closed := paradero.CaseClosed
	if _, err := s.UpdateCase(f.ctx, c.ID, paradero.CaseUpdate{Status: &closed}); err != nil {
		t.Fatal(err)
	}
	ids := func(cs []*paradero.Case) []int64 {
		var out []int64
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		f     paradero.CaseFilter
		want  []int64
		total int
	}{
		{"all, newest first", paradero.CaseFilter{}, []int64{c.ID, b.ID, a.ID}, 3},
		{"page", paradero.CaseFilter{Offset: 1, Limit: 1}, []int64{b.ID}, 3},
		{"lawyer 0", paradero.CaseFilter{LawyerID: f.lawyers[0].ID}, []int64{b.ID, a.ID}, 2},
		{"lawyer 1", paradero.CaseFilter{LawyerID: f.lawyers[1].ID}, []int64{b.ID}, 1},
		{"documenter (assigned nowhere)", paradero.CaseFilter{LawyerID: f.doc.ID}, nil, 0},
		{"a person's records", paradero.CaseFilter{Records: []int64{r[3], r[4]}}, []int64{b.ID}, 1},
		{"records of two cases", paradero.CaseFilter{Records: []int64{r[0], r[5]}}, []int64{b.ID, a.ID}, 2},
		{"no records: nothing", paradero.CaseFilter{Records: []int64{}}, nil, 0},
		{"lawyer 1 and a's record", paradero.CaseFilter{LawyerID: f.lawyers[1].ID, Records: []int64{r[0]}}, nil, 0},
		{"kind", paradero.CaseFilter{Kind: paradero.CaseHabeas}, []int64{c.ID, a.ID}, 2},
		{"status", paradero.CaseFilter{Status: paradero.CaseOpen}, []int64{b.ID, a.ID}, 2},
	} {
		got, total, err := s.FindCases(f.ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(ids(got), tc.want) || total != tc.total {
			t.Errorf("%s: FindCases = %v (total %d), want %v (total %d)", tc.name, ids(got), total, tc.want, tc.total)
		}
	}
	got, _, _ := s.FindCases(f.ctx, paradero.CaseFilter{Records: []int64{r[5]}})
	if len(got) != 1 || len(got[0].People) != 2 || len(got[0].Lawyers) != 2 {
		t.Errorf("FindCases does not fill people and lawyers: %+v", got)
	}
}

func testUpdateCase(t *testing.T, s CaseStore) {
	f := newCaseFixture(t, s)
	c := f.newCase(t, paradero.CaseHabeas, "Habeas")
	other := paradero.NewContextWithActor(t.Context(), paradero.Actor{UserID: f.lawyers[0].ID, Name: paradero.UserActorName(f.lawyers[0].ID), Role: paradero.RoleLawyer})
	status, number := paradero.CaseClosed, "HC 9-2025"
	closed := paradero.PartialDate{Year: 2025, Month: 7}
	got, err := s.UpdateCase(other, c.ID, paradero.CaseUpdate{Status: &status, Number: &number, Closed: &closed, Title: &c.Title})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != status || got.Number != number || got.Closed != closed || got.Title != "Habeas" ||
		got.UpdatedBy != paradero.UserActorName(f.lawyers[0].ID) || got.CreatedBy != f.actor || got.UpdatedAt.Before(got.CreatedAt) {
		t.Errorf("UpdateCase = %+v", got)
	}
	again, _ := s.FindCaseByID(f.ctx, c.ID)
	if diff := cmp.Diff(got, again, caseCmp...); diff != "" {
		t.Errorf("FindCaseByID after UpdateCase (-updated +found):\n%s", diff)
	}
	// Nothing changed: no change recorded.
	if _, err := s.UpdateCase(f.ctx, c.ID, paradero.CaseUpdate{Status: &status}); err != nil {
		t.Fatal(err)
	}
	bad := paradero.PartialDate{Year: 2024}
	_, err = s.UpdateCase(f.ctx, c.ID, paradero.CaseUpdate{Opened: &paradero.PartialDate{Year: 2025, Month: 8}, Closed: &bad})
	wantCode(t, err, paradero.EINVALID)
	_, err = s.UpdateCase(f.ctx, c.ID+1, paradero.CaseUpdate{Status: &status})
	wantCode(t, err, paradero.ENOTFOUND)
	want := []string{"create  ", "update  number,status,closed"}
	if diff := cmp.Diff(want, changesOf(t, s, paradero.CaseSubject(c.ID))); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	cs, _ := s.FindChanges(f.ctx, paradero.CaseSubject(c.ID))
	if len(cs) == 2 && cs[1].Actor != paradero.UserActorName(f.lawyers[0].ID) {
		t.Errorf("the update is attributed to %q", cs[1].Actor)
	}
}

func testCasePeopleAndLawyers(t *testing.T, s CaseStore) {
	f := newCaseFixture(t, s)
	c := f.newCase(t, paradero.CaseHabeas, "Habeas")
	r := f.recs
	p := &paradero.CasePerson{RecordID: r[4]}
	if err := s.AddCasePerson(f.ctx, c.ID, p); err != nil {
		t.Fatal(err)
	}
	if p.PersonID != f.personOf[r[4]] || p.AddedBy != f.actor || p.AddedAt.IsZero() {
		t.Errorf("AddCasePerson set %+v", p)
	}
	wantCode(t, s.AddCasePerson(f.ctx, c.ID, &paradero.CasePerson{RecordID: r[4]}), paradero.ECONFLICT)
	wantCode(t, s.AddCasePerson(f.ctx, c.ID, &paradero.CasePerson{RecordID: 9999}), paradero.ENOTFOUND)
	wantCode(t, s.AddCasePerson(f.ctx, c.ID+1, &paradero.CasePerson{RecordID: r[0]}), paradero.ENOTFOUND)
	wantCode(t, s.RemoveCasePerson(f.ctx, c.ID, r[0]), paradero.ENOTFOUND)
	if err := s.AddCasePerson(f.ctx, c.ID, &paradero.CasePerson{RecordID: r[0]}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveCasePerson(f.ctx, c.ID, r[4]); err != nil {
		t.Fatal(err)
	}
	got, _ := s.FindCaseByID(f.ctx, c.ID)
	if len(got.People) != 1 || got.People[0].RecordID != r[0] {
		t.Errorf("people after add, add, remove = %+v; want record %d", got.People, r[0])
	}

	l := f.lawyers[1].ID
	if err := s.AssignCaseLawyer(f.ctx, c.ID, l); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.AssignCaseLawyer(f.ctx, c.ID, l), paradero.ECONFLICT)
	wantCode(t, s.AssignCaseLawyer(f.ctx, c.ID, f.doc.ID), paradero.EINVALID)
	wantCode(t, s.AssignCaseLawyer(f.ctx, c.ID, 9999), paradero.ENOTFOUND)
	wantCode(t, s.AssignCaseLawyer(f.ctx, c.ID+1, l), paradero.ENOTFOUND)
	wantCode(t, s.UnassignCaseLawyer(f.ctx, c.ID, f.lawyers[0].ID), paradero.ENOTFOUND)
	if got, _ := s.FindCaseByID(f.ctx, c.ID); len(got.Lawyers) != 1 || got.Lawyers[0].UserID != l || got.Lawyers[0].AssignedBy != f.actor {
		t.Errorf("lawyers = %+v", got.Lawyers)
	}
	if err := s.UnassignCaseLawyer(f.ctx, c.ID, l); err != nil {
		t.Fatal(err)
	}
	if cs, n, _ := s.FindCases(f.ctx, paradero.CaseFilter{LawyerID: l}); n != 0 {
		t.Errorf("after unassigning: the lawyer still has %v", cs)
	}
	want := []string{"create  ",
		fmt.Sprintf("person.add record:%d ", r[4]), fmt.Sprintf("person.add record:%d ", r[0]), fmt.Sprintf("person.remove record:%d ", r[4]),
		fmt.Sprintf("lawyer.assign user:%d ", l), fmt.Sprintf("lawyer.unassign user:%d ", l)}
	if diff := cmp.Diff(want, changesOf(t, s, paradero.CaseSubject(c.ID))); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

// testCaseFollowsRecord checks the reason cases link records, not person
// ids: after a link run splits the person, the case concerns the person
// its record belongs to now, whatever that person's id.
func testCaseFollowsRecord(t *testing.T, s CaseStore) {
	f := newCaseFixture(t, s)
	r := f.recs
	c := f.newCase(t, paradero.CaseHabeas, "Habeas", r[2])
	run := &paradero.LinkRun{CreatedBy: "test", Settings: []byte("{}")}
	if err := s.SaveLinkRun(f.ctx, run, [][]int64{{r[0], r[1]}, {r[2], r[5]}, {r[3], r[4]}}, nil); err != nil {
		t.Fatal(err)
	}
	now, err := s.FindPersonOfRecord(f.ctx, r[2])
	if err != nil {
		t.Fatal(err)
	}
	if now.ID == f.personOf[r[2]] {
		t.Fatalf("the split kept record %d's person id %d; the test needs it to move", r[2], now.ID)
	}
	got, _, err := s.FindCases(f.ctx, paradero.CaseFilter{Records: now.Records})
	if err != nil || len(got) != 1 || got[0].ID != c.ID {
		t.Errorf("cases of record %d's new person = %v, %v; want case %d", r[2], got, err, c.ID)
	}
	old, _ := s.FindPersonByID(f.ctx, f.personOf[r[2]])
	if got, _, _ := s.FindCases(f.ctx, paradero.CaseFilter{Records: old.Records}); len(got) != 0 {
		t.Errorf("the old person (now records %v) still has case %d", old.Records, c.ID)
	}
	if got[0].People[0].PersonID != f.personOf[r[2]] {
		t.Errorf("the link's history changed: person %d, want %d", got[0].People[0].PersonID, f.personOf[r[2]])
	}
}

func day(y, m, d int) paradero.PartialDate { return paradero.PartialDate{Year: y, Month: m, Day: d} }

func testDeadlines(t *testing.T, s CaseStore) {
	f := newCaseFixture(t, s)
	a := f.newCase(t, paradero.CaseHabeas, "A")
	b := f.newCase(t, paradero.CaseRemoval, "B")
	if err := s.AssignCaseLawyer(f.ctx, b.ID, f.lawyers[0].ID); err != nil {
		t.Fatal(err)
	}
	mk := func(c *paradero.Case, kind paradero.DeadlineKind, due, remind paradero.PartialDate, tm, what string) *paradero.Deadline {
		d := &paradero.Deadline{CaseID: c.ID, Kind: kind, Due: due, Time: tm, What: what, Status: paradero.DeadlinePending, RemindOn: remind}
		if err := s.CreateDeadline(f.ctx, d); err != nil {
			t.Fatalf("CreateDeadline(%s): %v", what, err)
		}
		return d
	}
	h1 := mk(a, paradero.DeadlineHearing, day(2025, 4, 10), day(2025, 4, 8), "09:30", "Audiencia de hábeas")
	d1 := mk(b, paradero.DeadlineDeadline, day(2025, 4, 2), day(2025, 4, 1), "", "Escrito de respuesta")
	d2 := mk(b, paradero.DeadlineDeadline, day(2025, 5, 1), paradero.PartialDate{}, "", "Apelación")
	if h1.ID == 0 || h1.CreatedBy != f.actor || !h1.RemindedAt.IsZero() {
		t.Errorf("CreateDeadline set %+v", h1)
	}
	for name, d := range map[string]*paradero.Deadline{
		"no case":             {CaseID: 9999, Kind: paradero.DeadlineHearing, Due: day(2025, 1, 1), What: "x", Status: paradero.DeadlinePending},
		"partial date":        {CaseID: a.ID, Kind: paradero.DeadlineHearing, Due: paradero.PartialDate{Year: 2025, Month: 1}, What: "x", Status: paradero.DeadlinePending},
		"bad time":            {CaseID: a.ID, Kind: paradero.DeadlineHearing, Due: day(2025, 1, 1), Time: "25:00", What: "x", Status: paradero.DeadlinePending},
		"no what":             {CaseID: a.ID, Kind: paradero.DeadlineHearing, Due: day(2025, 1, 1), Status: paradero.DeadlinePending},
		"reminder after date": {CaseID: a.ID, Kind: paradero.DeadlineHearing, Due: day(2025, 1, 1), RemindOn: day(2025, 1, 2), What: "x", Status: paradero.DeadlinePending},
		"bad kind":            {CaseID: a.ID, Kind: "party", Due: day(2025, 1, 1), What: "x", Status: paradero.DeadlinePending},
	} {
		want := paradero.EINVALID
		if name == "no case" {
			want = paradero.ENOTFOUND
		}
		if err := s.CreateDeadline(f.ctx, d); paradero.ErrorCode(err) != want {
			t.Errorf("%s: CreateDeadline = %v, want %s", name, err, want)
		}
	}
	ids := func(ds []*paradero.Deadline, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    paradero.DeadlineFilter
		want []int64
	}{
		{"all by date", paradero.DeadlineFilter{}, []int64{d1.ID, h1.ID, d2.ID}},
		{"case a", paradero.DeadlineFilter{CaseID: a.ID}, []int64{h1.ID}},
		{"lawyer's cases", paradero.DeadlineFilter{LawyerID: f.lawyers[0].ID}, []int64{d1.ID, d2.ID}},
		{"window", paradero.DeadlineFilter{From: day(2025, 4, 2), To: day(2025, 4, 30)}, []int64{d1.ID, h1.ID}},
		{"reminders due on 1 April", paradero.DeadlineFilter{RemindBy: day(2025, 4, 1)}, []int64{d1.ID}},
		{"reminders due on 9 April", paradero.DeadlineFilter{RemindBy: day(2025, 4, 9)}, []int64{d1.ID, h1.ID}},
	} {
		if got := ids(s.FindDeadlines(f.ctx, tc.f)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: FindDeadlines = %v, want %v", tc.name, got, tc.want)
		}
	}
	// The sweep: a reminder sent is not due again; a new reminder day
	// makes it due once more; a deadline done is due no more.
	at := time.Date(2025, 4, 1, 7, 0, 0, 0, time.UTC)
	if err := s.MarkReminded(f.ctx, d1.ID, at); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.MarkReminded(f.ctx, 9999, at), paradero.ENOTFOUND)
	if got := ids(s.FindDeadlines(f.ctx, paradero.DeadlineFilter{RemindBy: day(2025, 4, 9)})); !slices.Equal(got, []int64{h1.ID}) {
		t.Errorf("after marking %d reminded: due = %v, want [%d]", d1.ID, got, h1.ID)
	}
	ds, _ := s.FindDeadlines(f.ctx, paradero.DeadlineFilter{CaseID: b.ID})
	if len(ds) == 0 || !ds[0].RemindedAt.Equal(paradero.Timestamp(at)) {
		t.Errorf("RemindedAt = %v, want %v", ds, at)
	}
	newDay := day(2025, 4, 2)
	got, err := s.UpdateDeadline(f.ctx, d1.ID, paradero.DeadlineUpdate{RemindOn: &newDay})
	if err != nil {
		t.Fatal(err)
	}
	if !got.RemindedAt.IsZero() {
		t.Errorf("a new reminder day kept RemindedAt %v", got.RemindedAt)
	}
	done := paradero.DeadlineDone
	if _, err := s.UpdateDeadline(f.ctx, h1.ID, paradero.DeadlineUpdate{Status: &done}); err != nil {
		t.Fatal(err)
	}
	if got := ids(s.FindDeadlines(f.ctx, paradero.DeadlineFilter{RemindBy: day(2025, 4, 9)})); !slices.Equal(got, []int64{d1.ID}) {
		t.Errorf("after a new reminder day and a hearing held: due = %v, want [%d]", got, d1.ID)
	}
	if got := ids(s.FindDeadlines(f.ctx, paradero.DeadlineFilter{Status: paradero.DeadlinePending})); !slices.Equal(got, []int64{d1.ID, d2.ID}) {
		t.Errorf("pending = %v", got)
	}
	bad := "mañana"
	_, err = s.UpdateDeadline(f.ctx, d2.ID, paradero.DeadlineUpdate{Time: &bad})
	wantCode(t, err, paradero.EINVALID)
	_, err = s.UpdateDeadline(f.ctx, 9999, paradero.DeadlineUpdate{Status: &done})
	wantCode(t, err, paradero.ENOTFOUND)
	full, _ := s.FindCaseByID(f.ctx, b.ID)
	if len(full.Deadlines) != 2 || full.Deadlines[0].ID != d1.ID {
		t.Errorf("case b's deadlines = %+v", full.Deadlines)
	}
	want := []string{"create  ", fmt.Sprintf("lawyer.assign user:%d ", f.lawyers[0].ID),
		fmt.Sprintf("deadline.add deadline:%d ", d1.ID), fmt.Sprintf("deadline.add deadline:%d ", d2.ID),
		fmt.Sprintf("deadline.update deadline:%d remind_on", d1.ID)}
	if diff := cmp.Diff(want, changesOf(t, s, paradero.CaseSubject(b.ID))); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func testCourtOrders(t *testing.T, s CaseStore) {
	f := newCaseFixture(t, s)
	c := f.newCase(t, paradero.CaseHabeas, "Habeas")
	o := &paradero.CourtOrder{CaseID: c.ID, Date: day(2025, 3, 15), Kind: paradero.OrderNotToRemove,
		Text: "Se ordena no trasladar a los peticionarios fuera del país.", Obeyed: paradero.ComplianceUnknown}
	if err := s.CreateCourtOrder(f.ctx, o); err != nil {
		t.Fatal(err)
	}
	if o.ID == 0 || o.CreatedBy != f.actor {
		t.Errorf("CreateCourtOrder set %+v", o)
	}
	for name, bad := range map[string]*paradero.CourtOrder{
		"no date":     {CaseID: c.ID, Kind: paradero.OrderRelease, Obeyed: paradero.ComplianceUnknown},
		"bad kind":    {CaseID: c.ID, Date: day(2025, 1, 1), Kind: "praise", Obeyed: paradero.ComplianceUnknown},
		"bad answer":  {CaseID: c.ID, Date: day(2025, 1, 1), Kind: paradero.OrderRelease, Obeyed: "maybe"},
		"no case":     {CaseID: 9999, Date: day(2025, 1, 1), Kind: paradero.OrderRelease, Obeyed: paradero.ComplianceUnknown},
		"no source":   {CaseID: c.ID, Date: day(2025, 1, 1), Kind: paradero.OrderRelease, Obeyed: paradero.ComplianceObeyed, ObeyedSource: 9999},
		"2-line note": {CaseID: c.ID, Date: day(2025, 1, 1), Kind: paradero.OrderRelease, Obeyed: paradero.ComplianceObeyed, ObeyedNote: "a\nb"},
	} {
		want := paradero.EINVALID
		if name == "no case" || name == "no source" {
			want = paradero.ENOTFOUND
		}
		if err := s.CreateCourtOrder(f.ctx, bad); paradero.ErrorCode(err) != want {
			t.Errorf("%s: CreateCourtOrder = %v, want %s", name, err, want)
		}
	}
	no, src, note := paradero.ComplianceDisobeyed, f.sources[1], "Trasladados en el vuelo del 16 de marzo"
	got, err := s.UpdateCourtOrder(f.ctx, o.ID, paradero.CourtOrderUpdate{Obeyed: &no, ObeyedSource: &src, ObeyedNote: &note})
	if err != nil {
		t.Fatal(err)
	}
	if got.Obeyed != no || got.ObeyedSource != src || got.ObeyedNote != note || got.Text != o.Text {
		t.Errorf("UpdateCourtOrder = %+v", got)
	}
	missing := int64(9999)
	_, err = s.UpdateCourtOrder(f.ctx, o.ID, paradero.CourtOrderUpdate{ObeyedSource: &missing})
	wantCode(t, err, paradero.ENOTFOUND)
	_, err = s.UpdateCourtOrder(f.ctx, 9999, paradero.CourtOrderUpdate{Obeyed: &no})
	wantCode(t, err, paradero.ENOTFOUND)
	full, _ := s.FindCaseByID(f.ctx, c.ID)
	if len(full.Orders) != 1 {
		t.Fatalf("orders = %+v", full.Orders)
	}
	if diff := cmp.Diff(got, full.Orders[0], caseCmp...); diff != "" {
		t.Errorf("FindCaseByID's order (-updated +found):\n%s", diff)
	}
	want := []string{"create  ", fmt.Sprintf("order.add order:%d ", o.ID), fmt.Sprintf("order.update order:%d obeyed,obeyed_source,obeyed_note", o.ID)}
	if diff := cmp.Diff(want, changesOf(t, s, paradero.CaseSubject(c.ID))); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func testCaseDocuments(t *testing.T, s CaseStore) {
	f := newCaseFixture(t, s)
	c := f.newCase(t, paradero.CaseHabeas, "Habeas")
	d := &paradero.CaseDocument{SourceID: f.sources[1], Note: "La petición"}
	if err := s.AddCaseDocument(f.ctx, c.ID, d); err != nil {
		t.Fatal(err)
	}
	if d.AddedBy != f.actor || d.AddedAt.IsZero() {
		t.Errorf("AddCaseDocument set %+v", d)
	}
	wantCode(t, s.AddCaseDocument(f.ctx, c.ID, &paradero.CaseDocument{SourceID: f.sources[1]}), paradero.ECONFLICT)
	wantCode(t, s.AddCaseDocument(f.ctx, c.ID, &paradero.CaseDocument{SourceID: 9999}), paradero.ENOTFOUND)
	wantCode(t, s.AddCaseDocument(f.ctx, 9999, &paradero.CaseDocument{SourceID: f.sources[0]}), paradero.ENOTFOUND)
	wantCode(t, s.AddCaseDocument(f.ctx, c.ID, &paradero.CaseDocument{SourceID: f.sources[0], Note: "a\nb"}), paradero.EINVALID)
	if err := s.AddCaseDocument(f.ctx, c.ID, &paradero.CaseDocument{SourceID: f.sources[0]}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.RemoveCaseDocument(f.ctx, c.ID, 9999), paradero.ENOTFOUND)
	if err := s.RemoveCaseDocument(f.ctx, c.ID, f.sources[0]); err != nil {
		t.Fatal(err)
	}
	full, _ := s.FindCaseByID(f.ctx, c.ID)
	if len(full.Documents) != 1 || full.Documents[0].SourceID != f.sources[1] || full.Documents[0].Note != "La petición" {
		t.Errorf("documents = %+v", full.Documents)
	}
}

func (f *caseFixture) violation(typ paradero.ViolationType, victims ...int64) *paradero.Violation {
	v := &paradero.Violation{Type: typ, Date: paradero.DateRange{From: day(2025, 3, 16)}, Place: "Tecoluca, El Salvador",
		Perpetrator: "Dirección General de Centros Penales", Sources: []paradero.Citation{{SourceID: f.sources[0]}}}
	for _, r := range victims {
		v.Victims = append(v.Victims, paradero.Victim{RecordID: r})
	}
	return v
}

func testViolationRoundTrip(t *testing.T, s CaseStore) {
	f := newCaseFixture(t, s)
	c := f.newCase(t, paradero.CaseHabeas, "Habeas")
	r := f.recs
	v := f.violation(paradero.ViolationIncommunicado, r[1], r[3])
	v.Date = paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3}, To: paradero.PartialDate{Year: 2025, Month: 7, Day: 18}}
	v.Group = "Los trasladados del 15 de marzo <b>"
	v.CaseID = c.ID
	v.Notes = "Sin contacto con abogados ni familia.\n«Incomunicados»."
	// A record cited by itself: the store fills in its source.
	v.Sources = append(v.Sources, paradero.Citation{RecordID: r[5]})
	if err := s.CreateViolation(f.ctx, v); err != nil {
		t.Fatal(err)
	}
	if v.ID == 0 || v.CreatedBy != f.actor || v.Victims[0].PersonID != f.personOf[r[1]] {
		t.Errorf("CreateViolation set %+v", v)
	}
	wantSources := []paradero.Citation{{SourceID: f.sources[0]}, {SourceID: f.sources[1], RecordID: r[5]}}
	if !slices.Equal(v.Sources, wantSources) {
		t.Errorf("citations = %v, want %v", v.Sources, wantSources)
	}
	got, err := s.FindViolationByID(f.ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v, got, caseCmp...); diff != "" {
		t.Errorf("FindViolationByID (-created +found):\n%s", diff)
	}
	_, err = s.FindViolationByID(f.ctx, v.ID+1)
	wantCode(t, err, paradero.ENOTFOUND)
	if diff := cmp.Diff([]string{"create  "}, changesOf(t, s, paradero.ViolationSubject(v.ID))); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

func testViolationInvalid(t *testing.T, s CaseStore) {
	f := newCaseFixture(t, s)
	r := f.recs
	for name, tc := range map[string]struct {
		change func(*paradero.Violation)
		code   string
	}{
		"bad type":         {func(v *paradero.Violation) { v.Type = "rudeness" }, paradero.EINVALID},
		"no date":          {func(v *paradero.Violation) { v.Date = paradero.DateRange{} }, paradero.EINVALID},
		"range backwards":  {func(v *paradero.Violation) { v.Date = paradero.DateRange{From: day(2025, 5, 1), To: day(2025, 4, 1)} }, paradero.EINVALID},
		"no victims":       {func(v *paradero.Violation) { v.Victims = nil }, paradero.EINVALID},
		"victim twice":     {func(v *paradero.Violation) { v.Victims = append(v.Victims, v.Victims[0]) }, paradero.EINVALID},
		"no sources":       {func(v *paradero.Violation) { v.Sources = nil }, paradero.EINVALID},
		"no such record":   {func(v *paradero.Violation) { v.Victims = []paradero.Victim{{RecordID: 9999}} }, paradero.ENOTFOUND},
		"no such source":   {func(v *paradero.Violation) { v.Sources = []paradero.Citation{{SourceID: 9999}} }, paradero.ENOTFOUND},
		"no such case":     {func(v *paradero.Violation) { v.CaseID = 9999 }, paradero.ENOTFOUND},
		"record elsewhere": {func(v *paradero.Violation) { v.Sources = []paradero.Citation{{SourceID: f.sources[0], RecordID: r[5]}} }, paradero.EINVALID},
		"two-line place":   {func(v *paradero.Violation) { v.Place = "a\nb" }, paradero.EINVALID},
	} {
		v := f.violation(paradero.ViolationTorture, r[0])
		tc.change(v)
		if err := s.CreateViolation(f.ctx, v); paradero.ErrorCode(err) != tc.code {
			t.Errorf("%s: CreateViolation = %v, want %s", name, err, tc.code)
		}
	}
	if vs, n, err := s.FindViolations(f.ctx, paradero.ViolationFilter{}); err != nil || n != 0 {
		t.Errorf("after refused violations: %d stored, %v", len(vs), err)
	}
}

func testFindViolations(t *testing.T, s CaseStore) {
	f := newCaseFixture(t, s)
	r := f.recs
	c := f.newCase(t, paradero.CaseHabeas, "Habeas")
	a := f.violation(paradero.ViolationArbitraryDetention, r[0])
	a.Date = paradero.DateRange{From: day(2025, 2, 1)}
	b := f.violation(paradero.ViolationEnforcedDisappearance, r[3], r[5])
	b.Date = paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 4}}
	b.CaseID = c.ID
	d := f.violation(paradero.ViolationArbitraryDetention, r[4])
	for _, v := range []*paradero.Violation{a, b, d} {
		if err := s.CreateViolation(f.ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(vs []*paradero.Violation) []int64 {
		var out []int64
		for _, v := range vs {
			out = append(out, v.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		f     paradero.ViolationFilter
		want  []int64
		total int
	}{
		{"all, latest first", paradero.ViolationFilter{}, []int64{b.ID, d.ID, a.ID}, 3},
		{"page", paradero.ViolationFilter{Offset: 2, Limit: 5}, []int64{a.ID}, 3},
		{"type", paradero.ViolationFilter{Type: paradero.ViolationArbitraryDetention}, []int64{d.ID, a.ID}, 2},
		{"a person's records", paradero.ViolationFilter{Records: []int64{r[3], r[4]}}, []int64{b.ID, d.ID}, 2},
		{"no records: nothing", paradero.ViolationFilter{Records: []int64{}}, nil, 0},
		{"case", paradero.ViolationFilter{CaseID: c.ID}, []int64{b.ID}, 1},
		{"type and records", paradero.ViolationFilter{Type: paradero.ViolationTorture, Records: []int64{r[0]}}, nil, 0},
	} {
		got, total, err := s.FindViolations(f.ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(ids(got), tc.want) || total != tc.total {
			t.Errorf("%s: FindViolations = %v (total %d), want %v (total %d)", tc.name, ids(got), total, tc.want, tc.total)
		}
	}
	got, _, _ := s.FindViolations(f.ctx, paradero.ViolationFilter{CaseID: c.ID})
	if len(got) != 1 || len(got[0].Victims) != 2 || len(got[0].Sources) != 1 {
		t.Errorf("FindViolations does not fill victims and sources: %+v", got)
	}
}

func testUpdateViolation(t *testing.T, s CaseStore) {
	f := newCaseFixture(t, s)
	r := f.recs
	v := f.violation(paradero.ViolationRemovalDespiteOrder, r[0])
	if err := s.CreateViolation(f.ctx, v); err != nil {
		t.Fatal(err)
	}
	// A link run moves r[0] to another person: the update keeps the
	// person it had when recorded, as history.
	run := &paradero.LinkRun{CreatedBy: "test", Settings: []byte("{}")}
	if err := s.SaveLinkRun(f.ctx, run, [][]int64{{r[1], r[2]}, {r[0], r[3], r[4]}, {r[5]}}, nil); err != nil {
		t.Fatal(err)
	}
	victims := []paradero.Victim{{RecordID: r[0]}, {RecordID: r[5]}}
	srcs := []paradero.Citation{{RecordID: r[4]}}
	typ, place := paradero.ViolationRefoulement, "San Salvador"
	got, err := s.UpdateViolation(f.ctx, v.ID, paradero.ViolationUpdate{Type: &typ, Place: &place, Victims: &victims, Sources: &srcs, Perpetrator: &v.Perpetrator})
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != typ || got.Place != place || len(got.Victims) != 2 || got.Perpetrator != v.Perpetrator {
		t.Errorf("UpdateViolation = %+v", got)
	}
	if got.Victims[0].PersonID != v.Victims[0].PersonID {
		t.Errorf("victim %d's person when recorded became %d, want %d", r[0], got.Victims[0].PersonID, v.Victims[0].PersonID)
	}
	if want := []paradero.Citation{{SourceID: f.sources[1], RecordID: r[4]}}; !slices.Equal(got.Sources, want) {
		t.Errorf("sources = %v, want %v", got.Sources, want)
	}
	none := []paradero.Victim{}
	_, err = s.UpdateViolation(f.ctx, v.ID, paradero.ViolationUpdate{Victims: &none})
	wantCode(t, err, paradero.EINVALID)
	_, err = s.UpdateViolation(f.ctx, v.ID+1, paradero.ViolationUpdate{Place: &place})
	wantCode(t, err, paradero.ENOTFOUND)
	again, _ := s.FindViolationByID(f.ctx, v.ID)
	if diff := cmp.Diff(got, again, caseCmp...); diff != "" {
		t.Errorf("FindViolationByID after update (-updated +found):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"create  ", "update  type,place,victims,sources"}, changesOf(t, s, paradero.ViolationSubject(v.ID))); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}
