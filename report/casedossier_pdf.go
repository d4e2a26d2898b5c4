package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/signintech/gopdf"
)

// WritePDF writes the case dossier as an A4 PDF with the sections of the
// HTML, each person's timeline chart drawn in vector, and DejaVu Sans
// embedded (dossier_pdf.go).
func (dos *CaseDossier) WritePDF(w io.Writer) error {
	v := dos.view()
	l, cl := v.L, v.CL
	p := &gopdf.GoPdf{}
	p.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	title := fmt.Sprintf("%s — %s %d", cl.Title, cl.Case, dos.Case.ID)
	p.SetInfo(gopdf.PdfInfo{Title: title, Creator: "Paradero", Producer: "Paradero", CreationDate: dos.Generated})
	if err := p.AddTTFFontData("sans", fontRegular); err != nil {
		return err
	}
	if err := p.AddTTFFontData("sans-bold", fontBold); err != nil {
		return err
	}
	d := &pdfDoc{p: p, title: "Paradero · " + title}
	d.newPage()
	d.para(title, 18, true, 0)
	d.para(dos.Case.Title, 12, true, 0)
	d.para(l.Generated+": "+v.Generated, 9, false, 0)

	d.heading(cl.Facts)
	var rows [][]string
	for _, f := range v.Facts {
		if f[1] != "" {
			rows = append(rows, []string{f[0], f[1]})
		}
	}
	d.table([]float64{130, textW - 130}, rows, false, 9)

	d.heading(cl.People)
	d.para(cl.PeopleNote, 8.5, false, 0)
	rows = [][]string{{"#", cl.Anchor, cl.Person, cl.Name, l.Status, l.LastConfirmed}}
	for _, pv := range v.People {
		person := cl.NotLinked
		if pv.PersonID != 0 {
			person = strconv.FormatInt(pv.PersonID, 10)
		}
		if pv.LinkedAs != 0 {
			person += "\n(" + cl.LinkedAs + " " + strconv.FormatInt(pv.LinkedAs, 10) + ")"
		}
		name := pv.Name
		if name == "" {
			name = l.Redacted
		}
		status := pv.Status
		if pv.Flag != "" {
			status += "\n" + l.Flag
		}
		rows = append(rows, []string{strconv.Itoa(pv.N), strconv.FormatInt(pv.Anchor, 10), person, name, status, pv.Last})
	}
	d.table([]float64{22, 50, 70, 120, 90, textW - 352}, rows, true, 8)

	section := func(head, none string, header []string, ws []float64, body [][]string) {
		d.heading(head)
		if len(body) == 0 {
			d.para(none, 9, false, 0)
			return
		}
		d.table(ws, append([][]string{header}, body...), true, 8)
	}
	section(cl.Deadlines, cl.DeadlinesNone, []string{cl.Due, cl.Kind, cl.What, cl.Status, cl.Reminder},
		[]float64{80, 70, textW - 290, 70, 70}, v.Deadlines)
	section(cl.Orders, cl.OrdersNone, []string{cl.Date, cl.Order, l.Detail, cl.Obeyed, cl.ObeyedSource, cl.Note},
		[]float64{60, 70, textW - 380, 60, 100, 90}, v.Orders)
	section(cl.Documents, cl.DocumentsNone, []string{l.Source, l.SourceTitle, cl.Note},
		[]float64{50, textW - 200, 150}, v.Documents)
	var vrows [][]string
	for _, x := range v.Violations {
		against := x.Victims
		if x.Group != "" {
			against = x.Group + "\n" + against
		}
		what := x.Type
		if x.Notes != "" {
			what += "\n" + x.Notes
		}
		vrows = append(vrows, []string{what, x.Date, x.Place, x.Perpetrator, against, x.Sources})
	}
	section(cl.Violations, cl.ViolationsNone, []string{cl.Type, cl.Date, cl.Place, cl.Perpetrator, cl.Victims, cl.Cited},
		[]float64{95, 55, 70, 80, textW - 390, 90}, vrows)

	for _, pv := range v.People {
		d.newPage()
		head := fmt.Sprintf("%s %d", cl.PersonSection, pv.N)
		if pv.PersonID != 0 {
			head += fmt.Sprintf(" — %s %d", l.Person, pv.PersonID)
		}
		d.heading(head + fmt.Sprintf(" (%s %d)", cl.Anchor, pv.Anchor))
		rows := [][]string{{l.Status, pv.Status}}
		if pv.Last != "" {
			rows = append(rows, []string{l.LastConfirmed, pv.Last})
		}
		rows = append(rows, []string{l.Records, strconv.Itoa(len(pv.D.Records))})
		d.table([]float64{150, textW - 150}, rows, false, 9)
		if pv.Flag != "" {
			d.p.SetTextColor(164, 38, 44)
			d.para(l.Flag, 11, true, 0)
			d.p.SetTextColor(0, 0, 0)
			d.para(l.FlagNote+" "+pv.Flag, 9, false, 8)
		}
		d.para(l.Identity, 10.5, true, 0)
		recs := pv.D.Records
		for start := 0; start < len(recs); start += 3 {
			end := min(start+3, len(recs))
			ws := []float64{100}
			for range end - start {
				ws = append(ws, (textW-100)/float64(end-start))
			}
			head := []string{l.Field}
			for _, r := range recs[start:end] {
				head = append(head, fmt.Sprintf("%s %d\n%s %d · %s · %s %d", l.Record, r.Record.ID, l.Source, r.Record.SourceID, r.Source.Kind, l.Row, r.Record.Row))
			}
			rows := [][]string{head}
			for _, row := range pv.Identity {
				rows = append(rows, append([]string{row.Label}, row.Values[start:end]...))
			}
			if pv.Redacted {
				red := []string{l.Redacted}
				for _, r := range recs[start:end] {
					x := ""
					if r.Record.Redaction != nil {
						x = l.RedactedNote
					}
					red = append(red, x)
				}
				rows = append(rows, red)
			}
			d.table(ws, rows, true, 8)
		}
		d.para(l.Timeline, 10.5, true, 0)
		d.chart(pv.D)
		if len(pv.Events) > 0 {
			d.table([]float64{80, 90, 160, textW - 330}, append([][]string{{l.Date, l.Event, l.Where, l.Evidence}}, pv.Events...), true, 8)
		}
		d.para(l.Facts, 10.5, true, 0)
		if len(pv.Facts) == 0 {
			d.para(l.FactsNone, 9, false, 0)
		} else {
			d.table([]float64{70, 90, 120, 90, textW - 370}, append([][]string{{l.Date, l.Event, l.Detail, l.Court, l.Evidence}}, pv.Facts...), true, 8)
		}
	}

	d.heading(l.Sources)
	d.para(cl.SourcesNote, 8.5, false, 0)
	rows = [][]string{{l.Source, l.SourceTitle, l.Published, l.SHA256}}
	for _, s := range v.Sources {
		rows = append(rows, []string{strconv.FormatInt(s.Source.ID, 10) + "\n" + string(s.Source.Kind), s.Source.Title + "\n" + s.Source.Filename,
			s.Source.Published.String(), s.Source.SHA256.String()})
	}
	d.table([]float64{70, 150, 60, textW - 280}, rows, true, 8)

	d.heading(l.Proofs)
	d.para(l.ProofsNote, 9, false, 0)
	d.para(l.Checkpoint, 10, true, 0)
	d.para(dos.Checkpoint, 8, false, 6)
	proof := func(head, leaf string, incl []string) {
		d.y += 6
		d.need(80)
		d.para(head, 10, true, 0)
		d.para(l.Leaf+":", 8.5, false, 0)
		d.para(leaf, 7.5, false, 8)
		d.para(l.Inclusion+":", 8.5, false, 0)
		d.para(strings.Join(incl, "\n"), 7, false, 8)
	}
	for _, pv := range v.People {
		for _, r := range pv.D.Records {
			if r.Proof != nil {
				proof(fmt.Sprintf("%s %d · %s %d — %s %d, %s %d", cl.PersonSection, pv.N, l.Record, r.Record.ID, l.LedgerIndex, r.Proof.Index,
					l.TreeSize, r.Proof.TreeSize), r.Proof.Leaf, r.Proof.Inclusion)
			}
		}
	}
	d.para(cl.SourceProofs, 10.5, true, 0)
	d.para(cl.SourceProofsNote, 8.5, false, 0)
	for _, s := range v.Sources {
		if s.Proof != nil {
			proof(fmt.Sprintf("%s %d — %s %d, %s %d", l.Source, s.Source.ID, l.LedgerIndex, s.Proof.Index, l.TreeSize, s.Proof.TreeSize),
				s.Proof.Leaf, s.Proof.Inclusion)
		}
	}
	d.heading(l.Verify)
	for i, s := range l.VerifySteps {
		d.para(fmt.Sprintf("%d. %s", i+1, s), 9, false, 0)
	}
	if d.err != nil {
		return d.err
	}
	_, err := p.WriteTo(w)
	return err
}
