package timeline

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/paradero/paradero"
)

// Meaning is what a status, as a list writes it, says.
type Meaning struct {
	Event paradero.EventKind      // "" if no event
	Fact  paradero.DueProcessKind // "" if no due-process fact
	// NoMatch marks a locator's "no match": one answer is no proof of
	// anything (package watch decides when a person is gone), so it makes
	// no event.
	NoMatch bool
}

// phrase maps a status phrase, folded (lower case, no accents, words split
// at anything not a letter or digit), to its meaning.
type phrase struct {
	words string
	m     Meaning
}

type compiled struct {
	words []string
	m     Meaning
}

func compile(ps []phrase) []compiled {
	out := make([]compiled, len(ps))
	for i, p := range ps {
		out[i] = compiled{strings.Fields(p.words), p.m}
	}
	return out
}

// vocabulary is the documented table of docs/timeline.md, in match order:
// the first phrase whose words occur, in order and contiguous, among the
// status's words wins. Negations and longer phrases therefore come first
// ("not in custody" before "in custody", "no deportar" before "deportado").
var vocabulary = compile([]phrase{
	// Locator answers.
	{"no match", Meaning{NoMatch: true}},
	{"no matches", Meaning{NoMatch: true}},
	{"no results", Meaning{NoMatch: true}},
	{"sin resultados", Meaning{NoMatch: true}},
	{"not in ice custody", Meaning{Event: paradero.EventNotInCustody}},
	{"not in custody", Meaning{Event: paradero.EventNotInCustody}},
	{"no esta bajo custodia", Meaning{Event: paradero.EventNotInCustody}},
	{"no esta en custodia", Meaning{Event: paradero.EventNotInCustody}},
	{"fuera de custodia", Meaning{Event: paradero.EventNotInCustody}},
	// A watch's finding (package watch): confirmed gone from a locator.
	{"vanished from locator", Meaning{Event: paradero.EventVanished}},
	{"vanished from the locator", Meaning{Event: paradero.EventVanished}},
	{"desaparecio del localizador", Meaning{Event: paradero.EventVanished}},

	// Due-process facts. Orders not to remove before anything that
	// mentions removal.
	{"order not to remove", Meaning{Fact: paradero.FactOrderNotToRemove}},
	{"stay of removal", Meaning{Fact: paradero.FactOrderNotToRemove}},
	{"temporary restraining order", Meaning{Fact: paradero.FactOrderNotToRemove}},
	{"tro", Meaning{Fact: paradero.FactOrderNotToRemove}},
	{"orden de no deportar", Meaning{Fact: paradero.FactOrderNotToRemove}},
	{"no deportar", Meaning{Fact: paradero.FactOrderNotToRemove}},
	{"suspension de deportacion", Meaning{Fact: paradero.FactOrderNotToRemove}},
	{"suspension de la deportacion", Meaning{Fact: paradero.FactOrderNotToRemove}},
	{"medida cautelar", Meaning{Fact: paradero.FactOrderNotToRemove}},
	{"habeas", Meaning{Fact: paradero.FactHabeasPetition}},
	{"final order", Meaning{Fact: paradero.FactFinalOrder}},
	{"orden final", Meaning{Fact: paradero.FactFinalOrder}},
	{"released on bond", Meaning{Event: paradero.EventRelease, Fact: paradero.FactBond}},
	{"liberado bajo fianza", Meaning{Event: paradero.EventRelease, Fact: paradero.FactBond}},
	{"bond", Meaning{Fact: paradero.FactBond}},
	{"fianza", Meaning{Fact: paradero.FactBond}},
	{"notice to appear", Meaning{Event: paradero.EventCharged, Fact: paradero.FactChargingDocument}},
	{"nta", Meaning{Event: paradero.EventCharged, Fact: paradero.FactChargingDocument}},
	{"lawyer contact", Meaning{Fact: paradero.FactLawyerContact}},
	{"contacto con abogado", Meaning{Fact: paradero.FactLawyerContact}},
	{"consular notification", Meaning{Fact: paradero.FactConsularNotification}},
	{"notificacion consular", Meaning{Fact: paradero.FactConsularNotification}},
	{"family contact", Meaning{Fact: paradero.FactFamilyContact}},
	{"contacto familiar", Meaning{Fact: paradero.FactFamilyContact}},
	{"contacto con la familia", Meaning{Fact: paradero.FactFamilyContact}},

	// Death first: "murio detenido" is a death, not a detention.
	{"deceased", Meaning{Event: paradero.EventDeath}},
	{"died", Meaning{Event: paradero.EventDeath}},
	{"dead", Meaning{Event: paradero.EventDeath}},
	{"fallecido", Meaning{Event: paradero.EventDeath}},
	{"fallecida", Meaning{Event: paradero.EventDeath}},
	{"fallecio", Meaning{Event: paradero.EventDeath}},
	{"murio", Meaning{Event: paradero.EventDeath}},
	{"muerto", Meaning{Event: paradero.EventDeath}},

	// Return before removal: "repatriado", "returned to Venezuela".
	{"returned", Meaning{Event: paradero.EventReturn}},
	{"repatriated", Meaning{Event: paradero.EventReturn}},
	{"repatriado", Meaning{Event: paradero.EventReturn}},
	{"repatriada", Meaning{Event: paradero.EventReturn}},
	{"retornado", Meaning{Event: paradero.EventReturn}},
	{"retornada", Meaning{Event: paradero.EventReturn}},
	{"regreso", Meaning{Event: paradero.EventReturn}},

	{"handed to", Meaning{Event: paradero.EventForeignCustody}},
	{"handed over", Meaning{Event: paradero.EventForeignCustody}},
	{"entregado a", Meaning{Event: paradero.EventForeignCustody}},
	{"entregada a", Meaning{Event: paradero.EventForeignCustody}},
	{"foreign custody", Meaning{Event: paradero.EventForeignCustody}},
	{"foreign custodian", Meaning{Event: paradero.EventForeignCustody}},
	{"foreign prison", Meaning{Event: paradero.EventForeignCustody}},
	{"custodia extranjera", Meaning{Event: paradero.EventForeignCustody}},
	{"prision extranjera", Meaning{Event: paradero.EventForeignCustody}},

	{"removed", Meaning{Event: paradero.EventRemovalFlight}},
	{"deported", Meaning{Event: paradero.EventRemovalFlight}},
	{"deportado", Meaning{Event: paradero.EventRemovalFlight}},
	{"deportada", Meaning{Event: paradero.EventRemovalFlight}},
	{"expulsado", Meaning{Event: paradero.EventRemovalFlight}},
	{"expulsada", Meaning{Event: paradero.EventRemovalFlight}},
	{"removal flight", Meaning{Event: paradero.EventRemovalFlight}},
	{"vuelo de deportacion", Meaning{Event: paradero.EventRemovalFlight}},

	{"released", Meaning{Event: paradero.EventRelease}},
	{"liberado", Meaning{Event: paradero.EventRelease}},
	{"liberada", Meaning{Event: paradero.EventRelease}},
	{"puesto en libertad", Meaning{Event: paradero.EventRelease}},
	{"excarcelado", Meaning{Event: paradero.EventRelease}},

	{"transferred", Meaning{Event: paradero.EventTransfer}},
	{"transfer", Meaning{Event: paradero.EventTransfer}},
	{"trasladado", Meaning{Event: paradero.EventTransfer}},
	{"trasladada", Meaning{Event: paradero.EventTransfer}},
	{"traslado", Meaning{Event: paradero.EventTransfer}},

	{"hearing", Meaning{Event: paradero.EventHearing}},
	{"audiencia", Meaning{Event: paradero.EventHearing}},
	{"charged", Meaning{Event: paradero.EventCharged}},
	{"acusado", Meaning{Event: paradero.EventCharged}},
	{"acusada", Meaning{Event: paradero.EventCharged}},
	{"imputado", Meaning{Event: paradero.EventCharged}},
	{"imputada", Meaning{Event: paradero.EventCharged}},

	{"booked", Meaning{Event: paradero.EventBooked}},
	{"ingresado", Meaning{Event: paradero.EventBooked}},
	{"ingresada", Meaning{Event: paradero.EventBooked}},
	{"ingreso", Meaning{Event: paradero.EventBooked}},
	{"arrested", Meaning{Event: paradero.EventArrest}},
	{"arrest", Meaning{Event: paradero.EventArrest}},
	{"arrestado", Meaning{Event: paradero.EventArrest}},
	{"arrestada", Meaning{Event: paradero.EventArrest}},
	{"capturado", Meaning{Event: paradero.EventArrest}},
	{"capturada", Meaning{Event: paradero.EventArrest}},
	{"aprehendido", Meaning{Event: paradero.EventArrest}},
	{"aprehendida", Meaning{Event: paradero.EventArrest}},

	{"in ice custody", Meaning{Event: paradero.EventHeld}},
	{"in custody", Meaning{Event: paradero.EventHeld}},
	{"detained", Meaning{Event: paradero.EventHeld}},
	{"detenido", Meaning{Event: paradero.EventHeld}},
	{"detenida", Meaning{Event: paradero.EventHeld}},
	{"en custodia", Meaning{Event: paradero.EventHeld}},
	{"bajo custodia", Meaning{Event: paradero.EventHeld}},
	{"recluido", Meaning{Event: paradero.EventHeld}},
	{"recluida", Meaning{Event: paradero.EventHeld}},
	{"privado de libertad", Meaning{Event: paradero.EventHeld}},
	{"privada de libertad", Meaning{Event: paradero.EventHeld}},
	{"preso", Meaning{Event: paradero.EventHeld}},
	{"presa", Meaning{Event: paradero.EventHeld}},
	{"held", Meaning{Event: paradero.EventHeld}},
})

// Interpret returns what a status, as a list writes it, means, and whether
// the vocabulary knows it. Case, accents and punctuation do not matter.
func Interpret(status string) (Meaning, bool) {
	words := foldWords(status)
	if len(words) == 0 {
		return Meaning{}, false
	}
	for _, p := range vocabulary {
		if containsRun(words, p.words) {
			return p.m, true
		}
	}
	return Meaning{}, false
}

func containsRun(words, run []string) bool {
outer:
	for i := 0; i+len(run) <= len(words); i++ {
		for j, w := range run {
			if words[i+j] != w {
				continue outer
			}
		}
		return true
	}
	return false
}

// foldWords lower-cases s, removes accents and splits it into words of
// letters and digits.
func foldWords(s string) []string {
	if ascii(s) {
		return asciiWords(s)
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Fields(b.String())
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// asciiWords is foldWords for ASCII text, without Unicode normalisation.
func asciiWords(s string) []string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'A' <= c && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		default:
			b[i] = ' '
		}
	}
	return strings.Fields(string(b))
}

// fold returns s folded for comparing places and facilities.
func fold(s string) string { return strings.Join(foldWords(s), " ") }
