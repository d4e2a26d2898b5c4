package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

var (
	_ paradero.CaseService      = (*DB)(nil)
	_ paradero.ViolationService = (*DB)(nil)
)

// Cases and violations (migration 0008). Every write runs in one
// transaction that also appends its paradero.Change, so the history
// cannot miss a write; the actor is the one in ctx.

// caseQuerier is what the readers below need: the database or a
// transaction.
type caseQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// caseIDList encodes ids as a JSON array for json_each: one parameter
// however many ids, where a list of ? would meet SQLite's variable limit.
func caseIDList(ids []int64) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

// caseDate reads a date the store wrote.
func caseDate(s string) (paradero.PartialDate, error) {
	d, err := paradero.ParsePartialDate(s)
	if err != nil {
		return d, fmt.Errorf("sqlite: stored date %q: %w", s, err)
	}
	return d, nil
}

func (s *DB) beginCaseTx(ctx context.Context, op string) (*sql.Tx, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	return tx, nil
}

func commitCase(tx *sql.Tx, op string) error {
	if err := tx.Commit(); err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	return nil
}

// addCaseChange appends one change and, for a case, touches its
// updated_at/updated_by.
func addCaseChange(ctx context.Context, tx *sql.Tx, at time.Time, subject, action, object string, fields []string) error {
	actor := paradero.ActorFromContext(ctx).Name
	if _, err := tx.ExecContext(ctx, `INSERT INTO case_changes (subject, at, actor, action, object, fields) VALUES (?, ?, ?, ?, ?, ?)`,
		subject, at.UnixMicro(), actor, action, object, strings.Join(fields, ",")); err != nil {
		return fmt.Errorf("sqlite: change of %s: %w", subject, err)
	}
	kind, id, _ := strings.Cut(subject, ":")
	table := map[string]string{"case": "cases", "violation": "violations"}[kind]
	if table == "" || action == paradero.ChangeCreate {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET updated_at = ?, updated_by = ? WHERE id = ?`, at.UnixMicro(), actor, id); err != nil {
		return fmt.Errorf("sqlite: change of %s: %w", subject, err)
	}
	return nil
}

// caseMustExist returns ENOTFOUND unless table has a row with id.
func caseMustExist(ctx context.Context, q caseQuerier, table, what string, id int64) error {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE id = ?`, id).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: %s %d: %w", what, id, err)
	}
	if n == 0 {
		return notFound(what, id)
	}
	return nil
}

// personOfRecordNow returns the person record belongs to now, 0 if none;
// ENOTFOUND if there is no such record.
func personOfRecordNow(ctx context.Context, q caseQuerier, record int64) (int64, error) {
	if err := caseMustExist(ctx, q, "records", "record", record); err != nil {
		return 0, err
	}
	var p int64
	err := q.QueryRowContext(ctx, `SELECT person_id FROM person_records WHERE record_id = ?`, record).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return p, err
}

const caseColumns = `id, kind, title, court, number, status, opened, closed, notes, created_at, created_by, updated_at, updated_by`

