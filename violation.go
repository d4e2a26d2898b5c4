package paradero

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// ViolationType is what kind of act a violation is: a controlled
// vocabulary in the spirit of the HURIDOCS Events Standard Formats, whose
// "types of acts" thesaurus it follows for the acts that detention,
// disappearance and removal involve. A violation is one act of one type;
// an event with several (a removal despite a court order, followed by
// incommunicado detention) is recorded as several violations.
type ViolationType string

const (
	ViolationArbitraryDetention     ViolationType = "arbitrary-detention"
	ViolationEnforcedDisappearance  ViolationType = "enforced-disappearance"  // deprived of liberty, and the fate or whereabouts concealed or denied
	ViolationIncommunicado          ViolationType = "incommunicado-detention" // held with no contact with counsel, family or consul
	ViolationTorture                ViolationType = "torture"                 // torture or cruel, inhuman or degrading treatment
	ViolationInhumaneConditions     ViolationType = "inhumane-conditions"     // conditions of detention
	ViolationDenialOfCounsel        ViolationType = "denial-of-counsel"
	ViolationDenialOfConsularAccess ViolationType = "denial-of-consular-access"
	ViolationDenialOfFamilyContact  ViolationType = "denial-of-family-contact"
	ViolationDueProcess             ViolationType = "denial-of-due-process"       // detained or removed with no hearing, notice or chance to contest
	ViolationRemovalDespiteOrder    ViolationType = "removal-despite-court-order" // removed although a court barred it
	ViolationRefoulement            ViolationType = "refoulement"                 // sent where they face persecution or torture
	ViolationCollectiveExpulsion    ViolationType = "collective-expulsion"
	ViolationFamilySeparation       ViolationType = "family-separation"
	ViolationSexualViolence         ViolationType = "sexual-violence"
	ViolationDeathInCustody         ViolationType = "death-in-custody"
	ViolationOther                  ViolationType = "other"
)

// ViolationTypes lists every type, in the order a form offers them.
var ViolationTypes = []ViolationType{ViolationArbitraryDetention, ViolationEnforcedDisappearance,
	ViolationIncommunicado, ViolationTorture, ViolationInhumaneConditions, ViolationDenialOfCounsel,
	ViolationDenialOfConsularAccess, ViolationDenialOfFamilyContact, ViolationDueProcess,
	ViolationRemovalDespiteOrder, ViolationRefoulement, ViolationCollectiveExpulsion,
	ViolationFamilySeparation, ViolationSexualViolence, ViolationDeathInCustody, ViolationOther}

// Valid reports whether t is one of ViolationTypes.
func (t ViolationType) Valid() bool { return slices.Contains(ViolationTypes, t) }

// Victim is a person a violation was committed against, through one of
// their records, as CasePerson links a case: the violation concerns
// whichever person the record belongs to now.
type Victim struct {
	RecordID int64
	PersonID int64 // the record's person when recorded (0 if none): history, never access
}

// Citation is evidence of a violation: a whole source (RecordID 0) or
// one record of it.
type Citation struct {
	SourceID int64
	RecordID int64
}

// Violation is a human-rights violation recorded against one person or a
// group: its type, when (a date or a range, possibly partial), where, by
// which institution, and the sources that show it. Like a case it is
// documentation, not evidence: outside the ledger, every change
// attributed. Nothing is shown without its sources, so a violation cites
// at least one.
type Violation struct {
	ID          int64
	Type        ViolationType
	Date        DateRange
	Place       string
	Perpetrator string // the institution responsible, as named: "ICE", "Dirección General de Centros Penales"
	Group       string // a name for a group of victims, optional: "the men flown out on 15 March 2025"
	Victims     []Victim
	Sources     []Citation
	CaseID      int64 // the case it is part of, or 0
	Notes       string

	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
	UpdatedBy string
}

// MaxVictims bounds the victims of one recorded violation: a group as
// large as a removal flight's fits many times over.
const MaxVictims = 5000

// Validate checks a violation before it is stored. EINVALID names the
// field.
func (v *Violation) Validate() error {
	if !v.Type.Valid() {
		return Errorf(EINVALID, "violation type %q is not in the vocabulary", v.Type)
	}
	if !v.Date.From.Valid() || !v.Date.To.Valid() {
		return Errorf(EINVALID, "a violation's dates must be calendar dates")
	}
	if v.Date.IsZero() {
		return Errorf(EINVALID, "a violation needs a date, or at least a year")
	}
	if !dateNotBefore(v.Date.From, v.Date.To) {
		return Errorf(EINVALID, "a date range cannot end before it starts")
	}
	for _, f := range []struct{ name, v string }{{"place", v.Place}, {"perpetrator", v.Perpetrator}, {"group", v.Group}} {
		if err := checkCaseText(f.name, f.v, MaxCaseLine, true); err != nil {
			return err
		}
	}
	if err := checkCaseText("notes", v.Notes, MaxCaseText, false); err != nil {
		return err
	}
	if len(v.Victims) == 0 {
		return Errorf(EINVALID, "a violation is recorded against at least one person")
	}
	if len(v.Victims) > MaxVictims {
		return Errorf(EINVALID, "a violation names at most %d people", MaxVictims)
	}
	seen := make(map[int64]bool, len(v.Victims))
	for _, x := range v.Victims {
		if x.RecordID <= 0 {
			return Errorf(EINVALID, "a victim is named by a record id")
		}
		if seen[x.RecordID] {
			return Errorf(EINVALID, "record %d is named twice", x.RecordID)
		}
		seen[x.RecordID] = true
	}
	if len(v.Sources) == 0 {
		return Errorf(EINVALID, "a violation cites at least one source")
	}
	cited := make(map[Citation]bool, len(v.Sources))
	for _, c := range v.Sources {
		if c.SourceID < 0 || c.RecordID < 0 || c.SourceID == 0 && c.RecordID == 0 {
			return Errorf(EINVALID, "a citation is a source id or a record id")
		}
		if cited[c] {
			return Errorf(EINVALID, "a source is cited twice")
		}
		cited[c] = true
	}
	if v.CaseID < 0 {
		return Errorf(EINVALID, "a case id is positive")
	}
	return nil
}

