package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/paradero/paradero"
)

var _ paradero.PersonService = (*DB)(nil)

// SaveLinkRun records a run and moves records between persons. Person ids
// carry over by overlap: each new cluster takes the id of the previous
// person with which it shares the most records (ties to the smaller id),
// each id going to one cluster at most; other clusters get new ids.
func (s *DB) SaveLinkRun(ctx context.Context, run *paradero.LinkRun, clusters [][]int64, queue []paradero.ReviewPair) error {
	const op = "sqlite.SaveLinkRun"
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback()
	var nrec int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM records`).Scan(&nrec); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := paradero.CheckPartition(clusters, nrec); err != nil {
		return err
	}

	old := make(map[int64]int64, nrec) // record → person
	rows, err := tx.QueryContext(ctx, `SELECT record_id, person_id FROM person_records`)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for rows.Next() {
		var r, p int64
		if err := rows.Scan(&r, &p); err != nil {
			rows.Close()
			return fmt.Errorf("%s: %w", op, err)
		}
		old[r] = p
	}
	rows.Close()
	var nextID int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(person_id), 0) + 1 FROM person_lineage`).Scan(&nextID); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	ids := paradero.AssignPersonIDs(clusters, old, nextID)

	now := s.timestamp()
	run.CreatedAt = now
	var state any // NULL when the run keeps none
	if run.State != nil {
		state = run.State
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO link_runs (created_at, created_by, records, persons, candidate_pairs, settings, state)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, now.UnixMicro(), run.CreatedBy, nrec, len(clusters), run.CandidatePairs, string(run.Settings), state)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if run.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	run.Records, run.Persons = nrec, len(clusters)

	move, err := tx.PrepareContext(ctx, `INSERT INTO person_records (record_id, person_id) VALUES (?, ?)
		ON CONFLICT (record_id) DO UPDATE SET person_id = excluded.person_id`)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer move.Close()
	closeOld, err := tx.PrepareContext(ctx, `UPDATE person_lineage SET until_run = ? WHERE record_id = ? AND until_run IS NULL`)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer closeOld.Close()
	openNew, err := tx.PrepareContext(ctx, `INSERT INTO person_lineage (person_id, record_id, from_run) VALUES (?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer openNew.Close()
	for i, c := range clusters {
		for _, r := range c {
			if p, ok := old[r]; ok && p == ids[i] {
				continue
			}
			if _, err := move.ExecContext(ctx, r, ids[i]); err != nil {
				if strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
					return paradero.Errorf(paradero.EINVALID, "record %d does not exist", r)
				}
				return fmt.Errorf("%s: record %d: %w", op, r, err)
			}
			if _, err := closeOld.ExecContext(ctx, run.ID, r); err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			if _, err := openNew.ExecContext(ctx, ids[i], r, run.ID); err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM review_queue`); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for _, q := range queue {
		if _, err := tx.ExecContext(ctx, `INSERT INTO review_queue (record_a, record_b, probability, weight, explanation) VALUES (?, ?, ?, ?, ?)`,
			q.RecordA, q.RecordB, q.Probability, q.Weight, string(q.Explanation)); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	return nil
}

