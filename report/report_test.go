package report

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io"
	"math"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/timeline"
)

func date(s string) paradero.PartialDate {
	d, err := paradero.ParsePartialDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// world: an outbound roster (1), a locator snapshot (2), a return manifest
// (3) and a later family report (4).
func world() ([]*paradero.Source, []Membership) {
	sources := []*paradero.Source{
		{ID: 1, Kind: paradero.KindRoster, Title: "=outbound", Published: date("2025-03-20")},
		{ID: 2, Kind: paradero.KindLocatorSnapshot, Published: date("2025-04-21")},
		{ID: 3, Kind: paradero.KindManifest, Published: date("2025-07-18")},
		{ID: 4, Kind: paradero.KindFamilyReport, Published: date("2025-08")},
	}
	persons := []Membership{
		{PersonID: 1, Name: "José Pérez", Records: []int64{1, 5}, Sources: []int64{1, 3}},       // came back
		{PersonID: 2, Name: "=HYPERLINK(\"x\")", Records: []int64{2}, Sources: []int64{1}},      // unaccounted
		{PersonID: 3, Name: "+Ana", Records: []int64{3, 6}, Sources: []int64{1, 2}},             // unaccounted, seen in April
		{PersonID: 4, Name: "@Luis", Records: []int64{4, 7}, Sources: []int64{1, 4}},            // seen in August: accounted for
		{PersonID: 0, Name: "-Marta", Records: []int64{8}, Sources: []int64{2}},                 // not linked yet
		{PersonID: 5, Name: "Nadie", Records: []int64{9}, Sources: []int64{99}},                 // on no reconciled source
		{PersonID: 6, Name: "Pedro Gómez", Records: []int64{10, 11}, Sources: []int64{1, 2, 3}}, // everywhere but 4
	}
	return sources, persons
}

func TestReconcile(t *testing.T) {
	r := Reconcile(world())
	if len(r.Persons) != 6 {
		t.Errorf("Reconcile kept %d persons, want 6 (person 5 is on no source given)", len(r.Persons))
	}
	if want := []int{5, 3, 2, 1}; !slices.Equal(r.Sizes, want) {
		t.Errorf("Sizes = %v, want %v", r.Sizes, want)
	}
	var got []string
	for _, x := range r.Intersections {
		got = append(got, fmtInts(x.Sources)+":"+strconv.Itoa(x.Count))
	}
	want := []string{"0:1", "1:1", "0,1:1", "0,2:1", "0,3:1", "0,1,2:1"}
	if !slices.Equal(got, want) {
		t.Errorf("Intersections = %v, want %v", got, want)
	}
	ids := func(ms []Membership) (out []int64) {
		for _, m := range ms {
			out = append(out, m.PersonID)
		}
		return out
	}
	if got, want := ids(r.Missing(1, 3)), []int64{2, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("Missing(roster, manifest) = %v, want %v", got, want)
	}
	var un []int64
	for _, u := range r.Unaccounted(1, 3) {
		un = append(un, u.PersonID)
		if u.PersonID == 3 && u.LastSeen != date("2025-04-21") {
			t.Errorf("person 3 LastSeen = %v, want 2025-04-21", u.LastSeen)
		}
	}
	if want := []int64{2, 3}; !slices.Equal(un, want) {
		t.Errorf("Unaccounted(roster, manifest) = %v, want %v (person 4 has a later record)", un, want)
	}
}

func fmtInts(xs []int) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(x))
	}
	return b.String()
}

func TestPatternCounts(t *testing.T) {
	r := Reconcile(world())
	lists, counts := r.PatternCounts(false)
	if len(lists) != 4 || counts[0] != 0 || counts[0b0001] != 1 || counts[0b0111] != 1 || counts[0b0011] != 1 {
		t.Errorf("PatternCounts(by source) = %q %v", lists, counts)
	}
	var sum float64
	for _, c := range counts {
		sum += c
	}
	if sum != float64(len(r.Persons)) {
		t.Errorf("counts add up to %v, want %d persons", sum, len(r.Persons))
	}
	// Two locator snapshots make one list by kind.
	src, ps := world()
	src = append(src, &paradero.Source{ID: 5, Kind: paradero.KindLocatorSnapshot})
	ps = append(ps, Membership{PersonID: 9, Sources: []int64{2, 5}})
	lists, counts = Reconcile(src, ps).PatternCounts(true)
	if !slices.Equal(lists, []string{"roster", "locator-snapshot", "manifest", "family-report"}) || counts[0b0010] != 2 {
		t.Errorf("PatternCounts(by kind) = %q %v", lists, counts)
	}
}

