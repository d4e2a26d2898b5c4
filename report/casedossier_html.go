package report

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/timeline"
)

//go:embed templates/casedossier.html
var caseTemplateFS embed.FS

// caseView is what the case dossier's layouts (HTML and PDF) show, worked
// out once from the dossier: words looked up, names picked, dates written.
type caseView struct {
	L          *labels
	CL         *caseLabels
	Facts      [][2]string
	People     []casePersonView
	Deadlines  [][]string // date, kind, what, status, reminder
	Orders     [][]string // date, kind, text, obeyed, shown by, note
	Documents  [][]string // source, title, note
	Violations []violationView
	Sources    []SourceProof
	Generated  string
	TreeSize   string
}

type casePersonView struct {
	N         int
	Anchor    int64
	PersonID  int64
	LinkedAs  int64 // when it differs from PersonID
	Name      string
	Status    string
	Last      string
	Flag      string
	D         *Dossier
	Identity  []identityRow
	Events    [][]string // date, event, where, evidence
	Facts     [][]string // date, kind, detail, court, evidence
	Proofs    []proofView
	Redacted  bool
	Timeline  *timeline.Timeline
	ChartHTML template.HTML
}

type violationView struct {
	ID                                    int64
	Type, Date, Place, Perpetrator, Group string
	Victims                               string
	Sources                               string
	Notes                                 string
}

// displayName is a person's name as their first record that gives one
// wrote it, or "" if none does (all redacted).
func displayName(d *Dossier) string {
	for _, r := range d.Records {
		if n := r.Record.DisplayName(); n != "" {
			return n
		}
	}
	return ""
}

func (d *CaseDossier) view() *caseView {
	l, cl := labelsFor(d.Lang), caseLabelsFor(d.Lang)
	c := d.Case
	v := &caseView{L: l, CL: cl, Sources: d.Sources, Generated: d.Generated.UTC().Format("2006-01-02 15:04 UTC")}
	for _, s := range d.Sources {
		if s.Proof != nil {
			v.TreeSize = strconv.FormatInt(s.Proof.TreeSize, 10)
		}
	}
	kind := func(m map[paradero.CaseKind]string, k paradero.CaseKind) string { return orRaw(m[k], string(k)) }
	v.Facts = [][2]string{
		{cl.Case, strconv.FormatInt(c.ID, 10) + " — " + c.Title},
		{cl.Kind, kind(cl.CaseKinds, c.Kind)},
		{cl.Court, c.Court}, {cl.Number, c.Number},
		{cl.Status, orRaw(cl.CaseStatuses[c.Status], string(c.Status))},
		{cl.Opened, c.Opened.String()}, {cl.Closed, c.Closed.String()},
		{cl.Lawyers, strconv.Itoa(len(c.Lawyers))},
	}
	if c.Notes != "" {
		v.Facts = append(v.Facts, [2]string{cl.Notes, c.Notes})
	}
	for _, dl := range c.Deadlines {
		date := dl.Due.String()
		if dl.Time != "" {
			date += " " + dl.Time
		}
		v.Deadlines = append(v.Deadlines, []string{date, orRaw(cl.DeadlineKinds[dl.Kind], string(dl.Kind)), dl.What,
			orRaw(cl.DeadlineStatuses[dl.Status], string(dl.Status)), dl.RemindOn.String()})
	}
	for _, o := range c.Orders {
		shown := ""
		if o.ObeyedSource != 0 {
			shown = strings.ToLower(l.Source) + " " + strconv.FormatInt(o.ObeyedSource, 10)
			if s := d.source(o.ObeyedSource); s != nil {
				shown += " — " + s.Title
			}
		}
		v.Orders = append(v.Orders, []string{o.Date.String(), orRaw(cl.OrderKinds[o.Kind], string(o.Kind)), o.Text,
			orRaw(cl.Compliances[o.Obeyed], string(o.Obeyed)), shown, o.ObeyedNote})
	}
	for _, doc := range c.Documents {
		title := ""
		if s := d.source(doc.SourceID); s != nil {
			title = s.Title + " (" + string(s.Kind) + ")"
		}
		v.Documents = append(v.Documents, []string{strconv.FormatInt(doc.SourceID, 10), title, doc.Note})
	}
	for i, p := range d.People {
		pd := p.Dossier
		pv := casePersonView{N: i + 1, Anchor: p.Anchor, PersonID: pd.PersonID, Name: displayName(pd), D: pd,
			Identity: pd.identity(l), Timeline: pd.Timeline}
		if p.LinkedAs != 0 && p.LinkedAs != pd.PersonID {
			pv.LinkedAs = p.LinkedAs
		}
		pv.Status = orRaw(l.Statuses[pd.Timeline.Status], string(pd.Timeline.Status))
		if e := pd.Timeline.LastConfirmed; e != nil {
			pv.Last = e.Date.String() + " · " + l.Events[e.Kind] + " · " + where(e)
		}
		if f := pd.Timeline.Flag; f != nil {
			pv.Flag = l.FlagReason(f)
		}
		for _, e := range pd.Timeline.Events {
			date := e.Date.String()
			if e.DateFromSource {
				date += " (" + l.DateFromSource + ")"
			}
			pv.Events = append(pv.Events, []string{date, l.Events[e.Kind], where(&e), pd.evidenceText(l, e.Evidence)})
		}
		for _, f := range pd.Timeline.Facts {
			pv.Facts = append(pv.Facts, []string{f.Date.String(), l.FactKinds[f.Kind], f.Detail, f.Court, pd.evidenceText(l, f.Evidence)})
		}
		for _, r := range pd.Records {
			pv.Redacted = pv.Redacted || r.Record.Redaction != nil
		}
		v.People = append(v.People, pv)
	}
	for _, x := range d.Violations {
		vv := violationView{ID: x.ID, Type: orRaw(cl.ViolationTypes[x.Type], string(x.Type)), Date: x.Date.String(),
			Place: x.Place, Perpetrator: x.Perpetrator, Group: x.Group, Notes: x.Notes}
		var names []string
		others := 0
		for _, vic := range x.Victims {
			if i := d.inCase(vic.RecordID); i >= 0 {
				name := v.People[i].Name
				if name == "" {
					name = l.Redacted
				}
				names = append(names, cl.Person+" "+strconv.Itoa(i+1)+" ("+name+")")
			} else {
				others++
			}
		}
		if others > 0 {
			names = append(names, strconv.Itoa(others)+" "+cl.OthersNote)
		}
		vv.Victims = strings.Join(names, "; ")
		vv.Sources = citationsText(l, cl, x.Sources)
		v.Violations = append(v.Violations, vv)
	}
	return v
}

