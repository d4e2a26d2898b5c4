package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paradero/paradero"
)

var (
	_ paradero.CaseService      = (*DB)(nil)
	_ paradero.ViolationService = (*DB)(nil)
)

// Cases and violations (migration 0008), kept exactly as package sqlite
// keeps them. Every write runs in one transaction that also appends its
// paradero.Change; the actor is the one in ctx. Lists of ids go as one
// bigint[] parameter (= ANY($n)).

func (s *DB) beginCaseTx(ctx context.Context, op string) (pgx.Tx, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, internal(op, err)
	}
	return tx, nil
}

func commitCase(ctx context.Context, tx pgx.Tx, op string) error {
	if err := tx.Commit(ctx); err != nil {
		return internal(op, err)
	}
	return nil
}

// caseDate reads a date the store wrote.
func caseDate(s string) (paradero.PartialDate, error) {
	d, err := paradero.ParsePartialDate(s)
	if err != nil {
		return d, fmt.Errorf("postgres: stored date %q: %w", s, err)
	}
	return d, nil
}

// caseNullID is id as a nullable foreign key: NULL for 0.
func caseNullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// addCaseChange appends one change and, unless it creates the subject,
// touches the subject's updated_at/updated_by.
func addCaseChange(ctx context.Context, tx pgx.Tx, at time.Time, subject, action, object string, fields []string) error {
	const op = "postgres.addCaseChange"
	actor := paradero.ActorFromContext(ctx).Name
	if _, err := tx.Exec(ctx, `INSERT INTO case_changes (subject, at, actor, action, object, fields) VALUES ($1, $2, $3, $4, $5, $6)`,
		subject, at, actor, action, object, strings.Join(fields, ",")); err != nil {
		return internal(op, err)
	}
	kind, ids, _ := strings.Cut(subject, ":")
	table := map[string]string{"case": "cases", "violation": "violations"}[kind]
	id, err := strconv.ParseInt(ids, 10, 64)
	if table == "" || err != nil || action == paradero.ChangeCreate {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE `+table+` SET updated_at = $1, updated_by = $2 WHERE id = $3`, at, actor, id); err != nil {
		return internal(op, err)
	}
	return nil
}

// caseMustExist returns ENOTFOUND unless table has a row with id.
func caseMustExist(ctx context.Context, q querier, table, what string, id int64) error {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE id = $1)`, id).Scan(&ok); err != nil {
		return internal("postgres.caseMustExist", err)
	}
	if !ok {
		return notFound(what, id)
	}
	return nil
}

// personOfRecordNow returns the person record belongs to now, 0 if none;
// ENOTFOUND if there is no such record.
func personOfRecordNow(ctx context.Context, q querier, record int64) (int64, error) {
	var (
		exists bool
		p      int64
	)
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM records WHERE id = $1),
		coalesce((SELECT person_id FROM person_records WHERE record_id = $1), 0)`, record).Scan(&exists, &p); err != nil {
		return 0, internal("postgres.personOfRecordNow", err)
	}
	if !exists {
		return 0, notFound("record", record)
	}
	return p, nil
}

const caseColumns = `id, kind, title, court, number, status, opened, closed, notes, created_at, created_by, updated_at, updated_by`

func scanCase(row pgx.Row) (*paradero.Case, error) {
	var (
		c                          paradero.Case
		kind, status, opened, clos string
	)
	if err := row.Scan(&c.ID, &kind, &c.Title, &c.Court, &c.Number, &status, &opened, &clos, &c.Notes,
		&c.CreatedAt, &c.CreatedBy, &c.UpdatedAt, &c.UpdatedBy); err != nil {
		return nil, err
	}
	var err error
	if c.Opened, err = caseDate(opened); err != nil {
		return nil, err
	}
	if c.Closed, err = caseDate(clos); err != nil {
		return nil, err
	}
	c.Kind, c.Status = paradero.CaseKind(kind), paradero.CaseStatus(status)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return &c, nil
}

// CreateCase stores c with its people and lawyers.
func (s *DB) CreateCase(ctx context.Context, c *paradero.Case) error {
	const op = "postgres.CreateCase"
	if err := c.Validate(); err != nil {
		return err
	}
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	now, actor := s.timestamp(), paradero.ActorFromContext(ctx).Name
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO cases (kind, title, court, number, status, opened, closed, notes,
		created_at, created_by, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, $10) RETURNING id`,
		string(c.Kind), c.Title, c.Court, c.Number, string(c.Status), c.Opened.String(), c.Closed.String(), c.Notes,
		now, actor).Scan(&id); err != nil {
		return internal(op, err)
	}
	if err := addCaseChange(ctx, tx, now, paradero.CaseSubject(id), paradero.ChangeCreate, "", nil); err != nil {
		return err
	}
	people := slices.Clone(c.People)
	for i := range people {
		if err := addCasePerson(ctx, tx, id, &people[i], now); err != nil {
			return err
		}
	}
	lawyers := slices.Clone(c.Lawyers)
	for i := range lawyers {
		if err := assignLawyer(ctx, tx, id, &lawyers[i], now); err != nil {
			return err
		}
	}
	if err := commitCase(ctx, tx, op); err != nil {
		return err
	}
	c.ID, c.People, c.Lawyers = id, people, lawyers
	c.CreatedAt, c.CreatedBy, c.UpdatedAt, c.UpdatedBy = now, actor, now, actor
	return nil
}

