package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paradero/paradero"
)

// querier is what a pool, a connection and a transaction share.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ledgerSize is one past the last entry's index. Under the ledger lock and
// with entries contiguous from 0, that is the number of entries, found in
// O(log n) from the primary key rather than by counting.
func ledgerSize(ctx context.Context, q querier) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT coalesce(max(idx) + 1, 0) FROM ledger_entries`).Scan(&n)
	return n, err
}

// readHashes reads stored tree hashes by tlog stored-hash index from the
// entries that hold them (paradero.StoredHashLocation), in one query.
func readHashes(ctx context.Context, q querier, indexes []int64) ([]paradero.Hash, error) {
	const op = "postgres.ReadHashes"
	entries := make([]int64, len(indexes))
	for i, x := range indexes {
		entries[i], _ = paradero.StoredHashLocation(x)
	}
	rows, err := q.Query(ctx, `SELECT idx, hashes FROM ledger_entries WHERE idx = ANY($1)`, entries)
	if err != nil {
		return nil, internal(op, err)
	}
	stored := make(map[int64][]byte, len(entries))
	var (
		idx    int64
		hashes []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&idx, &hashes}, func() error {
		stored[idx] = hashes
		return nil
	})
	if err != nil {
		return nil, internal(op, err)
	}
	out := make([]paradero.Hash, len(indexes))
	for i, x := range indexes {
		n, off := paradero.StoredHashLocation(x)
		b, ok := stored[n]
		if !ok {
			return nil, paradero.Errorf(paradero.ENOTFOUND, "tree hash %d: ledger entry %d is missing", x, n)
		}
		if len(b) < off+32 {
			return nil, &paradero.Error{Code: paradero.ETAMPERED,
				Message: fmt.Sprintf("tree hash %d: ledger entry %d holds %d bytes of hashes", x, n, len(b))}
		}
		copy(out[i][:], b[off:off+32])
	}
	return out, nil
}

// appendEntry appends one entry through app. The caller holds the ledger
// lock.
func appendEntry(ctx context.Context, q querier, app *paradero.LedgerAppender, kind paradero.EntryKind, subject int64, leaf []byte) (int64, error) {
	idx, hashes, err := app.Append(leaf)
	if err != nil {
		return 0, internal("postgres.appendEntry", err)
	}
	if _, err := q.Exec(ctx, `INSERT INTO ledger_entries (idx, kind, subject, leaf, hashes) VALUES ($1, $2, $3, $4, $5)`,
		idx, string(kind), subject, leaf, hashes); err != nil {
		return 0, internal("postgres.appendEntry", fmt.Errorf("entry %d: %w", idx, err))
	}
	return idx, nil
}

// LedgerSize returns the number of entries.
func (s *DB) LedgerSize(ctx context.Context) (int64, error) {
	n, err := ledgerSize(ctx, s.pool)
	if err != nil {
		return 0, internal("postgres.LedgerSize", err)
	}
	return n, nil
}

// ReadHashes reads stored tree hashes by tlog stored-hash index.
func (s *DB) ReadHashes(ctx context.Context, indexes []int64) ([]paradero.Hash, error) {
	return readHashes(ctx, s.pool, indexes)
}

// FindEntry returns the entry at index.
func (s *DB) FindEntry(ctx context.Context, index int64) (*paradero.Entry, error) {
	var (
		e    paradero.Entry
		kind string
	)
	err := s.pool.QueryRow(ctx, `SELECT idx, kind, subject, leaf FROM ledger_entries WHERE idx = $1`, index).
		Scan(&e.Index, &kind, &e.Subject, &e.Leaf)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "ledger entry %d not found", index)
	}
	if err != nil {
		return nil, internal("postgres.FindEntry", err)
	}
	e.Kind = paradero.EntryKind(kind)
	return &e, nil
}

// scanBatch is how many rows one FETCH reads from each cursor.
const scanBatch = 5000

// ScanLedger calls fn for every entry in index order, with its subject as
// stored now (nil where the row is gone); a record comes without its content
// fields, its stored content bytes in Content.
//
// It reads, in one read-only snapshot, five cursors in step — the entries
// by index and the sources, records, redactions and reviews by id — rather than
// joining: subjects come in the order of their entries, so each table is
// read once, in order, instead of probed a million times by primary key. A
// subject out of that order (rows reordered behind the store's back) is
// looked up by id. This is what package sqlite does too.
func (s *DB) ScanLedger(ctx context.Context, fn func(*paradero.LedgerItem) error) error {
	const op = "postgres.ScanLedger"
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return internal(op, err)
	}
	defer tx.Rollback(ctx)
	for _, q := range []string{
		`DECLARE scan_entries NO SCROLL CURSOR FOR SELECT idx, kind, subject, leaf, hashes FROM ledger_entries ORDER BY idx`,
		`DECLARE scan_sources NO SCROLL CURSOR FOR SELECT ` + sourceColumns + ` FROM sources ORDER BY id`,
		`DECLARE scan_records NO SCROLL CURSOR FOR SELECT ` + recordColumns + ` FROM records ORDER BY id`,
		`DECLARE scan_redactions NO SCROLL CURSOR FOR SELECT ` + redactionColumns + ` FROM redactions ORDER BY id`,
		`DECLARE scan_reviews NO SCROLL CURSOR FOR SELECT ` + reviewColumns + ` FROM reviews ORDER BY id`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return internal(op, err)
		}
	}
	ss, rs, xs := newSourceScanner(), newRecordScanner(), newRedactionScanner()
	sources := &cursor{tx: tx, name: "scan_sources", byID: `SELECT ` + sourceColumns + ` FROM sources WHERE id = $1`,
		dest: ss.dest, id: &ss.id, build: func(it *subject) (err error) { it.source, err = ss.source(); return err }}
	records := &cursor{tx: tx, name: "scan_records", byID: `SELECT ` + recordColumns + ` FROM records WHERE id = $1`,
		dest: rs.dest, id: &rs.id, build: func(it *subject) (err error) {
			if it.record, err = rs.meta(); err == nil && rs.content.Valid {
				it.content = []byte(rs.content.String)
			}
			return err
		}}
	redactions := &cursor{tx: tx, name: "scan_redactions", byID: `SELECT ` + redactionColumns + ` FROM redactions WHERE id = $1`,
		dest: xs.dest, id: &xs.id, build: func(it *subject) (err error) { it.redaction, err = xs.redaction(); return err }}
	reviews := reviewCursor(tx)

	for {
		// A fresh slice each batch: fn may keep the items it was given
		// (verify checks them on another goroutine while this one reads on).
		entries := make([]paradero.LedgerItem, 0, scanBatch)
		rows, err := tx.Query(ctx, `FETCH `+strconv.Itoa(scanBatch)+` FROM scan_entries`)
		if err != nil {
			return internal(op, err)
		}
		var (
			it   paradero.LedgerItem
			kind string
		)
		_, err = pgx.ForEachRow(rows, []any{&it.Index, &kind, &it.Subject, &it.Leaf, &it.Hashes}, func() error {
			it.Kind = paradero.EntryKind(kind)
			entries = append(entries, it)
			return nil
		})
		if err != nil {
			return internal(op, err)
		}
		if len(entries) == 0 {
			return nil
		}
		for i := range entries {
			it := &entries[i]
			var (
				sub *subject
				err error
			)
			switch it.Kind {
			case paradero.EntrySource:
				if sub, err = sources.seek(ctx, it.Subject); sub != nil {
					it.Source = sub.source
				}
			case paradero.EntryRecord:
				if sub, err = records.seek(ctx, it.Subject); sub != nil {
					it.Record, it.Content = sub.record, sub.content
				}
			case paradero.EntryRedaction:
				if sub, err = redactions.seek(ctx, it.Subject); sub != nil {
					it.Redaction = sub.redaction
				}
			case paradero.EntryReview:
				if sub, err = reviews.seek(ctx, it.Subject); sub != nil {
					it.Review = sub.review
				}
			}
			if err != nil {
				return internal(op, fmt.Errorf("entry %d: %w", it.Index, err))
			}
			if err := fn(it); err != nil {
				return err
			}
		}
	}
}

// subject is one row of sources, records, redactions or reviews, as ScanLedger
// hands it on.
type subject struct {
	id        int64
	source    *paradero.Source
	record    *paradero.Record
	content   []byte
	redaction *paradero.Redaction
	review    *paradero.Review
}

// cursor walks one table in id order through a server-side cursor, for
// ScanLedger.
type cursor struct {
	tx    pgx.Tx
	name  string // of the declared cursor
	byID  string // selects one row by id, for subjects out of order
	dest  []any
	id    *pgtype.Int8 // the id column among dest
	build func(*subject) error
	buf   []subject
	pos   int
	done  bool
}

// seek returns the row with this id, or nil if there is none.
func (c *cursor) seek(ctx context.Context, id int64) (*subject, error) {
	for {
		if c.pos == len(c.buf) {
			if c.done {
				return c.lookup(ctx, id)
			}
			if err := c.fetch(ctx); err != nil {
				return nil, err
			}
			continue
		}
		switch cur := &c.buf[c.pos]; {
		case cur.id == id:
			c.pos++
			return cur, nil
		case cur.id < id:
			c.pos++ // a row no entry claims here; FindUnledgered names those
		default:
			return c.lookup(ctx, id)
		}
	}
}

func (c *cursor) fetch(ctx context.Context) error {
	clear(c.buf)
	c.buf, c.pos = c.buf[:0], 0
	rows, err := c.tx.Query(ctx, `FETCH `+strconv.Itoa(scanBatch)+` FROM `+c.name)
	if err != nil {
		return err
	}
	if _, err := pgx.ForEachRow(rows, c.dest, func() error {
		it := subject{id: c.id.Int64}
		if err := c.build(&it); err != nil {
			return err
		}
		c.buf = append(c.buf, it)
		return nil
	}); err != nil {
		return err
	}
	c.done = len(c.buf) < scanBatch
	return nil
}

func (c *cursor) lookup(ctx context.Context, id int64) (*subject, error) {
	err := c.tx.QueryRow(ctx, c.byID, id).Scan(c.dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	it := &subject{id: id}
	return it, c.build(it)
}

// FindUnledgered returns rows that no ledger entry covers, by anti-joins on
// each row's ledger_idx.
func (s *DB) FindUnledgered(ctx context.Context, limit int) ([]string, error) {
	const op = "postgres.FindUnledgered"
	rows, err := s.pool.Query(ctx, `
		SELECT 'source', id FROM sources t WHERE NOT EXISTS (
			SELECT 1 FROM ledger_entries e WHERE e.idx = t.ledger_idx AND e.kind = 'source' AND e.subject = t.id)
		UNION ALL
		SELECT 'record', id FROM records t WHERE NOT EXISTS (
			SELECT 1 FROM ledger_entries e WHERE e.idx = t.ledger_idx AND e.kind = 'record' AND e.subject = t.id)
		UNION ALL
		SELECT 'redaction', id FROM redactions t WHERE NOT EXISTS (
			SELECT 1 FROM ledger_entries e WHERE e.idx = t.ledger_idx AND e.kind = 'redaction' AND e.subject = t.id)
		UNION ALL
		SELECT 'review', id FROM reviews t WHERE NOT EXISTS (
			SELECT 1 FROM ledger_entries e WHERE e.idx = t.ledger_idx AND e.kind = 'review' AND e.subject = t.id)
		LIMIT $1`, queryLimit(limit))
	if err != nil {
		return nil, internal(op, err)
	}
	var (
		kind string
		id   int64
		out  []string
	)
	if _, err := pgx.ForEachRow(rows, []any{&kind, &id}, func() error {
		out = append(out, fmt.Sprintf("%s %d", kind, id))
		return nil
	}); err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// queryLimit is limit as SQLite reads a LIMIT: a negative one is none (NULL
// in PostgreSQL).
func queryLimit(limit int) *int {
	if limit < 0 {
		return nil
	}
	return &limit
}

// AddCheckpoint stores a signed checkpoint. Storing the same checkpoint
// again does nothing.
func (s *DB) AddCheckpoint(ctx context.Context, c *paradero.Checkpoint) error {
	const op = "postgres.AddCheckpoint"
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback(ctx)
	same := func() error {
		var prev []byte
		err := tx.QueryRow(ctx, `SELECT hash FROM checkpoints WHERE size = $1`, c.Size).Scan(&prev)
		switch {
		case err != nil:
			return err
		case string(prev) != string(c.Hash[:]):
			return paradero.Errorf(paradero.ECONFLICT, "a checkpoint of size %d with another hash is stored", c.Size)
		}
		return nil
	}
	switch err := same(); {
	case err == nil:
		return nil
	case !errors.Is(err, pgx.ErrNoRows):
		return internal(op, err)
	}
	at := paradero.Timestamp(c.CreatedAt)
	// Of two servers adding the same size at once, the second waits for
	// the first, inserts nothing and compares with its row.
	tag, err := tx.Exec(ctx, `INSERT INTO checkpoints (size, hash, note, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (size) DO NOTHING`, c.Size, c.Hash[:], c.Note, at)
	if err != nil {
		return internal(op, err)
	}
	if tag.RowsAffected() == 0 {
		if err := same(); err != nil {
			return internal(op, err)
		}
		return nil
	}
	if err := tx.Commit(ctx); err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	c.CreatedAt = at
	return nil
}

func (s *DB) queryCheckpoints(ctx context.Context, query string) ([]*paradero.Checkpoint, error) {
	rows, err := s.pool.Query(ctx, query)
	if err != nil {
		return nil, internal("postgres.checkpoints", err)
	}
	defer rows.Close()
	var out []*paradero.Checkpoint
	for rows.Next() {
		var (
			c paradero.Checkpoint
			h []byte
		)
		if err := rows.Scan(&c.Size, &h, &c.Note, &c.CreatedAt); err != nil {
			return nil, internal("postgres.checkpoints", err)
		}
		if c.Hash, err = hashFrom(h); err != nil {
			return nil, err
		}
		c.CreatedAt = c.CreatedAt.UTC()
		out = append(out, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, internal("postgres.checkpoints", err)
	}
	return out, nil
}

// LatestCheckpoint returns the checkpoint of the largest size.
func (s *DB) LatestCheckpoint(ctx context.Context) (*paradero.Checkpoint, error) {
	cs, err := s.queryCheckpoints(ctx, `SELECT size, hash, note, created_at FROM checkpoints ORDER BY size DESC LIMIT 1`)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no checkpoint yet")
	}
	return cs[0], nil
}

// FindCheckpoints returns every checkpoint, smallest first.
func (s *DB) FindCheckpoints(ctx context.Context) ([]*paradero.Checkpoint, error) {
	return s.queryCheckpoints(ctx, `SELECT size, hash, note, created_at FROM checkpoints ORDER BY size`)
}
