package ingest

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/paradero/paradero"
)

// Column keys that are not canonical record fields.
const (
	// KeyIgnore drops a column: its values are not imported.
	KeyIgnore = "ignore"
	// ExtraPrefix starts a key that keeps a column as a record's extra
	// field: "x:NAME" stores the values under NAME.
	ExtraPrefix = "x:"
)

// Column is one column of a file's header and where its values go.
type Column struct {
	Name string // the header as written (surrounding spaces trimmed)
	// Key is a canonical field key (paradero.RecordFields), "x:NAME" for a
	// column kept as an extra field, or "ignore".
	Key string
	// Mapped reports whether the mapping file chose Key; otherwise it was
	// chosen automatically.
	Mapped bool
}

// normHeader folds a header for matching: lower case, accents removed, and
// everything but letters, digits and '#' dropped, so that "Fecha de
// Nacimiento", "fecha_de_nacimiento" and "FECHA DE NACIMIENTO " agree, as do
// "F. Nac." and "fnac".
func normHeader(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '#':
				b.WriteByte(c)
			case c >= 'A' && c <= 'Z':
				b.WriteByte(c + 'a' - 'A')
			}
		}
		return b.String()
	}
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// combining accent: drop
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		case r == '#' || r == '№':
			b.WriteByte('#')
		}
	}
	return b.String()
}

// headerSynonyms returns the automatic header table: folded header (see
// normHeader) to canonical key. The canonical keys themselves are added by
// the caller. Headers for names that depend on the rest of the header
// ("nombre" is a full name alone, the given names beside "apellidos") are
// resolved in autoKeys.
func headerSynonyms() map[string]string {
	m := make(map[string]string)
	add := func(key string, names ...string) {
		for _, n := range names {
			m[normHeader(n)] = key
		}
	}
	add("full_name", "nombre completo", "nombre y apellidos", "nombres y apellidos",
		"nombre y apellido", "apellidos y nombres", "apellidos y nombre", "apellido y nombre",
		"nombre del detenido", "nombre de la persona", "full name", "complete name",
		"detainee name", "name of detainee", "person name")
	add("given_names", "nombres", "nombre de pila", "nombres de pila", "primer nombre",
		"given names", "given name", "first name", "first names", "forename", "forenames")
	add("surnames", "apellidos", "apellido", "surname", "surnames", "last name",
		"last names", "family name", "family names")
	add("first_surname", "primer apellido", "apellido paterno", "apellido 1",
		"paternal surname", "paternal last name", "father's surname")
	add("second_surname", "segundo apellido", "apellido materno", "apellido 2",
		"maternal surname", "maternal last name", "mother's surname")
	add("birth_date", "fecha de nacimiento", "fecha nacimiento", "f. nac.", "f nac",
		"fec. nac.", "fecha nac", "f. de nac.", "nacimiento", "fecha de nac.",
		"dob", "d.o.b.", "date of birth", "birth date", "birthdate", "birthday", "born")
	add("age", "edad", "age", "edad (años)", "age (years)")
	add("sex", "sexo", "género", "genero", "sex", "gender")
	add("nationality", "nacionalidad", "ciudadanía", "país de nacionalidad",
		"nationality", "citizenship", "country of citizenship", "citizenship country")
	add("country_of_birth", "país de nacimiento", "pais nacimiento", "país de origen",
		"country of birth", "birth country", "country of origin")
	add("a_number", "número A", "numero a", "núm. A", "no. A", "A#", "a number", "a-number",
		"alien number", "alien no", "alien registration number", "a-file", "anumber")
	add("passport", "pasaporte", "número de pasaporte", "no. de pasaporte", "pasaporte no.",
		"passport", "passport number", "passport no.", "passport #")
	add("other_documents", "documento", "documentos", "documento de identidad",
		"número de documento", "no. de documento", "dui", "dni", "dpi", "cédula", "curp",
		"document", "documents", "identity document", "id document", "national id",
		"other documents")
	add("status", "estado", "situación", "estatus", "situación jurídica", "status",
		"custody status", "situation")
	add("facility", "centro de detención", "centro de detencion", "centro penitenciario",
		"centro", "centro de reclusión", "penal", "cárcel", "prisión", "lugar de detención",
		"facility", "detention facility", "facility name", "current facility", "prison")
	add("place", "lugar", "ubicación", "localidad", "place", "location")
	add("custodian", "custodio", "autoridad", "agencia", "custodian", "authority", "agency",
		"custodial agency")
	add("event_from", "fecha", "fecha del evento", "fecha de detención", "fecha de arresto",
		"fecha de ingreso", "fecha de deportación", "fecha de vuelo", "fecha inicio", "desde",
		"date", "event date", "detention date", "arrest date", "book-in date", "book in date",
		"removal date", "deportation date", "flight date", "from", "start date")
	add("event_to", "fecha fin", "fecha de salida", "fecha de liberación", "hasta",
		"release date", "book-out date", "book out date", "end date", "to")
	add("flight", "vuelo", "número de vuelo", "no. de vuelo", "flight", "flight number",
		"flight no.", "flight #")
	add("notes", "observaciones", "observación", "notas", "nota", "comentarios",
		"notes", "note", "comments", "remarks")
	for _, f := range paradero.RecordFields {
		m[normHeader(f.Key)] = f.Key
	}
	return m
}

// autoKey returns the canonical key for a header, or "" if none fits.
// hasSurname tells whether the same header has a surname column: then a bare
// "nombre" or "name" means the given names, otherwise the full name.
func autoKey(syn map[string]string, header string, hasSurname bool) string {
	n := normHeader(header)
	if k, ok := syn[n]; ok {
		return k
	}
	switch n {
	case "nombre", "name", "names":
		if hasSurname {
			return "given_names"
		}
		return "full_name"
	}
	return ""
}

// isSurnameKey reports whether key holds surnames.
func isSurnameKey(key string) bool {
	return key == "surnames" || key == "first_surname" || key == "second_surname"
}