func TestComparePartial(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"2025", "2025-01", -1}, {"2025-01", "2025-01-01", -1}, {"2025-03-20", "2025-04", -1},
		{"2025-07-18", "2025-07-18", 0}, {"", "1990", -1}, {"2026", "2025-12-31", 1},
	} {
		var a, b paradero.PartialDate
		if c.a != "" {
			a = date(c.a)
		}
		b = date(c.b)
		if got := ComparePartial(a, b); got != c.want {
			t.Errorf("ComparePartial(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestSafeCell(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"José", "José"}, {"", ""}, {"=1+2", "'=1+2"}, {"+34 600", "'+34 600"}, {"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"}, {"\t=x", "'\t=x"}, {"\r=x", "'\r=x"}, {"＝1+2", "'＝1+2"},
		{"a=b", "a=b"}, {"Pérez-Gómez", "Pérez-Gómez"},
	} {
		if got := SafeCell(c.in); got != c.want {
			t.Errorf("SafeCell(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestCSVNeutralisesFormulas reads the exports back as a spreadsheet would
// and checks that no text cell starts with a formula sign.
func TestCSVNeutralisesFormulas(t *testing.T) {
	r := Reconcile(world())
	var a, b, c bytes.Buffer
	if err := r.WriteCSV(&a); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteIntersectionsCSV(&b); err != nil {
		t.Fatal(err)
	}
	if err := WriteUnaccountedCSV(&c, r.Unaccounted(1, 3)); err != nil {
		t.Fatal(err)
	}
	whole := a.String()
	for name, buf := range map[string]*bytes.Buffer{"reconciliation": &a, "intersections": &b, "unaccounted": &c} {
		rows, err := csv.NewReader(buf).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		found := false
		for _, row := range rows {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s: cell %q starts with a formula sign", name, cell)
				}
				found = found || strings.HasPrefix(cell, "'=")
			}
		}
		if name != "intersections" && !found {
			t.Errorf("%s: no neutralised cell, but the data has formulas", name)
		}
	}
	if !strings.Contains(whole, `'=HYPERLINK(""x"")`) {
		t.Errorf("the formula name is not kept, quoted, as text:\n%s", whole)
	}
}

// wellFormed checks that b is one well-formed XML document and returns how
// many elements of each name it holds.
func wellFormed(t *testing.T, b []byte) map[string]int {
	t.Helper()
	n := make(map[string]int)
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, b)
		}
		if se, ok := tok.(xml.StartElement); ok {
			n[se.Name.Local]++
		}
	}
}

func TestUpSetSVG(t *testing.T) {
	src, ps := world()
	src[1].Title = `<script>alert(1)</script> & "more"`
	r := Reconcile(src, ps)
	b := r.UpSetSVG(UpSetOptions{})
	n := wellFormed(t, b)
	if n["script"] != 0 {
		t.Errorf("a source title became a script element")
	}
	// A bar per intersection and one per source's size, plus the stripes.
	if want := len(r.Intersections) + len(r.Sources) + (len(r.Sources)+1)/2; n["rect"] != want {
		t.Errorf("%d rects, want %d", n["rect"], want)
	}
	if want := len(r.Intersections) * len(r.Sources); n["circle"] != want {
		t.Errorf("%d dots, want %d", n["circle"], want)
	}
	small := r.UpSetSVG(UpSetOptions{MaxBars: 2})
	if !bytes.Contains(small, []byte("+ 4 persons in 4 smaller combinations")) {
		t.Errorf("a truncated chart does not say what it left out")
	}
}