// FindPersonByID returns the person with its records and lineage.
func (s *DB) FindPersonByID(ctx context.Context, id int64) (*paradero.Person, error) {
	p := &paradero.Person{ID: id}
	rows, err := s.db.QueryContext(ctx, `SELECT l.record_id, l.from_run, coalesce(l.until_run, 0), a.created_at, coalesce(u.created_at, 0)
		FROM person_lineage l JOIN link_runs a ON a.id = l.from_run LEFT JOIN link_runs u ON u.id = l.until_run
		WHERE l.person_id = ? ORDER BY l.from_run, l.record_id`, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find person %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			l          paradero.Lineage
			added, rem int64
		)
		if err := rows.Scan(&l.RecordID, &l.FromRun, &l.UntilRun, &added, &rem); err != nil {
			return nil, fmt.Errorf("sqlite: find person %d: %w", id, err)
		}
		l.AddedAt = fromMicros(added)
		if rem != 0 {
			l.RemovedAt = fromMicros(rem)
		}
		if l.UntilRun == 0 {
			p.Records = append(p.Records, l.RecordID)
		}
		p.Lineage = append(p.Lineage, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(p.Lineage) == 0 {
		return nil, notFound("person", id)
	}
	sort.Slice(p.Records, func(i, j int) bool { return p.Records[i] < p.Records[j] })
	return p, nil
}

// FindPersonOfRecord returns the person a record belongs to now.
func (s *DB) FindPersonOfRecord(ctx context.Context, recordID int64) (*paradero.Person, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT person_id FROM person_records WHERE record_id = ?`, recordID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "record %d is not linked to a person yet", recordID)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: person of record %d: %w", recordID, err)
	}
	return s.FindPersonByID(ctx, id)
}

// FindLatestLinkRun returns the latest link run, with its state.
func (s *DB) FindLatestLinkRun(ctx context.Context) (*paradero.LinkRun, error) {
	var (
		run       paradero.LinkRun
		createdAt int64
		settings  string
	)
	err := s.db.QueryRowContext(ctx, `SELECT id, created_at, created_by, records, persons, candidate_pairs, settings, state
		FROM link_runs ORDER BY id DESC LIMIT 1`).Scan(&run.ID, &createdAt, &run.CreatedBy, &run.Records, &run.Persons,
		&run.CandidatePairs, &settings, &run.State)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no link run yet")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: latest link run: %w", err)
	}
	run.CreatedAt = fromMicros(createdAt)
	run.Settings = []byte(settings)
	return &run, nil
}

// FindPersonRecords returns every current person's record ids.
func (s *DB) FindPersonRecords(ctx context.Context) ([][]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT person_id, record_id FROM person_records ORDER BY person_id, record_id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: person records: %w", err)
	}
	defer rows.Close()
	var out [][]int64
	last := int64(-1)
	for rows.Next() {
		var p, r int64
		if err := rows.Scan(&p, &r); err != nil {
			return nil, fmt.Errorf("sqlite: person records: %w", err)
		}
		if p != last || len(out) == 0 {
			out = append(out, nil)
			last = p
		}
		out[len(out)-1] = append(out[len(out)-1], r)
	}
	return out, rows.Err()
}

const reviewColumns = `id, record_a, record_b, verdict, reason, created_by, created_at, salt, commitment, ledger_idx`

// reviewScanner scans reviewColumns; every column may be NULL.
type reviewScanner struct {
	id, a, b, createdAt, ledgerIdx sql.NullInt64
	verdict, reason, by            sql.NullString
	salt, commit                   []byte
	dest                           []any
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
		Reason: x.reason.String, CreatedBy: x.by.String, CreatedAt: fromMicros(x.createdAt.Int64),
		Salt: append([]byte(nil), x.salt...), Commitment: c, LedgerIndex: x.ledgerIdx.Int64,
	}, nil
}

// CreateReview appends a review to the ledger and takes its pair off the
// review queue.
func (s *DB) CreateReview(ctx context.Context, x *paradero.Review) error {
	const op = "sqlite.CreateReview"
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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM records WHERE id IN (?, ?)`, x.RecordA, x.RecordB).Scan(&n); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n != 2 {
		return paradero.Errorf(paradero.ENOTFOUND, "record %d or %d not found", x.RecordA, x.RecordB)
	}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM reviews`).Scan(&x.ID); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var size int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ledger_entries`).Scan(&size); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	x.CreatedAt = paradero.Timestamp(x.CreatedAt)
	app := paradero.NewLedgerAppender(size, func(idx []int64) ([]paradero.Hash, error) { return readHashes(ctx, tx, idx) })
	if x.LedgerIndex, err = appendEntry(ctx, tx, app, paradero.EntryReview, x.ID, paradero.ReviewLeaf(x)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO reviews (`+reviewColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		x.ID, x.RecordA, x.RecordB, string(x.Verdict), x.Reason, x.CreatedBy, x.CreatedAt.UnixMicro(), x.Salt, x.Commitment[:], x.LedgerIndex); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if x.Verdict != paradero.VerdictUnsure {
		if _, err := tx.ExecContext(ctx, `DELETE FROM review_queue WHERE record_a = ? AND record_b = ?`, x.RecordA, x.RecordB); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	return nil
}

// FindReviews returns every review, oldest first.
func (s *DB) FindReviews(ctx context.Context) ([]*paradero.Review, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+reviewColumns+` FROM reviews ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find reviews: %w", err)
	}
	defer rows.Close()
	var out []*paradero.Review
	x := newReviewScanner()
	for rows.Next() {
		if err := rows.Scan(x.dest...); err != nil {
			return nil, fmt.Errorf("sqlite: find reviews: %w", err)
		}
		r, err := x.review()
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FindReviewQueue returns undecided pairs, closest to even odds first.
func (s *DB) FindReviewQueue(ctx context.Context, f paradero.ReviewFilter) ([]*paradero.ReviewPair, int, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM review_queue`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: review queue: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT record_a, record_b, probability, weight, explanation FROM review_queue
		ORDER BY abs(probability - 0.5), record_a, record_b LIMIT ? OFFSET ?`, pageLimit(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: review queue: %w", err)
	}
	defer rows.Close()
	var out []*paradero.ReviewPair
	for rows.Next() {
		var (
			q   paradero.ReviewPair
			exp string
		)
		if err := rows.Scan(&q.RecordA, &q.RecordB, &q.Probability, &q.Weight, &exp); err != nil {
			return nil, 0, fmt.Errorf("sqlite: review queue: %w", err)
		}
		q.Explanation = []byte(exp)
		out = append(out, &q)
	}
	return out, total, rows.Err()
}
