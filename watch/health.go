package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

// HealthKey is the name under which the watch keeps, beside each
// locator's own state, the health of every locator it polls: what the
// dashboard shows. Locator names may not begin with "*", so none is it.
const HealthKey = "*health"

// LocatorHealth is a locator's health after its last round.
type LocatorHealth struct {
	Locator        string    `json:"locator"`
	Round          int       `json:"round"`
	At             time.Time `json:"at"`
	Healthy        bool      `json:"healthy"`
	Cause          string    `json:"cause,omitempty"`  // CauseFailing, CauseMassDrop, CauseNoAnswers
	Reason         string    `json:"reason,omitempty"` // in English
	UnhealthySince time.Time `json:"unhealthy_since,omitzero"`
	Answers        int       `json:"answers"`
	Found          int       `json:"found"`
	NotFound       int       `json:"not_found"`
	Failed         int       `json:"failed"`
	WasFound       int       `json:"was_found"`
	Dropped        int       `json:"dropped"`
	StillFound     int       `json:"still_found"`
	Gone           int       `json:"gone"` // people the round found gone
}

// HealthSummary is every watched locator's health, by name.
type HealthSummary struct {
	Locators []LocatorHealth `json:"locators"`
}

// stateLoader is the part of a store LoadHealth reads.
type stateLoader interface {
	LoadWatchState(ctx context.Context, locator string) ([]byte, error)
}

// LoadHealth reads the health summary; an empty one if no round was ever
// recorded.
func LoadHealth(ctx context.Context, store stateLoader) (*HealthSummary, error) {
	b, err := store.LoadWatchState(ctx, HealthKey)
	switch {
	case paradero.ErrorCode(err) == paradero.ENOTFOUND:
		return &HealthSummary{}, nil
	case err != nil:
		return nil, err
	}
	var h HealthSummary
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, fmt.Errorf("watch: the health summary: %w", err)
	}
	return &h, nil
}

// SaveHealth records r's health in the summary. It reads, changes and
// writes the summary: a program running several schedulers calls it from
// one goroutine at a time (paradero watch does, after each round).
func SaveHealth(ctx context.Context, store Store, r *Report) error {
	h, err := LoadHealth(ctx, store)
	if err != nil {
		return err
	}
	l := LocatorHealth{Locator: r.Locator, Round: r.Round, At: r.At, Healthy: r.Health.Healthy, Cause: r.Health.Cause,
		Reason: r.Health.Reason, UnhealthySince: r.UnhealthySince, Answers: r.Health.Answers, Found: r.Health.Found,
		NotFound: r.Health.NotFound, Failed: r.Health.Failed, WasFound: r.Health.WasFound, Dropped: r.Health.Dropped,
		StillFound: r.Health.StillFound}
	for _, c := range r.Changes {
		if c.Kind == Gone {
			l.Gone++
		}
	}
	i := slices.IndexFunc(h.Locators, func(x LocatorHealth) bool { return x.Locator == r.Locator })
	if i < 0 {
		h.Locators = append(h.Locators, l)
	} else {
		h.Locators[i] = l
	}
	slices.SortFunc(h.Locators, func(a, b LocatorHealth) int { return strings.Compare(a.Locator, b.Locator) })
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return store.SaveWatchState(ctx, HealthKey, b)
}
