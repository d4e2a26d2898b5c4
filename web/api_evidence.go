package web

import (
	"net/http"

	"github.com/paradero/paradero"
)

// Sources, records and persons. Every lookup goes through access.go, as
// the pages' do; the file, proof and dossier downloads are the pages' own
// handlers, which return their errors for apiAdapt to write.

func (s *Server) apiSources(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	f := paradero.SourceFilter{Kind: paradero.SourceKind(r.URL.Query().Get("kind")), Offset: p.Offset, Limit: p.Limit}
	if f.Kind != "" && !f.Kind.Valid() {
		return paradero.Errorf(paradero.EINVALID, "kind is not a source kind")
	}
	srcs, total, err := s.findSources(r.Context(), f)
	if err != nil {
		return err
	}
	items := make([]apiSource, len(srcs))
	for i, src := range srcs {
		items[i] = sourceJSON(src)
	}
	return writeJSON(w, http.StatusOK, newList(r, p, items, total))
}

func (s *Server) apiSource(w http.ResponseWriter, r *http.Request) error {
	id, err := apiIDParam(r, "id")
	if err != nil {
		return err
	}
	src, err := s.findSourceByID(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sourceJSON(src))
}

// apiSourceRecords is a page of a source's records, audited as the source
// page is (source.view): it shows the names they hold.
func (s *Server) apiSourceRecords(w http.ResponseWriter, r *http.Request) error {
	id, err := apiIDParam(r, "id")
	if err != nil {
		return err
	}
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	_, recs, total, err := s.findSource(r.Context(), id, paradero.RecordFilter{Offset: p.Offset, Limit: p.Limit})
	if err != nil {
		return err
	}
	items := make([]apiRecord, len(recs))
	for i, rec := range recs {
		items[i] = recordJSON(rec)
	}
	return writeJSON(w, http.StatusOK, newList(r, p, items, total))
}

func (s *Server) apiRecord(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := apiIDParam(r, "id")
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
	d := apiRecordDetail{Record: recordJSON(rec), Source: sourceJSON(src)}
	if person != nil {
		d.PersonID = &person.ID
	}
	return writeJSON(w, http.StatusOK, d)
}

// apiRecordPerson is the person a record belongs to — or the record as a
// person of its own while it is not linked — audited as the record page
// and the person page it leads to are.
func (s *Server) apiRecordPerson(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := apiIDParam(r, "id")
	if err != nil {
		return err
	}
	rec, src, err := s.findRecord(ctx, id)
	if err != nil {
		return err
	}
	p, err := s.personOfRecord(ctx, id)
	if err != nil {
		return err
	}
	if p != nil {
		return s.writePerson(w, r, p.ID)
	}
	return writeJSON(w, http.StatusOK, s.personJSON([]int64{id}, map[int64]mention{id: {Record: rec, Source: src}}))
}

func (s *Server) apiPerson(w http.ResponseWriter, r *http.Request) error {
	id, err := apiIDParam(r, "id")
	if err != nil {
		return err
	}
	return s.writePerson(w, r, id)
}

// writePerson writes person id, read (and audited) through findPerson.
func (s *Server) writePerson(w http.ResponseWriter, r *http.Request, id int64) error {
	p, ms, err := s.findPerson(r.Context(), id)
	if err != nil {
		return err
	}
	out := s.personJSON(p.Records, ms)
	out.ID = &p.ID
	out.Lineage = lineageJSON(p.Lineage)
	return writeJSON(w, http.StatusOK, out)
}
