package paradero

import (
	"context"
	"time"
)

// EventKind says what happened to a person in custody. The kinds follow a
// custody timeline (DESIGN.md §2.4); Held, NotInCustody and Vanished are
// observations rather than movements: a source saw the person held
// somewhere, said the person is no longer held without saying where, or —
// a locator watch — stopped answering for the person.
type EventKind string

const (
	EventArrest         EventKind = "arrest"
	EventBooked         EventKind = "booked"          // booked into a facility
	EventTransfer       EventKind = "transfer"        // moved to another facility
	EventHeld           EventKind = "held"            // seen held at a place (a roster line, a locator answer)
	EventHearing        EventKind = "hearing"         // before a judge
	EventCharged        EventKind = "charged"         // charging document served
	EventRemovalFlight  EventKind = "removal-flight"  // put on a removal flight
	EventForeignCustody EventKind = "foreign-custody" // handed to a foreign custodian
	EventRelease        EventKind = "release"
	EventReturn         EventKind = "return" // returned to the home country
	EventDeath          EventKind = "death"
	EventNotInCustody   EventKind = "not-in-custody" // no longer held, no word of where to
	EventVanished       EventKind = "vanished"       // dropped out of a locator (a watch's confirmed "gone")
)

// EventKinds lists every kind, in the order a timeline sorts kinds of the
// same day (an arrest before the booking, a flight before the handover).
var EventKinds = []EventKind{EventArrest, EventBooked, EventTransfer, EventHeld, EventHearing,
	EventCharged, EventRemovalFlight, EventForeignCustody, EventRelease, EventReturn, EventDeath,
	EventNotInCustody, EventVanished}

// Valid reports whether k is one of EventKinds.
func (k EventKind) Valid() bool { return k.Rank() >= 0 }

// Rank returns k's position in EventKinds, or -1.
func (k EventKind) Rank() int {
	for i, v := range EventKinds {
		if k == v {
			return i
		}
	}
	return -1
}

// Evidence is one record supporting a claim, with the source it comes from.
type Evidence struct {
	RecordID   int64
	SourceID   int64
	SourceKind SourceKind
	Status     string // the record's status as written, if any
}

// Event is one step of a person's custody timeline: what happened, when,
// where and in whose hands, and the records that say so. Date may be a range
// or partial; DateFromSource is set when no record gave a date and the
// source's publication date stands in (the event happened by then).
type Event struct {
	Kind           EventKind
	Date           DateRange
	DateFromSource bool
	Facility       string
	Place          string
	Custodian      string
	Flight         string
	Evidence       []Evidence
}

// PersonStatus is where a person stands, derived from the timeline.
type PersonStatus string

const (
	StatusAtLiberty          PersonStatus = "at-liberty" // no record of deprivation of liberty
	StatusDetained           PersonStatus = "detained"   // held, place known
	StatusInTransit          PersonStatus = "in-transit" // on a removal flight or being moved
	StatusWhereaboutsUnknown PersonStatus = "whereabouts-unknown"
	StatusReleased           PersonStatus = "released"
	StatusReturned           PersonStatus = "returned"
	StatusDeceased           PersonStatus = "deceased"
)

// DeprivedOfLiberty reports whether s is a status in which the state holds
// the person (the UN Convention's "deprivation of liberty").
func (s PersonStatus) DeprivedOfLiberty() bool {
	return s == StatusDetained || s == StatusInTransit || s == StatusWhereaboutsUnknown
}

// DueProcessKind names a due-process fact (issue 4, item 2).
type DueProcessKind string

const (
	FactChargingDocument     DueProcessKind = "charging-document" // notice to appear or other
	FactLawyerContact        DueProcessKind = "lawyer-contact"
	FactConsularNotification DueProcessKind = "consular-notification"
	FactFamilyContact        DueProcessKind = "family-contact"
	FactFirstHearing         DueProcessKind = "first-hearing"
	FactBond                 DueProcessKind = "bond"
	FactFinalOrder           DueProcessKind = "final-order"
	FactHabeasPetition       DueProcessKind = "habeas-petition"
	FactOrderNotToRemove     DueProcessKind = "order-not-to-remove" // a court order barring removal
)

// DueProcessFact is one due-process fact about a person, from sources.
type DueProcessFact struct {
	Kind     DueProcessKind
	Date     DateRange // when it happened, was served or filed
	Court    string    // where known (a court column, or the record's custodian or place)
	Detail   string    // the words it was read from, as written
	Evidence []Evidence
	// Denied is set when the source says it did not happen or was
	// refused: "sin acceso a abogado", "no" in a consular-notification
	// column.
	Denied     bool
	CaseNumber string    // a court case or docket number, where given
	Decided    DateRange // when a petition was decided, where given
	Outcome    string    // the decision as written ("granted", "denegado"), where given
	// Obeyed says whether a court order was obeyed: "" when nothing on
	// record says, FactObeyed or FactDisobeyed when a source says so, and
	// FactDisobeyed when the timeline holds a removal after an order not
	// to remove (Breach is then that removal's evidence).
	Obeyed string
	Breach []Evidence
}

// Whether a court order was obeyed (DueProcessFact.Obeyed).
const (
	FactObeyed    = "obeyed"
	FactDisobeyed = "disobeyed"
)

// Snapshot is one answer of a watched locator, stored as a source of kind
// locator-snapshot: Body byte for byte, Records what it says about the
// person asked for (or everyone, for a roster). Locator names the watched
// source and Key the watch entry (an opaque id, never personal data).
type Snapshot struct {
	Locator    string
	Key        string
	ObservedAt time.Time
	Source     Source // Kind, Title, Published, Filename, MediaType; the store sets the rest
	Body       []byte
	Records    []*Record
}

// Sighting says that a snapshot's source was seen at a time: identical
// consecutive answers are stored once, seen many times.
type Sighting struct {
	Locator  string
	Key      string
	SourceID int64
	SeenAt   time.Time
	New      bool // the answer was stored now, not seen before
}

// WatchService keeps what a locator watch needs across restarts.
type WatchService interface {
	// RecordSnapshot stores s through the import path (byte for byte, in
	// the ledger) unless its body is the one stored already, and records
	// that it was seen at s.ObservedAt either way.
	RecordSnapshot(ctx context.Context, s *Snapshot) (*Sighting, error)
	// FindSightings returns the sightings of one watch entry, oldest
	// first; limit ≤ 0 means all.
	FindSightings(ctx context.Context, locator, key string, limit int) ([]*Sighting, error)
	// LoadWatchState returns the state saved for a locator; ENOTFOUND if
	// none. The bytes are the watch package's own encoding.
	LoadWatchState(ctx context.Context, locator string) ([]byte, error)
	// SaveWatchState replaces the state saved for a locator.
	SaveWatchState(ctx context.Context, locator string, state []byte) error
}
