package locale

import (
	"testing"
	"time"

	"github.com/paradero/paradero"
)

func TestLoadComplete(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Keys()); n < 100 {
		t.Errorf("%d keys; want the whole catalog", n)
	}
	for _, lang := range paradero.Languages {
		p := c.Printer(lang)
		for _, k := range c.Keys() {
			if p.msgs[k].Other == "" {
				t.Errorf("%s: %q is empty", lang, k)
			}
		}
	}
}

func TestPrinter(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	es, en := c.Printer("es"), c.Printer("en")
	day := time.Date(2025, 3, 15, 23, 5, 0, 0, time.UTC)
	for _, tc := range []struct{ got, want string }{
		{es.Number(1234), "1234"},
		{es.Number(12345), "12.345"},
		{es.Number(-1234567), "-1.234.567"},
		{en.Number(1234), "1,234"},
		{en.Number(999), "999"},
		{en.Number(1000000), "1,000,000"},
		{es.N("records.count", 1), "1 registro"},
		{es.N("records.count", 0), "0 registros"},
		{en.N("records.count", 1), "1 record"},
		{en.N("records.count", 12345), "12,345 records"},
		{es.Date(day), "15 de marzo de 2025"},
		{en.Date(day), "15 March 2025"},
		{es.DateTime(day), "15 de marzo de 2025, 23:05 UTC"},
		{es.PartialDate(paradero.PartialDate{Year: 1998}), "1998"},
		{es.PartialDate(paradero.PartialDate{Year: 1998, Month: 7}), "julio de 1998"},
		{en.PartialDate(paradero.PartialDate{Year: 1998, Month: 7, Day: 4}), "4 July 1998"},
		{es.PartialDate(paradero.PartialDate{}), ""},
		{es.T("no.such.key"), "[no.such.key]"},
		{c.Printer("fr").Lang, "es"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestMatch(t *testing.T) {
	for in, want := range map[string]string{
		"":                                 "es",
		"en-US,en;q=0.9":                   "en",
		"es-VE,es;q=0.9,en;q=0.8":          "es",
		"fr-FR,en;q=0.5,es;q=0.7":          "es",
		"de":                               "es",
		"en;q=0, es;q=0.1":                 "es",
		"EN-gb":                            "en",
		"pt-BR;q=0.9,en-GB;q=0.8,es;q=0.1": "en",
	} {
		if got := Match(in); got != want {
			t.Errorf("Match(%q) = %q, want %q", in, got, want)
		}
	}
}
