package report

import (
	"fmt"
	"strconv"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/timeline"
)

// StatusSeries counts, at the end of each month, how many persons stood in
// each status as the sources known by that day told it: for each day the
// timeline is built again from the records dated (or, undated, published)
// by then, assessed on that day — so a person flagged "whereabouts
// unknown" in May is counted so in May even if a July manifest names them
// later. Persons with no record by a day are not counted on it.
type StatusSeries struct {
	Lang     string
	Days     []time.Time                     // month ends, ascending
	Statuses []paradero.PersonStatus         // the series, in drawing order
	Counts   map[paradero.PersonStatus][]int // per status, one count per day
}

// statusOrder is the stacking order: deprived of liberty at the bottom.
var statusOrder = [...]paradero.PersonStatus{paradero.StatusDetained, paradero.StatusInTransit,
	paradero.StatusWhereaboutsUnknown, paradero.StatusDeceased, paradero.StatusReleased,
	paradero.StatusReturned, paradero.StatusAtLiberty}

var statusColors = map[paradero.PersonStatus]string{
	paradero.StatusDetained: "#3b5b92", paradero.StatusInTransit: "#c07a12", paradero.StatusWhereaboutsUnknown: "#a4262c",
	paradero.StatusDeceased: "#222222", paradero.StatusReleased: "#7cb342", paradero.StatusReturned: "#2e7d32",
	paradero.StatusAtLiberty: "#bdbdbd",
}

// knownBy reports whether the mention was on record by day: its own date
// (the first day it allows) or, with none, its source's publication date.
func knownBy(m timeline.Mention, day time.Time) bool {
	d := m.Record.EventDate.From
	if d.IsZero() && m.Source != nil {
		d = m.Source.Published
	}
	return !d.IsZero() && !dayOf(d).After(day)
}

// StatusOverTime computes the series from each person's mentions, from the
// month of from to the month of to. opt.Now is replaced by each day.
func StatusOverTime(persons [][]timeline.Mention, from, to time.Time, lang string, opt timeline.Options) *StatusSeries {
	s := &StatusSeries{Lang: lang, Counts: make(map[paradero.PersonStatus][]int)}
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(to); m = m.AddDate(0, 1, 0) {
		s.Days = append(s.Days, m.AddDate(0, 1, -1))
	}
	for _, st := range statusOrder {
		s.Counts[st] = make([]int, len(s.Days))
	}
	var sub []timeline.Mention
	for _, ms := range persons {
		for i, day := range s.Days {
			sub = sub[:0]
			for _, m := range ms {
				if m.Record != nil && knownBy(m, day) {
					sub = append(sub, m)
				}
			}
			if len(sub) == 0 {
				continue
			}
			o := opt
			o.Now = day
			t := timeline.Build(sub, nil, o)
			if c, ok := s.Counts[t.Status]; ok {
				c[i]++
			}
		}
	}
	for _, st := range statusOrder {
		for _, n := range s.Counts[st] {
			if n > 0 {
				s.Statuses = append(s.Statuses, st)
				break
			}
		}
	}
	return s
}

// SVG draws the series as stacked bars, one per month, with a legend.
func (s *StatusSeries) SVG(width float64) []byte {
	l := labelsFor(s.Lang)
	const top, plotH, left = 16.0, 260.0, 46.0
	legendY := top + plotH + 34
	h := legendY + 18*float64((len(s.Statuses)+2)/3) + 6
	title := "Situación de las personas al final de cada mes"
	if s.Lang == "en" {
		title = "Status of the persons at the end of each month"
	}
	g := newSVG(width, h, title)
	maxTotal := 1
	for i := range s.Days {
		t := 0
		for _, st := range s.Statuses {
			t += s.Counts[st][i]
		}
		maxTotal = max(maxTotal, t)
	}
	plotW := width - left - 10
	bw := plotW / float64(max(len(s.Days), 1))
	for _, f := range []float64{0, 0.5, 1} {
		y := top + plotH - plotH*f
		g.line(left, y, width-10, y, "#e0e0e0", 1)
		g.text(left-4, y+4, "end", strconv.Itoa(int(float64(maxTotal)*f+0.5)), ` font-size="9"`)
	}
	for i, day := range s.Days {
		x := left + float64(i)*bw
		y := top + plotH
		for _, st := range s.Statuses {
			n := s.Counts[st][i]
			if n == 0 {
				continue
			}
			hh := plotH * float64(n) / float64(maxTotal)
			y -= hh
			g.rect(x+1, y, bw-2, hh, statusColors[st], fmt.Sprintf("%s · %s: %d", day.Format("2006-01"), l.Statuses[st], n))
		}
		g.text(x+bw/2, top+plotH+14, "middle", day.Format("2006-01"), ` font-size="9"`)
	}
	for i, st := range s.Statuses {
		x := left + float64(i%3)*(plotW/3)
		y := legendY + 18*float64(i/3)
		g.rect(x, y-9, 10, 10, statusColors[st], "")
		g.text(x+14, y, "start", l.Statuses[st], "")
	}
	return g.bytes()
}
