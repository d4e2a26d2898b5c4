package linkage

import "testing"

func TestCountriesCode(t *testing.T) {
	c := NewCountries()
	for _, tt := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"VENEZOLANO", "VE", true},
		{"venezolana", "VE", true},
		{"Maiquetía, Venezuela", "VE", true},
		{"República Bolivariana de Venezuela", "VE", true},
		{"salvadoreño", "SV", true},
		{"El Salvador", "SV", true},
		{"Tecoluca", "", false},
		{"", "", false},
	} {
		got, ok := c.Code(tt.in)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("Code(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