// testDossier is a person flown out and never seen again, with a record in
// Spanish and one redacted.
func testDossier(lang string) *Dossier {
	src := []*paradero.Source{
		{ID: 1, Kind: paradero.KindRoster, Title: "Lista filtrada", Published: date("2025-03-20"), Filename: "lista.csv"},
		{ID: 2, Kind: paradero.KindCourtFiling, Title: "Hábeas corpus", Published: date("2025-04-18"), Filename: "habeas.csv"},
	}
	src[0].SHA256[0], src[1].SHA256[0] = 0xab, 0xcd
	recs := []*paradero.Record{
		{ID: 10, SourceID: 1, Row: 2, GivenNames: "José Luis", Surnames: "Pérez Gómez", Facility: "El Valle Detention Facility",
			EventDate: paradero.DateRange{From: date("2025-03-14")}, Status: "detenido", LedgerIndex: 11},
		{ID: 20, SourceID: 2, Row: 5, FullName: "PEREZ GOMEZ, JOSE LUIS", ANumber: "A123456789", Status: "removed", Flight: "HRL-SAL 1",
			Facility: "CECOT", EventDate: paradero.DateRange{From: date("2025-03-15")}, LedgerIndex: 21},
		{ID: 30, SourceID: 2, Row: 6, Redaction: &paradero.Redaction{ID: 1}, LedgerIndex: 31},
		{ID: 40, SourceID: 2, Row: 7, FullName: "José Luis Pérez", Status: "habeas petition filed", Custodian: "Corte Suprema de Justicia",
			EventDate: paradero.DateRange{From: date("2025-04-10")}, LedgerIndex: 41},
	}
	d := &Dossier{Lang: lang, PersonID: 7, Generated: time.Date(2025, 11, 1, 12, 0, 0, 0, time.UTC), Sources: src,
		Checkpoint: "paradero/test\n42\nAAAA\n\n— paradero/test sig\n"}
	var ms []timeline.Mention
	for _, r := range recs {
		s := src[r.SourceID-1]
		d.Records = append(d.Records, DossierRecord{Record: r, Source: s, Proof: &ledger.Proof{Format: ledger.ProofFormat,
			Index: r.LedgerIndex, TreeSize: 42, Leaf: "paradero-leaf/1\nkind record\n", Inclusion: []string{strings.Repeat("0", 64)}}})
		ms = append(ms, timeline.Mention{Record: r, Source: s})
	}
	d.Timeline = timeline.Build(ms, nil, timeline.Options{Now: d.Generated})
	return d
}

func TestDossierHTML(t *testing.T) {
	for _, lang := range []string{"es", "en"} {
		d := testDossier(lang)
		var b bytes.Buffer
		if err := d.WriteHTML(&b); err != nil {
			t.Fatal(err)
		}
		// The SVG namespace is a name, not a fetch.
		s := strings.ReplaceAll(b.String(), `xmlns="http://www.w3.org/2000/svg"`, "")
		for _, want := range []string{"José Luis", "Pérez Gómez", "PEREZ GOMEZ, JOSE LUIS", "A123456789", "HRL-SAL 1",
			`class="proof-json" data-record="20"`, "<svg", labelsFor(lang).Verify, labelsFor(lang).Statuses[d.Timeline.Status],
			labelsFor(lang).FactKinds[paradero.FactHabeasPetition], labelsFor(lang).RedactedNote} {
			if !strings.Contains(s, htmlEsc(want)) {
				t.Errorf("%s: the HTML lacks %q", lang, want)
			}
		}
		for _, bad := range []string{"<script", "http://", "https://"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s: the HTML is not self-contained: it has %q", lang, bad)
			}
		}
	}
}

func htmlEsc(s string) string {
	if strings.HasPrefix(s, "class=") || s == "<svg" {
		return s
	}
	return esc(s)
}

func TestTimelineSVG(t *testing.T) {
	d := testDossier("es")
	n := wellFormed(t, TimelineSVG(d.Timeline, "es", 900))
	if n["circle"] != len(d.Timeline.Events) {
		t.Errorf("%d marks, want one per event (%d)", n["circle"], len(d.Timeline.Events))
	}
	wellFormed(t, TimelineSVG(&timeline.Timeline{}, "en", 600))
}

