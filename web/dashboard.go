package web

import (
	"net/http"

	"github.com/paradero/paradero"
)

// bar is one bar of a server-drawn SVG bar chart. Coordinates are computed
// here so the template only places them; the chart needs no script and no
// inline style.
type bar struct {
	Label      string
	Value      int
	Suppressed bool
	Y, Width   int // in the chart's user units: rows rowHeight high, the longest bar chartWidth wide
}

// chartWidth is the width, in user units, of the longest bar.
const (
	chartWidth = 100
	rowHeight  = 10
)

func bars(p Printer, byKind map[paradero.SourceKind]int, suppressBelow int) []bar {
	var out []bar
	maxv := 0
	for _, k := range paradero.SourceKinds {
		v, ok := byKind[k]
		if !ok {
			continue
		}
		out = append(out, bar{Label: p.Kind(k), Value: v})
	}
	if suppressBelow > 0 {
		suppress(out, suppressBelow)
	}
	for _, b := range out {
		if !b.Suppressed {
			maxv = max(maxv, b.Value)
		}
	}
	for i := range out {
		out[i].Y = i * rowHeight
		if maxv > 0 && !out[i].Suppressed {
			out[i].Width = max(1, out[i].Value*chartWidth/maxv)
		}
	}
	return out
}

// suppress marks cells under min as suppressed and, when that hides
// exactly one non-zero cell, also the smallest other one, so the hidden
// figure cannot be recovered by subtracting the others from the total
// (complementary suppression).
func suppress(bs []bar, min int) {
	hidden := 0
	for i := range bs {
		if bs[i].Value > 0 && bs[i].Value < min {
			bs[i].Suppressed = true
			hidden++
		}
	}
	if hidden != 1 {
		return
	}
	j := -1
	for i := range bs {
		if !bs[i].Suppressed && bs[i].Value > 0 && (j < 0 || bs[i].Value < bs[j].Value) {
			j = i
		}
	}
	if j >= 0 {
		bs[j].Suppressed = true
	}
}

type dashboardData struct {
	Status      *paradero.Status
	Checkpoint  *paradero.Checkpoint
	Bars        []bar
	ChartHeight int
	SmallCell   int              // unused: the dashboard suppresses nothing
	Watch       *dashboardAlerts // the user's newest alerts, the locators' health (alerts.go)
}

// dashboardPage shows what the store holds. A family member goes to
// their tracing requests; other roles without the dashboard go to the
// public statistics.
func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if a := paradero.ActorFromContext(ctx); !a.Can(paradero.PermViewDashboard) {
		dest := "/stats"
		if a.Can(paradero.PermFileTracing) {
			dest = "/tracing"
		}
		http.Redirect(w, r, dest, http.StatusSeeOther)
		return nil
	}
	st, byKind, err := s.statistics(ctx)
	if err != nil {
		return err
	}
	cp, err := s.store.LatestCheckpoint(ctx)
	if err != nil && paradero.ErrorCode(err) != paradero.ENOTFOUND {
		return err
	}
	p := Printer{stateOf(ctx).printer}
	bs := bars(p, byKind, 0)
	wd, err := s.dashboardWatch(ctx, p)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "dashboard", p.T("dashboard.title"), "dashboard",
		dashboardData{Status: st, Checkpoint: cp, Bars: bs, ChartHeight: len(bs) * rowHeight, Watch: wd})
}

// SmallCell is the smallest figure the public statistics show; smaller
// ones could single out a handful of people.
const SmallCell = 10

type statsData struct {
	Sources, Records string // formatted, or the "fewer than" text
	Bars             []bar
	ChartHeight      int
	SmallCell        int
}

// statsPage shows aggregate figures only, small cells suppressed.
func (s *Server) statsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	st, byKind, err := s.statistics(ctx)
	if err != nil {
		return err
	}
	p := Printer{stateOf(ctx).printer}
	figure := func(n int) string {
		if n > 0 && n < SmallCell {
			return p.T("stats.fewer", p.Int(SmallCell))
		}
		return p.Int(n)
	}
	bs := bars(p, byKind, SmallCell)
	return s.render(w, r, http.StatusOK, "stats", p.T("stats.title"), "stats", statsData{
		Sources: p.Int(st.Sources), Records: figure(st.Records), Bars: bs, ChartHeight: len(bs) * rowHeight, SmallCell: SmallCell,
	})
}
