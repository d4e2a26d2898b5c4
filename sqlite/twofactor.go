package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/paradero/paradero"
)

var _ paradero.TwoFactorService = (*DB)(nil)

// userExists reports whether the user exists, inside tx.
func userExists(ctx context.Context, tx *sql.Tx, id int64) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = ?`, id).Scan(&n)
	return n > 0, err
}

// FindTwoFactor returns the user's two-factor state. ENOTFOUND.
func (s *DB) FindTwoFactor(ctx context.Context, userID int64) (*paradero.TwoFactor, error) {
	tf := &paradero.TwoFactor{UserID: userID}
	var secret []byte
	var enabled sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT u.totp_secret, t.pending_secret, coalesce(t.last_step, 0), t.enabled_at,
		(SELECT count(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL)
		FROM users u LEFT JOIN twofactor t ON t.user_id = u.id WHERE u.id = ?`, userID).
		Scan(&secret, &tf.PendingSecret, &tf.LastStep, &enabled, &tf.RecoveryCodes)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user", userID)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find two-factor state of user %d: %w", userID, err)
	}
	if enabled.Valid && len(secret) > 0 {
		tf.EnabledAt = fromMicros(enabled.Int64)
	}
	return tf, nil
}

// SetPendingTOTPSecret keeps secret as the user's pending one. ENOTFOUND,
// EINVALID.
func (s *DB) SetPendingTOTPSecret(ctx context.Context, userID int64, secret []byte) error {
	if len(secret) < paradero.MinTOTPSecretLength {
		return paradero.Errorf(paradero.EINVALID, "a TOTP secret needs at least %d bytes", paradero.MinTOTPSecretLength)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: set pending TOTP secret: %w", err)
	}
	defer tx.Rollback()
	if ok, err := userExists(ctx, tx, userID); err != nil {
		return fmt.Errorf("sqlite: set pending TOTP secret: %w", err)
	} else if !ok {
		return notFound("user", userID)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO twofactor (user_id, pending_secret) VALUES (?, ?)
		ON CONFLICT (user_id) DO UPDATE SET pending_secret = excluded.pending_secret`, userID, secret); err != nil {
		return fmt.Errorf("sqlite: set pending TOTP secret: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: set pending TOTP secret: %w", err)
	}
	return nil
}

// EnableTwoFactor confirms the pending secret. ENOTFOUND, ECONFLICT,
// EINVALID.
func (s *DB) EnableTwoFactor(ctx context.Context, userID int64, secret []byte, step int64, codes []paradero.Hash, keep paradero.Hash) error {
	if len(codes) == 0 {
		return paradero.Errorf(paradero.EINVALID, "enrolling needs recovery codes")
	}
	now := s.timestamp()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: enable two-factor: %w", err)
	}
	defer tx.Rollback()
	if ok, err := userExists(ctx, tx, userID); err != nil {
		return fmt.Errorf("sqlite: enable two-factor: %w", err)
	} else if !ok {
		return notFound("user", userID)
	}
	var pending []byte
	err = tx.QueryRowContext(ctx, `SELECT pending_secret FROM twofactor WHERE user_id = ?`, userID).Scan(&pending)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: enable two-factor: %w", err)
	}
	if len(pending) == 0 || string(pending) != string(secret) {
		return paradero.Errorf(paradero.ECONFLICT, "the secret being confirmed is not the one pending")
	}
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`UPDATE users SET totp_secret = ?, updated_at = ? WHERE id = ?`, []any{secret, now.UnixMicro(), userID}},
		{`UPDATE twofactor SET pending_secret = NULL, last_step = ?, enabled_at = ? WHERE user_id = ?`, []any{step, now.UnixMicro(), userID}},
		{`DELETE FROM recovery_codes WHERE user_id = ?`, []any{userID}},
		{`DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, []any{userID, keep[:]}},
		{`DELETE FROM login_challenges WHERE user_id = ?`, []any{userID}},
	} {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("sqlite: enable two-factor: %w", err)
		}
	}
	if err := insertRecoveryCodes(ctx, tx, userID, codes, now); err != nil {
		return fmt.Errorf("sqlite: enable two-factor: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: enable two-factor: %w", err)
	}
	return nil
}

