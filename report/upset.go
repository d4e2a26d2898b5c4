package report

import (
	"fmt"
	"strconv"
)

// UpSetOptions tune UpSetSVG.
type UpSetOptions struct {
	// MaxBars is how many intersections are drawn, the largest; 0 means 40.
	MaxBars int
	// Title labels the chart for screen readers and as its tooltip.
	Title string
}

// UpSetSVG draws the reconciliation as an UpSet chart (Lex et al. 2014):
// a bar per exclusive intersection, largest first, above a matrix whose
// filled dots say which sources the bar's persons are on, and each source's
// size as a bar beside its name. Server-side SVG; no script.
func (r *Reconciliation) UpSetSVG(opt UpSetOptions) []byte {
	if opt.MaxBars <= 0 {
		opt.MaxBars = 40
	}
	if opt.Title == "" {
		opt.Title = "Persons on each combination of sources"
	}
	xs := r.Intersections
	rest := 0
	if len(xs) > opt.MaxBars {
		for _, x := range xs[opt.MaxBars:] {
			rest += x.Count
		}
		xs = xs[:opt.MaxBars]
	}
	const (
		sizeW  = 90.0  // the source-size bars
		labelW = 190.0 // the source labels
		colW   = 18.0
		barH   = 170.0
		rowH   = 20.0
		top    = 20.0
	)
	left := sizeW + labelW + 10
	matTop := top + barH + 12
	w := left + float64(max(len(xs), 1))*colW + 20
	h := matTop + float64(len(r.Sources))*rowH + 30
	s := newSVG(w, h, opt.Title)

	maxCount := 1
	for _, x := range xs {
		maxCount = max(maxCount, x.Count)
	}
	maxSize := 1
	for _, n := range r.Sizes {
		maxSize = max(maxSize, n)
	}
	// Intersection bars, with their counts.
	for j, x := range xs {
		cx := left + float64(j)*colW + colW/2
		bh := barH * float64(x.Count) / float64(maxCount)
		names := ""
		for k, i := range x.Sources {
			if k > 0 {
				names += " + "
			}
			names += SourceLabel(r.Sources[i])
		}
		s.rect(cx-colW/2+2, top+barH-bh, colW-4, bh, "#3b5b92", fmt.Sprintf("%d: %s", x.Count, names))
		s.text(cx, top+barH-bh-3, "middle", strconv.Itoa(x.Count), ` font-size="8"`)
	}
	s.line(left, top+barH, left+float64(len(xs))*colW, top+barH, "#888", 1)
	// Matrix rows: stripes, source labels, size bars.
	for i, src := range r.Sources {
		y := matTop + float64(i)*rowH
		if i%2 == 0 {
			s.rect(sizeW, y, labelW+10+float64(len(xs))*colW, rowH, "#f2f2f2", "")
		}
		label := clip(SourceLabel(src)+" "+src.Title, 32)
		s.text(sizeW+labelW+4, y+rowH/2+4, "end", label, "")
		bw := (sizeW - 30) * float64(r.Sizes[i]) / float64(maxSize)
		s.rect(sizeW-4-bw, y+4, bw, rowH-8, "#7a7a7a", fmt.Sprintf("%s: %d", SourceLabel(src), r.Sizes[i]))
		s.text(sizeW-6-bw, y+rowH/2+4, "end", strconv.Itoa(r.Sizes[i]), ` font-size="8"`)
	}
	// Dots and the lines joining each intersection's sources.
	for j, x := range xs {
		cx := left + float64(j)*colW + colW/2
		on := make(map[int]bool, len(x.Sources))
		for _, i := range x.Sources {
			on[i] = true
		}
		if len(x.Sources) > 1 {
			y1 := matTop + float64(x.Sources[0])*rowH + rowH/2
			y2 := matTop + float64(x.Sources[len(x.Sources)-1])*rowH + rowH/2
			s.line(cx, y1, cx, y2, "#222", 2)
		}
		for i := range r.Sources {
			fill := "#d0d0d0"
			if on[i] {
				fill = "#222"
			}
			s.circle(cx, matTop+float64(i)*rowH+rowH/2, 5, fill, "")
		}
	}
	if rest > 0 {
		s.text(left, h-8, "start", fmt.Sprintf("+ %d persons in %d smaller combinations not drawn", rest, len(r.Intersections)-len(xs)), ` font-size="10"`)
	}
	return s.bytes()
}
