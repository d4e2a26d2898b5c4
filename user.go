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
	// PermViewCases: list and read cases. Who holds PermManageCases sees
	// every case; anyone else only the cases they are assigned to, and
	// then also the people those cases concern: their person pages,
	// records, proofs and dossiers (web/access.go applies the rule).
	PermViewCases Permission = "cases.view"
	// PermEditCases: open cases and change their facts, hearings,
	// deadlines and court orders, within the cases one sees. A lawyer who
	// opens a case is assigned to it.
	PermEditCases Permission = "cases.edit"
	// PermManageCases: see and edit every case, link people to cases,
	// assign lawyers and cite sources: the changes of who may see whom.
	PermManageCases Permission = "cases.manage"
	// PermViewViolations: read recorded violations: every one with
	// PermManageCases, else those against the people of one's cases.
	PermViewViolations Permission = "violations.view"
	// PermRecordViolations: record violations and change them.
	PermRecordViolations Permission = "violations.record"
	// PermFileTracing: file tracing requests and read one's own (a
	// family member never browses or searches anything else).
	PermFileTracing Permission = "tracing.file"
	// PermHandleTracing: read every tracing request, verify requesters,
	// search for and decide on candidates, answer and close requests.
	PermHandleTracing Permission = "tracing.handle"
)