func addCasePerson(ctx context.Context, tx pgx.Tx, caseID int64, p *paradero.CasePerson, now time.Time) error {
	pid, err := personOfRecordNow(ctx, tx, p.RecordID)
	if err != nil {
		return err
	}
	actor := paradero.ActorFromContext(ctx).Name
	_, err = tx.Exec(ctx, `INSERT INTO case_people (case_id, record_id, person_id, added_at, added_by) VALUES ($1, $2, $3, $4, $5)`,
		caseID, p.RecordID, pid, now, actor)
	if isUniqueViolation(err) {
		return paradero.Errorf(paradero.ECONFLICT, "record %d is linked to case %d already", p.RecordID, caseID)
	}
	if err != nil {
		return internal("postgres.addCasePerson", err)
	}
	p.PersonID, p.AddedAt, p.AddedBy = pid, now, actor
	return addCaseChange(ctx, tx, now, paradero.CaseSubject(caseID), paradero.ChangePersonAdd, fmt.Sprintf("record:%d", p.RecordID), nil)
}

func assignLawyer(ctx context.Context, tx pgx.Tx, caseID int64, l *paradero.CaseLawyer, now time.Time) error {
	const op = "postgres.assignLawyer"
	var role string
	err := tx.QueryRow(ctx, `SELECT role FROM users WHERE id = $1`, l.UserID).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("user", l.UserID)
	}
	if err != nil {
		return internal(op, err)
	}
	if paradero.Role(role) != paradero.RoleLawyer {
		return paradero.Errorf(paradero.EINVALID, "user %d is not a lawyer", l.UserID)
	}
	actor := paradero.ActorFromContext(ctx).Name
	_, err = tx.Exec(ctx, `INSERT INTO case_lawyers (case_id, user_id, assigned_at, assigned_by) VALUES ($1, $2, $3, $4)`,
		caseID, l.UserID, now, actor)
	if isUniqueViolation(err) {
		return paradero.Errorf(paradero.ECONFLICT, "user %d is assigned to case %d already", l.UserID, caseID)
	}
	if err != nil {
		return internal(op, err)
	}
	l.AssignedAt, l.AssignedBy = now, actor
	return addCaseChange(ctx, tx, now, paradero.CaseSubject(caseID), paradero.ChangeLawyerAssign, fmt.Sprintf("user:%d", l.UserID), nil)
}

// FindCaseByID returns the case with everything it holds.
func (s *DB) FindCaseByID(ctx context.Context, id int64) (*paradero.Case, error) {
	const op = "postgres.FindCaseByID"
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, internal(op, err)
	}
	defer tx.Rollback(ctx)
	return findCase(ctx, tx, id, true)
}

