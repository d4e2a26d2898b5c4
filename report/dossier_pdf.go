package report

import (
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/paradero/paradero"
	"github.com/signintech/gopdf"
)

// The PDF embeds (subsets of) DejaVu Sans, from Debian's fonts-dejavu-core:
// its licence (fonts/LICENSE-DejaVu, Bitstream Vera's, DejaVu changes in the
// public domain) allows embedding and redistribution, and it covers every
// Spanish letter and the symbols the dossier uses.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
)

const (
	pageW, pageH = 595.28, 841.89 // A4 in points
	margin       = 42.0
	textW        = pageW - 2*margin
)

// pdfDoc lays out text top to bottom, breaking pages.
type pdfDoc struct {
	p     *gopdf.GoPdf
	y     float64
	page  int
	title string
	err   error
}

func (d *pdfDoc) setErr(err error) {
	if d.err == nil && err != nil {
		d.err = err
	}
}

func (d *pdfDoc) font(bold bool, size float64) {
	family := "sans"
	if bold {
		family = "sans-bold"
	}
	d.setErr(d.p.SetFont(family, "", size))
}

func (d *pdfDoc) newPage() {
	d.p.AddPage()
	d.page++
	d.font(false, 7.5)
	d.p.SetTextColor(110, 110, 110)
	d.p.SetXY(margin, pageH-margin+14)
	d.setErr(d.p.Text(d.title + " — " + strconv.Itoa(d.page)))
	d.p.SetTextColor(0, 0, 0)
	d.y = margin
}

// need starts a new page unless h points fit above the bottom margin.
func (d *pdfDoc) need(h float64) {
	if d.y+h > pageH-margin {
		d.newPage()
	}
}

// wrap splits s into lines no wider than w in the current font.
func (d *pdfDoc) wrap(s string, w float64) []string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if strings.TrimSpace(line) == "" {
			out = append(out, "")
			continue
		}
		ls, err := d.p.SplitTextWithWordWrap(line, w)
		d.setErr(err)
		for _, l := range ls {
			out = append(out, strings.TrimLeft(l, " "))
		}
	}
	return out
}

// para writes s wrapped to the text width at x offset indent.
func (d *pdfDoc) para(s string, size float64, bold bool, indent float64) {
	d.font(bold, size)
	lh := size * 1.35
	for _, l := range d.wrap(s, textW-indent) {
		if d.y+lh > pageH-margin {
			d.newPage()
			d.font(bold, size) // the footer left its own
		}
		d.p.SetXY(margin+indent, d.y)
		if l != "" {
			d.setErr(d.p.Cell(nil, l))
		}
		d.y += lh
	}
}

func (d *pdfDoc) heading(s string) {
	d.need(40)
	d.y += 10
	d.para(s, 12.5, true, 0)
	d.p.SetStrokeColor(59, 91, 146)
	d.p.SetLineWidth(1.2)
	d.p.Line(margin, d.y, pageW-margin, d.y)
	d.p.SetLineWidth(0.5)
	d.p.SetStrokeColor(0, 0, 0)
	d.y += 5
}

// table writes rows with column widths ws, wrapping cells; the first row is
// a header when head is set. Rows never split across pages unless taller
// than a page.
func (d *pdfDoc) table(ws []float64, rows [][]string, head bool, size float64) {
	lh := size * 1.3
	for ri, row := range rows {
		bold := head && ri == 0
		d.font(bold, size)
		cells := make([][]string, len(row))
		n := 1
		for i, c := range row {
			cells[i] = d.wrap(c, ws[i]-6)
			n = max(n, len(cells[i]))
		}
		h := float64(n)*lh + 4
		if d.y+min(h, pageH-2*margin-20) > pageH-margin {
			d.newPage()
			d.font(bold, size) // the footer left its own
		}
		x := margin
		for i := range row {
			if bold {
				d.p.SetFillColor(238, 241, 246)
				d.p.RectFromUpperLeftWithStyle(x, d.y, ws[i], h, "FD")
			} else {
				d.p.RectFromUpperLeftWithStyle(x, d.y, ws[i], h, "D")
			}
			for li, l := range cells[i] {
				if l == "" {
					continue
				}
				d.p.SetXY(x+3, d.y+2+float64(li)*lh)
				d.setErr(d.p.Cell(nil, l))
			}
			x += ws[i]
		}
		d.y += h
	}
	d.y += 6
}

