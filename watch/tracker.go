package watch

import (
	"fmt"
	"sort"
	"time"
)

// Rule decides when "not found" means gone, and when a source is unhealthy.
//
// Outage is not disappearance. A round (every watched person asked once) is
// judged as a whole before any "not found" in it counts:
//
//  1. Failing: more than MaxFailShare of the round's answers are blocked,
//     failed or malformed → unhealthy.
//  2. Everyone dropped at once: of the people the locator showed in their
//     last definite answer, at least MinPeople were asked, at least
//     MassShare of them now come back not found (or "not in custody"), and
//     fewer than MinSteady of them are still found → unhealthy. A real mass
//     removal — a flight: many gone, the rest still answered as before —
//     keeps the rest found, so it passes; a locator answering "not found" to
//     everyone does not. (When truly everyone watched is removed at once the
//     two cannot be told apart from the locator alone: the source is marked
//     unhealthy with a reason saying so, and nobody is flagged until a
//     healthy round confirms it — watch people held elsewhere as controls.)
//
// In a healthy round a not-found answer is a miss; Confirm consecutive
// misses (attempts that failed in between do not break the run, nor count)
// make the person gone. Not-found answers in unhealthy rounds are ignored.
// Found answers always count: a sighting is positive evidence.
type Rule struct {
	Confirm      int     // consecutive healthy misses to call someone gone; default 3
	MaxFailShare float64 // default 0.2
	MassShare    float64 // default 0.5
	MinSteady    float64 // default 0.1
	MinPeople    int     // default 10
}

func (r Rule) withDefaults() Rule {
	if r.Confirm <= 0 {
		r.Confirm = 3
	}
	if r.MaxFailShare <= 0 {
		r.MaxFailShare = 0.2
	}
	if r.MassShare <= 0 {
		r.MassShare = 0.5
	}
	if r.MinSteady <= 0 {
		r.MinSteady = 0.1
	}
	if r.MinPeople <= 0 {
		r.MinPeople = 10
	}
	return r
}

// ChangeKind says how a person's answer changed between snapshots.
type ChangeKind string

const (
	Appeared   ChangeKind = "appeared"   // first found in custody
	Moved      ChangeKind = "moved"      // found at another facility: a transfer
	Left       ChangeKind = "left"       // the locator says "not in custody"
	Gone       ChangeKind = "gone"       // confirmed not found (Misses of Attempts)
	Reappeared ChangeKind = "reappeared" // found again after left or gone
)

// Change is one person's change in a round.
type Change struct {
	Key      string
	Kind     ChangeKind
	From, To string // facilities
	At       time.Time
	Misses   int // for Gone: consecutive healthy not-found answers
	Attempts int // for Gone: answers since last found, of any outcome
	// LastSeen is, for Gone, when the locator last showed the person: the
	// vanishing happened between it and At.
	LastSeen time.Time
}

// Why a round found its source unhealthy (Health.Cause), for pages to
// word in their own language.
const (
	CauseNoAnswers = "no-answers" // nobody was asked
	CauseFailing   = "failing"    // too many blocked, failed or malformed answers
	CauseMassDrop  = "mass-drop"  // most of those shown in custody suddenly not found
)

// Health is a round's verdict on the source.
type Health struct {
	Healthy                       bool
	Reason                        string // why not, in plain words (English)
	Cause                         string // why not, as a code: CauseFailing, …
	Answers                       int
	Found, NotFound, Failed       int // Failed counts blocked, failed and malformed
	WasFound, Dropped, StillFound int // of those found in their last definite answer
}

// PersonState is what the tracker remembers of one watched person.
type PersonState struct {
	Seen      bool      `json:"seen,omitempty"`       // ever found
	Found     bool      `json:"found,omitempty"`      // found in the last definite answer
	InCustody bool      `json:"in_custody,omitempty"` // …and shown held
	Facility  string    `json:"facility,omitempty"`
	Misses    int       `json:"misses,omitempty"`
	Attempts  int       `json:"attempts,omitempty"`
	Gone      bool      `json:"gone,omitempty"`
	LastFound time.Time `json:"last_found,omitzero"`
}

// State is a locator's watch state: every person's last answer and the
// source's health. It is what the scheduler saves after every round.
type State struct {
	Persons        map[string]*PersonState `json:"persons"`
	Round          int                     `json:"round"`
	Healthy        bool                    `json:"healthy"`
	Reason         string                  `json:"reason,omitempty"`
	UnhealthySince time.Time               `json:"unhealthy_since,omitzero"`
	NextRound      time.Time               `json:"next_round,omitzero"`
}

