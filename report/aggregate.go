package report

import (
	"bytes"
	"html/template"
	"io"
	"math"
	"strconv"
	"time"
)

// Aggregate is the report over all persons: counts, the reconciliation of
// the sources, who is unaccounted for (a count), the estimate of those on
// no list with its method, and the flow and status charts. It names
// nobody.
type Aggregate struct {
	Lang           string
	Generated      time.Time
	Checkpoint     string // "size root" of the checkpoint the figures are as of, if given
	Records        int
	Reconciliation *Reconciliation
	Unaccounted    *UnaccountedCount // nil: not asked
	Estimate       *EstimateSummary  // nil: not computed
	Flows          *FlowChart        // nil: not drawn
	Status         *StatusSeries     // nil: not drawn
}

// UnaccountedCount is how many persons Reconciliation.Unaccounted finds.
type UnaccountedCount struct {
	On, Absent string // the sources, as SourceLabel gives them
	Count      int
}

// EstimateSummary is what the report says of a multiple systems
// estimate; the caller fills it from package estimate's Report.
type EstimateSummary struct {
	Lists           []string
	Observed, Total float64
	Lower, Upper    float64 // Upper +Inf when not reached
	Model           string  // the chosen model, with list names
	Method          string  // in plain words
	Warnings        []string
}

// UpperText is the upper bound, or "—" when the search did not reach it.
func (e *EstimateSummary) UpperText() string {
	if math.IsInf(e.Upper, 0) || math.IsNaN(e.Upper) {
		return "—"
	}
	return strconv.FormatFloat(math.Round(e.Upper), 'f', 0, 64)
}

type aggregateWords struct {
	Title, Aggregates, Counts, Persons, Reconciliation, UpSetNote, UnaccountedText string
	Estimate, Lists, Observed, Total, Interval, Model                              string
	Flows, FlowsNote, Status, StatusNote                                           string
}

func aggregateWordsFor(lang string) *aggregateWords {
	if lang == "en" {
		return &aggregateWords{Title: "Paradero — aggregate report", Aggregates: "Aggregate figures only: this report names nobody.",
			Counts: "What the sources hold", Persons: "Persons", Reconciliation: "Who is on which source",
			UpSetNote:       "Each bar counts the persons named by exactly the sources marked below it, after record linkage; beside each source, the persons it names.",
			UnaccountedText: "persons are still unaccounted for: on the first source, missing from the second, and on no source published since it:",
			Estimate:        "How many people no list names", Lists: "Lists", Observed: "Persons observed",
			Total: "Estimated total", Interval: "95% interval", Model: "Model chosen",
			Flows: "Flows between custodians and places", FlowsNote: "From the last place held, through the removal flight and foreign custody, to where each person stands now.",
			Status: "Status over time", StatusNote: "At the end of each month, as the sources known by that day told it."}
	}
	return &aggregateWords{Title: "Paradero — informe agregado", Aggregates: "Solo cifras agregadas: este informe no nombra a nadie.",
		Counts: "Qué contienen las fuentes", Persons: "Personas", Reconciliation: "Quién está en qué fuente",
		UpSetNote:       "Cada barra cuenta las personas nombradas exactamente por las fuentes marcadas debajo, tras la vinculación de registros; junto a cada fuente, las personas que nombra.",
		UnaccountedText: "personas siguen sin ser ubicadas: en la primera fuente, ausentes de la segunda y de toda fuente publicada desde entonces:",
		Estimate:        "Cuántas personas no nombra ninguna lista", Lists: "Listas", Observed: "Personas observadas",
		Total: "Total estimado", Interval: "Intervalo del 95 %", Model: "Modelo elegido",
		Flows: "Flujos entre custodios y lugares", FlowsNote: "Desde el último lugar de detención, por el vuelo de deportación y la custodia extranjera, hasta la situación actual de cada persona.",
		Status: "Situación a lo largo del tiempo", StatusNote: "Al final de cada mes, según lo que decían las fuentes conocidas ese día."}
}

// WriteHTML writes the aggregate report as one self-contained HTML page
// with its charts inline.
func (a *Aggregate) WriteHTML(w io.Writer) error {
	l := labelsFor(a.Lang)
	t, err := template.New("aggregate.html").ParseFS(templateFS, "templates/aggregate.html")
	if err != nil {
		return err
	}
	data := map[string]any{"A": a, "L": l, "W": aggregateWordsFor(a.Lang),
		"Generated": a.Generated.UTC().Format("2006-01-02 15:04 UTC"),
		// Charts are built from escaped text only (svg.go).
		"UpSet": template.HTML(a.Reconciliation.UpSetSVG(UpSetOptions{}))}
	if a.Flows != nil {
		data["Flows"] = template.HTML(a.Flows.SVG(960))
	}
	if a.Status != nil {
		data["Status"] = template.HTML(a.Status.SVG(960))
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
