package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

var _ paradero.AlertService = (*DB)(nil)

// CreateFollow stores f after checking, in the same transaction, that its
// user exists and may follow it, and that the actor is that user or an
// admin.
func (s *DB) CreateFollow(ctx context.Context, f *paradero.Follow) error {
	const op = "sqlite.CreateFollow"
	if err := f.Validate(); err != nil {
		return err
	}
	actor := paradero.ActorFromContext(ctx)
	if actor.UserID != f.UserID && actor.Role != paradero.RoleAdmin {
		return paradero.Errorf(paradero.EFORBIDDEN, "only the user or an admin may add a user's follows")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback()
	var role string
	var disabled bool
	err = tx.QueryRowContext(ctx, `SELECT role, disabled FROM users WHERE id = ?`, f.UserID).Scan(&role, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("user", f.UserID)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if disabled || !paradero.CanFollow(paradero.Role(role), f.Kind) {
		return paradero.Errorf(paradero.EFORBIDDEN, "user %d may not follow a %s", f.UserID, f.Kind)
	}
	f.CreatedAt = s.timestamp()
	res, err := tx.ExecContext(ctx, `INSERT INTO follows (user_id, kind, object, created_at) VALUES (?, ?, ?, ?)`,
		f.UserID, string(f.Kind), f.Object, f.CreatedAt.UnixMicro())
	if isUniqueViolation(err) {
		return paradero.Errorf(paradero.ECONFLICT, "user %d follows this %s already", f.UserID, f.Kind)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if f.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return tx.Commit()
}

// DeleteFollow removes a follow; its queued notices stay queued.
func (s *DB) DeleteFollow(ctx context.Context, id int64) error {
	const op = "sqlite.DeleteFollow"
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback()
	var userID int64
	err = tx.QueryRowContext(ctx, `SELECT user_id FROM follows WHERE id = ?`, id).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("follow", id)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if a := paradero.ActorFromContext(ctx); a.UserID != userID && a.Role != paradero.RoleAdmin {
		return paradero.Errorf(paradero.EFORBIDDEN, "only the user or an admin may remove a user's follows")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM follows WHERE id = ?`, id); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return tx.Commit()
}

// FindFollows returns follows in id order.
func (s *DB) FindFollows(ctx context.Context, f paradero.FollowFilter) ([]*paradero.Follow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, user_id, kind, object, created_at FROM follows
		WHERE (? = 0 OR user_id = ?) AND (? = '' OR kind = ?) AND (? = '' OR object = ?) ORDER BY id`,
		f.UserID, f.UserID, string(f.Kind), string(f.Kind), f.Object, f.Object)
	if err != nil {
		return nil, fmt.Errorf("sqlite: find follows: %w", err)
	}
	defer rows.Close()
	var out []*paradero.Follow
	for rows.Next() {
		var fo paradero.Follow
		var kind string
		var at int64
		if err := rows.Scan(&fo.ID, &fo.UserID, &kind, &fo.Object, &at); err != nil {
			return nil, fmt.Errorf("sqlite: find follows: %w", err)
		}
		fo.Kind, fo.CreatedAt = paradero.FollowKind(kind), fromMicros(at)
		out = append(out, &fo)
	}
	return out, rows.Err()
}

// CreateNotices stores the notices and queues them for their followers,
// in one transaction.
func (s *DB) CreateNotices(ctx context.Context, ns []*paradero.Notice) (int, error) {
	const op = "sqlite.CreateNotices"
	if len(ns) == 0 {
		return 0, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback()
	now := s.timestamp()
	queued := 0
	for _, n := range ns {
		at := paradero.Timestamp(n.At)
		res, err := tx.ExecContext(ctx, `INSERT INTO alert_notices (kind, change, at, locator, watch_key, person_id,
			from_facility, to_facility, source_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (locator, watch_key, change, at) DO NOTHING`,
			string(n.Kind), n.Change, at.UnixMicro(), n.Locator, n.WatchKey, n.PersonID, n.From, n.To, n.SourceID, n.Detail, now.UnixMicro())
		if err != nil {
			return 0, fmt.Errorf("%s: %w", op, err)
		}
		if k, err := res.RowsAffected(); err != nil || k == 0 {
			// Stored by an earlier call (a round replayed after a crash).
			if err := tx.QueryRowContext(ctx, `SELECT id FROM alert_notices WHERE locator = ? AND watch_key = ? AND change = ? AND at = ?`,
				n.Locator, n.WatchKey, n.Change, at.UnixMicro()).Scan(&n.ID); err != nil {
				return 0, fmt.Errorf("%s: %w", op, err)
			}
			continue
		}
		if n.ID, err = res.LastInsertId(); err != nil {
			return 0, fmt.Errorf("%s: %w", op, err)
		}
		for _, subj := range n.Subjects() {
			kind, obj, _ := strings.Cut(subj, ":")
			// A lawyer hears of a person only while assigned to a case
			// that concerns it: the rule of the person page.
			res, err := tx.ExecContext(ctx, `INSERT INTO alert_items (user_id, notice_id, created_at)
				SELECT f.user_id, ?, ? FROM follows f JOIN users u ON u.id = f.user_id
				WHERE f.kind = ? AND f.object = ? AND (f.kind <> ? OR u.role <> ? OR EXISTS (
					SELECT 1 FROM person_records pr
					JOIN case_people cp ON cp.record_id = pr.record_id
					JOIN case_lawyers cl ON cl.case_id = cp.case_id AND cl.user_id = f.user_id
					WHERE pr.person_id = ?))
				ORDER BY f.user_id
				ON CONFLICT (user_id, notice_id) DO NOTHING`, n.ID, now.UnixMicro(), kind, obj,
				string(paradero.FollowPerson), string(paradero.RoleLawyer), n.PersonID)
			if err != nil {
				return 0, fmt.Errorf("%s: queue: %w", op, err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return 0, fmt.Errorf("%s: queue: %w", op, err)
			}
			queued += int(k)
		}
		k, err := queueCaseFollowers(ctx, tx, n, now)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", op, err)
		}
		queued += k
	}
	if err := tx.Commit(); err != nil {
		return 0, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	return queued, nil
}

// queueCaseFollowers queues notice n for the followers of every case that
// concerns its person (through an anchor record the person holds now),
// as long as they may still see the case: who manages cases, or a lawyer
// assigned to it (an unassigned lawyer hears no more). A user queued
// already for n, by following the person or another of its cases, is not
// queued twice. Returns how many it queued.
func queueCaseFollowers(ctx context.Context, tx *sql.Tx, n *paradero.Notice, now time.Time) (int, error) {
	if n.PersonID <= 0 {
		return 0, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT f.user_id, u.role,
			max(EXISTS (SELECT 1 FROM case_lawyers cl WHERE cl.case_id = cp.case_id AND cl.user_id = f.user_id))
		FROM person_records pr
		JOIN case_people cp ON cp.record_id = pr.record_id
		JOIN follows f ON f.kind = ? AND f.object = CAST(cp.case_id AS TEXT)
		JOIN users u ON u.id = f.user_id
		WHERE pr.person_id = ? GROUP BY f.user_id, u.role ORDER BY f.user_id`, string(paradero.FollowCase), n.PersonID)
	if err != nil {
		return 0, fmt.Errorf("case followers: %w", err)
	}
	var users []int64
	for rows.Next() {
		var (
			id       int64
			role     string
			assigned bool
		)
		if err := rows.Scan(&id, &role, &assigned); err != nil {
			rows.Close()
			return 0, fmt.Errorf("case followers: %w", err)
		}
		if assigned || paradero.Role(role).Can(paradero.PermManageCases) {
			users = append(users, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("case followers: %w", err)
	}
	queued := 0
	for _, id := range users {
		res, err := tx.ExecContext(ctx, `INSERT INTO alert_items (user_id, notice_id, created_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id, notice_id) DO NOTHING`, id, n.ID, now.UnixMicro())
		if err != nil {
			return 0, fmt.Errorf("queue case followers: %w", err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("queue case followers: %w", err)
		}
		queued += int(k)
	}
	return queued, nil
}

const noticeColumns = `n.id, n.kind, n.change, n.at, n.locator, n.watch_key, n.person_id, n.from_facility, n.to_facility, n.source_id, n.detail`

func scanNotice(sc interface{ Scan(...any) error }, extra ...any) (*paradero.Notice, error) {
	var n paradero.Notice
	var kind string
	var at int64
	dest := append([]any{&n.ID, &kind, &n.Change, &at, &n.Locator, &n.WatchKey, &n.PersonID, &n.From, &n.To, &n.SourceID, &n.Detail}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	n.Kind, n.At = paradero.AlertKind(kind), fromMicros(at)
	return &n, nil
}

// FoldAlerts folds each due user's queue into one alert and its outbox
// rows, in one transaction.
func (s *DB) FoldAlerts(ctx context.Context, now time.Time, window time.Duration, channels []string) ([]*paradero.Alert, error) {
	const op = "sqlite.FoldAlerts"
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback()
	now = paradero.Timestamp(now)
	// Users with a queue, whether they may still follow, and their last
	// alert.
	rows, err := tx.QueryContext(ctx, `SELECT u.id, u.role, u.disabled,
		(SELECT max(created_at) FROM alerts a WHERE a.user_id = u.id)
		FROM users u WHERE u.id IN (SELECT DISTINCT user_id FROM alert_items WHERE alert_id IS NULL) ORDER BY u.id`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	type user struct {
		id      int64
		allowed bool
	}
	var due []user
	for rows.Next() {
		var (
			u        user
			role     string
			disabled bool
			last     sql.NullInt64
		)
		if err := rows.Scan(&u.id, &role, &disabled, &last); err != nil {
			rows.Close()
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		u.allowed = !disabled && paradero.CanFollow(paradero.Role(role), paradero.FollowPerson)
		if !u.allowed || !last.Valid || !fromMicros(last.Int64).Add(window).After(now) {
			due = append(due, u)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var out []*paradero.Alert
	for _, u := range due {
		if !u.allowed {
			if _, err := tx.ExecContext(ctx, `DELETE FROM alert_items WHERE user_id = ? AND alert_id IS NULL`, u.id); err != nil {
				return nil, fmt.Errorf("%s: %w", op, err)
			}
			s.logger.Info("dropped the alert queue of a user who may no longer follow", "user", u.id)
			continue
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO alerts (user_id, created_at) VALUES (?, ?)`, u.id, now.UnixMicro())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		a := &paradero.Alert{UserID: u.id, CreatedAt: now}
		if a.ID, err = res.LastInsertId(); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE alert_items SET alert_id = ? WHERE user_id = ? AND alert_id IS NULL`, a.ID, u.id); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if a.Notices, err = alertNotices(ctx, tx, a.ID); err != nil {
			return nil, err
		}
		for _, ch := range channels {
			key, err := idempotencyKey()
			if err != nil {
				return nil, err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO alert_outbox (alert_id, channel, idempotency_key, next_at) VALUES (?, ?, ?, ?)`,
				a.ID, ch, key, now.UnixMicro()); err != nil {
				return nil, fmt.Errorf("%s: outbox: %w", op, err)
			}
		}
		out = append(out, a)
	}
	if err := tx.Commit(); err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	return out, nil
}

// idempotencyKey returns 128 random bits in hex: unique without
// revealing anything, and the same on every attempt of its delivery.
func idempotencyKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("sqlite: idempotency key: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func alertNotices(ctx context.Context, q querier, alertID int64) ([]*paradero.Notice, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+noticeColumns+` FROM alert_items i JOIN alert_notices n ON n.id = i.notice_id
		WHERE i.alert_id = ? ORDER BY n.at, n.id`, alertID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: alert notices: %w", err)
	}
	defer rows.Close()
	var out []*paradero.Notice
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: alert notices: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// FindAlerts returns a page of a user's alerts, newest first.
func (s *DB) FindAlerts(ctx context.Context, f paradero.AlertFilter) ([]*paradero.Alert, int, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM alerts WHERE user_id = ?`, f.UserID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count alerts: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, created_at FROM alerts WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`,
		f.UserID, pageLimit(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: find alerts: %w", err)
	}
	var out []*paradero.Alert
	for rows.Next() {
		a := &paradero.Alert{UserID: f.UserID}
		var at int64
		if err := rows.Scan(&a.ID, &at); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("sqlite: find alerts: %w", err)
		}
		a.CreatedAt = fromMicros(at)
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlite: find alerts: %w", err)
	}
	for _, a := range out {
		if a.Notices, err = alertNotices(ctx, s.db, a.ID); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// ClaimDeliveries leases due deliveries by moving their next_at to the
// lease's end and counting the attempt, in one transaction.
func (s *DB) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*paradero.Delivery, error) {
	const op = "sqlite.ClaimDeliveries"
	if limit <= 0 {
		limit = 100
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback()
	now = paradero.Timestamp(now)
	rows, err := tx.QueryContext(ctx, `SELECT o.id, o.channel, o.idempotency_key, o.attempts, a.id, a.user_id, a.created_at
		FROM alert_outbox o JOIN alerts a ON a.id = o.alert_id
		WHERE o.sent_at IS NULL AND o.given_up_at IS NULL AND o.next_at <= ? ORDER BY o.next_at, o.id LIMIT ?`, now.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var out []*paradero.Delivery
	for rows.Next() {
		d := &paradero.Delivery{Alert: &paradero.Alert{}}
		var at int64
		if err := rows.Scan(&d.ID, &d.Channel, &d.IdempotencyKey, &d.Attempts, &d.Alert.ID, &d.Alert.UserID, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		d.Alert.CreatedAt = fromMicros(at)
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	for _, d := range out {
		if d.Alert.Notices, err = alertNotices(ctx, tx, d.Alert.ID); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE alert_outbox SET next_at = ?, attempts = attempts + 1 WHERE id = ?`,
			now.Add(lease).UnixMicro(), d.ID); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	return out, nil
}

// CompleteDelivery marks a delivery sent.
func (s *DB) CompleteDelivery(ctx context.Context, id int64, at time.Time) error {
	return s.updateDelivery(ctx, id, `UPDATE alert_outbox SET sent_at = ?, last_error = '' WHERE id = ?`, paradero.Timestamp(at).UnixMicro(), id)
}

// RetryDelivery records a failed attempt.
func (s *DB) RetryDelivery(ctx context.Context, id int64, next time.Time, reason string) error {
	if len(reason) > 200 {
		reason = reason[:200]
	}
	if next.IsZero() {
		return s.updateDelivery(ctx, id, `UPDATE alert_outbox SET given_up_at = ?, last_error = ? WHERE id = ?`,
			s.timestamp().UnixMicro(), reason, id)
	}
	return s.updateDelivery(ctx, id, `UPDATE alert_outbox SET next_at = ?, last_error = ? WHERE id = ?`,
		paradero.Timestamp(next).UnixMicro(), reason, id)
}

func (s *DB) updateDelivery(ctx context.Context, id int64, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlite: delivery %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: delivery %d: %w", id, err)
	} else if n == 0 {
		return notFound("delivery", id)
	}
	return nil
}
