package report

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
)

// testCaseDossier is a habeas case concerning the person of testDossier
// and a second, unlinked record, with a disobeyed order, a hearing, a
// document and a group violation naming someone outside the case.
func testCaseDossier(lang string) *CaseDossier {
	pd := testDossier(lang)
	lone := &paradero.Record{ID: 50, SourceID: 1, Row: 9, FullName: "María <b>Núñez</b>", LedgerIndex: 51}
	other := &Dossier{Lang: lang, Generated: pd.Generated, Sources: pd.Sources[:1],
		Records: []DossierRecord{{Record: lone, Source: pd.Sources[0], Proof: &ledger.Proof{Format: ledger.ProofFormat, Index: 51, TreeSize: 42,
			Leaf: "paradero-leaf/1\nkind record\n", Inclusion: []string{strings.Repeat("1", 64)}}}}}
	other.Timeline = testDossier(lang).Timeline // any timeline will do for layout
	c := &paradero.Case{ID: 3, Kind: paradero.CaseHabeas, Title: "Hábeas — grupo CECOT", Court: "Sala de lo Constitucional",
		Number: "HC 123-2025", Status: paradero.CaseOpen, Opened: date("2025-03-20"), Notes: "Peticionarias: madres.",
		People:  []paradero.CasePerson{{RecordID: 10, PersonID: 7}, {RecordID: 50}},
		Lawyers: []paradero.CaseLawyer{{UserID: 4}},
		Deadlines: []*paradero.Deadline{{ID: 1, CaseID: 3, Kind: paradero.DeadlineHearing, Due: date("2025-05-02"), Time: "09:30",
			What: "Audiencia de hábeas", Status: paradero.DeadlinePending, RemindOn: date("2025-04-30")}},
		Orders: []*paradero.CourtOrder{{ID: 1, CaseID: 3, Date: date("2025-03-15"), Kind: paradero.OrderNotToRemove,
			Text: "No trasladar a los peticionarios.", Obeyed: paradero.ComplianceDisobeyed, ObeyedSource: 2, ObeyedNote: "Vuelo del 16 de marzo"}},
		Documents: []paradero.CaseDocument{{SourceID: 2, Note: "La petición"}},
	}
	d := &CaseDossier{Lang: lang, Generated: pd.Generated, Case: c, Checkpoint: pd.Checkpoint,
		People: []CasePersonDossier{{Anchor: 10, LinkedAs: 7, Dossier: pd}, {Anchor: 50, Dossier: other}},
		Violations: []*paradero.Violation{{ID: 9, Type: paradero.ViolationRemovalDespiteOrder,
			Date: paradero.DateRange{From: date("2025-03-16")}, Place: "Aeropuerto de Harlingen", Perpetrator: "ICE",
			Group: "Trasladados del 15 de marzo", Victims: []paradero.Victim{{RecordID: 10}, {RecordID: 50}, {RecordID: 77}},
			Sources: []paradero.Citation{{SourceID: 2}, {SourceID: 1, RecordID: 10}}}}}
	for _, s := range pd.Sources {
		d.Sources = append(d.Sources, SourceProof{Source: s, Proof: &ledger.Proof{Format: ledger.ProofFormat, Index: s.ID, TreeSize: 42,
			Leaf: "paradero-leaf/1\nkind source\n", Inclusion: []string{strings.Repeat("2", 64)}}})
	}
	return d
}

func TestCaseDossierHTML(t *testing.T) {
	for _, lang := range []string{"es", "en"} {
		d := testCaseDossier(lang)
		var b bytes.Buffer
		if err := d.WriteHTML(&b); err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(b.String(), `xmlns="http://www.w3.org/2000/svg"`, "")
		cl, l := caseLabelsFor(lang), labelsFor(lang)
		for _, want := range []string{"Hábeas — grupo CECOT", "HC 123-2025", cl.CaseKinds[paradero.CaseHabeas],
			"Audiencia de hábeas", "09:30", cl.OrderKinds[paradero.OrderNotToRemove], cl.Compliances[paradero.ComplianceDisobeyed],
			"Vuelo del 16 de marzo", "La petición", cl.ViolationTypes[paradero.ViolationRemovalDespiteOrder], "Trasladados del 15 de marzo",
			"1 " + cl.OthersNote, "PEREZ GOMEZ, JOSE LUIS", "María <b>Núñez</b>", cl.NotLinked,
			`class="proof-json" data-record="20"`, `class="proof-json" data-record="50"`, `class="proof-json" data-source="2"`,
			l.Verify, cl.SourceProofs} {
			if !strings.Contains(s, htmlEsc(want)) {
				t.Errorf("%s: the case dossier lacks %q", lang, want)
			}
		}
		if strings.Contains(s, "<b>Núñez") {
			t.Errorf("%s: a name was not escaped", lang)
		}
		for _, bad := range []string{"<script", "http://", "https://"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s: the HTML is not self-contained: it has %q", lang, bad)
			}
		}
		// Two persons: two sections, two charts.
		if n := strings.Count(s, `<section class="person"`); n != 2 {
			t.Errorf("%s: %d person sections, want 2", lang, n)
		}
	}
}

func TestCaseDossierPDF(t *testing.T) {
	d := testCaseDossier("en")
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
	txt := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"Case dossier — Case 3", "Hábeas — grupo CECOT", "Hearings and deadlines", "DISOBEYED",
		"removal despite a court order", "PEREZ GOMEZ, JOSE LUIS", "Proofs of the sources", "How to verify these proofs without Paradero"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
}

func TestCaseDossierJSON(t *testing.T) {
	d := testCaseDossier("es")
	var b bytes.Buffer
	if err := d.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Format string `json:"format"`
		Case   struct {
			ID      int64 `json:"id"`
			Lawyers int   `json:"lawyers"`
		} `json:"case"`
		People []struct {
			Anchor  int64 `json:"anchor_record"`
			Records []struct {
				Proof *ledger.Proof `json:"proof"`
			} `json:"records"`
		} `json:"people"`
		Sources []struct {
			SHA256 string        `json:"sha256"`
			Proof  *ledger.Proof `json:"proof"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Format != CaseDossierFormat || got.Case.ID != 3 || got.Case.Lawyers != 1 || len(got.People) != 2 ||
		got.People[1].Anchor != 50 || len(got.People[0].Records) != 4 || got.People[0].Records[1].Proof == nil ||
		len(got.Sources) != 2 || got.Sources[0].Proof == nil || got.Sources[0].SHA256 == "" {
		t.Errorf("case dossier JSON = %+v", got)
	}
}

// BenchmarkCaseDossierPDF: a two-person case dossier's PDF.
func BenchmarkCaseDossierPDF(b *testing.B) {
	d := testCaseDossier("es")
	for b.Loop() {
		if err := d.WritePDF(&bytes.Buffer{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPersonDossierViolations checks that a person's dossier lists the
// violations against them, a group's other victims counted, not named.
func TestPersonDossierViolations(t *testing.T) {
	d := testDossier("en")
	d.Violations = testCaseDossier("en").Violations
	var b bytes.Buffer
	if err := d.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<section id="violations">`, "removal despite a court order", "Person 7; 2 " + caseLabelsFor("en").OthersNote} {
		if !strings.Contains(b.String(), htmlEsc(want)) && !strings.Contains(b.String(), want) {
			t.Errorf("the person dossier lacks %q", want)
		}
	}
	b.Reset()
	if err := d.WritePDF(&b); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteJSON(&b); err != nil || !strings.Contains(b.String(), `"violations"`) {
		t.Errorf("JSON without violations: %v", err)
	}
}
