package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/report"
	"github.com/paradero/paradero/sqlite"
	"golang.org/x/net/html"
)

// syntheticStore returns the data directory of a store filled by
// `paradero demo --serve=false` (a synthetic world of 300 persons) and
// linked by `paradero link`, built once per test binary and shared: the
// tests only read it (export writes audit entries, which nothing else
// reads).
var syntheticStore = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "paradero-export-test-")
	if err != nil {
		return "", err
	}
	data := filepath.Join(dir, "data")
	for _, args := range [][]string{
		{"demo", "--data", data, "--serve=false", "--persons", "300", "--seed", "7"},
		{"link", "--data", data, "--quiet"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code != 0 {
			return "", &exitError{code: code, err: errString(args[0] + ": " + errb.String())}
		}
	}
	return data, nil
})

type errString string

func (e errString) Error() string { return string(e) }

func syntheticCLI(t *testing.T) *cli {
	t.Helper()
	data, err := syntheticStore()
	if err != nil {
		t.Fatal(err)
	}
	return &cli{t: t, data: data}
}

// dossierJSONOut is the part of the dossier JSON the tests read.
type dossierJSONOut struct {
	Format  string
	Person  int64
	Records []struct {
		ID     int64
		Source int64
		Fields map[string]string
		Proof  *ledger.Proof
	}
	Sources []struct {
		ID     int64
		SHA256 string
	}
}

