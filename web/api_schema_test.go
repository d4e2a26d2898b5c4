package web_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// The OpenAPI document, read as the tests check responses against it: a
// small validator of the JSON Schema the document uses ($ref, oneOf,
// type, const, enum, properties, required, additionalProperties, items,
// format date-time, pattern, minimum, maximum), strict enough that a
// field the document does not describe, or one it requires but a response
// lacks, fails the test.

type openAPI struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas   map[string]any            `json:"schemas"`
		Responses map[string]map[string]any `json:"responses"`
	} `json:"components"`
}

func readOpenAPI() (*openAPI, error) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	var doc openAPI
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	return &doc, nil
}

// templateFor returns the documented path template that path (under
// /api/v1, without the query) matches, literal segments before
// parameters, as ServeMux chooses.
func (d *openAPI) templateFor(path string) (string, bool) {
	rel := strings.TrimPrefix(path, "/api/v1")
	var best string
	bestParams := -1
	for tmpl := range d.Paths {
		re := "^" + regexp.MustCompile(`\\\{[^/]+\\\}`).ReplaceAllString(regexp.QuoteMeta(tmpl), `[^/]+`) + "$"
		if !regexp.MustCompile(re).MatchString(rel) {
			continue
		}
		if n := strings.Count(tmpl, "{"); bestParams < 0 || n < bestParams {
			best, bestParams = tmpl, n
		}
	}
	return best, bestParams >= 0
}

// documented reports whether method on path is a documented operation.
func (d *openAPI) documented(method, path string) bool {
	tmpl, ok := d.templateFor(path)
	if !ok {
		return false
	}
	_, ok = d.Paths[tmpl][strings.ToLower(method)]
	return ok
}

type operation struct {
	Responses map[string]map[string]any `json:"responses"`
}

// checkResponse checks a response against the document: the route and
// status are documented, the content type is one the document gives, and
// a JSON body matches its schema.
func (d *openAPI) checkResponse(method, path string, status int, contentType string, body []byte) error {
	tmpl, ok := d.templateFor(path)
	if !ok {
		return fmt.Errorf("no documented path matches %s", path)
	}
	raw, ok := d.Paths[tmpl][strings.ToLower(method)]
	if !ok {
		return fmt.Errorf("%s %s is not documented", method, tmpl)
	}
	var op operation
	if err := json.Unmarshal(raw, &op); err != nil {
		return err
	}
	resp, ok := op.Responses[fmt.Sprint(status)]
	if !ok {
		return fmt.Errorf("%s %s: status %d is not documented", method, tmpl, status)
	}
	if r, ok := resp["$ref"].(string); ok {
		resp = d.Components.Responses[strings.TrimPrefix(r, "#/components/responses/")]
	}
	content, _ := resp["content"].(map[string]any)
	mt, _, _ := strings.Cut(contentType, ";")
	media, ok := content[mt].(map[string]any)
	if !ok {
		media, ok = content["*/*"].(map[string]any) // a source file, of whatever type it was imported as
	}
	if !ok {
		return fmt.Errorf("%s %s %d: content type %q is not documented", method, tmpl, status, contentType)
	}
	if mt != "application/json" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%s %s %d: the body is not JSON: %v", method, tmpl, status, err)
	}
	if err := d.validate(media["schema"], v, "$"); err != nil {
		return fmt.Errorf("%s %s %d: %v", method, tmpl, status, err)
	}
	return nil
}

func (d *openAPI) validate(schema, v any, at string) error {
	s, _ := schema.(map[string]any)
	if s == nil {
		return nil
	}
	if r, ok := s["$ref"].(string); ok {
		return d.validate(d.Components.Schemas[strings.TrimPrefix(r, "#/components/schemas/")], v, at)
	}
	if alts, ok := s["oneOf"].([]any); ok {
		var errs []string
		n := 0
		for _, a := range alts {
			if err := d.validate(a, v, at); err != nil {
				errs = append(errs, err.Error())
			} else {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: matches %d of oneOf's schemas, want 1: %s", at, n, strings.Join(errs, "; "))
		}
		return nil
	}
	if err := checkType(s["type"], v, at); err != nil {
		return err
	}
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		return fmt.Errorf("%s: %v is not %v", at, v, c)
	}
	if e, ok := s["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return fmt.Sprint(x) == fmt.Sprint(v) }) {
		return fmt.Errorf("%s: %v is not one of %v", at, v, e)
	}
	switch x := v.(type) {
	case string:
		if f, _ := s["format"].(string); f == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, x); err != nil {
				return fmt.Errorf("%s: %q is not a date-time", at, x)
			}
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			return fmt.Errorf("%s: %q does not match %s", at, x, p)
		}
	case json.Number:
		f, _ := x.Float64()
		if m, ok := s["minimum"].(float64); ok && f < m {
			return fmt.Errorf("%s: %v is under %v", at, f, m)
		}
		if m, ok := s["maximum"].(float64); ok && f > m {
			return fmt.Errorf("%s: %v is over %v", at, f, m)
		}
	case []any:
		for i, item := range x {
			if err := d.validate(s["items"], item, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		required, _ := s["required"].([]any)
		for _, r := range required {
			if _, ok := x[r.(string)]; !ok {
				return fmt.Errorf("%s: required field %q is missing", at, r)
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps, ok := props[k]
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ok && !ap {
					return fmt.Errorf("%s: field %q is not documented", at, k)
				}
			case map[string]any:
				if !ok {
					ps = ap
				}
			}
			if err := d.validate(ps, x[k], at+"."+k); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkType checks v against a schema's type: a name or a list of names.
func checkType(t, v any, at string) error {
	var names []string
	switch x := t.(type) {
	case nil:
		return nil
	case string:
		names = []string{x}
	case []any:
		for _, n := range x {
			names = append(names, n.(string))
		}
	}
	for _, n := range names {
		if isType(n, v) {
			return nil
		}
	}
	return fmt.Errorf("%s: %s is not of type %v", at, jsonKind(v), names)
}

func isType(name string, v any) bool {
	switch name {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := n.Int64()
		return err == nil
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