func scanCase(sc interface{ Scan(...any) error }) (*paradero.Case, error) {
	var (
		c                          paradero.Case
		kind, status, opened, clos string
		created, updated           int64
	)
	if err := sc.Scan(&c.ID, &kind, &c.Title, &c.Court, &c.Number, &status, &opened, &clos, &c.Notes,
		&created, &c.CreatedBy, &updated, &c.UpdatedBy); err != nil {
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
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// CreateCase stores c with its people and lawyers.
func (s *DB) CreateCase(ctx context.Context, c *paradero.Case) error {
	const op = "sqlite.CreateCase"
	if err := c.Validate(); err != nil {
		return err
	}
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now, actor := s.timestamp(), paradero.ActorFromContext(ctx).Name
	res, err := tx.ExecContext(ctx, `INSERT INTO cases (kind, title, court, number, status, opened, closed, notes,
		created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(c.Kind), c.Title, c.Court, c.Number, string(c.Status), c.Opened.String(), c.Closed.String(), c.Notes,
		now.UnixMicro(), actor, now.UnixMicro(), actor)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	subject := paradero.CaseSubject(id)
	if err := addCaseChange(ctx, tx, now, subject, paradero.ChangeCreate, "", nil); err != nil {
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
	if err := commitCase(tx, op); err != nil {
		return err
	}
	c.ID, c.People, c.Lawyers = id, people, lawyers
	c.CreatedAt, c.CreatedBy, c.UpdatedAt, c.UpdatedBy = now, actor, now, actor
	return nil
}

func addCasePerson(ctx context.Context, tx *sql.Tx, caseID int64, p *paradero.CasePerson, now time.Time) error {
	pid, err := personOfRecordNow(ctx, tx, p.RecordID)
	if err != nil {
		return err
	}
	actor := paradero.ActorFromContext(ctx).Name
	_, err = tx.ExecContext(ctx, `INSERT INTO case_people (case_id, record_id, person_id, added_at, added_by) VALUES (?, ?, ?, ?, ?)`,
		caseID, p.RecordID, pid, now.UnixMicro(), actor)
	if isUniqueViolation(err) {
		return paradero.Errorf(paradero.ECONFLICT, "record %d is linked to case %d already", p.RecordID, caseID)
	}
	if err != nil {
		return fmt.Errorf("sqlite: link record %d to case %d: %w", p.RecordID, caseID, err)
	}
	p.PersonID, p.AddedAt, p.AddedBy = pid, now, actor
	return addCaseChange(ctx, tx, now, paradero.CaseSubject(caseID), paradero.ChangePersonAdd, fmt.Sprintf("record:%d", p.RecordID), nil)
}

func assignLawyer(ctx context.Context, tx *sql.Tx, caseID int64, l *paradero.CaseLawyer, now time.Time) error {
	var role string
	err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = ?`, l.UserID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("user", l.UserID)
	}
	if err != nil {
		return fmt.Errorf("sqlite: assign user %d: %w", l.UserID, err)
	}
	if paradero.Role(role) != paradero.RoleLawyer {
		return paradero.Errorf(paradero.EINVALID, "user %d is not a lawyer", l.UserID)
	}
	actor := paradero.ActorFromContext(ctx).Name
	_, err = tx.ExecContext(ctx, `INSERT INTO case_lawyers (case_id, user_id, assigned_at, assigned_by) VALUES (?, ?, ?, ?)`,
		caseID, l.UserID, now.UnixMicro(), actor)
	if isUniqueViolation(err) {
		return paradero.Errorf(paradero.ECONFLICT, "user %d is assigned to case %d already", l.UserID, caseID)
	}
	if err != nil {
		return fmt.Errorf("sqlite: assign user %d to case %d: %w", l.UserID, caseID, err)
	}
	l.AssignedAt, l.AssignedBy = now, actor
	return addCaseChange(ctx, tx, now, paradero.CaseSubject(caseID), paradero.ChangeLawyerAssign, fmt.Sprintf("user:%d", l.UserID), nil)
}

// FindCaseByID returns the case with everything it holds.
func (s *DB) FindCaseByID(ctx context.Context, id int64) (*paradero.Case, error) {
	return findCase(ctx, s.db, id, true)
}

func findCase(ctx context.Context, q caseQuerier, id int64, full bool) (*paradero.Case, error) {
	c, err := scanCase(q.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("case", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find case %d: %w", id, err)
	}
	cs := []*paradero.Case{c}
	if err := fillCasePeople(ctx, q, cs); err != nil {
		return nil, err
	}
	if !full {
		return c, nil
	}
	if c.Deadlines, err = findDeadlines(ctx, q, paradero.DeadlineFilter{CaseID: id, Limit: 10000}); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT `+orderColumns+` FROM case_orders WHERE case_id = ? ORDER BY date, id`, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: orders of case %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, err
		}
		c.Orders = append(c.Orders, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	drows, err := q.QueryContext(ctx, `SELECT source_id, note, added_at, added_by FROM case_documents WHERE case_id = ? ORDER BY source_id`, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: documents of case %d: %w", id, err)
	}
	defer drows.Close()
	for drows.Next() {
		var (
			d  paradero.CaseDocument
			at int64
		)
		if err := drows.Scan(&d.SourceID, &d.Note, &at, &d.AddedBy); err != nil {
			return nil, err
		}
		d.AddedAt = fromMicros(at)
		c.Documents = append(c.Documents, d)
	}
	return c, drows.Err()
}

// fillCasePeople reads the people and lawyers of cs, two queries in all.
func fillCasePeople(ctx context.Context, q caseQuerier, cs []*paradero.Case) error {
	if len(cs) == 0 {
		return nil
	}
	byID := make(map[int64]*paradero.Case, len(cs))
	ids := make([]int64, len(cs))
	for i, c := range cs {
		byID[c.ID], ids[i] = c, c.ID
	}
	list := caseIDList(ids)
	rows, err := q.QueryContext(ctx, `SELECT case_id, record_id, person_id, added_at, added_by FROM case_people
		WHERE case_id IN (SELECT value FROM json_each(?)) ORDER BY case_id, record_id`, list)
	if err != nil {
		return fmt.Errorf("sqlite: people of cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			cid int64
			p   paradero.CasePerson
			at  int64
		)
		if err := rows.Scan(&cid, &p.RecordID, &p.PersonID, &at, &p.AddedBy); err != nil {
			return err
		}
		p.AddedAt = fromMicros(at)
		byID[cid].People = append(byID[cid].People, p)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	lrows, err := q.QueryContext(ctx, `SELECT case_id, user_id, assigned_at, assigned_by FROM case_lawyers
		WHERE case_id IN (SELECT value FROM json_each(?)) ORDER BY case_id, user_id`, list)
	if err != nil {
		return fmt.Errorf("sqlite: lawyers of cases: %w", err)
	}
	defer lrows.Close()
	for lrows.Next() {
		var (
			cid int64
			l   paradero.CaseLawyer
			at  int64
		)
		if err := lrows.Scan(&cid, &l.UserID, &at, &l.AssignedBy); err != nil {
			return err
		}
		l.AssignedAt = fromMicros(at)
		byID[cid].Lawyers = append(byID[cid].Lawyers, l)
	}
	return lrows.Err()
}

// FindCases returns a page of cases, newest first, and the total.
func (s *DB) FindCases(ctx context.Context, f paradero.CaseFilter) ([]*paradero.Case, int, error) {
	if f.Records != nil && len(f.Records) == 0 {
		return nil, 0, nil
	}
	// Only the conditions given, so that SQLite drives the query from the
	// index of the most selective one (an "? = 0 OR" form scans).
	var (
		conds []string
		args  []any
	)
	if f.LawyerID != 0 {
		conds, args = append(conds, `id IN (SELECT case_id FROM case_lawyers WHERE user_id = ?)`), append(args, f.LawyerID)
	}
	if f.Records != nil {
		conds = append(conds, `id IN (SELECT case_id FROM case_people WHERE record_id IN (SELECT value FROM json_each(?)))`)
		args = append(args, caseIDList(f.Records))
	}
	if f.Kind != "" {
		conds, args = append(conds, `kind = ?`), append(args, string(f.Kind))
	}
	if f.Status != "" {
		conds, args = append(conds, `status = ?`), append(args, string(f.Status))
	}
	where := ""
	if len(conds) > 0 {
		where = `WHERE ` + strings.Join(conds, ` AND `)
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: "sqlite.FindCases", Err: err}
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM cases `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count cases: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+caseColumns+` FROM cases `+where+` ORDER BY id DESC LIMIT ? OFFSET ?`,
		append(args, pageLimit(f.Limit), max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: find cases: %w", err)
	}
	var out []*paradero.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("sqlite: find cases: %w", err)
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if err := fillCasePeople(ctx, tx, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// UpdateCase applies upd.
func (s *DB) UpdateCase(ctx context.Context, id int64, upd paradero.CaseUpdate) (*paradero.Case, error) {
	const op = "sqlite.UpdateCase"
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	c, err := findCase(ctx, tx, id, false)
	if err != nil {
		return nil, err
	}
	changed := c.Apply(upd)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if len(changed) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET kind = ?, title = ?, court = ?, number = ?, status = ?, opened = ?,
			closed = ?, notes = ? WHERE id = ?`, string(c.Kind), c.Title, c.Court, c.Number, string(c.Status),
			c.Opened.String(), c.Closed.String(), c.Notes, id); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if err := addCaseChange(ctx, tx, s.timestamp(), paradero.CaseSubject(id), paradero.ChangeUpdate, "", changed); err != nil {
			return nil, err
		}
	}
	if c, err = findCase(ctx, tx, id, true); err != nil {
		return nil, err
	}
	return c, commitCase(tx, op)
}

// AddCasePerson links a record's person to a case.
func (s *DB) AddCasePerson(ctx context.Context, caseID int64, p *paradero.CasePerson) error {
	const op = "sqlite.AddCasePerson"
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := caseMustExist(ctx, tx, "cases", "case", caseID); err != nil {
		return err
	}
	q := *p
	if err := addCasePerson(ctx, tx, caseID, &q, s.timestamp()); err != nil {
		return err
	}
	if err := commitCase(tx, op); err != nil {
		return err
	}
	*p = q
	return nil
}

// RemoveCasePerson unlinks a record's person from a case.
func (s *DB) RemoveCasePerson(ctx context.Context, caseID, recordID int64) error {
	return s.removeLink(ctx, "sqlite.RemoveCasePerson", `DELETE FROM case_people WHERE case_id = ? AND record_id = ?`,
		caseID, recordID, paradero.ChangePersonRemove, fmt.Sprintf("record:%d", recordID))
}

// AssignCaseLawyer assigns a lawyer to a case.
func (s *DB) AssignCaseLawyer(ctx context.Context, caseID, userID int64) error {
	const op = "sqlite.AssignCaseLawyer"
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := caseMustExist(ctx, tx, "cases", "case", caseID); err != nil {
		return err
	}
	if err := assignLawyer(ctx, tx, caseID, &paradero.CaseLawyer{UserID: userID}, s.timestamp()); err != nil {
		return err
	}
	return commitCase(tx, op)
}

// UnassignCaseLawyer removes a lawyer from a case.
func (s *DB) UnassignCaseLawyer(ctx context.Context, caseID, userID int64) error {
	return s.removeLink(ctx, "sqlite.UnassignCaseLawyer", `DELETE FROM case_lawyers WHERE case_id = ? AND user_id = ?`,
		caseID, userID, paradero.ChangeLawyerUnassign, fmt.Sprintf("user:%d", userID))
}

// removeLink deletes one row linking something to a case and records the
// change; ENOTFOUND if there was none.
func (s *DB) removeLink(ctx context.Context, op, query string, caseID, other int64, action, object string) error {
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, query, caseID, other)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return paradero.Errorf(paradero.ENOTFOUND, "%s is not linked to case %d", object, caseID)
	}
	if err := addCaseChange(ctx, tx, s.timestamp(), paradero.CaseSubject(caseID), action, object, nil); err != nil {
		return err
	}
	return commitCase(tx, op)
}

const deadlineColumns = `id, case_id, kind, due, time, what, status, remind_on, reminded_at, created_at, created_by, updated_at, updated_by`

func scanDeadline(sc interface{ Scan(...any) error }) (*paradero.Deadline, error) {
	var (
		d                           paradero.Deadline
		kind, due, status, remindOn string
		reminded                    sql.NullInt64
		created, updated            int64
	)
	if err := sc.Scan(&d.ID, &d.CaseID, &kind, &due, &d.Time, &d.What, &status, &remindOn, &reminded,
		&created, &d.CreatedBy, &updated, &d.UpdatedBy); err != nil {
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
		d.RemindedAt = fromMicros(reminded.Int64)
	}
	d.Kind, d.Status = paradero.DeadlineKind(kind), paradero.DeadlineStatus(status)
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &d, nil
}

// CreateDeadline stores a hearing or deadline.
func (s *DB) CreateDeadline(ctx context.Context, d *paradero.Deadline) error {
	const op = "sqlite.CreateDeadline"
	if err := d.Validate(); err != nil {
		return err
	}
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := caseMustExist(ctx, tx, "cases", "case", d.CaseID); err != nil {
		return err
	}
	now, actor := s.timestamp(), paradero.ActorFromContext(ctx).Name
	res, err := tx.ExecContext(ctx, `INSERT INTO case_deadlines (case_id, kind, due, time, what, status, remind_on,
		created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.CaseID, string(d.Kind), d.Due.String(), d.Time, d.What, string(d.Status), d.RemindOn.String(),
		now.UnixMicro(), actor, now.UnixMicro(), actor)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := addCaseChange(ctx, tx, now, paradero.CaseSubject(d.CaseID), paradero.ChangeDeadlineAdd, fmt.Sprintf("deadline:%d", id), nil); err != nil {
		return err
	}
	if err := commitCase(tx, op); err != nil {
		return err
	}
	d.ID, d.RemindedAt = id, time.Time{}
	d.CreatedAt, d.CreatedBy, d.UpdatedAt, d.UpdatedBy = now, actor, now, actor
	return nil
}

// UpdateDeadline applies upd.
func (s *DB) UpdateDeadline(ctx context.Context, id int64, upd paradero.DeadlineUpdate) (*paradero.Deadline, error) {
	const op = "sqlite.UpdateDeadline"
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	d, err := scanDeadline(tx.QueryRowContext(ctx, `SELECT `+deadlineColumns+` FROM case_deadlines WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("deadline", id)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	changed := d.Apply(upd)
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if len(changed) == 0 {
		return d, nil
	}
	now, actor := s.timestamp(), paradero.ActorFromContext(ctx).Name
	var reminded any
	if !d.RemindedAt.IsZero() {
		reminded = d.RemindedAt.UnixMicro()
	}
	if _, err := tx.ExecContext(ctx, `UPDATE case_deadlines SET kind = ?, due = ?, time = ?, what = ?, status = ?, remind_on = ?,
		reminded_at = ?, updated_at = ?, updated_by = ? WHERE id = ?`, string(d.Kind), d.Due.String(), d.Time, d.What,
		string(d.Status), d.RemindOn.String(), reminded, now.UnixMicro(), actor, id); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := addCaseChange(ctx, tx, now, paradero.CaseSubject(d.CaseID), paradero.ChangeDeadlineUpdate, fmt.Sprintf("deadline:%d", id), changed); err != nil {
		return nil, err
	}
	if err := commitCase(tx, op); err != nil {
		return nil, err
	}
	d.UpdatedAt, d.UpdatedBy = now, actor
	return d, nil
}

// FindDeadlines returns hearings and deadlines by date.
func (s *DB) FindDeadlines(ctx context.Context, f paradero.DeadlineFilter) ([]*paradero.Deadline, error) {
	return findDeadlines(ctx, s.db, f)
}

func findDeadlines(ctx context.Context, q caseQuerier, f paradero.DeadlineFilter) ([]*paradero.Deadline, error) {
	var (
		conds []string
		args  []any
	)
	add := func(cond string, a ...any) { conds = append(conds, cond); args = append(args, a...) }
	if f.CaseID != 0 {
		add(`case_id = ?`, f.CaseID)
	}
	if f.LawyerID != 0 {
		add(`case_id IN (SELECT case_id FROM case_lawyers WHERE user_id = ?)`, f.LawyerID)
	}
	if f.Status != "" {
		add(`status = ?`, string(f.Status))
	}
	if !f.From.IsZero() {
		add(`due >= ?`, f.From.String())
	}
	if !f.To.IsZero() {
		add(`due <= ?`, f.To.String())
	}
	if !f.RemindBy.IsZero() {
		add(`status = 'pending' AND remind_on <> '' AND reminded_at IS NULL AND remind_on <= ?`, f.RemindBy.String())
	}
	query := `SELECT ` + deadlineColumns + ` FROM case_deadlines`
	if len(conds) > 0 {
		query += ` WHERE ` + strings.Join(conds, ` AND `)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY due, time, id LIMIT ?`, append(args, pageLimit(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find deadlines: %w", err)
	}
	defer rows.Close()
	var out []*paradero.Deadline
	for rows.Next() {
		d, err := scanDeadline(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: find deadlines: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// MarkReminded records that a deadline's reminder went out.
func (s *DB) MarkReminded(ctx context.Context, id int64, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE case_deadlines SET reminded_at = ? WHERE id = ?`, paradero.Timestamp(at).UnixMicro(), id)
	if err != nil {
		return fmt.Errorf("sqlite: mark deadline %d reminded: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return notFound("deadline", id)
	}
	return nil
}

const orderColumns = `id, case_id, date, kind, text, obeyed, coalesce(obeyed_source, 0), obeyed_note, created_at, created_by, updated_at, updated_by`

func scanOrder(sc interface{ Scan(...any) error }) (*paradero.CourtOrder, error) {
	var (
		o                  paradero.CourtOrder
		date, kind, obeyed string
		created, updated   int64
	)
	if err := sc.Scan(&o.ID, &o.CaseID, &date, &kind, &o.Text, &obeyed, &o.ObeyedSource, &o.ObeyedNote,
		&created, &o.CreatedBy, &updated, &o.UpdatedBy); err != nil {
		return nil, err
	}
	var err error
	if o.Date, err = caseDate(date); err != nil {
		return nil, err
	}
	o.Kind, o.Obeyed = paradero.OrderKind(kind), paradero.Compliance(obeyed)
	o.CreatedAt, o.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &o, nil
}

// caseNullID is id as a nullable foreign key: NULL for 0.
func caseNullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// CreateCourtOrder stores a court order.
func (s *DB) CreateCourtOrder(ctx context.Context, o *paradero.CourtOrder) error {
	const op = "sqlite.CreateCourtOrder"
	if err := o.Validate(); err != nil {
		return err
	}
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := caseMustExist(ctx, tx, "cases", "case", o.CaseID); err != nil {
		return err
	}
	if o.ObeyedSource != 0 {
		if err := caseMustExist(ctx, tx, "sources", "source", o.ObeyedSource); err != nil {
			return err
		}
	}
	now, actor := s.timestamp(), paradero.ActorFromContext(ctx).Name
	res, err := tx.ExecContext(ctx, `INSERT INTO case_orders (case_id, date, kind, text, obeyed, obeyed_source, obeyed_note,
		created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.CaseID, o.Date.String(), string(o.Kind), o.Text, string(o.Obeyed), caseNullID(o.ObeyedSource), o.ObeyedNote,
		now.UnixMicro(), actor, now.UnixMicro(), actor)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := addCaseChange(ctx, tx, now, paradero.CaseSubject(o.CaseID), paradero.ChangeOrderAdd, fmt.Sprintf("order:%d", id), nil); err != nil {
		return err
	}
	if err := commitCase(tx, op); err != nil {
		return err
	}
	o.ID = id
	o.CreatedAt, o.CreatedBy, o.UpdatedAt, o.UpdatedBy = now, actor, now, actor
	return nil
}

// UpdateCourtOrder applies upd.
func (s *DB) UpdateCourtOrder(ctx context.Context, id int64, upd paradero.CourtOrderUpdate) (*paradero.CourtOrder, error) {
	const op = "sqlite.UpdateCourtOrder"
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	o, err := scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM case_orders WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("court order", id)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
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
	if _, err := tx.ExecContext(ctx, `UPDATE case_orders SET date = ?, kind = ?, text = ?, obeyed = ?, obeyed_source = ?,
		obeyed_note = ?, updated_at = ?, updated_by = ? WHERE id = ?`, o.Date.String(), string(o.Kind), o.Text, string(o.Obeyed),
		caseNullID(o.ObeyedSource), o.ObeyedNote, now.UnixMicro(), actor, id); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := addCaseChange(ctx, tx, now, paradero.CaseSubject(o.CaseID), paradero.ChangeOrderUpdate, fmt.Sprintf("order:%d", id), changed); err != nil {
		return nil, err
	}
	if err := commitCase(tx, op); err != nil {
		return nil, err
	}
	o.UpdatedAt, o.UpdatedBy = now, actor
	return o, nil
}

// AddCaseDocument cites a source in support of a case.
func (s *DB) AddCaseDocument(ctx context.Context, caseID int64, d *paradero.CaseDocument) error {
	const op = "sqlite.AddCaseDocument"
	if err := d.Validate(); err != nil {
		return err
	}
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := caseMustExist(ctx, tx, "cases", "case", caseID); err != nil {
		return err
	}
	if err := caseMustExist(ctx, tx, "sources", "source", d.SourceID); err != nil {
		return err
	}
	now, actor := s.timestamp(), paradero.ActorFromContext(ctx).Name
	_, err = tx.ExecContext(ctx, `INSERT INTO case_documents (case_id, source_id, note, added_at, added_by) VALUES (?, ?, ?, ?, ?)`,
		caseID, d.SourceID, d.Note, now.UnixMicro(), actor)
	if isUniqueViolation(err) {
		return paradero.Errorf(paradero.ECONFLICT, "source %d is cited in case %d already", d.SourceID, caseID)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := addCaseChange(ctx, tx, now, paradero.CaseSubject(caseID), paradero.ChangeDocumentAdd, fmt.Sprintf("source:%d", d.SourceID), nil); err != nil {
		return err
	}
	if err := commitCase(tx, op); err != nil {
		return err
	}
	d.AddedAt, d.AddedBy = now, actor
	return nil
}

// RemoveCaseDocument removes a source's citation from a case.
func (s *DB) RemoveCaseDocument(ctx context.Context, caseID, sourceID int64) error {
	return s.removeLink(ctx, "sqlite.RemoveCaseDocument", `DELETE FROM case_documents WHERE case_id = ? AND source_id = ?`,
		caseID, sourceID, paradero.ChangeDocumentRemove, fmt.Sprintf("source:%d", sourceID))
}

// FindChanges returns the changes to a subject, oldest first.
func (s *DB) FindChanges(ctx context.Context, subject string) ([]*paradero.Change, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, subject, at, actor, action, object, fields FROM case_changes
		WHERE subject = ? ORDER BY id`, subject)
	if err != nil {
		return nil, fmt.Errorf("sqlite: changes: %w", err)
	}
	defer rows.Close()
	var out []*paradero.Change
	for rows.Next() {
		var (
			c  paradero.Change
			at int64
		)
		if err := rows.Scan(&c.ID, &c.Subject, &at, &c.Actor, &c.Action, &c.Object, &c.Fields); err != nil {
			return nil, fmt.Errorf("sqlite: changes: %w", err)
		}
		c.At = fromMicros(at)
		out = append(out, &c)
	}
	return out, rows.Err()
}

// Violations.

const violationColumns = `id, type, date_from, date_to, place, perpetrator, group_name, coalesce(case_id, 0), notes,
	created_at, created_by, updated_at, updated_by`

func scanViolation(sc interface{ Scan(...any) error }) (*paradero.Violation, error) {
	var (
		v                paradero.Violation
		typ, from, to    string
		created, updated int64
	)
	if err := sc.Scan(&v.ID, &typ, &from, &to, &v.Place, &v.Perpetrator, &v.Group, &v.CaseID, &v.Notes,
		&created, &v.CreatedBy, &updated, &v.UpdatedBy); err != nil {
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
	v.CreatedAt, v.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &v, nil
}

// prepareViolation checks what a violation refers to, inside tx: the
// case, each victim's record (and notes its person now), each cited
// source and record. It fills citations' sources from their records.
func prepareViolation(ctx context.Context, tx *sql.Tx, v *paradero.Violation) error {
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
func sourceOfRecord(ctx context.Context, tx *sql.Tx) func(int64) (int64, error) {
	return func(rec int64) (int64, error) {
		var src int64
		err := tx.QueryRowContext(ctx, `SELECT source_id FROM records WHERE id = ?`, rec).Scan(&src)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, notFound("record", rec)
		}
		return src, err
	}
}

// writeViolationLists replaces the victims and citations of violation id.
func writeViolationLists(ctx context.Context, tx *sql.Tx, id int64, v *paradero.Violation) error {
	for _, q := range []string{`DELETE FROM violation_victims WHERE violation_id = ?`, `DELETE FROM violation_sources WHERE violation_id = ?`} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("sqlite: violation %d: %w", id, err)
		}
	}
	for _, x := range v.Victims {
		if _, err := tx.ExecContext(ctx, `INSERT INTO violation_victims (violation_id, record_id, person_id) VALUES (?, ?, ?)`,
			id, x.RecordID, x.PersonID); err != nil {
			return fmt.Errorf("sqlite: violation %d: %w", id, err)
		}
	}
	for _, c := range v.Sources {
		if _, err := tx.ExecContext(ctx, `INSERT INTO violation_sources (violation_id, source_id, record_id) VALUES (?, ?, ?)`,
			id, c.SourceID, c.RecordID); err != nil {
			return fmt.Errorf("sqlite: violation %d: %w", id, err)
		}
	}
	return nil
}

// CreateViolation stores a violation with its victims and sources.
func (s *DB) CreateViolation(ctx context.Context, v *paradero.Violation) error {
	const op = "sqlite.CreateViolation"
	if err := v.Validate(); err != nil {
		return err
	}
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	w := *v
	w.Victims, w.Sources = slices.Clone(v.Victims), slices.Clone(v.Sources)
	if err := prepareViolation(ctx, tx, &w); err != nil {
		return err
	}
	now, actor := s.timestamp(), paradero.ActorFromContext(ctx).Name
	res, err := tx.ExecContext(ctx, `INSERT INTO violations (type, date_from, date_to, place, perpetrator, group_name, case_id, notes,
		created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		string(w.Type), w.Date.From.String(), w.Date.To.String(), w.Place, w.Perpetrator, w.Group, caseNullID(w.CaseID), w.Notes,
		now.UnixMicro(), actor, now.UnixMicro(), actor)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if w.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := writeViolationLists(ctx, tx, w.ID, &w); err != nil {
		return err
	}
	if err := addCaseChange(ctx, tx, now, paradero.ViolationSubject(w.ID), paradero.ChangeCreate, "", nil); err != nil {
		return err
	}
	if err := commitCase(tx, op); err != nil {
		return err
	}
	w.CreatedAt, w.CreatedBy, w.UpdatedAt, w.UpdatedBy = now, actor, now, actor
	*v = w
	return nil
}

// FindViolationByID returns ENOTFOUND if there is no such violation.
func (s *DB) FindViolationByID(ctx context.Context, id int64) (*paradero.Violation, error) {
	return findViolation(ctx, s.db, id)
}

func findViolation(ctx context.Context, q caseQuerier, id int64) (*paradero.Violation, error) {
	v, err := scanViolation(q.QueryRowContext(ctx, `SELECT `+violationColumns+` FROM violations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("violation", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find violation %d: %w", id, err)
	}
	if err := fillViolationLists(ctx, q, []*paradero.Violation{v}); err != nil {
		return nil, err
	}
	return v, nil
}

// fillViolationLists reads the victims and sources of vs.
func fillViolationLists(ctx context.Context, q caseQuerier, vs []*paradero.Violation) error {
	if len(vs) == 0 {
		return nil
	}
	byID := make(map[int64]*paradero.Violation, len(vs))
	ids := make([]int64, len(vs))
	for i, v := range vs {
		byID[v.ID], ids[i] = v, v.ID
	}
	list := caseIDList(ids)
	rows, err := q.QueryContext(ctx, `SELECT violation_id, record_id, person_id FROM violation_victims
		WHERE violation_id IN (SELECT value FROM json_each(?)) ORDER BY violation_id, record_id`, list)
	if err != nil {
		return fmt.Errorf("sqlite: victims: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			vid int64
			x   paradero.Victim
		)
		if err := rows.Scan(&vid, &x.RecordID, &x.PersonID); err != nil {
			return err
		}
		byID[vid].Victims = append(byID[vid].Victims, x)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	srows, err := q.QueryContext(ctx, `SELECT violation_id, source_id, record_id FROM violation_sources
		WHERE violation_id IN (SELECT value FROM json_each(?)) ORDER BY violation_id, source_id, record_id`, list)
	if err != nil {
		return fmt.Errorf("sqlite: violation sources: %w", err)
	}
	defer srows.Close()
	for srows.Next() {
		var (
			vid int64
			c   paradero.Citation
		)
		if err := srows.Scan(&vid, &c.SourceID, &c.RecordID); err != nil {
			return err
		}
		byID[vid].Sources = append(byID[vid].Sources, c)
	}
	return srows.Err()
}

// FindViolations returns a page of violations, latest first, and the total.
func (s *DB) FindViolations(ctx context.Context, f paradero.ViolationFilter) ([]*paradero.Violation, int, error) {
	if f.Records != nil && len(f.Records) == 0 {
		return nil, 0, nil
	}
	var (
		conds []string
		args  []any
	)
	if f.Type != "" {
		conds, args = append(conds, `type = ?`), append(args, string(f.Type))
	}
	if f.CaseID != 0 {
		conds, args = append(conds, `case_id = ?`), append(args, f.CaseID)
	}
	if f.Records != nil {
		conds = append(conds, `id IN (SELECT violation_id FROM violation_victims WHERE record_id IN (SELECT value FROM json_each(?)))`)
		args = append(args, caseIDList(f.Records))
	}
	where := ""
	if len(conds) > 0 {
		where = `WHERE ` + strings.Join(conds, ` AND `)
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: "sqlite.FindViolations", Err: err}
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM violations `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count violations: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+violationColumns+` FROM violations `+where+`
		ORDER BY date_from DESC, id DESC LIMIT ? OFFSET ?`, append(args, pageLimit(f.Limit), max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: find violations: %w", err)
	}
	var out []*paradero.Violation
	for rows.Next() {
		v, err := scanViolation(rows)
		if err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("sqlite: find violations: %w", err)
		}
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if err := fillViolationLists(ctx, tx, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// UpdateViolation applies upd.
func (s *DB) UpdateViolation(ctx context.Context, id int64, upd paradero.ViolationUpdate) (*paradero.Violation, error) {
	const op = "sqlite.UpdateViolation"
	tx, err := s.beginCaseTx(ctx, op)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	v, err := findViolation(ctx, tx, id)
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
	now := s.timestamp()
	if _, err := tx.ExecContext(ctx, `UPDATE violations SET type = ?, date_from = ?, date_to = ?, place = ?, perpetrator = ?,
		group_name = ?, case_id = ?, notes = ? WHERE id = ?`, string(v.Type), v.Date.From.String(), v.Date.To.String(),
		v.Place, v.Perpetrator, v.Group, caseNullID(v.CaseID), v.Notes, id); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if slices.Contains(changed, "victims") || slices.Contains(changed, "sources") {
		if err := writeViolationLists(ctx, tx, id, v); err != nil {
			return nil, err
		}
	}
	if err := addCaseChange(ctx, tx, now, paradero.ViolationSubject(id), paradero.ChangeUpdate, "", changed); err != nil {
		return nil, err
	}
	if v, err = findViolation(ctx, tx, id); err != nil {
		return nil, err
	}
	return v, commitCase(tx, op)
}