func TestExportDossierHTMLProofsVerify(t *testing.T) {
	c := syntheticCLI(t)
	var d dossierJSONOut
	if err := json.Unmarshal([]byte(c.ok("export", "dossier", "record:1", "--json")), &d); err != nil {
		t.Fatal(err)
	}
	if d.Format != "paradero-dossier/1" || len(d.Records) == 0 {
		t.Fatalf("JSON dossier = format %q, %d records", d.Format, len(d.Records))
	}
	out := filepath.Join(t.TempDir(), "d.html")
	c.ok("export", "dossier", strconv.FormatInt(d.Person, 10), "--lang", "en", "--out", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// The identity table: each record's column holds each field as the
	// record has it.
	cells := make(map[string][]string) // data-field → cell texts
	var proofs []string
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch {
		case n.Data == "tr" && attr(n, "data-field") != "":
			for td := range n.ChildNodes() {
				if td.Type == html.ElementNode && td.Data == "td" {
					cells[attr(n, "data-field")] = append(cells[attr(n, "data-field")], text(td))
				}
			}
		case n.Data == "pre" && attr(n, "class") == "proof-json":
			proofs = append(proofs, text(n))
		}
	}
	for i, r := range d.Records {
		for k, v := range r.Fields {
			if !isIdentityField(k) {
				continue
			}
			if got := cells[k]; i >= len(got) || got[i] != v {
				t.Errorf("identity row %s, record %d: cells %q, want %q at %d", k, r.ID, got, v, i)
			}
		}
	}
	if len(proofs) != len(d.Records) {
		t.Fatalf("the HTML has %d proofs, want one per record (%d)", len(proofs), len(d.Records))
	}
	pub, err := os.ReadFile(filepath.Join(c.data, "ledger.pub"))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range proofs {
		p, err := ledger.ReadProof([]byte(s))
		if err != nil {
			t.Fatalf("proof %d: %v", i, err)
		}
		if _, err := ledger.VerifyProof(p, strings.TrimSpace(string(pub)), nil); err != nil {
			t.Errorf("proof %d from the HTML does not verify: %v", i, err)
		}
		if want := "id " + strconv.FormatInt(d.Records[i].ID, 10) + "\n"; !strings.Contains(p.Leaf, "kind record\n"+want) {
			t.Errorf("proof %d is of leaf %q, want record %d", i, p.Leaf, d.Records[i].ID)
		}
	}
	// And `paradero verify-proof` accepts one, with the published key.
	f := filepath.Join(t.TempDir(), "proof.json")
	if err := os.WriteFile(f, []byte(proofs[0]), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := c.ok("verify-proof", "--forget", "--key", strings.TrimSpace(string(pub)), f); !strings.HasPrefix(got, "OK:") {
		t.Errorf("verify-proof = %q", got)
	}
}

func isIdentityField(k string) bool {
	switch k {
	case "status", "facility", "place", "custodian", "event_from", "event_to", "flight", "notes":
		return false
	}
	return true
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func TestExportDossierAudited(t *testing.T) {
	c := syntheticCLI(t)
	c.ok("export", "dossier", "record:2", "--out", filepath.Join(t.TempDir(), "d.html"))
	store, err := sqlite.Open(t.Context(), c.data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	p, err := store.FindPersonOfRecord(t.Context(), 2)
	if err != nil {
		t.Fatal(err)
	}
	es, n, err := store.FindAuditEntries(t.Context(), paradero.AuditFilter{Action: "dossier.export", Object: "person:" + strconv.FormatInt(p.ID, 10)})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || es[0].ActorName == "" {
		t.Errorf("audit entries for the export = %d (%+v), want one", n, es)
	}
}

func TestExportDossierPDF(t *testing.T) {
	c := syntheticCLI(t)
	out := filepath.Join(t.TempDir(), "d.pdf")
	c.ok("export", "dossier", "record:1", "--pdf", "--out", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", b[:min(len(b), 16)])
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext (poppler-utils) is needed to read the PDF back; .ci/run installs it")
	}
	txt, err := exec.Command("pdftotext", "-enc", "UTF-8", out, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	var d dossierJSONOut
	if err := json.Unmarshal([]byte(c.ok("export", "dossier", "record:1", "--json")), &d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Expediente", "Cronología de la custodia", "Pruebas de inclusión", d.Sources[0].SHA256[:40]} {
		if !bytes.Contains(txt, []byte(want)) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
}

func TestExportDossierErrors(t *testing.T) {
	c := syntheticCLI(t)
	for _, args := range [][]string{
		{"export"}, {"export", "dossier"}, {"export", "dossier", "x"}, {"export", "dossier", "1", "--lang", "fr"},
		{"export", "dossier", "1", "--pdf", "--json"}, {"export", "nothing"},
	} {
		if code, _, _ := c.run(args...); code != 2 {
			t.Errorf("paradero %s: exit %d, want 2", strings.Join(args, " "), code)
		}
	}
	if code, _, errs := c.run("export", "dossier", "999999"); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("a missing person: exit %d, %q", code, errs)
	}
}

// TestEstimateFromStore checks the capture-pattern table the store mode
// builds against a naive count made here record by record, and that the
// estimate runs on it.
func TestEstimateFromStore(t *testing.T) {
	c := syntheticCLI(t)
	lists := []string{"roster", "ngo-report", "family-report", "manifest"}
	got := c.ok("estimate", "--print-counts", "--lists", strings.Join(lists, ","))

	store, err := sqlite.Open(t.Context(), c.data, nil)
	if err != nil {
		t.Fatal(err)
	}
	pattern := make(map[int64]int) // person → bit mask
	recs, _, err := store.FindRecords(t.Context(), paradero.RecordFilter{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		src, err := store.FindSourceByID(t.Context(), r.SourceID)
		if err != nil {
			t.Fatal(err)
		}
		p, err := store.FindPersonOfRecord(t.Context(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for j, l := range lists {
			if string(src.Kind) == l {
				pattern[p.ID] |= 1 << j
			}
		}
	}
	store.Close()
	want := make([]int, 1<<len(lists))
	for _, h := range pattern {
		want[h]++
	}
	rows, err := csv.NewReader(strings.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(lists, ",")+",count" {
		t.Fatalf("header %q", rows[0])
	}
	observed := 0
	for _, row := range rows[1:] {
		h := 0
		for j := range lists {
			if row[j] == "1" {
				h |= 1 << j
			}
		}
		n, _ := strconv.Atoi(row[len(lists)])
		if n != want[h] {
			t.Errorf("pattern %v: %d persons, want %d", row[:len(lists)], n, want[h])
		}
		observed += n
	}

	var r struct {
		Observed, Estimate float64
		Lists              []string
	}
	if err := json.Unmarshal([]byte(c.ok("estimate", "--json", "--lists", strings.Join(lists, ","))), &r); err != nil {
		t.Fatal(err)
	}
	if int(r.Observed) != observed || r.Estimate < r.Observed || len(r.Lists) != len(lists) {
		t.Errorf("estimate: observed %v (table %d), estimate %v, lists %q", r.Observed, observed, r.Estimate, r.Lists)
	}
	if code, _, errs := c.run("estimate", "--lists", "roster,nope"); code != 2 || !strings.Contains(errs, "nope") {
		t.Errorf("estimate --lists with an unknown kind: exit %d, %q", code, errs)
	}
}

func TestExportReconciliation(t *testing.T) {
	c := syntheticCLI(t)
	svg := filepath.Join(t.TempDir(), "upset.svg")
	rows, err := csv.NewReader(strings.NewReader(c.ok("export", "reconciliation", "--svg", svg))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 || rows[0][0] != "person" {
		t.Fatalf("reconciliation CSV starts %q", rows[:min(len(rows), 2)])
	}
	if b, err := os.ReadFile(svg); err != nil || !bytes.HasPrefix(b, []byte("<svg")) {
		t.Errorf("UpSet chart: %v, %q", err, b[:min(len(b), 20)])
	}
	// Roster (source 1) and the return manifest: everyone unaccounted for
	// is on the roster, not on the manifest, and last seen before it.
	var manifest string
	for i, h := range rows[0] {
		if strings.Contains(h, " manifest ") {
			manifest = strings.Fields(rows[0][i])[0]
		}
	}
	un, err := csv.NewReader(strings.NewReader(c.ok("export", "reconciliation", "--on", "1", "--absent", manifest))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range un[1:] {
		if !strings.Contains(" "+row[3]+" ", " 1 ") || strings.Contains(" "+row[3]+" ", " "+manifest+" ") || row[2] >= "2025-07-18" {
			t.Errorf("unaccounted row %q: want on source 1, not on %s, last seen before 2025-07-18", row, manifest)
		}
	}
}

func TestExportFlows(t *testing.T) {
	c := syntheticCLI(t)
	out := c.ok("export", "flows", "--lang", "en")
	if !strings.HasPrefix(out, "<svg") || !strings.Contains(out, "removal flight") || !strings.HasSuffix(out, "</svg>") {
		t.Errorf("export flows wrote %.80q…", out)
	}
}

func TestExportAggregateReport(t *testing.T) {
	c := syntheticCLI(t)
	out := c.ok("export", "report", "--lang", "en", "--lists", "roster,ngo-report,family-report,manifest", "--on", "1", "--absent", "10")
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	sections := make(map[string]bool)
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "section" {
			sections[attr(n, "id")] = true
		}
	}
	for _, id := range []string{"counts", "reconciliation", "estimate", "flows", "status"} {
		if !sections[id] {
			t.Errorf("the aggregate report has no section %q", id)
		}
	}
	// It names nobody: no record's name is in it.
	store, err := sqlite.Open(t.Context(), c.data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	recs, _, err := store.FindRecords(t.Context(), paradero.RecordFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if n := r.DisplayName(); len(n) > 8 && strings.Contains(out, html.EscapeString(n)) {
			t.Errorf("the aggregate report names record %d", r.ID)
		}
	}
}

// The embedded store serves reports and dossiers.
var _ report.Store = (*sqlite.DB)(nil)
