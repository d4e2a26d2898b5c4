package report

import (
	"regexp"
	"strings"
)

// estimateWarningsEs words package estimate's warnings (estimate.Diagnose
// and Estimate) in Spanish: each pattern matches one English sentence, and
// its replacement reorders the captured names and figures.
// TestEstimateWarningsInSpanish produces every one of them from real tables,
// so a change of wording in estimate fails there, not in a report or page.
// Both the exported reports and the web's estimate use it.
func estimateWarningsEs() []struct {
	re *regexp.Regexp
	es string
} {
	return []struct {
		re *regexp.Regexp
		es string
	}{
		// A problem or note package estimate words itself, when it is one
		// of the known ones (estimateNotesEs); else the patterns below keep
		// it in English and say so.
		{regexp.MustCompile(`^The chosen model has a problem: (` + knownNote + `)\.$`), "El modelo elegido tiene un problema: $1."},
		{regexp.MustCompile(`^Interval: (` + knownNote + `)\.$`), "Intervalo: $1."},
		{regexp.MustCompile(`^Bootstrap: (` + knownNote + `)\.$`), "Bootstrap: $1."},
		{regexp.MustCompile(`^List (.+) names nobody\.$`), "La lista $1 no nombra a nadie."},
		{regexp.MustCompile(`^Lists (.+) and (.+) have nobody in common: what one says about the other cannot be checked\.$`),
			"Las listas $1 y $2 no tienen a nadie en común: lo que una dice de la otra no puede comprobarse."},
		{regexp.MustCompile(`^Lists (.+) and (.+) have only (\S+) people in common: too little overlap for a stable estimate\.$`),
			"Las listas $1 y $2 solo tienen $3 personas en común: muy poco solapamiento para una estimación estable."},
		{regexp.MustCompile(`^Everyone on list (.+) is also on list (.+): .+ may have been built from .+, and the two are not independent sources\.$`),
			"Todas las personas de la lista $1 están también en la lista $2: $1 puede haberse hecho a partir de $2, y las dos no son fuentes independientes."},
		{regexp.MustCompile(`^Only (\S+) of the (\S+) people are on more than one list: the estimate of those on no list rests on very little\.$`),
			"Solo $1 de las $2 personas están en más de una lista: la estimación de las que no están en ninguna se apoya en muy poco."},
		{regexp.MustCompile(`^(\d+) of the (\d+) combinations of lists have nobody: some models cannot be estimated and are left out\.$`),
			"$1 de las $2 combinaciones de listas no tienen a nadie: algunos modelos no pueden estimarse y se excluyen."},
		{regexp.MustCompile(`^(\d+) of (\d+) models were left out because the data cannot give them an estimate \(their estimate does not exist\)\.$`),
			"Se excluyeron $1 de $2 modelos porque los datos no les permiten dar una estimación (su estimación no existe)."},
		{regexp.MustCompile(`^No model gives an estimate: the lists overlap too little\.$`),
			"Ningún modelo da una estimación: las listas se solapan demasiado poco."},
		{regexp.MustCompile(`^The chosen model has a problem: (.+)\.$`), "El modelo elegido tiene un problema (en inglés): $1."},
		{regexp.MustCompile(`^Interval: (.+)\.$`), "Intervalo (en inglés): $1."},
		{regexp.MustCompile(`^Bootstrap: (.+)\.$`), "Bootstrap (en inglés): $1."},
		{regexp.MustCompile(`^Latent classes: the chains disagree \(split R̂ = (\S+)\): the posterior has more than one mode and this result depends on the seed; compare seeds or run longer chains\.$`),
			"Clases latentes: las cadenas no concuerdan (R̂ dividido = $1): la distribución posterior tiene más de una moda y este resultado depende de la semilla; compare semillas o use cadenas más largas."},
		{regexp.MustCompile(`^Model averaging: the posterior has not vanished at 30 times the number observed; its upper tail is cut\.$`),
			"Promedio de modelos: la distribución posterior no se anula a 30 veces el número observado; su cola superior queda cortada."},
	}
}

// knownNote stands, in a pattern of estimateWarningsEs, for a note of
// estimateNotesEs, which EstimateWarning then words in Spanish.
const knownNote = `.+?`

// estimateNotesEs words the problems of a model (estimate's fit.go) and
// the notes of an interval (profile.go, bootstrap.go) in Spanish.
func estimateNotesEs() []struct {
	re *regexp.Regexp
	es string
} {
	return []struct {
		re *regexp.Regexp
		es string
	}{
		{regexp.MustCompile(`^some combinations of lists are empty and this model fits them as impossible; the estimate rests on the other cells only$`),
			"algunas combinaciones de listas están vacías y este modelo las ajusta como imposibles; la estimación se apoya solo en las demás celdas"},
		{regexp.MustCompile(`^the fit converges slowly: the estimate is unstable$`), "el ajuste converge despacio: la estimación es inestable"},
		{regexp.MustCompile(`^some fitted counts are numerically zero$`), "algunos conteos ajustados son numéricamente cero"},
		{regexp.MustCompile(`^the estimate's asymptotic bias exceeds 10% of it: too little data for this model$`),
			"el sesgo asintótico de la estimación supera el 10 % de ella: muy pocos datos para este modelo"},
		{regexp.MustCompile(`^the lower bound is the number observed$`), "el límite inferior es el número observado"},
		{regexp.MustCompile(`^the upper bound is beyond three times the estimate: the data cannot bound the total from above$`),
			"el límite superior supera tres veces la estimación: los datos no pueden acotar el total por arriba"},
		{regexp.MustCompile(`^(\d+) of (\d+) bootstrap tables gave no estimate: the data are too sparse for a bootstrap interval$`),
			"$1 de $2 tablas bootstrap no dieron estimación: los datos son demasiado escasos para un intervalo bootstrap"},
		{regexp.MustCompile(`^(\d+) of (\d+) bootstrap tables gave no estimate and were left out, which narrows the interval$`),
			"$1 de $2 tablas bootstrap no dieron estimación y se excluyeron, lo que estrecha el intervalo"},
	}
}

// EstimateWarning words an estimate's warning in lang; one it does not know is
// kept in English and says so.
func EstimateWarning(lang, w string) string {
	if lang == "en" {
		return w
	}
	for _, p := range estimateWarningsEs() {
		m := p.re.FindStringSubmatch(w)
		if m == nil {
			continue
		}
		if strings.Contains(p.re.String(), "("+knownNote+")") {
			es, ok := noteEs(m[1])
			if !ok {
				continue
			}
			return strings.Replace(p.es, "$1", es, 1)
		}
		return p.re.ReplaceAllString(w, p.es)
	}
	return "(en inglés) " + w
}

// noteEs words a note of estimateNotesEs in Spanish.
func noteEs(note string) (string, bool) {
	for _, p := range estimateNotesEs() {
		if p.re.MatchString(note) {
			return p.re.ReplaceAllString(note, p.es), true
		}
	}
	return "", false
}
