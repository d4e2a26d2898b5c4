package web

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/report"
)

// This file is the one place the web application decides who may see what
// (through paradero.Role.Can) and writes the audit entries of reads. Pages
// reach evidence only through these methods.
//
// Two rules hold throughout:
//   - Something the actor may not see is reported exactly as something that
//     does not exist: the same error, hence the same status and page.
//   - A read that must be audited is refused if the audit entry cannot be
//     written (the log fails closed).

// signedIn wraps a handler that needs a signed-in user: anyone else is sent
// to the sign-in page, before any lookup, so the redirect says nothing
// about what exists.
func (s *Server) signedIn(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if stateOf(r.Context()).user == nil {
			return paradero.Errorf(paradero.EUNAUTHORIZED, "sign in first")
		}
		return h(w, r)
	}
}

// require returns the not-found error unless the actor holds p.
func require(ctx context.Context, p paradero.Permission) error {
	if !paradero.ActorFromContext(ctx).Can(p) {
		return notFoundError()
	}
	return nil
}

// hide turns a store's not-found into the uniform one.
func hide(err error) error {
	if paradero.ErrorCode(err) == paradero.ENOTFOUND {
		return notFoundError()
	}
	return err
}

func (s *Server) audit(ctx context.Context, action, object string) error {
	return s.store.CreateAuditEntry(ctx, paradero.NewAuditEntry(ctx, action, object))
}

func objectID(kind string, id int64) string { return kind + ":" + strconv.FormatInt(id, 10) }

// findSources returns a page of sources.
func (s *Server) findSources(ctx context.Context, f paradero.SourceFilter) ([]*paradero.Source, int, error) {
	if err := require(ctx, paradero.PermBrowseEvidence); err != nil {
		return nil, 0, err
	}
	return s.store.FindSources(ctx, f)
}

// findSource returns a source and a page of its records, auditing the view
// (the page shows the names its records hold).
func (s *Server) findSource(ctx context.Context, id int64, f paradero.RecordFilter) (*paradero.Source, []*paradero.Record, int, error) {
	if err := require(ctx, paradero.PermBrowseEvidence); err != nil {
		return nil, nil, 0, err
	}
	src, err := s.store.FindSourceByID(ctx, id)
	if err != nil {
		return nil, nil, 0, hide(err)
	}
	f.SourceID = id
	recs, total, err := s.store.FindRecords(ctx, f)
	if err != nil {
		return nil, nil, 0, err
	}
	if err := s.audit(ctx, paradero.AuditSourceView, objectID("source", id)); err != nil {
		return nil, nil, 0, err
	}
	return src, recs, total, nil
}

// openSourceFile returns a source and its original file, auditing the
// download.
func (s *Server) openSourceFile(ctx context.Context, id int64) (*paradero.Source, io.ReadCloser, error) {
	if err := require(ctx, paradero.PermBrowseEvidence); err != nil {
		return nil, nil, err
	}
	src, err := s.store.FindSourceByID(ctx, id)
	if err != nil {
		return nil, nil, hide(err)
	}
	if err := s.audit(ctx, paradero.AuditSourceDownload, objectID("source", id)); err != nil {
		return nil, nil, err
	}
	f, err := s.store.OpenBlob(ctx, src.SHA256)
	if err != nil {
		return nil, nil, err
	}
	return src, f, nil
}

// findRecord returns a record and its source, auditing the view.
func (s *Server) findRecord(ctx context.Context, id int64) (*paradero.Record, *paradero.Source, error) {
	if err := require(ctx, paradero.PermBrowseEvidence); err != nil {
		return nil, nil, err
	}
	rec, err := s.store.FindRecordByID(ctx, id)
	if err != nil {
		return nil, nil, hide(err)
	}
	src, err := s.store.FindSourceByID(ctx, rec.SourceID)
	if err != nil {
		return nil, nil, err
	}
	if err := s.audit(ctx, paradero.AuditRecordView, objectID("record", id)); err != nil {
		return nil, nil, err
	}
	return rec, src, nil
}

