package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/timeline"
)

// The flow chart (a Sankey diagram) follows every person through four
// stages — the last place held before the first removal flight (or the
// last place held, for someone never flown), the removal flight, the first
// foreign custody after it, and where the person stands now (the
// timeline's status) — and draws, between consecutive stages a person
// reaches, a band as wide as the number of persons who went that way. A
// stage a person's records do not reach is skipped, so a band may jump a
// column (held in Texas → whereabouts unknown). Each column keeps its
// largest nodes and folds the rest into one "other".

// FlowNode is one place, flight or outcome in one stage.
type FlowNode struct {
	Stage int
	Name  string
	Value int // persons through the node
}

// FlowLink is a band between two nodes (indexes into FlowChart.Nodes).
type FlowLink struct {
	From, To int
	Value    int
}

// FlowChart is what Flows computes and SVG draws.
type FlowChart struct {
	Lang    string
	Stages  []string // column titles
	Nodes   []FlowNode
	Links   []FlowLink
	Persons int // persons drawn (those reaching at least two stages)
}

// FlowOptions tune Flows.
type FlowOptions struct {
	Lang     string // "es" (default) or "en"
	MaxNodes int    // per stage, before folding into "other"; 0 means 10
}

func flowWords(lang string) (stages []string, other, unnamed string) {
	if lang == "en" {
		return []string{"held in", "removal flight", "foreign custody", "now"}, "other", "(flight not named)"
	}
	return []string{"detenido en", "vuelo de deportación", "custodia extranjera", "ahora"}, "otros", "(vuelo sin nombre)"
}

// path returns the node names of one timeline per stage ("" where the
// person's records do not reach the stage).
func flowPath(t *timeline.Timeline, l *labels, unnamed string) [4]string {
	var p [4]string
	f := slices.IndexFunc(t.Events, func(e paradero.Event) bool { return e.Kind == paradero.EventRemovalFlight })
	end := len(t.Events)
	if f >= 0 {
		end = f
	}
	for _, e := range t.Events[:end] {
		if laneOf(e.Kind) == laneCustody && e.Kind != paradero.EventHearing && e.Kind != paradero.EventCharged {
			if name := firstOf(e.Facility, e.Place, e.Custodian); name != "" {
				p[0] = name
			}
		}
	}
	if f >= 0 {
		p[1] = firstOf(t.Events[f].Flight, unnamed)
		for _, e := range t.Events[f:] {
			if e.Kind == paradero.EventForeignCustody {
				if name := firstOf(e.Facility, e.Custodian, e.Place); name != "" {
					p[2] = name
					break
				}
			}
		}
	}
	p[3] = firstOf(l.Statuses[t.Status], string(t.Status))
	return p
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Flows computes the flow chart of the persons whose timelines are ts.
func Flows(ts []*timeline.Timeline, opt FlowOptions) *FlowChart {
	if opt.Lang == "" {
		opt.Lang = "es"
	}
	if opt.MaxNodes <= 0 {
		opt.MaxNodes = 10
	}
	l := labelsFor(opt.Lang)
	stages, other, unnamed := flowWords(opt.Lang)
	var paths [][4]string
	volume := make(map[[2]string]int) // (stage, name) → persons
	for _, t := range ts {
		p := flowPath(t, l, unnamed)
		n := 0
		for _, s := range p {
			if s != "" {
				n++
			}
		}
		if n < 2 {
			continue
		}
		paths = append(paths, p)
		for i, s := range p {
			if s != "" {
				volume[[2]string{strconv.Itoa(i), s}]++
			}
		}
	}
	// Keep each stage's largest nodes; fold the rest.
	keep := make(map[[2]string]bool)
	for i := range stages {
		var names []string
		for k := range volume {
			if k[0] == strconv.Itoa(i) {
				names = append(names, k[1])
			}
		}
		slices.SortFunc(names, func(a, b string) int {
			return cmp.Or(cmp.Compare(volume[[2]string{strconv.Itoa(i), b}], volume[[2]string{strconv.Itoa(i), a}]), cmp.Compare(a, b))
		})
		for j, n := range names {
			if j < opt.MaxNodes || len(names) == opt.MaxNodes+1 {
				keep[[2]string{strconv.Itoa(i), n}] = true
			}
		}
	}
	c := &FlowChart{Lang: opt.Lang, Stages: stages, Persons: len(paths)}
	index := make(map[[2]string]int)
	node := func(stage int, name string) int {
		k := [2]string{strconv.Itoa(stage), name}
		if !keep[k] {
			k[1] = other
		}
		i, ok := index[k]
		if !ok {
			i = len(c.Nodes)
			index[k] = i
			c.Nodes = append(c.Nodes, FlowNode{Stage: stage, Name: k[1]})
		}
		c.Nodes[i].Value++
		return i
	}
	links := make(map[[2]int]int)
	for _, p := range paths {
		prev := -1
		for i, s := range p {
			if s == "" {
				continue
			}
			n := node(i, s)
			if prev >= 0 {
				links[[2]int{prev, n}]++
			}
			prev = n
		}
	}
	for k, v := range links {
		c.Links = append(c.Links, FlowLink{From: k[0], To: k[1], Value: v})
	}
	// Node order: by stage, largest first, "other" last; links follow it.
	order := make([]int, len(c.Nodes))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		na, nb := c.Nodes[a], c.Nodes[b]
		return cmp.Or(cmp.Compare(na.Stage, nb.Stage), cmpBool(na.Name == other, nb.Name == other),
			cmp.Compare(nb.Value, na.Value), cmp.Compare(na.Name, nb.Name))
	})
	rank := make([]int, len(order))
	nodes := make([]FlowNode, len(order))
	for r, i := range order {
		rank[i] = r
		nodes[r] = c.Nodes[i]
	}
	c.Nodes = nodes
	for i := range c.Links {
		c.Links[i].From, c.Links[i].To = rank[c.Links[i].From], rank[c.Links[i].To]
	}
	slices.SortFunc(c.Links, func(a, b FlowLink) int { return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To)) })
	return c
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

