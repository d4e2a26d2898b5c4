// Package metrics keeps a process's counters, gauges and histograms and
// writes them in the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/), with the
// standard library only.
//
// Why not the Prometheus client library: Paradero needs three metric types
// with labels and one writer, a few hundred lines; the client library
// would bring a dependency tree for it. What this package leaves out —
// summaries, exemplars, the protobuf and OpenMetrics formats — no scraper
// requires.
//
// A Registry is made once and handed to whoever records (no package-level
// state). Metrics are registered at start-up: a bad or repeated name is a
// programming error and panics then, as does recording with the wrong
// number of label values. Label values must come from a small, fixed set
// (route patterns, status codes), never from request data: each distinct
// set of values is a series kept for the life of the process, and a
// family stops adding series at MaxSeries.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// MaxSeries is how many distinct label sets one metric keeps; values for
// further sets are dropped, so a bug that labels by request data cannot
// exhaust memory.
const MaxSeries = 2000

// ContentType is the media type of what WriteTo writes.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// DefaultBuckets are upper bounds in seconds for request durations: from
// a millisecond to ten seconds.
var DefaultBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

var (
	nameRE  = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// Registry holds metric families. It is safe for concurrent use.
type Registry struct {
	mu       sync.Mutex
	families map[string]*family
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{families: make(map[string]*family)} }

type kind string

const (
	counterKind   kind = "counter"
	gaugeKind     kind = "gauge"
	histogramKind kind = "histogram"
)

// family is one metric name with its series.
type family struct {
	name, help string
	kind       kind
	labels     []string
	buckets    []float64 // histograms only

	mu     sync.Mutex
	series map[string]*series // by joined label values
}

type series struct {
	values []string
	value  float64  // counters and gauges
	counts []uint64 // histograms: observations per bucket, not cumulative; the last is +Inf
	sum    float64
	count  uint64
}

func (r *Registry) register(name, help string, k kind, buckets []float64, labels []string) *family {
	if !nameRE.MatchString(name) {
		panic(fmt.Sprintf("metrics: %q is not a metric name", name))
	}
	for _, l := range labels {
		if !labelRE.MatchString(l) || strings.HasPrefix(l, "__") || (k == histogramKind && l == "le") {
			panic(fmt.Sprintf("metrics: %q is not a label name for %s", l, name))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.families[name]; ok {
		panic(fmt.Sprintf("metrics: %s registered twice", name))
	}
	f := &family{name: name, help: help, kind: k, labels: slices.Clone(labels), buckets: buckets,
		series: make(map[string]*series)}
	r.families[name] = f
	return f
}

// get returns the series of these label values, making it if there is
// room; nil when the family is full.
func (f *family) get(values []string) *series {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("metrics: %s takes %d label values, got %d", f.name, len(f.labels), len(values)))
	}
	key := strings.Join(values, "\xff")
	s, ok := f.series[key]
	if !ok {
		if len(f.series) >= MaxSeries {
			return nil
		}
		s = &series{values: slices.Clone(values)}
		if f.kind == histogramKind {
			s.counts = make([]uint64, len(f.buckets)+1)
		}
		f.series[key] = s
	}
	return s
}

// Counter is a value that only goes up, per set of label values.
type Counter struct{ f *family }

// Counter registers a counter. By convention its name ends in _total.
func (r *Registry) Counter(name, help string, labels ...string) *Counter {
	return &Counter{r.register(name, help, counterKind, nil, labels)}
}

// Inc adds one to the series of these label values.
func (c *Counter) Inc(values ...string) { c.Add(1, values...) }

// Add adds v, which must not be negative, to the series of these label
// values.
func (c *Counter) Add(v float64, values ...string) {
	if v < 0 || math.IsNaN(v) {
		panic(fmt.Sprintf("metrics: counter %s cannot add %v", c.f.name, v))
	}
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	if s := c.f.get(values); s != nil {
		s.value += v
	}
}

// Gauge is a value that goes up and down, per set of label values.
type Gauge struct{ f *family }

// Gauge registers a gauge.
func (r *Registry) Gauge(name, help string, labels ...string) *Gauge {
	return &Gauge{r.register(name, help, gaugeKind, nil, labels)}
}

// Set sets the series of these label values to v.
func (g *Gauge) Set(v float64, values ...string) {
	g.f.mu.Lock()
	defer g.f.mu.Unlock()
	if s := g.f.get(values); s != nil {
		s.value = v
	}
}

// Add adds v (negative to subtract) to the series of these label values.
func (g *Gauge) Add(v float64, values ...string) {
	g.f.mu.Lock()
	defer g.f.mu.Unlock()
	if s := g.f.get(values); s != nil {
		s.value += v
	}
}

// Histogram counts observations into buckets, per set of label values.
type Histogram struct{ f *family }

// Histogram registers a histogram with these bucket upper bounds, which
// must increase; +Inf is added. Nil means DefaultBuckets.
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *Histogram {
	if buckets == nil {
		buckets = DefaultBuckets
	}
	for i, b := range buckets {
		if math.IsNaN(b) || math.IsInf(b, 0) || i > 0 && b <= buckets[i-1] {
			panic(fmt.Sprintf("metrics: %s: buckets must be finite and increase", name))
		}
	}
	return &Histogram{r.register(name, help, histogramKind, slices.Clone(buckets), labels)}
}

// Observe records v in the series of these label values.
func (h *Histogram) Observe(v float64, values ...string) {
	f := h.f
	// The first bucket whose bound is ≥ v; len(buckets) is +Inf.
	i, _ := slices.BinarySearch(f.buckets, v)
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.get(values); s != nil {
		s.counts[i]++
		s.sum += v
		s.count++
	}
}

// WriteTo writes every metric in the text exposition format: families by
// name, series by label values, so the output is stable.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	fams := make([]*family, 0, len(r.families))
	for _, f := range r.families {
		fams = append(fams, f)
	}
	r.mu.Unlock()
	slices.SortFunc(fams, func(a, b *family) int { return strings.Compare(a.name, b.name) })
	cw := &countWriter{w: w}
	bw := bufio.NewWriter(cw)
	for _, f := range fams {
		f.write(bw)
	}
	err := bw.Flush()
	return cw.n, err
}

