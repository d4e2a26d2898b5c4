package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/signintech/gopdf"
)

// WritePDF writes the aggregate report as an A4 PDF with the sections of
// the HTML — counts (by kind of source and by status), the reconciliation
// chart and table of combinations, the estimate with the models considered
// and the method's warnings, the flow and status charts, and the sources
// with their hashes — the fonts embedded. The charts are the very SVG the
// HTML inlines, drawn into the PDF as vectors (drawSVG). The output is a
// function of a alone: the same report gives the same bytes.
func (a *Aggregate) WritePDF(w io.Writer) error {
	l := labelsFor(a.Lang)
	wd := aggregateWordsFor(a.Lang)
	p := &gopdf.GoPdf{}
	p.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	p.SetInfo(gopdf.PdfInfo{Title: wd.Title, Creator: "Paradero", Producer: "Paradero", CreationDate: a.Generated})
	if err := p.AddTTFFontData("sans", fontRegular); err != nil {
		return err
	}
	if err := p.AddTTFFontData("sans-bold", fontBold); err != nil {
		return err
	}
	d := &pdfDoc{p: p, title: wd.Title}
	d.newPage()
	d.para(wd.Title, 18, true, 0)
	d.para(fmt.Sprintf("%s: %s", l.Generated, a.Generated.UTC().Format("2006-01-02 15:04 UTC")), 9, false, 0)
	if cp := a.checkpointText(l, wd); cp != "" {
		d.para(l.Checkpoint+": "+cp, 8.5, false, 0)
	}
	d.para(wd.Aggregates, 9, false, 0)
	count := strconv.Itoa

	// Counts.
	r := a.Reconciliation
	d.heading(wd.Counts)
	d.table([]float64{200, 80}, [][]string{
		{l.Sources, count(len(r.Sources))}, {l.Records, count(a.Records)}, {wd.Persons, count(len(r.Persons))},
	}, false, 9)
	d.subhead(wd.ByKind)
	rows := [][]string{{l.Kind, l.Sources, l.Records, wd.Persons}}
	for _, k := range a.KindCounts() {
		rows = append(rows, []string{string(k.Kind), count(k.Sources), count(k.Records), count(k.Persons)})
	}
	d.table([]float64{170, 80, 80, 80}, rows, true, 9)
	if len(a.ByStatus) > 0 {
		d.subhead(wd.ByStatus)
		d.para(wd.ByStatusNote, 8.5, false, 0)
		rows = [][]string{{l.Status, wd.Persons}}
		for _, s := range a.ByStatus {
			rows = append(rows, []string{firstOf(l.Statuses[s.Status], string(s.Status)), count(s.Count)})
		}
		d.table([]float64{250, 80}, rows, true, 9)
	}

	// Reconciliation.
	d.heading(wd.Reconciliation)
	note := wd.UpSetNote
	if a.Lists != nil {
		note += " " + wd.ListsNote
	}
	d.para(note, 8.5, false, 0)
	// Fewer bars than the page's chart, so that its text stays legible at
	// the PDF's width; the table below lists more.
	lr := a.lists()
	upset, err := parseSVG(lr.UpSetSVG(UpSetOptions{Title: wd.UpSetTitle, MaxBars: pdfUpSetBars}))
	if err != nil {
		return err
	}
	var rest string
	if n := len(lr.Intersections); n > pdfUpSetBars {
		persons := 0
		for _, x := range lr.Intersections[pdfUpSetBars:] {
			persons += x.Count
		}
		// UpSetSVG counts what it does not draw in English; the report
		// says it in its own language instead.
		upset.skip = fmt.Sprintf("+ %d persons in %d smaller combinations not drawn", persons, n-pdfUpSetBars)
		rest = fmt.Sprintf(wd.NotDrawn, persons, n-pdfUpSetBars)
	}
	d.drawSVG(upset)
	if rest != "" {
		d.para(rest, 8.5, false, 0)
	}
	combos, restPersons, restCombos := a.combinations()
	rows = [][]string{{wd.Combination, wd.ListCount, wd.Persons}}
	for _, c := range combos {
		rows = append(rows, []string{c.Lists, count(c.N), count(c.Count)})
	}
	if restCombos > 0 {
		rows = append(rows, []string{count(restCombos) + " " + fmt.Sprintf(wd.Others, restPersons), "", count(restPersons)})
	}
	d.need(50) // the header with a row or two
	d.table([]float64{textW - 130, 50, 80}, rows, true, 8.5)
	if u := a.Unaccounted; u != nil {
		d.para(fmt.Sprintf("%d %s %s — %s.", u.Count, wd.UnaccountedText, u.On, u.Absent), 10, true, 0)
	}

	// Estimate.
	if e := a.Estimate; e != nil {
		d.need(120)
		d.heading(wd.Estimate)
		lists := make([]string, len(e.Lists))
		for i, l := range e.Lists {
			lists[i] = count(i+1) + " " + l
		}
		rows = [][]string{
			{wd.Lists, strings.Join(lists, " · ")},
			{wd.Observed, strconv.FormatFloat(math.Round(e.Observed), 'f', 0, 64)},
			{wd.Total, e.TotalText()},
			{wd.Interval, e.LowerText() + " – " + e.UpperText()},
			{wd.Model, e.Model},
		}
		if e.Criterion != "" {
			rows = append(rows, []string{wd.Criterion, e.Criterion})
		}
		if e.Considered > 0 {
			c := count(e.Considered)
			if e.Excluded > 0 {
				c += " (" + fmt.Sprintf(wd.Excluded, e.Excluded) + ")"
			}
			rows = append(rows, []string{wd.Considered, c})
		}
		d.table([]float64{150, textW - 150}, rows, false, 9.5)
		d.subhead(wd.Method)
		d.para(e.Method, 9, false, 0)
		if len(e.Models) > 0 {
			d.subhead(fmt.Sprintf(wd.BestModels, e.Criterion))
			d.para(wd.ModelsNote, 8.5, false, 0)
			rows = [][]string{{wd.ModelColumn, wd.Params, wd.Deviance, wd.DF, "AIC", "BIC", wd.Total}}
			f2 := func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
			for _, m := range e.Models {
				rows = append(rows, []string{m.Name, count(m.Params), f2(m.Deviance), count(m.DF), f2(m.AIC), f2(m.BIC),
					strconv.FormatFloat(math.Round(m.Total), 'f', 0, 64)})
			}
			d.table([]float64{textW - 345, 65, 60, 40, 60, 60, 60}, rows, true, 8)
		}
		if len(e.Warnings) > 0 {
			d.subhead(wd.Warnings)
			for _, s := range e.Warnings {
				d.para("• "+s, 9, false, 6)
			}
		}
	}

	// Charts: drawn narrower than in the page, so that their text stays
	// legible at the PDF's width. A heading stays with its chart.
	if a.Flows != nil {
		c, err := parseSVG(a.Flows.SVG(720))
		if err != nil {
			return err
		}
		d.need(70 + c.height())
		d.heading(wd.Flows)
		d.para(wd.FlowsNote, 8.5, false, 0)
		d.drawSVG(c)
	}
	if a.Status != nil {
		c, err := parseSVG(a.Status.SVG(680))
		if err != nil {
			return err
		}
		d.need(70 + c.height())
		d.heading(wd.Status)
		d.para(wd.StatusNote, 8.5, false, 0)
		d.drawSVG(c)
	}

	// Sources.
	d.need(110) // the heading, the note and a row or two
	d.heading(l.Sources)
	d.para(wd.SourcesNote, 8.5, false, 0)
	rows = [][]string{{l.Source, l.SourceTitle, l.Published, wd.Persons, l.SHA256}}
	for i, s := range r.Sources {
		rows = append(rows, []string{count(int(s.ID)) + "\n" + string(s.Kind), s.Title, s.Published.String(), count(r.Sizes[i]), s.SHA256.String()})
	}
	d.table([]float64{75, 165, 55, 45, textW - 340}, rows, true, 7.5)
	if d.err != nil {
		return d.err
	}
	_, err = p.WriteTo(w)
	return err
}

