package paradero

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// FollowKind says what a follow watches.
type FollowKind string

const (
	FollowPerson   FollowKind = "person"   // a person of the store (a cluster of records)
	FollowWatch    FollowKind = "watch"    // a watch entry: a person as a locator watch knows them, by its key
	FollowCase     FollowKind = "case"     // a case: the notices about every person it concerns
	FollowFacility FollowKind = "facility" // everyone moved into, out of or held at a facility
)

// Follow says that a user wants to hear of changes to an object. Object
// is an id (person, case), a watch key, or a facility name folded by
// FacilityKey.
type Follow struct {
	ID        int64
	UserID    int64
	Kind      FollowKind
	Object    string
	CreatedAt time.Time
}

// Subject returns the follow's object as notices name it: "person:12",
// "watch:w1", "facility:EL VALLE".
func (f *Follow) Subject() string { return string(f.Kind) + ":" + f.Object }

// ParseFollowTarget reads what the command line and forms accept: a bare
// number or "person:ID" (a person), "watch:KEY", "case:ID" or
// "facility:NAME". EINVALID otherwise.
func ParseFollowTarget(s string) (FollowKind, string, error) {
	s = strings.TrimSpace(s)
	kind, obj, ok := strings.Cut(s, ":")
	if !ok {
		kind, obj = string(FollowPerson), s
	}
	f := &Follow{Kind: FollowKind(kind), Object: obj}
	if f.Kind == FollowFacility {
		f.Object = FacilityKey(obj)
	}
	if err := f.validateObject(); err != nil {
		return "", "", err
	}
	return f.Kind, f.Object, nil
}

// FacilityKey folds a facility name the way follows and notices compare
// it: trimmed, upper-case, runs of spaces as one.
func FacilityKey(name string) string { return strings.Join(strings.Fields(strings.ToUpper(name)), " ") }

func (f *Follow) validateObject() error {
	switch f.Kind {
	case FollowPerson, FollowCase:
		if id, err := strconv.ParseInt(f.Object, 10, 64); err != nil || id <= 0 {
			return Errorf(EINVALID, "a %s is followed by its numeric id, not %q", f.Kind, f.Object)
		}
	case FollowWatch:
		if f.Object == "" || len(f.Object) > 64 || strings.ContainsAny(f.Object, " \t\r\n\x00") {
			return Errorf(EINVALID, "a watch key is one word of at most 64 bytes")
		}
	case FollowFacility:
		if f.Object == "" || f.Object != FacilityKey(f.Object) || !utf8.ValidString(f.Object) || len(f.Object) > 200 {
			return Errorf(EINVALID, "a facility is followed by its name (at most 200 bytes)")
		}
	default:
		return Errorf(EINVALID, "one follows a person, watch, case or facility, not %q", f.Kind)
	}
	return nil
}

// Validate checks a follow before it is stored. EINVALID.
func (f *Follow) Validate() error {
	if f.UserID <= 0 {
		return Errorf(EINVALID, "a follow belongs to a user")
	}
	return f.validateObject()
}

// CanFollow reports whether a user with role r may follow objects of this
// kind: only who may see an object may hear of it. Who browses evidence
// (admins and documenters) follows anything; lawyers, who see their cases
// and the people of those cases, follow persons and cases (which ones is
// the web's access rule). Family members and the public follow nothing.
func CanFollow(r Role, kind FollowKind) bool {
	switch {
	case r.Can(PermBrowseEvidence):
		return true
	case r.Can(PermViewCases):
		return kind == FollowPerson || kind == FollowCase
	}
	return false
}

// FollowFilter selects follows. Zero fields select everything.
type FollowFilter struct {
	UserID int64
	Kind   FollowKind
	Object string
}

// AlertKind is what a notice tells a follower.
type AlertKind string

const (
	AlertStatus        AlertKind = "status"        // the custody status changed (appeared, left custody)
	AlertTransfer      AlertKind = "transfer"      // moved to another facility
	AlertDisappearance AlertKind = "disappearance" // flagged: dropped out of sight
	AlertReappearance  AlertKind = "reappearance"  // seen again after a disappearance
)

