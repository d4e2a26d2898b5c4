package web

import (
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/paradero/paradero"
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
