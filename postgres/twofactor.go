package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paradero/paradero"
)

var _ paradero.TwoFactorService = (*DB)(nil)

// lockUser locks the user's row for the rest of tx, so that two-factor
// changes to one user run one after the other. ENOTFOUND.
func lockUser(ctx context.Context, tx pgx.Tx, id int64) ([]byte, error) {
	var secret []byte
	err := tx.QueryRow(ctx, `SELECT totp_secret FROM users WHERE id = $1 FOR UPDATE`, id).Scan(&secret)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("user", id)
	}
	return secret, err
}

// FindTwoFactor returns the user's two-factor state. ENOTFOUND.
func (s *DB) FindTwoFactor(ctx context.Context, userID int64) (*paradero.TwoFactor, error) {
	tf := &paradero.TwoFactor{UserID: userID}
	var secret []byte
	var enabled *time.Time
	err := s.pool.QueryRow(ctx, `SELECT u.totp_secret, t.pending_secret, coalesce(t.last_step, 0), t.enabled_at,
		(SELECT count(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL)
		FROM users u LEFT JOIN twofactor t ON t.user_id = u.id WHERE u.id = $1`, userID).
		Scan(&secret, &tf.PendingSecret, &tf.LastStep, &enabled, &tf.RecoveryCodes)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("user", userID)
	}
	if err != nil {
		return nil, internal("postgres.FindTwoFactor", err)
	}
	if enabled != nil && len(secret) > 0 {
		tf.EnabledAt = enabled.UTC()
	}
	return tf, nil
}

// SetPendingTOTPSecret keeps secret as the user's pending one. ENOTFOUND,
// EINVALID.
func (s *DB) SetPendingTOTPSecret(ctx context.Context, userID int64, secret []byte) error {
	const op = "postgres.SetPendingTOTPSecret"
	if len(secret) < paradero.MinTOTPSecretLength {
		return paradero.Errorf(paradero.EINVALID, "a TOTP secret needs at least %d bytes", paradero.MinTOTPSecretLength)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return internal(op, err)
	}
	defer tx.Rollback(ctx)
	if _, err := lockUser(ctx, tx, userID); err != nil {
		return internal(op, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO twofactor (user_id, pending_secret) VALUES ($1, $2)
		ON CONFLICT (user_id) DO UPDATE SET pending_secret = excluded.pending_secret`, userID, secret); err != nil {
		return internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return internal(op, err)
	}
	return nil
}

// EnableTwoFactor confirms the pending secret. ENOTFOUND, ECONFLICT,
// EINVALID.
func (s *DB) EnableTwoFactor(ctx context.Context, userID int64, secret []byte, step int64, codes []paradero.Hash, keep paradero.Hash) error {
	const op = "postgres.EnableTwoFactor"
	if len(codes) == 0 {
		return paradero.Errorf(paradero.EINVALID, "enrolling needs recovery codes")
	}
	now := s.timestamp()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return internal(op, err)
	}
	defer tx.Rollback(ctx)
	if _, err := lockUser(ctx, tx, userID); err != nil {
		return internal(op, err)
	}
	var pending []byte
	err = tx.QueryRow(ctx, `SELECT pending_secret FROM twofactor WHERE user_id = $1`, userID).Scan(&pending)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return internal(op, err)
	}
	if len(pending) == 0 || string(pending) != string(secret) {
		return paradero.Errorf(paradero.ECONFLICT, "the secret being confirmed is not the one pending")
	}
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`UPDATE users SET totp_secret = $1, updated_at = $2 WHERE id = $3`, []any{secret, now, userID}},
		{`UPDATE twofactor SET pending_secret = NULL, last_step = $1, enabled_at = $2 WHERE user_id = $3`, []any{step, now, userID}},
		{`DELETE FROM recovery_codes WHERE user_id = $1`, []any{userID}},
		{`DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, []any{userID, keep[:]}},
		{`DELETE FROM login_challenges WHERE user_id = $1`, []any{userID}},
	} {
		if _, err := tx.Exec(ctx, st.q, st.args...); err != nil {
			return internal(op, err)
		}
	}
	if err := insertRecoveryCodes(ctx, tx, userID, codes, now); err != nil {
		return internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return internal(op, err)
	}
	return nil
}

