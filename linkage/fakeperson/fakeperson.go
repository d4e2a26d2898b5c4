// Package fakeperson generates synthetic person lists for testing and
// benchmarking record linkage: invented people with common Spanish given
// names and surnames, overlapping sources in the layouts Paradero's
// records use, the errors such lists carry, and the ground truth. No real
// person is described; names are drawn independently from short lists of
// common names with Zipf-like frequencies.
//
// It is a stand-in used inside package linkage's tests and bench/; the
// project's synthetic world generator (package synth) is the realistic one.
package fakeperson

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

var givenM = strings.Fields(`José Luis Carlos Juan Jesús Miguel Ángel Pedro Francisco Antonio
Manuel Jorge Alejandro Rafael Daniel David Fernando Ricardo Eduardo Roberto Andrés Javier Víctor
Óscar Raúl Sergio Héctor Gabriel Diego Mario Alberto Enrique Pablo Ramón Gustavo Wilmer Yorman
Jhonny Darwin Kelvin Ender Yonaiker Anderson Reinaldo Gregorio Nelson Orlando Julio César Iván
Rubén Alexander Cristian Santiago Samuel Moisés Néstor Efraín Wilfredo Leonardo Arturo`)

var givenF = strings.Fields(`María Ana Carmen Rosa Luz Marta Patricia Carolina Andrea
Daniela Gabriela Valentina Camila Sofía Isabel Teresa Laura Paola Yolanda Yusmary Yulimar
Mariana Fernanda Lucía Elena Gloria Sandra Mónica Claudia Diana Beatriz Verónica Lorena
Alejandra Natalia Adriana Milagros Xiomara Zulay Maribel Dayana Yessica Leidy Génesis`)

var surnames = strings.Fields(`González Rodríguez Pérez Hernández García Martínez López
Sánchez Ramírez Díaz Torres Flores Rivera Gómez Morales Vásquez Rojas Castillo Jiménez Moreno
Romero Álvarez Mendoza Gutiérrez Ruiz Herrera Medina Aguilar Castro Vargas Ramos Ortiz Reyes
Cruz Chávez Silva Guzmán Salazar Contreras Muñoz Suárez Delgado Figueroa Mejía Quintero Guerrero
Peña Marín Carrasco Parra Rincón Bermúdez Villalobos Urdaneta Chacón Zambrano Briceño Paredes
Molina Sosa Blanco Acosta Escalona Colmenares Montilla Linares Carrillo Pacheco Cordero Gil
Arias Campos Vega Núñez Cabrera León Fuentes Ochoa Duarte Palacios Cáceres Bravo Osorio
Valencia Benítez Lozano Serrano Calderón Soto Navarro Quiroz Montoya Hidalgo Toro Marcano
Velásquez Rosales Miranda Pineda Lara Abreu Mora Escobar Cedeño Aponte Tovar Padrón Sequera`)

var particleSurnames = []string{"de la Cruz", "del Valle", "de León", "de los Santos", "de Jesús"}

// nicknames: hypocorisms written as families use them (a few, for noise).
var nicknames = map[string]string{
	"José": "Pepe", "Francisco": "Pancho", "Jesús": "Chuy", "Eduardo": "Lalo",
	"Guillermo": "Memo", "Roberto": "Beto", "Alberto": "Beto", "Antonio": "Toño",
	"Manuel": "Manolo", "Rafael": "Rafa", "Alejandro": "Alex", "Enrique": "Kike",
	"Ignacio": "Nacho", "Dolores": "Lola", "Rosario": "Charo", "Guadalupe": "Lupe",
}

// Person is one invented individual.
type Person struct {
	ID       int
	Given    []string
	Surnames []string
	Birth    [3]int // y, m, d
	Sex      string
	ANumber  string
	Passport string
}

// Row is one record of one source.
type Row struct {
	Person int
	Values map[string]string
}

// Source is one list.
type Source struct {
	Name    string
	Columns []string
	Rows    []Row
}

// zipf draws an index in [0, n) with weight 1/(i+1)^s.
type zipf struct{ cum []float64 }

