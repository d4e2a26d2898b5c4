package report

import (
	"fmt"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/timeline"
)

// The timeline chart puts each dated event on a horizontal time axis, in
// one of five lanes — custody in the removing country, flights, foreign
// custody, release or return, and what locators and deaths say — joined in
// date order, so a reader sees at a glance where a person was moved and
// where the record goes silent. One layout feeds the SVG and the PDF.

type chartLane int

const (
	laneCustody chartLane = iota
	laneFlight
	laneForeign
	laneFree
	laneSignal
	numLanes
)

func laneOf(k paradero.EventKind) chartLane {
	switch k {
	case paradero.EventRemovalFlight:
		return laneFlight
	case paradero.EventForeignCustody:
		return laneForeign
	case paradero.EventRelease, paradero.EventReturn:
		return laneFree
	case paradero.EventNotInCustody, paradero.EventVanished, paradero.EventDeath:
		return laneSignal
	}
	return laneCustody
}

var laneColors = [numLanes]string{"#3b5b92", "#c07a12", "#a4262c", "#2e7d32", "#6a1b9a"}

func laneNames(lang string) [numLanes]string {
	if lang == "en" {
		return [numLanes]string{"custody", "flight", "foreign custody", "release / return", "locator / death"}
	}
	return [numLanes]string{"custodia", "vuelo", "custodia extranjera", "liberación / retorno", "localizador / muerte"}
}

type chartMark struct {
	X, Y  float64
	Lane  chartLane
	Title string // date, event and where, for the tooltip
}

type chartTick struct {
	X     float64
	Label string
}

type chartLayout struct {
	W, H       float64
	Left, Top  float64 // where the plot starts
	LaneY      [numLanes]float64
	LaneNames  [numLanes]string
	Ticks      []chartTick
	Marks      []chartMark
	FlagX      float64 // > 0: where whereabouts became unknown
	FlagLabel  string
	AxisBottom float64
}

// dayOf returns the first day d allows.
func dayOf(d paradero.PartialDate) time.Time {
	return time.Date(d.Year, time.Month(max(d.Month, 1)), max(d.Day, 1), 0, 0, 0, 0, time.UTC)
}

func layoutTimeline(t *timeline.Timeline, lang string, width float64) *chartLayout {
	l := labelsFor(lang)
	c := &chartLayout{W: width, Left: 150, Top: 14, LaneNames: laneNames(lang)}
	const laneH = 26.0
	for i := range c.LaneY {
		c.LaneY[i] = c.Top + laneH/2 + float64(i)*laneH
	}
	c.AxisBottom = c.Top + float64(numLanes)*laneH
	c.H = c.AxisBottom + 24
	if len(t.Events) == 0 {
		return c
	}
	first := dayOf(t.Events[0].Date.From)
	last := first
	for _, e := range t.Events {
		d := dayOf(e.Date.From)
		if d.Before(first) {
			first = d
		}
		if d.After(last) {
			last = d
		}
	}
	// Whole months on each side, at least one.
	first = time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC)
	last = time.Date(last.Year(), last.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	span := last.Sub(first).Hours() / 24
	plotW := width - c.Left - 16
	x := func(d time.Time) float64 { return c.Left + plotW*(d.Sub(first).Hours()/24)/span }
	months := int(span/30) + 1
	step := max(1, months/8)
	for m := first; !m.After(last); m = m.AddDate(0, step, 0) {
		c.Ticks = append(c.Ticks, chartTick{X: x(m), Label: m.Format("2006-01")})
	}
	for _, e := range t.Events {
		lane := laneOf(e.Kind)
		title := fmt.Sprintf("%s · %s", e.Date, l.Events[e.Kind])
		if w := where(&e); w != "" {
			title += " · " + w
		}
		c.Marks = append(c.Marks, chartMark{X: x(dayOf(e.Date.From)), Y: c.LaneY[lane], Lane: lane, Title: title})
	}
	if t.Flag != nil && !t.Flag.Since.IsZero() {
		c.FlagX = x(dayOf(t.Flag.Since.From))
		c.FlagLabel = l.Flag
	}
	return c
}

// TimelineSVG draws a person's timeline (see the chart's description
// above) in lang ("es" or "en"), width pixels wide. Server-side SVG; every
// mark carries its date, event and place as a tooltip.
func TimelineSVG(t *timeline.Timeline, lang string, width float64) []byte {
	c := layoutTimeline(t, lang, width)
	s := newSVG(c.W, c.H, labelsFor(lang).Chart)
	for i, name := range c.LaneNames {
		y := c.LaneY[i]
		s.line(c.Left, y, c.W-16, y, "#e4e4e4", 1)
		s.text(c.Left-8, y+4, "end", name, ` fill="`+laneColors[i]+`"`)
	}
	for _, tk := range c.Ticks {
		s.line(tk.X, c.Top, tk.X, c.AxisBottom, "#f0f0f0", 1)
		s.text(tk.X, c.AxisBottom+14, "middle", tk.Label, ` font-size="9" fill="#555"`)
	}
	s.line(c.Left, c.AxisBottom, c.W-16, c.AxisBottom, "#888", 1)
	for i := 1; i < len(c.Marks); i++ {
		a, b := c.Marks[i-1], c.Marks[i]
		s.line(a.X, a.Y, b.X, b.Y, "#9aa7bd", 1.5)
	}
	if c.FlagX > 0 {
		s.raw(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#a4262c" stroke-width="2" stroke-dasharray="4 3"/>`,
			num(c.FlagX), num(c.Top), num(c.FlagX), num(c.AxisBottom))
		if c.FlagX > c.W-160 {
			s.text(c.FlagX-4, c.Top+8, "end", c.FlagLabel, ` font-size="9" fill="#a4262c" font-weight="bold"`)
		} else {
			s.text(c.FlagX+4, c.Top+8, "start", c.FlagLabel, ` font-size="9" fill="#a4262c" font-weight="bold"`)
		}
	}
	for _, m := range c.Marks {
		s.circle(m.X, m.Y, 5, laneColors[m.Lane], m.Title)
	}
	return s.bytes()
}
