package paradero

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"
)

// APIToken is a credential for the JSON API: a random secret that a
// program sends as "Authorization: Bearer SECRET" to act as the token's
// user, with that user's role at the time of each call (a demoted or
// disabled user's tokens lose their power with them). The store keeps only
// the secret's SHA-256, so a copy of the database authenticates no one;
// the secret is shown once, when the token is made.
//
// A token is made by its user or by an administrator, always with an
// expiry; it is revoked, never deleted, so the list of tokens says who
// could act when.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string // what the token is for, as its maker put it ("nightly import")
	TokenHash  Hash   // APITokenHash of the secret
	CreatedAt  time.Time
	CreatedBy  string    // the actor who made it, as the audit log names actors: "user:3", "cli:ana"
	ExpiresAt  time.Time // required, at most MaxAPITokenLifetime after CreatedAt
	LastUsedAt time.Time // zero until first used; kept to the nearest few minutes
	RevokedAt  time.Time // zero while the token is in force
}

// Audit actions of API tokens: making and revoking one changes who may
// act, so both are audited (the object is "api-token:ID").
const (
	AuditAPITokenCreate = "api-token.create"
	AuditAPITokenRevoke = "api-token.revoke"
)

// APITokenPrefix starts every secret, so that secret scanners and people
// reading a configuration file recognise one.
const APITokenPrefix = "pdr_"

// MaxAPITokenLifetime bounds a token's life: a forgotten token stops
// working within a year at most.
const MaxAPITokenLifetime = 366 * 24 * time.Hour

// maxAPITokenName bounds a token's name.
const maxAPITokenName = 100

// NewAPITokenSecret returns a fresh secret: APITokenPrefix and 256 random
// bits in base64url.
func NewAPITokenSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return APITokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// NewAPIToken makes a token for user userID, named name, made by the actor
// named by at now and living for life, and returns it with its secret,
// which is shown once and never stored. The caller stores the token.
func NewAPIToken(userID int64, name, by string, now time.Time, life time.Duration) (*APIToken, string) {
	secret := NewAPITokenSecret()
	now = Timestamp(now)
	return &APIToken{UserID: userID, Name: strings.TrimSpace(name), TokenHash: APITokenHash(secret),
		CreatedAt: now, CreatedBy: by, ExpiresAt: now.Add(life)}, secret
}

// APITokenHash returns the hash the store keeps of secret.
func APITokenHash(secret string) Hash { return Hash(sha256.Sum256([]byte(secret))) }

// Active reports whether the token is in force at now: not revoked and not
// expired. (Its user being disabled also stops it; the store checks that.)
func (t *APIToken) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && now.Before(t.ExpiresAt)
}

// Validate checks a token before it is stored. EINVALID names the field.
func (t *APIToken) Validate() error {
	switch {
	case t.UserID <= 0:
		return Errorf(EINVALID, "an API token needs a user")
	case t.TokenHash.IsZero():
		return Errorf(EINVALID, "an API token needs a token hash")
	case strings.TrimSpace(t.Name) == "":
		return Errorf(EINVALID, "an API token needs a name")
	case !utf8.ValidString(t.Name) || len(t.Name) > maxAPITokenName || strings.ContainsAny(t.Name, "\x00\r\n"):
		return Errorf(EINVALID, "an API token's name is one line of at most %d bytes", maxAPITokenName)
	case t.CreatedBy == "" || len(t.CreatedBy) > 64 || !utf8.ValidString(t.CreatedBy) || strings.ContainsAny(t.CreatedBy, "\x00\r\n"):
		return Errorf(EINVALID, "an API token needs the actor who made it")
	case t.CreatedAt.IsZero():
		return Errorf(EINVALID, "an API token needs its time of making")
	case !t.ExpiresAt.After(t.CreatedAt):
		return Errorf(EINVALID, "an API token must expire after it is made")
	case t.ExpiresAt.Sub(t.CreatedAt) > MaxAPITokenLifetime:
		return Errorf(EINVALID, "an API token lives at most %d days", int(MaxAPITokenLifetime/(24*time.Hour)))
	}
	return nil
}

// APITokenFilter selects API tokens. Zero fields select everything.
type APITokenFilter struct {
	UserID int64
	Offset int
	Limit  int // 0 means a default page of 100
}

// APITokenService keeps API tokens. Like UserService it stores; it does
// not decide who may call it (the web server and the command line do).
type APITokenService interface {
	// CreateAPIToken stores t; the store sets ID, and CreatedAt when it is
	// zero (before validating). EINVALID (from Validate), ENOTFOUND if the
	// user does not exist, ECONFLICT if the hash is taken.
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// FindAPITokenByHash returns the token with this hash and its user.
	// ENOTFOUND if there is none, it is revoked or expired at now, or its
	// user is disabled: all four must look alike to the caller.
	FindAPITokenByHash(ctx context.Context, tokenHash Hash, now time.Time) (*APIToken, *User, error)
	// FindAPITokenByID returns a token whatever its state. ENOTFOUND.
	FindAPITokenByID(ctx context.Context, id int64) (*APIToken, error)
	// FindAPITokens returns a page of tokens, newest first, revoked and
	// expired ones included, and the total.
	FindAPITokens(ctx context.Context, f APITokenFilter) ([]*APIToken, int, error)
	// TouchAPIToken sets LastUsedAt. ENOTFOUND if there is no such token.
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
	// RevokeAPIToken sets RevokedAt to at, unless the token is revoked
	// already (revoking twice changes nothing), and returns the token as
	// stored. ENOTFOUND.
	RevokeAPIToken(ctx context.Context, id int64, at time.Time) (*APIToken, error)
}
