package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paradero/paradero"
)

var _ paradero.APITokenService = (*DB)(nil)

const apiTokenColumns = `id, token_hash, user_id, name, created_at, created_by, expires_at, last_used_at, revoked_at`

// apiTokenRow is the scan target of apiTokenColumns.
type apiTokenRow struct {
	t             paradero.APIToken
	hash          []byte
	used, revoked *time.Time
}

func (r *apiTokenRow) dest() []any {
	return []any{&r.t.ID, &r.hash, &r.t.UserID, &r.t.Name, &r.t.CreatedAt, &r.t.CreatedBy, &r.t.ExpiresAt, &r.used, &r.revoked}
}

func (r *apiTokenRow) token() (*paradero.APIToken, error) {
	t := r.t
	h, err := hashFrom(r.hash)
	if err != nil {
		return nil, err
	}
	t.TokenHash = h
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC()
	t.LastUsedAt, t.RevokedAt = optTime(r.used), optTime(r.revoked)
	return &t, nil
}

// optTime reads a nullable time, NULL meaning never.
func optTime(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.UTC()
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = paradero.Timestamp(t)
	return &t
}

func scanAPIToken(row pgx.Row) (*paradero.APIToken, error) {
	var r apiTokenRow
	if err := row.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.token()
}

// CreateAPIToken stores t. EINVALID, ENOTFOUND for no such user,
// ECONFLICT for a hash in use. Both are looked up before the insert, so a
// refused token consumes no id and ids stay dense, as in package sqlite.
func (s *DB) CreateAPIToken(ctx context.Context, t *paradero.APIToken) error {
	const op = "postgres.CreateAPIToken"
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.timestamp()
	}
	t.CreatedAt, t.ExpiresAt = paradero.Timestamp(t.CreatedAt), paradero.Timestamp(t.ExpiresAt)
	if err := t.Validate(); err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return internal(op, err)
	}
	defer tx.Rollback(ctx)
	var user, taken bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1),
		EXISTS (SELECT 1 FROM api_tokens WHERE token_hash = $2)`, t.UserID, t.TokenHash[:]).Scan(&user, &taken); err != nil {
		return internal(op, err)
	}
	conflict := paradero.Errorf(paradero.ECONFLICT, "API token hash in use")
	switch {
	case !user:
		return notFound("user", t.UserID)
	case taken:
		return conflict
	}
	err = tx.QueryRow(ctx, `INSERT INTO api_tokens (token_hash, user_id, name, created_at, created_by, expires_at, last_used_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, t.TokenHash[:], t.UserID, t.Name, t.CreatedAt, t.CreatedBy,
		t.ExpiresAt, nullTime(t.LastUsedAt), nullTime(t.RevokedAt)).Scan(&t.ID)
	if isUniqueViolation(err) {
		return conflict
	}
	if isForeignKeyViolation(err) {
		return notFound("user", t.UserID)
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
	return nil
}

// FindAPITokenByHash returns the live token with this hash and its user;
// ENOTFOUND if none, revoked, expired, or its user is disabled.
func (s *DB) FindAPITokenByHash(ctx context.Context, tokenHash paradero.Hash, now time.Time) (*paradero.APIToken, *paradero.User, error) {
	var (
		r    apiTokenRow
		u    paradero.User
		role string
	)
	err := s.pool.QueryRow(ctx, `SELECT `+prefixed("t.", apiTokenColumns)+`, `+prefixed("u.", userColumns)+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND NOT u.disabled`,
		tokenHash[:], paradero.Timestamp(now)).Scan(append(r.dest(), userDest(&u, &role)...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, paradero.Errorf(paradero.ENOTFOUND, "no such API token")
	}
	if err != nil {
		return nil, nil, internal("postgres.FindAPITokenByHash", err)
	}
	t, err := r.token()
	if err != nil {
		return nil, nil, err
	}
	finishUser(&u, role)
	return t, &u, nil
}

// FindAPITokenByID returns a token whatever its state. ENOTFOUND.
func (s *DB) FindAPITokenByID(ctx context.Context, id int64) (*paradero.APIToken, error) {
	t, err := scanAPIToken(s.pool.QueryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("API token", id)
	}
	if err != nil {
		return nil, internal("postgres.FindAPITokenByID", err)
	}
	return t, nil
}

// FindAPITokens returns a page of tokens, newest first, and the total,
// from one snapshot.
func (s *DB) FindAPITokens(ctx context.Context, f paradero.APITokenFilter) ([]*paradero.APIToken, int, error) {
	const op = "postgres.FindAPITokens"
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, internal(op, err)
	}
	defer tx.Rollback(ctx)
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM api_tokens WHERE ($1 = 0 OR user_id = $1)`, f.UserID).Scan(&total); err != nil {
		return nil, 0, internal(op, err)
	}
	rows, err := tx.Query(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE ($1 = 0 OR user_id = $1)
		ORDER BY id DESC LIMIT $2 OFFSET $3`, f.UserID, pageLimit(f.Limit), max(f.Offset, 0))
	if err != nil {
		return nil, 0, internal(op, err)
	}
	var (
		r   apiTokenRow
		out []*paradero.APIToken
	)
	if _, err := pgx.ForEachRow(rows, r.dest(), func() error {
		t, err := r.token()
		if err != nil {
			return err
		}
		out = append(out, t)
		return nil
	}); err != nil {
		return nil, 0, internal(op, err)
	}
	return out, total, nil
}

// TouchAPIToken sets LastUsedAt. ENOTFOUND if none.
func (s *DB) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, paradero.Timestamp(at), id)
	if err != nil {
		return internal("postgres.TouchAPIToken", err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("API token", id)
	}
	return nil
}

// RevokeAPIToken sets RevokedAt unless it is set already, and returns the
// token. ENOTFOUND.
func (s *DB) RevokeAPIToken(ctx context.Context, id int64, at time.Time) (*paradero.APIToken, error) {
	const op = "postgres.RevokeAPIToken"
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, internal(op, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`,
		paradero.Timestamp(at), id); err != nil {
		return nil, internal(op, err)
	}
	t, err := scanAPIToken(tx.QueryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("API token", id)
	}
	if err != nil {
		return nil, internal(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, internal(op, err)
	}
	return t, nil
}
