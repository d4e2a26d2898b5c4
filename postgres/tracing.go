package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paradero/paradero"
)

var _ paradero.TracingService = (*DB)(nil)

const tracingColumns = `id, ref, requester_id, state, sought_name, sought_other_names, sought_birth_date, sought_age,
	sought_nationality, last_seen_place, last_seen_date, details, relationship, contact, created_at, updated_at,
	verify_method, verify_note, verified_by, verified_at,
	answer_outcome, answer_person, answer_message, answered_by, answered_at,
	close_reason, close_note, closed_by, closed_at`

func scanTracing(row pgx.Row) (*paradero.TracingRequest, error) {
	var (
		r                       paradero.TracingRequest
		state, birth, lastSeen  string
		vMethod, vNote, vBy     *string
		vAt, aAt, cAt           *time.Time
		aOutcome, aMessage, aBy *string
		aPerson                 *int64
		cReason, cNote, cBy     *string
	)
	if err := row.Scan(&r.ID, &r.Ref, &r.RequesterID, &state, &r.SoughtName, &r.SoughtOtherNames, &birth, &r.SoughtAge,
		&r.SoughtNationality, &r.LastSeenPlace, &lastSeen, &r.Details, &r.Relationship, &r.Contact, &r.CreatedAt, &r.UpdatedAt,
		&vMethod, &vNote, &vBy, &vAt, &aOutcome, &aPerson, &aMessage, &aBy, &aAt, &cReason, &cNote, &cBy, &cAt); err != nil {
		return nil, err
	}
	r.State = paradero.TracingState(state)
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	var err error
	if r.SoughtBirthDate, err = paradero.ParsePartialDate(birth); err != nil {
		return nil, err
	}
	if r.LastSeenDate, err = paradero.ParsePartialDate(lastSeen); err != nil {
		return nil, err
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	if vMethod != nil {
		r.Verification = &paradero.TracingVerification{Method: paradero.VerificationMethod(*vMethod),
			Note: str(vNote), By: str(vBy), At: zeroIfNil(vAt).UTC()}
	}
	if aOutcome != nil {
		r.Answer = &paradero.TracingAnswer{Outcome: paradero.TracingOutcome(*aOutcome), Message: str(aMessage),
			By: str(aBy), At: zeroIfNil(aAt).UTC()}
		if aPerson != nil {
			r.Answer.PersonID = *aPerson
		}
	}
	if cReason != nil {
		r.Closure = &paradero.TracingClosure{Reason: paradero.ClosureReason(*cReason), Note: str(cNote),
			By: str(cBy), At: zeroIfNil(cAt).UTC()}
	}
	return &r, nil
}

// zeroIfNil reads a nullable time column.
func zeroIfNil(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return *p
}

// pgQuerier is what both the pool and a transaction offer.
type pgQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// findTracing reads one request by a column ("id" or "ref"), with the
// records its answer rests on. requester, when not 0, must be its
// requester: a requester's lookup of another's request finds nothing, in
// the same one query as a missing one.
func findTracing(ctx context.Context, q pgQuerier, col string, arg any, requester int64) (*paradero.TracingRequest, error) {
	r, err := scanTracing(q.QueryRow(ctx, `SELECT `+tracingColumns+` FROM tracing_requests
		WHERE `+col+` = $1 AND ($2 = 0 OR requester_id = $2)`, arg, requester))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no such tracing request")
	}
	if err != nil {
		return nil, err
	}
	if r.Answer != nil && r.Answer.Outcome == paradero.OutcomeLocated {
		rows, err := q.Query(ctx, `SELECT record_id FROM tracing_answer_records WHERE request_id = $1 ORDER BY position`, r.ID)
		if err != nil {
			return nil, err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return nil, err
		}
		r.Answer.Records = ids
	}
	return r, nil
}

// tracingReader says whose requests the actor may read: all (staff), only
// their own (a requester: the user id), or none.
func tracingReader(ctx context.Context) (all bool, own int64, ok bool) {
	a := paradero.ActorFromContext(ctx)
	switch {
	case a.Can(paradero.PermHandleTracing):
		return true, 0, true
	case a.Can(paradero.PermFileTracing) && a.UserID > 0:
		return false, a.UserID, true
	}
	return false, 0, false
}

func (s *DB) readTracing(ctx context.Context, op, col string, arg any) (*paradero.TracingRequest, error) {
	all, own, ok := tracingReader(ctx)
	if !ok {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no such tracing request")
	}
	r, err := findTracing(ctx, s.pool, col, arg, own)
	if err != nil {
		return nil, internal(op, err)
	}
	if !all {
		return r.ForRequester(), nil
	}
	return r, nil
}