func orRaw(word, raw string) string {
	if word == "" {
		return raw
	}
	return word
}

// WriteHTML writes the case dossier as one self-contained HTML page:
// embedded CSS, each person's timeline chart as inline SVG, no script.
// Every proof is in a <pre class="proof-json"> exactly as `paradero
// prove` writes it, with data-record or data-source naming its entry.
func (d *CaseDossier) WriteHTML(w io.Writer) error {
	v := d.view()
	for i := range v.People {
		p := &v.People[i]
		// Built here from escaped text only (svg.go).
		p.ChartHTML = template.HTML(TimelineSVG(p.Timeline, d.Lang, 900))
		for _, r := range p.D.Records {
			if r.Proof == nil {
				continue
			}
			b, err := json.MarshalIndent(r.Proof, "", "  ")
			if err != nil {
				return err
			}
			p.Proofs = append(p.Proofs, proofView{RecordID: r.Record.ID, Proof: r.Proof, JSON: string(b)})
		}
	}
	type sourceProofView struct {
		SourceProof
		JSON string
	}
	var sps []sourceProofView
	for _, s := range d.Sources {
		if s.Proof == nil {
			continue
		}
		b, err := json.MarshalIndent(s.Proof, "", "  ")
		if err != nil {
			return err
		}
		sps = append(sps, sourceProofView{SourceProof: s, JSON: string(b)})
	}
	t, err := template.New("casedossier.html").ParseFS(caseTemplateFS, "templates/casedossier.html")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, map[string]any{"V": v, "D": d, "L": v.L, "CL": v.CL, "SourceProofs": sps}); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// violationViews words the violations recorded against a person for
// their dossier: the victims are this person and, for a group, how many
// others, never who.
func (d *Dossier) violationViews(cl *caseLabels) []violationView {
	l := labelsFor(d.Lang)
	var out []violationView
	for _, x := range d.Violations {
		vv := violationView{ID: x.ID, Type: orRaw(cl.ViolationTypes[x.Type], string(x.Type)), Date: x.Date.String(),
			Place: x.Place, Perpetrator: x.Perpetrator, Group: x.Group, Notes: x.Notes, Victims: l.Person + " " + strconv.FormatInt(d.PersonID, 10)}
		if n := len(x.Victims) - 1; n > 0 {
			vv.Victims += "; " + strconv.Itoa(n) + " " + cl.OthersNote
		}
		vv.Sources = citationsText(l, cl, x.Sources)
		out = append(out, vv)
	}
	return out
}

// citationsText says which sources a violation cites.
func citationsText(l *labels, cl *caseLabels, cs []paradero.Citation) string {
	var parts []string
	for _, ci := range cs {
		s := strings.ToLower(l.Source) + " " + strconv.FormatInt(ci.SourceID, 10)
		if ci.RecordID != 0 {
			s += ", " + strings.ToLower(l.Record) + " " + strconv.FormatInt(ci.RecordID, 10)
		} else {
			s += " (" + cl.Whole + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
