package linkage

import (
	"context"
	"encoding/json"
	"io"
	"slices"

	"github.com/paradero/paradero"
)

// StateVersion is the version of the State encoding that WriteTo writes
// and ReadState reads. It changes whenever a field's meaning does.
const StateVersion = 1

// State is what incremental linking keeps of a full run: the settings with
// the blocking rules the run chose, the fitted model and its thresholds.
// Term frequencies are not kept: LinkIncremental reads every record's
// blocking keys anyway, and counts the values of the same pass, so they
// are those of the records linked now, as a full run's would be.
type State struct {
	Version int `json:"version"`
	// Settings are the run's settings with Blocking set to the rules it
	// used, so that an incremental run blocks as the full run did.
	Settings   Settings   `json:"settings"`
	Model      *Model     `json:"model"`
	Thresholds Thresholds `json:"thresholds"`
	// Records is the number of records the model was fitted on.
	Records int `json:"records"`
}

// State returns what LinkIncremental needs to link new records against
// this result's persons without refitting.
func (r *Result) State() *State {
	s := r.Settings
	s.Blocking = slices.Clone(r.Stats.Rules)
	return &State{Version: StateVersion, Settings: s, Model: r.Model, Thresholds: r.Thresholds, Records: r.fitted}
}

// WriteTo writes the state as JSON. Floats are written in their shortest
// exact form, so a state read back scores pairs bit for bit as the run
// that wrote it.
func (st *State) WriteTo(w io.Writer) (int64, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return 0, err
	}
	n, err := w.Write(append(b, '\n'))
	return int64(n), err
}

// ReadState reads a state that WriteTo wrote. A state of another version,
// or whose model does not fit its settings, is EINVALID.
func ReadState(r io.Reader) (*State, error) {
	var st State
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, &paradero.Error{Code: paradero.EINVALID, Message: "linkage state is not valid JSON", Err: err}
	}
	if st.Version != StateVersion {
		return nil, paradero.Errorf(paradero.EINVALID, "linkage state version %d; this program reads version %d (link everything again)", st.Version, StateVersion)
	}
	if err := st.validate(); err != nil {
		return nil, err
	}
	return &st, nil
}

// validate checks that the model fits the settings: one comparison model
// per comparison, by name and kind, with the levels that kind grades.
func (st *State) validate() error {
	bad := func(format string, args ...any) error {
		return paradero.Errorf(paradero.EINVALID, "linkage state: "+format, args...)
	}
	st.Settings = st.Settings.Defaults()
	if err := st.Settings.Validate(); err != nil {
		return err
	}
	if len(st.Settings.Blocking) == 0 {
		return bad("no blocking rules")
	}
	m := st.Model
	if m == nil {
		return bad("no model")
	}
	if !(m.Lambda > 0 && m.Lambda < 1) {
		return bad("prior %v is not in (0, 1)", m.Lambda)
	}
	if len(m.Comparisons) != len(st.Settings.Comparisons) {
		return bad("%d comparison models for %d comparisons", len(m.Comparisons), len(st.Settings.Comparisons))
	}
	for k, c := range st.Settings.Comparisons {
		cm := m.Comparisons[k]
		if cm.Name != c.Name || cm.Kind != c.Kind {
			return bad("comparison model %d is %s (%s), settings say %s (%s)", k, cm.Name, cm.Kind, c.Name, c.Kind)
		}
		if want := len(kindLevels(c.Kind)); len(cm.Levels) != want {
			return bad("comparison %s has %d levels, want %d", c.Name, len(cm.Levels), want)
		}
		for l, lv := range cm.Levels[1:] {
			if !(lv.M > 0 && lv.U > 0) {
				return bad("comparison %s level %d has m = %v, u = %v", c.Name, l+1, lv.M, lv.U)
			}
		}
	}
	return nil
}

// kindLevels returns the level labels of a comparison kind.
func kindLevels(kind string) []string {
	switch kind {
	case KindName, KindGivenName, KindSurname:
		return nameLevels
	case KindDate:
		return dateLevels
	case KindID:
		return idLevels
	case KindExact, KindCountry:
		return exactLevels
	case KindText:
		return textLevels
	}
	return nil
}

// LinkIncremental links the records of tables that are in none of persons
// against each other and against the records that are, with the state's
// model, thresholds and blocking rules: nothing is refitted. tables hold
// every record, old and new, because an old record is a candidate when it
// shares a blocking key with a new one; persons partition the old
// records (a record in two, or one not in tables, is EINVALID).
//
// Only pairs with a new record are scored. Clustering starts from the
// persons and merges as Link's does (strongest link first, unless the
// cross pairs speak against it), so a new record joins
// a person, makes a new one, or joins two persons its evidence and theirs
// support. Decisions are honoured as in Link: a must-link merges persons;
// a person that a cannot-link decision splits is dissolved, and its
// records are linked again as new ones. Persons never split otherwise.
// Reading every record's blocking keys and term frequencies costs time in
// proportion to all records; blocking, scoring and clustering cost time
// in proportion to the new records and their candidates. The same state,
// tables and persons give the same result.
func LinkIncremental(ctx context.Context, st *State, tables []Table, persons [][]RecordRef, opt Options) (*Result, error) {
	if st == nil || st.Model == nil {
		return nil, paradero.Errorf(paradero.EINVALID, "linkage: no state to link incrementally")
	}
	if err := st.validate(); err != nil {
		return nil, err
	}
	b := &base{rules: st.Settings.Blocking, model: st.Model, persons: persons, fitted: st.Records}
	return run(ctx, st.Settings, NewNormalizer(), tables, b, opt)
}