// proveEntry returns the proof of the ledger entry of a source or record
// (kind "source" or "record"), auditing the download.
func (s *Server) proveEntry(ctx context.Context, kind string, id int64) ([]byte, error) {
	if err := require(ctx, paradero.PermBrowseEvidence); err != nil {
		return nil, err
	}
	var index int64
	switch kind {
	case "source":
		src, err := s.store.FindSourceByID(ctx, id)
		if err != nil {
			return nil, hide(err)
		}
		index = src.LedgerIndex
	case "record":
		rec, err := s.store.FindRecordByID(ctx, id)
		if err != nil {
			return nil, hide(err)
		}
		index = rec.LedgerIndex
	default:
		return nil, notFoundError()
	}
	if err := s.audit(ctx, paradero.AuditProofDownload, objectID(kind, id)); err != nil {
		return nil, err
	}
	return s.prove(ctx, index)
}

// findAuditEntries returns a page of the audit log.
func (s *Server) findAuditEntries(ctx context.Context, f paradero.AuditFilter) ([]*paradero.AuditEntry, int, error) {
	if err := require(ctx, paradero.PermReadAudit); err != nil {
		return nil, 0, err
	}
	return s.store.FindAuditEntries(ctx, f)
}

// statistics returns the store's counts and records per source kind. Both
// are aggregates; the public page suppresses small cells itself.
func (s *Server) statistics(ctx context.Context) (*paradero.Status, map[paradero.SourceKind]int, error) {
	if err := require(ctx, paradero.PermViewStatistics); err != nil {
		return nil, nil, err
	}
	st, err := s.store.Status(ctx)
	if err != nil {
		return nil, nil, err
	}
	// Sources are few (lists and documents, not people); paging through
	// them is cheap. A store-side aggregate replaces this when one exists.
	byKind := make(map[paradero.SourceKind]int)
	for off := 0; ; {
		page, total, err := s.store.FindSources(ctx, paradero.SourceFilter{Offset: off, Limit: 1000})
		if err != nil {
			return nil, nil, err
		}
		for _, src := range page {
			byKind[src.Kind] += src.Records
		}
		off += len(page)
		if len(page) == 0 || off >= total {
			break
		}
	}
	return st, byKind, nil
}

// Audit actions of the pages added in the second slice. They belong
// beside the others in the root package's audit.go; until they move there
// they are named here.
const (
	auditPersonView   = "person.view"   // a person's page (its records' content) was shown
	auditReviewCreate = "review.create" // a reviewer decided a pair
	auditSourceImport = "source.import" // a source was imported from the web
)

// The second slice's pages need no permission of their own yet: reading a
// person, searching, reviewing matches and importing are what the
// documenters and administrators who browse evidence do, and nobody else
// (least privilege: lawyers and families never search the database).
// When a role needs one without the others, give each its own Permission
// in the root package's Role.Can.
const (
	permPersons = paradero.PermBrowseEvidence
	permSearch  = paradero.PermBrowseEvidence
	permReview  = paradero.PermBrowseEvidence
	permImport  = paradero.PermBrowseEvidence
)

// personService returns the store's persons, if it keeps them.
func (s *Server) personService() (paradero.PersonService, bool) {
	ps, ok := s.store.(paradero.PersonService)
	return ps, ok
}

// mention is a record with its source.
type mention struct {
	Record *paradero.Record
	Source *paradero.Source
}

// loadMentions reads records and their sources, each source once.
func (s *Server) loadMentions(ctx context.Context, ids []int64) (map[int64]mention, error) {
	out := make(map[int64]mention, len(ids))
	srcs := make(map[int64]*paradero.Source)
	for _, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		rec, err := s.store.FindRecordByID(ctx, id)
		if err != nil {
			return nil, err
		}
		src, ok := srcs[rec.SourceID]
		if !ok {
			if src, err = s.store.FindSourceByID(ctx, rec.SourceID); err != nil {
				return nil, err
			}
			srcs[rec.SourceID] = src
		}
		out[id] = mention{Record: rec, Source: src}
	}
	return out, nil
}

