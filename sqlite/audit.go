package sqlite

import (
	"context"
	"fmt"

	"github.com/paradero/paradero"
)

var _ paradero.AuditService = (*DB)(nil)

// CreateAuditEntry appends e to the audit log. EINVALID.
func (s *DB) CreateAuditEntry(ctx context.Context, e *paradero.AuditEntry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	at := s.timestamp()
	res, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, actor_name, actor_role, action, object)
		VALUES (?, ?, ?, ?, ?, ?)`, at.UnixMicro(), e.ActorID, e.ActorName, string(e.ActorRole), e.Action, e.Object)
	if err != nil {
		return fmt.Errorf("sqlite: audit: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("sqlite: audit: %w", err)
	}
	e.ID, e.Time = id, at
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
