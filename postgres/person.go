package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paradero/paradero"
)

var _ paradero.PersonService = (*DB)(nil)

// linkLock serialises link runs: each reads the previous assignment of
// records to persons and replaces it, as SQLite's single writer does.
const linkLock int64 = 0x7061726164_0003 // "parad" 3

// SaveLinkRun records a run and moves records between persons, in one
// transaction under linkLock. Person ids carry over by overlap, exactly as
// package sqlite assigns them: each new cluster takes the id of the
// previous person with which it shares the most records (ties to the
// smaller id), each id going to one cluster at most; other clusters get new
// ids, counting on from the largest id ever used. EINVALID if a record is
// missing, unknown or in two clusters (package sqlite reports an unknown
// record that replaces a known one as an internal error, from its foreign
// key).
//
// Moves are written set-wise (unnest, COPY), not a statement per record:
// one round trip per statement is what a server store pays.
func (s *DB) SaveLinkRun(ctx context.Context, run *paradero.LinkRun, clusters [][]int64, queue []paradero.ReviewPair) error {
	const op = "postgres.SaveLinkRun"
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback(ctx)
	// Read committed, so every statement after the lock sees the run
	// before this one.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, linkLock); err != nil {
		return internal(op, err)
	}
	var nrec int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM records`).Scan(&nrec); err != nil {
		return internal(op, err)
	}
	if err := paradero.CheckPartition(clusters, nrec); err != nil {
		return err
	}
	// A record the store does not have was in no person before, so it is
	// moved below, and person_records' foreign key refuses it.

	old := make(map[int64]int64, nrec) // record → person
	rows, err := tx.Query(ctx, `SELECT record_id, person_id FROM person_records`)
	if err != nil {
		return internal(op, err)
	}
	var r, p int64
	if _, err := pgx.ForEachRow(rows, []any{&r, &p}, func() error { old[r] = p; return nil }); err != nil {
		return internal(op, err)
	}
	var nextID int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(person_id), 0) + 1 FROM person_lineage`).Scan(&nextID); err != nil {
		return internal(op, err)
	}
	ids := paradero.AssignPersonIDs(clusters, old, nextID)

	now := s.timestamp()
	settings := run.Settings
	if settings == nil {
		settings = []byte{}
	}
	// A nil State is NULL: the run keeps none.
	if err := tx.QueryRow(ctx, `INSERT INTO link_runs (created_at, created_by, records, persons, candidate_pairs, settings, state)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, now, run.CreatedBy, nrec, len(clusters), run.CandidatePairs, settings, run.State).Scan(&run.ID); err != nil {
		if isBadText(err) {
			return paradero.Errorf(paradero.EINVALID, "the run's author is not valid text")
		}
		return internal(op, err)
	}
	run.CreatedAt, run.Records, run.Persons = now, nrec, len(clusters)

	var movedRec, movedTo []int64
	for i, c := range clusters {
		for _, r := range c {
			if p, ok := old[r]; ok && p == ids[i] {
				continue
			}
			movedRec, movedTo = append(movedRec, r), append(movedTo, ids[i])
		}
	}
	if len(movedRec) > 0 {
		if err := moveRecords(ctx, tx, run.ID, movedRec, movedTo); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM review_queue`); err != nil {
		return internal(op, err)
	}
	if len(queue) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"review_queue"},
			[]string{"record_a", "record_b", "probability", "weight", "explanation"},
			pgx.CopyFromSlice(len(queue), func(i int) ([]any, error) {
				q := &queue[i]
				exp := q.Explanation
				if exp == nil {
					exp = []byte{}
				}
				return []any{q.RecordA, q.RecordB, q.Probability, q.Weight, exp}, nil
			})); err != nil {
			return internal(op, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	s.logger.Info("saved link run", "run", run.ID, "records", nrec, "persons", len(clusters), "moved", len(movedRec))
	return nil
}

// moveRecords moves each record recs[i] to person to[i] as of run: its
// open lineage row is closed, a new one opened, and person_records
// updated. The moves are copied into a temporary table first and applied
// by three joins: a statement per record costs a round trip each, and
// arrays of record ids with = ANY cost an index probe each.
func moveRecords(ctx context.Context, tx pgx.Tx, run int64, recs, to []int64) error {
	const op = "postgres.SaveLinkRun"
	if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE link_moves (record_id bigint PRIMARY KEY, person_id bigint NOT NULL) ON COMMIT DROP`); err != nil {
		return internal(op, err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"link_moves"}, []string{"record_id", "person_id"},
		pgx.CopyFromSlice(len(recs), func(i int) ([]any, error) { return []any{recs[i], to[i]}, nil })); err != nil {
		return internal(op, err)
	}
	for _, q := range []string{
		// Autovacuum never sees a temporary table: give the planner its size.
		`ANALYZE link_moves`,
		// Close the old lineage before opening the new, so the update sees
		// only rows of earlier runs.
		`UPDATE person_lineage l SET until_run = $1 FROM link_moves m WHERE l.record_id = m.record_id AND l.until_run IS NULL`,
		`INSERT INTO person_lineage (person_id, record_id, from_run) SELECT person_id, record_id, $1 FROM link_moves`,
		`INSERT INTO person_records (record_id, person_id) SELECT record_id, person_id FROM link_moves
			ON CONFLICT (record_id) DO UPDATE SET person_id = excluded.person_id`,
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = []any{run}
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			if isForeignKeyViolation(err) {
				return paradero.Errorf(paradero.EINVALID, "a cluster names a record the store does not have")
			}
			return internal(op, err)
		}
	}
	return nil
}

// findPerson reads a person's lineage in one statement. person is an SQL
// expression of $1 that yields the person's id (a constant of this file).
func (s *DB) findPerson(ctx context.Context, op, person string, arg int64) (*paradero.Person, error) {
	rows, err := s.pool.Query(ctx, `SELECT l.person_id, l.record_id, l.from_run, coalesce(l.until_run, 0), a.created_at, u.created_at
		FROM person_lineage l JOIN link_runs a ON a.id = l.from_run LEFT JOIN link_runs u ON u.id = l.until_run
		WHERE l.person_id = `+person+` ORDER BY l.from_run, l.record_id`, arg)
	if err != nil {
		return nil, internal(op, err)
	}
	var (
		p       paradero.Person
		l       paradero.Lineage
		removed pgtype.Timestamptz
	)
	if _, err := pgx.ForEachRow(rows, []any{&p.ID, &l.RecordID, &l.FromRun, &l.UntilRun, &l.AddedAt, &removed}, func() error {
		c := l
		c.AddedAt = c.AddedAt.UTC()
		if removed.Valid {
			c.RemovedAt = removed.Time.UTC()
		}
		if c.UntilRun == 0 {
			p.Records = append(p.Records, c.RecordID)
		}
		p.Lineage = append(p.Lineage, c)
		return nil
	}); err != nil {
		return nil, internal(op, err)
	}
	if len(p.Lineage) == 0 {
		return nil, nil
	}
	slices.Sort(p.Records)
	return &p, nil
}

// FindPersonByID returns the person with its records and lineage.
// ENOTFOUND if no run ever made it.
func (s *DB) FindPersonByID(ctx context.Context, id int64) (*paradero.Person, error) {
	p, err := s.findPerson(ctx, "postgres.FindPersonByID", `$1`, id)
	if err == nil && p == nil {
		return nil, notFound("person", id)
	}
	return p, err
}

// FindPersonOfRecord returns the person a record belongs to now, in one
// statement. ENOTFOUND if the record is not linked yet.
func (s *DB) FindPersonOfRecord(ctx context.Context, recordID int64) (*paradero.Person, error) {
	p, err := s.findPerson(ctx, "postgres.FindPersonOfRecord", `(SELECT person_id FROM person_records WHERE record_id = $1)`, recordID)
	if err == nil && p == nil {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "record %d is not linked to a person yet", recordID)
	}
	return p, err
}

// FindLatestLinkRun returns the latest link run, with its state.
// ENOTFOUND if there has been none.
func (s *DB) FindLatestLinkRun(ctx context.Context) (*paradero.LinkRun, error) {
	var run paradero.LinkRun
	err := s.pool.QueryRow(ctx, `SELECT id, created_at, created_by, records, persons, candidate_pairs, settings, state
		FROM link_runs ORDER BY id DESC LIMIT 1`).Scan(&run.ID, &run.CreatedAt, &run.CreatedBy, &run.Records, &run.Persons,
		&run.CandidatePairs, &run.Settings, &run.State)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no link run yet")
	}
	if err != nil {
		return nil, internal("postgres.FindLatestLinkRun", err)
	}
	run.CreatedAt = run.CreatedAt.UTC()
	return &run, nil
}

// FindPersonRecords returns every current person's record ids, in one
// statement.
func (s *DB) FindPersonRecords(ctx context.Context) ([][]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT person_id, record_id FROM person_records ORDER BY person_id, record_id`)
	if err != nil {
		return nil, internal("postgres.FindPersonRecords", err)
	}
	var (
		out  [][]int64
		p, r int64
	)
	last := int64(-1)
	if _, err := pgx.ForEachRow(rows, []any{&p, &r}, func() error {
		if p != last || len(out) == 0 {
			out = append(out, nil)
			last = p
		}
		out[len(out)-1] = append(out[len(out)-1], r)
		return nil
	}); err != nil {
		return nil, internal("postgres.FindPersonRecords", err)
	}
	return out, nil
}