// ViolationUpdate changes a violation; nil fields stay. Victims and
// Sources replace the whole list.
type ViolationUpdate struct {
	Type        *ViolationType
	Date        *DateRange
	Place       *string
	Perpetrator *string
	Group       *string
	Victims     *[]Victim
	Sources     *[]Citation
	CaseID      *int64
	Notes       *string
}

// Apply sets the fields upd gives and returns the names of those that
// changed. Victims compare as a set; Sources as given, so a store
// normalises them (NormalizeCitations) before applying.
func (v *Violation) Apply(upd ViolationUpdate) []string {
	var changed []string
	setField(&changed, "type", &v.Type, upd.Type)
	setField(&changed, "date", &v.Date, upd.Date)
	setField(&changed, "place", &v.Place, upd.Place)
	setField(&changed, "perpetrator", &v.Perpetrator, upd.Perpetrator)
	setField(&changed, "group", &v.Group, upd.Group)
	setField(&changed, "case", &v.CaseID, upd.CaseID)
	setField(&changed, "notes", &v.Notes, upd.Notes)
	if upd.Victims != nil {
		byRecord := func(a, b Victim) int { return cmp.Compare(a.RecordID, b.RecordID) }
		now, next := slices.SortedFunc(slices.Values(v.Victims), byRecord), slices.SortedFunc(slices.Values(*upd.Victims), byRecord)
		if !slices.EqualFunc(now, next, func(a, b Victim) bool { return a.RecordID == b.RecordID }) {
			v.Victims = next
			changed = append(changed, "victims")
		}
	}
	if upd.Sources != nil && !slices.Equal(v.Sources, *upd.Sources) {
		v.Sources = slices.Clone(*upd.Sources)
		changed = append(changed, "sources")
	}
	return changed
}

// VictimRecords returns the records of a violation's victims.
func (v *Violation) VictimRecords() []int64 {
	out := make([]int64, len(v.Victims))
	for i, x := range v.Victims {
		out[i] = x.RecordID
	}
	return out
}

// ViolationFilter selects violations. Zero fields select everything;
// given fields must all hold.
type ViolationFilter struct {
	Type ViolationType
	// Records selects violations against one of these records (a
	// person's records); nil selects any, an empty slice none.
	Records []int64
	CaseID  int64
	Offset  int
	Limit   int // 0 means a default page of 100
}

// ViolationService keeps violations. Like CaseService it stores and
// attributes; the caller decides who may see or record them.
type ViolationService interface {
	// CreateViolation stores v; the store sets ID, times and actors, and
	// fills a citation's SourceID from its record. EINVALID (Validate, a
	// record cited with another source), ENOTFOUND for a record, source
	// or case that does not exist.
	CreateViolation(ctx context.Context, v *Violation) error
	// FindViolationByID returns ENOTFOUND if there is no such violation.
	FindViolationByID(ctx context.Context, id int64) (*Violation, error)
	// FindViolations returns a page of violations, latest date first, and
	// the total.
	FindViolations(ctx context.Context, f ViolationFilter) ([]*Violation, int, error)
	// UpdateViolation applies upd and returns the violation as stored.
	// ENOTFOUND, EINVALID.
	UpdateViolation(ctx context.Context, id int64, upd ViolationUpdate) (*Violation, error)
}

// NormalizeCitations fills each citation's source from its record through
// sourceOf (record id → source id) and sorts them: the form a store
// keeps. EINVALID if a record is cited under another source; sourceOf's
// error (ENOTFOUND) as it comes.
func NormalizeCitations(cs []Citation, sourceOf func(recordID int64) (int64, error)) ([]Citation, error) {
	out := slices.Clone(cs)
	for i, c := range out {
		if c.RecordID == 0 {
			continue
		}
		src, err := sourceOf(c.RecordID)
		if err != nil {
			return nil, err
		}
		if c.SourceID != 0 && c.SourceID != src {
			return nil, Errorf(EINVALID, "record %d is not of source %d", c.RecordID, c.SourceID)
		}
		out[i].SourceID = src
	}
	slices.SortFunc(out, func(a, b Citation) int {
		if a.SourceID != b.SourceID {
			return cmp.Compare(a.SourceID, b.SourceID)
		}
		return cmp.Compare(a.RecordID, b.RecordID)
	})
	return slices.Compact(out), nil
}
