package report

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/timeline"
)

// Aggregate is the report over all persons: counts, the reconciliation of
// the sources, who is unaccounted for (a count), the estimate of those on
// no list with its method, and the flow and status charts. It names
// nobody. It is written for documenters, not the public: small counts are
// shown as they are (the public statistics page suppresses them).
type Aggregate struct {
	Lang      string
	Generated time.Time
	// CheckpointSize and CheckpointHash name the signed checkpoint the
	// figures are as of (size 0: not given).
	CheckpointSize int64
	CheckpointHash string
	Records        int
	// Reconciliation is over every source: the counts and the sources
	// table come from it.
	Reconciliation *Reconciliation
	// Lists is the reconciliation of the lists the estimate reads (see
	// GroupByKind); the UpSet chart and the table of combinations draw it.
	// Nil: Reconciliation is drawn.
	Lists       *Reconciliation
	ByStatus    []StatusCount     // nil: not counted
	Unaccounted *UnaccountedCount // nil: not asked
	Estimate    *EstimateSummary  // nil: not computed
	Flows       *FlowChart        // nil: not drawn
	Status      *StatusSeries     // nil: not drawn
}

// UnaccountedCount is how many persons Reconciliation.Unaccounted finds.
type UnaccountedCount struct {
	On, Absent string // the sources, as SourceLabel gives them
	Count      int
}

// EstimateSummary is what the report says of a multiple systems
// estimate; the caller fills it from package estimate's Report, in the
// report's language (Method and Warnings are shown as given).
type EstimateSummary struct {
	Lists           []string
	Observed, Total float64
	Lower, Upper    float64 // Upper +Inf when not reached
	Model           string  // the chosen model, with list names
	Method          string  // in plain words
	Warnings        []string
	Criterion       string // "BIC" or "AIC": how the model was chosen
	// Considered is how many models were fitted, Excluded how many of them
	// have no estimate (left out).
	Considered, Excluded int
	Models               []ModelSummary // the best few by Criterion, best first
}

// ModelSummary is one model considered, as the report lists it.
type ModelSummary struct {
	Name, Label        string // Rcapture notation; with list names
	Params, DF         int
	Deviance, AIC, BIC float64
	Total              float64 // its estimate of the total
}

// UpperText is the upper bound, or "—" when the search did not reach it.
func (e *EstimateSummary) UpperText() string {
	if math.IsInf(e.Upper, 0) || math.IsNaN(e.Upper) {
		return "—"
	}
	return strconv.FormatFloat(math.Round(e.Upper), 'f', 0, 64)
}

// LowerText is the lower bound, or "—" when there is none.
func (e *EstimateSummary) LowerText() string {
	if math.IsInf(e.Lower, 0) || math.IsNaN(e.Lower) {
		return "—"
	}
	return strconv.FormatFloat(math.Round(e.Lower), 'f', 0, 64)
}

// TotalText is the estimated total, rounded, or "—" when no model gives one.
func (e *EstimateSummary) TotalText() string {
	if math.IsInf(e.Total, 0) || math.IsNaN(e.Total) {
		return "—"
	}
	return strconv.FormatFloat(math.Round(e.Total), 'f', 0, 64)
}

// StatusCount is how many persons stand in one status on the report's day.
type StatusCount struct {
	Status paradero.PersonStatus
	Count  int
}

// CountStatuses counts the timelines by status, in the order the status
// chart stacks them, leaving out statuses nobody is in.
func CountStatuses(ts []*timeline.Timeline) []StatusCount {
	n := make(map[paradero.PersonStatus]int)
	for _, t := range ts {
		n[t.Status]++
	}
	var out []StatusCount
	for _, st := range statusOrder {
		if n[st] > 0 {
			out = append(out, StatusCount{Status: st, Count: n[st]})
		}
		delete(n, st)
	}
	// A status the chart does not know (none today) still counts.
	rest := make([]StatusCount, 0, len(n))
	for st, c := range n {
		rest = append(rest, StatusCount{Status: st, Count: c})
	}
	slices.SortFunc(rest, func(a, b StatusCount) int { return cmp.Compare(a.Status, b.Status) })
	return append(out, rest...)
}