func TestDossierPDF(t *testing.T) {
	d := testDossier("es")
	var b bytes.Buffer
	if err := d.WritePDF(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext (poppler-utils) is needed to read the PDF back; .ci/run installs it")
	}
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = &b
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	txt := string(out)
	for _, want := range []string{"Expediente — Persona 7", "José Luis", "Pérez Gómez", "Cronología de la custodia",
		"Hábeas corpus", "Cómo verificar estas pruebas sin Paradero", "hábeas corpus", "A123456789"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
}

// BenchmarkDossierPDF: a person's dossier PDF must take under 1 s.
func BenchmarkDossierPDF(b *testing.B) {
	d := testDossier("es")
	for b.Loop() {
		if err := d.WritePDF(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDossierHTML(b *testing.B) {
	d := testDossier("es")
	for b.Loop() {
		if err := d.WriteHTML(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func ev(kind paradero.EventKind, day, facility, flight string) paradero.Event {
	return paradero.Event{Kind: kind, Date: paradero.DateRange{From: date(day)}, Facility: facility, Flight: flight}
}

func TestFlows(t *testing.T) {
	flown := func(us, flight, foreign string) *timeline.Timeline {
		return &timeline.Timeline{Status: paradero.StatusDetained, Events: []paradero.Event{
			ev(paradero.EventHeld, "2025-03-01", us, ""), ev(paradero.EventRemovalFlight, "2025-03-15", "", flight),
			ev(paradero.EventForeignCustody, "2025-03-16", foreign, "")}}
	}
	ts := []*timeline.Timeline{
		flown("El Valle", "HRL-SAL 1", "CECOT"), flown("El Valle", "HRL-SAL 1", "CECOT"), flown("Port Isabel", "HRL-SAL 2", "CECOT"),
		{Status: paradero.StatusWhereaboutsUnknown, Events: []paradero.Event{ev(paradero.EventHeld, "2025-03-01", "Otero", "")}},
		{Status: paradero.StatusAtLiberty}, // reaches one stage only: not drawn
	}
	c := Flows(ts, FlowOptions{Lang: "en", MaxNodes: 1})
	if c.Persons != 4 {
		t.Errorf("Persons = %d, want 4", c.Persons)
	}
	got := make(map[string]int)
	for _, l := range c.Links {
		got[c.Nodes[l.From].Name+" → "+c.Nodes[l.To].Name] = l.Value
	}
	want := map[string]int{
		"El Valle → HRL-SAL 1": 2, "other → HRL-SAL 2": 1, "HRL-SAL 1 → CECOT": 2, "HRL-SAL 2 → CECOT": 1,
		"CECOT → detained (known place)": 3, "other → WHEREABOUTS UNKNOWN": 1,
	}
	if len(got) != len(want) {
		t.Errorf("links = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("link %s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	// Every person drawn ends in the last column.
	last := 0
	for _, n := range c.Nodes {
		if n.Stage == len(c.Stages)-1 {
			last += n.Value
		}
	}
	if last != c.Persons {
		t.Errorf("the last column holds %d persons, want %d", last, c.Persons)
	}
	n := wellFormed(t, c.SVG(900))
	if n["path"] != len(c.Links) || n["rect"] != len(c.Nodes) {
		t.Errorf("SVG has %d bands and %d nodes, want %d and %d", n["path"], n["rect"], len(c.Links), len(c.Nodes))
	}
}

func TestStatusOverTime(t *testing.T) {
	roster := &paradero.Source{ID: 1, Kind: paradero.KindRoster, Published: date("2025-03-20")}
	manifest := &paradero.Source{ID: 2, Kind: paradero.KindManifest, Published: date("2025-07-18")}
	held := &paradero.Record{ID: 1, SourceID: 1, Facility: "CECOT", Status: "detenido", EventDate: paradero.DateRange{From: date("2025-03-16")}}
	back := &paradero.Record{ID: 2, SourceID: 2, Status: "repatriado", Place: "Maiquetía", EventDate: paradero.DateRange{From: date("2025-07-18")}}
	persons := [][]timeline.Mention{
		{{Record: held, Source: roster}, {Record: back, Source: manifest}},
		{{Record: back, Source: manifest}},
	}
	s := StatusOverTime(persons, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), "en", timeline.Options{})
	if len(s.Days) != 6 || s.Days[0] != time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("Days = %v", s.Days)
	}
	// February: nobody known. March: held. April: held, confirmed
	// 16 March — over 30 days: whereabouts unknown. July: both returned.
	want := map[paradero.PersonStatus][]int{
		paradero.StatusDetained:           {0, 1, 0, 0, 0, 0},
		paradero.StatusWhereaboutsUnknown: {0, 0, 1, 1, 1, 0},
		paradero.StatusReturned:           {0, 0, 0, 0, 0, 2},
	}
	for st, w := range want {
		if !slices.Equal(s.Counts[st], w) {
			t.Errorf("%s: %v, want %v", st, s.Counts[st], w)
		}
	}
	n := wellFormed(t, s.SVG(800))
	if n["rect"] != 5+len(s.Statuses) {
		t.Errorf("%d rects, want a bar segment per non-zero count (5) and a legend key per status (%d)", n["rect"], len(s.Statuses))
	}
}

func TestAggregateHTML(t *testing.T) {
	src, ps := world()
	a := &Aggregate{Lang: "es", Generated: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), Records: 11,
		Reconciliation: Reconcile(src, ps), Unaccounted: &UnaccountedCount{On: "1 roster", Absent: "3 manifest", Count: 2},
		Estimate: &EstimateSummary{Lists: []string{"roster", "manifest"}, Observed: 6, Total: 9.4, Lower: 7, Upper: math.Inf(1), Model: "[1,2]", Method: "Lincoln–Petersen"},
		Flows:    Flows(nil, FlowOptions{}), Status: &StatusSeries{Lang: "es"}}
	var b bytes.Buffer
	if err := a.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{"informe agregado", "Lincoln–Petersen", "7 – —", `<span class="big">9</span>`, `<span class="big">2</span>`} {
		if !strings.Contains(s, want) {
			t.Errorf("the aggregate report lacks %q", want)
		}
	}
	for _, m := range ps {
		if m.Name != "" && strings.Contains(s, esc(m.Name)) {
			t.Errorf("the aggregate report names %q", m.Name)
		}
	}
}

// TestFlagReasonInEachLanguage: a dossier says why whereabouts are unknown
// in its own language, whatever rule raised the flag.
func TestFlagReasonInEachLanguage(t *testing.T) {
	since := paradero.DateRange{From: paradero.PartialDate{Year: 2025, Month: 3, Day: 16}}
	for _, tt := range []struct {
		f      timeline.Flag
		es, en string
	}{
		{timeline.Flag{Rule: timeline.RuleFlightUnconfirmed, Flight: "HRL-SAL 1", Since: since, Days: 40, Threshold: 30},
			"Subida al vuelo de deportación HRL-SAL 1 el 2025-03-16", "Put on removal flight HRL-SAL 1 on 2025-03-16"},
		{timeline.Flag{Rule: timeline.RuleNotInCustody, Since: since},
			"«no está bajo custodia» el 2025-03-16", `"not in custody" on 2025-03-16`},
		{timeline.Flag{Rule: timeline.RuleNeverPlaced},
			"ninguna fuente ha dicho nunca", "no source has ever said"},
	} {
		if got := labelsFor("es").FlagReason(&tt.f); !strings.Contains(got, tt.es) {
			t.Errorf("es FlagReason(%s) = %q, want %q in it", tt.f.Rule, got, tt.es)
		}
		if got := labelsFor("en").FlagReason(&tt.f); !strings.Contains(got, tt.en) {
			t.Errorf("en FlagReason(%s) = %q, want %q in it", tt.f.Rule, got, tt.en)
		}
	}
	// Every rule has words in both languages.
	for _, lang := range []string{"es", "en"} {
		for _, r := range []timeline.FlagRule{timeline.RuleStoppedAnswering, timeline.RuleStoppedAnsweringAfterFlight,
			timeline.RuleNotInCustody, timeline.RuleNotInCustodyAfterFlight, timeline.RuleFlightUnconfirmed,
			timeline.RuleHeldUnconfirmed, timeline.RuleNeverPlaced} {
			if _, ok := labelsFor(lang).FlagRules[r]; !ok {
				t.Errorf("%s: no words for rule %s", lang, r)
			}
		}
	}
}
