package paradero

import (
	"context"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Languages are the languages Paradero speaks, Spanish first: most of the
// people it serves speak it.
var Languages = []string{"es", "en"}

// ValidLanguage reports whether lang is one of Languages.
func ValidLanguage(lang string) bool {
	for _, l := range Languages {
		if lang == l {
			return true
		}
	}
	return false
}

// Roles lists every role, most powerful first, in the order a form offers
// them.
var Roles = []Role{RoleAdmin, RoleDocumenter, RoleLawyer, RoleFamily, RolePublic}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// Permission is one thing an actor may be allowed to do.
type Permission string

const (
	// PermViewStatistics: aggregate figures with small cells suppressed.
	PermViewStatistics Permission = "statistics.view"
	// PermViewDashboard: the staff dashboard's store-wide counts.
	PermViewDashboard Permission = "dashboard.view"
	// PermBrowseEvidence: list and read sources and records, download
	// source files and proofs. Every read is audited.
	PermBrowseEvidence Permission = "evidence.browse"
	// PermReadAudit: read the audit log.
	PermReadAudit Permission = "audit.read"
	// PermManageUsers: create accounts and change their role.
	PermManageUsers Permission = "users.manage"
)

// Can reports whether an actor with role r holds permission p. This is the
// whole access policy; least privilege: a role holds only what it lists.
// Lawyers will see the people of their cases and family members their own
// tracing requests once those exist; until then neither browses evidence,
// and family members see only what the public sees.
func (r Role) Can(p Permission) bool {
	switch p {
	case PermViewStatistics:
		return r.Valid()
	case PermViewDashboard:
		return r == RoleAdmin || r == RoleDocumenter || r == RoleLawyer
	case PermBrowseEvidence:
		return r == RoleAdmin || r == RoleDocumenter
	case PermReadAudit, PermManageUsers:
		return r == RoleAdmin
	}
	return false
}

// Can reports whether the actor holds permission p.
func (a Actor) Can(p Permission) bool { return a.Role.Can(p) }

// User is a person who signs in. Email, Name and the hashes are personal
// data: they are shown to administrators and to the user, and never logged
// or audited (the audit log names users by ID).
type User struct {
	ID       int64
	Email    string // unique, compared case-insensitively; stored lower-cased
	Name     string
	Role     Role
	Language string // one of Languages: the pages' language once signed in

	// PasswordHash is an argon2id hash in the PHC string format
	// ("$argon2id$v=19$m=…,t=…,p=…$salt$hash"); never the password.
	PasswordHash string
	// TOTPSecret is the second factor's shared secret; empty until
	// two-factor sign-in is enrolled.
	TOTPSecret []byte

	Disabled  bool // a disabled user cannot sign in; their sessions are revoked
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Actor returns the user as the actor of a request.
func (u *User) Actor() Actor {
	return Actor{UserID: u.ID, Name: UserActorName(u.ID), Role: u.Role}
}

// UserActorName is how the audit log and the evidence store name a signed-in
// user: by ID, never by name or e-mail.
func UserActorName(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// NormalizeEmail returns the form an e-mail address is stored and looked up
// in: trimmed and lower-cased.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Validate checks a user before it is stored. EINVALID names the field.
func (u *User) Validate() error {
	if u.Email == "" {
		return Errorf(EINVALID, "email is required")
	}
	if u.Email != NormalizeEmail(u.Email) {
		return Errorf(EINVALID, "email must be trimmed and lower-case")
	}
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email || len(u.Email) > 254 {
		return Errorf(EINVALID, "email is not a valid address")
	}
	if strings.TrimSpace(u.Name) == "" {
		return Errorf(EINVALID, "name is required")
	}
	if !utf8.ValidString(u.Name) || len(u.Name) > 200 || strings.ContainsAny(u.Name, "\x00\r\n") {
		return Errorf(EINVALID, "name must be one line of at most 200 bytes")
	}
	if !u.Role.Valid() {
		return Errorf(EINVALID, "role %q is not one of admin, documenter, lawyer, family, public", u.Role)
	}
	if !ValidLanguage(u.Language) {
		return Errorf(EINVALID, "language %q is not es or en", u.Language)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		return Errorf(EINVALID, "password hash is not an argon2id hash")
	}
	return nil
}

// UserFilter selects users. Zero fields select everything.
type UserFilter struct {
	Role   Role
	Offset int
	Limit  int // 0 means a default page of 100
}

// UserUpdate changes a user; nil fields stay as they are.
type UserUpdate struct {
	Name         *string
	Role         *Role
	Language     *string
	PasswordHash *string
	TOTPSecret   *[]byte
	Disabled     *bool
}

// UserService keeps user accounts. It stores; it does not decide who may
// call it (the web server and the command line do, through Role.Can).
type UserService interface {
	// FindUserByID returns ENOTFOUND if there is no such user.
	FindUserByID(ctx context.Context, id int64) (*User, error)
	// FindUserByEmail looks the address up case-insensitively. ENOTFOUND if
	// no user has it.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// FindUsers returns a page of users in ID order, and the total.
	FindUsers(ctx context.Context, f UserFilter) ([]*User, int, error)
	// CreateUser stores u, normalising its e-mail address; the store sets
	// ID, CreatedAt and UpdatedAt. EINVALID (from Validate), ECONFLICT if
	// the address is taken.
	CreateUser(ctx context.Context, u *User) error
	// UpdateUser applies upd and returns the user as stored. ENOTFOUND,
	// EINVALID. Changing the password hash or disabling the user revokes
	// every session of theirs in the same transaction.
	UpdateUser(ctx context.Context, id int64, upd UserUpdate) (*User, error)
}

// Session is a signed-in browser. The cookie holds a random token; the store
// keeps only its SHA-256, so a copy of the database signs no one in.
type Session struct {
	TokenHash  Hash
	UserID     int64
	CSRFToken  string // bound to the session; forms carry it
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
}

// SessionService keeps sessions.
type SessionService interface {
	// CreateSession stores s. EINVALID if a field is missing, ENOTFOUND if
	// the user does not exist, ECONFLICT if the token hash is taken.
	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns the session with this token hash and its user.
	// ENOTFOUND if there is none, it has expired at now, or its user is
	// disabled: all three must look alike to the caller.
	FindSession(ctx context.Context, tokenHash Hash, now time.Time) (*Session, *User, error)
	// TouchSession sets LastSeenAt. ENOTFOUND if there is no such session.
	TouchSession(ctx context.Context, tokenHash Hash, at time.Time) error
	// DeleteSession revokes one session; revoking a missing one is not an
	// error (logging out twice is fine).
	DeleteSession(ctx context.Context, tokenHash Hash) error
	// DeleteUserSessions revokes every session of a user and returns how
	// many there were.
	DeleteUserSessions(ctx context.Context, userID int64) (int, error)
	// DeleteExpiredSessions removes sessions expired at now and returns how
	// many.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
}