// KindCount is what the sources of one kind hold.
type KindCount struct {
	Kind    paradero.SourceKind
	Sources int
	Records int // records imported from them
	Persons int // distinct persons any of them names
}

// KindCounts counts Reconciliation's sources, records and persons by
// source kind, in the order of paradero.SourceKinds (unknown kinds last,
// by name).
func (a *Aggregate) KindCounts() []KindCount {
	r := a.Reconciliation
	idx := make(map[paradero.SourceKind]int)
	var out []KindCount
	kindOf := make(map[int64]paradero.SourceKind, len(r.Sources))
	for _, s := range r.Sources {
		kindOf[s.ID] = s.Kind
		i, ok := idx[s.Kind]
		if !ok {
			i = len(out)
			idx[s.Kind] = i
			out = append(out, KindCount{Kind: s.Kind})
		}
		out[i].Sources++
		out[i].Records += s.Records
	}
	seen := make([]bool, len(out))
	for _, m := range r.Persons {
		clear(seen)
		for _, id := range m.Sources {
			if k, ok := kindOf[id]; ok && !seen[idx[k]] {
				seen[idx[k]] = true
				out[idx[k]].Persons++
			}
		}
	}
	rank := func(k paradero.SourceKind) int {
		if i := slices.Index(paradero.SourceKinds, k); i >= 0 {
			return i
		}
		return len(paradero.SourceKinds)
	}
	slices.SortFunc(out, func(x, y KindCount) int {
		return cmp.Or(cmp.Compare(rank(x.Kind), rank(y.Kind)), cmp.Compare(x.Kind, y.Kind))
	})
	return out
}

// GroupByKind makes one list of each source kind, in the order kinds first
// appear among r's sources — the lists PatternCounts(true) counts, so the
// capture-history table the estimate reads — and reconciles the persons
// over them. Each list is a Source with ID its 1-based position, the kind,
// and as Title how many sources it joins, in lang.
func (r *Reconciliation) GroupByKind(lang string) *Reconciliation {
	w := aggregateWordsFor(lang)
	listOf := make(map[int64]int64, len(r.Sources))
	var lists []*paradero.Source
	byKind := make(map[paradero.SourceKind]*paradero.Source)
	joined := make(map[int64]int)
	for _, s := range r.Sources {
		l, ok := byKind[s.Kind]
		if !ok {
			l = &paradero.Source{ID: int64(len(lists) + 1), Kind: s.Kind}
			byKind[s.Kind] = l
			lists = append(lists, l)
		}
		l.Records += s.Records
		joined[l.ID]++
		listOf[s.ID] = l.ID
	}
	for _, l := range lists {
		unit := w.SourcesMany
		if joined[l.ID] == 1 {
			unit = w.SourcesOne
		}
		l.Title = fmt.Sprintf("(%d %s)", joined[l.ID], unit)
	}
	persons := make([]Membership, len(r.Persons))
	for i, m := range r.Persons {
		m.Sources = nil
		for _, id := range r.Persons[i].Sources {
			if l, ok := listOf[id]; ok {
				if j, found := slices.BinarySearch(m.Sources, l); !found {
					m.Sources = slices.Insert(m.Sources, j, l)
				}
			}
		}
		persons[i] = m
	}
	return Reconcile(lists, persons)
}

// lists is the reconciliation the chart and the table of combinations
// draw.
func (a *Aggregate) lists() *Reconciliation {
	if a.Lists != nil {
		return a.Lists
	}
	return a.Reconciliation
}

// maxCombinations is how many combinations of lists the chart draws and
// the table lists; the rest are counted in one line.
const maxCombinations = 40

// combinationView is one row of the table of combinations.
type combinationView struct {
	Lists string // the lists' names joined by " + "
	N     int    // how many lists
	Count int
}

