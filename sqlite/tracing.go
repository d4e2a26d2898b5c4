package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

var _ paradero.TracingService = (*DB)(nil)

const tracingColumns = `id, ref, requester_id, state, sought_name, sought_other_names, sought_birth_date, sought_age,
	sought_nationality, last_seen_place, last_seen_date, details, relationship, contact, created_at, updated_at,
	verify_method, verify_note, verified_by, verified_at,
	answer_outcome, answer_person, answer_message, answered_by, answered_at,
	close_reason, close_note, closed_by, closed_at`

type rowScanner interface{ Scan(...any) error }

func scanTracing(sc rowScanner) (*paradero.TracingRequest, error) {
	var (
		r                       paradero.TracingRequest
		state, birth, lastSeen  string
		created, updated        int64
		vMethod, vNote, vBy     sql.NullString
		vAt                     sql.NullInt64
		aOutcome, aMessage, aBy sql.NullString
		aPerson, aAt            sql.NullInt64
		cReason, cNote, cBy     sql.NullString
		cAt                     sql.NullInt64
	)
	if err := sc.Scan(&r.ID, &r.Ref, &r.RequesterID, &state, &r.SoughtName, &r.SoughtOtherNames, &birth, &r.SoughtAge,
		&r.SoughtNationality, &r.LastSeenPlace, &lastSeen, &r.Details, &r.Relationship, &r.Contact, &created, &updated,
		&vMethod, &vNote, &vBy, &vAt, &aOutcome, &aPerson, &aMessage, &aBy, &aAt, &cReason, &cNote, &cBy, &cAt); err != nil {
		return nil, err
	}
	r.State = paradero.TracingState(state)
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	var err error
	if r.SoughtBirthDate, err = paradero.ParsePartialDate(birth); err != nil {
		return nil, err
	}
	if r.LastSeenDate, err = paradero.ParsePartialDate(lastSeen); err != nil {
		return nil, err
	}
	if vMethod.Valid {
		r.Verification = &paradero.TracingVerification{Method: paradero.VerificationMethod(vMethod.String),
			Note: vNote.String, By: vBy.String, At: fromMicros(vAt.Int64)}
	}
	if aOutcome.Valid {
		r.Answer = &paradero.TracingAnswer{Outcome: paradero.TracingOutcome(aOutcome.String), PersonID: aPerson.Int64,
			Message: aMessage.String, By: aBy.String, At: fromMicros(aAt.Int64)}
	}
	if cReason.Valid {
		r.Closure = &paradero.TracingClosure{Reason: paradero.ClosureReason(cReason.String), Note: cNote.String,
			By: cBy.String, At: fromMicros(cAt.Int64)}
	}
	return &r, nil
}

