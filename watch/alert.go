package watch

import (
	"fmt"

	"github.com/paradero/paradero"
)

// Notices turns a round's changes into notices for followers: appeared and
// left are status changes, moved a transfer, gone a disappearance,
// reappeared a reappearance. persons maps watch keys to the store's person
// ids where known. An unhealthy round's changes are still told: found
// answers always count (see Rule), and gone is never raised in one.
func Notices(r *Report, persons map[string]int64) []*paradero.Notice {
	var out []*paradero.Notice
	for _, c := range r.Changes {
		n := &paradero.Notice{Change: string(c.Kind), At: c.At, Locator: r.Locator, WatchKey: c.Key,
			PersonID: persons[c.Key], From: c.From, To: c.To}
		switch c.Kind {
		case Appeared, Left:
			n.Kind = paradero.AlertStatus
		case Moved:
			n.Kind = paradero.AlertTransfer
		case Gone:
			n.Kind = paradero.AlertDisappearance
			n.Detail = fmt.Sprintf("not found %d of %d attempts", c.Misses, c.Attempts)
		case Reappeared:
			n.Kind = paradero.AlertReappearance
		default:
			continue
		}
		if sg := r.Sightings[c.Key]; sg != nil {
			n.SourceID = sg.SourceID
		}
		if c.Kind == Gone && r.Finding != nil {
			// The finding shows the decision, and the snapshots it rests on.
			n.SourceID = r.Finding.ID
		}
		out = append(out, n)
	}
	return out
}
