package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/paradero/paradero"
)

const caseUsage = `
case list [--lawyer EMAIL] [--json]
case show ID [--json]
case create --kind KIND --title TITLE [--court COURT] [--number N] [--opened DATE] [--lawyer EMAIL]…
case link ID PERSON…
case assign ID EMAIL
case reminders [--date YYYY-MM-DD] [--mark]

Cases are the legal proceedings Paradero's users follow (habeas petitions,
removal proceedings, criminal cases, international petitions). A lawyer
assigned to a case sees it and the people it concerns, and nothing else.

list: the cases, newest first, or one lawyer's. show: one case with its
people, lawyers, hearings, deadlines, court orders, documents and history.
create: open a case (KIND is habeas, removal, criminal, international or
other; DATE is YYYY, YYYY-MM or YYYY-MM-DD). link: link people to a case:
PERSON is person:ID, record:ID or a person id; a person is linked through
their first record, which follows them when linkage changes their id.
assign: assign a lawyer (an account with the lawyer role).

reminders: the hearings and deadlines whose reminder is due on --date
(default today) and has not gone out, with the lawyers to remind, by id.
With --mark they are recorded as reminded. The web shows due reminders on
each lawyer's case list; this is the hook for sending them by e-mail once
the alert outbox carries case reminders.

Every change is attributed to the operator and kept in the case's history.
`

type caseCommand struct{ g *globals }

// caseStore is what the case command needs of a store.
type caseStore interface {
	paradero.Store
	paradero.UserService
	paradero.AuditService
	paradero.PersonService
	paradero.CaseService
}