var stageColors = [...]string{"#3b5b92", "#c07a12", "#a4262c", "#2e7d32"}

// SVG draws the flow chart width pixels wide. Server-side SVG; each band
// and node carries its count as a tooltip.
func (c *FlowChart) SVG(width float64) []byte {
	const (
		top, bottom = 30.0, 10.0
		nodeW       = 12.0
		gap         = 8.0
		plotH       = 420.0
	)
	h := top + plotH + bottom
	title := "Flujos entre custodios y lugares"
	if c.Lang == "en" {
		title = "Flows between custodians and places"
	}
	s := newSVG(width, h, fmt.Sprintf("%s (%d)", title, c.Persons))
	n := len(c.Stages)
	colX := func(stage int) float64 {
		return 10 + float64(stage)*(width-20-nodeW)/float64(n-1)
	}
	// Scale: the fullest column fills plotH less its gaps.
	total := make([]int, n)
	count := make([]int, n)
	for _, nd := range c.Nodes {
		total[nd.Stage] += nd.Value
		count[nd.Stage]++
	}
	scale := 0.0
	for i := range n {
		if total[i] == 0 {
			continue
		}
		sc := (plotH - gap*float64(count[i]-1)) / float64(total[i])
		if scale == 0 || sc < scale {
			scale = sc
		}
	}
	y := make([]float64, len(c.Nodes))
	next := make([]float64, n)
	for i := range next {
		next[i] = top
	}
	for i, nd := range c.Nodes {
		y[i] = next[nd.Stage]
		next[nd.Stage] += float64(nd.Value)*scale + gap
	}
	for i, name := range c.Stages {
		anchor, x := "start", colX(i)
		if i == n-1 {
			anchor, x = "end", colX(i)+nodeW
		}
		s.text(x, 16, anchor, name, ` font-weight="bold"`)
	}
	out := make([]float64, len(c.Nodes))
	in := make([]float64, len(c.Nodes))
	for _, lk := range c.Links {
		a, b := c.Nodes[lk.From], c.Nodes[lk.To]
		th := float64(lk.Value) * scale
		x0, x1 := colX(a.Stage)+nodeW, colX(b.Stage)
		y0, y1 := y[lk.From]+out[lk.From], y[lk.To]+in[lk.To]
		out[lk.From] += th
		in[lk.To] += th
		xm := (x0 + x1) / 2
		s.raw(`<path d="M%s %sC%s %s %s %s %s %sL%s %sC%s %s %s %s %s %sZ" fill="%s" fill-opacity="0.35">`,
			num(x0), num(y0), num(xm), num(y0), num(xm), num(y1), num(x1), num(y1),
			num(x1), num(y1+th), num(xm), num(y1+th), num(xm), num(y0+th), num(x0), num(y0+th), stageColors[a.Stage%len(stageColors)])
		s.raw("<title>%s</title></path>", esc(fmt.Sprintf("%s → %s: %d", a.Name, b.Name, lk.Value)))
	}
	for i, nd := range c.Nodes {
		hh := float64(nd.Value) * scale
		x := colX(nd.Stage)
		s.rect(x, y[i], nodeW, max(hh, 1), stageColors[nd.Stage%len(stageColors)], fmt.Sprintf("%s: %d", nd.Name, nd.Value))
		label := fmt.Sprintf("%s (%d)", clip(nd.Name, 30), nd.Value)
		if nd.Stage == n-1 {
			s.text(x-4, y[i]+hh/2+4, "end", label, "")
		} else {
			s.text(x+nodeW+4, y[i]+hh/2+4, "start", label, "")
		}
	}
	return s.bytes()
}