func insertRecoveryCodes(ctx context.Context, tx pgx.Tx, userID int64, codes []paradero.Hash, now time.Time) error {
	seen := make(map[paradero.Hash]bool, len(codes))
	rows := make([][]any, 0, len(codes))
	for _, c := range codes {
		if seen[c] {
			// Checked here: a unique violation would abort the transaction.
			return paradero.Errorf(paradero.EINVALID, "two recovery codes are the same")
		}
		seen[c] = true
		rows = append(rows, []any{userID, c[:], now})
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"recovery_codes"}, []string{"user_id", "code_hash", "created_at"},
		pgx.CopyFromRows(rows))
	return err
}

// DisableTwoFactor removes the user's second factor. ENOTFOUND.
func (s *DB) DisableTwoFactor(ctx context.Context, userID int64, keep paradero.Hash) (int, error) {
	const op = "postgres.DisableTwoFactor"
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, internal(op, err)
	}
	defer tx.Rollback(ctx)
	if _, err := lockUser(ctx, tx, userID); err != nil {
		return 0, internal(op, err)
	}
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`UPDATE users SET totp_secret = NULL, updated_at = $1 WHERE id = $2`, []any{s.timestamp(), userID}},
		{`DELETE FROM twofactor WHERE user_id = $1`, []any{userID}},
		{`DELETE FROM recovery_codes WHERE user_id = $1`, []any{userID}},
		{`DELETE FROM login_challenges WHERE user_id = $1`, []any{userID}},
	} {
		if _, err := tx.Exec(ctx, st.q, st.args...); err != nil {
			return 0, internal(op, err)
		}
	}
	tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, userID, keep[:])
	if err != nil {
		return 0, internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, internal(op, err)
	}
	return int(tag.RowsAffected()), nil
}

// ReplaceRecoveryCodes replaces the user's recovery codes. ENOTFOUND,
// ECONFLICT, EINVALID.
func (s *DB) ReplaceRecoveryCodes(ctx context.Context, userID int64, codes []paradero.Hash, keep paradero.Hash) error {
	const op = "postgres.ReplaceRecoveryCodes"
	if len(codes) == 0 {
		return paradero.Errorf(paradero.EINVALID, "no recovery codes given")
	}
	now := s.timestamp()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return internal(op, err)
	}
	defer tx.Rollback(ctx)
	secret, err := lockUser(ctx, tx, userID)
	if err != nil {
		return internal(op, err)
	}
	if len(secret) == 0 {
		return paradero.Errorf(paradero.ECONFLICT, "the user has no second factor")
	}
	if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return internal(op, err)
	}
	if err := insertRecoveryCodes(ctx, tx, userID, codes, now); err != nil {
		return internal(op, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`, userID, keep[:]); err != nil {
		return internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return internal(op, err)
	}
	return nil
}

// UseTOTPStep records step as the last one accepted. ECONFLICT for a step
// not later than the last, ENOTFOUND for a user without a second factor.
// One statement: of two at once, the second waits for the first and then
// finds its condition false.
func (s *DB) UseTOTPStep(ctx context.Context, userID int64, step int64) error {
	const op = "postgres.UseTOTPStep"
	tag, err := s.pool.Exec(ctx, `UPDATE twofactor t SET last_step = $2 FROM users u
		WHERE t.user_id = $1 AND u.id = t.user_id AND length(u.totp_secret) > 0 AND t.last_step < $2`, userID, step)
	if err != nil {
		return internal(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var enrolled bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM twofactor t JOIN users u ON u.id = t.user_id
		WHERE t.user_id = $1 AND length(u.totp_secret) > 0)`, userID).Scan(&enrolled); err != nil {
		return internal(op, err)
	}
	if !enrolled {
		return paradero.Errorf(paradero.ENOTFOUND, "user %d has no second factor", userID)
	}
	return paradero.Errorf(paradero.ECONFLICT, "this code was used already")
}

