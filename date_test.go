package paradero

import "testing"

func TestPartialDateRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		d    PartialDate
		want string
	}{
		{PartialDate{}, ""},
		{PartialDate{Year: 1998}, "1998"},
		{PartialDate{Year: 1998, Month: 7}, "1998-07"},
		{PartialDate{Year: 1998, Month: 7, Day: 4}, "1998-07-04"},
		{PartialDate{Year: 2024, Month: 2, Day: 29}, "2024-02-29"},
	} {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.d, got, tt.want)
		}
		back, err := ParsePartialDate(tt.want)
		if err != nil || back != tt.d {
			t.Errorf("ParsePartialDate(%q) = %v, %v; want %v", tt.want, back, err, tt.d)
		}
	}
	for _, bad := range []string{"2023-02-29", "1998-13", "1998-00-01", "98", "1998-7-4", "1998-07-", "x", "1700", "1998-07-04-01"} {
		if d, err := ParsePartialDate(bad); err == nil {
			t.Errorf("ParsePartialDate(%q) = %v, want an error", bad, d)
		}
	}
}

func TestDateRange(t *testing.T) {
	for _, s := range []string{"", "2025-03-15", "2025-03-15/2025-07-18", "2025/2026-01"} {
		r, err := ParseDateRange(s)
		if err != nil || r.String() != s {
			t.Errorf("ParseDateRange(%q) = %v, %v; want it back", s, r, err)
		}
	}
	if _, err := ParseDateRange("2025-03-15/"); err == nil {
		t.Errorf("ParseDateRange with an empty end: want an error")
	}
}
