package report

import (
	"bytes"
	"fmt"
	"html"
	"strconv"
	"unicode/utf8"
)

// svg builds an SVG document by hand: the charts are small, and writing
// the elements directly keeps them free of any script or external service.
// Every text goes through esc.
type svg struct{ b bytes.Buffer }

func newSVG(w, h float64, label string) *svg {
	s := &svg{}
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-label="%s" font-family="DejaVu Sans, Verdana, sans-serif" font-size="11">`,
		num(w), num(h), num(w), num(h), esc(label))
	fmt.Fprintf(&s.b, "<title>%s</title>", esc(label))
	return s
}

func (s *svg) raw(format string, args ...any) { fmt.Fprintf(&s.b, format, args...) }

func (s *svg) rect(x, y, w, h float64, fill, title string) {
	s.raw(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s">`, num(x), num(y), num(w), num(h), fill)
	if title != "" {
		s.raw("<title>%s</title>", esc(title))
	}
	s.raw("</rect>")
}

func (s *svg) circle(x, y, r float64, fill, title string) {
	s.raw(`<circle cx="%s" cy="%s" r="%s" fill="%s">`, num(x), num(y), num(r), fill)
	if title != "" {
		s.raw("<title>%s</title>", esc(title))
	}
	s.raw("</circle>")
}

func (s *svg) line(x1, y1, x2, y2 float64, stroke string, width float64) {
	s.raw(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"/>`, num(x1), num(y1), num(x2), num(y2), stroke, num(width))
}

// text writes t at (x, y); anchor is start, middle or end.
func (s *svg) text(x, y float64, anchor, t string, extra string) {
	s.raw(`<text x="%s" y="%s" text-anchor="%s"%s>%s</text>`, num(x), num(y), anchor, extra, esc(t))
}

func (s *svg) bytes() []byte {
	s.b.WriteString("</svg>")
	return s.b.Bytes()
}

func esc(s string) string { return html.EscapeString(s) }

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// clip shortens s to n characters, marking the cut with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
