package paradero

import (
	"slices"
	"strings"
	"testing"
)

func TestDateNotBefore(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"2025-03-16", "2025-03-16", true},
		{"2025-03-16", "2025-03-17", true},
		{"2025-03-16", "2025-03-15", false},
		{"2025", "2025-01-01", true}, // agree as far as the year goes
		{"2025-03-16", "2025", true}, // likewise
		{"2025-03", "2025-02-28", false},
		{"2026", "2025-12", false},
		{"", "2025", true},
		{"2025", "", true},
	} {
		a, _ := ParsePartialDate(tc.a)
		b, _ := ParsePartialDate(tc.b)
		if got := dateNotBefore(a, b); got != tc.want {
			t.Errorf("dateNotBefore(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func validCase() *Case {
	return &Case{Kind: CaseHabeas, Title: "Hábeas", Status: CaseOpen, Opened: PartialDate{Year: 2025, Month: 3}}
}

func TestCaseValidate(t *testing.T) {
	if err := validCase().Validate(); err != nil {
		t.Fatalf("a valid case: %v", err)
	}
	for name, change := range map[string]func(*Case){
		"kind":          func(c *Case) { c.Kind = "civil" },
		"status":        func(c *Case) { c.Status = "" },
		"no title":      func(c *Case) { c.Title = " \t" },
		"two lines":     func(c *Case) { c.Number = "1\n2" },
		"long court":    func(c *Case) { c.Court = strings.Repeat("x", MaxCaseLine+1) },
		"NUL in notes":  func(c *Case) { c.Notes = "a\x00" },
		"bad UTF-8":     func(c *Case) { c.Title = "\xff" },
		"bad date":      func(c *Case) { c.Closed = PartialDate{Year: 2025, Month: 13} },
		"closed before": func(c *Case) { c.Closed = PartialDate{Year: 2025, Month: 2, Day: 28} },
	} {
		c := validCase()
		change(c)
		if err := c.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("%s: Validate = %v, want %s", name, err, EINVALID)
		}
	}
	c := validCase()
	c.Notes = "two\nlines are fine in notes"
	if err := c.Validate(); err != nil {
		t.Errorf("notes on two lines: %v", err)
	}
}

func TestDeadlineValidate(t *testing.T) {
	day := func(y, m, d int) PartialDate { return PartialDate{y, m, d} }
	ok := func() *Deadline {
		return &Deadline{Kind: DeadlineHearing, Due: day(2025, 5, 2), Time: "09:30", What: "Audiencia", Status: DeadlinePending, RemindOn: day(2025, 5, 2)}
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("a valid deadline: %v", err)
	}
	for name, change := range map[string]func(*Deadline){
		"kind":             func(d *Deadline) { d.Kind = "" },
		"status":           func(d *Deadline) { d.Status = "late" },
		"month only":       func(d *Deadline) { d.Due = PartialDate{Year: 2025, Month: 5} },
		"time 9:30":        func(d *Deadline) { d.Time = "9:30" },
		"time 24:00":       func(d *Deadline) { d.Time = "24:00" },
		"nothing said":     func(d *Deadline) { d.What = "" },
		"partial reminder": func(d *Deadline) { d.RemindOn = PartialDate{Year: 2025} },
		"reminder after":   func(d *Deadline) { d.RemindOn = day(2025, 5, 3) },
	} {
		d := ok()
		change(d)
		if err := d.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("%s: Validate = %v, want %s", name, err, EINVALID)
		}
	}
}

func TestCourtOrderValidate(t *testing.T) {
	ok := func() *CourtOrder {
		return &CourtOrder{Date: PartialDate{Year: 2025}, Kind: OrderNotToRemove, Obeyed: ComplianceUnknown, Text: "No\ntrasladar"}
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("a valid order: %v", err)
	}
	for name, change := range map[string]func(*CourtOrder){
		"no date":     func(o *CourtOrder) { o.Date = PartialDate{} },
		"kind":        func(o *CourtOrder) { o.Kind = "praise" },
		"answer":      func(o *CourtOrder) { o.Obeyed = "yes" },
		"source":      func(o *CourtOrder) { o.ObeyedSource = -1 },
		"2-line note": func(o *CourtOrder) { o.ObeyedNote = "a\r\nb" },
	} {
		o := ok()
		change(o)
		if err := o.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("%s: Validate = %v, want %s", name, err, EINVALID)
		}
	}
}

