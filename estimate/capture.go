package estimate

import (
	"errors"
	"fmt"
)

// ErrFewLists and ErrManyLists are the errors of TableOf when the lists are
// too few (under 2) or too many (over MaxLists) to estimate from; callers
// branch on them to suggest another choice of lists.
var (
	ErrFewLists  = errors.New("estimate: at least 2 lists are needed")
	ErrManyLists = fmt.Errorf("estimate: at most %d lists can be used", MaxLists)
)

// TableOf returns the capture-history table of lists and counts, where
// counts[h] is the number of people on exactly the lists whose bits are set
// in h (bit j for lists[j]) — the form report.Reconciliation.PatternCounts
// gives. It wraps ErrFewLists or ErrManyLists when len(lists) is out of
// range, and fails when counts does not have 2^len(lists) cells. counts is
// copied; Estimate validates the table.
func TableOf(lists []string, counts []float64) (*Table, error) {
	switch {
	case len(lists) < 2:
		return nil, fmt.Errorf("%w, got %d", ErrFewLists, len(lists))
	case len(lists) > MaxLists:
		return nil, fmt.Errorf("%w, got %d", ErrManyLists, len(lists))
	}
	t, err := NewTable(lists...)
	if err != nil {
		return nil, err
	}
	if len(counts) != len(t.Counts) {
		return nil, fmt.Errorf("estimate: %d lists need %d counts, got %d", len(lists), len(t.Counts), len(counts))
	}
	copy(t.Counts, counts)
	return t, nil
}