func findCase(ctx context.Context, q querier, id int64, full bool) (*paradero.Case, error) {
	const op = "postgres.findCase"
	c, err := scanCase(q.QueryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("case", id)
	}
	if err != nil {
		return nil, internal(op, err)
	}
	if err := fillCasePeople(ctx, q, []*paradero.Case{c}); err != nil {
		return nil, err
	}
	if !full {
		return c, nil
	}
	if c.Deadlines, err = findDeadlines(ctx, q, paradero.DeadlineFilter{CaseID: id, Limit: 10000}); err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT `+orderColumns+` FROM case_orders WHERE case_id = $1 ORDER BY date, id`, id)
	if err != nil {
		return nil, internal(op, err)
	}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return nil, internal(op, err)
		}
		c.Orders = append(c.Orders, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, internal(op, err)
	}
	drows, err := q.Query(ctx, `SELECT source_id, note, added_at, added_by FROM case_documents WHERE case_id = $1 ORDER BY source_id`, id)
	if err != nil {
		return nil, internal(op, err)
	}
	var d paradero.CaseDocument
	if _, err := pgx.ForEachRow(drows, []any{&d.SourceID, &d.Note, &d.AddedAt, &d.AddedBy}, func() error {
		x := d
		x.AddedAt = x.AddedAt.UTC()
		c.Documents = append(c.Documents, x)
		return nil
	}); err != nil {
		return nil, internal(op, err)
	}
	return c, nil
}

// fillCasePeople reads the people and lawyers of cs, two queries in all.
func fillCasePeople(ctx context.Context, q querier, cs []*paradero.Case) error {
	const op = "postgres.fillCasePeople"
	if len(cs) == 0 {
		return nil
	}
	byID := make(map[int64]*paradero.Case, len(cs))
	ids := make([]int64, len(cs))
	for i, c := range cs {
		byID[c.ID], ids[i] = c, c.ID
	}
	rows, err := q.Query(ctx, `SELECT case_id, record_id, person_id, added_at, added_by FROM case_people
		WHERE case_id = ANY($1) ORDER BY case_id, record_id`, ids)
	if err != nil {
		return internal(op, err)
	}
	var (
		cid int64
		p   paradero.CasePerson
	)
	if _, err := pgx.ForEachRow(rows, []any{&cid, &p.RecordID, &p.PersonID, &p.AddedAt, &p.AddedBy}, func() error {
		x := p
		x.AddedAt = x.AddedAt.UTC()
		byID[cid].People = append(byID[cid].People, x)
		return nil
	}); err != nil {
		return internal(op, err)
	}
	lrows, err := q.Query(ctx, `SELECT case_id, user_id, assigned_at, assigned_by FROM case_lawyers
		WHERE case_id = ANY($1) ORDER BY case_id, user_id`, ids)
	if err != nil {
		return internal(op, err)
	}
	var l paradero.CaseLawyer
	if _, err := pgx.ForEachRow(lrows, []any{&cid, &l.UserID, &l.AssignedAt, &l.AssignedBy}, func() error {
		x := l
		x.AssignedAt = x.AssignedAt.UTC()
		byID[cid].Lawyers = append(byID[cid].Lawyers, x)
		return nil
	}); err != nil {
		return internal(op, err)
	}
	return nil
}

// FindCases returns a page of cases, newest first, and the total, from
// one snapshot.
func (s *DB) FindCases(ctx context.Context, f paradero.CaseFilter) ([]*paradero.Case, int, error) {
	const op = "postgres.FindCases"
	if f.Records != nil && len(f.Records) == 0 {
		return nil, 0, nil
	}
	// Only the conditions given, so that the planner drives the query
	// from the most selective index (a "$1 = 0 OR" form scans).
	var (
		conds []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.LawyerID != 0 {
		add(`id IN (SELECT case_id FROM case_lawyers WHERE user_id = $?)`, f.LawyerID)
	}
	if f.Records != nil {
		add(`id IN (SELECT case_id FROM case_people WHERE record_id = ANY($?))`, f.Records)
	}
	if f.Kind != "" {
		add(`kind = $?`, string(f.Kind))
	}
	if f.Status != "" {
		add(`status = $?`, string(f.Status))
	}
	where := ""
	if len(conds) > 0 {
		where = `WHERE ` + strings.Join(conds, ` AND `)
	}
	n := len(args)
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, internal(op, err)
	}
	defer tx.Rollback(ctx)
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM cases `+where, args...).Scan(&total); err != nil {
		return nil, 0, internal(op, err)
	}
	rows, err := tx.Query(ctx, `SELECT `+caseColumns+` FROM cases `+where+` ORDER BY id DESC LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2),
		append(args, pageLimit(f.Limit), max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, internal(op, err)
	}
	var out []*paradero.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			rows.Close()
			return nil, 0, internal(op, err)
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, internal(op, err)
	}
	if err := fillCasePeople(ctx, tx, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// UpdateCase applies upd.
func (s *DB) UpdateCase(ctx context.Context, id int64, upd paradero.CaseUpdate) (*paradero.Case, error) {
	const op = "postgres.UpdateCase"
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	c, err := scanCase(tx.QueryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("case", id)
	}
	if err != nil {
		return nil, internal(op, err)
	}
	changed := c.Apply(upd)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if len(changed) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE cases SET kind = $1, title = $2, court = $3, number = $4, status = $5, opened = $6,
			closed = $7, notes = $8 WHERE id = $9`, string(c.Kind), c.Title, c.Court, c.Number, string(c.Status),
			c.Opened.String(), c.Closed.String(), c.Notes, id); err != nil {
			return nil, internal(op, err)
		}
		if err := addCaseChange(ctx, tx, s.timestamp(), paradero.CaseSubject(id), paradero.ChangeUpdate, "", changed); err != nil {
			return nil, err
		}
	}
	if c, err = findCase(ctx, tx, id, true); err != nil {
		return nil, err
	}
	return c, commitCase(ctx, tx, op)
}

// AddCasePerson links a record's person to a case.
func (s *DB) AddCasePerson(ctx context.Context, caseID int64, p *paradero.CasePerson) error {
	const op = "postgres.AddCasePerson"
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := caseMustExist(ctx, tx, "cases", "case", caseID); err != nil {
		return err
	}
	q := *p
	if err := addCasePerson(ctx, tx, caseID, &q, s.timestamp()); err != nil {
		return err
	}
	if err := commitCase(ctx, tx, op); err != nil {
		return err
	}
	*p = q
	return nil
}

// RemoveCasePerson unlinks a record's person from a case.
func (s *DB) RemoveCasePerson(ctx context.Context, caseID, recordID int64) error {
	return s.removeCaseLink(ctx, "postgres.RemoveCasePerson", `DELETE FROM case_people WHERE case_id = $1 AND record_id = $2`,
		caseID, recordID, paradero.ChangePersonRemove, fmt.Sprintf("record:%d", recordID))
}