func insertRecoveryCodes(ctx context.Context, tx *sql.Tx, userID int64, codes []paradero.Hash, now time.Time) error {
	for _, c := range codes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)`,
			userID, c[:], now.UnixMicro()); err != nil {
			if isUniqueViolation(err) {
				return paradero.Errorf(paradero.EINVALID, "two recovery codes are the same")
			}
			return err
		}
	}
	return nil
}

// DisableTwoFactor removes the user's second factor. ENOTFOUND.
func (s *DB) DisableTwoFactor(ctx context.Context, userID int64, keep paradero.Hash) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: disable two-factor: %w", err)
	}
	defer tx.Rollback()
	if ok, err := userExists(ctx, tx, userID); err != nil {
		return 0, fmt.Errorf("sqlite: disable two-factor: %w", err)
	} else if !ok {
		return 0, notFound("user", userID)
	}
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`UPDATE users SET totp_secret = NULL, updated_at = ? WHERE id = ?`, []any{s.timestamp().UnixMicro(), userID}},
		{`DELETE FROM twofactor WHERE user_id = ?`, []any{userID}},
		{`DELETE FROM recovery_codes WHERE user_id = ?`, []any{userID}},
		{`DELETE FROM login_challenges WHERE user_id = ?`, []any{userID}},
	} {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return 0, fmt.Errorf("sqlite: disable two-factor: %w", err)
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, userID, keep[:])
	if err != nil {
		return 0, fmt.Errorf("sqlite: disable two-factor: %w", err)
	}
	revoked, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: disable two-factor: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: disable two-factor: %w", err)
	}
	return int(revoked), nil
}

// ReplaceRecoveryCodes replaces the user's recovery codes. ENOTFOUND,
// ECONFLICT, EINVALID.
func (s *DB) ReplaceRecoveryCodes(ctx context.Context, userID int64, codes []paradero.Hash, keep paradero.Hash) error {
	if len(codes) == 0 {
		return paradero.Errorf(paradero.EINVALID, "no recovery codes given")
	}
	now := s.timestamp()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: replace recovery codes: %w", err)
	}
	defer tx.Rollback()
	var secret []byte
	err = tx.QueryRowContext(ctx, `SELECT totp_secret FROM users WHERE id = ?`, userID).Scan(&secret)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("user", userID)
	}
	if err != nil {
		return fmt.Errorf("sqlite: replace recovery codes: %w", err)
	}
	if len(secret) == 0 {
		return paradero.Errorf(paradero.ECONFLICT, "the user has no second factor")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("sqlite: replace recovery codes: %w", err)
	}
	if err := insertRecoveryCodes(ctx, tx, userID, codes, now); err != nil {
		return fmt.Errorf("sqlite: replace recovery codes: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, userID, keep[:]); err != nil {
		return fmt.Errorf("sqlite: replace recovery codes: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: replace recovery codes: %w", err)
	}
	return nil
}

// UseTOTPStep records step as the last one accepted. ECONFLICT for a step
// not later than the last, ENOTFOUND for a user without a second factor.
func (s *DB) UseTOTPStep(ctx context.Context, userID int64, step int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: use TOTP step: %w", err)
	}
	defer tx.Rollback()
	var last int64
	err = tx.QueryRowContext(ctx, `SELECT t.last_step FROM twofactor t JOIN users u ON u.id = t.user_id
		WHERE t.user_id = ? AND length(u.totp_secret) > 0`, userID).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return paradero.Errorf(paradero.ENOTFOUND, "user %d has no second factor", userID)
	}
	if err != nil {
		return fmt.Errorf("sqlite: use TOTP step: %w", err)
	}
	if step <= last {
		return paradero.Errorf(paradero.ECONFLICT, "this code was used already")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE twofactor SET last_step = ? WHERE user_id = ?`, step, userID); err != nil {
		return fmt.Errorf("sqlite: use TOTP step: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: use TOTP step: %w", err)
	}
	return nil
}