func (c *caseCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "case", caseUsage)
	c.g.register(fs)
	asJSON := fs.Bool("json", false, "list, show, reminders: write JSON")
	lawyer := &stringList{}
	fs.Var(lawyer, "lawyer", "list: one lawyer's cases; create: assign this lawyer (`EMAIL`, repeatable)")
	kind := fs.String("kind", "", "create: the case's `KIND`")
	title := fs.String("title", "", "create: the case's `TITLE`")
	court := fs.String("court", "", "create: the `COURT` or body")
	number := fs.String("number", "", "create: the case `NUMBER`")
	opened := fs.String("opened", "", "create: when it was filed or opened, `DATE`")
	day := fs.String("date", "", "reminders: the `DAY` (YYYY-MM-DD; default today)")
	mark := fs.Bool("mark", false, "reminders: record them as reminded")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("give list, show, create, link, assign or reminders")
	}
	if err := c.g.open(ctx); err != nil {
		return err
	}
	s, ok := c.g.store.(caseStore)
	if !ok {
		return paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep cases")
	}
	ctx = operatorContext(ctx)
	userID := func(email string) (int64, error) {
		u, err := s.FindUserByEmail(ctx, email)
		if err != nil {
			return 0, err
		}
		return u.ID, nil
	}
	caseArg := func(s string) (int64, error) {
		id, err := strconv.ParseInt(strings.TrimPrefix(s, "case:"), 10, 64)
		if err != nil || id <= 0 {
			return 0, usagef("%q is not a case id", s)
		}
		return id, nil
	}
	out := c.g.stdout
	switch pos[0] {
	case "list":
		if len(pos) != 1 || len(*lawyer) > 1 {
			return usagef("list takes no arguments and at most one --lawyer")
		}
		var f paradero.CaseFilter
		if len(*lawyer) == 1 {
			if f.LawyerID, err = userID((*lawyer)[0]); err != nil {
				return err
			}
		}
		var all []*paradero.Case
		for {
			f.Offset = len(all)
			page, total, err := s.FindCases(ctx, f)
			if err != nil {
				return err
			}
			all = append(all, page...)
			if len(page) == 0 || len(all) >= total {
				break
			}
		}
		if *asJSON {
			return writeJSON(out, all)
		}
		w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tKIND\tSTATUS\tPEOPLE\tLAWYERS\tNUMBER\tTITLE")
		for _, x := range all {
			fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%d\t%s\t%s\n", x.ID, x.Kind, x.Status, len(x.People), len(x.Lawyers), x.Number, x.Title)
		}
		return w.Flush()
	case "show":
		if len(pos) != 2 {
			return usagef("give one case ID")
		}
		id, err := caseArg(pos[1])
		if err != nil {
			return err
		}
		x, err := s.FindCaseByID(ctx, id)
		if err != nil {
			return err
		}
		if err := s.CreateAuditEntry(ctx, paradero.NewAuditEntry(ctx, paradero.AuditCaseView, paradero.CaseSubject(id))); err != nil {
			return err
		}
		changes, err := s.FindChanges(ctx, paradero.CaseSubject(id))
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(out, struct {
				Case    *paradero.Case
				Changes []*paradero.Change
			}{x, changes})
		}
		return printCase(out, s, ctx, x, changes)
	case "create":
		if len(pos) != 1 {
			return usagef("create takes flags only")
		}
		d, err := paradero.ParsePartialDate(*opened)
		if err != nil {
			return usagef("--opened: %v", err)
		}
		x := &paradero.Case{Kind: paradero.CaseKind(*kind), Title: *title, Court: *court, Number: *number,
			Status: paradero.CaseOpen, Opened: d}
		for _, e := range *lawyer {
			id, err := userID(e)
			if err != nil {
				return err
			}
			x.Lawyers = append(x.Lawyers, paradero.CaseLawyer{UserID: id})
		}
		if err := s.CreateCase(ctx, x); err != nil {
			return err
		}
		if err := auditCase(ctx, s, paradero.AuditCaseCreate, x.ID, len(x.Lawyers) > 0); err != nil {
			return err
		}
		fmt.Fprintf(out, "case %d opened\n", x.ID)
		return nil
	case "link":
		if len(pos) < 3 {
			return usagef("give a case ID and at least one PERSON")
		}
		id, err := caseArg(pos[1])
		if err != nil {
			return err
		}
		for _, arg := range pos[2:] {
			rec, err := anchorOf(ctx, s, arg)
			if err != nil {
				return err
			}
			p := &paradero.CasePerson{RecordID: rec}
			if err := s.AddCasePerson(ctx, id, p); err != nil {
				return err
			}
			fmt.Fprintf(out, "case %d: linked record %d (person %d)\n", id, rec, p.PersonID)
		}
		return auditCase(ctx, s, paradero.AuditCaseAccess, id, false)
	case "assign":
		if len(pos) != 3 {
			return usagef("give a case ID and the lawyer's EMAIL")
		}
		id, err := caseArg(pos[1])
		if err != nil {
			return err
		}
		uid, err := userID(pos[2])
		if err != nil {
			return err
		}
		if err := s.AssignCaseLawyer(ctx, id, uid); err != nil {
			return err
		}
		fmt.Fprintf(out, "case %d: user %d assigned\n", id, uid)
		return auditCase(ctx, s, paradero.AuditCaseAccess, id, false)
	case "reminders":
		if len(pos) != 1 {
			return usagef("reminders takes flags only")
		}
		d := time.Now().UTC()
		on := paradero.PartialDate{Year: d.Year(), Month: int(d.Month()), Day: d.Day()}
		if *day != "" {
			if on, err = paradero.ParsePartialDate(*day); err != nil || on.Day == 0 {
				return usagef("--date %q is not YYYY-MM-DD", *day)
			}
		}
		return c.reminders(ctx, s, on, *mark, *asJSON)
	}
	return usagef("unknown case command %q", pos[0])
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// auditCase writes the audit entry of a change made at the command line,
// as the web does; access adds the entry of a change of who may see whom.
func auditCase(ctx context.Context, s caseStore, action string, id int64, access bool) error {
	if err := s.CreateAuditEntry(ctx, paradero.NewAuditEntry(ctx, action, paradero.CaseSubject(id))); err != nil {
		return err
	}
	if access {
		return s.CreateAuditEntry(ctx, paradero.NewAuditEntry(ctx, paradero.AuditCaseAccess, paradero.CaseSubject(id)))
	}
	return nil
}