func TestApplyNamesWhatChanged(t *testing.T) {
	c := validCase()
	title, status, same := "Otro", CaseClosed, CaseHabeas
	if got := c.Apply(CaseUpdate{Title: &title, Status: &status, Kind: &same}); !slices.Equal(got, []string{"title", "status"}) {
		t.Errorf("Case.Apply changed %v, want [title status]", got)
	}
	if c.Title != "Otro" || c.Status != CaseClosed || c.Kind != CaseHabeas {
		t.Errorf("after Apply: %+v", c)
	}
	d := &Deadline{Due: PartialDate{2025, 5, 2}, RemindOn: PartialDate{2025, 5, 1}}
	d.RemindedAt = d.CreatedAt.AddDate(1, 0, 0)
	newDay := PartialDate{2025, 4, 30}
	if got := d.Apply(DeadlineUpdate{RemindOn: &newDay}); !slices.Equal(got, []string{"remind_on"}) || !d.RemindedAt.IsZero() {
		t.Errorf("a new reminder day: changed %v, RemindedAt %v; want [remind_on] and zero", got, d.RemindedAt)
	}
	if got := d.Apply(DeadlineUpdate{RemindOn: &newDay}); len(got) != 0 {
		t.Errorf("the same reminder day again changed %v", got)
	}
	o := &CourtOrder{Obeyed: ComplianceUnknown}
	no, src := ComplianceDisobeyed, int64(4)
	if got := o.Apply(CourtOrderUpdate{Obeyed: &no, ObeyedSource: &src}); !slices.Equal(got, []string{"obeyed", "obeyed_source"}) {
		t.Errorf("CourtOrder.Apply changed %v", got)
	}
}

func TestSubjects(t *testing.T) {
	if CaseSubject(12) != "case:12" || ViolationSubject(3) != "violation:3" {
		t.Errorf("subjects = %q, %q", CaseSubject(12), ViolationSubject(3))
	}
	// Subjects are audit objects: they must pass the audit log's check.
	for _, obj := range []string{CaseSubject(12), ViolationSubject(3)} {
		e := &AuditEntry{ActorName: "user:1", Action: AuditCaseView, Object: obj}
		if err := e.Validate(); err != nil {
			t.Errorf("audit entry on %s: %v", obj, err)
		}
	}
	for _, a := range []string{AuditCaseView, AuditCaseCreate, AuditCaseUpdate, AuditCaseAccess, AuditViolationView, AuditViolationCreate, AuditViolationUpdate} {
		if err := (&AuditEntry{ActorName: "cli", Action: a}).Validate(); err != nil {
			t.Errorf("audit action %s: %v", a, err)
		}
	}
}

func TestCasePermissions(t *testing.T) {
	for _, tc := range []struct {
		p    Permission
		want []Role
	}{
		{PermViewCases, []Role{RoleAdmin, RoleDocumenter, RoleLawyer}},
		{PermEditCases, []Role{RoleAdmin, RoleDocumenter, RoleLawyer}},
		{PermManageCases, []Role{RoleAdmin, RoleDocumenter}},
		{PermViewViolations, []Role{RoleAdmin, RoleDocumenter, RoleLawyer}},
		{PermRecordViolations, []Role{RoleAdmin, RoleDocumenter}},
	} {
		var got []Role
		for _, r := range Roles {
			if r.Can(tc.p) {
				got = append(got, r)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s is held by %v, want %v", tc.p, got, tc.want)
		}
	}
	if RoleLawyer.Can(PermBrowseEvidence) {
		t.Error("a lawyer browses evidence")
	}
}
