package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/sqlite"
)

// pdfWords returns the text of a PDF file as pdftotext reads it, its
// whitespace collapsed (pdftotext ends lines where the PDF wraps them).
func pdfWords(t testing.TB, b []byte) string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %.40q", b)
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
	return strings.Join(strings.Fields(string(out)), " ")
}

// TestExportAggregateReportPDF: `export report --pdf` writes a PDF whose
// figures are the store's: the checkpoint `paradero checkpoint` prints,
// the persons `paradero status` counts, and the estimate `paradero
// estimate` makes with the same lists — in Spanish and in English, naming
// nobody.
func TestExportAggregateReportPDF(t *testing.T) {
	c := syntheticCLI(t)
	lists := "roster,ngo-report,family-report,manifest"
	var est struct {
		Estimate float64
		Interval struct{ Lower, Upper float64 }
		Models   []json.RawMessage
	}
	if err := json.Unmarshal([]byte(c.ok("estimate", "--lists", lists, "--json")), &est); err != nil {
		t.Fatal(err)
	}
	var st struct{ Persons int }
	if err := json.Unmarshal([]byte(c.ok("status", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	note := strings.Split(c.ok("checkpoint"), "\n")
	root, err := base64.StdEncoding.DecodeString(note[2])
	if err != nil {
		t.Fatalf("checkpoint %q: %v", note, err)
	}
	figures := []string{
		hex.EncodeToString(root),
		strconv.Itoa(st.Persons),
		strconv.FormatFloat(math.Round(est.Estimate), 'f', 0, 64),
		strconv.FormatFloat(math.Round(est.Interval.Lower), 'f', 0, 64) + " – " + strconv.FormatFloat(math.Round(est.Interval.Upper), 'f', 0, 64),
		strconv.Itoa(len(est.Models)),
	}
	for _, tt := range []struct {
		lang  string
		words []string
	}{
		{"es", []string{"Paradero — informe agregado", "Qué contienen las fuentes", "Por situación", "Quién está en qué fuente",
			"Cuántas personas no nombra ninguna lista", "Estimación por sistemas múltiples", "Los mejores modelos según BIC",
			"Lo que el método encontró en los datos", "Flujos entre custodios y lugares", "Situación a lo largo del tiempo",
			"personas siguen sin ser ubicadas", "tamaño del árbol " + note[1]}},
		{"en", []string{"Paradero — aggregate report", "What the sources hold", "By status", "Who is on which source",
			"How many people no list names", "Multiple systems estimation", "The best models by BIC",
			"What the method found in the data", "Flows between custodians and places", "Status over time",
			"persons are still unaccounted for", "tree size " + note[1]}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "report.pdf")
			c.ok("export", "report", "--pdf", "--lang", tt.lang, "--lists", lists, "--on", "1", "--absent", "10", "--out", out)
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			txt := pdfWords(t, b)
			for _, want := range append(tt.words, figures...) {
				if !strings.Contains(txt, want) {
					t.Errorf("the %s report lacks %q", tt.lang, want)
				}
			}
			// It names nobody.
			store, err := sqlite.Open(t.Context(), c.data, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			recs, _, err := store.FindRecords(t.Context(), paradero.RecordFilter{Limit: 300})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if n := r.DisplayName(); len(n) > 8 && strings.Contains(txt, n) {
					t.Errorf("the aggregate PDF names record %d", r.ID)
				}
			}
		})
	}
	if code, _, errs := c.run("export", "report", "--json"); code == 0 || !strings.Contains(errs, "not JSON") {
		t.Errorf("export report --json: exit %d, %q; want a usage error", code, errs)
	}
}

// BenchmarkExportReportPDF measures the aggregate PDF on the demo world
// (`paradero demo`: 3,000 persons, seed 2025, its ten sources and the
// simulated locator's answers): "layout" writes the PDF from the gathered
// report; "command" is `export report --pdf` whole — reading the store,
// fitting every model of the estimate, laying out.
func BenchmarkExportReportPDF(b *testing.B) {
	ctx := context.Background()
	data := filepath.Join(b.TempDir(), "data")
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"demo", "--data", data, "--serve=false"}, strings.NewReader(""), &out, &errb); code != 0 {
		b.Fatalf("demo: %s", errb.String())
	}
	g := &globals{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		getenv: func(string) string { return "" }, dataDir: data}
	if err := g.open(ctx); err != nil {
		b.Fatal(err)
	}
	defer g.close()
	c := &exportCommand{g: g}
	a, err := c.buildAggregate(cliContext(ctx), time.Now(), "es", true, "", 1, 10)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("layout", func(b *testing.B) {
		var n int
		for b.Loop() {
			var buf bytes.Buffer
			if err := a.WritePDF(&buf); err != nil {
				b.Fatal(err)
			}
			n = buf.Len()
		}
		b.ReportMetric(float64(n), "bytes")
	})
	b.Run("command", func(b *testing.B) {
		for b.Loop() {
			var buf bytes.Buffer
			if err := c.aggregate(ctx, &buf, "es", true, true, "", 1, 10); err != nil {
				b.Fatal(err)
			}
		}
	})
}
