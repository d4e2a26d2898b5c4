package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/paradero/paradero"
)

// TestImportErrorsInSpanish: the problems package ingest finds in a file
// are worded in the page's language from their codes, not shown in
// English; the English page keeps the reader's full reason.
func TestImportErrorsInSpanish(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	c.login(paradero.RoleDocumenter)
	problem := func(name, body string) (msg string, english bool) {
		t.Helper()
		r := c.postMultipart("/import", map[string]string{"kind": "roster"}, name, body)
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("%s = %d, want 422", name, r.status)
		}
		tds := findAll(byID(parse(t, r.body), "line-errors"), "td")
		if len(tds) != 3 {
			t.Fatalf("%s: line errors have %d cells, want one row of 3", name, len(tds))
		}
		return text(tds[2]), attr(tds[2], "lang") == "en"
	}
	// Spanish, the default.
	got, english := problem("fechas.csv", "nombre,fecha de nacimiento\nLuis Rivas,1990-01-01\nAna Soto,31/13/1991\n")
	if want := "columna «fecha de nacimiento»: «31/13/1991» no es una fecha que Paradero sepa leer"; !strings.HasPrefix(got, want) || english {
		t.Errorf("bad date = %q (lang en: %v), want it to start %q", got, english, want)
	}
	got, english = problem("lista.jsonl", "{\"nombre\": \"Luis Rivas\"}\n{\"nombre\": \"Ana Soto\"\n")
	if want := "JSON no válido: el objeto no se cierra en esta línea"; got != want || english {
		t.Errorf("unclosed JSON = %q (lang en: %v), want %q", got, english, want)
	}
	// English: the reader's own sentence, with what it found wrong.
	c.post("/language", url.Values{"lang": {"en"}, "csrf": {c.csrfFrom("/")}})
	got, _ = problem("fechas.csv", "nombre,fecha de nacimiento\nLuis Rivas,1990-01-01\nAna Soto,31/13/1991\n")
	if !strings.HasPrefix(got, `column "fecha de nacimiento": date "31/13/1991"`) {
		t.Errorf("English bad date = %q", got)
	}
}
