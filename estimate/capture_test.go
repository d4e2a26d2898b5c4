package estimate

import (
	"errors"
	"slices"
	"testing"
)

func TestTableOf(t *testing.T) {
	counts := []float64{0, 5, 3, 2}
	tb, err := TableOf([]string{"a", "b"}, counts)
	if err != nil {
		t.Fatal(err)
	}
	counts[1] = 99
	if !slices.Equal(tb.Counts, []float64{0, 5, 3, 2}) || !slices.Equal(tb.Lists, []string{"a", "b"}) {
		t.Errorf("TableOf(a b, 0 5 3 2) = %v %v, want [a b] [0 5 3 2], not sharing counts", tb.Lists, tb.Counts)
	}
	many := make([]string, MaxLists+1)
	for i := range many {
		many[i] = string(rune('a' + i))
	}
	tests := []struct {
		lists  []string
		counts []float64
		want   error
	}{
		{[]string{"a"}, []float64{0, 1}, ErrFewLists},
		{nil, nil, ErrFewLists},
		{many, nil, ErrManyLists},
	}
	for _, tt := range tests {
		if _, err := TableOf(tt.lists, tt.counts); !errors.Is(err, tt.want) {
			t.Errorf("TableOf(%d lists) = %v, want %v", len(tt.lists), err, tt.want)
		}
	}
	if _, err := TableOf([]string{"a", "b"}, []float64{0, 1}); err == nil {
		t.Error("TableOf(2 lists, 2 counts) succeeded, want an error")
	}
}