// Notice is one change followers are told of. It carries ids, facility
// names and times — never a person's name or number — so a notice can go
// by e-mail and webhook and be logged by id; the follower opens Paradero,
// which checks access and audits the read, to see who it is about.
type Notice struct {
	ID       int64
	Kind     AlertKind
	Change   string    // the watch's word: appeared, moved, left, gone, reappeared
	At       time.Time // when the change was observed
	Locator  string    // the watched source that showed it
	WatchKey string
	PersonID int64  // 0 until the watch entry is linked to a person
	From, To string // facilities
	SourceID int64  // the snapshot that shows it, 0 if none
	Detail   string // plain words without personal data, e.g. "not found 3 of 3 attempts"
}

// Subjects returns what the notice is about, as follows name objects. A
// notice about a person is also about every case that concerns the person
// (through an anchor record of theirs, CasePerson): the stores add the
// followers of those cases when they queue it, each user once.
func (n *Notice) Subjects() []string {
	var out []string
	if n.WatchKey != "" {
		out = append(out, string(FollowWatch)+":"+n.WatchKey)
	}
	if n.PersonID > 0 {
		out = append(out, string(FollowPerson)+":"+strconv.FormatInt(n.PersonID, 10))
	}
	from, to := FacilityKey(n.From), FacilityKey(n.To)
	if from != "" {
		out = append(out, string(FollowFacility)+":"+from)
	}
	if to != "" && to != from {
		out = append(out, string(FollowFacility)+":"+to)
	}
	return out
}

// Alert is what one follower receives at once: one notice, or a digest of
// the notices that came while the last alert was recent. It is what the
// app lists, and what each channel delivers.
type Alert struct {
	ID        int64
	UserID    int64
	CreatedAt time.Time
	Notices   []*Notice
}

// AlertFilter selects a user's alerts.
type AlertFilter struct {
	UserID int64
	Offset int
	Limit  int // 0 means a default page of 100
}

// Delivery is one alert to send on one channel, from the outbox. The
// IdempotencyKey is the same on every attempt, so a receiver that saw it
// already can drop a repeat: delivery is at least once.
type Delivery struct {
	ID             int64
	Alert          *Alert
	Channel        string // "email", or "webhook:NAME"
	IdempotencyKey string
	Attempts       int // made before this one
}

// AlertService keeps follows, notices, alerts and the outbox of their
// deliveries. The outbox is durable: an alert folded is sent after a
// restart if it was not sent before.
type AlertService interface {
	// CreateFollow stores f; the store sets ID and CreatedAt. EINVALID,
	// ENOTFOUND if the user does not exist, EFORBIDDEN if the user may not
	// follow it (CanFollow) or the actor is neither that user nor an
	// admin, ECONFLICT if the user follows it already.
	CreateFollow(ctx context.Context, f *Follow) error
	// DeleteFollow stops a follow; ENOTFOUND if there is none. The actor
	// must be its user or an admin (EFORBIDDEN).
	DeleteFollow(ctx context.Context, id int64) error
	// FindFollows returns follows in id order.
	FindFollows(ctx context.Context, f FollowFilter) ([]*Follow, error)
	// CreateNotices stores the notices (a notice stored already — same
	// locator, watch key, change and time — is skipped) and queues each for
	// every user following one of its subjects. It sets each notice's ID
	// and returns how many queued items it made.
	CreateNotices(ctx context.Context, ns []*Notice) (int, error)
	// FoldAlerts turns queued notices into alerts: for every user whose
	// last alert is at least window before now, all their queued notices
	// become one alert with one delivery per channel. Users who may no
	// longer follow (CanFollow), or are disabled, have their queue
	// dropped. Returns the alerts made.
	FoldAlerts(ctx context.Context, now time.Time, window time.Duration, channels []string) ([]*Alert, error)
	// FindAlerts returns a page of a user's alerts, newest first, and the
	// total.
	FindAlerts(ctx context.Context, f AlertFilter) ([]*Alert, int, error)
	// ClaimDeliveries returns up to limit unsent deliveries due at now and
	// leases them until now+lease: a claim that is neither completed nor
	// retried by then (a crash) is claimed again.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Delivery, error)
	// CompleteDelivery marks a delivery sent. ENOTFOUND.
	CompleteDelivery(ctx context.Context, id int64, at time.Time) error
	// RetryDelivery records a failed attempt: the delivery is due again at
	// next, or given up for good if next is zero. reason is for operators
	// and must hold no personal data. ENOTFOUND.
	RetryDelivery(ctx context.Context, id int64, next time.Time, reason string) error
}
