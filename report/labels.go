package report

import (
	"fmt"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/timeline"
)

// labels are a dossier's words in one language. A function returns them,
// so no package-level map can be changed at run time.
type labels struct {
	Lang, Title, Person, Generated, Summary, Status, LastConfirmed, Flag, Orders string
	Identity, IdentityNote, Field, Redacted, RedactedNote                        string
	Timeline, TimelineNote, Date, Event, Where, Evidence, DateFromSource         string
	Undated, Conflicts, Facts, FactsNone, Unclassified, Detail, Court            string
	Sources, Source, Kind, SourceTitle, Published, SHA256, Records, Record       string
	Proofs, ProofsNote, Checkpoint, LedgerIndex, TreeSize, Leaf, Inclusion       string
	ProofJSON, Verify, Chart, FlagNote, None, Row, Page, Of                      string
	VerifySteps                                                                  []string
	Fields                                                                       map[string]string
	Events                                                                       map[paradero.EventKind]string
	Statuses                                                                     map[paradero.PersonStatus]string
	FactKinds                                                                    map[paradero.DueProcessKind]string
	// FlagRules word a whereabouts-unknown flag by its rule (fmt templates
	// taking the arguments FlagReason gives each rule).
	FlagRules     map[timeline.FlagRule]string
	UnnamedFlight string
}

// FlagReason says why whereabouts are unknown in the dossier's language.
func (l *labels) FlagReason(f *timeline.Flag) string {
	tmpl, ok := l.FlagRules[f.Rule]
	if !ok {
		return f.Reason
	}
	since := f.Since.String()
	switch f.Rule {
	case timeline.RuleFlightUnconfirmed:
		flight := f.Flight
		if flight == "" {
			flight = l.UnnamedFlight
		}
		return fmt.Sprintf(tmpl, flight, since, f.Days, f.Threshold)
	case timeline.RuleHeldUnconfirmed:
		return fmt.Sprintf(tmpl, since, f.Days, f.Threshold)
	case timeline.RuleNeverPlaced:
		return tmpl
	}
	return fmt.Sprintf(tmpl, since)
}

// ValidLang reports whether a dossier can be written in lang.
func ValidLang(lang string) bool { return lang == "es" || lang == "en" }