// FindTracingRequestByID returns a request the actor may read; ENOTFOUND
// otherwise.
func (s *DB) FindTracingRequestByID(ctx context.Context, id int64) (*paradero.TracingRequest, error) {
	return s.readTracing(ctx, "postgres.FindTracingRequestByID", "id", id)
}

// FindTracingRequestByRef returns a request the actor may read by its
// reference; ENOTFOUND otherwise.
func (s *DB) FindTracingRequestByRef(ctx context.Context, ref string) (*paradero.TracingRequest, error) {
	if !paradero.ValidTracingRef(ref) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no such tracing request")
	}
	return s.readTracing(ctx, "postgres.FindTracingRequestByRef", "ref", ref)
}

// FindTracingRequests returns a page of the requests the actor may read,
// newest first, and their total, from one snapshot.
func (s *DB) FindTracingRequests(ctx context.Context, f paradero.TracingFilter) ([]*paradero.TracingRequest, int, error) {
	const op = "postgres.FindTracingRequests"
	all, own, ok := tracingReader(ctx)
	if !ok {
		return nil, 0, nil
	}
	if !all {
		f.RequesterID = own
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, internal(op, err)
	}
	defer tx.Rollback(ctx)
	const where = `WHERE ($1 = '' OR state = $1) AND ($2 = 0 OR requester_id = $2)`
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM tracing_requests `+where, string(f.State), f.RequesterID).Scan(&total); err != nil {
		return nil, 0, internal(op, err)
	}
	rows, err := tx.Query(ctx, `SELECT `+tracingColumns+` FROM tracing_requests `+where+`
		ORDER BY id DESC LIMIT $3 OFFSET $4`, string(f.State), f.RequesterID, pageLimit(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, 0, internal(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*paradero.TracingRequest, error) { return scanTracing(row) })
	if err != nil {
		return nil, 0, internal(op, err)
	}
	for i, r := range out {
		if r.Answer != nil && r.Answer.Outcome == paradero.OutcomeLocated {
			if out[i], err = findTracing(ctx, tx, "id", r.ID, 0); err != nil {
				return nil, 0, internal(op, err)
			}
		}
		if !all {
			out[i] = out[i].ForRequester()
		}
	}
	return out, total, nil
}

// CreateTracingRequest files r for the actor. The requester's user row is
// locked for the transaction, so two filings by one requester cannot both
// pass the limits' count.
func (s *DB) CreateTracingRequest(ctx context.Context, r *paradero.TracingRequest) error {
	const op = "postgres.CreateTracingRequest"
	a := paradero.ActorFromContext(ctx)
	if !a.Can(paradero.PermFileTracing) || a.UserID <= 0 {
		return paradero.Errorf(paradero.EFORBIDDEN, "only a family member's account files tracing requests")
	}
	if err := r.Validate(); err != nil {
		return err
	}
	now := s.timestamp()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return internal(op, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, a.UserID); err != nil {
		return internal(op, err)
	}
	var recent, open int
	if err := tx.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM tracing_requests WHERE requester_id = $1 AND created_at > $2),
		(SELECT count(*) FROM tracing_requests WHERE requester_id = $1 AND state IN ('filed', 'verified'))`,
		a.UserID, now.Add(-24*time.Hour)).Scan(&recent, &open); err != nil {
		return internal(op, err)
	}
	if recent >= paradero.MaxTracingPerDay || open >= paradero.MaxOpenTracing {
		return paradero.TracingLimitError()
	}
	// A failed INSERT would abort the transaction, so a reference drawn
	// twice (49 bits make it all but impossible) is caught before it.
	var ref string
	for {
		ref = paradero.NewTracingRef()
		var taken bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tracing_requests WHERE ref = $1)`, ref).Scan(&taken); err != nil {
			return internal(op, err)
		}
		if !taken {
			break
		}
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO tracing_requests (ref, requester_id, state, sought_name, sought_other_names,
		sought_birth_date, sought_age, sought_nationality, last_seen_place, last_seen_date, details, relationship, contact,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id`,
		ref, a.UserID, string(paradero.TracingFiled), r.SoughtName, r.SoughtOtherNames, r.SoughtBirthDate.String(), r.SoughtAge,
		r.SoughtNationality, r.LastSeenPlace, r.LastSeenDate.String(), r.Details, r.Relationship, r.Contact, now).Scan(&id); err != nil {
		return internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return internal(op, err)
	}
	r.ID, r.Ref, r.RequesterID, r.State = id, ref, a.UserID, paradero.TracingFiled
	r.CreatedAt, r.UpdatedAt = now, now
	r.Verification, r.Answer, r.Closure = nil, nil, nil
	return nil
}