// pdfUpSetBars is how many combinations the PDF's UpSet chart draws.
const pdfUpSetBars = 24

// subhead starts a titled part of a section, on a new page if little
// room is left for what follows it.
func (d *pdfDoc) subhead(s string) {
	d.need(60)
	d.y += 4
	d.para(s, 10.5, true, 0)
}

// scale is the factor that draws the chart at the text width, never
// enlarged, and no taller than a page.
func (c *svgChart) scale() float64 {
	s := min(1, textW/c.w)
	if avail := pageH - 2*margin - 20; c.h*s > avail {
		s = avail / c.h
	}
	return s
}

// height is how much of the page the chart takes, in points.
func (c *svgChart) height() float64 { return c.h*c.scale() + 8 }

// drawSVG draws c at the text width, starting a page if it does not fit.
func (d *pdfDoc) drawSVG(c *svgChart) {
	d.need(c.height())
	c.draw(d, margin, d.y, c.scale())
	d.y += c.height()
}

// svgChart is an SVG document of the subset svg.go writes: rect, circle,
// line, text and path (M, L, C, Z, absolute) with fill, fill-opacity,
// stroke, stroke-width, text-anchor, font-size and font-weight. Titles
// (tooltips) are dropped: a page has no hover.
type svgChart struct {
	w, h  float64
	elems []svgElem
	skip  string // a text element with this content is left out
}

