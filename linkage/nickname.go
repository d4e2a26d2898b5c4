package linkage

import (
	_ "embed"
	"encoding/csv"
	"strings"
)

// nicknamesCSV is Paradero's table of Spanish hypocorisms (Pepe = José,
// Chuy = Jesús, Lalo = Eduardo …), copied from shared/data/nicknames_es.csv.
// Each row cites the pages it was taken from by source_id; those sources
// are listed in nicknames_es_sources.csv beside it. The rows are
// nickname–name correspondences, facts of usage, compiled by the project
// with their evidence level; rows marked not_sourced are common pairs for
// which no source was found, kept because a wrong pair costs little: it only
// moves a pair into the "phonetic or nickname" level, whose weight EM fits.
//
//go:embed nicknames_es.csv
var nicknamesCSV string

// nicknameTable maps a folded nickname or name to the folded full names it
// may stand for; a full name maps to itself.
type nicknameTable map[string][]string

// parseNicknames reads the embedded table. It panics on a malformed table,
// which is a build error, not an input error.
func parseNicknames() nicknameTable {
	rows, err := csv.NewReader(strings.NewReader(nicknamesCSV)).ReadAll()
	if err != nil || len(rows) < 2 || rows[0][0] != "nickname" || rows[0][1] != "full_name" {
		panic("linkage: malformed nicknames_es.csv")
	}
	t := make(nicknameTable)
	for _, r := range rows[1:] {
		nick, full := Fold(r[0]), Fold(r[1])
		t[nick] = appendUnique(t[nick], full)
	}
	return t
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// commonGivenNames are frequent given names of Spanish-speaking Latin
// America, written by hand from general knowledge (not copied from any
// list). They help split an unstructured full name into given names and
// surnames ("JOSE LUIS PEREZ GOMEZ": two given names, two surnames) and
// recognise names written surname first without a comma. Names that are
// also frequent surnames (Martín, Lorenzo, Ramos…) are left out on purpose.
const commonGivenNames = `
adriana alba alberto alejandra alejandro alexander alexis alfredo alicia
allan ana andrea andres angel angela angelica anibal antonio armando arturo
augusto beatriz brayan brenda camila carla carlos carmen carolina catalina
cecilia cesar claudia cristian cristina daniel daniela danny david deisy
diana diego dolores edgar eduardo elena elias eliana elizabeth emilio
enrique erick ernesto esteban eugenio eva evelyn fabiola felipe fernanda
fernando francisco freddy gabriel gabriela gerardo gilberto gloria gonzalo
gregorio guadalupe guillermo gustavo hector hugo ignacio isabel ismael
ivan jaime javier jenny jesus jhon jhonny joel jonathan jorge jose josefina
juan juana julia julian julio karen karina kevin laura leonardo leticia
liliana lorena lucia luis luisa luz manuel manuela marco marcos margarita
maria mariana mario marisol marta martha mauricio melissa miguel milagros
mireya moises monica nancy natalia nelson nestor nicolas norma oscar pablo
patricia paola pedro rafael ramon raul ricardo roberto rocio rodrigo
rosa rosario ruben samuel sandra santiago sara sebastian sergio silvia
sofia sonia susana teresa valentina vanessa veronica victor virginia
wilmer william wilson xiomara yaneth yolanda yulimar yusmary zulay
`

// nameLexicon knows given names: the hand list above, and every name and
// nickname of the hypocorism table.
type nameLexicon struct {
	nick  nicknameTable
	given map[string]bool
}

func newNameLexicon() *nameLexicon {
	lx := &nameLexicon{nick: parseNicknames(), given: make(map[string]bool)}
	for _, g := range strings.Fields(commonGivenNames) {
		lx.given[g] = true
	}
	for nick, fulls := range lx.nick {
		if !strings.Contains(nick, " ") {
			lx.given[nick] = true
		}
		for _, f := range fulls {
			for _, t := range strings.Fields(f) {
				lx.given[t] = true
			}
		}
	}
	return lx
}

// isGiven reports whether the folded token is a known given name.
func (lx *nameLexicon) isGiven(t string) bool { return lx.given[t] }

// expansions returns the folded names a folded given name may stand for,
// itself included: Pepe → [pepe jose], Beto → [beto roberto alberto …].
func (lx *nameLexicon) expansions(name string) []string {
	full := lx.nick[name]
	out := make([]string, 0, len(full)+1)
	out = append(out, name)
	for _, f := range full {
		out = appendUnique(out, f)
	}
	return out
}
