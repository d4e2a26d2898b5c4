package report

import "github.com/paradero/paradero"

// caseLabels are a case dossier's own words in one language, beside the
// person dossier's (labels). A function returns them, so no package-level
// map can change at run time.
type caseLabels struct {
	Title, Case, Facts, Kind, Court, Number, Status, Opened, Closed, Notes           string
	People, PeopleNote, Anchor, Person, NotLinked, LinkedAs, Name, Lawyers           string
	Deadlines, DeadlinesNone, Due, What, Reminder, Orders, OrdersNone, Order         string
	Obeyed, ObeyedSource, Documents, DocumentsNone, Note, Violations, ViolationsNone string
	Type, Date, Place, Perpetrator, Victims, Group, Cited, OthersNote, Whole         string
	PersonSection, SourcesNote, SourceProofs, SourceProofsNote                       string
	CaseKinds                                                                        map[paradero.CaseKind]string
	CaseStatuses                                                                     map[paradero.CaseStatus]string
	DeadlineKinds                                                                    map[paradero.DeadlineKind]string
	DeadlineStatuses                                                                 map[paradero.DeadlineStatus]string
	OrderKinds                                                                       map[paradero.OrderKind]string
	Compliances                                                                      map[paradero.Compliance]string
	ViolationTypes                                                                   map[paradero.ViolationType]string
}

func caseLabelsFor(lang string) *caseLabels {
	if lang == "en" {
		return &caseLabels{
			Title: "Case dossier", Case: "Case", Facts: "The case", Kind: "Kind", Court: "Court", Number: "Case number",
			Status: "Status", Opened: "Opened", Closed: "Closed", Notes: "Notes",
			People:     "People the case concerns",
			PeopleNote: "A case names people through a record (its anchor): each is the person linkage finds that record in now. Their identity, timeline and due-process facts follow, one section each.",
			Anchor:     "Anchor record", Person: "Person", NotLinked: "not linked yet: the record alone", LinkedAs: "linked as person",
			Name: "Name as written", Lawyers: "Lawyers assigned",
			Deadlines: "Hearings and deadlines", DeadlinesNone: "None recorded.", Due: "Date", What: "What", Reminder: "Reminder",
			Orders: "Court orders", OrdersNone: "None recorded.", Order: "Order", Obeyed: "Obeyed?", ObeyedSource: "Shown by",
			Documents: "Documents supporting the case", DocumentsNone: "None cited.", Note: "Note",
			Violations: "Violations", ViolationsNone: "No violation is recorded against these people or in this case.",
			Type: "Type", Date: "Date", Place: "Place", Perpetrator: "Perpetrator", Victims: "Against", Group: "Group",
			Cited:         "Sources",
			OthersNote:    "others named by record id only",
			Whole:         "whole source",
			PersonSection: "Person", SourcesNote: "Every source this dossier cites: the case's documents, the sources of compliance, of the violations and of each person's records.",
			SourceProofs:     "Proofs of the sources",
			SourceProofsNote: "Each source is a ledger entry too: its leaf commits to the file's SHA-256 and its description.",
			CaseKinds: map[paradero.CaseKind]string{paradero.CaseHabeas: "habeas corpus petition", paradero.CaseRemoval: "removal proceedings",
				paradero.CaseCriminal: "criminal case", paradero.CaseInternational: "international petition or precautionary measures",
				paradero.CaseOther: "other"},
			CaseStatuses:     map[paradero.CaseStatus]string{paradero.CaseOpen: "open", paradero.CaseAppeal: "on appeal", paradero.CaseClosed: "closed"},
			DeadlineKinds:    map[paradero.DeadlineKind]string{paradero.DeadlineHearing: "hearing", paradero.DeadlineDeadline: "deadline"},
			DeadlineStatuses: map[paradero.DeadlineStatus]string{paradero.DeadlinePending: "pending", paradero.DeadlineDone: "done", paradero.DeadlineVacated: "vacated"},
			OrderKinds: map[paradero.OrderKind]string{paradero.OrderNotToRemove: "not to remove", paradero.OrderRelease: "release",
				paradero.OrderStay: "stay", paradero.OrderReturn: "facilitate return", paradero.OrderDisclose: "disclose whereabouts or condition",
				paradero.OrderAccess: "allow access", paradero.OrderOther: "other"},
			Compliances: map[paradero.Compliance]string{paradero.ComplianceUnknown: "unknown", paradero.ComplianceObeyed: "obeyed",
				paradero.ComplianceDisobeyed: "DISOBEYED"},
			ViolationTypes: violationTypesEN(),
		}
	}
	return &caseLabels{
		Title: "Expediente del caso", Case: "Caso", Facts: "El caso", Kind: "Tipo", Court: "Tribunal", Number: "Número de expediente",
		Status: "Estado", Opened: "Iniciado", Closed: "Cerrado", Notes: "Notas",
		People:     "Personas a las que se refiere el caso",
		PeopleNote: "Un caso nombra a las personas a través de un registro (su ancla): cada una es la persona en la que la vinculación sitúa hoy ese registro. Su identidad, cronología y hechos de debido proceso siguen, una sección cada una.",
		Anchor:     "Registro ancla", Person: "Persona", NotLinked: "aún no vinculado: el registro solo", LinkedAs: "vinculado como persona",
		Name: "Nombre tal como se escribió", Lawyers: "Abogados asignados",
		Deadlines: "Audiencias y plazos", DeadlinesNone: "Ninguno registrado.", Due: "Fecha", What: "Qué", Reminder: "Recordatorio",
		Orders: "Órdenes judiciales", OrdersNone: "Ninguna registrada.", Order: "Orden", Obeyed: "¿Se cumplió?", ObeyedSource: "Lo muestra",
		Documents: "Documentos que sostienen el caso", DocumentsNone: "Ninguno citado.", Note: "Nota",
		Violations: "Violaciones", ViolationsNone: "No hay violaciones registradas contra estas personas ni en este caso.",
		Type: "Tipo", Date: "Fecha", Place: "Lugar", Perpetrator: "Responsable", Victims: "Contra", Group: "Grupo",
		Cited:         "Fuentes",
		OthersNote:    "otras personas, nombradas solo por número de registro",
		Whole:         "la fuente entera",
		PersonSection: "Persona", SourcesNote: "Todas las fuentes que cita este expediente: los documentos del caso, las del cumplimiento de las órdenes, las de las violaciones y las de los registros de cada persona.",
		SourceProofs:     "Pruebas de las fuentes",
		SourceProofsNote: "Cada fuente es también una entrada del registro inalterable: su hoja compromete el SHA-256 del archivo y su descripción.",
		CaseKinds: map[paradero.CaseKind]string{paradero.CaseHabeas: "hábeas corpus", paradero.CaseRemoval: "proceso de deportación",
			paradero.CaseCriminal: "causa penal", paradero.CaseInternational: "petición o medidas cautelares internacionales",
			paradero.CaseOther: "otro"},
		CaseStatuses:     map[paradero.CaseStatus]string{paradero.CaseOpen: "abierto", paradero.CaseAppeal: "en apelación", paradero.CaseClosed: "cerrado"},
		DeadlineKinds:    map[paradero.DeadlineKind]string{paradero.DeadlineHearing: "audiencia", paradero.DeadlineDeadline: "plazo"},
		DeadlineStatuses: map[paradero.DeadlineStatus]string{paradero.DeadlinePending: "pendiente", paradero.DeadlineDone: "cumplido", paradero.DeadlineVacated: "anulado"},
		OrderKinds: map[paradero.OrderKind]string{paradero.OrderNotToRemove: "no deportar", paradero.OrderRelease: "liberación",
			paradero.OrderStay: "suspensión", paradero.OrderReturn: "facilitar el retorno", paradero.OrderDisclose: "informar paradero o estado",
			paradero.OrderAccess: "permitir acceso", paradero.OrderOther: "otra"},
		Compliances: map[paradero.Compliance]string{paradero.ComplianceUnknown: "se desconoce", paradero.ComplianceObeyed: "cumplida",
			paradero.ComplianceDisobeyed: "INCUMPLIDA"},
		ViolationTypes: violationTypesES(),
	}
}