type svgElem struct {
	name  string
	attrs map[string]string
	text  string
}

// parseSVG reads the chart's elements in document order.
func parseSVG(b []byte) (*svgChart, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	c := &svgChart{}
	var cur *svgElem // the open text element
	inTitle := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("report: reading a chart: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			attrs := make(map[string]string, len(t.Attr))
			for _, a := range t.Attr {
				attrs[a.Name.Local] = a.Value
			}
			switch t.Name.Local {
			case "svg":
				c.w, c.h = atof(attrs["width"]), atof(attrs["height"])
			case "title":
				inTitle++
			case "text":
				c.elems = append(c.elems, svgElem{name: "text", attrs: attrs})
				cur = &c.elems[len(c.elems)-1]
			default:
				c.elems = append(c.elems, svgElem{name: t.Name.Local, attrs: attrs})
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "title":
				inTitle--
			case "text":
				cur = nil
			}
		case xml.CharData:
			if cur != nil && inTitle == 0 {
				cur.text += string(t)
			}
		}
	}
	if c.w <= 0 || c.h <= 0 {
		return nil, errors.New("report: a chart without width or height")
	}
	return c, nil
}

func atof(s string) float64 {
	f, _ := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f
}

// colour parses "#rrggbb"; ok is false for "none" or anything else.
func colour(s string) (r, g, b uint8, ok bool) {
	if len(s) != 7 || s[0] != '#' {
		return 0, 0, 0, false
	}
	r, g, b = hexColor(s)
	return r, g, b, true
}

