package watch

import (
	"github.com/paradero/paradero"
)

// ChangeEvent turns a change into a timeline event, with the snapshot that
// showed it as evidence (sg may be nil): appeared and reappeared are
// sightings (held at the facility), moved is a transfer, left is "not in
// custody", gone is vanished. Dates are the day of the round, UTC; a
// vanishing runs from the day the locator last showed the person to that
// day, as a finding dates it.
func ChangeEvent(c Change, sg *paradero.Sighting) paradero.Event {
	t := c.At.UTC()
	e := paradero.Event{Date: paradero.DateRange{From: paradero.PartialDate{Year: t.Year(), Month: int(t.Month()), Day: t.Day()}}}
	switch c.Kind {
	case Appeared, Reappeared:
		e.Kind, e.Facility = paradero.EventHeld, c.To
	case Moved:
		e.Kind, e.Facility = paradero.EventTransfer, c.To
	case Left:
		e.Kind = paradero.EventNotInCustody
	case Gone:
		e.Kind, e.Date = paradero.EventVanished, vanishedRange(c.LastSeen, c.At)
	}
	if sg != nil {
		e.Evidence = []paradero.Evidence{{SourceID: sg.SourceID, SourceKind: paradero.KindLocatorSnapshot}}
	}
	return e
}
