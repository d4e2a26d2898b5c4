package report

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/timeline"
)

// testAggregate is a small report: five sources of four kinds, persons on
// every combination of roster, manifest and family report, flows through
// CECOT, and an estimate summary as cmd/paradero fills it.
func testAggregate(lang string) *Aggregate {
	sources := []*paradero.Source{
		{ID: 1, Kind: paradero.KindRoster, Title: "Lista filtrada de deportados a El Salvador", Published: date("2025-03-20"), Records: 61},
		{ID: 2, Kind: paradero.KindLocatorSnapshot, Title: "Localizador, 21 de abril", Published: date("2025-04-21"), Records: 9},
		{ID: 3, Kind: paradero.KindLocatorSnapshot, Title: "Localizador, 25 de julio", Published: date("2025-07-25"), Records: 7},
		{ID: 4, Kind: paradero.KindManifest, Title: "Pasajeros del vuelo de retorno a Maiquetía", Published: date("2025-07-18"), Records: 47},
		{ID: 5, Kind: paradero.KindFamilyReport, Title: "Informes de familias", Published: date("2025-08"), Records: 30},
	}
	for i, s := range sources {
		s.SHA256[0], s.SHA256[31] = byte(0xa0+i), 0x5e
	}
	// Persons on each pattern of sources: 30 on the roster and the
	// manifest, 20 on the roster alone, 9 on the roster and a locator…
	patterns := []struct {
		on []int64
		n  int
	}{{[]int64{1, 4}, 30}, {[]int64{1}, 20}, {[]int64{1, 2}, 9}, {[]int64{4}, 12}, {[]int64{1, 4, 5}, 2},
		{[]int64{5}, 25}, {[]int64{4, 5}, 3}, {[]int64{2, 3}, 7}}
	var ms []Membership
	id := int64(0)
	for _, p := range patterns {
		for range p.n {
			id++
			ms = append(ms, Membership{PersonID: id, Name: fmt.Sprintf("Persona Secreta %d", id), Records: []int64{id}, Sources: p.on})
		}
	}
	rec := Reconcile(sources, ms)

	flown := func(foreign string, st paradero.PersonStatus) *timeline.Timeline {
		return &timeline.Timeline{Status: st, Events: []paradero.Event{
			ev(paradero.EventHeld, "2025-03-01", "El Valle", ""), ev(paradero.EventRemovalFlight, "2025-03-15", "", "HRL-SAL 1"),
			ev(paradero.EventForeignCustody, "2025-03-16", foreign, "")}}
	}
	var ts []*timeline.Timeline
	for i := range 41 {
		st := paradero.StatusWhereaboutsUnknown
		if i < 32 {
			st = paradero.StatusReturned
		}
		ts = append(ts, flown("Centro de Confinamiento del Terrorismo", st))
	}
	ts = append(ts, &timeline.Timeline{Status: paradero.StatusAtLiberty})

	roster := sources[0]
	held := &paradero.Record{ID: 1, SourceID: 1, Facility: "CECOT", Status: "detenido", EventDate: paradero.DateRange{From: date("2025-03-16")}}
	back := &paradero.Record{ID: 2, SourceID: 4, Status: "repatriado", Place: "Maiquetía", EventDate: paradero.DateRange{From: date("2025-07-18")}}
	status := StatusOverTime([][]timeline.Mention{{{Record: held, Source: roster}, {Record: back, Source: sources[3]}}, {{Record: held, Source: roster}}},
		time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), lang, timeline.Options{})

	warning, method := "1 of the 7 combinations of lists have nobody.", "Multiple systems estimation (test)."
	if lang == "es" {
		warning, method = "1 de las 7 combinaciones de listas no tienen a nadie.", "Estimación por sistemas múltiples (prueba)."
	}
	a := &Aggregate{Lang: lang, Generated: time.Date(2025, 11, 1, 9, 30, 0, 0, time.UTC),
		CheckpointSize: 4210, CheckpointHash: strings.Repeat("3d", 32), Records: 154,
		Reconciliation: rec, Lists: rec.GroupByKind(lang), ByStatus: CountStatuses(ts),
		Unaccounted: &UnaccountedCount{On: "1 roster (2025-03-20)", Absent: "4 manifest (2025-07-18)", Count: 29},
		Estimate: &EstimateSummary{Lists: []string{"roster", "locator-snapshot", "manifest", "family-report"}, Observed: 108,
			Total: 1234.4, Lower: 1100.2, Upper: 1400.7, Model: "[13,4] (roster*manifest + family-report)", Method: method,
			Warnings: []string{warning}, Criterion: "BIC", Considered: 113, Excluded: 5,
			Models: []ModelSummary{{Name: "[13,4]", Label: "roster*manifest + family-report", Params: 6, DF: 9, Deviance: 12.345, AIC: 60.5, BIC: 75.25, Total: 1234.4},
				{Name: "[1,2,3,4]", Label: "roster + locator-snapshot + manifest + family-report", Params: 5, DF: 10, Deviance: 30.5, AIC: 76.75, BIC: 89.5, Total: 987.6}}},
		Flows:  Flows(ts, FlowOptions{Lang: lang}),
		Status: status,
	}
	return a
}