// draw paints the chart with its top left corner at (x0, y0), scaled.
func (c *svgChart) draw(d *pdfDoc, x0, y0, scale float64) {
	p := d.p
	X := func(v string) float64 { return x0 + atof(v)*scale }
	Y := func(v string) float64 { return y0 + atof(v)*scale }
	for _, e := range c.elems {
		a := e.attrs
		opacity := 1.0
		if v, ok := a["fill-opacity"]; ok {
			opacity = atof(v)
		}
		switch e.name {
		case "rect":
			r, g, b, ok := colour(a["fill"])
			if !ok {
				continue
			}
			p.SetFillColor(r, g, b)
			p.RectFromUpperLeftWithStyle(X(a["x"]), Y(a["y"]), atof(a["width"])*scale, atof(a["height"])*scale, "F")
		case "circle":
			r, g, b, ok := colour(a["fill"])
			if !ok {
				continue
			}
			p.SetFillColor(r, g, b)
			// gopdf's Oval only strokes; a 24-gon is a filled circle at
			// these sizes.
			cx, cy, rad := X(a["cx"]), Y(a["cy"]), atof(a["r"])*scale
			pts := make([]gopdf.Point, 24)
			for i := range pts {
				t := 2 * math.Pi * float64(i) / float64(len(pts))
				pts[i] = gopdf.Point{X: cx + rad*math.Cos(t), Y: cy + rad*math.Sin(t)}
			}
			p.Polygon(pts, "F")
		case "line":
			r, g, b, ok := colour(a["stroke"])
			if !ok {
				continue
			}
			p.SetStrokeColor(r, g, b)
			p.SetLineWidth(max(atof(a["stroke-width"]), 0.5) * scale)
			p.Line(X(a["x1"]), Y(a["y1"]), X(a["x2"]), Y(a["y2"]))
		case "path":
			r, g, b, ok := colour(a["fill"])
			if !ok {
				continue
			}
			pts := pathPoints(a["d"], x0, y0, scale)
			if len(pts) < 3 {
				continue
			}
			p.SetFillColor(r, g, b)
			if opacity < 1 {
				d.setErr(p.SetTransparency(gopdf.Transparency{Alpha: opacity, BlendModeType: gopdf.NormalBlendMode}))
			}
			p.Polygon(pts, "F")
			p.ClearTransparency()
		case "text":
			if e.text == "" || e.text == c.skip {
				continue
			}
			size := 11.0 // svg.go's default
			if v, ok := a["font-size"]; ok {
				size = atof(v)
			}
			d.font(a["font-weight"] == "bold", size*scale)
			if r, g, b, ok := colour(a["fill"]); ok {
				p.SetTextColor(r, g, b)
			} else {
				p.SetTextColor(0, 0, 0)
			}
			x := X(a["x"])
			if anchor := a["text-anchor"]; anchor == "middle" || anchor == "end" {
				tw, err := p.MeasureTextWidth(e.text)
				d.setErr(err)
				if anchor == "middle" {
					tw /= 2
				}
				x -= tw
			}
			p.SetXY(x, Y(a["y"])) // the baseline, as in SVG
			d.setErr(p.Text(e.text))
		}
	}
	p.SetTextColor(0, 0, 0)
	p.SetStrokeColor(0, 0, 0)
	p.SetLineWidth(0.5)
}

// pathPoints flattens an SVG path of absolute M, L, C and Z commands into
// a polygon in page coordinates, each cubic Bézier as 24 chords (under a
// hundredth of a point from the curve at chart sizes).
func pathPoints(dattr string, x0, y0, scale float64) []gopdf.Point {
	var pts []gopdf.Point
	var nums []float64
	var cmd byte
	at := func(x, y float64) gopdf.Point { return gopdf.Point{X: x0 + x*scale, Y: y0 + y*scale} }
	var cx, cy float64 // the current point, in chart units
	flush := func() {
		switch cmd {
		case 'M', 'L':
			for i := 0; i+1 < len(nums); i += 2 {
				cx, cy = nums[i], nums[i+1]
				pts = append(pts, at(cx, cy))
			}
		case 'C':
			for i := 0; i+5 < len(nums); i += 6 {
				x1, y1, x2, y2, x3, y3 := nums[i], nums[i+1], nums[i+2], nums[i+3], nums[i+4], nums[i+5]
				const n = 24
				for k := 1; k <= n; k++ {
					t := float64(k) / n
					u := 1 - t
					bx := u*u*u*cx + 3*u*u*t*x1 + 3*u*t*t*x2 + t*t*t*x3
					by := u*u*u*cy + 3*u*u*t*y1 + 3*u*t*t*y2 + t*t*t*y3
					pts = append(pts, at(bx, by))
				}
				cx, cy = x3, y3
			}
		}
		nums = nums[:0]
	}
	s := dattr
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch == 'M' || ch == 'L' || ch == 'C' || ch == 'Z':
			flush()
			cmd = ch
			i++
		case ch == ' ' || ch == ',' || ch == '\n' || ch == '\t':
			i++
		default:
			j := i + 1 // a number: digits, point, exponent; a sign only after e
			for ; j < len(s); j++ {
				c := s[j]
				if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' ||
					(c == '-' || c == '+') && (s[j-1] == 'e' || s[j-1] == 'E')) {
					break
				}
			}
			v, err := strconv.ParseFloat(s[i:j], 64)
			if err != nil {
				return nil
			}
			nums = append(nums, v)
			i = j
		}
	}
	flush()
	return pts
}