// combinations returns the largest combinations of lists, at most
// maxCombinations, and how many persons and combinations are left out.
func (a *Aggregate) combinations() (rows []combinationView, restPersons, restCombos int) {
	r := a.lists()
	for i, x := range r.Intersections {
		if i >= maxCombinations {
			restPersons += x.Count
			restCombos++
			continue
		}
		names := make([]string, len(x.Sources))
		for k, j := range x.Sources {
			names[k] = listName(r.Sources[j], a.Lists != nil)
		}
		rows = append(rows, combinationView{Lists: strings.Join(names, " + "), N: len(x.Sources), Count: x.Count})
	}
	return rows, restPersons, restCombos
}

// listName names a list in tables: its kind when lists are kinds, the
// source's label otherwise.
func listName(s *paradero.Source, kinds bool) string {
	if kinds {
		return string(s.Kind)
	}
	return SourceLabel(s)
}

// checkpointText says which checkpoint the figures are as of, or "".
func (a *Aggregate) checkpointText(l *labels, w *aggregateWords) string {
	if a.CheckpointSize == 0 && a.CheckpointHash == "" {
		return ""
	}
	return fmt.Sprintf("%s %d · %s %s", strings.ToLower(l.TreeSize), a.CheckpointSize, w.RootHash, a.CheckpointHash)
}

type aggregateWords struct {
	Title, Aggregates, Counts, Persons, Reconciliation, UpSetNote, UnaccountedText string
	Estimate, Lists, Observed, Total, Interval, Model                              string
	Flows, FlowsNote, Status, StatusNote                                           string
	UpSetTitle, ListsNote, Combination, ListCount, Others                          string
	RootHash, ByKind, ByStatus, ByStatusNote, SourcesOne, SourcesMany              string
	Criterion, Considered, Excluded, BestModels, Params, Deviance, DF, Warnings    string
	SourcesNote, Method, ModelsNote, NotDrawn, ModelColumn                         string
}