// pdfText returns the text of a PDF as pdftotext reads it.
func pdfText(t testing.TB, b []byte) string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext (poppler-utils) is needed to read the PDF back; .ci/run installs it")
	}
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext cannot read the PDF: %v", err)
	}
	return string(out)
}

func TestAggregatePDF(t *testing.T) {
	for _, tt := range []struct {
		lang string
		want []string
	}{
		{"es", []string{"Paradero — informe agregado", "Generado: 2025-11-01 09:30 UTC",
			"Punto de control firmado: tamaño del árbol 4210", "hash raíz " + strings.Repeat("3d", 32),
			"Qué contienen las fuentes", "Por tipo de fuente", "Por situación", "PARADERO DESCONOCIDO", "retornado",
			"Quién está en qué fuente", "roster + manifest",
			"locator-snapshot (2 fuentes)", "29 personas siguen sin ser ubicadas",
			"Cuántas personas no nombra ninguna lista", "1234", "1100 – 1401", "roster*manifest + family-report",
			"Elegido por", "113 (5 excluidos: su estimación no existe)", "Los mejores modelos según BIC", "12.35", "75.25",
			"Estimación por sistemas múltiples (prueba).", "Lo que el método encontró en los datos",
			"1 de las 7 combinaciones de listas no tienen a nadie.",
			"Flujos entre custodios y lugares", "vuelo de deportación", "Centro de Confinamiento",
			"Situación a lo largo del tiempo", "2025-07", "Pasajeros del vuelo de retorno a Maiquetía"}},
		{"en", []string{"Paradero — aggregate report", "Generated: 2025-11-01 09:30 UTC",
			"Signed checkpoint: tree size 4210", "root hash " + strings.Repeat("3d", 32),
			"What the sources hold", "By kind of source", "By status", "WHEREABOUTS UNKNOWN", "returned",
			"Who is on which source", "roster + manifest",
			"29 persons are still unaccounted for",
			"How many people no list names", "1234", "1100 – 1401", "roster*manifest + family-report",
			"Chosen by", "113 (5 left out: their estimate does not exist)", "The best models by BIC", "12.35", "75.25",
			"Multiple systems estimation (test).", "What the method found in the data",
			"Flows between custodians and places", "removal flight", "Centro de Confinamiento",
			"Status over time", "Pasajeros del vuelo de retorno a Maiquetía"}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			a := testAggregate(tt.lang)
			var b bytes.Buffer
			if err := a.WritePDF(&b); err != nil {
				t.Fatal(err)
			}
			// pdftotext ends lines where the PDF wraps them; the checks
			// read the text as one line.
			txt := strings.Join(strings.Fields(pdfText(t, b.Bytes())), " ")
			for _, want := range tt.want {
				if !strings.Contains(txt, want) {
					t.Errorf("the %s PDF's text lacks %q", tt.lang, want)
				}
			}
			// Counts by kind: the row of locator snapshots (2 sources, 16
			// records, 16 persons: 9 with the roster and 7 on both).
			if !strings.Contains(txt, "locator-snapshot 2 16 16") {
				t.Errorf("the %s PDF lacks the locator-snapshot row of counts by kind", tt.lang)
			}
			// Small cells are shown as they are, as in the HTML: the report
			// is for documenters, not the public (web.SmallCell is for /stats).
			if !strings.Contains(txt, "roster + manifest + family-report 3 2") {
				t.Errorf("the %s PDF suppresses the combination of 2 persons", tt.lang)
			}
			if tt.lang == "es" {
				for _, english := range []string{"persons", "smaller combinations", "Persons on"} {
					if strings.Contains(txt, english) {
						t.Errorf("the Spanish PDF says %q", english)
					}
				}
			}
			for _, m := range a.Reconciliation.Persons {
				if strings.Contains(txt, m.Name) {
					t.Fatalf("the aggregate PDF names %q", m.Name)
				}
			}
		})
	}
}