func hexColor(s string) (uint8, uint8, uint8) {
	v, _ := strconv.ParseUint(strings.TrimPrefix(s, "#"), 16, 32)
	return uint8(v >> 16), uint8(v >> 8), uint8(v)
}

// chart draws the timeline chart from the same layout as TimelineSVG.
func (d *pdfDoc) chart(dos *Dossier) {
	c := layoutTimeline(dos.Timeline, dos.Lang, 900)
	scale := textW / c.W
	d.need(c.H*scale + 10)
	x0, y0 := margin, d.y
	X := func(x float64) float64 { return x0 + x*scale }
	Y := func(y float64) float64 { return y0 + y*scale }
	d.font(false, 6.5)
	d.p.SetLineWidth(0.4)
	for i, name := range c.LaneNames {
		d.p.SetStrokeColor(220, 220, 220)
		d.p.Line(X(c.Left), Y(c.LaneY[i]), X(c.W-16), Y(c.LaneY[i]))
		d.p.SetTextColor(hexColor(laneColors[i]))
		w, _ := d.p.MeasureTextWidth(name)
		d.p.SetXY(X(c.Left)-6-w, Y(c.LaneY[i])-4)
		d.setErr(d.p.Cell(nil, name))
	}
	d.p.SetTextColor(80, 80, 80)
	for _, t := range c.Ticks {
		d.p.SetStrokeColor(235, 235, 235)
		d.p.Line(X(t.X), Y(c.Top), X(t.X), Y(c.AxisBottom))
		d.p.SetXY(X(t.X)-10, Y(c.AxisBottom)+3)
		d.setErr(d.p.Cell(nil, t.Label))
	}
	d.p.SetStrokeColor(136, 136, 136)
	d.p.Line(X(c.Left), Y(c.AxisBottom), X(c.W-16), Y(c.AxisBottom))
	d.p.SetStrokeColor(154, 167, 189)
	d.p.SetLineWidth(1)
	for i := 1; i < len(c.Marks); i++ {
		a, b := c.Marks[i-1], c.Marks[i]
		d.p.Line(X(a.X), Y(a.Y), X(b.X), Y(b.Y))
	}
	if c.FlagX > 0 {
		d.p.SetStrokeColor(164, 38, 44)
		d.p.SetLineWidth(1.2)
		d.p.Line(X(c.FlagX), Y(c.Top), X(c.FlagX), Y(c.AxisBottom))
		d.p.SetTextColor(164, 38, 44)
		x := X(c.FlagX) + 3
		if c.FlagX > c.W-160 {
			w, _ := d.p.MeasureTextWidth(c.FlagLabel)
			x = X(c.FlagX) - 3 - w
		}
		d.p.SetXY(x, Y(c.Top))
		d.setErr(d.p.Cell(nil, c.FlagLabel))
	}
	r := 4 * scale
	for _, m := range c.Marks {
		d.p.SetFillColor(hexColor(laneColors[m.Lane]))
		d.p.SetStrokeColor(hexColor(laneColors[m.Lane]))
		d.p.Oval(X(m.X)-r, Y(m.Y)-r, X(m.X)+r, Y(m.Y)+r)
	}
	d.p.SetTextColor(0, 0, 0)
	d.p.SetStrokeColor(0, 0, 0)
	d.p.SetLineWidth(0.5)
	d.y += c.H*scale + 8
}

