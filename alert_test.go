package paradero

import "testing"

func TestParseFollowTarget(t *testing.T) {
	for _, tc := range []struct {
		in         string
		kind       FollowKind
		obj        string
		wantsError bool
	}{
		{"12", FollowPerson, "12", false},
		{"person:12", FollowPerson, "12", false},
		{"watch:w1", FollowWatch, "w1", false},
		{"case:3", FollowCase, "3", false},
		{"facility:  el  valle ", FollowFacility, "EL VALLE", false},
		{"person:ana", "", "", true},
		{"person:-1", "", "", true},
		{"watch:", "", "", true},
		{"watch:a b", "", "", true},
		{"facility:", "", "", true},
		{"flight:GXT-2", "", "", true},
	} {
		kind, obj, err := ParseFollowTarget(tc.in)
		if (err != nil) != tc.wantsError || kind != tc.kind || obj != tc.obj {
			t.Errorf("ParseFollowTarget(%q) = %q, %q, %v", tc.in, kind, obj, err)
		}
	}
}

func TestNoticeSubjects(t *testing.T) {
	n := &Notice{WatchKey: "w1", PersonID: 7, From: "el valle", To: "EL VALLE"}
	got := n.Subjects()
	if len(got) != 3 || got[0] != "watch:w1" || got[1] != "person:7" || got[2] != "facility:EL VALLE" {
		t.Errorf("Subjects = %q", got)
	}
}
