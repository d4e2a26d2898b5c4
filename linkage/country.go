package linkage

import "strings"

// countryWords maps the ways lists write a country or a nationality — the
// Spanish and English name, the demonym in both genders, ISO 3166 alpha-2
// and alpha-3 codes — to one code, for the countries of the Americas whose
// nationals appear in US removals and a few others. Written by hand from
// general knowledge; unknown values compare by their folded text.
const countryWords = `
VE venezuela venezolano venezolana venezuelan ven ve
SV salvador el_salvador salvadoreno salvadorena salvadoran slv sv
HN honduras hondureno hondurena honduran hnd hn
GT guatemala guatemalteco guatemalteca guatemalan gtm gt
MX mexico mejico mexicano mexicana mexican mex mx
CO colombia colombiano colombiana colombian col co
EC ecuador ecuatoriano ecuatoriana ecuadorian ecuadorean ecu ec
NI nicaragua nicaraguense nicaraguan nic ni
CU cuba cubano cubana cuban cub cu
PE peru peruano peruana peruvian per pe
HT haiti haitiano haitiana haitian hti ht
DO dominicana republica_dominicana dominican_republic dominicano dominican dom do
CR costa_rica costarricense costa_rican cri cr
PA panama panameno panamena panamanian pan pa
BR brasil brazil brasileno brasilena brasileiro brazilian bra br
AR argentina argentino argentine arg ar
CL chile chileno chilena chilean chl cl
BO bolivia boliviano boliviana bolivian bol bo
PY paraguay paraguayo paraguaya paraguayan pry py
UY uruguay uruguayo uruguaya uruguayan ury uy
US estados_unidos united_states usa eeuu estadounidense american us
`

// newCountryTable parses countryWords; multi-word names are written with
// underscores.
func newCountryTable() map[string]string {
	t := make(map[string]string)
	for _, line := range strings.Split(countryWords, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		for _, w := range f[1:] {
			t[strings.ReplaceAll(w, "_", " ")] = f[0]
		}
	}
	return t
}

// countryCode returns the code of a folded country or nationality, or the
// folded text itself when it is not in the table. "República Bolivariana
// de Venezuela" and "Venezuela (Bolivarian Republic of)" find Venezuela by
// their words.
func countryCode(t map[string]string, folded string) string {
	if c, ok := t[folded]; ok {
		return c
	}
	words := strings.Fields(folded)
	for i := range words {
		for j := len(words); j > i; j-- {
			if c, ok := t[strings.Join(words[i:j], " ")]; ok && len(words[i:j][0]) > 3 {
				return c
			}
		}
	}
	return folded
}

// Countries recognises a country or a nationality however a list writes it
// ("VENEZOLANO", "Venezuela", "VEN", "Maiquetía, Venezuela"). Build it once
// and reuse it; it is safe for concurrent use.
type Countries struct{ table map[string]string }

// NewCountries returns the recogniser.
func NewCountries() *Countries { return &Countries{table: newCountryTable()} }

// Code returns the ISO 3166 alpha-2 code of the country s names, and
// whether s names one the table knows.
func (c *Countries) Code(s string) (string, bool) {
	f := Fold(s)
	code := countryCode(c.table, f)
	return code, code != f
}
