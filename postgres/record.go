package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paradero/paradero"
)

const recordColumns = "id, source_id, row_no, content, salt, commitment, created_at, ledger_idx"

var (
	recordCopyColumns = strings.Split(strings.ReplaceAll(recordColumns, " ", ""), ",")
	ledgerCopyColumns = []string{"idx", "kind", "subject", "leaf", "hashes"}
)

// stagedRecord is a record waiting for the next COPY: what the store
// writes of it, so a caller may reuse its *Record after AddRecord.
type stagedRecord struct {
	id, sourceID, ledgerIdx int64
	row                     int32
	content                 string
	salt                    []byte
	commit                  paradero.Hash
	createdAt               time.Time
	leaf, hashes            []byte
}

// recordBatch stages records and feeds them to COPY twice: once as records
// rows, once as ledger entries.
type recordBatch struct {
	rows   []stagedRecord
	pos    int
	values []any
	search searchBatch // the records' search index rows (search.go)
}

func (b *recordBatch) add(r *paradero.Record, content, leaf, hashes []byte) {
	b.rows = append(b.rows, stagedRecord{
		id: r.ID, sourceID: r.SourceID, ledgerIdx: r.LedgerIndex, row: int32(r.Row),
		content: string(content), salt: r.Salt, commit: r.Commitment, createdAt: r.CreatedAt,
		leaf: leaf, hashes: hashes,
	})
}

func (b *recordBatch) len() int { return len(b.rows) }

func (b *recordBatch) reset() {
	clear(b.rows)
	b.rows = b.rows[:0]
	b.search.reset()
}

func (b *recordBatch) records() pgx.CopyFromSource {
	b.pos = -1
	b.values = make([]any, len(recordCopyColumns))
	return (*recordRows)(b)
}

func (b *recordBatch) entries() pgx.CopyFromSource {
	b.pos = -1
	b.values = make([]any, len(ledgerCopyColumns))
	return (*entryRows)(b)
}

type recordRows recordBatch

func (b *recordRows) Next() bool { b.pos++; return b.pos < len(b.rows) }
func (b *recordRows) Err() error { return nil }
func (b *recordRows) Values() ([]any, error) {
	s := &b.rows[b.pos]
	v := b.values
	v[0], v[1], v[2], v[3] = s.id, s.sourceID, s.row, s.content
	v[4], v[5], v[6], v[7] = s.salt, s.commit[:], s.createdAt, s.ledgerIdx
	return v, nil
}

type entryRows recordBatch

func (b *entryRows) Next() bool { b.pos++; return b.pos < len(b.rows) }
func (b *entryRows) Err() error { return nil }
func (b *entryRows) Values() ([]any, error) {
	s := &b.rows[b.pos]
	b.values[0], b.values[1], b.values[2], b.values[3], b.values[4] =
		s.ledgerIdx, string(paradero.EntryRecord), s.id, s.leaf, s.hashes
	return b.values, nil
}

// recordScanner scans recordColumns. Every column may be NULL, so it also
// reads the outer side of a LEFT JOIN.
type recordScanner struct {
	id, sourceID, ledgerIdx pgtype.Int8
	row                     pgtype.Int4
	content                 pgtype.Text
	createdAt               pgtype.Timestamptz
	salt, commit            []byte
	dest                    []any
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
		ID: rs.id.Int64, SourceID: rs.sourceID.Int64, Row: int(rs.row.Int32),
		CreatedAt: rs.createdAt.Time.UTC(), LedgerIndex: rs.ledgerIdx.Int64,
		Salt: rs.salt, // pgx scans into a fresh slice
	}
	var err error
	if r.Commitment, err = hashFrom(rs.commit); err != nil {
		return nil, err
	}
	return &r, nil
}

const redactionColumns = `id, record_id, reason, created_at, created_by, salt, commitment, signature, ledger_idx`

// redactionScanner scans redactionColumns, possibly from the outer side of
// a LEFT JOIN, where every column may be NULL.
type redactionScanner struct {
	id, recordID, ledgerIdx pgtype.Int8
	createdAt               pgtype.Timestamptz
	reason, createdBy       pgtype.Text
	salt, commit, signature []byte
	dest                    []any
}

func newRedactionScanner() *redactionScanner {
	x := &redactionScanner{}
	x.dest = []any{&x.id, &x.recordID, &x.reason, &x.createdAt, &x.createdBy, &x.salt, &x.commit, &x.signature, &x.ledgerIdx}
	return x
}

// redaction returns the scanned redaction, or nil if the row was absent.
func (x *redactionScanner) redaction() (*paradero.Redaction, error) {
	if !x.id.Valid {
		return nil, nil
	}
	c, err := hashFrom(x.commit)
	if err != nil {
		return nil, err
	}
	return &paradero.Redaction{
		ID: x.id.Int64, RecordID: x.recordID.Int64, Reason: x.reason.String,
		CreatedAt: x.createdAt.Time.UTC(), CreatedBy: x.createdBy.String,
		Salt: append([]byte(nil), x.salt...), Commitment: c,
		Signature: append([]byte(nil), x.signature...), LedgerIndex: x.ledgerIdx.Int64,
	}, nil
}