func violationTypesEN() map[paradero.ViolationType]string {
	return map[paradero.ViolationType]string{
		paradero.ViolationArbitraryDetention: "arbitrary detention", paradero.ViolationEnforcedDisappearance: "enforced disappearance",
		paradero.ViolationIncommunicado: "incommunicado detention", paradero.ViolationTorture: "torture or ill-treatment",
		paradero.ViolationInhumaneConditions: "inhumane conditions of detention", paradero.ViolationDenialOfCounsel: "denial of counsel",
		paradero.ViolationDenialOfConsularAccess: "denial of consular access", paradero.ViolationDenialOfFamilyContact: "denial of family contact",
		paradero.ViolationDueProcess: "denial of due process", paradero.ViolationRemovalDespiteOrder: "removal despite a court order",
		paradero.ViolationRefoulement: "refoulement", paradero.ViolationCollectiveExpulsion: "collective expulsion",
		paradero.ViolationFamilySeparation: "family separation", paradero.ViolationSexualViolence: "sexual violence",
		paradero.ViolationDeathInCustody: "death in custody", paradero.ViolationOther: "other",
	}
}

func violationTypesES() map[paradero.ViolationType]string {
	return map[paradero.ViolationType]string{
		paradero.ViolationArbitraryDetention: "detención arbitraria", paradero.ViolationEnforcedDisappearance: "desaparición forzada",
		paradero.ViolationIncommunicado: "detención incomunicada", paradero.ViolationTorture: "tortura o malos tratos",
		paradero.ViolationInhumaneConditions: "condiciones de detención inhumanas", paradero.ViolationDenialOfCounsel: "negación de asistencia letrada",
		paradero.ViolationDenialOfConsularAccess: "negación de asistencia consular", paradero.ViolationDenialOfFamilyContact: "negación de contacto familiar",
		paradero.ViolationDueProcess: "negación del debido proceso", paradero.ViolationRemovalDespiteOrder: "deportación pese a una orden judicial",
		paradero.ViolationRefoulement: "devolución (refoulement)", paradero.ViolationCollectiveExpulsion: "expulsión colectiva",
		paradero.ViolationFamilySeparation: "separación familiar", paradero.ViolationSexualViolence: "violencia sexual",
		paradero.ViolationDeathInCustody: "muerte bajo custodia", paradero.ViolationOther: "otra",
	}
}
