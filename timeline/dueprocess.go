package timeline

import (
	"slices"
	"strings"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ingest"
)

// Due-process facts (issue 4, item 2) come from four places in a record,
// read in this order; docs/timeline.md has the tables.
//
//  1. Its status, through the vocabulary (vocab.go): "habeas", "NTA",
//     "released on bond", "order not to remove".
//  2. Its extra columns, by their folded name: a column per fact ("Habeas",
//     "Abogado", "Notificación consular", "Fianza"…) whose value is yes,
//     no, a date or words; and columns that qualify the record's court
//     facts ("Tribunal", "Número de caso", "Fecha de resolución",
//     "Resultado", "Cumplida").
//  3. Its notes, free text, read only for due-process phrases, negations
//     first: "sin acceso a abogado ni a su familia" is lawyer contact and
//     family contact, both denied. Notes make no custody event: free text
//     is too loose to place anyone.
//  4. Its source: every record of a court filing whose title names a
//     habeas petition is a petitioner in it, filed by the source's date.
//
// From the timeline as a whole: the first hearing is the earliest hearing
// event, and an order not to remove is disobeyed when the first removal
// on record (a removal flight, a handover to a foreign custodian, a
// return) falls on a later day than the order's last possible day — a
// removal the same day may have come first, so it is left to the reader,
// and one before the order means the person was gone already.

// notePhrase is a due-process phrase of free text.
type notePhrase struct {
	words  []string
	fact   paradero.DueProcessKind
	denied bool
}

func notePhrases(ps ...any) []notePhrase {
	var out []notePhrase
	var fact paradero.DueProcessKind
	var denied bool
	for _, p := range ps {
		switch v := p.(type) {
		case paradero.DueProcessKind:
			fact, denied = v, false
		case bool:
			denied = v
		case string:
			out = append(out, notePhrase{strings.Fields(v), fact, denied})
		}
	}
	return out
}

const denied = true

// noteVocabulary lists, per fact, the phrases that deny it before those
// that assert it: a note matching a denial of a fact is not read for that
// fact's assertion ("sin contacto con la familia" holds "contacto con la
// familia").
var noteVocabulary = notePhrases(
	paradero.FactLawyerContact, denied,
	"sin acceso a abogado", "sin acceso a un abogado", "sin acceso a abogados", "sin abogado",
	"no ha podido hablar con un abogado", "no ha tenido acceso a un abogado", "incomunicado", "incomunicada",
	"no access to a lawyer", "no access to counsel", "denied access to counsel", "denied access to a lawyer",
	"without a lawyer", "no lawyer",
	false,
	"hablo con su abogado", "hablo con un abogado", "contacto con abogado", "visita de su abogado", "visita del abogado",
	"tiene abogado", "lawyer contact", "spoke with a lawyer", "spoke with his lawyer", "spoke with her lawyer",
	"met with a lawyer", "met with his lawyer", "met with her lawyer", "represented by counsel",

	paradero.FactFamilyContact, denied,
	"ni a su familia", "ni con su familia", "sin acceso a su familia", "sin acceso a la familia",
	"sin contacto con su familia", "sin contacto con la familia", "no hemos podido comunicarnos",
	"no hemos podido hablar con el", "no hemos podido hablar con ella", "incomunicado", "incomunicada",
	"no family contact", "no contact with his family", "no contact with her family", "no contact with family",
	false,
	"ultima llamada", "llamo a su familia", "llamo a la familia", "hablo con su familia", "contacto familiar",
	"contacto con la familia", "contacto con su familia", "family contact", "called his family",
	"called her family", "called the family", "last call",

	paradero.FactConsularNotification, denied,
	"sin notificacion consular", "sin acceso consular", "consulado no fue notificado", "no consular notification",
	"no consular access", "consulate was not notified", "consulate not notified",
	false,
	"notificacion consular", "visita consular", "consulado fue notificado", "consulado notificado",
	"consular notification", "consular visit", "consulate was notified", "consulate notified",

	paradero.FactChargingDocument, denied,
	"sin cargos", "sin notificacion de cargos", "no charges", "never charged", "without charges",
	false,
	"notice to appear", "nta", "notificacion de comparecencia", "charging document",

	paradero.FactFirstHearing, denied,
	"sin audiencia", "nunca vio a un juez", "no ha visto a un juez", "sin ver a un juez", "no hearing",
	"never saw a judge", "never seen a judge",
	false,
	"primera audiencia", "first hearing",

	paradero.FactBond, denied,
	"sin fianza", "fianza denegada", "fianza negada", "no bond", "bond denied",
	false,
	"fianza", "bond",

	paradero.FactFinalOrder,
	"orden final", "orden de deportacion", "final order", "removal order", "order of removal",

	paradero.FactHabeasPetition,
	"habeas",

	paradero.FactOrderNotToRemove, denied,
	"stay of removal denied", "stay denied", "tro denied", "medida cautelar denegada", "medida cautelar negada",
	"suspension denegada", "suspension de deportacion denegada",
	false,
	"orden de no deportar", "no deportar", "suspension de deportacion", "suspension de la deportacion",
	"medida cautelar", "medidas cautelares", "order not to remove", "stay of removal",
	"temporary restraining order", "tro",
)

