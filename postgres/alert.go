package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paradero/paradero"
)

// Alerts (migration 0006) are kept as package sqlite keeps them; what
// differs is that several servers may run the alert dispatcher on one
// database at once:
//
//   - FoldAlerts takes a transaction-scoped advisory lock (alertLock), so
//     two folds never both turn the same queue into alerts; folds are
//     short and rare (one per dispatcher poll).
//   - ClaimDeliveries takes due outbox rows with FOR UPDATE SKIP LOCKED:
//     senders on different servers claim disjoint rows without waiting
//     for each other, and the lease (next_at moved forward) keeps a row
//     from being claimed again until it runs out.
//   - CreateNotices relies on the notices' unique key (ON CONFLICT DO
//     NOTHING): two watch servers reporting the same change store it once.

// alertLock serialises folds of alert queues ("parad" 3).
const alertLock int64 = 0x7061726164_0003

var _ paradero.AlertService = (*DB)(nil)

// CreateFollow stores f after checking, in the same transaction, that its
// user exists and may follow it, and that the actor is that user or an
// admin.
func (s *DB) CreateFollow(ctx context.Context, f *paradero.Follow) error {
	const op = "postgres.CreateFollow"
	if err := f.Validate(); err != nil {
		return err
	}
	actor := paradero.ActorFromContext(ctx)
	if actor.UserID != f.UserID && actor.Role != paradero.RoleAdmin {
		return paradero.Errorf(paradero.EFORBIDDEN, "only the user or an admin may add a user's follows")
	}
	if !validText(f.Object) {
		return paradero.Errorf(paradero.EINVALID, "a followed object must be text without NUL bytes")
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback(ctx)
	var (
		role     string
		disabled bool
	)
	// FOR SHARE: a concurrent change of role or disabling waits, so no
	// follow is stored for a user just demoted.
	err = tx.QueryRow(ctx, `SELECT role, disabled FROM users WHERE id = $1 FOR SHARE`, f.UserID).Scan(&role, &disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("user", f.UserID)
	}
	if err != nil {
		return internal(op, err)
	}
	if disabled || !paradero.CanFollow(paradero.Role(role), f.Kind) {
		return paradero.Errorf(paradero.EFORBIDDEN, "user %d may not follow a %s", f.UserID, f.Kind)
	}
	f.CreatedAt = s.timestamp()
	err = tx.QueryRow(ctx, `INSERT INTO follows (user_id, kind, object, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, kind, object) DO NOTHING RETURNING id`,
		f.UserID, string(f.Kind), f.Object, f.CreatedAt).Scan(&f.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return paradero.Errorf(paradero.ECONFLICT, "user %d follows this %s already", f.UserID, f.Kind)
	}
	if err != nil {
		return internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	return nil
}

// DeleteFollow removes a follow; its queued notices stay queued.
func (s *DB) DeleteFollow(ctx context.Context, id int64) error {
	const op = "postgres.DeleteFollow"
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback(ctx)
	var userID int64
	err = tx.QueryRow(ctx, `SELECT user_id FROM follows WHERE id = $1 FOR UPDATE`, id).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound("follow", id)
	}
	if err != nil {
		return internal(op, err)
	}
	if a := paradero.ActorFromContext(ctx); a.UserID != userID && a.Role != paradero.RoleAdmin {
		return paradero.Errorf(paradero.EFORBIDDEN, "only the user or an admin may remove a user's follows")
	}
	if _, err := tx.Exec(ctx, `DELETE FROM follows WHERE id = $1`, id); err != nil {
		return internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	return nil
}

// FindFollows returns follows in id order.
func (s *DB) FindFollows(ctx context.Context, f paradero.FollowFilter) ([]*paradero.Follow, error) {
	if !validText(string(f.Kind)) || !validText(f.Object) {
		return nil, nil // no follow holds what text cannot
	}
	rows, _ := s.pool.Query(ctx, `SELECT id, user_id, kind, object, created_at FROM follows
		WHERE ($1 = 0 OR user_id = $1) AND ($2 = '' OR kind = $2) AND ($3 = '' OR object = $3) ORDER BY id`,
		f.UserID, string(f.Kind), f.Object)
	var (
		out  []*paradero.Follow
		fo   paradero.Follow
		kind string
	)
	if _, err := pgx.ForEachRow(rows, []any{&fo.ID, &fo.UserID, &kind, &fo.Object, &fo.CreatedAt}, func() error {
		c := fo
		c.Kind, c.CreatedAt = paradero.FollowKind(kind), fo.CreatedAt.UTC()
		out = append(out, &c)
		return nil
	}); err != nil {
		return nil, internal("postgres.FindFollows", err)
	}
	return out, nil
}

func validNotice(n *paradero.Notice) bool {
	for _, s := range []string{string(n.Kind), n.Change, n.Locator, n.WatchKey, n.From, n.To, n.Detail} {
		if !validText(s) {
			return false
		}
	}
	return true
}

// CreateNotices stores the notices and queues them for their followers,
// in one transaction.
func (s *DB) CreateNotices(ctx context.Context, ns []*paradero.Notice) (int, error) {
	const op = "postgres.CreateNotices"
	if len(ns) == 0 {
		return 0, nil
	}
	for _, n := range ns {
		if !validNotice(n) {
			return 0, paradero.Errorf(paradero.EINVALID, "a notice's words must be UTF-8 text without NUL bytes")
		}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback(ctx)
	now := s.timestamp()
	queued := 0
	for _, n := range ns {
		at := paradero.Timestamp(n.At)
		err := tx.QueryRow(ctx, `INSERT INTO alert_notices (kind, change, at, locator, watch_key, person_id,
			from_facility, to_facility, source_id, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (locator, watch_key, change, at) DO NOTHING RETURNING id`,
			string(n.Kind), n.Change, at, n.Locator, n.WatchKey, n.PersonID, n.From, n.To, n.SourceID, n.Detail, now).Scan(&n.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			// Stored by an earlier call (a round replayed after a crash).
			if err := tx.QueryRow(ctx, `SELECT id FROM alert_notices WHERE locator = $1 AND watch_key = $2 AND change = $3 AND at = $4`,
				n.Locator, n.WatchKey, n.Change, at).Scan(&n.ID); err != nil {
				return 0, internal(op, err)
			}
			continue
		}
		if err != nil {
			return 0, internal(op, err)
		}
		var kinds, objects []string
		for _, subj := range n.Subjects() {
			kind, obj, _ := strings.Cut(subj, ":")
			kinds, objects = append(kinds, kind), append(objects, obj)
		}
		// A lawyer hears of a person only while assigned to a case that
		// concerns it: the rule of the person page.
		tag, err := tx.Exec(ctx, `INSERT INTO alert_items (user_id, notice_id, created_at)
			SELECT DISTINCT f.user_id, $1::bigint, $2::timestamptz FROM follows f JOIN unnest($3::text[], $4::text[]) AS s (kind, object)
				ON f.kind = s.kind AND f.object = s.object
			JOIN users u ON u.id = f.user_id
			WHERE f.kind <> $5 OR u.role <> $6 OR EXISTS (
				SELECT 1 FROM person_records pr
				JOIN case_people cp ON cp.record_id = pr.record_id
				JOIN case_lawyers cl ON cl.case_id = cp.case_id AND cl.user_id = f.user_id
				WHERE pr.person_id = $7)
			ORDER BY f.user_id
			ON CONFLICT (user_id, notice_id) DO NOTHING`, n.ID, now, kinds, objects,
			string(paradero.FollowPerson), string(paradero.RoleLawyer), n.PersonID)
		if err != nil {
			return 0, internal(op, err)
		}
		queued += int(tag.RowsAffected())
		k, err := queueCaseFollowers(ctx, tx, n, now)
		if err != nil {
			return 0, internal(op, err)
		}
		queued += k
	}
	if err := tx.Commit(ctx); err != nil {
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
func queueCaseFollowers(ctx context.Context, tx pgx.Tx, n *paradero.Notice, now time.Time) (int, error) {
	if n.PersonID <= 0 {
		return 0, nil
	}
	rows, err := tx.Query(ctx, `SELECT f.user_id, u.role,
			bool_or(EXISTS (SELECT 1 FROM case_lawyers cl WHERE cl.case_id = cp.case_id AND cl.user_id = f.user_id))
		FROM person_records pr
		JOIN case_people cp ON cp.record_id = pr.record_id
		JOIN follows f ON f.kind = $1 AND f.object = cp.case_id::text
		JOIN users u ON u.id = f.user_id
		WHERE pr.person_id = $2 GROUP BY f.user_id, u.role ORDER BY f.user_id`, string(paradero.FollowCase), n.PersonID)
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
	if len(users) == 0 {
		return 0, nil
	}
	tag, err := tx.Exec(ctx, `INSERT INTO alert_items (user_id, notice_id, created_at)
		SELECT u, $2::bigint, $3::timestamptz FROM unnest($1::bigint[]) AS u ORDER BY u
		ON CONFLICT (user_id, notice_id) DO NOTHING`, users, n.ID, now)
	if err != nil {
		return 0, fmt.Errorf("queue case followers: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

const noticeColumns = `n.id, n.kind, n.change, n.at, n.locator, n.watch_key, n.person_id, n.from_facility, n.to_facility, n.source_id, n.detail`

// alertNotices returns the notices of the alerts with these ids, in time
// order, by alert.
func alertNotices(ctx context.Context, q querier, alertIDs []int64) (map[int64][]*paradero.Notice, error) {
	rows, _ := q.Query(ctx, `SELECT i.alert_id, `+noticeColumns+` FROM alert_items i JOIN alert_notices n ON n.id = i.notice_id
		WHERE i.alert_id = ANY($1) ORDER BY i.alert_id, n.at, n.id`, alertIDs)
	var (
		alertID int64
		n       paradero.Notice
		kind    string
	)
	out := make(map[int64][]*paradero.Notice, len(alertIDs))
	if _, err := pgx.ForEachRow(rows, []any{&alertID, &n.ID, &kind, &n.Change, &n.At, &n.Locator, &n.WatchKey, &n.PersonID,
		&n.From, &n.To, &n.SourceID, &n.Detail}, func() error {
		c := n
		c.Kind, c.At = paradero.AlertKind(kind), n.At.UTC()
		out[alertID] = append(out[alertID], &c)
		return nil
	}); err != nil {
		return nil, internal("postgres.alertNotices", err)
	}
	return out, nil
}

// FoldAlerts folds each due user's queue into one alert and its outbox
// rows, in one transaction holding alertLock.
func (s *DB) FoldAlerts(ctx context.Context, now time.Time, window time.Duration, channels []string) ([]*paradero.Alert, error) {
	const op = "postgres.FoldAlerts"
	for _, ch := range channels {
		if !validText(ch) {
			return nil, paradero.Errorf(paradero.EINVALID, "a channel's name must be text without NUL bytes")
		}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, alertLock); err != nil {
		return nil, internal(op, err)
	}
	now = paradero.Timestamp(now)
	// Users with a queue, whether they may still follow, and their last
	// alert.
	rows, _ := tx.Query(ctx, `SELECT u.id, u.role, u.disabled, (SELECT max(created_at) FROM alerts a WHERE a.user_id = u.id)
		FROM users u WHERE u.id IN (SELECT DISTINCT user_id FROM alert_items WHERE alert_id IS NULL) ORDER BY u.id`)
	type user struct {
		id      int64
		allowed bool
	}
	var (
		due      []user
		u        user
		role     string
		disabled bool
		last     *time.Time
	)
	if _, err := pgx.ForEachRow(rows, []any{&u.id, &role, &disabled, &last}, func() error {
		u.allowed = !disabled && paradero.CanFollow(paradero.Role(role), paradero.FollowPerson)
		if !u.allowed || last == nil || !last.Add(window).After(now) {
			due = append(due, u)
		}
		return nil
	}); err != nil {
		return nil, internal(op, err)
	}
	var out []*paradero.Alert
	for _, u := range due {
		if !u.allowed {
			if _, err := tx.Exec(ctx, `DELETE FROM alert_items WHERE user_id = $1 AND alert_id IS NULL`, u.id); err != nil {
				return nil, internal(op, err)
			}
			s.logger.Info("dropped the alert queue of a user who may no longer follow", "user", u.id)
			continue
		}
		a := &paradero.Alert{UserID: u.id, CreatedAt: now}
		if err := tx.QueryRow(ctx, `INSERT INTO alerts (user_id, created_at) VALUES ($1, $2) RETURNING id`, u.id, now).Scan(&a.ID); err != nil {
			return nil, internal(op, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE alert_items SET alert_id = $1 WHERE user_id = $2 AND alert_id IS NULL`, a.ID, u.id); err != nil {
			return nil, internal(op, err)
		}
		for _, ch := range channels {
			key, err := idempotencyKey()
			if err != nil {
				return nil, err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO alert_outbox (alert_id, channel, idempotency_key, next_at) VALUES ($1, $2, $3, $4)`,
				a.ID, ch, key, now); err != nil {
				return nil, internal(op, err)
			}
		}
		out = append(out, a)
	}
	if err := fillNotices(ctx, tx, out); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	return out, nil
}

// fillNotices reads the notices of the alerts.
func fillNotices(ctx context.Context, q querier, alerts []*paradero.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	ids := make([]int64, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	ns, err := alertNotices(ctx, q, ids)
	if err != nil {
		return err
	}
	for _, a := range alerts {
		a.Notices = ns[a.ID]
	}
	return nil
}

// idempotencyKey returns 128 random bits in hex: unique without
// revealing anything, and the same on every attempt of its delivery.
func idempotencyKey() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", &paradero.Error{Code: paradero.EINTERNAL, Op: "postgres.idempotencyKey", Err: err}
	}
	return hex.EncodeToString(b[:]), nil
}

// FindAlerts returns a page of a user's alerts, newest first, and the
// total, from one snapshot.
func (s *DB) FindAlerts(ctx context.Context, f paradero.AlertFilter) ([]*paradero.Alert, int, error) {
	const op = "postgres.FindAlerts"
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, internal(op, err)
	}
	defer tx.Rollback(ctx)
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM alerts WHERE user_id = $1`, f.UserID).Scan(&total); err != nil {
		return nil, 0, internal(op, err)
	}
	rows, _ := tx.Query(ctx, `SELECT id, created_at FROM alerts WHERE user_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`,
		f.UserID, pageLimit(f.Limit), max(f.Offset, 0))
	var (
		out []*paradero.Alert
		id  int64
		at  time.Time
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &at}, func() error {
		out = append(out, &paradero.Alert{ID: id, UserID: f.UserID, CreatedAt: at.UTC()})
		return nil
	}); err != nil {
		return nil, 0, internal(op, err)
	}
	if err := fillNotices(ctx, tx, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// ClaimDeliveries leases due deliveries by moving their next_at to the
// lease's end and counting the attempt, in one transaction; rows another
// server is claiming are skipped, not waited for.
func (s *DB) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*paradero.Delivery, error) {
	const op = "postgres.ClaimDeliveries"
	if limit <= 0 {
		limit = 100
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	defer tx.Rollback(ctx)
	now = paradero.Timestamp(now)
	// The UPDATE returns the rows as they were before it (attempts made
	// before this one) through the claimed CTE.
	rows, _ := tx.Query(ctx, `WITH claimed AS (
			SELECT id, channel, idempotency_key, attempts, alert_id, next_at FROM alert_outbox
			WHERE sent_at IS NULL AND given_up_at IS NULL AND next_at <= $1
			ORDER BY next_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
		), leased AS (
			UPDATE alert_outbox o SET next_at = $3, attempts = o.attempts + 1 FROM claimed c WHERE o.id = c.id
		)
		SELECT c.id, c.channel, c.idempotency_key, c.attempts, a.id, a.user_id, a.created_at
		FROM claimed c JOIN alerts a ON a.id = c.alert_id ORDER BY c.next_at, c.id`, now, limit, now.Add(lease))
	var (
		out []*paradero.Delivery
		d   paradero.Delivery
		a   paradero.Alert
	)
	if _, err := pgx.ForEachRow(rows, []any{&d.ID, &d.Channel, &d.IdempotencyKey, &d.Attempts, &a.ID, &a.UserID, &a.CreatedAt}, func() error {
		dc, ac := d, a
		ac.CreatedAt = a.CreatedAt.UTC()
		dc.Alert = &ac
		out = append(out, &dc)
		return nil
	}); err != nil {
		return nil, internal(op, err)
	}
	alerts := make([]*paradero.Alert, len(out))
	for i, d := range out {
		alerts[i] = d.Alert
	}
	if err := fillNotices(ctx, tx, alerts); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, &paradero.Error{Code: paradero.EUNAVAILABLE, Op: op, Err: err}
	}
	return out, nil
}

// CompleteDelivery marks a delivery sent.
func (s *DB) CompleteDelivery(ctx context.Context, id int64, at time.Time) error {
	return s.updateDelivery(ctx, id, `UPDATE alert_outbox SET sent_at = $2, last_error = '' WHERE id = $1`, paradero.Timestamp(at))
}

// RetryDelivery records a failed attempt.
func (s *DB) RetryDelivery(ctx context.Context, id int64, next time.Time, reason string) error {
	if len(reason) > 200 {
		reason = reason[:200]
	}
	// text holds neither a NUL byte nor a rune cut in two.
	reason = strings.ToValidUTF8(strings.ReplaceAll(reason, "\x00", ""), "")
	if next.IsZero() {
		return s.updateDelivery(ctx, id, `UPDATE alert_outbox SET given_up_at = $2, last_error = $3 WHERE id = $1`, s.timestamp(), reason)
	}
	return s.updateDelivery(ctx, id, `UPDATE alert_outbox SET next_at = $2, last_error = $3 WHERE id = $1`, paradero.Timestamp(next), reason)
}

func (s *DB) updateDelivery(ctx context.Context, id int64, query string, args ...any) error {
	tag, err := s.pool.Exec(ctx, query, append([]any{id}, args...)...)
	if err != nil {
		return internal("postgres.updateDelivery", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("delivery", id)
	}
	return nil
}
