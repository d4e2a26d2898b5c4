package metrics_test

import (
	"bufio"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paradero/paradero/metrics"
)

func TestExposition(t *testing.T) {
	r := metrics.NewRegistry()
	req := r.Counter("app_requests_total", "Requests served.", "route", "status")
	up := r.Gauge("app_up", "1 when up.\nSecond line with a \\ backslash.")
	dur := r.Histogram("app_duration_seconds", "How long.", []float64{0.1, 1}, "route")
	quote := r.Gauge("app_info", "Labels that need escaping.", "v")

	req.Inc("GET /b", "200")
	req.Inc("GET /a", "404")
	req.Add(2, "GET /a", "200")
	up.Set(1)
	dur.Observe(0.05, "GET /a")
	dur.Observe(0.1, "GET /a") // on a bound: counted in that bucket
	dur.Observe(3, "GET /a")
	quote.Set(math.Inf(1), "a \"quoted\" \\ value\nnext")

	var b strings.Builder
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	want := `# HELP app_duration_seconds How long.
# TYPE app_duration_seconds histogram
app_duration_seconds_bucket{route="GET /a",le="0.1"} 2
app_duration_seconds_bucket{route="GET /a",le="1"} 2
app_duration_seconds_bucket{route="GET /a",le="+Inf"} 3
app_duration_seconds_sum{route="GET /a"} 3.15
app_duration_seconds_count{route="GET /a"} 3
# HELP app_info Labels that need escaping.
# TYPE app_info gauge
app_info{v="a \"quoted\" \\ value\nnext"} +Inf
# HELP app_requests_total Requests served.
# TYPE app_requests_total counter
app_requests_total{route="GET /a",status="200"} 2
app_requests_total{route="GET /a",status="404"} 1
app_requests_total{route="GET /b",status="200"} 1
# HELP app_up 1 when up.\nSecond line with a \\ backslash.
# TYPE app_up gauge
app_up 1
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("WriteTo (-want +got):\n%s", diff)
	}
	checkFormat(t, b.String())
}

// sampleLine is the grammar of a sample line in the text format, with
// label values as escaped strings.
var sampleLine = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? (\+Inf|-Inf|NaN|-?[0-9.eE+-]+)$`)

// checkFormat checks every line of an exposition against the grammar, and
// that each family's HELP and TYPE come once, before its samples.
func checkFormat(t *testing.T, s string) {
	t.Helper()
	typed := make(map[string]bool)
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# HELP "):
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Fields(line)
			if len(f) != 4 || typed[f[2]] {
				t.Errorf("bad or repeated TYPE line %q", line)
			}
			typed[f[2]] = true
		default:
			if !sampleLine.MatchString(line) {
				t.Errorf("line %q is not a sample", line)
				continue
			}
			name := line[:strings.IndexAny(line, "{ ")]
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
			if !typed[name] && !typed[base] {
				t.Errorf("sample %q comes before its TYPE", line)
			}
		}
	}
}

func TestRegistrationMistakesPanic(t *testing.T) {
	for name, fn := range map[string]func(r *metrics.Registry){
		"bad name":       func(r *metrics.Registry) { r.Counter("1x", "") },
		"bad label":      func(r *metrics.Registry) { r.Counter("x_total", "", "a-b") },
		"reserved label": func(r *metrics.Registry) { r.Gauge("x", "", "__x") },
		"le on a histogram": func(r *metrics.Registry) {
			r.Histogram("x", "", nil, "le")
		},
		"twice": func(r *metrics.Registry) { r.Gauge("x", ""); r.Gauge("x", "") },
		"buckets out of order": func(r *metrics.Registry) {
			r.Histogram("x", "", []float64{1, 1})
		},
		"wrong label count": func(r *metrics.Registry) { r.Counter("x_total", "", "a").Inc() },
		"negative counter":  func(r *metrics.Registry) { r.Counter("x_total", "").Add(-1) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			fn(metrics.NewRegistry())
		})
	}
}

func TestSeriesAreBounded(t *testing.T) {
	r := metrics.NewRegistry()
	c := r.Counter("x_total", "", "v")
	for i := range metrics.MaxSeries + 10 {
		c.Inc(fmt.Sprint(i))
	}
	var b strings.Builder
	r.WriteTo(&b)
	if n := strings.Count(b.String(), "\nx_total{"); n != metrics.MaxSeries {
		t.Errorf("%d series written, want %d", n, metrics.MaxSeries)
	}
}

// TestConcurrent records and writes from many goroutines at once (run
// with -race).
func TestConcurrent(t *testing.T) {
	r := metrics.NewRegistry()
	c := r.Counter("x_total", "", "v")
	h := r.Histogram("y_seconds", "", nil, "v")
	g := r.Gauge("z", "")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 1000 {
				c.Inc(fmt.Sprint(j % 3))
				h.Observe(float64(j)/1000, fmt.Sprint(i%2))
				g.Add(1)
				if j%100 == 0 {
					var b strings.Builder
					r.WriteTo(&b)
				}
			}
		})
	}
	wg.Wait()
	var b strings.Builder
	r.WriteTo(&b)
	if !strings.Contains(b.String(), "\nz 8000\n") {
		t.Errorf("gauge after 8000 additions:\n%s", b.String())
	}
	checkFormat(t, b.String())
}
