package estimate

import "testing"

func TestHierarchicalModelsCount(t *testing.T) {
	tests := []struct{ k, order, want int }{
		{2, 1, 1},
		{3, 2, 8},
		{4, 3, 113},
		{5, 4, 6893},
		{6, 2, 32768},
	}
	for _, tt := range tests {
		ms := HierarchicalModels(tt.k, tt.order)
		if len(ms) != tt.want {
			t.Errorf("HierarchicalModels(%d, %d) = %d models, want %d", tt.k, tt.order, len(ms), tt.want)
		}
		seen := make(map[string]bool)
		for _, m := range ms {
			s := m.String()
			if seen[s] {
				t.Errorf("k=%d: model %s twice", tt.k, s)
			}
			seen[s] = true
			p, err := ParseModel(tt.k, s)
			if err != nil || p.String() != s || len(p.Terms) != len(m.Terms) {
				t.Errorf("ParseModel(%d, %q) = %v, %v; want the same model", tt.k, s, p, err)
			}
		}
	}
}

func TestModelString(t *testing.T) {
	tests := []struct {
		k    int
		in   string
		want string
	}{
		{3, "[1,2,3]", "[1,2,3]"},
		{3, "[23,1]", "[23,1]"},
		{3, "[1,32]", "[23,1]"},
		{4, "[123,14,34]", "[123,14,34]"},
		{4, "[134,123]", "[123,134]"},
		{5, "[135,12,24,34]", "[135,12,24,34]"},
	}
	for _, tt := range tests {
		m, err := ParseModel(tt.k, tt.in)
		if err != nil {
			t.Fatalf("ParseModel(%d, %q): %v", tt.k, tt.in, err)
		}
		if got := m.String(); got != tt.want {
			t.Errorf("ParseModel(%d, %q).String() = %q, want %q", tt.k, tt.in, got, tt.want)
		}
	}
	if _, err := ParseModel(3, "[123]"); err == nil {
		t.Errorf("ParseModel(3, [123]) succeeded; the 3-way term of 3 lists must be refused")
	}
}