// AssignCaseLawyer assigns a lawyer to a case.
func (s *DB) AssignCaseLawyer(ctx context.Context, caseID, userID int64) error {
	const op = "postgres.AssignCaseLawyer"
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := caseMustExist(ctx, tx, "cases", "case", caseID); err != nil {
		return err
	}
	if err := assignLawyer(ctx, tx, caseID, &paradero.CaseLawyer{UserID: userID}, s.timestamp()); err != nil {
		return err
	}
	return commitCase(ctx, tx, op)
}

// UnassignCaseLawyer removes a lawyer from a case.
func (s *DB) UnassignCaseLawyer(ctx context.Context, caseID, userID int64) error {
	return s.removeCaseLink(ctx, "postgres.UnassignCaseLawyer", `DELETE FROM case_lawyers WHERE case_id = $1 AND user_id = $2`,
		caseID, userID, paradero.ChangeLawyerUnassign, fmt.Sprintf("user:%d", userID))
}

// removeCaseLink deletes one row linking something to a case and records
// the change; ENOTFOUND if there was none.
func (s *DB) removeCaseLink(ctx context.Context, op, query string, caseID, other int64, action, object string) error {
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, query, caseID, other)
	if err != nil {
		return internal(op, err)
	}
	if tag.RowsAffected() == 0 {
		return paradero.Errorf(paradero.ENOTFOUND, "%s is not linked to case %d", object, caseID)
	}
	if err := addCaseChange(ctx, tx, s.timestamp(), paradero.CaseSubject(caseID), action, object, nil); err != nil {
		return err
	}
	return commitCase(ctx, tx, op)
}

const deadlineColumns = `id, case_id, kind, due, time, what, status, remind_on, reminded_at, created_at, created_by, updated_at, updated_by`

func scanDeadline(row pgx.Row) (*paradero.Deadline, error) {
	var (
		d                           paradero.Deadline
		kind, due, status, remindOn string
		reminded                    pgtype.Timestamptz
	)
	if err := row.Scan(&d.ID, &d.CaseID, &kind, &due, &d.Time, &d.What, &status, &remindOn, &reminded,
		&d.CreatedAt, &d.CreatedBy, &d.UpdatedAt, &d.UpdatedBy); err != nil {
		return nil, err
	}
	var err error
	if d.Due, err = caseDate(due); err != nil {
		return nil, err
	}
	if d.RemindOn, err = caseDate(remindOn); err != nil {
		return nil, err
	}
	if reminded.Valid {
		d.RemindedAt = reminded.Time.UTC()
	}
	d.Kind, d.Status = paradero.DeadlineKind(kind), paradero.DeadlineStatus(status)
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return &d, nil
}

// CreateDeadline stores a hearing or deadline.
func (s *DB) CreateDeadline(ctx context.Context, d *paradero.Deadline) error {
	const op = "postgres.CreateDeadline"
	if err := d.Validate(); err != nil {
		return err
	}
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := caseMustExist(ctx, tx, "cases", "case", d.CaseID); err != nil {
		return err
	}
	now, actor := s.timestamp(), paradero.ActorFromContext(ctx).Name
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO case_deadlines (case_id, kind, due, time, what, status, remind_on,
		created_at, created_by, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $9) RETURNING id`,
		d.CaseID, string(d.Kind), d.Due.String(), d.Time, d.What, string(d.Status), d.RemindOn.String(), now, actor).Scan(&id); err != nil {
		return internal(op, err)
	}
	if err := addCaseChange(ctx, tx, now, paradero.CaseSubject(d.CaseID), paradero.ChangeDeadlineAdd, fmt.Sprintf("deadline:%d", id), nil); err != nil {
		return err
	}
	if err := commitCase(ctx, tx, op); err != nil {
		return err
	}
	d.ID, d.RemindedAt = id, time.Time{}
	d.CreatedAt, d.CreatedBy, d.UpdatedAt, d.UpdatedBy = now, actor, now, actor
	return nil
}

// UpdateDeadline applies upd.
func (s *DB) UpdateDeadline(ctx context.Context, id int64, upd paradero.DeadlineUpdate) (*paradero.Deadline, error) {
	const op = "postgres.UpdateDeadline"
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	d, err := scanDeadline(tx.QueryRow(ctx, `SELECT `+deadlineColumns+` FROM case_deadlines WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("deadline", id)
	}
	if err != nil {
		return nil, internal(op, err)
	}
	changed := d.Apply(upd)
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if len(changed) == 0 {
		return d, nil
	}
	now, actor := s.timestamp(), paradero.ActorFromContext(ctx).Name
	var reminded *time.Time
	if !d.RemindedAt.IsZero() {
		reminded = &d.RemindedAt
	}
	if _, err := tx.Exec(ctx, `UPDATE case_deadlines SET kind = $1, due = $2, time = $3, what = $4, status = $5, remind_on = $6,
		reminded_at = $7, updated_at = $8, updated_by = $9 WHERE id = $10`, string(d.Kind), d.Due.String(), d.Time, d.What,
		string(d.Status), d.RemindOn.String(), reminded, now, actor, id); err != nil {
		return nil, internal(op, err)
	}
	if err := addCaseChange(ctx, tx, now, paradero.CaseSubject(d.CaseID), paradero.ChangeDeadlineUpdate, fmt.Sprintf("deadline:%d", id), changed); err != nil {
		return nil, err
	}
	if err := commitCase(ctx, tx, op); err != nil {
		return nil, err
	}
	d.UpdatedAt, d.UpdatedBy = now, actor
	return d, nil
}

