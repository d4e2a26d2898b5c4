package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/paradero/paradero"
)

const recordColumns = "id, source_id, row_no, content, salt, commitment, created_at, ledger_idx"

// recordScanner scans the recordColumns of one row. Every column may be
// NULL, so it also reads the outer side of a LEFT JOIN.
type recordScanner struct {
	id, sourceID, row, createdAt, ledgerIdx sql.NullInt64
	content                                 sql.NullString
	salt, commit                            []byte
	dest                                    []any
}

func newRecordScanner() *recordScanner {
	rs := &recordScanner{}
	rs.dest = []any{&rs.id, &rs.sourceID, &rs.row, &rs.content, &rs.salt, &rs.commit, &rs.createdAt, &rs.ledgerIdx}
	return rs
}

// record builds the scanned record. Content that no longer parses (changed
// by hand in the database) is reported as ETAMPERED.
func (rs *recordScanner) record() (*paradero.Record, error) {
	r, err := rs.meta()
	if err != nil {
		return nil, err
	}
	if err := r.SetContent([]byte(rs.content.String)); err != nil {
		return nil, &paradero.Error{Code: paradero.ETAMPERED, Message: fmt.Sprintf("record %d: its stored content is malformed", r.ID), Err: err}
	}
	return r, nil
}

// meta builds the scanned record without its content fields.
func (rs *recordScanner) meta() (*paradero.Record, error) {
	r := paradero.Record{
		ID: rs.id.Int64, SourceID: rs.sourceID.Int64, Row: int(rs.row.Int64),
		CreatedAt: fromMicros(rs.createdAt.Int64), LedgerIndex: rs.ledgerIdx.Int64,
	}
	var err error
	if r.Commitment, err = hashFrom(rs.commit); err != nil {
		return nil, err
	}
	if rs.salt != nil {
		r.Salt = append([]byte(nil), rs.salt...)
	}
	return &r, nil
}

const redactionColumns = `id, record_id, reason, created_at, created_by, salt, commitment, signature, ledger_idx`

func scanRedaction(sc interface{ Scan(...any) error }) (*paradero.Redaction, error) {
	var (
		x         paradero.Redaction
		createdAt int64
		commit    []byte
	)
	if err := sc.Scan(&x.ID, &x.RecordID, &x.Reason, &createdAt, &x.CreatedBy, &x.Salt, &commit, &x.Signature, &x.LedgerIndex); err != nil {
		return nil, err
	}
	x.CreatedAt = fromMicros(createdAt)
	var err error
	x.Commitment, err = hashFrom(commit)
	return &x, err
}