// NewState returns the state of a locator never asked.
func NewState() *State { return &State{Persons: make(map[string]*PersonState), Healthy: true} }

// Observe judges one round's answers (one per watched person asked) under
// rule, updates the state and returns the source's health and the changes,
// sorted by key. It is pure: the same state and answers give the same
// result.
func (s *State) Observe(at time.Time, answers []Answer, rule Rule) (Health, []Change) {
	rule = rule.withDefaults()
	s.Round++
	h := Health{Answers: len(answers)}
	for _, a := range answers {
		switch a.Outcome {
		case Found:
			h.Found++
		case NotFound:
			h.NotFound++
		default:
			h.Failed++
		}
		if p := s.Persons[a.Key]; p != nil && p.Found && p.InCustody {
			switch {
			case a.Outcome == NotFound || a.Outcome == Found && !a.InCustody:
				h.WasFound++
				h.Dropped++
			case a.Outcome == Found:
				h.WasFound++
				h.StillFound++
			}
		}
	}
	h.Healthy = true
	switch {
	case h.Answers == 0:
		h.Healthy, h.Cause, h.Reason = false, CauseNoAnswers, "no answers"
	case float64(h.Failed) > rule.MaxFailShare*float64(h.Answers):
		h.Healthy, h.Cause, h.Reason = false, CauseFailing, fmt.Sprintf("%d of %d requests got no usable answer (blocked, failed or malformed)", h.Failed, h.Answers)
	case h.WasFound >= rule.MinPeople && float64(h.Dropped) >= rule.MassShare*float64(h.WasFound) &&
		float64(h.StillFound) < rule.MinSteady*float64(h.WasFound):
		h.Healthy, h.Cause, h.Reason = false, CauseMassDrop, fmt.Sprintf("%d of the %d people it showed in custody are suddenly not found, and only %d still are: an outage, not %d disappearances, until a healthy round says otherwise",
			h.Dropped, h.WasFound, h.StillFound, h.Dropped)
	}
	if h.Healthy {
		s.UnhealthySince = time.Time{}
	} else if s.Healthy || s.UnhealthySince.IsZero() {
		s.UnhealthySince = at
	}
	s.Healthy, s.Reason = h.Healthy, h.Reason

	var changes []Change
	for _, a := range answers {
		p := s.Persons[a.Key]
		if p == nil {
			p = &PersonState{}
			s.Persons[a.Key] = p
		}
		if c, ok := p.observe(a, at, h.Healthy, rule); ok {
			c.Key = a.Key
			changes = append(changes, c)
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Key < changes[j].Key })
	return h, changes
}

func (p *PersonState) observe(a Answer, at time.Time, healthy bool, rule Rule) (Change, bool) {
	switch a.Outcome {
	case Found:
		wasGone, wasFound, wasHeld, from := p.Gone || (p.Seen && !p.Found), p.Found, p.InCustody, p.Facility
		if !a.InCustody && !healthy && wasHeld {
			// "not in custody" for everyone is the outage pattern too.
			p.Attempts++
			return Change{}, false
		}
		p.Seen, p.Found, p.InCustody, p.Gone, p.Misses, p.Attempts, p.LastFound = true, true, a.InCustody, false, 0, 0, at
		if a.InCustody {
			p.Facility = a.Facility
		}
		switch {
		case !a.InCustody:
			if wasHeld || wasGone {
				return Change{Kind: Left, From: from, At: at}, true
			}
			return Change{}, false
		case wasGone:
			return Change{Kind: Reappeared, From: from, To: a.Facility, At: at}, true
		case !wasFound || !wasHeld:
			return Change{Kind: Appeared, To: a.Facility, At: at}, true
		case from != a.Facility:
			return Change{Kind: Moved, From: from, To: a.Facility, At: at}, true
		}
	case NotFound:
		if !p.Seen || p.Gone {
			return Change{}, false
		}
		p.Attempts++
		if !healthy {
			return Change{}, false
		}
		p.Misses++
		if p.Misses >= rule.Confirm {
			p.Gone, p.Found = true, false
			return Change{Kind: Gone, From: p.Facility, At: at, Misses: p.Misses, Attempts: p.Attempts, LastSeen: p.LastFound}, true
		}
	default:
		if p.Seen && !p.Gone {
			p.Attempts++
		}
	}
	return Change{}, false
}