const reviewColumns = `id, record_a, record_b, verdict, reason, created_by, created_at, salt, commitment, ledger_idx`

// reviewScanner scans reviewColumns; every column may be NULL.
type reviewScanner struct {
	id, a, b, ledgerIdx pgtype.Int8
	verdict, reason, by pgtype.Text
	createdAt           pgtype.Timestamptz
	salt, commit        []byte
	dest                []any
}

func newReviewScanner() *reviewScanner {
	x := &reviewScanner{}
	x.dest = []any{&x.id, &x.a, &x.b, &x.verdict, &x.reason, &x.by, &x.createdAt, &x.salt, &x.commit, &x.ledgerIdx}
	return x
}

func (x *reviewScanner) review() (*paradero.Review, error) {
	c, err := hashFrom(x.commit)
	if err != nil {
		return nil, err
	}
	return &paradero.Review{
		ID: x.id.Int64, RecordA: x.a.Int64, RecordB: x.b.Int64, Verdict: paradero.Verdict(x.verdict.String),
		Reason: x.reason.String, CreatedBy: x.by.String, CreatedAt: x.createdAt.Time.UTC(),
		Salt: append([]byte(nil), x.salt...), Commitment: c, LedgerIndex: x.ledgerIdx.Int64,
	}, nil
}

