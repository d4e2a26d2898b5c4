package ingest_test

import (
	"strings"
	"testing"

	"github.com/paradero/paradero/ingest"
)

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in    string
		order ingest.DateOrder
		want  string // ISO form, or "error: part of the message"
	}{
		{"", ingest.DMY, ""},
		{"  ", ingest.DMY, ""},
		{"2025-03-15", ingest.DMY, "2025-03-15"},
		{"2025-03-15", ingest.MDY, "2025-03-15"},
		{"2025/3/5", ingest.DMY, "2025-03-05"},
		{"2025.03.15", ingest.DMY, "2025-03-15"},
		{"20250315", ingest.DMY, "2025-03-15"},
		{"15/03/2025", ingest.DMY, "2025-03-15"},
		{"15-03-2025", ingest.DMY, "2025-03-15"},
		{"15.03.2025", ingest.DMY, "2025-03-15"},
		{"5/3/2025", ingest.DMY, "2025-03-05"},
		{"5/3/2025", ingest.MDY, "2025-05-03"},
		{"03/04/2025", ingest.DMY, "2025-04-03"},
		{"03/04/2025", ingest.MDY, "2025-03-04"},
		{"03/04/2025", ingest.YMD, "2025-04-03"},
		{"15-mar-2025", ingest.DMY, "2025-03-15"},
		{"15-MAR-2025", ingest.MDY, "2025-03-15"},
		{"15 Mar. 2025", ingest.DMY, "2025-03-15"},
		{"15 de marzo de 2025", ingest.DMY, "2025-03-15"},
		{"15 de Marzo del 2025", ingest.DMY, "2025-03-15"},
		{"1ro de mayo de 2024", ingest.DMY, "2024-05-01"},
		{"1º de enero de 2000", ingest.DMY, "2000-01-01"},
		{"sábado, 15 de marzo de 2025", ingest.DMY, "2025-03-15"},
		{"March 15, 2025", ingest.DMY, "2025-03-15"},
		{"March 15th, 2025", ingest.DMY, "2025-03-15"},
		{"Sept. 2, 2024", ingest.DMY, "2024-09-02"},
		{"setiembre 2, 2024", ingest.DMY, "2024-09-02"},
		{"2 August 2024", ingest.DMY, "2024-08-02"},
		{"Monday, March 3, 2025", ingest.DMY, "2025-03-03"},
		{"2025 mar 15", ingest.DMY, "2025-03-15"},
		{"2025-03", ingest.DMY, "2025-03"},
		{"03/2025", ingest.DMY, "2025-03"},
		{"3-2025", ingest.DMY, "2025-03"},
		{"marzo de 2025", ingest.DMY, "2025-03"},
		{"Mar 2025", ingest.DMY, "2025-03"},
		{"DIC-1999", ingest.DMY, "1999-12"},
		{"Ago 1999", ingest.DMY, "1999-08"},
		{"1998", ingest.DMY, "1998"},
		{" 1998 ", ingest.DMY, "1998"},
		{"2025-03-15 10:30", ingest.DMY, "2025-03-15"},
		{"2025-03-15T10:30:00Z", ingest.DMY, "2025-03-15"},
		{"2025-03-15T10:30:00-05:00", ingest.DMY, "2025-03-15"},
		{"15/03/2025 10:30:00 p. m.", ingest.DMY, "2025-03-15"},
		{"2024-02-29", ingest.DMY, "2024-02-29"},

		{"2025-02-29", ingest.DMY, "error: not a calendar date"},
		{"31/04/2025", ingest.DMY, "error: not a calendar date"},
		{"03/15/2025", ingest.DMY, `error: has no month 15 (read as day first; set "date_order": "MDY"`},
		{"15/03/2025", ingest.MDY, `error: has no month 15 (read as month first; set "date_order": "DMY"`},
		{"32/01/2025", ingest.DMY, "error: has no day 32"},
		{"00/01/2025", ingest.DMY, "error: has no day 0"},
		{"2025-13", ingest.DMY, "error: has no month 13"},
		{"2025-00-10", ingest.DMY, "error: has no month 0"},
		{"15/03/25", ingest.DMY, "error: has no four-digit year"},
		{"15-mar-25", ingest.DMY, "error: has no four-digit year"},
		{"15 de marzo", ingest.DMY, "error: has no four-digit year"},
		{"1750", ingest.DMY, "error: year 1750 is outside 1800–2200"},
		{"12/12/2301", ingest.DMY, "error: year 2301 is outside"},
		{"ayer", ingest.DMY, `error: "ayer" is not a month name`},
		{"15 de marzo de 2025 aprox", ingest.DMY, `error: "aprox" is not a month name`},
		{"1/2/3/2025", ingest.DMY, "error: too many parts"},
		{"45731", ingest.DMY, "error: a 5-digit number"},
		{"2025-03-15?", ingest.DMY, "error: unexpected '?'"},
		{strings.Repeat("1", 200), ingest.DMY, "error: too long to be a date"},
	} {
		d, err := ingest.ParseDate(tc.in, tc.order)
		if want, ok := strings.CutPrefix(tc.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("ParseDate(%q, %v) = %v, %v; want an error with %q", tc.in, tc.order, d, err, want)
			}
			continue
		}
		if err != nil || d.String() != tc.want {
			t.Errorf("ParseDate(%q, %v) = %v, %v; want %s", tc.in, tc.order, d, err, tc.want)
		}
	}
}
