package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes checks that every route of the API is in the
// OpenAPI document, with its method, path and path parameters, and that
// every operation the document describes is routed.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Servers []struct{ URL string }                `json:"servers"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/v1" {
		t.Fatalf("openapi %q, servers %v: want 3.1.0 at /api/v1", doc.OpenAPI, doc.Servers)
	}
	documented := make(map[string]json.RawMessage)
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[strings.ToUpper(method)+" /api/v1"+path] = op
		}
	}
	s := &Server{}
	routed := make(map[string]bool)
	for _, rt := range s.apiRouteTable() {
		if routed[rt.pattern] {
			t.Errorf("%s is routed twice", rt.pattern)
		}
		routed[rt.pattern] = true
		op, ok := documented[rt.pattern]
		if !ok {
			t.Errorf("%s is routed but not in openapi.json", rt.pattern)
			continue
		}
		var o struct {
			Parameters []struct {
				Ref  string `json:"$ref"`
				Name string
				In   string
			}
			Security []map[string][]string
		}
		if err := json.Unmarshal(op, &o); err != nil {
			t.Fatal(err)
		}
		var want, got []string
		for _, seg := range strings.Split(rt.pattern, "/") {
			if strings.HasPrefix(seg, "{") {
				want = append(want, strings.Trim(seg, "{}"))
			}
		}
		for _, p := range o.Parameters {
			if p.Ref != "" {
				// Shared parameters: id is the only path parameter among them.
				name := strings.TrimPrefix(p.Ref, "#/components/parameters/")
				if name == "id" || name == "a" || name == "b" {
					got = append(got, name)
				}
			} else if p.In == "path" {
				got = append(got, p.Name)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Errorf("%s: path parameters documented %v, want %v", rt.pattern, got, want)
		}
		// Open routes say so: the document's default is a bearer token.
		if open := slices.ContainsFunc(o.Security, func(m map[string][]string) bool { return len(m) == 0 }); open != rt.open {
			t.Errorf("%s: documented as open %v, routed as open %v", rt.pattern, open, rt.open)
		}
	}
	for op := range documented {
		if !routed[op] {
			t.Errorf("openapi.json describes %s, which is not routed", op)
		}
	}
}

// TestAPICodesHaveStatuses checks that every API code maps to an error
// status and every documented code is one the API uses.
func TestAPICodesHaveStatuses(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct {
									Enum []string
								}
							}
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	documented := doc.Components.Schemas.Error.Properties.Error.Properties.Code.Enum
	for code, status := range apiCodes {
		if status < 400 || http.StatusText(status) == "" {
			t.Errorf("code %s maps to %d", code, status)
		}
		if !slices.Contains(documented, code) {
			t.Errorf("code %s is not in the document's Error schema", code)
		}
	}
	for _, code := range documented {
		if _, ok := apiCodes[code]; !ok {
			t.Errorf("the document lists code %s, which the API does not use", code)
		}
	}
}

// TestOpenAPIReferencesResolve checks that every $ref in the document
// names something the document defines.
func TestOpenAPIReferencesResolve(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				var target any = doc
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := target.(map[string]any)
					target = m[part]
				}
				if !strings.HasPrefix(ref, "#/") || target == nil {
					t.Errorf("%s: $ref %q resolves to nothing", at, ref)
				}
			}
			for k, e := range x {
				walk(e, at+"/"+k)
			}
		case []any:
			for _, e := range x {
				walk(e, at)
			}
		}
	}
	walk(doc, "#")
}
