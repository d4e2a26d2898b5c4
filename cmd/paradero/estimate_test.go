package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

const kosovo = "../../../shared/benchmarks/mse/kosovo_4.csv"

func TestEstimateCommandText(t *testing.T) {
	var out, errb bytes.Buffer
	c := &estimateCommand{stdout: &out, stderr: &errb}
	if err := c.Run(t.Context(), []string{"--counts", kosovo}); err != nil {
		t.Fatalf("Run: %v (stderr %s)", err, errb.String())
	}
	for _, want := range []string{"Estimated total:", "10334", "[123,14,34]", "Models considered (113"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestEstimateCommandJSON(t *testing.T) {
	var out, errb bytes.Buffer
	c := &estimateCommand{stdout: &out, stderr: &errb}
	if err := c.Run(t.Context(), []string{"--counts", kosovo, "--json", "--criterion", "aic"}); err != nil {
		t.Fatalf("Run: %v (stderr %s)", err, errb.String())
	}
	var r struct {
		Estimate float64
		Chosen   struct{ Model string }
		Interval struct{ Lower, Upper float64 }
		Models   []json.RawMessage
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	// Rcapture's best-AIC model for Kosovo: [123,134], N 12741.0, profile
	// interval 10184.3 – 16703.4 (peer/out/rcapture_summary.csv).
	if r.Chosen.Model != "[123,134]" || len(r.Models) != 113 || r.Interval.Lower < 10184.2 || r.Interval.Lower > 10184.4 {
		t.Errorf("JSON = model %s, %d models, interval %v – %v", r.Chosen.Model, len(r.Models), r.Interval.Lower, r.Interval.Upper)
	}
}

// TestEstimateCommandOtherMethods checks --lcm and --bootstrap: both
// appear in the output, and the same seed gives the same figures.
func TestEstimateCommandOtherMethods(t *testing.T) {
	const spina = "../../../shared/benchmarks/mse/spina_bifida_3.csv"
	run := func() string {
		var out, errb bytes.Buffer
		c := &estimateCommand{stdout: &out, stderr: &errb}
		if err := c.Run(t.Context(), []string{"--counts", spina, "--lcm", "--lcm-samples", "300", "--bootstrap", "200", "--seed", "3"}); err != nil {
			t.Fatalf("Run: %v (stderr %s)", err, errb.String())
		}
		return out.String()
	}
	first := run()
	for _, want := range []string{"95% interval (parametric bootstrap):", "Latent classes (LCMCR, K=10, seed 3):"} {
		if !strings.Contains(first, want) {
			t.Errorf("output lacks %q:\n%s", want, first)
		}
	}
	if again := run(); again != first {
		t.Errorf("same seed, different output:\n%s\n---\n%s", first, again)
	}
}

func TestEstimateCommandErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"--counts", kosovo, "--criterion", "xyz"}, {"--counts", "/nonexistent.csv"}, {"--counts", kosovo, "--order", "9"}, {"--counts", kosovo, "--bootstrap", "3"}, {"--counts", kosovo, "--lcm", "--lcm-samples", "1"}} {
		var out, errb bytes.Buffer
		c := &estimateCommand{stdout: &out, stderr: &errb}
		if err := c.Run(t.Context(), args); err == nil {
			t.Errorf("Run(%q) succeeded, want an error", args)
		}
	}
}
