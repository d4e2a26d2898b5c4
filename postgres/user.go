package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paradero/paradero"
)

var (
	_ paradero.UserService    = (*DB)(nil)
	_ paradero.SessionService = (*DB)(nil)
)

const userColumns = `id, email, name, role, language, password_hash, totp_secret, disabled, created_at, updated_at`

// userDest returns the scan destinations of userColumns, filling u.
func userDest(u *paradero.User, role *string) []any {
	return []any{&u.ID, &u.Email, &u.Name, role, &u.Language, &u.PasswordHash, &u.TOTPSecret,
		&u.Disabled, &u.CreatedAt, &u.UpdatedAt}
}

func scanUser(row pgx.Row) (*paradero.User, error) {
	var (
		u    paradero.User
		role string
	)
	if err := row.Scan(userDest(&u, &role)...); err != nil {
		return nil, err
	}
	finishUser(&u, role)
	return &u, nil
}

func finishUser(u *paradero.User, role string) {
	u.Role = paradero.Role(role)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
}

// FindUserByID returns ENOTFOUND if there is no such user.
func (s *DB) FindUserByID(ctx context.Context, id int64) (*paradero.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("user", id)
	}
	if err != nil {
		return nil, internal("postgres.FindUserByID", err)
	}
	return u, nil
}

// FindUserByEmail returns ENOTFOUND if no user has the address.
func (s *DB) FindUserByEmail(ctx context.Context, email string) (*paradero.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`,
		paradero.NormalizeEmail(email)))
	if errors.Is(err, pgx.ErrNoRows) || isBadText(err) {
		// The address is personal data: the message does not repeat it.
		return nil, paradero.Errorf(paradero.ENOTFOUND, "no user has this e-mail address")
	}
	if err != nil {
		return nil, internal("postgres.FindUserByEmail", err)
	}
	return u, nil
}

// FindUsers returns a page of users in ID order, and the total, from one
// snapshot.
func (s *DB) FindUsers(ctx context.Context, f paradero.UserFilter) ([]*paradero.User, int, error) {
	const op = "postgres.FindUsers"
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, internal(op, err)
	}
	defer tx.Rollback(ctx)
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE ($1 = '' OR role = $1)`, string(f.Role)).Scan(&total); err != nil {
		return nil, 0, internal(op, err)
	}
	rows, err := tx.Query(ctx, `SELECT `+userColumns+` FROM users WHERE ($1 = '' OR role = $1)
		ORDER BY id LIMIT $2 OFFSET $3`, string(f.Role), pageLimit(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, 0, internal(op, err)
	}
	var (
		u    paradero.User
		role string
		out  []*paradero.User
	)
	if _, err := pgx.ForEachRow(rows, userDest(&u, &role), func() error {
		c := u
		finishUser(&c, role)
		out = append(out, &c)
		return nil
	}); err != nil {
		return nil, 0, internal(op, err)
	}
	return out, total, nil
}