func labelsFor(lang string) *labels {
	if lang == "en" {
		return &labels{
			Lang: "en", Title: "Dossier", Person: "Person", Generated: "Generated",
			Summary: "Summary", Status: "Status", LastConfirmed: "Last confirmed whereabouts",
			Flag: "Whereabouts unknown", Orders: "Court orders not to remove on record",
			FlagNote:      "Why:",
			UnnamedFlight: "(unnamed)",
			FlagRules: map[timeline.FlagRule]string{
				timeline.RuleStoppedAnswering:            "A locator stopped answering for the person on %s, and no record says they were released or where they were sent.",
				timeline.RuleStoppedAnsweringAfterFlight: "A locator stopped answering for the person on %s, after a removal flight to an unrecorded destination.",
				timeline.RuleNotInCustody:                "A locator reported the person \"not in custody\" on %s, and no record says they were released or where they were sent.",
				timeline.RuleNotInCustodyAfterFlight:     "A locator reported the person \"not in custody\" on %s, after a removal flight to an unrecorded destination.",
				timeline.RuleFlightUnconfirmed:           "Put on removal flight %s on %s; no source has confirmed where they are since (%d days, over the threshold of %d).",
				timeline.RuleHeldUnconfirmed:             "Deprived of liberty; no source has confirmed where they are held since %s (%d days, over the threshold of %d).",
				timeline.RuleNeverPlaced:                 "Deprived of liberty, and no source has ever said where they are held.",
			},
			Identity:     "Identity as each source wrote it",
			IdentityNote: "Each column is one record, exactly as its source wrote it. Differences are shown, never merged.",
			Field:        "Field", Redacted: "redacted", RedactedNote: "content removed to protect someone; its proof still verifies",
			Timeline:     "Custody timeline",
			TimelineNote: "Each event with the records and sources behind it. A date in italics is the source's publication date: the event happened by then.",
			Date:         "Date", Event: "Event", Where: "Where", Evidence: "Evidence", DateFromSource: "by this date (source's publication)",
			Undated: "Undated claims", Conflicts: "Claims that cannot all be true", Facts: "Due process",
			FactsNone:    "No source records a charge, a hearing, a lawyer or family contact, a habeas petition or a court order.",
			Unclassified: "Records whose status the vocabulary does not know", Detail: "As written", Court: "Court",
			Sources: "Sources", Source: "Source", Kind: "Kind", SourceTitle: "Title", Published: "Published",
			SHA256: "SHA-256 of the file", Records: "Records", Record: "Record",
			Proofs:     "Ledger inclusion proofs",
			ProofsNote: "Each record is an entry of Paradero's append-only Merkle log. The proofs below show that each entry is in the log as of the signed checkpoint. The entry holds a salted commitment to the record's content, never the content itself.",
			Checkpoint: "Signed checkpoint", LedgerIndex: "Ledger entry", TreeSize: "Tree size", Leaf: "Leaf", Inclusion: "Inclusion path",
			ProofJSON: "Proof file (save as proof.json)", Verify: "How to verify these proofs without Paradero",
			VerifySteps: []string{
				"Save a proof file below as proof.json. With Paradero: paradero verify-proof --key \"$(cat ledger.pub)\" proof.json, using the verifier key the publisher announced.",
				"Without Paradero: check the signature of the checkpoint (a golang.org/x/mod/sumdb/note signed note, Ed25519) with the publisher's verifier key. Its second line is the tree size, its third the root hash in base64.",
				"Compute h = SHA-256(0x00 || leaf) over the leaf's UTF-8 bytes (RFC 6962 §2.1).",
				"Walk the inclusion path from h to the root as RFC 9162 §2.1.3.2 describes, with fn = index and sn = tree size − 1, hashing SHA-256(0x01 || left || right). The result must equal the checkpoint's root hash.",
				"The source files are identified by their SHA-256, listed above: hash the file you hold (sha256sum) and compare.",
				"The byte-by-byte format of leaves, commitments and checkpoints is documented in Paradero's docs/ledger.md.",
			},
			Chart: "Timeline chart", None: "none", Row: "row", Page: "Page", Of: "of",
			Fields: map[string]string{"full_name": "Full name", "given_names": "Given names", "surnames": "Surnames",
				"first_surname": "First surname", "second_surname": "Second surname", "birth_date": "Date of birth",
				"age": "Age", "sex": "Sex", "nationality": "Nationality", "country_of_birth": "Country of birth",
				"a_number": "A-number", "passport": "Passport", "other_documents": "Other documents"},
			Events: map[paradero.EventKind]string{
				paradero.EventArrest: "arrest", paradero.EventBooked: "booked", paradero.EventTransfer: "transfer",
				paradero.EventHeld: "held", paradero.EventHearing: "hearing", paradero.EventCharged: "charged",
				paradero.EventRemovalFlight: "removal flight", paradero.EventForeignCustody: "foreign custody",
				paradero.EventRelease: "release", paradero.EventReturn: "return", paradero.EventDeath: "death",
				paradero.EventNotInCustody: "not in custody", paradero.EventVanished: "vanished from a locator"},
			Statuses: map[paradero.PersonStatus]string{
				paradero.StatusAtLiberty: "at liberty", paradero.StatusDetained: "detained (known place)",
				paradero.StatusInTransit: "in transit", paradero.StatusWhereaboutsUnknown: "WHEREABOUTS UNKNOWN",
				paradero.StatusReleased: "released", paradero.StatusReturned: "returned", paradero.StatusDeceased: "deceased"},
			FactKinds: map[paradero.DueProcessKind]string{
				paradero.FactChargingDocument: "charging document", paradero.FactLawyerContact: "lawyer contact",
				paradero.FactConsularNotification: "consular notification", paradero.FactFamilyContact: "family contact",
				paradero.FactFirstHearing: "first hearing", paradero.FactBond: "bond", paradero.FactFinalOrder: "final order",
				paradero.FactHabeasPetition: "habeas corpus petition", paradero.FactOrderNotToRemove: "order not to remove"},
		}
	}
	return &labels{
		Lang: "es", Title: "Expediente", Person: "Persona", Generated: "Generado",
		Summary: "Resumen", Status: "Situación", LastConfirmed: "Último paradero confirmado",
		Flag: "Paradero desconocido", Orders: "Órdenes judiciales de no deportar registradas",
		FlagNote:      "Por qué:",
		UnnamedFlight: "(sin nombre)",
		FlagRules: map[timeline.FlagRule]string{
			timeline.RuleStoppedAnswering:            "Un localizador dejó de responder por la persona el %s, y ningún registro dice que fuera liberada ni adónde la enviaron.",
			timeline.RuleStoppedAnsweringAfterFlight: "Un localizador dejó de responder por la persona el %s, tras un vuelo de deportación a un destino no registrado.",
			timeline.RuleNotInCustody:                "Un localizador informó «no está bajo custodia» el %s, y ningún registro dice que fuera liberada ni adónde la enviaron.",
			timeline.RuleNotInCustodyAfterFlight:     "Un localizador informó «no está bajo custodia» el %s, tras un vuelo de deportación a un destino no registrado.",
			timeline.RuleFlightUnconfirmed:           "Subida al vuelo de deportación %s el %s; ninguna fuente ha confirmado dónde está desde entonces (%d días, más que el umbral de %d).",
			timeline.RuleHeldUnconfirmed:             "Privada de libertad; ninguna fuente ha confirmado dónde está detenida desde el %s (%d días, más que el umbral de %d).",
			timeline.RuleNeverPlaced:                 "Privada de libertad, y ninguna fuente ha dicho nunca dónde está detenida.",
		},
		Identity:     "Identidad tal como la escribió cada fuente",
		IdentityNote: "Cada columna es un registro, tal como lo escribió su fuente. Las diferencias se muestran; nunca se fusionan.",
		Field:        "Campo", Redacted: "suprimido", RedactedNote: "contenido eliminado para proteger a alguien; su prueba sigue verificándose",
		Timeline:     "Cronología de la custodia",
		TimelineNote: "Cada evento con los registros y fuentes que lo sostienen. Una fecha en cursiva es la de publicación de la fuente: el evento ocurrió a más tardar entonces.",
		Date:         "Fecha", Event: "Evento", Where: "Dónde", Evidence: "Evidencia", DateFromSource: "a más tardar (publicación de la fuente)",
		Undated: "Afirmaciones sin fecha", Conflicts: "Afirmaciones que no pueden ser todas ciertas", Facts: "Debido proceso",
		FactsNone:    "Ninguna fuente registra acusación, audiencia, contacto con abogado o familia, hábeas corpus ni orden judicial.",
		Unclassified: "Registros cuya situación el vocabulario no reconoce", Detail: "Tal como se escribió", Court: "Tribunal",
		Sources: "Fuentes", Source: "Fuente", Kind: "Tipo", SourceTitle: "Título", Published: "Publicada",
		SHA256: "SHA-256 del archivo", Records: "Registros", Record: "Registro",
		Proofs:     "Pruebas de inclusión en el registro inalterable",
		ProofsNote: "Cada registro es una entrada del registro Merkle de Paradero, al que solo se puede añadir. Las pruebas muestran que cada entrada está en el registro según el punto de control firmado. La entrada contiene un compromiso con sal del contenido del registro, nunca el contenido.",
		Checkpoint: "Punto de control firmado", LedgerIndex: "Entrada del registro", TreeSize: "Tamaño del árbol", Leaf: "Hoja", Inclusion: "Camino de inclusión",
		ProofJSON: "Archivo de prueba (guárdelo como proof.json)", Verify: "Cómo verificar estas pruebas sin Paradero",
		VerifySteps: []string{
			"Guarde un archivo de prueba de abajo como proof.json. Con Paradero: paradero verify-proof --key \"$(cat ledger.pub)\" proof.json, con la clave de verificación que anunció quien publica.",
			"Sin Paradero: verifique la firma del punto de control (una nota firmada golang.org/x/mod/sumdb/note, Ed25519) con la clave de verificación de quien publica. Su segunda línea es el tamaño del árbol; la tercera, el hash raíz en base64.",
			"Calcule h = SHA-256(0x00 || hoja) sobre los bytes UTF-8 de la hoja (RFC 6962 §2.1).",
			"Recorra el camino de inclusión desde h hasta la raíz como describe RFC 9162 §2.1.3.2, con fn = índice y sn = tamaño del árbol − 1, calculando SHA-256(0x01 || izquierda || derecha). El resultado debe ser igual al hash raíz del punto de control.",
			"Los archivos fuente se identifican por su SHA-256, listado arriba: calcule el hash del archivo que tiene (sha256sum) y compárelo.",
			"El formato byte a byte de hojas, compromisos y puntos de control está documentado en docs/ledger.md de Paradero.",
		},
		Chart: "Gráfico de la cronología", None: "ninguno", Row: "fila", Page: "Página", Of: "de",
		Fields: map[string]string{"full_name": "Nombre completo", "given_names": "Nombres", "surnames": "Apellidos",
			"first_surname": "Primer apellido", "second_surname": "Segundo apellido", "birth_date": "Fecha de nacimiento",
			"age": "Edad", "sex": "Sexo", "nationality": "Nacionalidad", "country_of_birth": "País de nacimiento",
			"a_number": "Número A", "passport": "Pasaporte", "other_documents": "Otros documentos"},
		Events: map[paradero.EventKind]string{
			paradero.EventArrest: "arresto", paradero.EventBooked: "ingreso", paradero.EventTransfer: "traslado",
			paradero.EventHeld: "detenido", paradero.EventHearing: "audiencia", paradero.EventCharged: "acusación",
			paradero.EventRemovalFlight: "vuelo de deportación", paradero.EventForeignCustody: "custodia extranjera",
			paradero.EventRelease: "liberación", paradero.EventReturn: "retorno", paradero.EventDeath: "fallecimiento",
			paradero.EventNotInCustody: "fuera de custodia", paradero.EventVanished: "desapareció de un localizador"},
		Statuses: map[paradero.PersonStatus]string{
			paradero.StatusAtLiberty: "en libertad", paradero.StatusDetained: "detenido (lugar conocido)",
			paradero.StatusInTransit: "en tránsito", paradero.StatusWhereaboutsUnknown: "PARADERO DESCONOCIDO",
			paradero.StatusReleased: "liberado", paradero.StatusReturned: "retornado", paradero.StatusDeceased: "fallecido"},
		FactKinds: map[paradero.DueProcessKind]string{
			paradero.FactChargingDocument: "documento de acusación", paradero.FactLawyerContact: "contacto con abogado",
			paradero.FactConsularNotification: "notificación consular", paradero.FactFamilyContact: "contacto familiar",
			paradero.FactFirstHearing: "primera audiencia", paradero.FactBond: "fianza", paradero.FactFinalOrder: "orden final",
			paradero.FactHabeasPetition: "hábeas corpus", paradero.FactOrderNotToRemove: "orden de no deportar"},
	}
}
