package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/paradero/paradero"
)

var _ paradero.APITokenService = (*DB)(nil)

const apiTokenColumns = `id, token_hash, user_id, name, created_at, created_by, expires_at, last_used_at, revoked_at`

func scanAPIToken(sc interface{ Scan(...any) error }) (*paradero.APIToken, error) {
	var t paradero.APIToken
	var th []byte
	var created, expires, used, revoked int64
	if err := sc.Scan(&t.ID, &th, &t.UserID, &t.Name, &created, &t.CreatedBy, &expires, &used, &revoked); err != nil {
		return nil, err
	}
	h, err := hashFrom(th)
	if err != nil {
		return nil, err
	}
	t.TokenHash = h
	t.CreatedAt, t.ExpiresAt = fromMicros(created), fromMicros(expires)
	t.LastUsedAt, t.RevokedAt = optMicros(used), optMicros(revoked)
	return &t, nil
}

// optMicros reads a time kept as Unix microseconds where 0 means never.
func optMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return paradero.Timestamp(t).UnixMicro()
}

// CreateAPIToken stores t. EINVALID, ENOTFOUND for no such user,
// ECONFLICT for a hash in use.
func (s *DB) CreateAPIToken(ctx context.Context, t *paradero.APIToken) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.timestamp()
	}
	t.CreatedAt, t.ExpiresAt = paradero.Timestamp(t.CreatedAt), paradero.Timestamp(t.ExpiresAt)
	if err := t.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: create API token: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = ?`, t.UserID).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: create API token: %w", err)
	}
	if n == 0 {
		return notFound("user", t.UserID)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (token_hash, user_id, name, created_at, created_by, expires_at, last_used_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, t.TokenHash[:], t.UserID, t.Name, t.CreatedAt.UnixMicro(), t.CreatedBy,
		t.ExpiresAt.UnixMicro(), micros(t.LastUsedAt), micros(t.RevokedAt))
	if isUniqueViolation(err) {
		return paradero.Errorf(paradero.ECONFLICT, "API token hash in use")
	}
	if err != nil {
		return fmt.Errorf("sqlite: create API token: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("sqlite: create API token: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: create API token: %w", err)
	}
	t.ID = id
	return nil
}

// FindAPITokenByHash returns the live token with this hash and its user;
// ENOTFOUND if none, revoked, expired, or its user is disabled.
func (s *DB) FindAPITokenByHash(ctx context.Context, tokenHash paradero.Hash, now time.Time) (*paradero.APIToken, *paradero.User, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+prefixed("t.", apiTokenColumns)+`, `+prefixed("u.", userColumns)+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = ? AND t.revoked_at = 0 AND t.expires_at > ? AND u.disabled = 0`,
		tokenHash[:], paradero.Timestamp(now).UnixMicro())
	// One row holds both: the token's columns, then the user's.
	var t *paradero.APIToken
	u, err := scanUser(scanFunc(func(userDest ...any) error {
		var err error
		t, err = scanAPIToken(scanFunc(func(tokenDest ...any) error { return row.Scan(append(tokenDest, userDest...)...) }))
		return err
	}))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, paradero.Errorf(paradero.ENOTFOUND, "no such API token")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: find API token: %w", err)
	}
	return t, u, nil
}

// FindAPITokenByID returns a token whatever its state. ENOTFOUND.
func (s *DB) FindAPITokenByID(ctx context.Context, id int64) (*paradero.APIToken, error) {
	t, err := scanAPIToken(s.db.QueryRowContext(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("API token", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: find API token %d: %w", id, err)
	}
	return t, nil
}

// FindAPITokens returns a page of tokens, newest first, and the total.
func (s *DB) FindAPITokens(ctx context.Context, f paradero.APITokenFilter) ([]*paradero.APIToken, int, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: find API tokens: %w", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens WHERE (? = 0 OR user_id = ?)`,
		f.UserID, f.UserID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count API tokens: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE (? = 0 OR user_id = ?)
		ORDER BY id DESC LIMIT ? OFFSET ?`, f.UserID, f.UserID, pageLimit(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: find API tokens: %w", err)
	}
	defer rows.Close()
	var out []*paradero.APIToken
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: find API tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, total, rows.Err()
}

// TouchAPIToken sets LastUsedAt. ENOTFOUND if none.
func (s *DB) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`,
		paradero.Timestamp(at).UnixMicro(), id)
	if err != nil {
		return fmt.Errorf("sqlite: touch API token: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: touch API token: %w", err)
	} else if n == 0 {
		return notFound("API token", id)
	}
	return nil
}

// RevokeAPIToken sets RevokedAt unless it is set already, and returns the
// token. ENOTFOUND.
func (s *DB) RevokeAPIToken(ctx context.Context, id int64, at time.Time) (*paradero.APIToken, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite: revoke API token: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0`,
		paradero.Timestamp(at).UnixMicro(), id); err != nil {
		return nil, fmt.Errorf("sqlite: revoke API token %d: %w", id, err)
	}
	t, err := scanAPIToken(tx.QueryRowContext(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("API token", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: revoke API token %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite: revoke API token %d: %w", id, err)
	}
	return t, nil
}
