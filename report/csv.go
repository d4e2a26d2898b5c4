package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// SafeCell neutralises a text cell for a CSV file that may be opened in a
// spreadsheet (OWASP, "CSV Injection"): a cell that begins with =, +, -,
// @, a tab or a carriage return — or their full-width forms, which some
// spreadsheets also read as formula signs — gets a leading apostrophe, so
// it is shown as text and never evaluated. The apostrophe is visible in a
// text editor; that is the price of a file nobody's spreadsheet runs.
// Quotes and separators are left to encoding/csv.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	for _, p := range []string{"＝", "＋", "－", "＠"} {
		if strings.HasPrefix(s, p) {
			return "'" + s
		}
	}
	return s
}

// csvWriter writes rows whose text cells are neutralised by SafeCell;
// numbers the report computed itself are written as they are.
type csvWriter struct{ w *csv.Writer }

func newCSV(w io.Writer) *csvWriter { return &csvWriter{csv.NewWriter(w)} }

// row writes cells: strings pass through SafeCell, ints are formatted.
func (c *csvWriter) row(cells ...any) {
	rec := make([]string, len(cells))
	for i, v := range cells {
		switch v := v.(type) {
		case string:
			rec[i] = SafeCell(v)
		case int:
			rec[i] = strconv.Itoa(v)
		case int64:
			rec[i] = strconv.FormatInt(v, 10)
		}
	}
	c.w.Write(rec) // the error, sticky, comes back from flush
}

func (c *csvWriter) flush() error {
	c.w.Flush()
	return c.w.Error()
}

// WriteCSV writes the reconciliation as one row per person: the person,
// the name as first written, how many of the sources name them, and a 0/1
// column per source headed by SourceLabel and the source's title.
func (r *Reconciliation) WriteCSV(w io.Writer) error {
	c := newCSV(w)
	head := []any{"person", "name", "sources"}
	for _, s := range r.Sources {
		head = append(head, SourceLabel(s)+" "+s.Title)
	}
	c.row(head...)
	for _, m := range r.Persons {
		row := []any{m.Label(), m.Name, len(m.Sources)}
		for _, s := range r.Sources {
			on := 0
			if m.On(s.ID) {
				on = 1
			}
			row = append(row, on)
		}
		c.row(row...)
	}
	return c.flush()
}

// WriteIntersectionsCSV writes the UpSet table: one row per exclusive
// intersection, a 0/1 column per source and the count.
func (r *Reconciliation) WriteIntersectionsCSV(w io.Writer) error {
	c := newCSV(w)
	var head []any
	for _, s := range r.Sources {
		head = append(head, SourceLabel(s)+" "+s.Title)
	}
	c.row(append(head, "count")...)
	for _, x := range r.Intersections {
		row := make([]any, len(r.Sources), len(r.Sources)+1)
		for i := range row {
			row[i] = 0
		}
		for _, i := range x.Sources {
			row[i] = 1
		}
		c.row(append(row, x.Count)...)
	}
	return c.flush()
}

// WriteUnaccountedCSV writes the persons of Unaccounted: person, name, the
// last publication date of a source naming them, and those sources' ids.
func WriteUnaccountedCSV(w io.Writer, us []Unaccounted) error {
	c := newCSV(w)
	c.row("person", "name", "last_seen", "sources")
	for _, u := range us {
		ids := make([]string, len(u.Sources))
		for i, id := range u.Sources {
			ids[i] = strconv.FormatInt(id, 10)
		}
		c.row(u.Label(), u.Name, u.LastSeen.String(), strings.Join(ids, " "))
	}
	return c.flush()
}
