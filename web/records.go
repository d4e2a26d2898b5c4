package web

import (
	"net/http"

	"github.com/paradero/paradero"
)

// fieldRow is one field of a record as its source wrote it.
type fieldRow struct {
	Label string
	Value string
	Extra bool // a column of the source with no field of its own: Label is the source's header
}

type recordData struct {
	Record *paradero.Record
	Source *paradero.Source
	Fields []fieldRow
	// Person is the person the record belongs to; nil when it is not
	// linked yet (or the store keeps no persons): it is its own person.
	Person *paradero.Person
}

func (s *Server) recordPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := idParam(r)
	if err != nil {
		return err
	}
	rec, src, err := s.findRecord(ctx, id)
	if err != nil {
		return err
	}
	person, err := s.personOfRecord(ctx, id)
	if err != nil {
		return err
	}
	p := Printer{stateOf(ctx).printer}
	var rows []fieldRow
	for _, f := range paradero.RecordFields {
		v := f.Get(rec)
		if v == "" {
			continue
		}
		if f.Date {
			if d, err := paradero.ParsePartialDate(v); err == nil {
				v = p.PartialDate(d)
			}
		}
		rows = append(rows, fieldRow{Label: p.Field(f.Key), Value: v})
	}
	for _, x := range rec.Extra {
		rows = append(rows, fieldRow{Label: x.Name, Value: x.Value, Extra: true})
	}
	return s.render(w, r, http.StatusOK, "record", p.T("record.title", rec.ID), "sources",
		recordData{Record: rec, Source: src, Fields: rows, Person: person})
}

func (s *Server) recordProof(w http.ResponseWriter, r *http.Request) error {
	return s.sendProof(w, r, "record")
}