// UseRecoveryCode spends a recovery code. ENOTFOUND if the user has no
// unused code with this hash.
func (s *DB) UseRecoveryCode(ctx context.Context, userID int64, code paradero.Hash) error {
	res, err := s.db.ExecContext(ctx, `UPDATE recovery_codes SET used_at = ?
		WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`, s.timestamp().UnixMicro(), userID, code[:])
	if err != nil {
		return fmt.Errorf("sqlite: use recovery code: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: use recovery code: %w", err)
	} else if n == 0 {
		return paradero.Errorf(paradero.ENOTFOUND, "no such unused recovery code")
	}
	return nil
}

// CreateLoginChallenge stores c and sweeps expired challenges. EINVALID,
// ENOTFOUND, ECONFLICT.
func (s *DB) CreateLoginChallenge(ctx context.Context, c *paradero.LoginChallenge) error {
	if c.TokenHash.IsZero() || c.UserID == 0 || c.ExpiresAt.IsZero() {
		return paradero.Errorf(paradero.EINVALID, "a login challenge needs a token hash, a user and an expiry")
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.timestamp()
	}
	c.CreatedAt, c.ExpiresAt = paradero.Timestamp(c.CreatedAt), paradero.Timestamp(c.ExpiresAt)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: create login challenge: %w", err)
	}
	defer tx.Rollback()
	if ok, err := userExists(ctx, tx, c.UserID); err != nil {
		return fmt.Errorf("sqlite: create login challenge: %w", err)
	} else if !ok {
		return notFound("user", c.UserID)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_challenges WHERE expires_at <= ?`, c.CreatedAt.UnixMicro()); err != nil {
		return fmt.Errorf("sqlite: create login challenge: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO login_challenges (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		c.TokenHash[:], c.UserID, c.CreatedAt.UnixMicro(), c.ExpiresAt.UnixMicro())
	if isUniqueViolation(err) {
		return paradero.Errorf(paradero.ECONFLICT, "login challenge token in use")
	}
	if err != nil {
		return fmt.Errorf("sqlite: create login challenge: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: create login challenge: %w", err)
	}
	return nil
}

// FindLoginChallenge returns a live challenge and its user; ENOTFOUND if
// none, expired, or its user is disabled.
func (s *DB) FindLoginChallenge(ctx context.Context, tokenHash paradero.Hash, now time.Time) (*paradero.LoginChallenge, *paradero.User, error) {
	var c paradero.LoginChallenge
	var th []byte
	var created, expires int64
	u, err := scanUser(scanFunc(func(dest ...any) error {
		return s.db.QueryRowContext(ctx, `SELECT c.token_hash, c.user_id, c.created_at, c.expires_at, `+
			prefixed("u.", userColumns)+` FROM login_challenges c JOIN users u ON u.id = c.user_id
			WHERE c.token_hash = ? AND c.expires_at > ? AND u.disabled = 0`, tokenHash[:], paradero.Timestamp(now).UnixMicro()).
			Scan(append([]any{&th, &c.UserID, &created, &expires}, dest...)...)
	}))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, paradero.Errorf(paradero.ENOTFOUND, "no such login challenge")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: find login challenge: %w", err)
	}
	if c.TokenHash, err = hashFrom(th); err != nil {
		return nil, nil, fmt.Errorf("sqlite: find login challenge: %w", err)
	}
	c.CreatedAt, c.ExpiresAt = fromMicros(created), fromMicros(expires)
	return &c, u, nil
}

// DeleteLoginChallenge removes one challenge; a missing one is not an
// error.
func (s *DB) DeleteLoginChallenge(ctx context.Context, tokenHash paradero.Hash) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM login_challenges WHERE token_hash = ?`, tokenHash[:]); err != nil {
		return fmt.Errorf("sqlite: delete login challenge: %w", err)
	}
	return nil
}