// notesFacts returns the facts a note states, at most one per kind.
func notesFacts(notes string) []noteFact {
	words := foldWords(notes)
	if len(words) == 0 {
		return nil
	}
	var out []noteFact
	seen := make(map[paradero.DueProcessKind]bool)
	for _, p := range noteVocabulary {
		if seen[p.fact] || !containsRun(words, p.words) {
			continue
		}
		seen[p.fact] = true
		out = append(out, noteFact{p.fact, p.denied})
	}
	return out
}

type noteFact struct {
	kind   paradero.DueProcessKind
	denied bool
}

// columnRole is what an extra column says of a record's due process.
type columnRole int

const (
	colNone columnRole = iota
	colFact            // a fact of its own: yes, no, a date or words
	colCourt
	colCaseNumber
	colFiled
	colDecided
	colOutcome
	colObeyed
)

type columnName struct {
	words []string
	role  columnRole
	fact  paradero.DueProcessKind
}

func columnNames(ps ...any) []columnName {
	var out []columnName
	var role columnRole
	var fact paradero.DueProcessKind
	for _, p := range ps {
		switch v := p.(type) {
		case columnRole:
			role, fact = v, ""
		case paradero.DueProcessKind:
			role, fact = colFact, v
		case string:
			out = append(out, columnName{strings.Fields(v), role, fact})
		}
	}
	return out
}

// columnVocabulary maps folded column names to what they say; a column
// whose folded name is one of these runs of words, or holds one, is read
// (first match wins, so longer and more specific names come first).
var columnVocabulary = columnNames(
	colCaseNumber, "case number", "case no", "docket", "numero de caso", "no de caso", "num de caso",
	"numero de expediente", "expediente", "numero de causa",
	colFiled, "filed", "date filed", "filing date", "fecha de presentacion", "presentado", "presentada",
	colDecided, "decided", "date decided", "decision date", "fecha de resolucion", "fecha de decision", "resuelto", "resuelta",
	colOutcome, "outcome", "ruling", "resultado", "fallo", "resolucion",
	colObeyed, "obeyed", "complied", "compliance", "cumplida", "cumplido", "cumplimiento", "acatada", "acatado",
	paradero.FactOrderNotToRemove, "order not to remove", "stay of removal", "orden de no deportar", "no deportar", "tro",
	"medida cautelar", "medidas cautelares",
	paradero.FactHabeasPetition, "habeas",
	paradero.FactFinalOrder, "final order", "orden final", "removal order", "orden de deportacion",
	paradero.FactFirstHearing, "first hearing", "primera audiencia",
	paradero.FactChargingDocument, "notice to appear", "nta", "charging document", "notificacion de comparecencia",
	paradero.FactConsularNotification, "consular notification", "consular", "notificacion consular", "consulado",
	paradero.FactFamilyContact, "family contact", "contacto familiar", "contacto con la familia", "familia notificada",
	paradero.FactLawyerContact, "lawyer contact", "contacto con abogado", "lawyer", "attorney", "counsel", "abogado", "abogada",
	paradero.FactBond, "bond", "fianza",
	colCourt, "court", "tribunal", "juzgado", "corte",
)

func columnOf(name string) columnName {
	words := foldWords(name)
	for _, c := range columnVocabulary {
		if containsRun(words, c.words) {
			return c
		}
	}
	return columnName{}
}

// yesNo reads a cell as yes (1), no (-1) or neither (0).
func yesNo(v string) int {
	switch fold(v) {
	case "yes", "y", "si", "s", "true", "x", "1", "ok":
		return 1
	case "no", "n", "none", "ninguno", "ninguna", "false", "0", "denied", "denegado", "denegada", "negado",
		"negada", "nunca", "never", "sin":
		return -1
	}
	return 0
}

// cellDate reads a cell as a date: ISO first, then as import reads dates
// (day first).
func cellDate(v string) (paradero.PartialDate, bool) {
	v = strings.TrimSpace(v)
	if d, err := paradero.ParsePartialDate(v); err == nil && !d.IsZero() {
		return d, true
	}
	if d, err := ingest.ParseDate(v, ingest.DMY); err == nil && !d.IsZero() {
		return d, true
	}
	return paradero.PartialDate{}, false
}

// courtFacts are the kinds a court column, a case number and a decision
// qualify.
func courtFact(k paradero.DueProcessKind) bool {
	switch k {
	case paradero.FactHabeasPetition, paradero.FactOrderNotToRemove, paradero.FactFinalOrder,
		paradero.FactFirstHearing, paradero.FactBond:
		return true
	}
	return false
}

