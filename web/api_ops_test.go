package web_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/locale"
	"github.com/paradero/paradero/metrics"
	"github.com/paradero/paradero/web"
)

func TestHealthAndReadiness(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	if r := c.get("/healthz"); r.status != http.StatusOK || r.body != "ok\n" {
		t.Errorf("/healthz = %d %q", r.status, r.body)
	}
	if r := c.get("/readyz"); r.status != http.StatusOK {
		t.Errorf("/readyz = %d %q", r.status, r.body)
	}
	// Probes set no cookie (a load balancer keeps none).
	if r := c.get("/readyz"); len(r.header.Values("Set-Cookie")) != 0 {
		t.Errorf("/readyz sets cookies")
	}
	w.db.Close()
	if r := c.get("/readyz"); r.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the store closed = %d, want 503", r.status)
	}
	if r := c.get("/healthz"); r.status != http.StatusOK {
		t.Errorf("/healthz with the store closed = %d, want 200: the process still answers", r.status)
	}
}

// metricLine is a sample line of the Prometheus text format.
var metricLine = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? [-+0-9.eEInfNa]+$`)

func TestMetrics(t *testing.T) {
	w := newWorld(t)
	doc := w.api(paradero.RoleDocumenter)
	doc.get("/api/v1/sources")
	doc.get("/api/v1/sources")
	doc.get("/api/v1/records/999")
	w.client().get("/stats")

	if r := w.api("").get("/metrics"); r.status != http.StatusUnauthorized || r.errorCode() != "unauthorized" {
		t.Errorf("/metrics without a token = %d %s", r.status, r.body)
	}
	if r := doc.get("/metrics"); r.status != http.StatusNotFound {
		t.Errorf("/metrics with a documenter's token = %d, want 404", r.status)
	}
	r := w.api(paradero.RoleAdmin).get("/metrics")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != metrics.ContentType {
		t.Fatalf("/metrics for an admin = %d %q", r.status, r.header.Get("Content-Type"))
	}
	body := string(r.body)
	for _, want := range []string{
		`paradero_http_requests_total{method="GET",route="GET /api/v1/sources",status="200"} 2`,
		`paradero_http_requests_total{method="GET",route="GET /api/v1/records/{id}",status="404"} 1`,
		`paradero_http_requests_total{method="GET",route="GET /stats",status="200"} 1`,
		`paradero_http_requests_total{method="GET",route="GET /metrics",status="401"} 1`,
		`paradero_http_request_duration_seconds_count{method="GET",route="GET /api/v1/sources",status="200"} 2`,
		"paradero_api_auth_failures_total 1",
		"paradero_store_up 1",
		`paradero_store_objects{kind="records"} 5`,
		`paradero_store_objects{kind="redactions"} 1`,
		"paradero_ledger_entries 7",
		"paradero_ledger_checkpoint_size 6",
		"paradero_review_queue_pairs 0",
	} {
		if !strings.Contains(body, "\n"+want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if l := sc.Text(); !strings.HasPrefix(l, "# ") && !metricLine.MatchString(l) {
			t.Errorf("/metrics line %q is not in the text format", l)
		}
	}
	if strings.Contains(body, "/api/v1/records/999") {
		t.Errorf("/metrics names a raw path")
	}
}

// otherServer serves w's store through a server of another
// configuration, for the settings the fixture leaves at their defaults.
func (w *world) otherServer(cfg web.Config) *httptest.Server {
	w.t.Helper()
	cat, err := locale.Load()
	if err != nil {
		w.t.Fatal(err)
	}
	cfg.Store, cfg.Catalog = w.db, cat
	cfg.Prove = func(context.Context, int64) ([]byte, error) { return nil, errors.New("no prover") }
	app, err := web.New(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { app.Close() })
	srv := httptest.NewServer(app)
	w.t.Cleanup(srv.Close)
	return srv
}

// bearerGet asks srv for path with a bearer token and returns the status.
func bearerGet(t *testing.T, srv *httptest.Server, path, token string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestMetricsToken reads /metrics with the scrape token an operator
// configures, and not with another.
func TestMetricsToken(t *testing.T) {
	w := newWorld(t)
	srv := w.otherServer(web.Config{MetricsToken: "scrape-secret"})
	if got := bearerGet(t, srv, "/metrics", "scrape-secret"); got != http.StatusOK {
		t.Errorf("/metrics with the scrape token = %d", got)
	}
	if got := bearerGet(t, srv, "/metrics", "scrape-secreT"); got != http.StatusUnauthorized {
		t.Errorf("/metrics with a wrong token = %d, want 401", got)
	}
	// The scrape token is no API token.
	if got := bearerGet(t, srv, "/api/v1/me", "scrape-secret"); got != http.StatusUnauthorized {
		t.Errorf("the scrape token on the API = %d, want 401", got)
	}
}

// TestAPITwoFactorPolicy checks that where staff must sign in with a
// second factor, a staff member's token works only once they have one,
// as the pages let them do nothing before.
func TestAPITwoFactorPolicy(t *testing.T) {
	w := newWorld(t)
	srv := w.otherServer(web.Config{RequireTwoFactor: true})
	if got := bearerGet(t, srv, "/api/v1/me", w.apiToken(paradero.RoleDocumenter)); got != http.StatusForbidden {
		t.Errorf("a documenter without a second factor = %d, want 403", got)
	}
	if got := bearerGet(t, srv, "/metrics", w.apiToken(paradero.RoleAdmin)); got != http.StatusForbidden {
		t.Errorf("an admin without a second factor reading /metrics = %d, want 403", got)
	}
	if got := bearerGet(t, srv, "/api/v1/me", w.apiToken(paradero.RoleFamily)); got != http.StatusOK {
		t.Errorf("a family member (no second factor required) = %d, want 200", got)
	}
	secret := make([]byte, paradero.MinTOTPSecretLength)
	if _, err := w.db.UpdateUser(t.Context(), w.users[paradero.RoleDocumenter].ID, paradero.UserUpdate{TOTPSecret: &secret}); err != nil {
		t.Fatal(err)
	}
	if got := bearerGet(t, srv, "/api/v1/me", w.apiToken(paradero.RoleDocumenter)); got != http.StatusOK {
		t.Errorf("a documenter with a second factor = %d, want 200", got)
	}
}