func newZipf(n int, s float64) zipf {
	z := zipf{cum: make([]float64, n)}
	t := 0.0
	for i := range n {
		t += 1 / math.Pow(float64(i+1), s)
		z.cum[i] = t
	}
	for i := range z.cum {
		z.cum[i] /= t
	}
	return z
}

func (z zipf) draw(r *rand.Rand) int {
	x := r.Float64()
	lo, hi := 0, len(z.cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if z.cum[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// Generate invents persons and the sources that mention them. Each person
// appears in each source with the source's probability, sometimes twice.
// The same seed gives the same world.
func Generate(persons int, seed uint64) []Source {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	zm, zf, zs := newZipf(len(givenM), 1.0), newZipf(len(givenF), 1.0), newZipf(len(surnames), 0.9)
	people := make([]Person, persons)
	usedA := make(map[string]bool)
	for i := range people {
		p := Person{ID: i + 1}
		if r.IntN(2) == 0 {
			p.Sex = "M"
			p.Given = []string{givenM[zm.draw(r)]}
			if r.IntN(3) == 0 {
				p.Given = append(p.Given, givenM[zm.draw(r)])
			}
		} else {
			p.Sex = "F"
			p.Given = []string{givenF[zf.draw(r)]}
			if r.IntN(3) == 0 {
				p.Given = append(p.Given, givenF[zf.draw(r)])
			}
		}
		if p.Given[len(p.Given)-1] == p.Given[0] && len(p.Given) == 2 {
			p.Given = p.Given[:1]
		}
		for range 2 {
			if r.IntN(40) == 0 {
				p.Surnames = append(p.Surnames, particleSurnames[r.IntN(len(particleSurnames))])
			} else {
				p.Surnames = append(p.Surnames, surnames[zs.draw(r)])
			}
		}
		p.Birth = [3]int{1965 + r.IntN(42), 1 + r.IntN(12), 1 + r.IntN(28)}
		for {
			a := fmt.Sprintf("%09d", 200000000+r.IntN(100000000))
			if !usedA[a] {
				usedA[a] = true
				p.ANumber = a
				break
			}
		}
		if r.IntN(3) == 0 {
			p.Passport = fmt.Sprintf("%09d", 100000000+r.IntN(900000000))
		}
		people[i] = p
	}
	type spec struct {
		name string
		p    float64
		cols []string
		row  func(p *Person) map[string]string
	}
	specs := []spec{
		{"roster.csv", 0.55, []string{"rec_id", "full_name", "birth_date", "nationality"}, func(p *Person) map[string]string {
			return map[string]string{"full_name": strings.ToUpper(fold(r, p.fullName(r))), "birth_date": date(r, p.Birth, false), "nationality": "VENEZUELA"}
		}},
		{"court_filing.csv", 0.35, []string{"rec_id", "full_name", "a_number", "birth_date"}, func(p *Person) map[string]string {
			given := p.Given[0]
			if len(p.Given) > 1 {
				given += " " + p.Given[1][:1] + "."
			}
			return map[string]string{"full_name": strings.ToUpper(fold(r, strings.Join(p.surn(r), " ")+", "+given)),
				"a_number": anum(r, p.ANumber), "birth_date": date(r, p.Birth, true)}
		}},
		{"family_reports.csv", 0.3, []string{"rec_id", "given_names", "surnames", "birth_date", "sex"}, func(p *Person) map[string]string {
			g := strings.Join(p.Given, " ")
			if n, ok := nicknames[p.Given[0]]; ok && r.IntN(3) == 0 {
				g = n
			}
			s := p.surn(r)
			if r.IntN(3) == 0 {
				s = s[:1]
			}
			return map[string]string{"given_names": typo(r, g), "surnames": typo(r, strings.Join(s, " ")), "birth_date": date(r, p.Birth, true), "sex": p.Sex}
		}},
		{"locator.csv", 0.45, []string{"rec_id", "first_surname", "second_surname", "given_names", "a_number", "country_of_birth"}, func(p *Person) map[string]string {
			s := p.surn(r)
			m := map[string]string{"first_surname": strings.ToUpper(fold(r, s[0])), "given_names": strings.ToUpper(fold(r, strings.Join(p.Given, " "))),
				"a_number": anum(r, p.ANumber), "country_of_birth": "VENEZUELA"}
			if len(s) > 1 && r.IntN(4) > 0 {
				m["second_surname"] = strings.ToUpper(fold(r, s[1]))
			}
			return m
		}},
		{"manifest.csv", 0.4, []string{"rec_id", "full_name", "passport", "birth_date", "sex"}, func(p *Person) map[string]string {
			n := p.fullName(r)
			if r.IntN(4) == 0 {
				n = strings.Join(p.surn(r), " ") + " " + strings.Join(p.Given, " ")
			}
			return map[string]string{"full_name": typo(r, strings.ToUpper(fold(r, n))), "passport": p.Passport, "birth_date": date(r, p.Birth, false), "sex": p.Sex}
		}},
	}
	var out []Source
	for _, sp := range specs {
		s := Source{Name: sp.name, Columns: sp.cols}
		for i := range people {
			if r.Float64() >= sp.p {
				continue
			}
			times := 1
			if r.IntN(25) == 0 {
				times = 2
			}
			for range times {
				s.Rows = append(s.Rows, Row{Person: people[i].ID, Values: sp.row(&people[i])})
			}
		}
		r.Shuffle(len(s.Rows), func(i, j int) { s.Rows[i], s.Rows[j] = s.Rows[j], s.Rows[i] })
		for i := range s.Rows {
			s.Rows[i].Values["rec_id"] = fmt.Sprintf("%s-%d", strings.TrimSuffix(sp.name, ".csv"), i+1)
		}
		out = append(out, s)
	}
	return out
}

func (p *Person) fullName(r *rand.Rand) string {
	return strings.Join(p.Given, " ") + " " + strings.Join(p.surn(r), " ")
}

// surn returns the surnames, sometimes swapped or without the second.
func (p *Person) surn(r *rand.Rand) []string {
	switch r.IntN(20) {
	case 0:
		return []string{p.Surnames[1], p.Surnames[0]}
	case 1, 2:
		return p.Surnames[:1]
	}
	return p.Surnames
}

var accents = strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ñ", "n",
	"Á", "A", "É", "E", "Í", "I", "Ó", "O", "Ú", "U", "Ñ", "N")

// fold usually drops accents, as lists typed in English do.
func fold(r *rand.Rand, s string) string {
	if r.IntN(4) == 0 {
		return s
	}
	return accents.Replace(s)
}

// typo sometimes changes, drops, doubles or swaps one letter.
func typo(r *rand.Rand, s string) string {
	if r.IntN(6) != 0 || len(s) < 4 {
		return s
	}
	b := []rune(s)
	i := 1 + r.IntN(len(b)-2)
	switch r.IntN(4) {
	case 0:
		b[i] = rune('a' + r.IntN(26))
		if s == strings.ToUpper(s) {
			b[i] = rune('A' + r.IntN(26))
		}
	case 1:
		b = append(b[:i], b[i+1:]...)
	case 2:
		b = append(b[:i+1], b[i:]...)
	case 3:
		b[i], b[i+1] = b[i+1], b[i]
	}
	return string(b)
}

// date writes an ISO date, sometimes only the year, sometimes with day and
// month swapped, sometimes one component off; sometimes nothing.
func date(r *rand.Rand, d [3]int, sloppy bool) string {
	y, m, dd := d[0], d[1], d[2]
	switch x := r.IntN(20); {
	case x == 0:
		return ""
	case x == 1:
		return fmt.Sprint(y)
	case sloppy && x == 2 && dd <= 12:
		m, dd = dd, m
	case sloppy && x == 3:
		y++
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, dd)
}

// anum writes an A-number with its usual variants and OCR confusions.
func anum(r *rand.Rand, a string) string {
	switch r.IntN(10) {
	case 0:
		return "A" + a
	case 1:
		return a[:3] + "-" + a[3:6] + "-" + a[6:]
	case 2:
		return strings.Replace(a, "0", "O", 1)
	case 3:
		b := []byte(a)
		i := r.IntN(len(b) - 1)
		b[i], b[i+1] = b[i+1], b[i]
		return string(b)
	case 4:
		if r.IntN(2) == 0 {
			return ""
		}
	}
	return a
}
