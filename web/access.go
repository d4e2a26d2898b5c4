package web

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/ledger"
	"github.com/paradero/paradero/report"
	"github.com/paradero/paradero/watch"
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

// findRecord returns a record and its source, auditing the view. A
// lawyer reads the records of the people of their cases (mayReadRecord).
func (s *Server) findRecord(ctx context.Context, id int64) (*paradero.Record, *paradero.Source, error) {
	if !canReachPeople(ctx) {
		return nil, nil, notFoundError()
	}
	rec, err := s.store.FindRecordByID(ctx, id)
	if err != nil {
		return nil, nil, hide(err)
	}
	if err := s.mayReadRecord(ctx, id); err != nil {
		return nil, nil, err
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
	if !canReachPeople(ctx) {
		return nil, notFoundError()
	}
	var index int64
	switch kind {
	case "source":
		if err := require(ctx, paradero.PermBrowseEvidence); err != nil {
			return nil, err
		}
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
		if err := s.mayReadRecord(ctx, id); err != nil {
			return nil, err
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

// statistics returns the store's counts and records per source kind, at
// most statsTTL old. Both are aggregates; the public page suppresses small
// cells itself.
func (s *Server) statistics(ctx context.Context) (*paradero.Status, map[paradero.SourceKind]int, error) {
	if err := require(ctx, paradero.PermViewStatistics); err != nil {
		return nil, nil, err
	}
	return s.stats.get(ctx, s.now(), s.countStore)
}

func (s *Server) countStore(ctx context.Context) (*paradero.Status, map[paradero.SourceKind]int, error) {
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
// sources, auditing the view. A lawyer sees the people of their cases,
// and of each only the records it holds now: a record linkage once put
// there and took away again belongs to someone else.
func (s *Server) findPerson(ctx context.Context, id int64) (*paradero.Person, map[int64]mention, error) {
	if !canReachPeople(ctx) {
		return nil, nil, notFoundError()
	}
	ps, ok := s.personService()
	if !ok {
		return nil, nil, notFoundError()
	}
	p, err := ps.FindPersonByID(ctx, id)
	if err != nil {
		return nil, nil, hide(err)
	}
	if err := s.mayReadPerson(ctx, p.Records); err != nil {
		return nil, nil, err
	}
	if !paradero.ActorFromContext(ctx).Can(permPersons) {
		p = currentOnly(p)
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
	if !canReachPeople(ctx) {
		return nil, notFoundError()
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
	s.stats.forget()
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
// who may see the person: those who browse evidence, and lawyers for the
// people of their cases. PermViewCases is what both hold; buildDossier
// then checks the person.
const (
	permReconcile = paradero.PermBrowseEvidence
	permDossier   = paradero.PermViewCases
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
	if !paradero.ActorFromContext(ctx).Can(permPersons) {
		p, err := rs.FindPersonByID(ctx, id)
		if err != nil {
			return nil, hide(err)
		}
		if err := s.mayReadPerson(ctx, p.Records); err != nil {
			return nil, err
		}
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

// Tracing requests. A family member files requests and reads their own;
// staff (paradero.PermHandleTracing) read every request, verify the
// requester, search for candidates, decide on them, answer and close. The
// store enforces the same rules from the actor; these methods add the
// audit entries (object "tracing-request:ID") and the uniform not-found.
// Nothing on a requester's path reads a record or runs a search.

// tracingService returns the store's tracing requests, if it keeps them.
func (s *Server) tracingService() (paradero.TracingService, bool) {
	ts, ok := s.store.(paradero.TracingService)
	return ts, ok
}

// canReadTracing reports whether the actor files or handles requests.
func canReadTracing(ctx context.Context) bool {
	a := paradero.ActorFromContext(ctx)
	return a.Can(paradero.PermFileTracing) || a.Can(paradero.PermHandleTracing)
}

func tracingObject(id int64) string { return objectID("tracing-request", id) }

// fileTracingRequest files r for the signed-in family member and audits
// it. ECONFLICT when the filing limits are reached.
func (s *Server) fileTracingRequest(ctx context.Context, r *paradero.TracingRequest) error {
	if err := require(ctx, paradero.PermFileTracing); err != nil {
		return err
	}
	ts, ok := s.tracingService()
	if !ok {
		return paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep tracing requests")
	}
	if err := ts.CreateTracingRequest(ctx, r); err != nil {
		return err
	}
	return s.audit(ctx, paradero.AuditTracingFile, tracingObject(r.ID))
}

// findTracingRequests returns a page of the requests the actor may read —
// a requester's own, or everyone's for staff — auditing the list (it
// shows the names sought).
func (s *Server) findTracingRequests(ctx context.Context, f paradero.TracingFilter) ([]*paradero.TracingRequest, int, error) {
	if !canReadTracing(ctx) {
		return nil, 0, notFoundError()
	}
	ts, ok := s.tracingService()
	if !ok {
		return nil, 0, nil
	}
	list, total, err := ts.FindTracingRequests(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	if err := s.audit(ctx, paradero.AuditTracingView, ""); err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// findTracingRequest returns the request with this reference as the actor
// may see it (ForRequester for its requester), auditing the view. Another
// family member's request is not found, exactly as a missing one.
func (s *Server) findTracingRequest(ctx context.Context, ref string) (*paradero.TracingRequest, error) {
	if !canReadTracing(ctx) {
		return nil, notFoundError()
	}
	ts, ok := s.tracingService()
	if !ok {
		return nil, notFoundError()
	}
	r, err := ts.FindTracingRequestByRef(ctx, ref)
	if err != nil {
		return nil, hide(err)
	}
	if err := s.audit(ctx, paradero.AuditTracingView, tracingObject(r.ID)); err != nil {
		return nil, err
	}
	return r, nil
}

// findTracingCandidates returns staff's decisions on a request's
// candidates, with each record and source (the caller has audited the
// request's view, which shows them).
func (s *Server) findTracingCandidates(ctx context.Context, r *paradero.TracingRequest) ([]*paradero.TracingCandidate, map[int64]mention, error) {
	if err := require(ctx, paradero.PermHandleTracing); err != nil {
		return nil, nil, err
	}
	ts, ok := s.tracingService()
	if !ok {
		return nil, nil, notFoundError()
	}
	cs, err := ts.FindTracingCandidates(ctx, r.ID)
	if err != nil {
		return nil, nil, hide(err)
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.RecordID
	}
	ms, err := s.loadMentions(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	return cs, ms, nil
}

// searchTracingCandidates runs the searches a verified request calls for
// (tracingQueries) and reads the records found, auditing the search
// against the request. It refuses an unverified request: the requester
// must be known before anything is searched.
func (s *Server) searchTracingCandidates(ctx context.Context, r *paradero.TracingRequest, qs []paradero.SearchQuery) ([]*paradero.SearchResult, map[int64]mention, error) {
	if err := require(ctx, paradero.PermHandleTracing); err != nil {
		return nil, nil, err
	}
	if r.State != paradero.TracingVerified {
		return nil, nil, paradero.TracingStateError(paradero.TracingVerified, r.State)
	}
	if err := s.audit(ctx, paradero.AuditTracingSearch, tracingObject(r.ID)); err != nil {
		return nil, nil, err
	}
	var out []*paradero.SearchResult
	ms := make(map[int64]mention)
	for _, q := range qs {
		res, found, err := s.searchRecords(ctx, q)
		if paradero.ErrorCode(err) == paradero.EINVALID {
			continue // a query with no usable word: the others still run
		}
		if err != nil {
			return nil, nil, err
		}
		out = append(out, res)
		for id, m := range found {
			ms[id] = m
		}
	}
	return out, ms, nil
}

// verifyTracingRequest records staff's verification of the requester.
func (s *Server) verifyTracingRequest(ctx context.Context, id int64, v *paradero.TracingVerification) error {
	if err := require(ctx, paradero.PermHandleTracing); err != nil {
		return err
	}
	ts, ok := s.tracingService()
	if !ok {
		return notFoundError()
	}
	if _, err := ts.VerifyTracingRequest(ctx, id, v); err != nil {
		return hide(err)
	}
	return s.audit(ctx, paradero.AuditTracingVerify, tracingObject(id))
}

// decideTracingCandidate records staff's decision on a candidate record.
func (s *Server) decideTracingCandidate(ctx context.Context, c *paradero.TracingCandidate) error {
	if err := require(ctx, paradero.PermHandleTracing); err != nil {
		return err
	}
	ts, ok := s.tracingService()
	if !ok {
		return notFoundError()
	}
	if err := ts.DecideTracingCandidate(ctx, c); err != nil {
		return hide(err)
	}
	return s.audit(ctx, paradero.AuditTracingCandidate, tracingObject(c.RequestID))
}

// answerTracingRequest stores staff's answer. The store refuses a located
// answer about someone who may be a child (EFORBIDDEN).
func (s *Server) answerTracingRequest(ctx context.Context, id int64, a *paradero.TracingAnswer) error {
	if err := require(ctx, paradero.PermHandleTracing); err != nil {
		return err
	}
	ts, ok := s.tracingService()
	if !ok {
		return notFoundError()
	}
	if _, err := ts.AnswerTracingRequest(ctx, id, a); err != nil {
		return hide(err)
	}
	return s.audit(ctx, paradero.AuditTracingAnswer, tracingObject(id))
}

// closeTracingRequest closes an open request without an answer.
func (s *Server) closeTracingRequest(ctx context.Context, id int64, c *paradero.TracingClosure) error {
	if err := require(ctx, paradero.PermHandleTracing); err != nil {
		return err
	}
	ts, ok := s.tracingService()
	if !ok {
		return notFoundError()
	}
	if _, err := ts.CloseTracingRequest(ctx, id, c); err != nil {
		return hide(err)
	}
	return s.audit(ctx, paradero.AuditTracingClose, tracingObject(id))
}

// Access of the JSON API (api*.go) beyond the pages' methods above: a
// source's description alone, accounts and API tokens.

// findSourceByID returns a source's description, for those who browse
// evidence. It shows none of its records, so, as the list of sources, it
// is not audited.
func (s *Server) findSourceByID(ctx context.Context, id int64) (*paradero.Source, error) {
	if err := require(ctx, paradero.PermBrowseEvidence); err != nil {
		return nil, err
	}
	src, err := s.store.FindSourceByID(ctx, id)
	if err != nil {
		return nil, hide(err)
	}
	return src, nil
}

// findUsers returns a page of accounts, for administrators.
func (s *Server) findUsers(ctx context.Context, f paradero.UserFilter) ([]*paradero.User, int, error) {
	if err := require(ctx, paradero.PermManageUsers); err != nil {
		return nil, 0, err
	}
	return s.store.FindUsers(ctx, f)
}

// findUser returns an account, for administrators.
func (s *Server) findUser(ctx context.Context, id int64) (*paradero.User, error) {
	if err := require(ctx, paradero.PermManageUsers); err != nil {
		return nil, err
	}
	u, err := s.store.FindUserByID(ctx, id)
	if err != nil {
		return nil, hide(err)
	}
	return u, nil
}

// createUser stores a new account and audits it, as 'paradero user add'
// does.
func (s *Server) createUser(ctx context.Context, u *paradero.User) error {
	if err := require(ctx, paradero.PermManageUsers); err != nil {
		return err
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return err
	}
	return s.audit(ctx, paradero.AuditUserCreate, objectID("user", u.ID))
}

// updateUser changes an account and audits it. An administrator cannot
// take their own rights away or disable themselves: the last
// administrator would lock everyone out.
func (s *Server) updateUser(ctx context.Context, id int64, upd paradero.UserUpdate) (*paradero.User, error) {
	if err := require(ctx, paradero.PermManageUsers); err != nil {
		return nil, err
	}
	if paradero.ActorFromContext(ctx).UserID == id &&
		(upd.Role != nil && !upd.Role.Can(paradero.PermManageUsers) || upd.Disabled != nil && *upd.Disabled) {
		return nil, paradero.Errorf(paradero.EINVALID, "administrators cannot remove their own rights or disable themselves")
	}
	u, err := s.store.UpdateUser(ctx, id, upd)
	if err != nil {
		return nil, hide(err)
	}
	if err := s.audit(ctx, paradero.AuditUserUpdate, objectID("user", id)); err != nil {
		return nil, err
	}
	return u, nil
}

// mayManageTokensOf reports whether the actor may see and make the API
// tokens of user userID: their own, or anyone's for an administrator.
func mayManageTokensOf(ctx context.Context, userID int64) bool {
	a := paradero.ActorFromContext(ctx)
	return a.UserID != 0 && (a.UserID == userID || a.Can(paradero.PermManageUsers))
}

// findAPITokens returns a page of API tokens: the actor's own, or, for an
// administrator, anyone's (f.UserID 0: everyone's). Another user's tokens
// are not found, as for a user who does not exist.
func (s *Server) findAPITokens(ctx context.Context, f paradero.APITokenFilter) ([]*paradero.APIToken, int, error) {
	a := paradero.ActorFromContext(ctx)
	if f.UserID == 0 && !a.Can(paradero.PermManageUsers) {
		f.UserID = a.UserID
	}
	if !mayManageTokensOf(ctx, f.UserID) {
		return nil, 0, notFoundError()
	}
	return s.store.FindAPITokens(ctx, f)
}

// createAPIToken makes an API token for user userID (0: the actor) that
// lives for life, and audits it. A user makes their own; an administrator
// anyone's. It returns the token and its secret, which is shown once.
func (s *Server) createAPIToken(ctx context.Context, userID int64, name string, life time.Duration) (*paradero.APIToken, string, error) {
	a := paradero.ActorFromContext(ctx)
	if userID == 0 {
		userID = a.UserID
	}
	if !mayManageTokensOf(ctx, userID) {
		return nil, "", notFoundError()
	}
	tok, secret := paradero.NewAPIToken(userID, name, a.Name, s.now(), life)
	if err := s.store.CreateAPIToken(ctx, tok); err != nil {
		return nil, "", hide(err)
	}
	if err := s.audit(ctx, paradero.AuditAPITokenCreate, objectID("api-token", tok.ID)); err != nil {
		return nil, "", err
	}
	return tok, secret, nil
}

// revokeAPIToken revokes an API token of the actor's (or, for an
// administrator, anyone's) and audits it.
func (s *Server) revokeAPIToken(ctx context.Context, id int64) (*paradero.APIToken, error) {
	tok, err := s.store.FindAPITokenByID(ctx, id)
	if err != nil {
		return nil, hide(err)
	}
	if !mayManageTokensOf(ctx, tok.UserID) {
		return nil, notFoundError()
	}
	if tok, err = s.store.RevokeAPIToken(ctx, id, s.now()); err != nil {
		return nil, hide(err)
	}
	if err := s.audit(ctx, paradero.AuditAPITokenRevoke, objectID("api-token", id)); err != nil {
		return nil, err
	}
	return tok, nil
}

// findTracingRequestForChange reads a request for a staff action, which
// writes its own audit entry; anyone but staff finds nothing.
func (s *Server) findTracingRequestForChange(ctx context.Context, ref string) (*paradero.TracingRequest, error) {
	if err := require(ctx, paradero.PermHandleTracing); err != nil {
		return nil, err
	}
	ts, ok := s.tracingService()
	if !ok {
		return nil, notFoundError()
	}
	r, err := ts.FindTracingRequestByRef(ctx, ref)
	if err != nil {
		return nil, hide(err)
	}
	return r, nil
}

// Follows and alerts. Anyone who may see an object may follow it, and the
// store lets only the roles paradero.CanFollow names follow at all:
//   - a person, by the rule of its page (findPerson): who browses evidence
//     sees every person, a lawyer the people of their cases;
//   - a facility or a watch entry, by who browses evidence (neither names
//     anyone, but both lead to people);
//   - a case, by the rule of its page (loadCase): who manages cases sees
//     every case, a lawyer the cases they are assigned to.
//
// A user sees, makes and removes only their own follows, and reads only
// their own alerts; anyone else's answers as if it did not exist. Making
// and removing a follow are audited (follow.create, follow.delete), and so
// is marking alerts read (alert.read), which is also where the app reads
// how far a user has read.
const (
	auditFollowCreate = "follow.create" // the actor followed something (object: the follow)
	auditFollowDelete = "follow.delete" // the actor stopped following it
	auditAlertRead    = "alert.read"    // the actor marked their alerts read up to this one
)

// alertService returns the store's follows and alerts, if it keeps them.
func (s *Server) alertService() (paradero.AlertService, bool) {
	as, ok := s.store.(paradero.AlertService)
	return as, ok
}

// actorUser returns the signed-in user, or EUNAUTHORIZED.
func actorUser(ctx context.Context) (*paradero.User, error) {
	u := stateOf(ctx).user
	if u == nil {
		return nil, paradero.Errorf(paradero.EUNAUTHORIZED, "sign in first")
	}
	return u, nil
}

// seePerson returns the person if the actor may see it (findPerson's
// rule), without reading its records (nothing is shown, so nothing is
// audited).
func (s *Server) seePerson(ctx context.Context, id int64) (*paradero.Person, error) {
	if !canReachPeople(ctx) {
		return nil, notFoundError()
	}
	ps, ok := s.personService()
	if !ok {
		return nil, notFoundError()
	}
	p, err := ps.FindPersonByID(ctx, id)
	if err != nil {
		return nil, hide(err)
	}
	if err := s.mayReadPerson(ctx, p.Records); err != nil {
		return nil, err
	}
	return p, nil
}

// followCaseAccess returns the not-found error unless the actor may see
// case id (loadCase's rule, the case page's). Nothing is shown, so nothing
// is audited. A notice about a person of the case reaches the case's
// followers (paradero.FollowCase).
func (s *Server) followCaseAccess(ctx context.Context, id int64) error {
	_, _, err := s.loadCase(ctx, id)
	return err
}

// mayFollow returns the not-found error unless the actor may see what
// kind and object name.
func (s *Server) mayFollow(ctx context.Context, kind paradero.FollowKind, object string) error {
	switch kind {
	case paradero.FollowPerson, paradero.FollowCase:
		id, err := strconv.ParseInt(object, 10, 64)
		if err != nil {
			return notFoundError()
		}
		if kind == paradero.FollowCase {
			return s.followCaseAccess(ctx, id)
		}
		_, err = s.seePerson(ctx, id)
		return err
	case paradero.FollowWatch, paradero.FollowFacility:
		return require(ctx, paradero.PermBrowseEvidence)
	}
	return notFoundError()
}

// createFollow makes the actor follow something they may see, and audits
// it. ECONFLICT if they follow it already; EUNAVAILABLE if the store keeps
// no follows.
func (s *Server) createFollow(ctx context.Context, kind paradero.FollowKind, object string) (*paradero.Follow, error) {
	u, err := actorUser(ctx)
	if err != nil {
		return nil, err
	}
	as, ok := s.alertService()
	if !ok {
		return nil, paradero.Errorf(paradero.EUNAVAILABLE, "this store keeps no follows yet")
	}
	if err := s.mayFollow(ctx, kind, object); err != nil {
		return nil, err
	}
	f := &paradero.Follow{UserID: u.ID, Kind: kind, Object: object}
	if err := as.CreateFollow(ctx, f); err != nil {
		return nil, hide(err)
	}
	if err := s.audit(ctx, auditFollowCreate, objectID("follow", f.ID)); err != nil {
		return nil, err
	}
	return f, nil
}

// findFollows returns the actor's own follows matching f (f.UserID is
// ignored), in id order.
func (s *Server) findFollows(ctx context.Context, f paradero.FollowFilter) ([]*paradero.Follow, error) {
	u, err := actorUser(ctx)
	if err != nil {
		return nil, err
	}
	as, ok := s.alertService()
	if !ok {
		return nil, paradero.Errorf(paradero.EUNAVAILABLE, "this store keeps no follows yet")
	}
	f.UserID = u.ID
	return as.FindFollows(ctx, f)
}

// deleteFollow stops one of the actor's follows and audits it; another
// user's follow is not found.
func (s *Server) deleteFollow(ctx context.Context, id int64) (*paradero.Follow, error) {
	fs, err := s.findFollows(ctx, paradero.FollowFilter{})
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if f.ID != id {
			continue
		}
		as, _ := s.alertService()
		if err := as.DeleteFollow(ctx, id); err != nil {
			return nil, hide(err)
		}
		return f, s.audit(ctx, auditFollowDelete, objectID("follow", id))
	}
	return nil, notFoundError()
}

// findAlerts returns a page of the actor's own alerts, newest first, their
// total, and the newest alert the actor marked read (0 if none).
func (s *Server) findAlerts(ctx context.Context, f paradero.AlertFilter) ([]*paradero.Alert, int, int64, error) {
	u, err := actorUser(ctx)
	if err != nil {
		return nil, 0, 0, err
	}
	as, ok := s.alertService()
	if !ok {
		return nil, 0, 0, paradero.Errorf(paradero.EUNAVAILABLE, "this store keeps no alerts yet")
	}
	f.UserID = u.ID
	alerts, total, err := as.FindAlerts(ctx, f)
	if err != nil {
		return nil, 0, 0, err
	}
	upto, err := s.alertsReadUpTo(ctx, u.ID)
	if err != nil {
		return nil, 0, 0, err
	}
	return alerts, total, upto, nil
}

// alertsReadUpTo returns the newest alert user marked read: the object of
// their latest alert.read audit entry.
func (s *Server) alertsReadUpTo(ctx context.Context, user int64) (int64, error) {
	es, _, err := s.store.FindAuditEntries(ctx, paradero.AuditFilter{ActorID: user, Action: auditAlertRead, Limit: 1})
	if err != nil || len(es) == 0 {
		return 0, err
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(es[0].Object, "alert:"), 10, 64)
	return id, nil
}

// markAlertsRead marks the actor's alerts read up to alert upto, one of
// their own; marking an older one than already marked changes nothing.
func (s *Server) markAlertsRead(ctx context.Context, upto int64) error {
	alerts, _, read, err := s.findAlerts(ctx, paradero.AlertFilter{Limit: 1})
	if err != nil {
		return err
	}
	if len(alerts) == 0 || upto > alerts[0].ID {
		return notFoundError()
	}
	if upto <= read {
		return nil
	}
	return s.audit(ctx, auditAlertRead, objectID("alert", upto))
}

// locatorHealth returns every watched locator's health; EUNAVAILABLE if
// the store keeps no watch. Locator names and counts name no one: whoever
// sees the dashboard sees them.
func (s *Server) locatorHealth(ctx context.Context) (*watch.HealthSummary, error) {
	if err := require(ctx, paradero.PermViewDashboard); err != nil {
		return nil, err
	}
	ws, ok := s.store.(paradero.WatchService)
	if !ok {
		return nil, paradero.Errorf(paradero.EUNAVAILABLE, "this store keeps no watch")
	}
	return watch.LoadHealth(ctx, ws)
}

// Cases and violations. Who holds paradero.PermManageCases
// (administrators, documenters) sees and edits every case, links people,
// assigns lawyers and cites sources. A lawyer (PermViewCases,
// PermEditCases) sees the cases they are assigned to and edits their
// facts, hearings, deadlines and court orders; sees the people those cases
// concern — their person pages, current records, proofs and dossiers —
// and the violations recorded against them; and nothing else: anything
// else answers exactly as something missing. Violations are recorded by
// PermRecordViolations. These methods take ids and return domain values,
// for the pages and the JSON API alike, and write the audit entries
// (object "case:ID" or "violation:ID"); the store attributes every change
// itself (paradero.Change).

// caseService returns the store's cases, if it keeps them.
func (s *Server) caseService() (paradero.CaseService, bool) {
	cs, ok := s.store.(paradero.CaseService)
	return cs, ok
}

// violationService returns the store's violations, if it keeps them.
func (s *Server) violationService() (paradero.ViolationService, bool) {
	vs, ok := s.store.(paradero.ViolationService)
	return vs, ok
}

// canReachPeople reports whether the actor may see any person at all:
// who browses evidence, or a signed-in user with cases.
func canReachPeople(ctx context.Context) bool {
	a := paradero.ActorFromContext(ctx)
	return a.Can(permPersons) || a.Can(paradero.PermViewCases) && a.UserID != 0
}

// mayReadPerson returns nil if the actor may see the person whose current
// records are recs, and the not-found error otherwise: who browses
// evidence sees everyone; a lawyer, a person one of their cases is linked
// to through one of these records.
func (s *Server) mayReadPerson(ctx context.Context, recs []int64) error {
	a := paradero.ActorFromContext(ctx)
	if a.Can(permPersons) {
		return nil
	}
	cs, ok := s.caseService()
	if !ok || !a.Can(paradero.PermViewCases) || a.UserID == 0 || len(recs) == 0 {
		return notFoundError()
	}
	_, n, err := cs.FindCases(ctx, paradero.CaseFilter{LawyerID: a.UserID, Records: recs, Limit: 1})
	if err != nil {
		return err
	}
	if n == 0 {
		return notFoundError()
	}
	return nil
}

// mayReadRecord returns nil if the actor may see record id: it belongs
// now to a person they may see.
func (s *Server) mayReadRecord(ctx context.Context, id int64) error {
	if paradero.ActorFromContext(ctx).Can(permPersons) {
		return nil
	}
	recs, err := s.personRecordsOf(ctx, id)
	if err != nil {
		return err
	}
	return s.mayReadPerson(ctx, recs)
}

// personRecordsOf returns the records of the person record id belongs to
// now, or the record alone while linkage has not placed it.
func (s *Server) personRecordsOf(ctx context.Context, id int64) ([]int64, error) {
	ps, ok := s.personService()
	if !ok {
		return []int64{id}, nil
	}
	p, err := ps.FindPersonOfRecord(ctx, id)
	switch {
	case paradero.ErrorCode(err) == paradero.ENOTFOUND:
		return []int64{id}, nil
	case err != nil:
		return nil, err
	}
	return p.Records, nil
}

// currentOnly returns p with the lineage of its current records only.
func currentOnly(p *paradero.Person) *paradero.Person {
	q := *p
	q.Lineage = nil
	for _, l := range p.Lineage {
		if slices.Contains(p.Records, l.RecordID) {
			q.Lineage = append(q.Lineage, l)
		}
	}
	return &q
}

// caseVisible reports whether the actor sees case c.
func caseVisible(ctx context.Context, c *paradero.Case) bool {
	a := paradero.ActorFromContext(ctx)
	if !a.Can(paradero.PermViewCases) {
		return false
	}
	if a.Can(paradero.PermManageCases) {
		return true
	}
	return a.UserID != 0 && slices.ContainsFunc(c.Lawyers, func(l paradero.CaseLawyer) bool { return l.UserID == a.UserID })
}

// findCases returns a page of the cases the actor sees: every case for
// who manages them, one's own for a lawyer.
func (s *Server) findCases(ctx context.Context, f paradero.CaseFilter) ([]*paradero.Case, int, error) {
	if err := require(ctx, paradero.PermViewCases); err != nil {
		return nil, 0, err
	}
	cs, ok := s.caseService()
	if !ok {
		return nil, 0, nil
	}
	if a := paradero.ActorFromContext(ctx); !a.Can(paradero.PermManageCases) {
		if a.UserID == 0 {
			return nil, 0, nil
		}
		f.LawyerID = a.UserID
	}
	return cs.FindCases(ctx, f)
}

// loadCase returns a case the actor sees, with everything it holds, and
// the store's case service; not audited (see findCase).
func (s *Server) loadCase(ctx context.Context, id int64) (*paradero.Case, paradero.CaseService, error) {
	if err := require(ctx, paradero.PermViewCases); err != nil {
		return nil, nil, err
	}
	cs, ok := s.caseService()
	if !ok {
		return nil, nil, notFoundError()
	}
	c, err := cs.FindCaseByID(ctx, id)
	if err != nil {
		return nil, nil, hide(err)
	}
	if !caseVisible(ctx, c) {
		return nil, nil, notFoundError()
	}
	return c, cs, nil
}

// findCase returns a case the actor sees, auditing the view (its page
// names its people).
func (s *Server) findCase(ctx context.Context, id int64) (*paradero.Case, error) {
	c, _, err := s.loadCase(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, paradero.AuditCaseView, objectID("case", id)); err != nil {
		return nil, err
	}
	return c, nil
}

// findCaseChanges returns the history of a case the actor sees.
func (s *Server) findCaseChanges(ctx context.Context, id int64) ([]*paradero.Change, error) {
	_, cs, err := s.loadCase(ctx, id)
	if err != nil {
		return nil, err
	}
	return cs.FindChanges(ctx, paradero.CaseSubject(id))
}

// casePerson is one person a case concerns, as linkage knows them now:
// Person is nil while the anchor record is not linked, and Records then
// holds the anchor alone.
type casePerson struct {
	paradero.CasePerson
	Person   *paradero.Person
	Records  []int64
	Mentions map[int64]mention // every record in Records, with its source
}

// resolveCasePeople finds the person each of c's anchor records belongs
// to now, with their records and sources. The caller has checked that the
// actor sees c and audits what it shows.
func (s *Server) resolveCasePeople(ctx context.Context, c *paradero.Case) ([]casePerson, error) {
	if !caseVisible(ctx, c) {
		return nil, notFoundError()
	}
	ps, hasPersons := s.personService()
	out := make([]casePerson, 0, len(c.People))
	for _, cp := range c.People {
		x := casePerson{CasePerson: cp, Records: []int64{cp.RecordID}}
		if hasPersons {
			p, err := ps.FindPersonOfRecord(ctx, cp.RecordID)
			switch {
			case err == nil:
				x.Person, x.Records = p, p.Records
			case paradero.ErrorCode(err) != paradero.ENOTFOUND:
				return nil, err
			}
		}
		ms, err := s.loadMentions(ctx, x.Records)
		if err != nil {
			return nil, err
		}
		x.Mentions = ms
		out = append(out, x)
	}
	return out, nil
}

// createCase opens a case and audits it. A lawyer's case is assigned to
// them and links no one: linking people and assigning lawyers change who
// may see whom, which is for who manages cases.
func (s *Server) createCase(ctx context.Context, c *paradero.Case) error {
	if err := require(ctx, paradero.PermEditCases); err != nil {
		return err
	}
	cs, ok := s.caseService()
	if !ok {
		return paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep cases")
	}
	a := paradero.ActorFromContext(ctx)
	if !a.Can(paradero.PermManageCases) {
		if len(c.People) > 0 || a.UserID == 0 {
			return notFoundError()
		}
		c.Lawyers = []paradero.CaseLawyer{{UserID: a.UserID}}
	}
	if err := cs.CreateCase(ctx, c); err != nil {
		return hide(err)
	}
	if err := s.audit(ctx, paradero.AuditCaseCreate, objectID("case", c.ID)); err != nil {
		return err
	}
	if len(c.People) > 0 || len(c.Lawyers) > 0 {
		return s.audit(ctx, paradero.AuditCaseAccess, objectID("case", c.ID))
	}
	return nil
}

// updateCase changes a case's facts and audits it.
func (s *Server) updateCase(ctx context.Context, id int64, upd paradero.CaseUpdate) (*paradero.Case, error) {
	if err := require(ctx, paradero.PermEditCases); err != nil {
		return nil, err
	}
	_, cs, err := s.loadCase(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := cs.UpdateCase(ctx, id, upd)
	if err != nil {
		return nil, hide(err)
	}
	return c, s.audit(ctx, paradero.AuditCaseUpdate, objectID("case", id))
}

// manageCase checks that the actor manages cases and case id exists.
func (s *Server) manageCase(ctx context.Context, id int64) (paradero.CaseService, error) {
	if err := require(ctx, paradero.PermManageCases); err != nil {
		return nil, err
	}
	_, cs, err := s.loadCase(ctx, id)
	return cs, err
}

// changeCase applies change to a case the actor manages and audits it as
// action; change returns the store's error as the caller should see it.
func (s *Server) changeCase(ctx context.Context, caseID int64, action string, change func(paradero.CaseService) error) error {
	cs, err := s.manageCase(ctx, caseID)
	if err != nil {
		return err
	}
	if err := change(cs); err != nil {
		return err
	}
	return s.audit(ctx, action, objectID("case", caseID))
}

// addCasePerson links the person of record recordID to a case: a change
// of who may see whom, audited as such.
func (s *Server) addCasePerson(ctx context.Context, caseID, recordID int64) (*paradero.CasePerson, error) {
	p := &paradero.CasePerson{RecordID: recordID}
	if err := s.changeCase(ctx, caseID, paradero.AuditCaseAccess, func(cs paradero.CaseService) error {
		return cs.AddCasePerson(ctx, caseID, p)
	}); err != nil {
		return nil, err
	}
	return p, nil
}

// removeCasePerson unlinks a record's person from a case, audited.
func (s *Server) removeCasePerson(ctx context.Context, caseID, recordID int64) error {
	return s.changeCase(ctx, caseID, paradero.AuditCaseAccess, func(cs paradero.CaseService) error {
		return hide(cs.RemoveCasePerson(ctx, caseID, recordID))
	})
}

// assignCaseLawyer assigns a lawyer to a case, audited.
func (s *Server) assignCaseLawyer(ctx context.Context, caseID, userID int64) error {
	return s.changeCase(ctx, caseID, paradero.AuditCaseAccess, func(cs paradero.CaseService) error {
		return cs.AssignCaseLawyer(ctx, caseID, userID)
	})
}

// unassignCaseLawyer removes a lawyer from a case, audited.
func (s *Server) unassignCaseLawyer(ctx context.Context, caseID, userID int64) error {
	return s.changeCase(ctx, caseID, paradero.AuditCaseAccess, func(cs paradero.CaseService) error {
		return hide(cs.UnassignCaseLawyer(ctx, caseID, userID))
	})
}

// findLawyers returns the accounts a case may be assigned to, for who
// manages cases.
func (s *Server) findLawyers(ctx context.Context) ([]*paradero.User, error) {
	if err := require(ctx, paradero.PermManageCases); err != nil {
		return nil, err
	}
	us, _, err := s.store.FindUsers(ctx, paradero.UserFilter{Role: paradero.RoleLawyer, Limit: 1000})
	return us, err
}

// findCaseUsers returns the names of the lawyers assigned to a case the
// actor sees (colleagues on a case know each other's names), by id.
func (s *Server) findCaseUsers(ctx context.Context, c *paradero.Case) (map[int64]*paradero.User, error) {
	if !caseVisible(ctx, c) {
		return nil, notFoundError()
	}
	out := make(map[int64]*paradero.User, len(c.Lawyers))
	for _, l := range c.Lawyers {
		u, err := s.store.FindUserByID(ctx, l.UserID)
		if err != nil {
			return nil, err
		}
		out[u.ID] = u
	}
	return out, nil
}

// createDeadline adds a hearing or deadline to a case the actor edits.
func (s *Server) createDeadline(ctx context.Context, d *paradero.Deadline) error {
	if err := require(ctx, paradero.PermEditCases); err != nil {
		return err
	}
	_, cs, err := s.loadCase(ctx, d.CaseID)
	if err != nil {
		return err
	}
	if err := cs.CreateDeadline(ctx, d); err != nil {
		return hide(err)
	}
	return s.audit(ctx, paradero.AuditCaseUpdate, objectID("case", d.CaseID))
}

// updateDeadline changes hearing or deadline id of case caseID.
func (s *Server) updateDeadline(ctx context.Context, caseID, id int64, upd paradero.DeadlineUpdate) (*paradero.Deadline, error) {
	if err := require(ctx, paradero.PermEditCases); err != nil {
		return nil, err
	}
	c, cs, err := s.loadCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(c.Deadlines, func(d *paradero.Deadline) bool { return d.ID == id }) {
		return nil, notFoundError()
	}
	d, err := cs.UpdateDeadline(ctx, id, upd)
	if err != nil {
		return nil, hide(err)
	}
	return d, s.audit(ctx, paradero.AuditCaseUpdate, objectID("case", caseID))
}

// findDeadlines returns hearings and deadlines of the cases the actor
// sees.
func (s *Server) findDeadlines(ctx context.Context, f paradero.DeadlineFilter) ([]*paradero.Deadline, error) {
	if err := require(ctx, paradero.PermViewCases); err != nil {
		return nil, err
	}
	cs, ok := s.caseService()
	if !ok {
		return nil, nil
	}
	if a := paradero.ActorFromContext(ctx); !a.Can(paradero.PermManageCases) {
		if a.UserID == 0 {
			return nil, nil
		}
		f.LawyerID = a.UserID
	}
	return cs.FindDeadlines(ctx, f)
}

// caseSources returns the sources the people of a case may be shown with
// and a lawyer may cite in it: its documents, the sources of its orders'
// compliance and of its people's records.
func (s *Server) caseSources(ctx context.Context, c *paradero.Case) (map[int64]bool, error) {
	out := make(map[int64]bool)
	for _, d := range c.Documents {
		out[d.SourceID] = true
	}
	for _, o := range c.Orders {
		if o.ObeyedSource != 0 {
			out[o.ObeyedSource] = true
		}
	}
	people, err := s.resolveCasePeople(ctx, c)
	if err != nil {
		return nil, err
	}
	for _, p := range people {
		for _, m := range p.Mentions {
			out[m.Source.ID] = true
		}
	}
	return out, nil
}

// checkCitable returns nil if the actor may cite source id in case c: any
// source for who browses evidence; for a lawyer, one of caseSources (a
// source they cannot see is not found).
func (s *Server) checkCitable(ctx context.Context, c *paradero.Case, id int64) error {
	if id == 0 || paradero.ActorFromContext(ctx).Can(paradero.PermBrowseEvidence) {
		return nil
	}
	ok, err := s.caseSources(ctx, c)
	if err != nil {
		return err
	}
	if !ok[id] {
		return notFoundError()
	}
	return nil
}

// createCourtOrder adds a court order to a case the actor edits.
func (s *Server) createCourtOrder(ctx context.Context, o *paradero.CourtOrder) error {
	if err := require(ctx, paradero.PermEditCases); err != nil {
		return err
	}
	c, cs, err := s.loadCase(ctx, o.CaseID)
	if err != nil {
		return err
	}
	if err := s.checkCitable(ctx, c, o.ObeyedSource); err != nil {
		return err
	}
	if err := cs.CreateCourtOrder(ctx, o); err != nil {
		return hide(err)
	}
	return s.audit(ctx, paradero.AuditCaseUpdate, objectID("case", o.CaseID))
}

// updateCourtOrder changes court order id of case caseID.
func (s *Server) updateCourtOrder(ctx context.Context, caseID, id int64, upd paradero.CourtOrderUpdate) (*paradero.CourtOrder, error) {
	if err := require(ctx, paradero.PermEditCases); err != nil {
		return nil, err
	}
	c, cs, err := s.loadCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(c.Orders, func(o *paradero.CourtOrder) bool { return o.ID == id }) {
		return nil, notFoundError()
	}
	if upd.ObeyedSource != nil {
		if err := s.checkCitable(ctx, c, *upd.ObeyedSource); err != nil {
			return nil, err
		}
	}
	o, err := cs.UpdateCourtOrder(ctx, id, upd)
	if err != nil {
		return nil, hide(err)
	}
	return o, s.audit(ctx, paradero.AuditCaseUpdate, objectID("case", caseID))
}

// addCaseDocument cites a source in support of a case.
func (s *Server) addCaseDocument(ctx context.Context, caseID int64, d *paradero.CaseDocument) error {
	return s.changeCase(ctx, caseID, paradero.AuditCaseUpdate, func(cs paradero.CaseService) error {
		return cs.AddCaseDocument(ctx, caseID, d)
	})
}

// removeCaseDocument removes a source's citation from a case.
func (s *Server) removeCaseDocument(ctx context.Context, caseID, sourceID int64) error {
	return s.changeCase(ctx, caseID, paradero.AuditCaseUpdate, func(cs paradero.CaseService) error {
		return hide(cs.RemoveCaseDocument(ctx, caseID, sourceID))
	})
}

// findSourcesByID reads sources the caller may show (cited by a case or a
// violation the actor sees): their descriptions, never their records.
func (s *Server) findSourcesByID(ctx context.Context, ids []int64) (map[int64]*paradero.Source, error) {
	if !canReachPeople(ctx) {
		return nil, notFoundError()
	}
	out := make(map[int64]*paradero.Source, len(ids))
	for _, id := range ids {
		if _, ok := out[id]; ok || id == 0 {
			continue
		}
		src, err := s.store.FindSourceByID(ctx, id)
		if err != nil {
			return nil, err
		}
		out[id] = src
	}
	return out, nil
}

// casesOfPerson returns the cases the actor sees that concern the person
// whose current records are recs. The caller has shown the person.
func (s *Server) casesOfPerson(ctx context.Context, recs []int64) ([]*paradero.Case, error) {
	if !paradero.ActorFromContext(ctx).Can(paradero.PermViewCases) {
		return nil, nil
	}
	cs, _, err := s.findCases(ctx, paradero.CaseFilter{Records: slices.Clone(recs), Limit: 1000})
	return cs, err
}

// visibleRecords returns the records of every person of the actor's
// cases, or all = true for who sees every violation (who manages cases).
func (s *Server) visibleRecords(ctx context.Context) (recs map[int64]bool, all bool, err error) {
	a := paradero.ActorFromContext(ctx)
	if a.Can(paradero.PermManageCases) {
		return nil, true, nil
	}
	recs = make(map[int64]bool)
	if !a.Can(paradero.PermViewCases) || a.UserID == 0 {
		return recs, false, nil
	}
	cases, _, err := s.findCases(ctx, paradero.CaseFilter{Limit: 10000})
	if err != nil {
		return nil, false, err
	}
	for _, c := range cases {
		for _, p := range c.People {
			if recs[p.RecordID] {
				continue
			}
			rs, err := s.personRecordsOf(ctx, p.RecordID)
			if err != nil {
				return nil, false, err
			}
			for _, r := range rs {
				recs[r] = true
			}
		}
	}
	return recs, false, nil
}

// violationVisible reports whether the actor sees v: every violation for
// who manages cases; for a lawyer, one against a person of their cases or
// part of one of their cases.
func (s *Server) violationVisible(ctx context.Context, v *paradero.Violation, recs map[int64]bool, all bool) (bool, error) {
	if all {
		return true, nil
	}
	if !paradero.ActorFromContext(ctx).Can(paradero.PermViewViolations) {
		return false, nil
	}
	for _, x := range v.Victims {
		if recs[x.RecordID] {
			return true, nil
		}
	}
	if v.CaseID != 0 {
		if _, _, err := s.loadCase(ctx, v.CaseID); err == nil {
			return true, nil
		} else if paradero.ErrorCode(err) != paradero.ENOTFOUND {
			return false, err
		}
	}
	return false, nil
}

// findViolations returns a page of the violations the actor sees: all
// for who manages cases, those against the people of one's cases for a
// lawyer. Not audited: see listViolations.
func (s *Server) findViolations(ctx context.Context, f paradero.ViolationFilter) ([]*paradero.Violation, int, error) {
	if err := require(ctx, paradero.PermViewViolations); err != nil {
		return nil, 0, err
	}
	vs, ok := s.violationService()
	if !ok {
		return nil, 0, nil
	}
	recs, all, err := s.visibleRecords(ctx)
	if err != nil {
		return nil, 0, err
	}
	if !all {
		keep := []int64{}
		if f.Records == nil {
			for r := range recs {
				keep = append(keep, r)
			}
		} else {
			for _, r := range f.Records {
				if recs[r] {
					keep = append(keep, r)
				}
			}
		}
		slices.Sort(keep)
		f.Records = keep
	}
	return vs.FindViolations(ctx, f)
}

// violationsOfPerson returns the violations against the person whose
// current records are recs, latest first; the caller has shown the person.
func (s *Server) violationsOfPerson(ctx context.Context, recs []int64) ([]*paradero.Violation, error) {
	vs, ok := s.violationService()
	if !ok || !paradero.ActorFromContext(ctx).Can(paradero.PermViewViolations) {
		return nil, nil
	}
	if err := s.mayReadPerson(ctx, recs); err != nil {
		return nil, err
	}
	list, _, err := vs.FindViolations(ctx, paradero.ViolationFilter{Records: slices.Clone(recs), Limit: 200})
	return list, err
}

// listViolations is findViolations for the list page, auditing it (the
// list names victims).
func (s *Server) listViolations(ctx context.Context, f paradero.ViolationFilter) ([]*paradero.Violation, int, error) {
	list, total, err := s.findViolations(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	if err := s.audit(ctx, paradero.AuditViolationView, ""); err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// violationsOfCase returns the violations part of case c or recorded
// against its people, latest first. The caller has shown c.
func (s *Server) violationsOfCase(ctx context.Context, c *paradero.Case, people []casePerson) ([]*paradero.Violation, error) {
	if !caseVisible(ctx, c) || !paradero.ActorFromContext(ctx).Can(paradero.PermViewViolations) {
		return nil, nil
	}
	vs, ok := s.violationService()
	if !ok {
		return nil, nil
	}
	byCase, _, err := vs.FindViolations(ctx, paradero.ViolationFilter{CaseID: c.ID, Limit: 1000})
	if err != nil {
		return nil, err
	}
	recs := []int64{}
	for _, p := range people {
		recs = append(recs, p.Records...)
	}
	byPeople, _, err := vs.FindViolations(ctx, paradero.ViolationFilter{Records: recs, Limit: 1000})
	if err != nil {
		return nil, err
	}
	out := byCase
	for _, v := range byPeople {
		if !slices.ContainsFunc(out, func(w *paradero.Violation) bool { return w.ID == v.ID }) {
			out = append(out, v)
		}
	}
	slices.SortStableFunc(out, func(a, b *paradero.Violation) int {
		if c := strings.Compare(b.Date.From.String(), a.Date.From.String()); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	return out, nil
}

// findViolation returns a violation the actor sees, auditing the view.
func (s *Server) findViolation(ctx context.Context, id int64) (*paradero.Violation, error) {
	v, err := s.loadViolation(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.audit(ctx, paradero.AuditViolationView, objectID("violation", id)); err != nil {
		return nil, err
	}
	return v, nil
}

func (s *Server) loadViolation(ctx context.Context, id int64) (*paradero.Violation, error) {
	if err := require(ctx, paradero.PermViewViolations); err != nil {
		return nil, err
	}
	vs, ok := s.violationService()
	if !ok {
		return nil, notFoundError()
	}
	v, err := vs.FindViolationByID(ctx, id)
	if err != nil {
		return nil, hide(err)
	}
	recs, all, err := s.visibleRecords(ctx)
	if err != nil {
		return nil, err
	}
	if ok, err := s.violationVisible(ctx, v, recs, all); err != nil || !ok {
		return nil, cmpErr(err, notFoundError())
	}
	return v, nil
}

// cmpErr returns err if it is not nil, else alt.
func cmpErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}

// victimFilter returns which victims' records the actor may see named.
func (s *Server) victimFilter(ctx context.Context) (func(recordID int64) bool, error) {
	recs, all, err := s.visibleRecords(ctx)
	if err != nil {
		return nil, err
	}
	return func(r int64) bool { return all || recs[r] }, nil
}

// recordNames returns the name each record wrote ("" once redacted), for
// records the actor may see named (victimFilter, a case's people). The
// caller audits the view that shows them.
func (s *Server) recordNames(ctx context.Context, ids []int64) (map[int64]*paradero.Record, error) {
	if !canReachPeople(ctx) {
		return nil, notFoundError()
	}
	ms, err := s.loadMentions(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*paradero.Record, len(ms))
	for id, m := range ms {
		out[id] = m.Record
	}
	return out, nil
}

// createViolation records a violation and audits it.
func (s *Server) createViolation(ctx context.Context, v *paradero.Violation) error {
	if err := require(ctx, paradero.PermRecordViolations); err != nil {
		return err
	}
	vs, ok := s.violationService()
	if !ok {
		return paradero.Errorf(paradero.EUNAVAILABLE, "this store does not keep violations")
	}
	if err := vs.CreateViolation(ctx, v); err != nil {
		return err
	}
	return s.audit(ctx, paradero.AuditViolationCreate, objectID("violation", v.ID))
}

// updateViolation changes a violation and audits it.
func (s *Server) updateViolation(ctx context.Context, id int64, upd paradero.ViolationUpdate) (*paradero.Violation, error) {
	if err := require(ctx, paradero.PermRecordViolations); err != nil {
		return nil, err
	}
	vs, ok := s.violationService()
	if !ok {
		return nil, notFoundError()
	}
	if _, err := vs.FindViolationByID(ctx, id); err != nil {
		return nil, hide(err)
	}
	v, err := vs.UpdateViolation(ctx, id, upd)
	if err != nil {
		return nil, err
	}
	return v, s.audit(ctx, paradero.AuditViolationUpdate, objectID("violation", id))
}

// findViolationChanges returns the history of a violation the actor sees.
func (s *Server) findViolationChanges(ctx context.Context, id int64) ([]*paradero.Change, error) {
	if _, err := s.loadViolation(ctx, id); err != nil {
		return nil, err
	}
	cs, ok := s.caseService()
	if !ok {
		return nil, nil
	}
	return cs.FindChanges(ctx, paradero.ViolationSubject(id))
}

// resolveTarget reads what a form names a person by — "person:ID",
// "record:ID" or a bare person id — as the record to link: a record as
// given, a person by its first record now. Only who browses evidence may
// name people this way (it finds anyone). ENOTFOUND if there is none.
func (s *Server) resolveTarget(ctx context.Context, target string) (int64, error) {
	if err := require(ctx, paradero.PermBrowseEvidence); err != nil {
		return 0, err
	}
	kind, v, ok := strings.Cut(strings.TrimSpace(target), ":")
	if !ok {
		kind, v = "person", kind
	}
	id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || id <= 0 {
		return 0, paradero.Errorf(paradero.EINVALID, "%q is not person:ID or record:ID", target)
	}
	switch strings.TrimSpace(kind) {
	case "record":
		if _, err := s.store.FindRecordByID(ctx, id); err != nil {
			return 0, err
		}
		return id, nil
	case "person":
		ps, ok := s.personService()
		if !ok {
			return 0, notFoundError()
		}
		p, err := ps.FindPersonByID(ctx, id)
		if err != nil {
			return 0, err
		}
		if len(p.Records) == 0 {
			return 0, paradero.Errorf(paradero.ENOTFOUND, "person %d holds no record now", id)
		}
		return p.Records[0], nil
	}
	return 0, paradero.Errorf(paradero.EINVALID, "%q is not person:ID or record:ID", target)
}

// caseStore returns the store as package report reads a case, if it can.
func (s *Server) caseStore() (report.CaseStore, bool) {
	rs, ok := s.store.(report.CaseStore)
	return rs, ok
}

// buildCaseDossier gathers the dossier of a case the actor sees, in lang.
// report.BuildCaseDossier writes its audit entry (dossier.export,
// "case:ID") and refuses to export if that fails.
func (s *Server) buildCaseDossier(ctx context.Context, id int64, lang string) (*report.CaseDossier, error) {
	if _, _, err := s.loadCase(ctx, id); err != nil {
		return nil, err
	}
	rs, ok := s.caseStore()
	if !ok {
		return nil, notFoundError()
	}
	d, err := report.BuildCaseDossier(ctx, rs, proofReader(s.prove), id, report.DossierOptions{Lang: lang, Now: s.now()})
	if err != nil {
		return nil, hide(err)
	}
	return d, nil
}