// sqlQuerier is what both *sql.DB and *sql.Tx offer.
type sqlQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// findTracing reads one request by a column ("id" or "ref"), with the
// records its answer rests on. requester, when not 0, must be its
// requester: a requester's lookup of another's request finds nothing, in
// the same one query as a missing one.
func findTracing(ctx context.Context, q sqlQuerier, col string, arg any, requester int64) (*paradero.TracingRequest, error) {
	r, err := scanTracing(q.QueryRowContext(ctx, `SELECT `+tracingColumns+` FROM tracing_requests
		WHERE `+col+` = ? AND (? = 0 OR requester_id = ?)`, arg, requester, requester))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no such tracing request")
	}
	if err != nil {
		return nil, err
	}
	if r.Answer != nil && r.Answer.Outcome == paradero.OutcomeLocated {
		rows, err := q.QueryContext(ctx, `SELECT record_id FROM tracing_answer_records WHERE request_id = ? ORDER BY position`, r.ID)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			r.Answer.Records = append(r.Answer.Records, id)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
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

// readTracing looks a request up as the actor may see it.
func (s *DB) readTracing(ctx context.Context, op, col string, arg any) (*paradero.TracingRequest, error) {
	all, own, ok := tracingReader(ctx)
	if !ok {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no such tracing request")
	}
	r, err := findTracing(ctx, s.db, col, arg, own)
	if err != nil {
		if paradero.ErrorCode(err) == paradero.ENOTFOUND {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if !all {
		return r.ForRequester(), nil
	}
	return r, nil
}

// FindTracingRequestByID returns a request the actor may read; ENOTFOUND
// otherwise.
func (s *DB) FindTracingRequestByID(ctx context.Context, id int64) (*paradero.TracingRequest, error) {
	return s.readTracing(ctx, "sqlite.FindTracingRequestByID", "id", id)
}

// FindTracingRequestByRef returns a request the actor may read by its
// reference; ENOTFOUND otherwise.
func (s *DB) FindTracingRequestByRef(ctx context.Context, ref string) (*paradero.TracingRequest, error) {
	if !paradero.ValidTracingRef(ref) {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no such tracing request")
	}
	return s.readTracing(ctx, "sqlite.FindTracingRequestByRef", "ref", ref)
}

// FindTracingRequests returns a page of the requests the actor may read,
// newest first, and their total.
func (s *DB) FindTracingRequests(ctx context.Context, f paradero.TracingFilter) ([]*paradero.TracingRequest, int, error) {
	const op = "sqlite.FindTracingRequests"
	all, own, ok := tracingReader(ctx)
	if !ok {
		return nil, 0, nil
	}
	if !all {
		f.RequesterID = own
	}
	const where = `WHERE (? = '' OR state = ?) AND (? = 0 OR requester_id = ?)`
	args := []any{string(f.State), string(f.State), f.RequesterID, f.RequesterID}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tracing_requests `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+tracingColumns+` FROM tracing_requests `+where+`
		ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, pageLimit(f.Limit), max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	var out []*paradero.TracingRequest
	for rows.Next() {
		r, err := scanTracing(rows)
		if err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	for i, r := range out {
		if r.Answer != nil && r.Answer.Outcome == paradero.OutcomeLocated {
			full, err := findTracing(ctx, tx, "id", r.ID, 0)
			if err != nil {
				return nil, 0, fmt.Errorf("%s: %w", op, err)
			}
			out[i] = full
		}
		if !all {
			out[i] = out[i].ForRequester()
		}
	}
	return out, total, nil
}

// CreateTracingRequest files r for the actor, enforcing the filing limits
// in the same transaction (which holds SQLite's write lock, so two
// filings cannot both pass the count).
func (s *DB) CreateTracingRequest(ctx context.Context, r *paradero.TracingRequest) error {
	const op = "sqlite.CreateTracingRequest"
	a := paradero.ActorFromContext(ctx)
	if !a.Can(paradero.PermFileTracing) || a.UserID <= 0 {
		return paradero.Errorf(paradero.EFORBIDDEN, "only a family member's account files tracing requests")
	}
	if err := r.Validate(); err != nil {
		return err
	}
	now := s.timestamp()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer tx.Rollback()
	var recent, open int
	if err := tx.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM tracing_requests WHERE requester_id = ? AND created_at > ?),
		(SELECT count(*) FROM tracing_requests WHERE requester_id = ? AND state IN ('filed', 'verified'))`,
		a.UserID, now.Add(-24*time.Hour).UnixMicro(), a.UserID).Scan(&recent, &open); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if recent >= paradero.MaxTracingPerDay || open >= paradero.MaxOpenTracing {
		return paradero.TracingLimitError()
	}
	var id int64
	ref := ""
	for attempt := 0; ; attempt++ {
		ref = paradero.NewTracingRef()
		res, err := tx.ExecContext(ctx, `INSERT INTO tracing_requests (ref, requester_id, state, sought_name, sought_other_names,
			sought_birth_date, sought_age, sought_nationality, last_seen_place, last_seen_date, details, relationship, contact,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ref, a.UserID, string(paradero.TracingFiled), r.SoughtName, r.SoughtOtherNames, r.SoughtBirthDate.String(), r.SoughtAge,
			r.SoughtNationality, r.LastSeenPlace, r.LastSeenDate.String(), r.Details, r.Relationship, r.Contact,
			now.UnixMicro(), now.UnixMicro())
		if isUniqueViolation(err) && attempt < 3 {
			continue // a reference drawn twice: 49 bits make this all but impossible
		}
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		break
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	r.ID, r.Ref, r.RequesterID, r.State = id, ref, a.UserID, paradero.TracingFiled
	r.CreatedAt, r.UpdatedAt = now, now
	r.Verification, r.Answer, r.Closure = nil, nil, nil
	return nil
}

// beginTracingChange starts a staff change of request id: it checks the
// actor, starts the transaction and reads the request in it.
func (s *DB) beginTracingChange(ctx context.Context, id int64) (*sql.Tx, *paradero.TracingRequest, error) {
	if err := paradero.CheckTracingStaff(ctx); err != nil {
		return nil, nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	r, err := findTracing(ctx, tx, "id", id, 0)
	if err != nil {
		tx.Rollback()
		return nil, nil, err
	}
	return tx, r, nil
}

// finishTracingChange commits and reads the request back.
func (s *DB) finishTracingChange(ctx context.Context, op string, tx *sql.Tx, id int64) (*paradero.TracingRequest, error) {
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	r, err := findTracing(ctx, s.db, "id", id, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return r, nil
}

func wrapTracing(op string, err error) error {
	var e *paradero.Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// VerifyTracingRequest records the verification of a filed request's
// requester.
func (s *DB) VerifyTracingRequest(ctx context.Context, id int64, v *paradero.TracingVerification) (*paradero.TracingRequest, error) {
	const op = "sqlite.VerifyTracingRequest"
	if err := paradero.CheckTracingStaff(ctx); err != nil {
		return nil, err
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	tx, r, err := s.beginTracingChange(ctx, id)
	if err != nil {
		return nil, wrapTracing(op, err)
	}
	defer tx.Rollback()
	a := paradero.ActorFromContext(ctx)
	if a.UserID != 0 && a.UserID == r.RequesterID {
		return nil, paradero.Errorf(paradero.EFORBIDDEN, "a requester cannot verify themselves")
	}
	if r.State != paradero.TracingFiled {
		return nil, paradero.TracingStateError(paradero.TracingFiled, r.State)
	}
	now := s.timestamp()
	if _, err := tx.ExecContext(ctx, `UPDATE tracing_requests SET state = ?, verify_method = ?, verify_note = ?,
		verified_by = ?, verified_at = ?, updated_at = ? WHERE id = ?`, string(paradero.TracingVerified), string(v.Method), v.Note,
		a.Name, now.UnixMicro(), now.UnixMicro(), id); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	v.By, v.At = a.Name, now
	return s.finishTracingChange(ctx, op, tx, id)
}

// DecideTracingCandidate records a decision on a candidate record of a
// verified request.
func (s *DB) DecideTracingCandidate(ctx context.Context, c *paradero.TracingCandidate) error {
	const op = "sqlite.DecideTracingCandidate"
	if err := paradero.CheckTracingStaff(ctx); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	tx, r, err := s.beginTracingChange(ctx, c.RequestID)
	if err != nil {
		return wrapTracing(op, err)
	}
	defer tx.Rollback()
	if r.State != paradero.TracingVerified {
		return paradero.TracingStateError(paradero.TracingVerified, r.State)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM records WHERE id = ?`, c.RecordID).Scan(&n); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n == 0 {
		return notFound("record", c.RecordID)
	}
	a := paradero.ActorFromContext(ctx)
	now := s.timestamp()
	res, err := tx.ExecContext(ctx, `INSERT INTO tracing_candidates (request_id, record_id, verdict, note, decided_by, decided_at)
		VALUES (?, ?, ?, ?, ?, ?)`, c.RequestID, c.RecordID, string(c.Verdict), c.Note, a.Name, now.UnixMicro())
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tracing_requests SET updated_at = ? WHERE id = ?`, now.UnixMicro(), c.RequestID); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	c.ID, c.By, c.At = id, a.Name, now
	return nil
}

// FindTracingCandidates returns every decision on a request's candidates,
// oldest first.
func (s *DB) FindTracingCandidates(ctx context.Context, requestID int64) ([]*paradero.TracingCandidate, error) {
	const op = "sqlite.FindTracingCandidates"
	if paradero.CheckTracingStaff(ctx) != nil {
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no such tracing request")
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer tx.Rollback()
	if _, err := findTracing(ctx, tx, "id", requestID, 0); err != nil {
		return nil, wrapTracing(op, err)
	}
	out, err := tracingCandidates(ctx, tx, requestID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

func tracingCandidates(ctx context.Context, q sqlQuerier, requestID int64) ([]*paradero.TracingCandidate, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, request_id, record_id, verdict, note, decided_by, decided_at
		FROM tracing_candidates WHERE request_id = ? ORDER BY id`, requestID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*paradero.TracingCandidate
	for rows.Next() {
		var c paradero.TracingCandidate
		var verdict string
		var at int64
		if err := rows.Scan(&c.ID, &c.RequestID, &c.RecordID, &verdict, &c.Note, &c.By, &at); err != nil {
			return nil, err
		}
		c.Verdict, c.At = paradero.Verdict(verdict), fromMicros(at)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// AnswerTracingRequest answers a verified request. A located answer is
// checked, in the transaction that stores it, against the records it
// rests on and every record of their persons: none may describe someone
// who may be a minor, none may be redacted.
func (s *DB) AnswerTracingRequest(ctx context.Context, id int64, ans *paradero.TracingAnswer) (*paradero.TracingRequest, error) {
	const op = "sqlite.AnswerTracingRequest"
	if err := paradero.CheckTracingStaff(ctx); err != nil {
		return nil, err
	}
	if err := ans.Validate(); err != nil {
		return nil, err
	}
	tx, r, err := s.beginTracingChange(ctx, id)
	if err != nil {
		return nil, wrapTracing(op, err)
	}
	defer tx.Rollback()
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
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if err := paradero.CheckConfirmed(cands, ans.Records); err != nil {
			return nil, err
		}
		if ans.PersonID, err = checkDisclosable(ctx, tx, ans.Records, now); err != nil {
			return nil, wrapTracing(op, err)
		}
	}
	a := paradero.ActorFromContext(ctx)
	for i, rec := range ans.Records {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tracing_answer_records (request_id, record_id, position) VALUES (?, ?, ?)`,
			id, rec, i); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tracing_requests SET state = ?, answer_outcome = ?, answer_person = ?,
		answer_message = ?, answered_by = ?, answered_at = ?, updated_at = ? WHERE id = ?`,
		string(paradero.TracingAnswered), string(ans.Outcome), ans.PersonID, ans.Message, a.Name, now.UnixMicro(), now.UnixMicro(), id); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	ans.By, ans.At = a.Name, now
	return s.finishTracingChange(ctx, op, tx, id)
}

// checkDisclosable reads the records and every record of their persons,
// with their sources' publication dates, and refuses if any may describe
// a minor or was redacted. It returns the person of the first record (0
// if it is not linked).
func checkDisclosable(ctx context.Context, tx *sql.Tx, records []int64, now time.Time) (int64, error) {
	var person int64
	err := tx.QueryRowContext(ctx, `SELECT person_id FROM person_records WHERE record_id = ?`, records[0]).Scan(&person)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(records)), ", ")
	args := make([]any, 0, 2*len(records))
	for range 2 {
		for _, id := range records {
			args = append(args, id)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT r.id, r.content, s.published FROM records r JOIN sources s ON s.id = r.source_id
		WHERE r.id IN (`+marks+`)
		OR r.id IN (SELECT pr.record_id FROM person_records pr WHERE pr.person_id IN
			(SELECT person_id FROM person_records WHERE record_id IN (`+marks+`)))`, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var id int64
		var content sql.NullString
		var published string
		if err := rows.Scan(&id, &content, &published); err != nil {
			return 0, err
		}
		seen++
		if err := paradero.CheckDisclosable(id, []byte(content.String), !content.Valid, published, now); err != nil {
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
	const op = "sqlite.CloseTracingRequest"
	if err := paradero.CheckTracingStaff(ctx); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	tx, r, err := s.beginTracingChange(ctx, id)
	if err != nil {
		return nil, wrapTracing(op, err)
	}
	defer tx.Rollback()
	if !r.State.Open() {
		return nil, paradero.Errorf(paradero.ECONFLICT, "the tracing request is %s already", r.State)
	}
	a := paradero.ActorFromContext(ctx)
	now := s.timestamp()
	if _, err := tx.ExecContext(ctx, `UPDATE tracing_requests SET state = ?, close_reason = ?, close_note = ?,
		closed_by = ?, closed_at = ?, updated_at = ? WHERE id = ?`, string(paradero.TracingClosed), string(c.Reason), c.Note,
		a.Name, now.UnixMicro(), now.UnixMicro(), id); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	c.By, c.At = a.Name, now
	return s.finishTracingChange(ctx, op, tx, id)
}