// Can reports whether an actor with role r holds permission p. This is the
// whole access policy; least privilege: a role holds only what it lists.
// Lawyers do not browse evidence: they see their cases and the people of
// their cases (PermViewCases), nothing else. Family members file tracing requests and
// read their own, and otherwise see only what the public sees.
func (r Role) Can(p Permission) bool {
	switch p {
	case PermViewStatistics:
		return r.Valid()
	case PermViewDashboard:
		return r == RoleAdmin || r == RoleDocumenter || r == RoleLawyer
	case PermBrowseEvidence:
		return r == RoleAdmin || r == RoleDocumenter
	case PermViewCases, PermEditCases, PermViewViolations:
		return r == RoleAdmin || r == RoleDocumenter || r == RoleLawyer
	case PermManageCases, PermRecordViolations:
		return r == RoleAdmin || r == RoleDocumenter
	case PermReadAudit, PermManageUsers:
		return r == RoleAdmin
	case PermFileTracing:
		return r == RoleFamily
	case PermHandleTracing:
		return r == RoleAdmin || r == RoleDocumenter
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

// Audit actions of two-factor sign-in. Object names the user concerned.
const (
	AuditTwoFactorEnable     = "twofactor.enable"             // a second factor was confirmed (first or replacing one)
	AuditTwoFactorDisable    = "twofactor.disable"            // the user turned two-factor sign-in off
	AuditTwoFactorReset      = "twofactor.reset"              // an administrator removed a user's second factor
	AuditRecoveryCodesNew    = "twofactor.recovery-codes"     // a new set of recovery codes replaced the old one
	AuditRecoveryCodeUsed    = "twofactor.recovery-code-used" // a recovery code was spent
	AuditTwoFactorFailed     = "session.twofactor-failed"     // a wrong or replayed code at sign-in
	AuditTwoFactorReauthFail = "twofactor.check-failed"       // a wrong code when confirming a change
)

// TwoFactorRequired reports whether users of role r must enrol a second
// factor where the policy asks for it (paradero serve, by default): staff
// and lawyers, who see people's records. Family members and the public may
// enrol.
func (r Role) TwoFactorRequired() bool {
	return r == RoleAdmin || r == RoleDocumenter || r == RoleLawyer
}

// TwoFactorEnabled reports whether u signs in with a second factor.
func (u *User) TwoFactorEnabled() bool { return len(u.TOTPSecret) > 0 }

// MinTOTPSecretLength is the shortest TOTP secret a store accepts, in bytes:
// 160 bits, the length RFC 4226 §4 (R6) recommends.
const MinTOTPSecretLength = 20

// TwoFactor is a user's two-factor state beyond User.TOTPSecret, which
// holds the confirmed secret.
type TwoFactor struct {
	UserID int64
	// PendingSecret is a secret made and shown for enrolment but not yet
	// confirmed by a code; it signs no one in.
	PendingSecret []byte
	// LastStep is the RFC 6238 time step of the last code accepted. A code
	// of that step or an earlier one is refused, so no code works twice
	// (RFC 6238 §5.2).
	LastStep int64
	// RecoveryCodes is how many unused recovery codes are left.
	RecoveryCodes int
	// EnabledAt is when the current secret was confirmed; zero if none.
	EnabledAt time.Time
}

// LoginChallenge is a sign-in half done: the password was right and the
// second factor is still to come. It is not a session and grants nothing;
// the browser holds a random token, the store only its SHA-256.
type LoginChallenge struct {
	TokenHash Hash
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// TwoFactorService keeps the state of two-factor sign-in. Like UserService
// it stores and does not decide: the web server checks codes and hashes
// recovery codes; the store keeps only their SHA-256 and makes each
// single-use.
type TwoFactorService interface {
	// FindTwoFactor returns the user's state; a user who never began
	// enrolling has the zero state. ENOTFOUND if there is no such user.
	FindTwoFactor(ctx context.Context, userID int64) (*TwoFactor, error)
	// SetPendingTOTPSecret keeps secret as the user's pending one,
	// replacing any. ENOTFOUND, EINVALID if shorter than
	// MinTOTPSecretLength.
	SetPendingTOTPSecret(ctx context.Context, userID int64, secret []byte) error
	// EnableTwoFactor, in one transaction, makes the pending secret the
	// user's TOTPSecret, records step as the last one used, replaces
	// every recovery code with codes, and revokes every session of the
	// user but keep (the zero Hash keeps none) and every login challenge.
	// ECONFLICT if the pending secret is not secret (another page made a
	// newer one), EINVALID if codes is empty, ENOTFOUND.
	EnableTwoFactor(ctx context.Context, userID int64, secret []byte, step int64, codes []Hash, keep Hash) error
	// DisableTwoFactor removes the secret, the pending one, the recovery
	// codes and the last step, and revokes every session of the user but
	// keep (the zero Hash keeps none) and every login challenge. It returns
	// how many sessions it revoked. ENOTFOUND.
	DisableTwoFactor(ctx context.Context, userID int64, keep Hash) (int, error)
	// ReplaceRecoveryCodes replaces every recovery code of the user with
	// codes and revokes every session but keep. ENOTFOUND; ECONFLICT if
	// the user has no second factor; EINVALID if codes is empty.
	ReplaceRecoveryCodes(ctx context.Context, userID int64, codes []Hash, keep Hash) error
	// UseTOTPStep records step as the last accepted one if it is later
	// than the one recorded. ECONFLICT if it is not (a replayed code, or
	// an older one after a newer); ENOTFOUND if the user has no second
	// factor. Of two calls at once with the same step, one succeeds.
	UseTOTPStep(ctx context.Context, userID int64, step int64) error
	// UseRecoveryCode spends the user's unused recovery code with this
	// hash. ENOTFOUND if there is none; of two calls at once, one succeeds.
	UseRecoveryCode(ctx context.Context, userID int64, code Hash) error
	// CreateLoginChallenge stores c, removing expired challenges.
	// EINVALID if a field is missing, ENOTFOUND if the user does not
	// exist, ECONFLICT if the token hash is taken.
	CreateLoginChallenge(ctx context.Context, c *LoginChallenge) error
	// FindLoginChallenge returns the challenge with this token hash and
	// its user. ENOTFOUND if there is none, it has expired at now, or its
	// user is disabled: all three look alike.
	FindLoginChallenge(ctx context.Context, tokenHash Hash, now time.Time) (*LoginChallenge, *User, error)
	// DeleteLoginChallenge removes one challenge; a missing one is not an
	// error.
	DeleteLoginChallenge(ctx context.Context, tokenHash Hash) error
}
