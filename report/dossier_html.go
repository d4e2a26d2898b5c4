package report

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"io"
	"strconv"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
)

//go:embed templates/dossier.html templates/aggregate.html
var templateFS embed.FS

// dossierTemplate parses the dossier page. It is parsed per call (a few
// hundred microseconds) so that no template lives in package state.
func dossierTemplate(d *Dossier, l *labels) (*template.Template, error) {
	return template.New("dossier.html").Funcs(template.FuncMap{
		"where":     where,
		"evidence":  func(ev []paradero.Evidence) string { return d.evidenceText(l, ev) },
		"evidence1": func(e paradero.Evidence) string { return d.evidenceText(l, []paradero.Evidence{e}) },
	}).ParseFS(templateFS, "templates/dossier.html")
}

type proofView struct {
	RecordID int64
	Proof    *ledger.Proof
	JSON     string
}

// WriteHTML writes the dossier as one self-contained HTML page: embedded
// CSS, the timeline chart as inline SVG, no script and nothing fetched.
// Each record's proof is in a <pre class="proof-json" data-record="ID">
// exactly as `paradero prove` writes it.
func (d *Dossier) WriteHTML(w io.Writer) error {
	l := labelsFor(d.Lang)
	t, err := dossierTemplate(d, l)
	if err != nil {
		return err
	}
	anyRedacted := false
	var proofs []proofView
	for _, r := range d.Records {
		anyRedacted = anyRedacted || r.Record.Redaction != nil
		if r.Proof == nil {
			continue
		}
		b, err := json.MarshalIndent(r.Proof, "", "  ")
		if err != nil {
			return err
		}
		proofs = append(proofs, proofView{RecordID: r.Record.ID, Proof: r.Proof, JSON: string(b)})
	}
	status := string(d.Timeline.Status)
	if s, ok := l.Statuses[d.Timeline.Status]; ok {
		status = s
	}
	cpSize := ""
	if len(d.Records) > 0 && d.Records[0].Proof != nil {
		cpSize = strconv.FormatInt(d.Records[0].Proof.TreeSize, 10)
	}
	data := map[string]any{
		"D": d, "L": l, "Identity": d.identity(l), "AnyRedacted": anyRedacted, "Proofs": proofs,
		"Status": status, "Generated": d.Generated.UTC().Format("2006-01-02 15:04 UTC"), "CheckpointSize": cpSize,
		// The chart is built here from escaped text only (svg.go).
		"Chart": template.HTML(TimelineSVG(d.Timeline, d.Lang, 900)),
		"CL":    caseLabelsFor(d.Lang), "Violations": d.violationViews(caseLabelsFor(d.Lang)),
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