// FindRecordByID returns ENOTFOUND if there is no such record.
func (s *DB) FindRecordByID(ctx context.Context, id int64) (*paradero.Record, error) {
	rs := newRecordScanner()
	err := s.db.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM records WHERE id = ?`, id).Scan(rs.dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("record", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find record %d: %w", id, err)
	}
	r, err := rs.record()
	if err != nil {
		return nil, err
	}
	x, err := scanRedaction(s.db.QueryRowContext(ctx, `SELECT `+redactionColumns+` FROM redactions WHERE record_id = ?`, id))
	switch {
	case err == nil:
		r.Redaction = x
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("sqlite: find redaction of record %d: %w", id, err)
	}
	return r, nil
}

// FindRecords returns a page of records in ID order, and the total.
func (s *DB) FindRecords(ctx context.Context, f paradero.RecordFilter) ([]*paradero.Record, int, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM records WHERE (? = 0 OR source_id = ?) AND id > ?`,
		f.SourceID, f.SourceID, f.AfterID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count records: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+prefixed("r.", recordColumns)+`, `+prefixed("x.", redactionColumns)+`
		FROM records r LEFT JOIN redactions x ON x.record_id = r.id
		WHERE (? = 0 OR r.source_id = ?) AND r.id > ? ORDER BY r.id LIMIT ? OFFSET ?`,
		f.SourceID, f.SourceID, f.AfterID, pageLimit(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: find records: %w", err)
	}
	defer rows.Close()
	var out []*paradero.Record
	rs := newRecordScanner()
	xs := newNullRedactionScanner()
	for rows.Next() {
		if err := rows.Scan(append(rs.dest, xs.dest...)...); err != nil {
			return nil, 0, fmt.Errorf("sqlite: find records: %w", err)
		}
		r, err := rs.record()
		if err != nil {
			return nil, 0, err
		}
		if r.Redaction, err = xs.redaction(); err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// nullRedactionScanner scans redactionColumns from the outer side of a LEFT
// JOIN, where every column may be NULL.
type nullRedactionScanner struct {
	id, recordID, createdAt, ledgerIdx sql.NullInt64
	reason, createdBy                  sql.NullString
	salt, commit, signature            []byte
	dest                               []any
}

func newNullRedactionScanner() *nullRedactionScanner {
	x := &nullRedactionScanner{}
	x.dest = []any{&x.id, &x.recordID, &x.reason, &x.createdAt, &x.createdBy, &x.salt, &x.commit, &x.signature, &x.ledgerIdx}
	return x
}

func (x *nullRedactionScanner) redaction() (*paradero.Redaction, error) {
	if !x.id.Valid {
		return nil, nil
	}
	c, err := hashFrom(x.commit)
	if err != nil {
		return nil, err
	}
	return &paradero.Redaction{
		ID: x.id.Int64, RecordID: x.recordID.Int64, Reason: x.reason.String,
		CreatedAt: fromMicros(x.createdAt.Int64), CreatedBy: x.createdBy.String,
		Salt: append([]byte(nil), x.salt...), Commitment: c,
		Signature: append([]byte(nil), x.signature...), LedgerIndex: x.ledgerIdx.Int64,
	}, nil
}

// RedactRecord removes the record's content and salt, keeps its
// commitment, and appends the redaction to the ledger, in one transaction.
// secure_delete overwrites the freed bytes; the WAL is then checkpointed and
// truncated so the old page images leave it too.
func (s *DB) RedactRecord(ctx context.Context, x *paradero.Redaction) error {
	const op = "sqlite.RedactRecord"
	if strings.TrimSpace(x.Reason) == "" {
		return paradero.Errorf(paradero.EINVALID, "a redaction needs a reason")
	}
	if len(x.Salt) != 32 || len(x.Signature) == 0 || x.Commitment.IsZero() {
		return paradero.Errorf(paradero.EINVALID, "a redaction needs a salt, a commitment and a signature")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback()
	var redacted int
	err = tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM redactions WHERE record_id = r.id) FROM records r WHERE r.id = ?`,
		x.RecordID).Scan(&redacted)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("record", x.RecordID)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if redacted > 0 {
		return paradero.Errorf(paradero.ECONFLICT, "record %d is redacted already", x.RecordID)
	}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM redactions`).Scan(&x.ID); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var size int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ledger_entries`).Scan(&size); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	x.CreatedAt = paradero.Timestamp(x.CreatedAt)
	app := paradero.NewLedgerAppender(size, func(idx []int64) ([]paradero.Hash, error) { return readHashes(ctx, tx, idx) })
	if x.LedgerIndex, err = appendEntry(ctx, tx, app, paradero.EntryRedaction, x.ID, paradero.RedactionLeaf(x)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE records SET content = NULL, salt = NULL WHERE id = ?`, x.RecordID); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO redactions (`+redactionColumns+`) VALUES (?,?,?,?,?,?,?,?,?)`,
		x.ID, x.RecordID, x.Reason, x.CreatedAt.UnixMicro(), x.CreatedBy, x.Salt, x.Commitment[:], x.Signature, x.LedgerIndex); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := unindexRedactionsTx(ctx, tx); err != nil {
		return fmt.Errorf("%s: search index: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	// The old page images are still in the WAL until a checkpoint copies the
	// new ones over them and truncates it.
	if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		s.logger.Warn("WAL checkpoint after redaction failed; the old content stays in the WAL until the next one", "err", err)
	}
	return nil
}
