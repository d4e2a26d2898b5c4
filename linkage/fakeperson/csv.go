package fakeperson

import (
	"encoding/csv"
	"io"
	"strconv"
)

// WriteCSV writes a source with a header row.
func (s Source) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(s.Columns)
	row := make([]string, len(s.Columns))
	for _, r := range s.Rows {
		for i, c := range s.Columns {
			row[i] = r.Values[c]
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// WriteTruth writes source,rec_id,person_id for every row of the sources.
func WriteTruth(w io.Writer, sources []Source) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"source", "rec_id", "person_id"})
	for _, s := range sources {
		for _, r := range s.Rows {
			cw.Write([]string{s.Name, r.Values["rec_id"], strconv.Itoa(r.Person)})
		}
	}
	cw.Flush()
	return cw.Error()
}