// anchorOf reads PERSON ("person:12", "record:40" or "12") as the record
// a case or violation links: a record as given, a person by its first
// record now.
func anchorOf(ctx context.Context, ps paradero.PersonService, arg string) (int64, error) {
	kind, v, ok := strings.Cut(arg, ":")
	if !ok {
		kind, v = "person", arg
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || kind != "person" && kind != "record" {
		return 0, usagef("PERSON %q is not person:ID, record:ID or an id", arg)
	}
	if kind == "record" {
		return n, nil
	}
	p, err := ps.FindPersonByID(ctx, n)
	if err != nil {
		return 0, err
	}
	if len(p.Records) == 0 {
		return 0, paradero.Errorf(paradero.ENOTFOUND, "person %d holds no record now", n)
	}
	return p.Records[0], nil
}

// printCase writes a case for people to read.
func printCase(w io.Writer, s caseStore, ctx context.Context, x *paradero.Case, changes []*paradero.Change) error {
	fmt.Fprintf(w, "case %d: %s\n  kind %s, status %s", x.ID, x.Title, x.Kind, x.Status)
	if x.Court != "" {
		fmt.Fprintf(w, ", %s", x.Court)
	}
	if x.Number != "" {
		fmt.Fprintf(w, ", %s", x.Number)
	}
	if !x.Opened.IsZero() {
		fmt.Fprintf(w, ", opened %s", x.Opened)
	}
	if !x.Closed.IsZero() {
		fmt.Fprintf(w, ", closed %s", x.Closed)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "people (%d):\n", len(x.People))
	for _, p := range x.People {
		now := "not linked yet"
		if q, err := s.FindPersonOfRecord(ctx, p.RecordID); err == nil {
			now = "person " + strconv.FormatInt(q.ID, 10)
		} else if paradero.ErrorCode(err) != paradero.ENOTFOUND {
			return err
		}
		fmt.Fprintf(w, "  record %d: %s (linked %s by %s)\n", p.RecordID, now, p.AddedAt.Format("2006-01-02"), p.AddedBy)
	}
	fmt.Fprintf(w, "lawyers (%d):", len(x.Lawyers))
	for _, l := range x.Lawyers {
		fmt.Fprintf(w, " user %d", l.UserID)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "hearings and deadlines (%d):\n", len(x.Deadlines))
	for _, d := range x.Deadlines {
		fmt.Fprintf(w, "  %s %s %s: %s [%s]", d.Due, d.Time, d.Kind, d.What, d.Status)
		if !d.RemindOn.IsZero() {
			fmt.Fprintf(w, " remind %s", d.RemindOn)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "court orders (%d):\n", len(x.Orders))
	for _, o := range x.Orders {
		fmt.Fprintf(w, "  %s %s: obeyed %s", o.Date, o.Kind, o.Obeyed)
		if o.ObeyedSource != 0 {
			fmt.Fprintf(w, " (source %d)", o.ObeyedSource)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "documents (%d):", len(x.Documents))
	for _, d := range x.Documents {
		fmt.Fprintf(w, " source %d", d.SourceID)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "history (%d):\n", len(changes))
	for _, c := range changes {
		fmt.Fprintf(w, "  %s %s %s %s %s\n", c.At.Format(time.RFC3339), c.Actor, c.Action, c.Object, c.Fields)
	}
	return nil
}

// reminder is a hearing or deadline whose reminder is due, with the
// lawyers to remind (by id: the command line names no one).
type reminder struct {
	Deadline *paradero.Deadline
	Case     int64
	Lawyers  []int64
}

func (c *caseCommand) reminders(ctx context.Context, s caseStore, on paradero.PartialDate, mark, asJSON bool) error {
	ds, err := s.FindDeadlines(ctx, paradero.DeadlineFilter{RemindBy: on, Limit: 10000})
	if err != nil {
		return err
	}
	var out []reminder
	for _, d := range ds {
		x, err := s.FindCaseByID(ctx, d.CaseID)
		if err != nil {
			return err
		}
		r := reminder{Deadline: d, Case: x.ID}
		for _, l := range x.Lawyers {
			r.Lawyers = append(r.Lawyers, l.UserID)
		}
		out = append(out, r)
		if mark {
			if err := s.MarkReminded(ctx, d.ID, time.Now()); err != nil {
				return err
			}
		}
	}
	if asJSON {
		return writeJSON(c.g.stdout, out)
	}
	w := tabwriter.NewWriter(c.g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CASE\tDEADLINE\tDATE\tKIND\tLAWYERS\tWHAT")
	for _, r := range out {
		ls := make([]string, len(r.Lawyers))
		for i, l := range r.Lawyers {
			ls[i] = "user:" + strconv.FormatInt(l, 10)
		}
		fmt.Fprintf(w, "%d\t%d\t%s %s\t%s\t%s\t%s\n", r.Case, r.Deadline.ID, r.Deadline.Due, r.Deadline.Time, r.Deadline.Kind,
			strings.Join(ls, ","), r.Deadline.What)
	}
	return w.Flush()
}

// demoCases gives the demo's lawyer two cases and the documenters a third,
// with hearings, deadlines (one reminder due today), court orders and
// violations, from the synthetic world's court filings, unless the store
// has cases already. Every name in them is synthetic.
func demoCases(ctx context.Context, st paradero.Store, users accessStore, out io.Writer) error {
	cs, ok := st.(caseStore)
	vs, okV := st.(paradero.ViolationService)
	if !ok || !okV {
		return nil
	}
	if _, n, err := cs.FindCases(ctx, paradero.CaseFilter{Limit: 1}); err != nil || n > 0 {
		return err
	}
	lawyer, err := users.FindUserByEmail(ctx, string(paradero.RoleLawyer)+"@demo.example")
	if err != nil {
		return err
	}
	sources := map[string]*paradero.Source{}
	all, _, err := st.FindSources(ctx, paradero.SourceFilter{Limit: 1000})
	if err != nil {
		return err
	}
	for _, s := range all {
		for _, key := range []string{"Supreme Court of El Salvador", "US district court", "Leaked government list", "Passenger list"} {
			if strings.Contains(s.Title, key) && sources[key] == nil {
				sources[key] = s
			}
		}
	}
	us, sv, leak := sources["US district court"], sources["Supreme Court of El Salvador"], sources["Leaked government list"]
	if us == nil || sv == nil || leak == nil {
		return nil // a world without these lists: no demo cases
	}
	first := func(src *paradero.Source, n int) ([]int64, error) {
		recs, _, err := st.FindRecords(ctx, paradero.RecordFilter{SourceID: src.ID, Limit: n})
		if err != nil {
			return nil, err
		}
		var ids []int64
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		return ids, nil
	}
	usPeople, err := first(us, 6)
	if err != nil {
		return err
	}
	svPeople, err := first(sv, 3)
	if err != nil {
		return err
	}
	if len(usPeople) < 6 || len(svPeople) == 0 {
		return nil
	}
	// The documenters' violation is against someone of the leaked list
	// who is none of the lawyer's people (linkage may have found the
	// petitioners on that list too).
	personOf := func(rec int64) (int64, error) {
		p, err := cs.FindPersonOfRecord(ctx, rec)
		if paradero.ErrorCode(err) == paradero.ENOTFOUND {
			return -rec, nil // a record not linked yet is its own person
		}
		if err != nil {
			return 0, err
		}
		return p.ID, nil
	}
	lawyers := map[int64]bool{}
	for _, r := range append(slices.Clone(usPeople[:5]), svPeople...) {
		p, err := personOf(r)
		if err != nil {
			return err
		}
		lawyers[p] = true
	}
	candidates, err := first(leak, 100)
	if err != nil {
		return err
	}
	var leaked []int64
	for _, r := range candidates {
		p, err := personOf(r)
		if err != nil {
			return err
		}
		if !lawyers[p] {
			leaked = []int64{r}
			break
		}
	}
	if len(leaked) == 0 {
		return nil
	}
	today := time.Now().UTC()
	day := func(n int) paradero.PartialDate {
		t := today.AddDate(0, 0, n)
		return paradero.PartialDate{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}
	}
	people := func(ids []int64) []paradero.CasePerson {
		var out []paradero.CasePerson
		for _, id := range ids {
			if !slices.ContainsFunc(out, func(p paradero.CasePerson) bool { return p.RecordID == id }) {
				out = append(out, paradero.CasePerson{RecordID: id})
			}
		}
		return out
	}
	habeasUS := &paradero.Case{Kind: paradero.CaseHabeas, Title: "Habeas: petitioners flown to CECOT (synthetic)",
		Court: "US District Court for the District of Columbia", Number: "1:25-cv-90001 (synthetic)", Status: paradero.CaseOpen,
		Opened: paradero.PartialDate{Year: 2025, Month: 3, Day: 15}, People: people(usPeople[:5]),
		Lawyers: []paradero.CaseLawyer{{UserID: lawyer.ID}},
		Notes:   "Synthetic demo case. Petitioners removed hours after the order below."}
	habeasSV := &paradero.Case{Kind: paradero.CaseHabeas, Title: "Hábeas corpus ante la Sala de lo Constitucional (sintético)",
		Court: "Sala de lo Constitucional, Corte Suprema de Justicia de El Salvador", Number: "HC 000-2025 (sintético)",
		Status: paradero.CaseOpen, Opened: paradero.PartialDate{Year: 2025, Month: 4}, People: people(svPeople),
		Lawyers: []paradero.CaseLawyer{{UserID: lawyer.ID}}}
	removal := &paradero.Case{Kind: paradero.CaseRemoval, Title: "Removal proceedings (synthetic)", Court: "Immigration court",
		Status: paradero.CaseClosed, Opened: paradero.PartialDate{Year: 2025, Month: 1}, Closed: paradero.PartialDate{Year: 2025, Month: 3},
		People: people(usPeople[5:6])}
	for _, x := range []*paradero.Case{habeasUS, habeasSV, removal} {
		if err := cs.CreateCase(ctx, x); err != nil {
			return fmt.Errorf("demo case: %w", err)
		}
	}
	for _, d := range []*paradero.Deadline{
		{CaseID: habeasUS.ID, Kind: paradero.DeadlineHearing, Due: day(5), Time: "10:00", What: "Status hearing on compliance with the order not to remove",
			Status: paradero.DeadlinePending, RemindOn: day(-2)},
		{CaseID: habeasUS.ID, Kind: paradero.DeadlineDeadline, Due: day(12), What: "Reply to the government's declaration",
			Status: paradero.DeadlinePending, RemindOn: day(5)},
		{CaseID: habeasSV.ID, Kind: paradero.DeadlineDeadline, Due: day(20), What: "Escrito solicitando informe sobre el paradero",
			Status: paradero.DeadlinePending, RemindOn: day(13)},
	} {
		if err := cs.CreateDeadline(ctx, d); err != nil {
			return err
		}
	}
	for _, o := range []*paradero.CourtOrder{
		{CaseID: habeasUS.ID, Date: paradero.PartialDate{Year: 2025, Month: 3, Day: 15}, Kind: paradero.OrderNotToRemove,
			Text:   "Respondents shall not remove the petitioners from the United States pending further order.",
			Obeyed: paradero.ComplianceDisobeyed, ObeyedSource: leak.ID, ObeyedNote: "Named on the list of those removed on 15 March"},
		{CaseID: habeasSV.ID, Date: paradero.PartialDate{Year: 2025, Month: 5}, Kind: paradero.OrderDisclose,
			Text: "Se ordena a las autoridades informar el lugar de detención y el estado de los beneficiarios.", Obeyed: paradero.ComplianceUnknown},
	} {
		if err := cs.CreateCourtOrder(ctx, o); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		c   *paradero.Case
		src *paradero.Source
	}{{habeasUS, us}, {habeasSV, sv}} {
		if err := cs.AddCaseDocument(ctx, d.c.ID, &paradero.CaseDocument{SourceID: d.src.ID, Note: "The petition"}); err != nil {
			return err
		}
	}
	victims := func(ids []int64) []paradero.Victim {
		var out []paradero.Victim
		for _, p := range people(ids) {
			out = append(out, paradero.Victim{RecordID: p.RecordID})
		}
		return out
	}
	var last int64
	for _, v := range []*paradero.Violation{
		{Type: paradero.ViolationRemovalDespiteOrder, Date: paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 15}},
			Place: "Harlingen, Texas", Perpetrator: "ICE", Group: "Petitioners removed on 15 March 2025", Victims: victims(usPeople[:5]),
			Sources: []paradero.Citation{{SourceID: leak.ID}, {SourceID: us.ID}}, CaseID: habeasUS.ID},
		{Type: paradero.ViolationIncommunicado, Date: paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 16},
			To: paradero.PartialDate{Year: 2025, Month: 7, Day: 18}}, Place: "CECOT, Tecoluca", Perpetrator: "Dirección General de Centros Penales",
			Victims: victims(svPeople), Sources: []paradero.Citation{{SourceID: sv.ID}}, CaseID: habeasSV.ID},
		{Type: paradero.ViolationEnforcedDisappearance, Date: paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 16}},
			Place: "El Salvador", Perpetrator: "Dirección General de Centros Penales", Victims: victims(leaked),
			Sources: []paradero.Citation{{RecordID: leaked[0]}}},
	} {
		if err := vs.CreateViolation(ctx, v); err != nil {
			return err
		}
		last = v.ID
	}
	fmt.Fprintf(out, "\nThe lawyer has cases %d and %d (a reminder is due today); case %d and violation %d are for the documenters only.\n"+
		"El abogado tiene los casos %d y %d (hay un recordatorio para hoy); el caso %d y la violación %d son solo para documentación.\n",
		habeasUS.ID, habeasSV.ID, removal.ID, last, habeasUS.ID, habeasSV.ID, removal.ID, last)
	return nil
}
