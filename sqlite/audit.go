package sqlite

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/paradero/paradero"
)

var _ paradero.AuditService = (*DB)(nil)

// CreateAuditEntry appends e to the audit log and returns once it is
// durable. EINVALID.
//
// Entries are group-committed: every page view of a person writes one, and
// with one fsync each fifty readers queued behind SQLite's single writer,
// which makes a waiting writer sleep and retry. Callers instead queue their
// entries; one flusher at a time writes all that are waiting in a single
// transaction, and each caller waits for the commit that holds its entry.
func (s *DB) CreateAuditEntry(ctx context.Context, e *paradero.AuditEntry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	req := &auditRequest{entry: e, at: s.timestamp(), done: make(chan error, 1)}
	s.audits.mu.Lock()
	s.audits.queue = append(s.audits.queue, req)
	start := !s.audits.flushing
	s.audits.flushing = true
	s.audits.mu.Unlock()
	if start {
		// Not the caller's context: the flusher writes others' entries
		// too, and must finish them whatever happens to this request.
		go s.flushAudits(context.WithoutCancel(ctx))
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("sqlite: audit: %w", ctx.Err())
	}
}

// auditQueue holds audit entries waiting for their commit.
type auditQueue struct {
	mu       sync.Mutex
	queue    []*auditRequest
	flushing bool // a flusher is running
}

type auditRequest struct {
	entry *paradero.AuditEntry
	at    time.Time
	done  chan error
}

// flushAudits writes the queue, a transaction per batch, until it is empty.
func (s *DB) flushAudits(ctx context.Context) {
	for {
		s.audits.mu.Lock()
		batch := s.audits.queue
		s.audits.queue = nil
		if len(batch) == 0 {
			s.audits.flushing = false
			s.audits.mu.Unlock()
			return
		}
		s.audits.mu.Unlock()
		err := s.writeAudits(ctx, batch)
		for _, r := range batch {
			r.done <- err
		}
	}
}

func (s *DB) writeAudits(ctx context.Context, batch []*auditRequest) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: audit: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO audit_log (at, actor_id, actor_name, actor_role, action, object)
		VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("sqlite: audit: %w", err)
	}
	defer stmt.Close()
	ids := make([]int64, len(batch))
	for i, r := range batch {
		e := r.entry
		res, err := stmt.ExecContext(ctx, r.at.UnixMicro(), e.ActorID, e.ActorName, string(e.ActorRole), e.Action, e.Object)
		if err != nil {
			return fmt.Errorf("sqlite: audit: %w", err)
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return fmt.Errorf("sqlite: audit: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: audit: %w", err)
	}
	for i, r := range batch {
		r.entry.ID, r.entry.Time = ids[i], r.at
	}
	return nil
}

// FindAuditEntries returns a page of entries, newest first, and the total.
func (s *DB) FindAuditEntries(ctx context.Context, f paradero.AuditFilter) ([]*paradero.AuditEntry, int, error) {
	const where = `WHERE (? = 0 OR actor_id = ?) AND (? = '' OR action = ?) AND (? = '' OR object = ?)`
	args := []any{f.ActorID, f.ActorID, f.Action, f.Action, f.Object, f.Object}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM audit_log `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count audit entries: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, actor_id, actor_name, actor_role, action, object
		FROM audit_log `+where+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, pageLimit(f.Limit), max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: find audit entries: %w", err)
	}
	defer rows.Close()
	var out []*paradero.AuditEntry
	for rows.Next() {
		var e paradero.AuditEntry
		var at int64
		var role string
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.ActorName, &role, &e.Action, &e.Object); err != nil {
			return nil, 0, fmt.Errorf("sqlite: find audit entries: %w", err)
		}
		e.Time, e.ActorRole = fromMicros(at), paradero.Role(role)
		out = append(out, &e)
	}
	return out, total, rows.Err()
}