// beginTracingChange starts a staff change of request id: it starts the
// transaction and reads the request in it, locking its row.
func (s *DB) beginTracingChange(ctx context.Context, id int64) (pgx.Tx, *paradero.TracingRequest, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	if _, err := tx.Exec(ctx, `SELECT 1 FROM tracing_requests WHERE id = $1 FOR UPDATE`, id); err != nil {
		tx.Rollback(ctx)
		return nil, nil, err
	}
	r, err := findTracing(ctx, tx, "id", id, 0)
	if err != nil {
		tx.Rollback(ctx)
		return nil, nil, err
	}
	return tx, r, nil
}

// finishTracingChange commits and reads the request back.
func (s *DB) finishTracingChange(ctx context.Context, op string, tx pgx.Tx, id int64) (*paradero.TracingRequest, error) {
	if err := tx.Commit(ctx); err != nil {
		return nil, internal(op, err)
	}
	r, err := findTracing(ctx, s.pool, "id", id, 0)
	if err != nil {
		return nil, internal(op, err)
	}
	return r, nil
}

// VerifyTracingRequest records the verification of a filed request's
// requester.
func (s *DB) VerifyTracingRequest(ctx context.Context, id int64, v *paradero.TracingVerification) (*paradero.TracingRequest, error) {
	const op = "postgres.VerifyTracingRequest"
	if err := paradero.CheckTracingStaff(ctx); err != nil {
		return nil, err
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	tx, r, err := s.beginTracingChange(ctx, id)
	if err != nil {
		return nil, internal(op, err)
	}
	defer tx.Rollback(ctx)
	a := paradero.ActorFromContext(ctx)
	if a.UserID != 0 && a.UserID == r.RequesterID {
		return nil, paradero.Errorf(paradero.EFORBIDDEN, "a requester cannot verify themselves")
	}
	if r.State != paradero.TracingFiled {
		return nil, paradero.TracingStateError(paradero.TracingFiled, r.State)
	}
	now := s.timestamp()
	if _, err := tx.Exec(ctx, `UPDATE tracing_requests SET state = $1, verify_method = $2, verify_note = $3,
		verified_by = $4, verified_at = $5, updated_at = $5 WHERE id = $6`, string(paradero.TracingVerified), string(v.Method), v.Note,
		a.Name, now, id); err != nil {
		return nil, internal(op, err)
	}
	v.By, v.At = a.Name, now
	return s.finishTracingChange(ctx, op, tx, id)
}

// DecideTracingCandidate records a decision on a candidate record of a
// verified request.
func (s *DB) DecideTracingCandidate(ctx context.Context, c *paradero.TracingCandidate) error {
	const op = "postgres.DecideTracingCandidate"
	if err := paradero.CheckTracingStaff(ctx); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	tx, r, err := s.beginTracingChange(ctx, c.RequestID)
	if err != nil {
		return internal(op, err)
	}
	defer tx.Rollback(ctx)
	if r.State != paradero.TracingVerified {
		return paradero.TracingStateError(paradero.TracingVerified, r.State)
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM records WHERE id = $1)`, c.RecordID).Scan(&exists); err != nil {
		return internal(op, err)
	}
	if !exists {
		return notFound("record", c.RecordID)
	}
	a := paradero.ActorFromContext(ctx)
	now := s.timestamp()
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO tracing_candidates (request_id, record_id, verdict, note, decided_by, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, c.RequestID, c.RecordID, string(c.Verdict), c.Note, a.Name, now).Scan(&id); err != nil {
		return internal(op, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE tracing_requests SET updated_at = $1 WHERE id = $2`, now, c.RequestID); err != nil {
		return internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return internal(op, err)
	}
	c.ID, c.By, c.At = id, a.Name, now
	return nil
}

// FindTracingCandidates returns every decision on a request's candidates,
// oldest first.
func (s *DB) FindTracingCandidates(ctx context.Context, requestID int64) ([]*paradero.TracingCandidate, error) {
	const op = "postgres.FindTracingCandidates"
	if paradero.CheckTracingStaff(ctx) != nil {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no such tracing request")
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, internal(op, err)
	}
	defer tx.Rollback(ctx)
	if _, err := findTracing(ctx, tx, "id", requestID, 0); err != nil {
		return nil, internal(op, err)
	}
	out, err := tracingCandidates(ctx, tx, requestID)
	if err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

func tracingCandidates(ctx context.Context, q pgQuerier, requestID int64) ([]*paradero.TracingCandidate, error) {
	rows, err := q.Query(ctx, `SELECT id, request_id, record_id, verdict, note, decided_by, decided_at
		FROM tracing_candidates WHERE request_id = $1 ORDER BY id`, requestID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*paradero.TracingCandidate, error) {
		var c paradero.TracingCandidate
		var verdict string
		if err := row.Scan(&c.ID, &c.RequestID, &c.RecordID, &verdict, &c.Note, &c.By, &c.At); err != nil {
			return nil, err
		}
		c.Verdict, c.At = paradero.Verdict(verdict), c.At.UTC()
		return &c, nil
	})
}

