package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/paradero/paradero"
)

var _ paradero.AuditService = (*DB)(nil)

// CreateAuditEntry appends e to the audit log. EINVALID. The log is
// append-only in the database itself: triggers refuse UPDATE, DELETE and
// TRUNCATE (migration 0002).
func (s *DB) CreateAuditEntry(ctx context.Context, e *paradero.AuditEntry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	at := s.timestamp()
	var id int64
	if err := s.pool.QueryRow(ctx, `INSERT INTO audit_log (at, actor_id, actor_name, actor_role, action, object)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, at, e.ActorID, e.ActorName, string(e.ActorRole), e.Action, e.Object).Scan(&id); err != nil {
		return internal("postgres.CreateAuditEntry", err)
	}
	e.ID, e.Time = id, at
	return nil
}

// FindAuditEntries returns a page of entries, newest first, and the total,
// from one snapshot.
func (s *DB) FindAuditEntries(ctx context.Context, f paradero.AuditFilter) ([]*paradero.AuditEntry, int, error) {
	const op = "postgres.FindAuditEntries"
	const where = `WHERE ($1 = 0 OR actor_id = $1) AND ($2 = '' OR action = $2) AND ($3 = '' OR object = $3)`
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, internal(op, err)
	}
	defer tx.Rollback(ctx)
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM audit_log `+where, f.ActorID, f.Action, f.Object).Scan(&total); err != nil {
		if isBadText(err) {
			return nil, 0, nil // no entry holds such text
		}
		return nil, 0, internal(op, err)
	}
	rows, err := tx.Query(ctx, `SELECT id, at, actor_id, actor_name, actor_role, action, object
		FROM audit_log `+where+` ORDER BY id DESC LIMIT $4 OFFSET $5`,
		f.ActorID, f.Action, f.Object, pageLimit(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, 0, internal(op, err)
	}
	var (
		e    paradero.AuditEntry
		role string
		out  []*paradero.AuditEntry
	)
	if _, err := pgx.ForEachRow(rows, []any{&e.ID, &e.Time, &e.ActorID, &e.ActorName, &role, &e.Action, &e.Object}, func() error {
		c := e
		c.Time, c.ActorRole = c.Time.UTC(), paradero.Role(role)
		out = append(out, &c)
		return nil
	}); err != nil {
		return nil, 0, internal(op, err)
	}
	return out, total, nil
}
