package paradero

import (
	"slices"
	"testing"
)

func validViolation() *Violation {
	return &Violation{Type: ViolationEnforcedDisappearance, Date: DateRange{From: PartialDate{Year: 2025, Month: 3, Day: 16}},
		Victims: []Victim{{RecordID: 4}, {RecordID: 2}}, Sources: []Citation{{SourceID: 1}, {RecordID: 7}}}
}

func TestViolationValidate(t *testing.T) {
	if err := validViolation().Validate(); err != nil {
		t.Fatalf("a valid violation: %v", err)
	}
	for name, change := range map[string]func(*Violation){
		"type":            func(v *Violation) { v.Type = "rudeness" },
		"no date":         func(v *Violation) { v.Date = DateRange{} },
		"to before from":  func(v *Violation) { v.Date.To = PartialDate{Year: 2025, Month: 3, Day: 1} },
		"bad date":        func(v *Violation) { v.Date.From = PartialDate{Year: 2025, Month: 2, Day: 30} },
		"no victim":       func(v *Violation) { v.Victims = nil },
		"victim twice":    func(v *Violation) { v.Victims = append(v.Victims, Victim{RecordID: 4}) },
		"victim 0":        func(v *Violation) { v.Victims[0].RecordID = 0 },
		"no source":       func(v *Violation) { v.Sources = nil },
		"empty citation":  func(v *Violation) { v.Sources = []Citation{{}} },
		"citation twice":  func(v *Violation) { v.Sources = append(v.Sources, Citation{SourceID: 1}) },
		"two-line place":  func(v *Violation) { v.Place = "a\nb" },
		"negative case":   func(v *Violation) { v.CaseID = -1 },
		"NUL perpetrator": func(v *Violation) { v.Perpetrator = "\x00" },
	} {
		v := validViolation()
		change(v)
		if err := v.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("%s: Validate = %v, want %s", name, err, EINVALID)
		}
	}
	v := validViolation()
	v.Date = DateRange{To: PartialDate{Year: 2025}} // "until 2025": a date all the same
	if err := v.Validate(); err != nil {
		t.Errorf("a violation dated only by its end: %v", err)
	}
}

func TestViolationTypesAreHuridocsActs(t *testing.T) {
	// The vocabulary names the acts issue 5 asks for, each once.
	for _, want := range []ViolationType{ViolationArbitraryDetention, ViolationEnforcedDisappearance, ViolationIncommunicado,
		ViolationTorture, ViolationDenialOfCounsel, ViolationRemovalDespiteOrder, ViolationDeathInCustody} {
		if !want.Valid() {
			t.Errorf("%s is not in the vocabulary", want)
		}
	}
	seen := map[ViolationType]bool{}
	for _, v := range ViolationTypes {
		if seen[v] {
			t.Errorf("%s twice", v)
		}
		seen[v] = true
	}
}

func TestViolationApplyVictimsAsASet(t *testing.T) {
	v := validViolation()
	same := []Victim{{RecordID: 2}, {RecordID: 4}}
	if got := v.Apply(ViolationUpdate{Victims: &same}); len(got) != 0 {
		t.Errorf("the same victims in another order changed %v", got)
	}
	more := []Victim{{RecordID: 9}, {RecordID: 2}}
	if got := v.Apply(ViolationUpdate{Victims: &more}); !slices.Equal(got, []string{"victims"}) ||
		!slices.Equal(v.VictimRecords(), []int64{2, 9}) {
		t.Errorf("new victims: changed %v, victims %v", got, v.VictimRecords())
	}
}

func TestNormalizeCitations(t *testing.T) {
	sourceOf := func(r int64) (int64, error) {
		if r == 99 {
			return 0, Errorf(ENOTFOUND, "record 99 not found")
		}
		return r / 10, nil // record 12 is of source 1, 31 of 3
	}
	got, err := NormalizeCitations([]Citation{{RecordID: 31}, {SourceID: 1}, {RecordID: 12}, {SourceID: 1, RecordID: 12}}, sourceOf)
	if want := []Citation{{SourceID: 1}, {SourceID: 1, RecordID: 12}, {SourceID: 3, RecordID: 31}}; err != nil || !slices.Equal(got, want) {
		t.Errorf("NormalizeCitations = %v, %v; want %v", got, err, want)
	}
	if _, err := NormalizeCitations([]Citation{{SourceID: 2, RecordID: 12}}, sourceOf); ErrorCode(err) != EINVALID {
		t.Errorf("a record cited under another source: %v, want %s", err, EINVALID)
	}
	if _, err := NormalizeCitations([]Citation{{RecordID: 99}}, sourceOf); ErrorCode(err) != ENOTFOUND {
		t.Errorf("a missing record: %v, want %s", err, ENOTFOUND)
	}
}