// AnswerTracingRequest answers a verified request. A located answer is
// checked, in the transaction that stores it, against the records it
// rests on and every record of their persons: none may describe someone
// who may be a minor, none may be redacted.
func (s *DB) AnswerTracingRequest(ctx context.Context, id int64, ans *paradero.TracingAnswer) (*paradero.TracingRequest, error) {
	const op = "postgres.AnswerTracingRequest"
	if err := paradero.CheckTracingStaff(ctx); err != nil {
		return nil, err
	}
	if err := ans.Validate(); err != nil {
		return nil, err
	}
	tx, r, err := s.beginTracingChange(ctx, id)
	if err != nil {
		return nil, internal(op, err)
	}
	defer tx.Rollback(ctx)
	if r.State != paradero.TracingVerified {
		return nil, paradero.TracingStateError(paradero.TracingVerified, r.State)
	}
	now := s.timestamp()
	ans.PersonID = 0
	if ans.Outcome == paradero.OutcomeLocated {
		if r.MayBeMinor(now) {
			return nil, paradero.TracingMinorError()
		}
		cands, err := tracingCandidates(ctx, tx, id)
		if err != nil {
			return nil, internal(op, err)
		}
		if err := paradero.CheckConfirmed(cands, ans.Records); err != nil {
			return nil, err
		}
		if ans.PersonID, err = checkDisclosable(ctx, tx, ans.Records, now); err != nil {
			return nil, internal(op, err)
		}
	}
	a := paradero.ActorFromContext(ctx)
	for i, rec := range ans.Records {
		if _, err := tx.Exec(ctx, `INSERT INTO tracing_answer_records (request_id, record_id, position) VALUES ($1, $2, $3)`,
			id, rec, i); err != nil {
			return nil, internal(op, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE tracing_requests SET state = $1, answer_outcome = $2, answer_person = $3,
		answer_message = $4, answered_by = $5, answered_at = $6, updated_at = $6 WHERE id = $7`,
		string(paradero.TracingAnswered), string(ans.Outcome), ans.PersonID, ans.Message, a.Name, now, id); err != nil {
		return nil, internal(op, err)
	}
	ans.By, ans.At = a.Name, now
	return s.finishTracingChange(ctx, op, tx, id)
}

// checkDisclosable reads the records and every record of their persons,
// with their sources' publication dates, and refuses if any may describe
// a minor or was redacted. It returns the person of the first record (0
// if it is not linked).
func checkDisclosable(ctx context.Context, tx pgx.Tx, records []int64, now time.Time) (int64, error) {
	var person int64
	err := tx.QueryRow(ctx, `SELECT person_id FROM person_records WHERE record_id = $1`, records[0]).Scan(&person)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, err
	}
	rows, err := tx.Query(ctx, `SELECT r.id, r.content, s.published FROM records r JOIN sources s ON s.id = r.source_id
		WHERE r.id = ANY($1)
		OR r.id IN (SELECT pr.record_id FROM person_records pr WHERE pr.person_id IN
			(SELECT person_id FROM person_records WHERE record_id = ANY($1)))`, records)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var id int64
		var content *string
		var published string
		if err := rows.Scan(&id, &content, &published); err != nil {
			return 0, err
		}
		seen++
		var body []byte
		if content != nil {
			body = []byte(*content)
		}
		if err := paradero.CheckDisclosable(id, body, content == nil, published, now); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if seen == 0 {
		return 0, notFound("record", records[0])
	}
	return person, nil
}

// CloseTracingRequest closes an open request without an answer.
func (s *DB) CloseTracingRequest(ctx context.Context, id int64, c *paradero.TracingClosure) (*paradero.TracingRequest, error) {
	const op = "postgres.CloseTracingRequest"
	if err := paradero.CheckTracingStaff(ctx); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	tx, r, err := s.beginTracingChange(ctx, id)
	if err != nil {
		return nil, internal(op, err)
	}
	defer tx.Rollback(ctx)
	if !r.State.Open() {
		return nil, paradero.Errorf(paradero.ECONFLICT, "the tracing request is %s already", r.State)
	}
	a := paradero.ActorFromContext(ctx)
	now := s.timestamp()
	if _, err := tx.Exec(ctx, `UPDATE tracing_requests SET state = $1, close_reason = $2, close_note = $3,
		closed_by = $4, closed_at = $5, updated_at = $5 WHERE id = $6`, string(paradero.TracingClosed), string(c.Reason), c.Note,
		a.Name, now, id); err != nil {
		return nil, internal(op, err)
	}
	c.By, c.At = a.Name, now
	return s.finishTracingChange(ctx, op, tx, id)
}
