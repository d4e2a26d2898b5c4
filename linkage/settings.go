package linkage

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/paradero/paradero"
)

// Link types, as in Splink's settings.
const (
	Dedupe        = "dedupe"          // one population: every pair may match
	LinkOnly      = "link_only"       // only pairs from different inputs may match
	LinkAndDedupe = "link_and_dedupe" // pairs within and across inputs
)

// Comparison kinds.
const (
	KindName      = "name"       // a name in one column
	KindGivenName = "given_name" // given names of the parsed person name
	KindSurname   = "surname"    // surnames of the parsed person name
	KindDate      = "date"       // a date, possibly partial
	KindID        = "id"         // a document number
	KindExact     = "exact"      // equal or not
	KindCountry   = "country"    // a country or nationality, in any language or code
	KindText      = "text"       // free text: addresses, places, occupations
)

// Settings say how to link: which columns to compare and how, and which
// pairs to consider. The JSON form follows the spirit of Splink's settings
// (link_type, unique_id_column, comparisons, blocking). Zero values take the
// defaults documented on each field; Defaults fills them in.
type Settings struct {
	LinkType       string       `json:"link_type"`
	UniqueIDColumn string       `json:"unique_id_column"`
	Comparisons    []Comparison `json:"comparisons"`
	// Blocking rules: a pair is a candidate if it agrees on every key of
	// at least one rule. A key is a column or comparison name, or a
	// function of one: phonetic(x) (Spanish phonetic key of the first
	// token), phonetics(x) (the keys of all tokens, in any order),
	// first(x) (first token), initial(x), year(x), dm(x) (year, day and
	// month as an unordered pair, so day/month swaps block together).
	// Empty: rules derived from the comparisons and the data (see
	// DefaultBlocking).
	Blocking [][]string `json:"blocking,omitempty"`
	// BlockingBudget, when Blocking is empty, is how many candidate pairs
	// per record the rules derived from the comparisons may yield beyond
	// the essential ones (see DefaultBlocking). Default 20.
	BlockingBudget float64 `json:"blocking_budget,omitempty"`
	// PersonName names the columns the given_name and surname comparisons
	// parse; zero: the canonical record field keys (full_name,
	// given_names, surnames, first_surname, second_surname).
	PersonName *PersonNameColumns `json:"person_name,omitempty"`
	// MaxBlockSize: a blocking key shared by more records is too common to
	// say anything (a blank placeholder, "JOSE GONZALEZ" in a million
	// records) and is skipped; the count is reported. Default 2000.
	MaxBlockSize int `json:"max_block_size,omitempty"`
	// RandomPairs is how many random pairs estimate u. Default 500 000.
	RandomPairs int `json:"random_pairs,omitempty"`
	// Seed seeds the random pairs; the same seed gives the same result.
	Seed uint64 `json:"seed,omitempty"`
	// MaxIterations bounds EM. Default 200.
	MaxIterations int `json:"em_max_iterations,omitempty"`
	// ReviewBand is the posterior match probability range [low, high)
	// whose pairs go to review. Default [0.1, 0.95]. Pairs at or above
	// 0.5 are links. The weights these probabilities stand for come from
	// the fitted model's prior, so they move with the data.
	ReviewBand []float64 `json:"review_band,omitempty"`
}

// Comparison compares one column (or, for given_name and surname, the
// parsed person name) of two records, with graded levels.
type Comparison struct {
	// Name identifies the comparison in explanations and blocking rules.
	// Default: Column, or the kind for given_name and surname.
	Name string `json:"name,omitempty"`
	// Column is the input column. Columns, if set, lists alternatives:
	// the first non-empty one a record has is used (dob, birth_date…).
	Column  string   `json:"column,omitempty"`
	Columns []string `json:"columns,omitempty"`
	Kind    string   `json:"kind"`
	// Format is a date's layout in Go's reference-time notation
	// ("20060102", "02/01/2006"). Values that do not fit are read as ISO
	// dates at any precision (1998, 1998-07, 1998-07-04) and then as
	// D/M/Y.
	Format string `json:"format,omitempty"`
	// TermFrequency adjusts the weight of exact agreement by how common
	// the value is. Default: on for name, given_name, surname, exact and
	// text; off for date and id.
	TermFrequency *bool `json:"term_frequency,omitempty"`
}

// PersonNameColumns names the columns a person name is parsed from.
type PersonNameColumns struct {
	Full          string `json:"full,omitempty"`
	Given         string `json:"given,omitempty"`
	Surnames      string `json:"surnames,omitempty"`
	FirstSurname  string `json:"first_surname,omitempty"`
	SecondSurname string `json:"second_surname,omitempty"`
}

// ReadSettings decodes settings from JSON, rejecting unknown keys, and
// returns them with defaults filled in and validated.
func ReadSettings(r io.Reader) (Settings, error) {
	var s Settings
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Settings{}, &paradero.Error{Code: paradero.EINVALID, Message: "linkage settings are not valid JSON", Err: err}
	}
	s = s.Defaults()
	return s, s.Validate()
}

