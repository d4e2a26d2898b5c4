package web

import (
	"bytes"
	"mime"
	"net/http"
	"strconv"

	"github.com/paradero/paradero"
)

// personDossier sends a person's dossier (report.BuildDossier) as a file,
// in the page's language: HTML, one self-contained file, by default, or
// PDF with ?format=pdf. The export is audited as dossier.export.
func (s *Server) personDossier(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := idParam(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if err := require(ctx, permDossier); err != nil {
		return err // before the format is looked at: hidden looks missing
	}
	ct := map[string]string{"": "text/html; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}[format]
	if ct == "" {
		return paradero.Errorf(paradero.EINVALID, "format is html or pdf")
	}
	d, err := s.buildDossier(ctx, id, stateOf(ctx).printer.Lang)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	ext := ".html"
	if format == "pdf" {
		ext = ".pdf"
		err = d.WritePDF(&b)
	} else {
		err = d.WriteHTML(&b)
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": "paradero-person-" + strconv.FormatInt(id, 10) + "-" + d.Lang + ext}))
	_, err = w.Write(b.Bytes())
	return err
}