// WritePDF writes the dossier as an A4 PDF with the same sections as the
// HTML, the timeline chart drawn in vector, and the fonts embedded.
func (dos *Dossier) WritePDF(w io.Writer) error {
	l := labelsFor(dos.Lang)
	p := &gopdf.GoPdf{}
	p.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	p.SetInfo(gopdf.PdfInfo{Title: fmt.Sprintf("%s — %s %d", l.Title, l.Person, dos.PersonID), Creator: "Paradero", Producer: "Paradero",
		CreationDate: dos.Generated})
	if err := p.AddTTFFontData("sans", fontRegular); err != nil {
		return err
	}
	if err := p.AddTTFFontData("sans-bold", fontBold); err != nil {
		return err
	}
	d := &pdfDoc{p: p, title: fmt.Sprintf("Paradero · %s · %s %d", l.Title, l.Person, dos.PersonID)}
	d.newPage()
	d.para(fmt.Sprintf("%s — %s %d", l.Title, l.Person, dos.PersonID), 18, true, 0)
	d.para(fmt.Sprintf("%s: %s", l.Generated, dos.Generated.UTC().Format("2006-01-02 15:04 UTC")), 9, false, 0)

	// Summary.
	d.heading(l.Summary)
	status := l.Statuses[dos.Timeline.Status]
	if status == "" {
		status = string(dos.Timeline.Status)
	}
	rows := [][]string{{l.Status, status}}
	if e := dos.Timeline.LastConfirmed; e != nil {
		rows = append(rows, []string{l.LastConfirmed, e.Date.String() + " · " + l.Events[e.Kind] + " · " + where(e)})
	}
	rows = append(rows, []string{l.Records, strconv.Itoa(len(dos.Records))}, []string{l.Sources, strconv.Itoa(len(dos.Sources))})
	d.table([]float64{150, textW - 150}, rows, false, 9)
	if f := dos.Timeline.Flag; f != nil {
		d.p.SetTextColor(164, 38, 44)
		d.para(l.Flag, 11, true, 0)
		d.p.SetTextColor(0, 0, 0)
		d.para(l.FlagNote, 8.5, false, 0)
		d.para(l.FlagReason(f), 9, false, 8)
		for _, o := range f.Orders {
			d.para("• "+l.Orders+": "+o.Detail+" "+o.Court+" "+o.Date.String(), 9, false, 8)
		}
	}

	// Identity, side by side, up to three records a band.
	d.heading(l.Identity)
	d.para(l.IdentityNote, 8.5, false, 0)
	ident := dos.identity(l)
	for start := 0; start < len(dos.Records); start += 3 {
		end := min(start+3, len(dos.Records))
		n := end - start
		ws := []float64{100}
		for range n {
			ws = append(ws, (textW-100)/float64(n))
		}
		head := []string{l.Field}
		for _, r := range dos.Records[start:end] {
			head = append(head, fmt.Sprintf("%s %d\n%s %d · %s · %s %d", l.Record, r.Record.ID, l.Source, r.Record.SourceID, r.Source.Kind, l.Row, r.Record.Row))
		}
		rows := [][]string{head}
		for _, row := range ident {
			rows = append(rows, append([]string{row.Label}, row.Values[start:end]...))
		}
		red := []string{l.Redacted}
		anyRed := false
		for _, r := range dos.Records[start:end] {
			v := ""
			if r.Record.Redaction != nil {
				v, anyRed = l.RedactedNote, true
			}
			red = append(red, v)
		}
		if anyRed {
			rows = append(rows, red)
		}
		d.table(ws, rows, true, 8.5)
	}

	// Timeline.
	d.heading(l.Timeline)
	d.para(l.TimelineNote, 8.5, false, 0)
	d.chart(dos)
	rows = [][]string{{l.Date, l.Event, l.Where, l.Evidence}}
	for _, e := range dos.Timeline.Events {
		date := e.Date.String()
		if e.DateFromSource {
			date += "\n(" + l.DateFromSource + ")"
		}
		rows = append(rows, []string{date, l.Events[e.Kind], where(&e), dos.evidenceText(l, e.Evidence)})
	}
	d.table([]float64{80, 90, 160, textW - 330}, rows, true, 8)
	if len(dos.Timeline.Undated) > 0 {
		d.para(l.Undated, 10, true, 0)
		for _, e := range dos.Timeline.Undated {
			d.para("• "+l.Events[e.Kind]+" · "+where(&e)+" — "+dos.evidenceText(l, e.Evidence), 8.5, false, 6)
		}
	}
	if len(dos.Timeline.Conflicts) > 0 {
		d.para(l.Conflicts, 10, true, 0)
		for _, c := range dos.Timeline.Conflicts {
			d.para("• "+c.Reason, 8.5, false, 6)
		}
	}
	if len(dos.Timeline.Unclassified) > 0 {
		d.para(l.Unclassified, 10, true, 0)
		for _, e := range dos.Timeline.Unclassified {
			d.para("• “"+e.Status+"” — "+dos.evidenceText(l, []paradero.Evidence{e}), 8.5, false, 6)
		}
	}

	// Due process.
	d.heading(l.Facts)
	if len(dos.Timeline.Facts) == 0 {
		d.para(l.FactsNone, 9, false, 0)
	} else {
		rows = [][]string{{l.Date, l.Event, l.Detail, l.Court, l.Evidence}}
		for _, f := range dos.Timeline.Facts {
			rows = append(rows, []string{f.Date.String(), l.FactKinds[f.Kind], f.Detail, f.Court, dos.evidenceText(l, f.Evidence)})
		}
		d.table([]float64{70, 90, 120, 90, textW - 370}, rows, true, 8)
	}

	// Violations recorded against the person.
	if vs := dos.violationViews(caseLabelsFor(dos.Lang)); len(vs) > 0 {
		cl := caseLabelsFor(dos.Lang)
		d.heading(cl.Violations)
		rows = [][]string{{cl.Type, cl.Date, cl.Place, cl.Perpetrator, cl.Victims, cl.Cited}}
		for _, v := range vs {
			what := v.Type
			if v.Notes != "" {
				what += "\n" + v.Notes
			}
			rows = append(rows, []string{what, v.Date, v.Place, v.Perpetrator, strings.TrimSpace(v.Group + "\n" + v.Victims), v.Sources})
		}
		d.table([]float64{95, 55, 70, 80, textW - 390, 90}, rows, true, 8)
	}

	// Sources.
	d.heading(l.Sources)
	rows = [][]string{{l.Source, l.SourceTitle, l.Published, l.SHA256}}
	for _, s := range dos.Sources {
		rows = append(rows, []string{strconv.FormatInt(s.ID, 10) + "\n" + string(s.Kind), s.Title + "\n" + s.Filename, s.Published.String(), s.SHA256.String()})
	}
	d.table([]float64{70, 150, 60, textW - 280}, rows, true, 8)

	// Proofs.
	d.heading(l.Proofs)
	d.para(l.ProofsNote, 9, false, 0)
	d.para(l.Checkpoint, 10, true, 0)
	d.para(dos.Checkpoint, 8, false, 6)
	for _, r := range dos.Records {
		if r.Proof == nil {
			continue
		}
		d.y += 6
		d.need(80)
		d.para(fmt.Sprintf("%s %d — %s %d, %s %d", l.Record, r.Record.ID, l.LedgerIndex, r.Proof.Index, l.TreeSize, r.Proof.TreeSize), 10, true, 0)
		d.para(l.Leaf+":", 8.5, false, 0)
		d.para(r.Proof.Leaf, 7.5, false, 8)
		d.para(l.Inclusion+":", 8.5, false, 0)
		d.para(strings.Join(r.Proof.Inclusion, "\n"), 7, false, 8)
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