func aggregateWordsFor(lang string) *aggregateWords {
	if lang == "en" {
		return &aggregateWords{Title: "Paradero — aggregate report", Aggregates: "Aggregate figures only: this report names nobody.",
			Counts: "What the sources hold", Persons: "Persons", Reconciliation: "Who is on which source",
			UpSetNote:       "Each bar counts the persons named by exactly the lists marked below it, after record linkage; beside each list, the persons it names.",
			UnaccountedText: "persons are still unaccounted for: on the first source, missing from the second, and on no source published since it:",
			Estimate:        "How many people no list names", Lists: "Lists", Observed: "Persons observed",
			Total: "Estimated total", Interval: "95% interval", Model: "Model chosen",
			Flows: "Flows between custodians and places", FlowsNote: "From the last place held, through the removal flight and foreign custody, to where each person stands now.",
			Status: "Status over time", StatusNote: "At the end of each month, as the sources known by that day told it.",
			UpSetTitle:  "Persons on each combination of lists",
			ListsNote:   "Each list is every source of one kind, as the estimate reads them.",
			Combination: "Combination of lists", ListCount: "Lists", Others: "other combinations, %d persons in all",
			RootHash: "root hash", ByKind: "By kind of source", ByStatus: "By status",
			ByStatusNote: "Where each person stands on the day of the report, as the custody timeline derives it from every source.",
			SourcesOne:   "source", SourcesMany: "sources",
			Criterion: "Chosen by", Considered: "Models considered", Excluded: "%d left out: their estimate does not exist",
			BestModels: "The best models by %s", Params: "Parameters", Deviance: "Deviance", DF: "d.f.",
			Warnings:    "What the method found in the data",
			SourcesNote: "Every source the figures come from, with the SHA-256 of its file.",
			Method:      "Method", ModelColumn: "Model",
			ModelsNote: "In Rcapture's notation: each digit is a list, numbered as above; [13,2] lets lists 1 and 3 depend on each other, and list 2 on neither.",
			NotDrawn:   "+ %d persons in %d smaller combinations, not drawn; the table lists them."}
	}
	return &aggregateWords{Title: "Paradero — informe agregado", Aggregates: "Solo cifras agregadas: este informe no nombra a nadie.",
		Counts: "Qué contienen las fuentes", Persons: "Personas", Reconciliation: "Quién está en qué fuente",
		UpSetNote:       "Cada barra cuenta las personas nombradas exactamente por las listas marcadas debajo, tras la vinculación de registros; junto a cada lista, las personas que nombra.",
		UnaccountedText: "personas siguen sin ser ubicadas: en la primera fuente, ausentes de la segunda y de toda fuente publicada desde entonces:",
		Estimate:        "Cuántas personas no nombra ninguna lista", Lists: "Listas", Observed: "Personas observadas",
		Total: "Total estimado", Interval: "Intervalo del 95 %", Model: "Modelo elegido",
		Flows: "Flujos entre custodios y lugares", FlowsNote: "Desde el último lugar de detención, por el vuelo de deportación y la custodia extranjera, hasta la situación actual de cada persona.",
		Status: "Situación a lo largo del tiempo", StatusNote: "Al final de cada mes, según lo que decían las fuentes conocidas ese día.",
		UpSetTitle:  "Personas en cada combinación de listas",
		ListsNote:   "Cada lista reúne todas las fuentes de un tipo, tal como las lee la estimación.",
		Combination: "Combinación de listas", ListCount: "Listas", Others: "otras combinaciones, %d personas en total",
		RootHash: "hash raíz", ByKind: "Por tipo de fuente", ByStatus: "Por situación",
		ByStatusNote: "La situación de cada persona el día del informe, tal como la deduce su cronología de custodia a partir de todas las fuentes.",
		SourcesOne:   "fuente", SourcesMany: "fuentes",
		Criterion: "Elegido por", Considered: "Modelos considerados", Excluded: "%d excluidos: su estimación no existe",
		BestModels: "Los mejores modelos según %s", Params: "Parámetros", Deviance: "Devianza", DF: "g. l.",
		Warnings:    "Lo que el método encontró en los datos",
		SourcesNote: "Todas las fuentes de las que salen las cifras, con el SHA-256 de su archivo.",
		Method:      "Método", ModelColumn: "Modelo",
		ModelsNote: "En la notación de Rcapture: cada cifra es una lista, numerada como arriba; [13,2] deja que las listas 1 y 3 dependan una de otra, y la lista 2 de ninguna.",
		NotDrawn:   "+ %d personas en %d combinaciones más pequeñas, no dibujadas; la tabla las recoge."}
}

// WriteHTML writes the aggregate report as one self-contained HTML page
// with its charts inline.
func (a *Aggregate) WriteHTML(w io.Writer) error {
	l := labelsFor(a.Lang)
	wd := aggregateWordsFor(a.Lang)
	t, err := template.New("aggregate.html").Funcs(template.FuncMap{
		"status":  func(st paradero.PersonStatus) string { return firstOf(l.Statuses[st], string(st)) },
		"fmtf":    func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) },
		"sprintf": fmt.Sprintf,
	}).ParseFS(templateFS, "templates/aggregate.html")
	if err != nil {
		return err
	}
	combos, restPersons, restCombos := a.combinations()
	data := map[string]any{"A": a, "L": l, "W": wd,
		"Generated":  a.Generated.UTC().Format("2006-01-02 15:04 UTC"),
		"Checkpoint": a.checkpointText(l, wd), "Kinds": a.KindCounts(), "Grouped": a.Lists != nil,
		"Combinations": combos, "RestPersons": restPersons, "RestCombinations": restCombos,
		// Charts are built from escaped text only (svg.go).
		"UpSet": template.HTML(a.lists().UpSetSVG(UpSetOptions{Title: wd.UpSetTitle}))}
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