// UseRecoveryCode spends a recovery code. ENOTFOUND if the user has no
// unused code with this hash.
func (s *DB) UseRecoveryCode(ctx context.Context, userID int64, code paradero.Hash) error {
	tag, err := s.pool.Exec(ctx, `UPDATE recovery_codes SET used_at = $1
		WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL`, s.timestamp(), userID, code[:])
	if err != nil {
		return internal("postgres.UseRecoveryCode", err)
	}
	if tag.RowsAffected() == 0 {
		return paradero.Errorf(paradero.ENOTFOUND, "no such unused recovery code")
	}
	return nil
}

// CreateLoginChallenge stores c and sweeps expired challenges. EINVALID,
// ENOTFOUND, ECONFLICT.
func (s *DB) CreateLoginChallenge(ctx context.Context, c *paradero.LoginChallenge) error {
	const op = "postgres.CreateLoginChallenge"
	if c.TokenHash.IsZero() || c.UserID == 0 || c.ExpiresAt.IsZero() {
		return paradero.Errorf(paradero.EINVALID, "a login challenge needs a token hash, a user and an expiry")
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.timestamp()
	}
	c.CreatedAt, c.ExpiresAt = paradero.Timestamp(c.CreatedAt), paradero.Timestamp(c.ExpiresAt)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return internal(op, err)
	}
	defer tx.Rollback(ctx)
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, c.UserID).Scan(&exists); err != nil {
		return internal(op, err)
	}
	if !exists {
		return notFound("user", c.UserID)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM login_challenges WHERE expires_at <= $1`, c.CreatedAt); err != nil {
		return internal(op, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO login_challenges (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		c.TokenHash[:], c.UserID, c.CreatedAt, c.ExpiresAt)
	if isUniqueViolation(err) {
		return paradero.Errorf(paradero.ECONFLICT, "login challenge token in use")
	}
	if isForeignKeyViolation(err) {
		return notFound("user", c.UserID)
	}
	if err != nil {
		return internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		if isForeignKeyViolation(err) {
			return notFound("user", c.UserID)
		}
		return internal(op, err)
	}
	return nil
}

// FindLoginChallenge returns a live challenge and its user; ENOTFOUND if
// none, expired, or its user is disabled.
func (s *DB) FindLoginChallenge(ctx context.Context, tokenHash paradero.Hash, now time.Time) (*paradero.LoginChallenge, *paradero.User, error) {
	var (
		c    paradero.LoginChallenge
		u    paradero.User
		role string
		th   []byte
	)
	dest := append([]any{&th, &c.UserID, &c.CreatedAt, &c.ExpiresAt}, userDest(&u, &role)...)
	err := s.pool.QueryRow(ctx, `SELECT c.token_hash, c.user_id, c.created_at, c.expires_at, `+
		prefixed("u.", userColumns)+` FROM login_challenges c JOIN users u ON u.id = c.user_id
		WHERE c.token_hash = $1 AND c.expires_at > $2 AND NOT u.disabled`, tokenHash[:], paradero.Timestamp(now)).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, paradero.Errorf(paradero.ENOTFOUND, "no such login challenge")
	}
	if err != nil {
		return nil, nil, internal("postgres.FindLoginChallenge", err)
	}
	if c.TokenHash, err = hashFrom(th); err != nil {
		return nil, nil, err
	}
	c.CreatedAt, c.ExpiresAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC()
	finishUser(&u, role)
	return &c, &u, nil
}

// DeleteLoginChallenge removes one challenge; a missing one is not an
// error.
func (s *DB) DeleteLoginChallenge(ctx context.Context, tokenHash paradero.Hash) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM login_challenges WHERE token_hash = $1`, tokenHash[:]); err != nil {
		return internal("postgres.DeleteLoginChallenge", err)
	}
	return nil
}
