package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ingest"
	"github.com/paradero/paradero/locale"
)

// Uploads are held in memory between the preview and the confirmation:
// bounded in size and number, each user's newest only, gone after
// uploadTTL or once imported. Nothing of an upload is written to disk
// before the import commits it as evidence.
const (
	maxUpload     = 32 << 20
	maxUploads    = 4
	uploadTTL     = 30 * time.Minute
	maxLineErrors = 100
)

// upload is a file waiting for its uploader to confirm the import.
type upload struct {
	token   string
	user    int64
	name    string
	data    []byte
	source  paradero.Source // kind, title, published
	created time.Time
}

// uploads keeps pending uploads; owned by the Server.
type uploads struct {
	mu      sync.Mutex
	now     func() time.Time
	byToken map[string]*upload
}

func newUploads(now func() time.Time) *uploads {
	return &uploads{now: now, byToken: make(map[string]*upload)}
}

// put keeps u under a new token, replacing the user's earlier upload and,
// when full, the oldest.
func (us *uploads) put(u *upload) string {
	us.mu.Lock()
	defer us.mu.Unlock()
	us.expire()
	var oldest *upload
	for t, o := range us.byToken {
		if o.user == u.user {
			delete(us.byToken, t)
			continue
		}
		if oldest == nil || o.created.Before(oldest.created) {
			oldest = o
		}
	}
	if len(us.byToken) >= maxUploads && oldest != nil {
		delete(us.byToken, oldest.token)
	}
	u.token, u.created = randomToken(), us.now()
	us.byToken[u.token] = u
	return u.token
}

// take removes and returns the user's upload with this token.
func (us *uploads) take(token string, user int64) (*upload, bool) {
	us.mu.Lock()
	defer us.mu.Unlock()
	us.expire()
	u, ok := us.byToken[token]
	if !ok || u.user != user {
		return nil, false
	}
	delete(us.byToken, token)
	return u, true
}

func (us *uploads) expire() {
	cut := us.now().Add(-uploadTTL)
	for t, u := range us.byToken {
		if u.created.Before(cut) {
			delete(us.byToken, t)
		}
	}
}

// lineError is one problem of a file, where it is.
type lineError struct {
	Line, Column int
	Code         string // ingest.Error's, if any
	Args         []any
	Reason       string // as package ingest or the record's check words it, in English
	Message      string // in the page's language; the Reason when English is all there is
	English      bool   // the Message is the English Reason
}

func lineErrorOf(ie *ingest.Error) lineError {
	return lineError{Line: ie.Line, Column: ie.Column, Code: ie.Code, Args: ie.Args, Reason: ie.Reason}
}

// wordErrors words each problem in p's language from its code
// ("import.error.<code>"), or keeps its English reason for a code the
// translations do not know.
func wordErrors(p *locale.Printer, errs []lineError) {
	for i := range errs {
		e := &errs[i]
		key := "import.error." + e.Code
		if e.Code != "" {
			if m := p.T(key, e.Args...); m != "["+key+"]" {
				e.Message = m
				continue
			}
		}
		e.Message, e.English = e.Reason, p.Lang != "en"
	}
}

// importPreview is what a file would import: its format, where each column
// goes, how many records, and every problem found by line.
type importPreview struct {
	Name, Format, Encoding string
	Size                   int64
	Columns                []ingest.Column
	Records                int
	Errors                 []lineError
	MoreErrors             bool
	Already                *paradero.Source // imported before: nothing would change
}

// preview reads a whole file as the import would, without importing it:
// the first error that stops reading (ingest's are final) and every
// record that the store would refuse, each with its line.
func preview(name string, data []byte) *importPreview {
	pv := &importPreview{Name: name, Size: int64(len(data))}
	addErr := func(err error, line int) {
		if len(pv.Errors) == maxLineErrors {
			pv.MoreErrors = true
			return
		}
		var ie *ingest.Error
		if errors.As(err, &ie) {
			pv.Errors = append(pv.Errors, lineErrorOf(ie))
			return
		}
		pv.Errors = append(pv.Errors, lineError{Line: line, Reason: paradero.ErrorMessage(err)})
	}
	rd, err := ingest.Open(bytes.NewReader(data), int64(len(data)), ingest.Options{Filename: name})
	if err != nil {
		addErr(err, 0)
		return pv
	}
	defer rd.Close()
	pv.Format, pv.Encoding, pv.Columns = rd.Format(), rd.Encoding(), rd.Columns()
	for {
		r, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			addErr(err, 0)
			break
		}
		if err := r.Validate(); err != nil {
			addErr(err, r.Row)
			continue
		}
		pv.Records++
	}
	return pv
}