// TestAggregatePDFDeterministic: the same report gives the same bytes, so
// a published PDF can be made again and compared.
func TestAggregatePDFDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := testAggregate("es").WritePDF(&a); err != nil {
		t.Fatal(err)
	}
	if err := testAggregate("es").WritePDF(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("two PDFs of the same report differ (%d and %d bytes)", a.Len(), b.Len())
	}
}

// TestAggregatePDFChartsAreVectors: the charts are drawn, not pasted as
// images: the PDF holds no image, and the charts' words and figures are
// text in it.
func TestAggregatePDFChartsAreVectors(t *testing.T) {
	var b bytes.Buffer
	if err := testAggregate("en").WritePDF(&b); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("pdfimages"); err != nil {
		t.Fatal("pdfimages (poppler-utils) is needed; .ci/run installs it")
	}
	f := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(f, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdfimages", "-list", f).Output()
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) > 2 { // the list's header
		t.Errorf("the PDF holds images:\n%s", out)
	}
	txt := strings.Join(strings.Fields(pdfText(t, b.Bytes())), " ")
	// From the UpSet chart, the flow chart and the status chart's legend.
	for _, want := range []string{"1 roster (1 source)", "4 family-report (1 source)", "held in", "foreign custody",
		"HRL-SAL 1 (41)", "WHEREABOUTS UNKNOWN (9)", "detained (known place)"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the charts lack %q", want)
		}
	}
}