// validText reports whether PostgreSQL can store s as text.
func validText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// CreateReview appends a review to the ledger and takes its pair off the
// review queue, in one transaction under the ledger lock, as RedactRecord
// appends a redaction. EINVALID for a bad verdict, the same record twice,
// a missing salt or commitment, or a reason or author PostgreSQL cannot
// store as text (a NUL byte, invalid UTF-8); ENOTFOUND for an unknown
// record.
func (s *DB) CreateReview(ctx context.Context, x *paradero.Review) error {
	const op = "postgres.CreateReview"
	if !x.Verdict.Valid() {
		return paradero.Errorf(paradero.EINVALID, "verdict %q is not same, different or unsure", x.Verdict)
	}
	if x.RecordA == x.RecordB {
		return paradero.Errorf(paradero.EINVALID, "a review needs two different records")
	}
	if x.RecordA > x.RecordB {
		x.RecordA, x.RecordB = x.RecordB, x.RecordA
	}
	if len(x.Salt) != 32 || x.Commitment.IsZero() {
		return paradero.Errorf(paradero.EINVALID, "a review needs a salt and a commitment")
	}
	if !validText(x.Reason) || !validText(x.CreatedBy) {
		return paradero.Errorf(paradero.EINVALID, "a review's reason and author must be UTF-8 text without NUL bytes")
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, ledgerLock); err != nil {
		return internal(op, err)
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM records WHERE id IN ($1, $2)`, x.RecordA, x.RecordB).Scan(&n); err != nil {
		return internal(op, err)
	}
	if n != 2 {
		return paradero.Errorf(paradero.ENOTFOUND, "record %d or %d not found", x.RecordA, x.RecordB)
	}
	if err := tx.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('reviews', 'id'))`).Scan(&x.ID); err != nil {
		return internal(op, err)
	}
	size, err := ledgerSize(ctx, tx)
	if err != nil {
		return internal(op, err)
	}
	x.CreatedAt = paradero.Timestamp(x.CreatedAt)
	app := paradero.NewLedgerAppender(size, func(idx []int64) ([]paradero.Hash, error) { return readHashes(ctx, tx, idx) })
	if x.LedgerIndex, err = appendEntry(ctx, tx, app, paradero.EntryReview, x.ID, paradero.ReviewLeaf(x)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO reviews (`+reviewColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
		x.ID, x.RecordA, x.RecordB, string(x.Verdict), x.Reason, x.CreatedBy, x.CreatedAt, x.Salt, x.Commitment[:], x.LedgerIndex); err != nil {
		return internal(op, err)
	}
	if x.Verdict != paradero.VerdictUnsure {
		if _, err := tx.Exec(ctx, `DELETE FROM review_queue WHERE record_a = $1 AND record_b = $2`, x.RecordA, x.RecordB); err != nil {
			return internal(op, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	s.logger.Info("recorded review", "review", x.ID, "ledger_idx", x.LedgerIndex)
	return nil
}

// FindReviews returns every review, oldest first.
func (s *DB) FindReviews(ctx context.Context) ([]*paradero.Review, error) {
	const op = "postgres.FindReviews"
	rows, err := s.pool.Query(ctx, `SELECT `+reviewColumns+` FROM reviews ORDER BY id`)
	if err != nil {
		return nil, internal(op, err)
	}
	var out []*paradero.Review
	x := newReviewScanner()
	if _, err := pgx.ForEachRow(rows, x.dest, func() error {
		r, err := x.review()
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	}); err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// FindReviewQueue returns undecided pairs, closest to even odds first, and
// their total, from one snapshot.
func (s *DB) FindReviewQueue(ctx context.Context, f paradero.ReviewFilter) ([]*paradero.ReviewPair, int, error) {
	const op = "postgres.FindReviewQueue"
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, internal(op, err)
	}
	defer tx.Rollback(ctx)
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM review_queue`).Scan(&total); err != nil {
		return nil, 0, internal(op, err)
	}
	rows, err := tx.Query(ctx, `SELECT record_a, record_b, probability, weight, explanation FROM review_queue
		ORDER BY abs(probability - 0.5), record_a, record_b LIMIT $1 OFFSET $2`, pageLimit(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, 0, internal(op, err)
	}
	var (
		q   paradero.ReviewPair
		out []*paradero.ReviewPair
	)
	if _, err := pgx.ForEachRow(rows, []any{&q.RecordA, &q.RecordB, &q.Probability, &q.Weight, &q.Explanation}, func() error {
		c := q
		out = append(out, &c)
		return nil
	}); err != nil {
		return nil, 0, internal(op, err)
	}
	return out, total, nil
}

// reviewCursor is ScanLedger's walk of the reviews table, through the
// cursor scan_reviews.
func reviewCursor(tx pgx.Tx) *cursor {
	x := newReviewScanner()
	return &cursor{tx: tx, name: "scan_reviews", byID: `SELECT ` + reviewColumns + ` FROM reviews WHERE id = $1`,
		dest: x.dest, id: &x.id, build: func(it *subject) (err error) { it.review, err = x.review(); return err }}
}