// FindRecordByID returns ENOTFOUND if there is no such record.
func (s *DB) FindRecordByID(ctx context.Context, id int64) (*paradero.Record, error) {
	rs, xs := newRecordScanner(), newRedactionScanner()
	err := s.pool.QueryRow(ctx, `SELECT `+prefixed("r.", recordColumns)+`, `+prefixed("x.", redactionColumns)+`
		FROM records r LEFT JOIN redactions x ON x.record_id = r.id WHERE r.id = $1`, id).
		Scan(append(rs.dest, xs.dest...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("record", id)
	}
	if err != nil {
		return nil, internal("postgres.FindRecordByID", err)
	}
	r, err := rs.record()
	if err != nil {
		return nil, err
	}
	if r.Redaction, err = xs.redaction(); err != nil {
		return nil, err
	}
	return r, nil
}

// FindRecords returns a page of records in ID order, and the total.
func (s *DB) FindRecords(ctx context.Context, f paradero.RecordFilter) ([]*paradero.Record, int, error) {
	const op = "postgres.FindRecords"
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, internal(op, err)
	}
	defer tx.Rollback(ctx)
	var total int
	// AfterID walks every record page by page, as package sqlite does.
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM records WHERE ($1 = 0 OR source_id = $1) AND id > $2`,
		f.SourceID, f.AfterID).Scan(&total); err != nil {
		return nil, 0, internal(op, err)
	}
	rows, err := tx.Query(ctx, `SELECT `+prefixed("r.", recordColumns)+`, `+prefixed("x.", redactionColumns)+`
		FROM records r LEFT JOIN redactions x ON x.record_id = r.id
		WHERE ($1 = 0 OR r.source_id = $1) AND r.id > $2 ORDER BY r.id LIMIT $3 OFFSET $4`,
		f.SourceID, f.AfterID, pageLimit(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, 0, internal(op, err)
	}
	defer rows.Close()
	var out []*paradero.Record
	rs, xs := newRecordScanner(), newRedactionScanner()
	dest := append(rs.dest, xs.dest...)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, 0, internal(op, err)
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
	if err := rows.Err(); err != nil {
		return nil, 0, internal(op, err)
	}
	return out, total, nil
}

// RedactRecord removes the record's content and salt, keeps its
// commitment, appends the redaction to the ledger and takes the record out
// of the search index, in one transaction under the ledger lock. It then
// vacuums records and the search index to prune the old tuple versions:
// see the package doc for what that does and does not erase.
func (s *DB) RedactRecord(ctx context.Context, x *paradero.Redaction) error {
	const op = "postgres.RedactRecord"
	if strings.TrimSpace(x.Reason) == "" {
		return paradero.Errorf(paradero.EINVALID, "a redaction needs a reason")
	}
	if len(x.Salt) != 32 || len(x.Signature) == 0 || x.Commitment.IsZero() {
		return paradero.Errorf(paradero.EINVALID, "a redaction needs a salt, a commitment and a signature")
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, ledgerLock); err != nil {
		return internal(op, err)
	}
	var redacted bool
	err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM redactions WHERE record_id = r.id)
		FROM records r WHERE r.id = $1 FOR UPDATE`, x.RecordID).Scan(&redacted)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("record", x.RecordID)
	}
	if err != nil {
		return internal(op, err)
	}
	if redacted {
		return paradero.Errorf(paradero.ECONFLICT, "record %d is redacted already", x.RecordID)
	}
	if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('redactions', 'id'))`).Scan(&x.ID); err != nil {
		return internal(op, err)
	}
	size, err := ledgerSize(ctx, tx)
	if err != nil {
		return internal(op, err)
	}
	x.CreatedAt = paradero.Timestamp(x.CreatedAt)
	app := paradero.NewLedgerAppender(size, func(idx []int64) ([]paradero.Hash, error) { return readHashes(ctx, tx, idx) })
	if x.LedgerIndex, err = appendEntry(ctx, tx, app, paradero.EntryRedaction, x.ID, paradero.RedactionLeaf(x)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE records SET content = NULL, salt = NULL WHERE id = $1`, x.RecordID); err != nil {
		return internal(op, err)
	}
	if err := unindexRecord(ctx, tx, x.RecordID); err != nil {
		return internal(op, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO redactions (`+redactionColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		x.ID, x.RecordID, x.Reason, x.CreatedAt, x.CreatedBy, x.Salt, x.Commitment[:], x.Signature, x.LedgerIndex); err != nil {
		if isUniqueViolation(err) {
			return paradero.Errorf(paradero.ECONFLICT, "record %d is redacted already", x.RecordID)
		}
		return internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	s.logger.Info("redacted record", "record", x.RecordID, "redaction", x.ID, "ledger_idx", x.LedgerIndex)
	// VACUUM cannot run in a transaction. It prunes the old tuple unless an
	// older snapshot (a long read, a replica's feedback) still sees it; the
	// next autovacuum then gets it.
	if _, err := s.pool.Exec(ctx, `VACUUM records`); err != nil {
		s.logger.Warn("VACUUM after redaction failed; the old tuple stays until autovacuum prunes it", "record", x.RecordID, "err", err)
	}
	s.vacuumSearch(ctx)
	return nil
}