func TestParseSVG(t *testing.T) {
	a := testAggregate("en")
	for name, b := range map[string][]byte{
		"upset": a.lists().UpSetSVG(UpSetOptions{}), "flows": a.Flows.SVG(720), "status": a.Status.SVG(680),
	} {
		c, err := parseSVG(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := make(map[string]int)
		for _, e := range c.elems {
			got[e.name]++
			if e.name == "text" && strings.Contains(e.text, "<") {
				t.Errorf("%s: text %q is not unescaped", name, e.text)
			}
		}
		want := wellFormed(t, b)
		for _, el := range []string{"rect", "circle", "line", "text", "path"} {
			if got[el] != want[el] {
				t.Errorf("%s: %d %s elements read, the SVG has %d", name, got[el], el, want[el])
			}
		}
	}
	if _, err := parseSVG([]byte("<svg>")); err == nil {
		t.Error("a truncated chart was read")
	}
}

// TestPathPoints checks the flattening of a path against the curve's own
// formula: every point of a straight "curve" lies on its line, and the
// corners are where the path puts them.
func TestPathPoints(t *testing.T) {
	pts := pathPoints("M0 0C10 0 20 0 30 0L30 10C20 10 10 10 0 10Z", 100, 200, 2)
	if len(pts) != 1+24+1+24 {
		t.Fatalf("%d points, want 50", len(pts))
	}
	if pts[0].X != 100 || pts[0].Y != 200 || pts[24].X != 160 || pts[25].Y != 220 || pts[49].X != 100 {
		t.Errorf("corners = %v %v %v %v, want (100,200) (160,200) (160,220) (100,220)", pts[0], pts[24], pts[25], pts[49])
	}
	for i, p := range pts[1:24] {
		if p.Y != 200 || p.X <= pts[i].X {
			t.Errorf("point %d = %v: off the straight curve or not advancing", i+1, p)
		}
	}
	if got := pathPoints("M1e1 -2.5L3 4", 0, 0, 1); len(got) != 2 || got[0].X != 10 || got[0].Y != -2.5 {
		t.Errorf("exponent and sign: %v", got)
	}
}

// TestGroupByKind: the lists the chart draws are those the estimate
// counts — PatternCounts(true) — combination by combination.
func TestGroupByKind(t *testing.T) {
	a := testAggregate("en")
	g := a.Reconciliation.GroupByKind("en")
	names, counts := a.Reconciliation.PatternCounts(true)
	if len(g.Sources) != len(names) {
		t.Fatalf("%d lists, want %d", len(g.Sources), len(names))
	}
	for j, s := range g.Sources {
		if string(s.Kind) != names[j] || s.ID != int64(j+1) {
			t.Errorf("list %d = %d %s, want %d %s", j, s.ID, s.Kind, j+1, names[j])
		}
	}
	if g.Sources[1].Title != "(2 sources)" || g.Sources[0].Title != "(1 source)" {
		t.Errorf("titles %q, %q", g.Sources[0].Title, g.Sources[1].Title)
	}
	total := 0
	for _, x := range g.Intersections {
		h := 0
		for _, j := range x.Sources {
			h |= 1 << j
		}
		if float64(x.Count) != counts[h] {
			t.Errorf("combination %v: %d persons, PatternCounts has %g", x.Sources, x.Count, counts[h])
		}
		total += x.Count
	}
	if total != len(a.Reconciliation.Persons) {
		t.Errorf("the combinations hold %d persons, want %d", total, len(a.Reconciliation.Persons))
	}
}

func TestKindAndStatusCounts(t *testing.T) {
	a := testAggregate("en")
	got := a.KindCounts()
	want := []KindCount{{paradero.KindRoster, 1, 61, 61}, {paradero.KindLocatorSnapshot, 2, 16, 16},
		{paradero.KindFamilyReport, 1, 30, 30}, {paradero.KindManifest, 1, 47, 47}}
	if !slices.Equal(got, want) {
		t.Errorf("KindCounts = %v, want %v", got, want)
	}
	st := a.ByStatus
	wantSt := []StatusCount{{paradero.StatusWhereaboutsUnknown, 9}, {paradero.StatusReturned, 32}, {paradero.StatusAtLiberty, 1}}
	if !slices.Equal(st, wantSt) {
		t.Errorf("CountStatuses = %v, want %v", st, wantSt)
	}
}

func TestAggregateHTMLSections(t *testing.T) {
	a := testAggregate("es")
	var b bytes.Buffer
	if err := a.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{`id="by-kind"`, `id="by-status"`, `id="combinations"`, `id="models"`, `id="warnings"`,
		"113 (5 excluidos: su estimación no existe)", "1234", "1100 – 1401", "hash raíz " + strings.Repeat("3d", 32),
		"Personas en cada combinación de listas"} {
		if !strings.Contains(s, want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
	// No model: the total and interval say so instead of printing NaN.
	a.Estimate.Total, a.Estimate.Lower, a.Estimate.Upper = math.NaN(), math.NaN(), math.NaN()
	b.Reset()
	if err := a.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "NaN") {
		t.Error("the HTML report prints NaN")
	}
}

// BenchmarkAggregatePDF lays out the small test report; the demo world's
// figure is BenchmarkExportReportPDF in cmd/paradero.
func BenchmarkAggregatePDF(b *testing.B) {
	a := testAggregate("es")
	for b.Loop() {
		if err := a.WritePDF(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAggregatePDFMinimal: an empty store and a report without estimate or
// charts still make a PDF.
func TestAggregatePDFMinimal(t *testing.T) {
	a := &Aggregate{Lang: "en", Generated: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), Reconciliation: Reconcile(nil, nil),
		Estimate: &EstimateSummary{Total: math.NaN(), Lower: math.NaN(), Upper: math.NaN(), Warnings: []string{"No model gives an estimate."}}}
	var b bytes.Buffer
	if err := a.WritePDF(&b); err != nil {
		t.Fatal(err)
	}
	txt := strings.Join(strings.Fields(pdfText(t, b.Bytes())), " ")
	if !strings.Contains(txt, "Estimated total —") || strings.Contains(txt, "NaN") {
		t.Errorf("a report without estimate reads %q", txt)
	}
}
