package paradero

import (
	"strings"
	"testing"
	"time"
)

func TestMayBeMinor(t *testing.T) {
	now := time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	d := func(y, m, day int) PartialDate { return PartialDate{Year: y, Month: m, Day: day} }
	for _, tc := range []struct {
		name  string
		birth PartialDate
		age   string
		asOf  PartialDate
		want  bool
	}{
		{"nothing known", PartialDate{}, "", PartialDate{}, false},
		{"adult by date", d(1990, 4, 2), "", PartialDate{}, false},
		{"eighteen today", d(2007, 6, 15), "", PartialDate{}, false},
		{"eighteen tomorrow", d(2007, 6, 16), "", PartialDate{}, true},
		{"year only, may be 17", d(2007, 0, 0), "", PartialDate{}, true},
		{"year only, surely 18", d(2006, 0, 0), "", PartialDate{}, false},
		{"month only, may be 17", d(2007, 6, 0), "", PartialDate{}, true},
		{"month only, surely 18", d(2007, 5, 0), "", PartialDate{}, false},
		{"child", d(2015, 1, 1), "", PartialDate{}, true},
		{"age 17 undated", PartialDate{}, "17", PartialDate{}, true},
		{"age 17 written in words", PartialDate{}, "17 años", PartialDate{}, true},
		{"age range takes the smaller", PartialDate{}, "17-19", PartialDate{}, true},
		{"age 17 two years ago", PartialDate{}, "17", d(2023, 3, 1), false},
		{"age 17 last year, birthday passed", PartialDate{}, "17", d(2024, 3, 1), false},
		{"age 17 last year, birthday to come", PartialDate{}, "17", d(2024, 9, 1), true},
		{"age 16 in a year-only source of 2023", PartialDate{}, "16", d(2023, 0, 0), true},
		{"age 16 in a year-only source of 2022", PartialDate{}, "16", d(2022, 0, 0), false},
		{"age months", PartialDate{}, "8 meses", PartialDate{}, true},
		{"adult age", PartialDate{}, "34", PartialDate{}, false},
		{"a year is not an age", PartialDate{}, "nacido en 2010", PartialDate{}, false},
		{"no number", PartialDate{}, "adulto", PartialDate{}, false},
		{"adult date, minor age: doubt wins", d(1990, 1, 1), "15", PartialDate{}, true},
	} {
		if got := MayBeMinor(tc.birth, tc.age, tc.asOf, now); got != tc.want {
			t.Errorf("%s: MayBeMinor(%v, %q, %v) = %v, want %v", tc.name, tc.birth, tc.age, tc.asOf, got, tc.want)
		}
	}
}

func TestRecordMayBeMinor(t *testing.T) {
	now := time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC)
	r := &Record{FullName: "X", Age: "17", EventDate: DateRange{From: PartialDate{Year: 2020, Month: 1, Day: 1}}}
	if RecordMayBeMinor(r, PartialDate{Year: 2025}, now) {
		t.Error("age 17 in 2020 is an adult in 2025, but the record reads as a minor")
	}
	r.EventDate = DateRange{}
	if !RecordMayBeMinor(r, PartialDate{Year: 2025}, now) {
		t.Error("age 17 in a source of 2025 may be a minor, but the record reads as an adult")
	}
	req := &TracingRequest{SoughtAge: "16", CreatedAt: now.AddDate(-1, 0, 0)}
	if !req.MayBeMinor(now) {
		t.Error("a request for a 16-year-old filed a year ago may be for a minor")
	}
	req.CreatedAt = now.AddDate(-3, 0, 0)
	if req.MayBeMinor(now) {
		t.Error("a request for a 16-year-old filed three years ago is for an adult now")
	}
}

func TestTracingRef(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		r := NewTracingRef()
		if !ValidTracingRef(r) {
			t.Fatalf("NewTracingRef() = %q, which ValidTracingRef refuses", r)
		}
		if seen[r] {
			t.Fatalf("NewTracingRef repeated %q in 1000 calls", r)
		}
		seen[r] = true
	}
	for _, bad := range []string{"", "ABCDE-FGHJ", "ABCDE-FGHJKL", "ABCDEFGHJKM", "ABCDE-FGHJ0", "abcde-fghjk", "ABCDE/FGHJK", "12345-67890"} {
		if ValidTracingRef(bad) {
			t.Errorf("ValidTracingRef(%q) = true", bad)
		}
	}
}