// DefaultPersonSettings returns settings for Paradero's person records: CSV
// files whose headers are the canonical record field keys (see
// paradero.RecordFields) and a rec_id column. Nationality and country of
// birth are compared as one country, whichever a list gives. Every input is a source; a
// person may appear in several and more than once in one, hence
// link_and_dedupe. A column missing from a file is a missing value.
func DefaultPersonSettings() Settings {
	return Settings{
		LinkType:       LinkAndDedupe,
		UniqueIDColumn: "rec_id",
		Comparisons: []Comparison{
			{Name: "given_name", Kind: KindGivenName},
			{Name: "surname", Kind: KindSurname},
			{Column: "birth_date", Kind: KindDate, Format: "2006-01-02"},
			{Column: "a_number", Kind: KindID},
			{Column: "passport", Kind: KindID},
			{Name: "country", Columns: []string{"nationality", "country_of_birth"}, Kind: KindCountry},
		},
	}.Defaults()
}

// Defaults returns s with zero fields set to their defaults.
func (s Settings) Defaults() Settings {
	if s.LinkType == "" {
		s.LinkType = Dedupe
	}
	if s.BlockingBudget == 0 {
		s.BlockingBudget = 20
	}
	if s.MaxBlockSize == 0 {
		s.MaxBlockSize = 2000
	}
	if s.RandomPairs == 0 {
		s.RandomPairs = 500_000
	}
	if s.MaxIterations == 0 {
		s.MaxIterations = 200
	}
	if len(s.ReviewBand) == 0 {
		s.ReviewBand = []float64{0.1, 0.95}
	}
	if s.PersonName == nil {
		s.PersonName = &PersonNameColumns{}
	}
	pn := *s.PersonName
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&pn.Full, "full_name")
	def(&pn.Given, "given_names")
	def(&pn.Surnames, "surnames")
	def(&pn.FirstSurname, "first_surname")
	def(&pn.SecondSurname, "second_surname")
	s.PersonName = &pn
	cs := make([]Comparison, len(s.Comparisons))
	for i, c := range s.Comparisons {
		if c.Name == "" {
			c.Name = c.Column
			if c.Name == "" && len(c.Columns) > 0 {
				c.Name = c.Columns[0]
			}
			if c.Name == "" {
				c.Name = c.Kind
			}
		}
		if c.TermFrequency == nil {
			tf := c.Kind != KindDate && c.Kind != KindID
			c.TermFrequency = &tf
		}
		cs[i] = c
	}
	s.Comparisons = cs
	return s
}

// maxComparisons bounds the comparisons: an agreement pattern packs four
// bits per comparison into a uint64.
const maxComparisons = 16

// Validate checks settings that Defaults has filled in.
func (s Settings) Validate() error {
	bad := func(format string, args ...any) error {
		return paradero.Errorf(paradero.EINVALID, "linkage settings: "+format, args...)
	}
	switch s.LinkType {
	case Dedupe, LinkOnly, LinkAndDedupe:
	default:
		return bad("link_type %q is not dedupe, link_only or link_and_dedupe", s.LinkType)
	}
	if s.UniqueIDColumn == "" {
		return bad("unique_id_column is empty")
	}
	if len(s.Comparisons) == 0 {
		return bad("no comparisons")
	}
	if len(s.Comparisons) > maxComparisons {
		return bad("%d comparisons; at most %d", len(s.Comparisons), maxComparisons)
	}
	names := make(map[string]bool)
	for i, c := range s.Comparisons {
		switch c.Kind {
		case KindName, KindDate, KindID, KindExact, KindText, KindCountry:
			if c.Column == "" && len(c.Columns) == 0 {
				return bad("comparison %d (%s) has no column", i, c.Kind)
			}
		case KindGivenName, KindSurname:
		default:
			return bad("comparison %d has unknown kind %q", i, c.Kind)
		}
		if names[c.Name] {
			return bad("two comparisons are named %q", c.Name)
		}
		names[c.Name] = true
	}
	for _, rule := range s.Blocking {
		if len(rule) == 0 {
			return bad("an empty blocking rule")
		}
		for _, k := range rule {
			fn, arg := splitKeyFunc(k)
			switch fn {
			case "", "phonetic", "phonetics", "first", "initial", "year", "dm":
			default:
				return bad("blocking key %q: unknown function %q", k, fn)
			}
			if arg == "" {
				return bad("blocking key %q names no column", k)
			}
		}
	}
	if s.BlockingBudget < 0 {
		return bad("blocking_budget %v is negative", s.BlockingBudget)
	}
	if s.MaxBlockSize < 2 {
		return bad("max_block_size %d is less than 2", s.MaxBlockSize)
	}
	if s.RandomPairs < 1000 {
		return bad("random_pairs %d is less than 1000", s.RandomPairs)
	}
	if len(s.ReviewBand) != 2 || !(0 < s.ReviewBand[0] && s.ReviewBand[0] <= 0.5 && 0.5 <= s.ReviewBand[1] && s.ReviewBand[1] < 1) {
		return bad("review_band %v is not [low, high] with 0 < low ≤ 0.5 ≤ high < 1", s.ReviewBand)
	}
	return nil
}

// splitKeyFunc splits "phonetic(surname)" into "phonetic" and "surname".
func splitKeyFunc(k string) (fn, arg string) {
	k = strings.TrimSpace(k)
	if i := strings.IndexByte(k, '('); i > 0 && strings.HasSuffix(k, ")") {
		return strings.TrimSpace(k[:i]), strings.TrimSpace(k[i+1 : len(k)-1])
	}
	return "", k
}

// String returns the settings as indented JSON.
func (s Settings) String() string {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Sprint(err)
	}
	return string(b)
}