// FindDeadlines returns hearings and deadlines by date.
func (s *DB) FindDeadlines(ctx context.Context, f paradero.DeadlineFilter) ([]*paradero.Deadline, error) {
	return findDeadlines(ctx, s.pool, f)
}

func findDeadlines(ctx context.Context, q querier, f paradero.DeadlineFilter) ([]*paradero.Deadline, error) {
	const op = "postgres.FindDeadlines"
	var (
		conds []string
		args  []any
	)
	add := func(cond string, a any) {
		args = append(args, a)
		conds = append(conds, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.CaseID != 0 {
		add(`case_id = $?`, f.CaseID)
	}
	if f.LawyerID != 0 {
		add(`case_id IN (SELECT case_id FROM case_lawyers WHERE user_id = $?)`, f.LawyerID)
	}
	if f.Status != "" {
		add(`status = $?`, string(f.Status))
	}
	if !f.From.IsZero() {
		add(`due >= $?`, f.From.String())
	}
	if !f.To.IsZero() {
		add(`due <= $?`, f.To.String())
	}
	if !f.RemindBy.IsZero() {
		add(`status = 'pending' AND remind_on <> '' AND reminded_at IS NULL AND remind_on <= $?`, f.RemindBy.String())
	}
	query := `SELECT ` + deadlineColumns + ` FROM case_deadlines`
	if len(conds) > 0 {
		query += ` WHERE ` + strings.Join(conds, ` AND `)
	}
	args = append(args, pageLimit(f.Limit))
	rows, err := q.Query(ctx, query+` ORDER BY due, time, id LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, internal(op, err)
	}
	defer rows.Close()
	var out []*paradero.Deadline
	for rows.Next() {
		d, err := scanDeadline(rows)
		if err != nil {
			return nil, internal(op, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// MarkReminded records that a deadline's reminder went out.
func (s *DB) MarkReminded(ctx context.Context, id int64, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE case_deadlines SET reminded_at = $1 WHERE id = $2`, paradero.Timestamp(at), id)
	if err != nil {
		return internal("postgres.MarkReminded", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("deadline", id)
	}
	return nil
}

const orderColumns = `id, case_id, date, kind, text, obeyed, coalesce(obeyed_source, 0), obeyed_note, created_at, created_by, updated_at, updated_by`

func scanOrder(row pgx.Row) (*paradero.CourtOrder, error) {
	var (
		o                  paradero.CourtOrder
		date, kind, obeyed string
	)
	if err := row.Scan(&o.ID, &o.CaseID, &date, &kind, &o.Text, &obeyed, &o.ObeyedSource, &o.ObeyedNote,
		&o.CreatedAt, &o.CreatedBy, &o.UpdatedAt, &o.UpdatedBy); err != nil {
		return nil, err
	}
	var err error
	if o.Date, err = caseDate(date); err != nil {
		return nil, err
	}
	o.Kind, o.Obeyed = paradero.OrderKind(kind), paradero.Compliance(obeyed)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return &o, nil
}

// CreateCourtOrder stores a court order.
func (s *DB) CreateCourtOrder(ctx context.Context, o *paradero.CourtOrder) error {
	const op = "postgres.CreateCourtOrder"
	if err := o.Validate(); err != nil {
		return err
	}
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := caseMustExist(ctx, tx, "cases", "case", o.CaseID); err != nil {
		return err
	}
	if o.ObeyedSource != 0 {
		if err := caseMustExist(ctx, tx, "sources", "source", o.ObeyedSource); err != nil {
			return err
		}
	}
	now, actor := s.timestamp(), paradero.ActorFromContext(ctx).Name
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO case_orders (case_id, date, kind, text, obeyed, obeyed_source, obeyed_note,
		created_at, created_by, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $9) RETURNING id`,
		o.CaseID, o.Date.String(), string(o.Kind), o.Text, string(o.Obeyed), caseNullID(o.ObeyedSource), o.ObeyedNote,
		now, actor).Scan(&id); err != nil {
		return internal(op, err)
	}
	if err := addCaseChange(ctx, tx, now, paradero.CaseSubject(o.CaseID), paradero.ChangeOrderAdd, fmt.Sprintf("order:%d", id), nil); err != nil {
		return err
	}
	if err := commitCase(ctx, tx, op); err != nil {
		return err
	}
	o.ID = id
	o.CreatedAt, o.CreatedBy, o.UpdatedAt, o.UpdatedBy = now, actor, now, actor
	return nil
}

// UpdateCourtOrder applies upd.
func (s *DB) UpdateCourtOrder(ctx context.Context, id int64, upd paradero.CourtOrderUpdate) (*paradero.CourtOrder, error) {
	const op = "postgres.UpdateCourtOrder"
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	o, err := scanOrder(tx.QueryRow(ctx, `SELECT `+orderColumns+` FROM case_orders WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("court order", id)
	}
	if err != nil {
		return nil, internal(op, err)
	}
	changed := o.Apply(upd)
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if len(changed) == 0 {
		return o, nil
	}
	if o.ObeyedSource != 0 {
		if err := caseMustExist(ctx, tx, "sources", "source", o.ObeyedSource); err != nil {
			return nil, err
		}
	}
	now, actor := s.timestamp(), paradero.ActorFromContext(ctx).Name
	if _, err := tx.Exec(ctx, `UPDATE case_orders SET date = $1, kind = $2, text = $3, obeyed = $4, obeyed_source = $5,
		obeyed_note = $6, updated_at = $7, updated_by = $8 WHERE id = $9`, o.Date.String(), string(o.Kind), o.Text, string(o.Obeyed),
		caseNullID(o.ObeyedSource), o.ObeyedNote, now, actor, id); err != nil {
		return nil, internal(op, err)
	}
	if err := addCaseChange(ctx, tx, now, paradero.CaseSubject(o.CaseID), paradero.ChangeOrderUpdate, fmt.Sprintf("order:%d", id), changed); err != nil {
		return nil, err
	}
	if err := commitCase(ctx, tx, op); err != nil {
		return nil, err
	}
	o.UpdatedAt, o.UpdatedBy = now, actor
	return o, nil
}

// AddCaseDocument cites a source in support of a case.
func (s *DB) AddCaseDocument(ctx context.Context, caseID int64, d *paradero.CaseDocument) error {
	const op = "postgres.AddCaseDocument"
	if err := d.Validate(); err != nil {
		return err
	}
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := caseMustExist(ctx, tx, "cases", "case", caseID); err != nil {
		return err
	}
	if err := caseMustExist(ctx, tx, "sources", "source", d.SourceID); err != nil {
		return err
	}
	now, actor := s.timestamp(), paradero.ActorFromContext(ctx).Name
	_, err = tx.Exec(ctx, `INSERT INTO case_documents (case_id, source_id, note, added_at, added_by) VALUES ($1, $2, $3, $4, $5)`,
		caseID, d.SourceID, d.Note, now, actor)
	if isUniqueViolation(err) {
		return paradero.Errorf(paradero.ECONFLICT, "source %d is cited in case %d already", d.SourceID, caseID)
	}
	if err != nil {
		return internal(op, err)
	}
	if err := addCaseChange(ctx, tx, now, paradero.CaseSubject(caseID), paradero.ChangeDocumentAdd, fmt.Sprintf("source:%d", d.SourceID), nil); err != nil {
		return err
	}
	if err := commitCase(ctx, tx, op); err != nil {
		return err
	}
	d.AddedAt, d.AddedBy = now, actor
	return nil
}

// RemoveCaseDocument removes a source's citation from a case.
func (s *DB) RemoveCaseDocument(ctx context.Context, caseID, sourceID int64) error {
	return s.removeCaseLink(ctx, "postgres.RemoveCaseDocument", `DELETE FROM case_documents WHERE case_id = $1 AND source_id = $2`,
		caseID, sourceID, paradero.ChangeDocumentRemove, fmt.Sprintf("source:%d", sourceID))
}

// FindChanges returns the changes to a subject, oldest first. A subject
// holding text PostgreSQL cannot store names nothing.
func (s *DB) FindChanges(ctx context.Context, subject string) ([]*paradero.Change, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, subject, at, actor, action, object, fields FROM case_changes
		WHERE subject = $1 ORDER BY id`, subject)
	if err != nil {
		return nil, internal("postgres.FindChanges", err)
	}
	var (
		c   paradero.Change
		out []*paradero.Change
	)
	if _, err := pgx.ForEachRow(rows, []any{&c.ID, &c.Subject, &c.At, &c.Actor, &c.Action, &c.Object, &c.Fields}, func() error {
		x := c
		x.At = x.At.UTC()
		out = append(out, &x)
		return nil
	}); err != nil {
		if isBadText(err) {
			return nil, nil
		}
		return nil, internal("postgres.FindChanges", err)
	}
	return out, nil
}

// Violations.

const violationColumns = `id, type, date_from, date_to, place, perpetrator, group_name, coalesce(case_id, 0), notes,
	created_at, created_by, updated_at, updated_by`

func scanViolation(row pgx.Row) (*paradero.Violation, error) {
	var (
		v             paradero.Violation
		typ, from, to string
	)
	if err := row.Scan(&v.ID, &typ, &from, &to, &v.Place, &v.Perpetrator, &v.Group, &v.CaseID, &v.Notes,
		&v.CreatedAt, &v.CreatedBy, &v.UpdatedAt, &v.UpdatedBy); err != nil {
		return nil, err
	}
	var err error
	if v.Date.From, err = caseDate(from); err != nil {
		return nil, err
	}
	if v.Date.To, err = caseDate(to); err != nil {
		return nil, err
	}
	v.Type = paradero.ViolationType(typ)
	v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	return &v, nil
}

// prepareViolation checks what a violation refers to, inside tx: the
// case, each victim's record (noting its person now), each cited source
// and record. It fills citations' sources from their records.
func prepareViolation(ctx context.Context, tx pgx.Tx, v *paradero.Violation) error {
	if v.CaseID != 0 {
		if err := caseMustExist(ctx, tx, "cases", "case", v.CaseID); err != nil {
			return err
		}
	}
	for i := range v.Victims {
		pid, err := personOfRecordNow(ctx, tx, v.Victims[i].RecordID)
		if err != nil {
			return err
		}
		v.Victims[i].PersonID = pid
	}
	cs, err := paradero.NormalizeCitations(v.Sources, sourceOfRecord(ctx, tx))
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := caseMustExist(ctx, tx, "sources", "source", c.SourceID); err != nil {
			return err
		}
	}
	v.Sources = cs
	return nil
}

// sourceOfRecord returns a lookup of a record's source inside tx, for
// paradero.NormalizeCitations.
func sourceOfRecord(ctx context.Context, tx pgx.Tx) func(int64) (int64, error) {
	return func(rec int64) (int64, error) {
		var src int64
		err := tx.QueryRow(ctx, `SELECT source_id FROM records WHERE id = $1`, rec).Scan(&src)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, notFound("record", rec)
		}
		if err != nil {
			return 0, internal("postgres.prepareViolation", err)
		}
		return src, nil
	}
}

// writeViolationLists replaces the victims and citations of violation id.
func writeViolationLists(ctx context.Context, tx pgx.Tx, id int64, v *paradero.Violation) error {
	const op = "postgres.writeViolationLists"
	for _, q := range []string{`DELETE FROM violation_victims WHERE violation_id = $1`, `DELETE FROM violation_sources WHERE violation_id = $1`} {
		if _, err := tx.Exec(ctx, q, id); err != nil {
			return internal(op, err)
		}
	}
	recs, persons := make([]int64, len(v.Victims)), make([]int64, len(v.Victims))
	for i, x := range v.Victims {
		recs[i], persons[i] = x.RecordID, x.PersonID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO violation_victims (violation_id, record_id, person_id)
		SELECT $1, r, p FROM unnest($2::bigint[], $3::bigint[]) AS t (r, p)`, id, recs, persons); err != nil {
		return internal(op, err)
	}
	srcs, crecs := make([]int64, len(v.Sources)), make([]int64, len(v.Sources))
	for i, c := range v.Sources {
		srcs[i], crecs[i] = c.SourceID, c.RecordID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO violation_sources (violation_id, source_id, record_id)
		SELECT $1, s, r FROM unnest($2::bigint[], $3::bigint[]) AS t (s, r)`, id, srcs, crecs); err != nil {
		return internal(op, err)
	}
	return nil
}

// CreateViolation stores a violation with its victims and sources.
func (s *DB) CreateViolation(ctx context.Context, v *paradero.Violation) error {
	const op = "postgres.CreateViolation"
	if err := v.Validate(); err != nil {
		return err
	}
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	w := *v
	w.Victims, w.Sources = slices.Clone(v.Victims), slices.Clone(v.Sources)
	if err := prepareViolation(ctx, tx, &w); err != nil {
		return err
	}
	now, actor := s.timestamp(), paradero.ActorFromContext(ctx).Name
	if err := tx.QueryRow(ctx, `INSERT INTO violations (type, date_from, date_to, place, perpetrator, group_name, case_id, notes,
		created_at, created_by, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, $10) RETURNING id`,
		string(w.Type), w.Date.From.String(), w.Date.To.String(), w.Place, w.Perpetrator, w.Group, caseNullID(w.CaseID), w.Notes,
		now, actor).Scan(&w.ID); err != nil {
		return internal(op, err)
	}
	if err := writeViolationLists(ctx, tx, w.ID, &w); err != nil {
		return err
	}
	if err := addCaseChange(ctx, tx, now, paradero.ViolationSubject(w.ID), paradero.ChangeCreate, "", nil); err != nil {
		return err
	}
	if err := commitCase(ctx, tx, op); err != nil {
		return err
	}
	w.CreatedAt, w.CreatedBy, w.UpdatedAt, w.UpdatedBy = now, actor, now, actor
	*v = w
	return nil
}

// FindViolationByID returns ENOTFOUND if there is no such violation.
func (s *DB) FindViolationByID(ctx context.Context, id int64) (*paradero.Violation, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, internal("postgres.FindViolationByID", err)
	}
	defer tx.Rollback(ctx)
	return findViolation(ctx, tx, id, "")
}

// findViolation reads one violation; lock is "" or " FOR UPDATE".
func findViolation(ctx context.Context, q querier, id int64, lock string) (*paradero.Violation, error) {
	v, err := scanViolation(q.QueryRow(ctx, `SELECT `+violationColumns+` FROM violations WHERE id = $1`+lock, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("violation", id)
	}
	if err != nil {
		return nil, internal("postgres.findViolation", err)
	}
	if err := fillViolationLists(ctx, q, []*paradero.Violation{v}); err != nil {
		return nil, err
	}
	return v, nil
}

// fillViolationLists reads the victims and sources of vs.
func fillViolationLists(ctx context.Context, q querier, vs []*paradero.Violation) error {
	const op = "postgres.fillViolationLists"
	if len(vs) == 0 {
		return nil
	}
	byID := make(map[int64]*paradero.Violation, len(vs))
	ids := make([]int64, len(vs))
	for i, v := range vs {
		byID[v.ID], ids[i] = v, v.ID
	}
	rows, err := q.Query(ctx, `SELECT violation_id, record_id, person_id FROM violation_victims
		WHERE violation_id = ANY($1) ORDER BY violation_id, record_id`, ids)
	if err != nil {
		return internal(op, err)
	}
	var (
		vid int64
		x   paradero.Victim
	)
	if _, err := pgx.ForEachRow(rows, []any{&vid, &x.RecordID, &x.PersonID}, func() error {
		byID[vid].Victims = append(byID[vid].Victims, x)
		return nil
	}); err != nil {
		return internal(op, err)
	}
	srows, err := q.Query(ctx, `SELECT violation_id, source_id, record_id FROM violation_sources
		WHERE violation_id = ANY($1) ORDER BY violation_id, source_id, record_id`, ids)
	if err != nil {
		return internal(op, err)
	}
	var c paradero.Citation
	if _, err := pgx.ForEachRow(srows, []any{&vid, &c.SourceID, &c.RecordID}, func() error {
		byID[vid].Sources = append(byID[vid].Sources, c)
		return nil
	}); err != nil {
		return internal(op, err)
	}
	return nil
}

// FindViolations returns a page of violations, latest first, and the
// total, from one snapshot.
func (s *DB) FindViolations(ctx context.Context, f paradero.ViolationFilter) ([]*paradero.Violation, int, error) {
	const op = "postgres.FindViolations"
	if f.Records != nil && len(f.Records) == 0 {
		return nil, 0, nil
	}
	var (
		conds []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.Type != "" {
		add(`type = $?`, string(f.Type))
	}
	if f.CaseID != 0 {
		add(`case_id = $?`, f.CaseID)
	}
	if f.Records != nil {
		add(`id IN (SELECT violation_id FROM violation_victims WHERE record_id = ANY($?))`, f.Records)
	}
	where := ""
	if len(conds) > 0 {
		where = `WHERE ` + strings.Join(conds, ` AND `)
	}
	n := len(args)
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, internal(op, err)
	}
	defer tx.Rollback(ctx)
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM violations `+where, args...).Scan(&total); err != nil {
		return nil, 0, internal(op, err)
	}
	rows, err := tx.Query(ctx, `SELECT `+violationColumns+` FROM violations `+where+`
		ORDER BY date_from DESC, id DESC LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2), append(args, pageLimit(f.Limit), max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, internal(op, err)
	}
	var out []*paradero.Violation
	for rows.Next() {
		v, err := scanViolation(rows)
		if err != nil {
			rows.Close()
			return nil, 0, internal(op, err)
		}
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, internal(op, err)
	}
	if err := fillViolationLists(ctx, tx, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// UpdateViolation applies upd.
func (s *DB) UpdateViolation(ctx context.Context, id int64, upd paradero.ViolationUpdate) (*paradero.Violation, error) {
	const op = "postgres.UpdateViolation"
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	v, err := findViolation(ctx, tx, id, " FOR UPDATE")
	if err != nil {
		return nil, err
	}
	was := make(map[int64]int64, len(v.Victims)) // record → person when first recorded
	for _, x := range v.Victims {
		was[x.RecordID] = x.PersonID
	}
	if upd.Sources != nil {
		cs, err := paradero.NormalizeCitations(*upd.Sources, sourceOfRecord(ctx, tx))
		if err != nil {
			return nil, err
		}
		upd.Sources = &cs
	}
	changed := v.Apply(upd)
	if err := v.Validate(); err != nil {
		return nil, err
	}
	if len(changed) == 0 {
		return v, nil
	}
	if err := prepareViolation(ctx, tx, v); err != nil {
		return nil, err
	}
	for i, x := range v.Victims {
		if p, ok := was[x.RecordID]; ok {
			v.Victims[i].PersonID = p
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE violations SET type = $1, date_from = $2, date_to = $3, place = $4, perpetrator = $5,
		group_name = $6, case_id = $7, notes = $8 WHERE id = $9`, string(v.Type), v.Date.From.String(), v.Date.To.String(),
		v.Place, v.Perpetrator, v.Group, caseNullID(v.CaseID), v.Notes, id); err != nil {
		return nil, internal(op, err)
	}
	if slices.Contains(changed, "victims") || slices.Contains(changed, "sources") {
		if err := writeViolationLists(ctx, tx, id, v); err != nil {
			return nil, err
		}
	}
	if err := addCaseChange(ctx, tx, s.timestamp(), paradero.ViolationSubject(id), paradero.ChangeUpdate, "", changed); err != nil {
		return nil, err
	}
	if v, err = findViolation(ctx, tx, id, ""); err != nil {
		return nil, err
	}
	return v, commitCase(ctx, tx, op)
}