func (f *family) write(w *bufio.Writer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.kind)
	ss := make([]*series, 0, len(f.series))
	for _, s := range f.series {
		ss = append(ss, s)
	}
	slices.SortFunc(ss, func(a, b *series) int { return slices.Compare(a.values, b.values) })
	for _, s := range ss {
		if f.kind != histogramKind {
			writeSample(w, f.name, f.labels, s.values, "", "", s.value)
			continue
		}
		var cum uint64
		for i, n := range s.counts {
			cum += n
			le := "+Inf"
			if i < len(f.buckets) {
				le = formatFloat(f.buckets[i])
			}
			writeSample(w, f.name+"_bucket", f.labels, s.values, "le", le, float64(cum))
		}
		writeSample(w, f.name+"_sum", f.labels, s.values, "", "", s.sum)
		writeSample(w, f.name+"_count", f.labels, s.values, "", "", float64(s.count))
	}
}

// writeSample writes one line: name{labels} value, with an extra label
// (a histogram's le) when extra is not empty.
func writeSample(w *bufio.Writer, name string, labels, values []string, extra, extraValue string, v float64) {
	w.WriteString(name)
	if len(labels) > 0 || extra != "" {
		w.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(l)
			w.WriteString(`="`)
			w.WriteString(escapeLabel(values[i]))
			w.WriteByte('"')
		}
		if extra != "" {
			if len(labels) > 0 {
				w.WriteByte(',')
			}
			w.WriteString(extra)
			w.WriteString(`="`)
			w.WriteString(extraValue)
			w.WriteByte('"')
		}
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	w.WriteString(formatFloat(v))
	w.WriteByte('\n')
}

// formatFloat writes a value as the format wants it: Go's shortest
// representation, and +Inf, -Inf, NaN spelled so.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// The format escapes backslash and newline in help text, and also the
// double quote in label values.
var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