func TestTracingRequestValidate(t *testing.T) {
	ok := func() *TracingRequest {
		return &TracingRequest{SoughtName: "José Pérez", Relationship: "madre", Contact: "+58 412 555 0101",
			SoughtBirthDate: PartialDate{Year: 1990}}
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("a complete request: %v", err)
	}
	for name, mod := range map[string]func(*TracingRequest){
		"no name":          func(r *TracingRequest) { r.SoughtName = "  " },
		"digits only":      func(r *TracingRequest) { r.SoughtName = "12345" },
		"no relationship":  func(r *TracingRequest) { r.Relationship = "" },
		"no contact":       func(r *TracingRequest) { r.Contact = "" },
		"two-line name":    func(r *TracingRequest) { r.SoughtName = "José\nPérez" },
		"NUL":              func(r *TracingRequest) { r.Details = "a\x00b" },
		"long details":     func(r *TracingRequest) { r.Details = strings.Repeat("x", 4001) },
		"long name":        func(r *TracingRequest) { r.SoughtName = strings.Repeat("x", 201) },
		"bad date":         func(r *TracingRequest) { r.LastSeenDate = PartialDate{Year: 2025, Month: 2, Day: 30} },
		"bad UTF-8 place":  func(r *TracingRequest) { r.LastSeenPlace = "\xff" },
		"bad birth date":   func(r *TracingRequest) { r.SoughtBirthDate = PartialDate{Year: 1990, Day: 3} },
		"two-line contact": func(r *TracingRequest) { r.Contact = "a\rb" },
	} {
		r := ok()
		mod(r)
		if err := r.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("%s: Validate = %v, want EINVALID", name, err)
		}
	}
}

func TestTracingAnswerValidate(t *testing.T) {
	for _, tc := range []struct {
		a    TracingAnswer
		want string
	}{
		{TracingAnswer{Outcome: OutcomeLocated, Records: []int64{1}, Message: "m"}, ""},
		{TracingAnswer{Outcome: OutcomeLocated, Message: "m"}, EINVALID},
		{TracingAnswer{Outcome: OutcomeNotLocated, Message: "m"}, ""},
		{TracingAnswer{Outcome: OutcomeNotLocated, Records: []int64{1}, Message: "m"}, EINVALID},
		{TracingAnswer{Outcome: OutcomeReferred, Message: " "}, EINVALID},
		{TracingAnswer{Outcome: "maybe", Message: "m"}, EINVALID},
	} {
		if got := ErrorCode(tc.a.Validate()); got != tc.want {
			t.Errorf("Validate(%+v) = %q, want %q", tc.a, got, tc.want)
		}
	}
}

func TestForRequesterHidesStaffWork(t *testing.T) {
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	r := &TracingRequest{ID: 1, SoughtName: "José",
		Verification: &TracingVerification{Method: VerifyVideoCall, Note: "cédula vista", By: "user:3", At: at},
		Answer:       &TracingAnswer{Outcome: OutcomeLocated, Records: []int64{7}, PersonID: 4, Message: "Está en CECOT.", By: "user:3", At: at},
		Closure:      &TracingClosure{Reason: CloseOther, Note: "nota interna", By: "user:3", At: at},
	}
	v := r.ForRequester()
	if v.Verification.Note != "" || v.Verification.By != "" || v.Answer.By != "" || v.Answer.Records != nil ||
		v.Answer.PersonID != 0 || v.Closure.Note != "" || v.Closure.By != "" {
		t.Errorf("ForRequester shows staff work: %+v %+v %+v", v.Verification, v.Answer, v.Closure)
	}
	if v.Answer.Message != "Está en CECOT." || v.Answer.Outcome != OutcomeLocated || !v.Verification.At.Equal(at) || v.SoughtName != "José" {
		t.Errorf("ForRequester hides what the requester may see: %+v", v)
	}
	if r.Verification.Note == "" || r.Answer.PersonID != 4 {
		t.Error("ForRequester changed the request it was given")
	}
}

func TestTracingPermissions(t *testing.T) {
	for _, r := range Roles {
		if got, want := r.Can(PermFileTracing), r == RoleFamily; got != want {
			t.Errorf("%s.Can(file tracing) = %v, want %v", r, got, want)
		}
		if got, want := r.Can(PermHandleTracing), r == RoleAdmin || r == RoleDocumenter; got != want {
			t.Errorf("%s.Can(handle tracing) = %v, want %v", r, got, want)
		}
	}
	if RoleFamily.Can(PermBrowseEvidence) {
		t.Error("a family member browses evidence")
	}
}
