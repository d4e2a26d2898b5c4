package paradero

import (
	"context"
	"strings"
	"time"
)

// Audit actions. An action is a lower-case dotted word; the list grows with
// what is audited.
const (
	AuditRecordView     = "record.view"     // a record's content was shown
	AuditSourceView     = "source.view"     // a source's page (its records' names) was shown
	AuditSourceDownload = "source.download" // a source's original file was downloaded
	AuditProofDownload  = "proof.download"  // a ledger proof was downloaded
	AuditLogin          = "session.login"
	AuditLogout         = "session.logout"
	AuditLoginFailed    = "session.login-failed" // Object names the user when the address is known
	AuditUserCreate     = "user.create"
	AuditUserUpdate     = "user.update"
)

// AuditEntry says who did what to which object, and when. It holds ids
// only — never a name, an e-mail address or any other personal content —
// so the log can be read, kept and handed over without exposing anyone.
type AuditEntry struct {
	ID        int64
	Time      time.Time
	ActorID   int64  // the user's ID; 0 for a local operator or nobody
	ActorName string // Actor.Name: "user:12", "cli:root", "public"
	ActorRole Role
	Action    string // one of the Audit* actions
	Object    string // "record:42", "source:7", "user:3", "ledger:118"; may be empty
}

// NewAuditEntry returns the entry for the actor in ctx doing action on
// object, at the time the store records.
func NewAuditEntry(ctx context.Context, action, object string) *AuditEntry {
	a := ActorFromContext(ctx)
	return &AuditEntry{ActorID: a.UserID, ActorName: a.Name, ActorRole: a.Role, Action: action, Object: object}
}

// Validate checks that the entry carries ids only: an action of lower-case
// letters, dots and hyphens; an object "kind:decimal id" (or empty); an
// actor name "user:ID", "cli", "cli:LOGIN" or "public". EINVALID otherwise.
func (e *AuditEntry) Validate() error {
	if e.Action == "" || !allIn(e.Action, "abcdefghijklmnopqrstuvwxyz.-") || len(e.Action) > 64 {
		return Errorf(EINVALID, "audit action %q is not a lower-case dotted word", e.Action)
	}
	if e.Object != "" {
		kind, id, ok := strings.Cut(e.Object, ":")
		if !ok || kind == "" || id == "" || !allIn(kind, "abcdefghijklmnopqrstuvwxyz-") || !allIn(id, "0123456789") || len(e.Object) > 64 {
			return Errorf(EINVALID, "audit object %q is not kind:id", e.Object)
		}
	}
	kind, rest, hasRest := strings.Cut(e.ActorName, ":")
	switch {
	case kind == "user" && hasRest && rest != "" && allIn(rest, "0123456789"):
	case kind == "cli" && (!hasRest || rest != "" && len(rest) <= 64 && allIn(rest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")):
	case e.ActorName == "public":
	default:
		return Errorf(EINVALID, "audit actor %q is not user:ID, cli[:LOGIN] or public", e.ActorName)
	}
	if e.ActorRole != "" && !e.ActorRole.Valid() {
		return Errorf(EINVALID, "audit actor role %q is not a role", e.ActorRole)
	}
	return nil
}

// allIn reports whether every character of s is in set.
func allIn(s, set string) bool { return strings.Trim(s, set) == "" }

// AuditFilter selects audit entries. Zero fields select everything.
type AuditFilter struct {
	ActorID int64
	Action  string
	Object  string
	Offset  int
	Limit   int // 0 means a default page of 100
}

// AuditService keeps the audit log. The log is append-only: there is no
// method to change or remove an entry, and stores refuse to.
type AuditService interface {
	// CreateAuditEntry appends e; the store sets ID and Time. EINVALID
	// (from Validate).
	CreateAuditEntry(ctx context.Context, e *AuditEntry) error
	// FindAuditEntries returns a page of entries, newest first, and the
	// total.
	FindAuditEntries(ctx context.Context, f AuditFilter) ([]*AuditEntry, int, error)
}
