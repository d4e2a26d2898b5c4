package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/paradero/paradero"
)

var (
	_ paradero.UserService    = (*DB)(nil)
	_ paradero.SessionService = (*DB)(nil)
)

const userColumns = `id, email, name, role, language, password_hash, totp_secret, disabled, created_at, updated_at`

func scanUser(sc interface{ Scan(...any) error }) (*paradero.User, error) {
	var u paradero.User
	var role string
	var created, updated int64
	if err := sc.Scan(&u.ID, &u.Email, &u.Name, &role, &u.Language, &u.PasswordHash, &u.TOTPSecret,
		&u.Disabled, &created, &updated); err != nil {
		return nil, err
	}
	u.Role = paradero.Role(role)
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &u, nil
}

// FindUserByID returns ENOTFOUND if there is no such user.
func (s *DB) FindUserByID(ctx context.Context, id int64) (*paradero.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find user %d: %w", id, err)
	}
	return u, nil
}

// FindUserByEmail returns ENOTFOUND if no user has the address.
func (s *DB) FindUserByEmail(ctx context.Context, email string) (*paradero.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`,
		paradero.NormalizeEmail(email)))
	if errors.Is(err, sql.ErrNoRows) {
		// The address is personal data: the message does not repeat it.
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no user has this e-mail address")
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find user by e-mail: %w", err)
	}
	return u, nil
}

// FindUsers returns a page of users in ID order, and the total.
func (s *DB) FindUsers(ctx context.Context, f paradero.UserFilter) ([]*paradero.User, int, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE (? = '' OR role = ?)`,
		string(f.Role), string(f.Role)).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count users: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE (? = '' OR role = ?)
		ORDER BY id LIMIT ? OFFSET ?`, string(f.Role), string(f.Role), pageLimit(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: find users: %w", err)
	}
	defer rows.Close()
	var out []*paradero.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: find users: %w", err)
		}
		out = append(out, u)
	}
	return out, total, rows.Err()
}

// CreateUser stores u. EINVALID, ECONFLICT if the address is taken.
func (s *DB) CreateUser(ctx context.Context, u *paradero.User) error {
	u.Email = paradero.NormalizeEmail(u.Email)
	if err := u.Validate(); err != nil {
		return err
	}
	now := s.timestamp()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: create user: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, role, language, password_hash, totp_secret, disabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.Email, u.Name, string(u.Role), u.Language, u.PasswordHash, u.TOTPSecret, u.Disabled, now.UnixMicro(), now.UnixMicro())
	if isUniqueViolation(err) {
		return paradero.Errorf(paradero.ECONFLICT, "a user with this e-mail address exists")
	}
	if err != nil {
		return fmt.Errorf("sqlite: create user: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("sqlite: create user: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: create user: %w", err)
	}
	u.ID, u.CreatedAt, u.UpdatedAt = id, now, now
	return nil
}

// UpdateUser applies upd. ENOTFOUND, EINVALID. A new password hash or
// disabling the user revokes their sessions in the same transaction.
func (s *DB) UpdateUser(ctx context.Context, id int64, upd paradero.UserUpdate) (*paradero.User, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: update user: %w", err)
	}
	defer tx.Rollback()
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: update user %d: %w", id, err)
	}
	revoke := false
	if upd.Name != nil {
		u.Name = *upd.Name
	}
	if upd.Role != nil {
		u.Role = *upd.Role
	}
	if upd.Language != nil {
		u.Language = *upd.Language
	}
	if upd.PasswordHash != nil {
		revoke = revoke || *upd.PasswordHash != u.PasswordHash
		u.PasswordHash = *upd.PasswordHash
	}
	if upd.TOTPSecret != nil {
		u.TOTPSecret = *upd.TOTPSecret
	}
	if upd.Disabled != nil {
		revoke = revoke || *upd.Disabled && !u.Disabled
		u.Disabled = *upd.Disabled
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	u.UpdatedAt = s.timestamp()
	if _, err := tx.ExecContext(ctx, `UPDATE users SET name = ?, role = ?, language = ?, password_hash = ?,
		totp_secret = ?, disabled = ?, updated_at = ? WHERE id = ?`,
		u.Name, string(u.Role), u.Language, u.PasswordHash, u.TOTPSecret, u.Disabled, u.UpdatedAt.UnixMicro(), id); err != nil {
		return nil, fmt.Errorf("sqlite: update user %d: %w", id, err)
	}
	if revoke {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
			return nil, fmt.Errorf("sqlite: update user %d: revoke sessions: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: update user %d: %w", id, err)
	}
	return u, nil
}

// CreateSession stores sess. EINVALID, ENOTFOUND for no such user,
// ECONFLICT for a token hash in use.
func (s *DB) CreateSession(ctx context.Context, sess *paradero.Session) error {
	if sess.TokenHash.IsZero() || sess.UserID == 0 || sess.CSRFToken == "" || sess.ExpiresAt.IsZero() {
		return paradero.Errorf(paradero.EINVALID, "a session needs a token hash, a user, a CSRF token and an expiry")
	}
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = s.timestamp()
	}
	sess.CreatedAt, sess.ExpiresAt = paradero.Timestamp(sess.CreatedAt), paradero.Timestamp(sess.ExpiresAt)
	sess.LastSeenAt = sess.CreatedAt
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = ?`, sess.UserID).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	if n == 0 {
		return notFound("user", sess.UserID)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?)`, sess.TokenHash[:], sess.UserID, sess.CSRFToken,
		sess.CreatedAt.UnixMicro(), sess.ExpiresAt.UnixMicro(), sess.LastSeenAt.UnixMicro())
	if isUniqueViolation(err) {
		return paradero.Errorf(paradero.ECONFLICT, "session token in use")
	}
	if err != nil {
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	return nil
}

// FindSession returns the live session with this token hash and its user;
// ENOTFOUND if none, expired, or its user is disabled.
func (s *DB) FindSession(ctx context.Context, tokenHash paradero.Hash, now time.Time) (*paradero.Session, *paradero.User, error) {
	var sess paradero.Session
	var th []byte
	var created, expires, seen int64
	u, err := scanUser(scanFunc(func(dest ...any) error {
		return s.db.QueryRowContext(ctx, `SELECT s.token_hash, s.user_id, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at, `+
			prefixed("u.", userColumns)+` FROM sessions s JOIN users u ON u.id = s.user_id
			WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0`, tokenHash[:], paradero.Timestamp(now).UnixMicro()).
			Scan(append([]any{&th, &sess.UserID, &sess.CSRFToken, &created, &expires, &seen}, dest...)...)
	}))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, paradero.Errorf(paradero.ENOTFOUND, "no such session")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: find session: %w", err)
	}
	if sess.TokenHash, err = hashFrom(th); err != nil {
		return nil, nil, fmt.Errorf("sqlite: find session: %w", err)
	}
	sess.CreatedAt, sess.ExpiresAt, sess.LastSeenAt = fromMicros(created), fromMicros(expires), fromMicros(seen)
	return &sess, u, nil
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// TouchSession sets the session's LastSeenAt. ENOTFOUND if none.
func (s *DB) TouchSession(ctx context.Context, tokenHash paradero.Hash, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`,
		paradero.Timestamp(at).UnixMicro(), tokenHash[:])
	if err != nil {
		return fmt.Errorf("sqlite: touch session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: touch session: %w", err)
	} else if n == 0 {
		return paradero.Errorf(paradero.ENOTFOUND, "no such session")
	}
	return nil
}

// DeleteSession revokes one session; a missing one is not an error.
func (s *DB) DeleteSession(ctx context.Context, tokenHash paradero.Hash) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash[:]); err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions revokes every session of the user.
func (s *DB) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete sessions of user %d: %w", userID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DeleteExpiredSessions removes sessions expired at now.
func (s *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, paradero.Timestamp(now).UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
