package linkage

import (
	"slices"
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"José Pérez", "jose perez"},
		{"MUÑOZ", "munoz"},
		{"PEREZ GOMEZ, JOSE L.", "perez gomez jose l"},
		{"  María-José  ", "maria jose"},
		{"O'Neil", "oneil"},
		{"Çağla Ñandú", "cagla nandu"},
		{"", ""},
		{"..,;", ""},
		{"A-123 456", "a 123 456"},
	} {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseName(t *testing.T) {
	nz := NewNormalizer()
	type want struct{ given, sur string }
	for _, tt := range []struct {
		in   NameParts
		want want
	}{
		{NameParts{Full: "JOSE LUIS PEREZ GOMEZ"}, want{"jose luis", "perez gomez"}},
		{NameParts{Full: "José Pérez"}, want{"jose", "perez"}},
		{NameParts{Full: "PEREZ GOMEZ, JOSE L."}, want{"jose l", "perez gomez"}},
		{NameParts{Full: "PEREZ GOMEZ JOSE LUIS"}, want{"jose luis", "perez gomez"}},
		{NameParts{Full: "María José de la Cruz"}, want{"maria jose", "cruz"}},
		{NameParts{Full: "Ana María del Valle Rodríguez"}, want{"ana maria", "valle rodriguez"}},
		{NameParts{Full: "MA GUADALUPE HERNANDEZ"}, want{"maria guadalupe", "hernandez"}},
		{NameParts{Full: "Quintero Urdaneta"}, want{"quintero", "urdaneta"}},
		{NameParts{Full: "Pepe"}, want{"pepe", ""}},
		{NameParts{Full: "Villalobos"}, want{"", "villalobos"}},
		{NameParts{Full: "Ortega y Gasset, José"}, want{"jose", "ortega gasset"}},
		{NameParts{Given: "José Luis", Surnames: "Pérez Gómez"}, want{"jose luis", "perez gomez"}},
		{NameParts{Given: "JOSE", FirstSurname: "PEREZ", SecondSurname: ""}, want{"jose", "perez"}},
		{NameParts{Given: "JOSE", FirstSurname: "PEREZ", SecondSurname: "GOMEZ"}, want{"jose", "perez gomez"}},
		{NameParts{Full: "JOSE LUIS PEREZ GOMEZ", Surnames: "PEREZ"}, want{"jose luis", "perez"}},
		{NameParts{}, want{"", ""}},
	} {
		n := nz.ParseName(tt.in)
		got := want{strings.Join(n.Given, " "), strings.Join(n.Surnames, " ")}
		if got != tt.want {
			t.Errorf("ParseName(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// A token the lexicon does not know leaves the split to the tokens it
// does know, and the roles the sources state win over the lexicon.
func TestParseNameRoles(t *testing.T) {
	nz := NewNormalizer()
	split := func(full string, roles nameRoles) string {
		n := nz.parseName(NameParts{Full: full}, roles)
		return strings.Join(n.Given, " ") + " / " + strings.Join(n.Surnames, " ")
	}
	// JAVER (a typo) is unknown; MANUEL is a given name.
	if got := split("JAVER MANUEL GIRALDO", nil); got != "javer manuel / giraldo" {
		t.Errorf("JAVER MANUEL GIRALDO split as %q", got)
	}
	// Yesid and Duván are in no lexicon; a source that writes them in a
	// given-names field teaches them, and one that writes Santiago as a
	// surname outweighs the lexicon for that dataset.
	roles := make(nameRoles)
	nz.learnRoles(roles, NameParts{Given: "YESID RAFAEL", Surnames: "GONZALEZ LOPEZ"})
	nz.learnRoles(roles, NameParts{Given: "Mauricio Duván", FirstSurname: "Martínez"})
	nz.learnRoles(roles, NameParts{Full: "SANTIAGO GONZALEZ, STIVEN"})
	nz.learnRoles(roles, NameParts{Given: "Stiven", Surnames: "Santiago"})
	for full, want := range map[string]string{
		"YESID RAFAEL GONZALEZ":    "yesid rafael / gonzalez",
		"Mauricio Duvan Martinez":  "mauricio duvan / martinez",
		"STIVEN SANTIAGO GONZALEZ": "stiven / santiago gonzalez",
		"GONZALEZ LOPEZ YESID":     "yesid / gonzalez lopez",
		"YESID DUVAN GONZALEZ":     "yesid duvan / gonzalez",
	} {
		if got := split(full, roles); got != want {
			t.Errorf("with roles, %q split as %q, want %q", full, got, want)
		}
	}
	if got := split("YESID DUVAN GONZALEZ", nil); got == "yesid duvan / gonzalez" {
		t.Errorf("without roles, %q split as %q: the test teaches nothing", "YESID DUVAN GONZALEZ", got)
	}
}

// Digits in a name are letters misread: G0NZALEZ is González.
func TestNameTokensOCR(t *testing.T) {
	for in, want := range map[string]string{
		"g0nzalez 5osa": "gonzalez sosa",
		"fa8ian":        "fabian",
		"eduard0":       "eduardo",
		"juan 2":        "juan 2",
	} {
		if got := strings.Join(nameTokens(in), " "); got != want {
			t.Errorf("nameTokens(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseNameKeepsOriginal(t *testing.T) {
	nz := NewNormalizer()
	in := "PEREZ GOMEZ, JOSE L."
	if got := nz.ParseName(NameParts{Full: in}).Original; got != in {
		t.Errorf("ParseName(%q).Original = %q, want the input", in, got)
	}
	if n := nz.ParseName(NameParts{Full: in}); !n.SurnameFirst {
		t.Errorf("ParseName(%q).SurnameFirst = false, want true", in)
	}
}

func TestPhonetic(t *testing.T) {
	same := [][]string{
		{"Vásquez", "Vázquez", "Basques", "VASQUES"},
		{"Giménez", "Jiménez", "Ximénez", "JIMENES"},
		{"Yépez", "Llépez"},
		{"Hernández", "Ernandes", "HERNANDEZ"},
		{"Quintero", "Kintero"},
		{"Guillermo", "Guiyermo", "GUILLERMO"},
		{"Cecilia", "Sesilia", "Zezilia"},
		{"Núñez", "Nunez"},
		{"Rafael", "Raphael"},
		{"Valle", "Baye", "Balle"},
		{"Jorge", "Jorje"},
		{"Walter", "Gualter"},
		{"Ambrosio", "Anbrosio"},
		{"Carrillo", "Cariyo"},
	}
	for _, group := range same {
		want := Phonetic(group[0])
		for _, w := range group[1:] {
			if got := Phonetic(w); got != want {
				t.Errorf("Phonetic(%q) = %q, want %q (as %q)", w, got, want, group[0])
			}
		}
	}
	differ := [][2]string{
		{"Ana", "Ines"}, {"Pérez", "Peña"}, {"Mora", "Moreno"}, {"Gil", "Gómez"},
		{"Castro", "Castillo"}, {"Rosa", "Rosas"},
	}
	for _, d := range differ {
		if Phonetic(d[0]) == Phonetic(d[1]) {
			t.Errorf("Phonetic(%q) = Phonetic(%q) = %q, want them apart", d[0], d[1], Phonetic(d[0]))
		}
	}
	if got := Phonetic("de la Cruz"); got != "DE LA KRUS" {
		t.Errorf(`Phonetic("de la Cruz") = %q, want "DE LA KRUS"`, got)
	}
}

func TestNicknames(t *testing.T) {
	nz := NewNormalizer()
	for _, tt := range []struct {
		nick string
		name string
	}{
		{"Pepe", "jose"}, {"Chuy", "jesus"}, {"Lalo", "eduardo"}, {"Beto", "roberto"},
		{"Beto", "alberto"}, {"Paco", "francisco"}, {"Pancho", "francisco"},
	} {
		if got := nz.Nicknames(tt.nick); !slices.Contains(got, tt.name) {
			t.Errorf("Nicknames(%q) = %v, want it to contain %q", tt.nick, got, tt.name)
		}
	}
	if got := nz.Nicknames("Quintero"); !slices.Equal(got, []string{"quintero"}) {
		t.Errorf(`Nicknames("Quintero") = %v, want [quintero]`, got)
	}
}

func TestNormalizeID(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"A123456789", "123456789"},
		{"123-456-789", "123456789"},
		{"A 012 345 678", "12345678"},
		{"12345678", "12345678"},
		{"1234O6789", "123406789"},
		{"l23456789", "123456789"},
		{"AB1234567", "AB1234567"},
		{"C0L123", "C0L123"},
		{"", ""},
		{"---", ""},
	} {
		if got := NormalizeID(tt.in); got != tt.want {
			t.Errorf("NormalizeID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