// importData imports a file through the store's all-or-nothing import
// path, the one 'paradero import' uses (ingest.Import).
func importData(ctx context.Context, store paradero.ImportService, name string, data []byte, src *paradero.Source) (*paradero.Source, error) {
	res, err := ingest.Import(ctx, store, bytes.NewReader(data), int64(len(data)), src, ingest.Options{Filename: name})
	if err != nil {
		return nil, err
	}
	return res.Source, nil
}

// importForm is the import form as filled in.
type importForm struct {
	Kind      paradero.SourceKind
	Title     string
	Published string
}

type importPageData struct {
	Form    importForm
	Kinds   []paradero.SourceKind
	Preview *importPreview
	Token   string // set when the preview can be confirmed
	Error   string // a message key
	MaxSize int64
}

func (s *Server) importPageData(f importForm) importPageData {
	if f.Kind == "" {
		f.Kind = paradero.KindRoster
	}
	return importPageData{Form: f, Kinds: paradero.SourceKinds, MaxSize: maxUpload}
}

// importPage shows the upload form.
func (s *Server) importPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, permImport); err != nil {
		return err
	}
	p := stateOf(ctx).printer
	return s.render(w, r, http.StatusOK, "import", p.T("import.title"), "import", s.importPageData(importForm{}))
}

// upload reads the file and shows the preview; a file without problems
// waits for confirmation.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, permImport); err != nil {
		return err
	}
	p := stateOf(ctx).printer
	form := importForm{Kind: paradero.SourceKind(r.PostFormValue("kind")), Title: strings.TrimSpace(r.PostFormValue("title")),
		Published: strings.TrimSpace(r.PostFormValue("published"))}
	d := s.importPageData(form)
	again := func(status int, key string) error {
		d.Error = key
		return s.render(w, r, status, "import", p.T("import.title"), "import", d)
	}
	src := paradero.Source{Kind: form.Kind, Title: form.Title}
	if !src.Kind.Valid() {
		return again(http.StatusBadRequest, "import.bad_kind")
	}
	if form.Published != "" {
		date, err := ingest.ParseDate(form.Published, ingest.DMY)
		if err != nil {
			return again(http.StatusBadRequest, "import.bad_date")
		}
		src.Published = date
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return again(http.StatusBadRequest, "import.no_file")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxUpload+1))
	if err != nil {
		return err
	}
	if len(data) > maxUpload {
		return again(http.StatusRequestEntityTooLarge, "import.too_large")
	}
	if len(data) == 0 {
		return again(http.StatusBadRequest, "import.no_file")
	}
	name := baseName(hdr.Filename)
	pv, err := s.previewImport(ctx, name, data)
	if err != nil {
		return err
	}
	d.Preview = pv
	wordErrors(p, pv.Errors)
	if len(pv.Errors) > 0 {
		return s.render(w, r, http.StatusUnprocessableEntity, "import", p.T("import.title"), "import", d)
	}
	if pv.Already == nil {
		d.Token = s.uploads.put(&upload{user: stateOf(ctx).actor.UserID, name: name, data: data, source: src})
	}
	return s.render(w, r, http.StatusOK, "import", p.T("import.title"), "import", d)
}

// confirmImport imports the upload the user previewed and shows its source.
func (s *Server) confirmImport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, permImport); err != nil {
		return err
	}
	p := stateOf(ctx).printer
	u, ok := s.uploads.take(r.PathValue("token"), stateOf(ctx).actor.UserID)
	if !ok {
		d := s.importPageData(importForm{})
		d.Error = "import.expired"
		return s.render(w, r, http.StatusNotFound, "import", p.T("import.title"), "import", d)
	}
	src := u.source
	saved, err := s.importSource(ctx, u.name, u.data, &src)
	if err != nil {
		var ie *ingest.Error
		if errors.As(err, &ie) || paradero.ErrorCode(err) == paradero.ECONFLICT {
			d := s.importPageData(importForm{Kind: u.source.Kind, Title: u.source.Title})
			d.Preview = &importPreview{Name: u.name, Size: int64(len(u.data))}
			if ie != nil {
				d.Preview.Errors = []lineError{lineErrorOf(ie)}
				wordErrors(p, d.Preview.Errors)
			} else {
				d.Error = "import.conflict"
			}
			return s.render(w, r, http.StatusUnprocessableEntity, "import", p.T("import.title"), "import", d)
		}
		return err
	}
	http.Redirect(w, r, "/sources/"+strconv.FormatInt(saved.ID, 10), http.StatusSeeOther)
	return nil
}

// baseName is the last element of a client's file name, whichever
// separator its system uses.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "" || name == "." || name == ".." {
		return "upload"
	}
	return name
}