// CreateUser stores u. EINVALID, ECONFLICT if the address is taken.
//
// The address is looked up before the insert, so a refused duplicate
// consumes no id from the sequence and ids stay dense, as in package
// sqlite; the unique index still decides a race.
func (s *DB) CreateUser(ctx context.Context, u *paradero.User) error {
	const op = "postgres.CreateUser"
	u.Email = paradero.NormalizeEmail(u.Email)
	if err := u.Validate(); err != nil {
		return err
	}
	now := s.timestamp()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return internal(op, err)
	}
	defer tx.Rollback(ctx)
	conflict := paradero.Errorf(paradero.ECONFLICT, "a user with this e-mail address exists")
	var taken bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)`, u.Email).Scan(&taken); err != nil {
		return internal(op, err)
	}
	if taken {
		return conflict
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO users (email, name, role, language, password_hash, totp_secret, disabled, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
		u.Email, u.Name, string(u.Role), u.Language, u.PasswordHash, u.TOTPSecret, u.Disabled, now).Scan(&id)
	if isUniqueViolation(err) {
		return conflict
	}
	if err != nil {
		return internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		if isUniqueViolation(err) {
			return conflict
		}
		return internal(op, err)
	}
	u.ID, u.CreatedAt, u.UpdatedAt = id, now, now
	return nil
}

// UpdateUser applies upd. ENOTFOUND, EINVALID. A new password hash or
// disabling the user revokes their sessions in the same transaction. The
// user's row is locked for the read-modify-write, so two updates at once
// do not undo each other.
func (s *DB) UpdateUser(ctx context.Context, id int64, upd paradero.UserUpdate) (*paradero.User, error) {
	const op = "postgres.UpdateUser"
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, internal(op, err)
	}
	defer tx.Rollback(ctx)
	u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("user", id)
	}
	if err != nil {
		return nil, internal(op, err)
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
	if _, err := tx.Exec(ctx, `UPDATE users SET name = $1, role = $2, language = $3, password_hash = $4,
		totp_secret = $5, disabled = $6, updated_at = $7 WHERE id = $8`,
		u.Name, string(u.Role), u.Language, u.PasswordHash, u.TOTPSecret, u.Disabled, u.UpdatedAt, id); err != nil {
		return nil, internal(op, err)
	}
	if revoke {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id); err != nil {
			return nil, internal(op, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, internal(op, err)
	}
	return u, nil
}

// CreateSession stores sess. EINVALID, ENOTFOUND for no such user,
// ECONFLICT for a token hash in use.
func (s *DB) CreateSession(ctx context.Context, sess *paradero.Session) error {
	const op = "postgres.CreateSession"
	if sess.TokenHash.IsZero() || sess.UserID == 0 || sess.CSRFToken == "" || sess.ExpiresAt.IsZero() {
		return paradero.Errorf(paradero.EINVALID, "a session needs a token hash, a user, a CSRF token and an expiry")
	}
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = s.timestamp()
	}
	sess.CreatedAt, sess.ExpiresAt = paradero.Timestamp(sess.CreatedAt), paradero.Timestamp(sess.ExpiresAt)
	sess.LastSeenAt = sess.CreatedAt
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return internal(op, err)
	}
	defer tx.Rollback(ctx)
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, sess.UserID).Scan(&exists); err != nil {
		return internal(op, err)
	}
	if !exists {
		return notFound("user", sess.UserID)
	}
	_, err = tx.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, sess.TokenHash[:], sess.UserID, sess.CSRFToken,
		sess.CreatedAt, sess.ExpiresAt, sess.LastSeenAt)
	if isUniqueViolation(err) {
		return paradero.Errorf(paradero.ECONFLICT, "session token in use")
	}
	if isForeignKeyViolation(err) {
		return notFound("user", sess.UserID)
	}
	if isBadText(err) {
		return paradero.Errorf(paradero.EINVALID, "the CSRF token is not valid text")
	}
	if err != nil {
		return internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		if isUniqueViolation(err) {
			return paradero.Errorf(paradero.ECONFLICT, "session token in use")
		}
		return internal(op, err)
	}
	return nil
}

// FindSession returns the live session with this token hash and its user;
// ENOTFOUND if none, expired, or its user is disabled.
func (s *DB) FindSession(ctx context.Context, tokenHash paradero.Hash, now time.Time) (*paradero.Session, *paradero.User, error) {
	var (
		sess paradero.Session
		u    paradero.User
		role string
		th   []byte
	)
	dest := append([]any{&th, &sess.UserID, &sess.CSRFToken, &sess.CreatedAt, &sess.ExpiresAt, &sess.LastSeenAt},
		userDest(&u, &role)...)
	err := s.pool.QueryRow(ctx, `SELECT s.token_hash, s.user_id, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at, `+
		prefixed("u.", userColumns)+` FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled`, tokenHash[:], paradero.Timestamp(now)).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, paradero.Errorf(paradero.ENOTFOUND, "no such session")
	}
	if err != nil {
		return nil, nil, internal("postgres.FindSession", err)
	}
	if sess.TokenHash, err = hashFrom(th); err != nil {
		return nil, nil, err
	}
	sess.CreatedAt, sess.ExpiresAt, sess.LastSeenAt = sess.CreatedAt.UTC(), sess.ExpiresAt.UTC(), sess.LastSeenAt.UTC()
	finishUser(&u, role)
	return &sess, &u, nil
}

// TouchSession sets the session's LastSeenAt. ENOTFOUND if none.
func (s *DB) TouchSession(ctx context.Context, tokenHash paradero.Hash, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2`,
		paradero.Timestamp(at), tokenHash[:])
	if err != nil {
		return internal("postgres.TouchSession", err)
	}
	if tag.RowsAffected() == 0 {
		return paradero.Errorf(paradero.ENOTFOUND, "no such session")
	}
	return nil
}

// DeleteSession revokes one session; a missing one is not an error.
func (s *DB) DeleteSession(ctx context.Context, tokenHash paradero.Hash) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash[:]); err != nil {
		return internal("postgres.DeleteSession", err)
	}
	return nil
}

// DeleteUserSessions revokes every session of the user.
func (s *DB) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, internal("postgres.DeleteUserSessions", err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteExpiredSessions removes sessions expired at now.
func (s *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, paradero.Timestamp(now))
	if err != nil {
		return 0, internal("postgres.DeleteExpiredSessions", err)
	}
	return int(tag.RowsAffected()), nil
}

// isBadText reports whether err is PostgreSQL refusing a string it cannot
// store as text: a NUL byte or invalid UTF-8 (SQLSTATE 22021, 22P05).
// SQLite stores such strings; callers map this to the code SQLite's
// behaviour implies.
func isBadText(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "22021" || pe.Code == "22P05")
}

// isForeignKeyViolation reports whether err is SQLSTATE 23503.
func isForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}
