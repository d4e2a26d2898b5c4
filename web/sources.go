package web

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/paradero/paradero"
)

// pageSize is how many rows a list shows per page.
const pageSize = 50

// pager is a list's position.
type pager struct {
	Page, Pages, Total int
	Prev, Next         int // 0 when there is none
}

func newPager(page, total int) pager {
	pages := max(1, (total+pageSize-1)/pageSize)
	p := pager{Page: page, Pages: pages, Total: total}
	if page > 1 {
		p.Prev = page - 1
	}
	if page < pages {
		p.Next = page + 1
	}
	return p
}

// pageParam reads ?page=N (1-based); anything else is page 1.
func pageParam(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 || n > 1<<20 {
		return 1
	}
	return n
}

// idParam reads the {id} path value. A malformed id is simply not found.
func idParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFoundError()
	}
	return id, nil
}

type sourcesData struct {
	Sources []*paradero.Source
	Pager   pager
}

func (s *Server) sourcesPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	page := pageParam(r)
	srcs, total, err := s.findSources(ctx, paradero.SourceFilter{Offset: (page - 1) * pageSize, Limit: pageSize})
	if err != nil {
		return err
	}
	p := stateOf(ctx).printer
	return s.render(w, r, http.StatusOK, "sources", p.T("sources.title"), "sources",
		sourcesData{Sources: srcs, Pager: newPager(page, total)})
}

type sourceData struct {
	Source  *paradero.Source
	Records []*paradero.Record
	Pager   pager
}

func (s *Server) sourcePage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := idParam(r)
	if err != nil {
		return err
	}
	page := pageParam(r)
	src, recs, total, err := s.findSource(ctx, id, paradero.RecordFilter{Offset: (page - 1) * pageSize, Limit: pageSize})
	if err != nil {
		return err
	}
	p := stateOf(ctx).printer
	return s.render(w, r, http.StatusOK, "source", p.T("source.title", src.ID), "sources",
		sourceData{Source: src, Records: recs, Pager: newPager(page, total)})
}

// sourceFile sends the original file byte for byte, as an attachment, with
// its SHA-256 in a header so the receiver can check it.
func (s *Server) sourceFile(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := idParam(r)
	if err != nil {
		return err
	}
	src, f, err := s.openSourceFile(ctx, id)
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	// The stored media type is what import detected; a download is never
	// rendered by the browser (attachment, nosniff), whatever it says.
	ct := src.MediaType
	if _, _, err := mime.ParseMediaType(ct); err != nil || ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.FormatInt(src.Size, 10))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": downloadName(src)}))
	h.Set("X-Paradero-SHA256", src.SHA256.String())
	if _, err := io.Copy(w, f); err != nil {
		s.logger.Warn("sending a source file failed midway", "source", id, "err", err)
	}
	return nil
}

// downloadName is the name a browser is told to save a source's file as:
// the last element of the name it was imported under (the command line
// keeps a name like "..\x.csv" whole), without control characters or
// the invisible ones that turn text around ("lista\u202Evsc.exe"), and
// not hidden; "source-ID" when nothing is left.
func downloadName(src *paradero.Source) string {
	name := src.Filename
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	if name = strings.TrimLeft(name, ". "); name == "" {
		name = "source-" + strconv.FormatInt(src.ID, 10)
	}
	return name
}

func (s *Server) sourceProof(w http.ResponseWriter, r *http.Request) error {
	return s.sendProof(w, r, "source")
}

func (s *Server) sendProof(w http.ResponseWriter, r *http.Request, kind string) error {
	id, err := idParam(r)
	if err != nil {
		return err
	}
	b, err := s.proveEntry(r.Context(), kind, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": kind + "-" + strconv.FormatInt(id, 10) + ".proof.json"}))
	_, err = w.Write(b)
	return err
}