// recordFacts returns the due-process facts of one record beyond its
// status's (statusFacts, already made): from its extra columns, its notes
// and its source, each kind at most once per record, and every court fact
// qualified by the record's court, case number and decision columns.
func recordFacts(m Mention, date paradero.DateRange, ev paradero.Evidence, statusFacts []paradero.DueProcessFact) []paradero.DueProcessFact {
	r := m.Record
	facts := statusFacts
	has := func(k paradero.DueProcessKind) bool {
		return slices.ContainsFunc(facts, func(f paradero.DueProcessFact) bool { return f.Kind == k })
	}
	court := firstOf(r.Custodian, r.Place)
	var caseNo, outcome, obeyed string
	var filed, decided paradero.DateRange
	for _, x := range r.Extra {
		v := strings.TrimSpace(x.Value)
		if v == "" {
			continue
		}
		c := columnOf(x.Name)
		switch c.role {
		case colCourt:
			court = v
		case colCaseNumber:
			caseNo = v
		case colFiled:
			if d, ok := cellDate(v); ok {
				filed = paradero.DateRange{From: d}
			}
		case colDecided:
			if d, ok := cellDate(v); ok {
				decided = paradero.DateRange{From: d}
			}
		case colOutcome:
			outcome = v
		case colObeyed:
			switch yesNo(v) {
			case 1:
				obeyed = paradero.FactObeyed
			case -1:
				obeyed = paradero.FactDisobeyed
			}
		case colFact:
			if has(c.fact) {
				continue
			}
			f := paradero.DueProcessFact{Kind: c.fact, Date: date, Court: court, Detail: x.Name + ": " + v,
				Evidence: []paradero.Evidence{ev}}
			switch yesNo(v) {
			case -1:
				f.Denied = true
			case 0:
				if d, ok := cellDate(v); ok {
					f.Date = paradero.DateRange{From: d}
				}
				// Words: "sin abogado" in a lawyer column denies it.
				f.Denied = slices.Contains(notesFacts(v), noteFact{c.fact, true})
			}
			facts = append(facts, f)
		}
	}
	for _, nf := range notesFacts(r.Notes) {
		if has(nf.kind) {
			continue
		}
		facts = append(facts, paradero.DueProcessFact{Kind: nf.kind, Date: date, Court: court, Detail: r.Notes,
			Denied: nf.denied, Evidence: []paradero.Evidence{ev}})
	}
	if s := m.Source; s != nil && s.Kind == paradero.KindCourtFiling && !has(paradero.FactHabeasPetition) &&
		containsRun(foldWords(s.Title), []string{"habeas"}) {
		// A petition lists its petitioners: being listed is the fact.
		d := date
		if !s.Published.IsZero() {
			d = paradero.DateRange{From: s.Published}
		}
		facts = append(facts, paradero.DueProcessFact{Kind: paradero.FactHabeasPetition, Date: d, Court: court,
			Detail: s.Title, Evidence: []paradero.Evidence{ev}})
	}
	for i := range facts {
		f := &facts[i]
		if !courtFact(f.Kind) {
			continue
		}
		if court != "" {
			f.Court = court
		}
		if !filed.IsZero() {
			f.Date = filed
		}
		f.CaseNumber, f.Decided, f.Outcome = caseNo, decided, outcome
		if f.Kind == paradero.FactOrderNotToRemove {
			f.Obeyed = obeyed
		}
	}
	return facts
}

// removal reports whether e takes the person out of the country.
func removal(e *paradero.Event) bool {
	switch e.Kind {
	case paradero.EventRemovalFlight, paradero.EventForeignCustody, paradero.EventReturn:
		return true
	}
	return false
}

// deriveFacts adds what the timeline as a whole says: the first hearing,
// and whether each order not to remove was obeyed. Events must be sorted.
func (t *Timeline) deriveFacts() {
	for i := range t.Events {
		e := &t.Events[i]
		if e.Kind != paradero.EventHearing {
			continue
		}
		t.Facts = append(t.Facts, paradero.DueProcessFact{Kind: paradero.FactFirstHearing, Date: e.Date,
			Court: firstOf(e.Custodian, e.Place, e.Facility), Detail: statusOf(e.Evidence), Evidence: slices.Clone(e.Evidence)})
		break
	}
	for i := range t.Facts {
		f := &t.Facts[i]
		if f.Kind != paradero.FactOrderNotToRemove || f.Obeyed != "" || f.Denied || f.Date.IsZero() {
			continue
		}
		// The first removal on record decides: after the order, it
		// disobeyed it; on or before the order's day, the person was
		// gone already (or may have been), and a later flight — a return
		// home from a foreign prison — is no breach of this order.
		_, orderLast := span(f.Date)
		for j := range t.Events {
			e := &t.Events[j]
			if !removal(e) {
				continue
			}
			if first, _ := span(e.Date); first > orderLast {
				f.Obeyed, f.Breach = paradero.FactDisobeyed, slices.Clone(e.Evidence)
			}
			break
		}
	}
}

func statusOf(es []paradero.Evidence) string {
	for _, e := range es {
		if e.Status != "" {
			return e.Status
		}
	}
	return ""
}
