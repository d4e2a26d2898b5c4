package estimate

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// MaxLists is the largest number of lists a Table may have. Log-linear
// estimation needs every capture pattern as a cell, so the table grows as
// 2^k; beyond a dozen lists the cells are almost all empty and no model
// fitted here can be trusted.
const MaxLists = 12

// A Table is a capture-history table: for every non-empty subset of lists
// (a capture pattern), how many people appear on exactly those lists.
//
// Patterns are bit masks: bit j is set when the person is on Lists[j]. So
// Counts[0] is the unobserved cell (people on no list), which is always 0
// in a Table and is what the estimators predict; Counts[1<<j] are the people
// found only on list j; Counts[len-1] those on every list.
type Table struct {
	Lists  []string  // list names, in column order
	Counts []float64 // len 2^len(Lists), indexed by pattern; Counts[0] = 0
}

// NewTable returns an empty table for the named lists.
func NewTable(lists ...string) (*Table, error) {
	if len(lists) < 2 {
		return nil, fmt.Errorf("estimate: a table needs at least 2 lists, got %d", len(lists))
	}
	if len(lists) > MaxLists {
		return nil, fmt.Errorf("estimate: at most %d lists, got %d", MaxLists, len(lists))
	}
	seen := make(map[string]bool)
	for _, l := range lists {
		if l == "" {
			return nil, errors.New("estimate: empty list name")
		}
		if seen[l] {
			return nil, fmt.Errorf("estimate: list %q named twice", l)
		}
		seen[l] = true
	}
	return &Table{Lists: append([]string(nil), lists...), Counts: make([]float64, 1<<len(lists))}, nil
}

// K returns the number of lists.
func (t *Table) K() int { return len(t.Lists) }

// Observed returns n, the number of people on at least one list.
func (t *Table) Observed() float64 {
	var n float64
	for _, c := range t.Counts[1:] {
		n += c
	}
	return n
}

// ListSize returns how many people list j holds.
func (t *Table) ListSize(j int) float64 {
	var s float64
	for h := 1; h < len(t.Counts); h++ {
		if h&(1<<j) != 0 {
			s += t.Counts[h]
		}
	}
	return s
}

// Validate reports whether t is a well-formed table: 2..MaxLists lists,
// 2^k counts, every count finite and non-negative, the unobserved cell 0.
func (t *Table) Validate() error {
	k := len(t.Lists)
	if k < 2 || k > MaxLists {
		return fmt.Errorf("estimate: table has %d lists, want 2..%d", k, MaxLists)
	}
	if len(t.Counts) != 1<<k {
		return fmt.Errorf("estimate: table has %d cells, want %d", len(t.Counts), 1<<k)
	}
	if t.Counts[0] != 0 {
		return errors.New("estimate: the count of people on no list cannot be observed; it must be 0")
	}
	for h, c := range t.Counts {
		if c < 0 || math.IsNaN(c) || math.IsInf(c, 0) {
			return fmt.Errorf("estimate: pattern %s has count %v", t.PatternString(h), c)
		}
	}
	if t.Observed() == 0 {
		return errors.New("estimate: the table is empty")
	}
	return nil
}

// PatternString writes pattern h as 0/1 digits in list order, e.g. "101".
func (t *Table) PatternString(h int) string {
	var b strings.Builder
	for j := range t.Lists {
		if h&(1<<j) != 0 {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	return b.String()
}

// Margin returns the table collapsed onto the given lists (indices into
// t.Lists, in the order wanted): the counts of the other lists are summed
// out, and people on none of the kept lists are dropped, as they would be
// unobserved had only those lists existed.
func (t *Table) Margin(lists ...int) (*Table, error) {
	names := make([]string, len(lists))
	for i, j := range lists {
		if j < 0 || j >= len(t.Lists) {
			return nil, fmt.Errorf("estimate: no list %d", j)
		}
		names[i] = t.Lists[j]
	}
	m, err := NewTable(names...)
	if err != nil {
		return nil, err
	}
	for h := 1; h < len(t.Counts); h++ {
		g := 0
		for i, j := range lists {
			if h&(1<<j) != 0 {
				g |= 1 << i
			}
		}
		if g != 0 {
			m.Counts[g] += t.Counts[h]
		}
	}
	return m, nil
}

// ReadCSV reads a counts table: a header naming one column per list and a
// column named "count", then one row per capture pattern with 0/1 in the
// list columns. Patterns that are absent count 0; the all-zero pattern must
// be absent or 0, and a pattern may appear only once. The count column may
// be in any position; counts must be non-negative integers.
func ReadCSV(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	header, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("estimate: empty counts file")
		}
		return nil, fmt.Errorf("estimate: reading header: %w", err)
	}
	countCol := -1
	var lists []string
	var listCols []int
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if strings.EqualFold(h, "count") || strings.EqualFold(h, "freq") {
			if countCol >= 0 {
				return nil, errors.New("estimate: more than one count column")
			}
			countCol = i
			continue
		}
		lists = append(lists, h)
		listCols = append(listCols, i)
	}
	if countCol < 0 {
		return nil, errors.New(`estimate: no "count" column in the header`)
	}
	t, err := NewTable(lists...)
	if err != nil {
		return nil, err
	}
	seen := make([]bool, len(t.Counts))
	line := 1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return nil, fmt.Errorf("estimate: line %d: %w", line, err)
		}
		if len(rec) != len(header) {
			return nil, fmt.Errorf("estimate: line %d has %d fields, want %d", line, len(rec), len(header))
		}
		h := 0
		for i, c := range listCols {
			switch strings.TrimSpace(rec[c]) {
			case "1":
				h |= 1 << i
			case "0":
			default:
				return nil, fmt.Errorf("estimate: line %d: list %q must be 0 or 1, got %q", line, lists[i], rec[c])
			}
		}
		c, err := strconv.ParseFloat(strings.TrimSpace(rec[countCol]), 64)
		if err != nil || c < 0 || c != math.Trunc(c) || math.IsInf(c, 0) {
			return nil, fmt.Errorf("estimate: line %d: count must be a non-negative integer, got %q", line, rec[countCol])
		}
		if h == 0 {
			if c != 0 {
				return nil, fmt.Errorf("estimate: line %d: the all-zero pattern (people on no list) cannot be counted", line)
			}
			continue
		}
		if seen[h] {
			return nil, fmt.Errorf("estimate: line %d: pattern %s repeated", line, t.PatternString(h))
		}
		seen[h] = true
		t.Counts[h] = c
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// popcount returns the number of lists in pattern h.
func popcount(h int) int { return bits.OnesCount(uint(h)) }