// findPerson returns a person and every record it ever held, with their
// sources, auditing the view.
func (s *Server) findPerson(ctx context.Context, id int64) (*paradero.Person, map[int64]mention, error) {
	if err := require(ctx, permPersons); err != nil {
		return nil, nil, err
	}
	ps, ok := s.personService()
	if !ok {
		return nil, nil, notFoundError()
	}
	p, err := ps.FindPersonByID(ctx, id)
	if err != nil {
		return nil, nil, hide(err)
	}
	ids := make([]int64, 0, len(p.Lineage))
	for _, l := range p.Lineage {
		ids = append(ids, l.RecordID)
	}
	ms, err := s.loadMentions(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	if err := s.audit(ctx, auditPersonView, objectID("person", id)); err != nil {
		return nil, nil, err
	}
	return p, ms, nil
}

// personOfRecord returns the person a record belongs to, or nil when the
// record is not linked yet or the store keeps no persons: then the record
// is its own person. The caller has shown (and audited) the record.
func (s *Server) personOfRecord(ctx context.Context, recordID int64) (*paradero.Person, error) {
	if err := require(ctx, permPersons); err != nil {
		return nil, err
	}
	ps, ok := s.personService()
	if !ok {
		return nil, nil
	}
	p, err := ps.FindPersonOfRecord(ctx, recordID)
	if paradero.ErrorCode(err) == paradero.ENOTFOUND {
		return nil, nil
	}
	return p, err
}

// searchRecords runs a search and reads the records it found, auditing
// that a search was run (never what was searched for).
func (s *Server) searchRecords(ctx context.Context, q paradero.SearchQuery) (*paradero.SearchResult, map[int64]mention, error) {
	if err := require(ctx, permSearch); err != nil {
		return nil, nil, err
	}
	ss, ok := s.store.(paradero.SearchService)
	if !ok {
		return nil, nil, paradero.Errorf(paradero.EUNAVAILABLE, "this store cannot search yet")
	}
	if err := s.audit(ctx, paradero.AuditSearch, ""); err != nil {
		return nil, nil, err
	}
	res, err := ss.SearchRecords(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.RecordID
	}
	ms, err := s.loadMentions(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	return res, ms, nil
}

// findReviewQueue returns a page of the pairs awaiting review.
func (s *Server) findReviewQueue(ctx context.Context, f paradero.ReviewFilter) ([]*paradero.ReviewPair, int, error) {
	if err := require(ctx, permReview); err != nil {
		return nil, 0, err
	}
	ps, ok := s.personService()
	if !ok {
		return nil, 0, nil
	}
	return ps.FindReviewQueue(ctx, f)
}

// findReviewPair returns the queued pair a–b and both records, auditing
// the view of each record.
func (s *Server) findReviewPair(ctx context.Context, a, b int64) (*paradero.ReviewPair, map[int64]mention, error) {
	if err := require(ctx, permReview); err != nil {
		return nil, nil, err
	}
	ps, ok := s.personService()
	if !ok {
		return nil, nil, notFoundError()
	}
	pair, err := findQueued(ctx, ps, a, b)
	if err != nil {
		return nil, nil, err
	}
	ms, err := s.loadMentions(ctx, []int64{a, b})
	if err != nil {
		return nil, nil, hide(err)
	}
	for _, id := range []int64{a, b} {
		if err := s.audit(ctx, paradero.AuditRecordView, objectID("record", id)); err != nil {
			return nil, nil, err
		}
	}
	return pair, ms, nil
}

// findQueued looks a pair up in the review queue, page by page (the queue
// has no lookup by pair; it is short, being what the model could not
// decide).
func findQueued(ctx context.Context, ps paradero.PersonService, a, b int64) (*paradero.ReviewPair, error) {
	for off := 0; ; {
		page, total, err := ps.FindReviewQueue(ctx, paradero.ReviewFilter{Offset: off, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, p := range page {
			if p.RecordA == a && p.RecordB == b {
				return p, nil
			}
		}
		off += len(page)
		if len(page) == 0 || off >= total {
			return nil, notFoundError()
		}
	}
}

// createReview records a reviewer's decision as a ledger entry, audits it
// and has the ledger sign a checkpoint that covers it: the server reaches
// its ledger.Log through Prove, and proving the new entry signs a
// checkpoint of the grown tree (ledger.Log.Prove calls Log.Checkpoint).
func (s *Server) createReview(ctx context.Context, x *paradero.Review) error {
	if err := require(ctx, permReview); err != nil {
		return err
	}
	ps, ok := s.personService()
	if !ok {
		return notFoundError()
	}
	if err := ps.CreateReview(ctx, x); err != nil {
		return hide(err)
	}
	if err := s.audit(ctx, auditReviewCreate, objectID("review", x.ID)); err != nil {
		return err
	}
	if _, err := s.prove(ctx, x.LedgerIndex); err != nil {
		return fmt.Errorf("review %d recorded, but signing a checkpoint failed: %w", x.ID, err)
	}
	return nil
}

// previewImport reads an uploaded file for the column-mapping preview.
func (s *Server) previewImport(ctx context.Context, name string, data []byte) (*importPreview, error) {
	if err := require(ctx, permImport); err != nil {
		return nil, err
	}
	pv := preview(name, data)
	prev, err := s.store.FindSourceBySHA256(ctx, paradero.Hash(sha256.Sum256(data)))
	switch {
	case err == nil:
		pv.Already = prev
	case paradero.ErrorCode(err) != paradero.ENOTFOUND:
		return nil, err
	}
	return pv, nil
}

// uploadLimit is how large a request body may be: a file upload for those
// who may import, a form for everyone else, checked before the body is
// read.
func uploadLimit(ctx context.Context, path string) int64 {
	if path == "/import" && paradero.ActorFromContext(ctx).Can(permImport) {
		return maxUpload + 64<<10
	}
	return 64 << 10
}

// importSource imports an uploaded file, all or nothing, through the
// store's import path, audits it and signs a checkpoint that covers it.
func (s *Server) importSource(ctx context.Context, name string, data []byte, src *paradero.Source) (*paradero.Source, error) {
	if err := require(ctx, permImport); err != nil {
		return nil, err
	}
	saved, err := importData(ctx, s.store, name, data, src)
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, auditSourceImport, objectID("source", saved.ID)); err != nil {
		return nil, err
	}
	if _, err := s.prove(ctx, saved.LedgerIndex); err != nil {
		return nil, fmt.Errorf("imported as source %d, but signing a checkpoint failed: %w", saved.ID, err)
	}
	return saved, nil
}

// Audit actions of the dossier and the reconciliation. A dossier's entry
// is report.AuditDossierExport, written by report.BuildDossier itself.
const (
	auditReconciliationView   = "reconciliation.view"   // the reconciliation page (it names the unaccounted) was shown
	auditReconciliationExport = "reconciliation.export" // a reconciliation table was downloaded
)

// The reconciliation names persons (those on one list and missing from
// another), so it is for those who browse evidence; a dossier is for those
// who may see the person.
const (
	permReconcile = paradero.PermBrowseEvidence
	permDossier   = permPersons
)

// reportStore returns the store as package report reads it, if it keeps
// persons.
func (s *Server) reportStore() (report.Store, bool) {
	rs, ok := s.store.(report.Store)
	return rs, ok
}

// buildDossier gathers person id's dossier in lang. report.BuildDossier
// writes its audit entry (dossier.export) and refuses to export if that
// fails; it does not check roles, so this does first.
func (s *Server) buildDossier(ctx context.Context, id int64, lang string) (*report.Dossier, error) {
	if err := require(ctx, permDossier); err != nil {
		return nil, err
	}
	rs, ok := s.reportStore()
	if !ok {
		return nil, notFoundError()
	}
	d, err := report.BuildDossier(ctx, rs, proofReader(s.prove), id, report.DossierOptions{Lang: lang, Now: s.now()})
	if err != nil {
		return nil, hide(err)
	}
	return d, nil
}

// proofReader is the server's ProveFunc as a report.Prover: it reads back
// the proof document the function writes.
type proofReader ProveFunc

func (f proofReader) Prove(ctx context.Context, index int64, fromSizes ...int64) (*ledger.Proof, error) {
	if len(fromSizes) > 0 {
		return nil, fmt.Errorf("web: the server's prover makes no consistency proofs")
	}
	b, err := f(ctx, index)
	if err != nil {
		return nil, err
	}
	return ledger.ReadProof(b)
}

// reconcile reconciles every source over the linked persons and, with the
// action given, audits it (the page and the person-level tables name
// persons; the figures alone need no entry, so action "" writes none).
func (s *Server) reconcile(ctx context.Context, action string) (*report.Reconciliation, error) {
	if err := require(ctx, permReconcile); err != nil {
		return nil, err
	}
	rs, ok := s.reportStore()
	if !ok {
		return nil, paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep persons yet")
	}
	sources, err := report.LoadSources(ctx, rs)
	if err != nil {
		return nil, err
	}
	ms, err := report.LoadMemberships(ctx, rs)
	if err != nil {
		return nil, err
	}
	if action != "" {
		if err := s.audit(ctx, action, ""); err != nil {
			return nil, err
		}
	}
	return report.Reconcile(sources, ms), nil
}
