package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paradero/paradero"
	pmetrics "github.com/paradero/paradero/metrics"
)

// Operations: /healthz (the process answers), /readyz (the store answers)
// and /metrics (Prometheus text). None reads a cookie or needs CSRF.
//
// Who reads /metrics: a scraper with the metrics token the operator
// configured (Config.MetricsToken, 'paradero serve --metrics-token-file'),
// or an administrator's API token. Not "anyone on loopback": behind a
// reverse proxy on the same host every request comes from loopback. The
// figures are aggregates, but store sizes and request rates still tell an
// outsider how much an organisation holds and how busy it is.

// serverMetrics are what the server records and exposes.
type serverMetrics struct {
	reg          *pmetrics.Registry
	requests     *pmetrics.Counter
	durations    *pmetrics.Histogram
	authFailures *pmetrics.Counter

	storeUp      *pmetrics.Gauge
	storeObjects *pmetrics.Gauge
	ledgerSize   *pmetrics.Gauge
	checkpoint   *pmetrics.Gauge
	checkpointAt *pmetrics.Gauge
	reviewQueue  *pmetrics.Gauge
	goroutines   *pmetrics.Gauge
	heapBytes    *pmetrics.Gauge
	startTime    *pmetrics.Gauge

	// The store's counts cost a scan of its tables: they are read at most
	// once per statusEvery, whatever the scrape interval.
	mu       sync.Mutex
	statusAt time.Time
}

const statusEvery = time.Minute

func newServerMetrics(reg *pmetrics.Registry) *serverMetrics {
	m := &serverMetrics{
		reg: reg,
		requests: reg.Counter("paradero_http_requests_total",
			"HTTP requests served, by method, route pattern and status.", "method", "route", "status"),
		durations: reg.Histogram("paradero_http_request_duration_seconds",
			"Time to serve an HTTP request, by method, route pattern and status.", nil, "method", "route", "status"),
		authFailures: reg.Counter("paradero_api_auth_failures_total",
			"API requests refused for a missing, malformed, unknown, revoked or expired bearer token."),
		storeUp: reg.Gauge("paradero_store_up",
			"1 when the store answered the last scrape's ping, else 0."),
		storeObjects: reg.Gauge("paradero_store_objects",
			"What the store holds, by kind: sources, records, redactions, persons (read at most once a minute).", "kind"),
		ledgerSize: reg.Gauge("paradero_ledger_entries",
			"Entries in the ledger (read at most once a minute)."),
		checkpoint: reg.Gauge("paradero_ledger_checkpoint_size",
			"Entries covered by the latest signed checkpoint."),
		checkpointAt: reg.Gauge("paradero_ledger_checkpoint_timestamp_seconds",
			"When the latest checkpoint was signed, in Unix seconds (0: none yet). Alert on time() minus this."),
		reviewQueue: reg.Gauge("paradero_review_queue_pairs",
			"Pairs of records waiting for a reviewer's decision."),
		goroutines: reg.Gauge("paradero_goroutines", "Goroutines of the process."),
		heapBytes:  reg.Gauge("paradero_heap_bytes", "Bytes of the heap in use by live and not yet collected objects."),
		startTime:  reg.Gauge("paradero_process_start_time_seconds", "When the web server started, in Unix seconds."),
	}
	m.authFailures.Add(0)
	m.startTime.Set(float64(time.Now().Unix()))
	return m
}

// requestMethods are the methods counted by name; any other is "other",
// so a client cannot make up series.
var requestMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true,
	"DELETE": true, "OPTIONS": true}

// methodLabel is a request's method as metrics and logs name it.
func methodLabel(method string) string {
	if !requestMethods[method] {
		return "other"
	}
	return method
}

// request records one request served.
func (m *serverMetrics) request(method, route string, status int, d time.Duration) {
	code := strconv.Itoa(status)
	m.requests.Inc(method, route, code)
	m.durations.Observe(d.Seconds(), method, route, code)
}

// healthz answers while the process can serve at all.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// readyTimeout bounds the readiness ping.
const readyTimeout = 2 * time.Second

// ping reads the latest checkpoint: one small query that needs the
// store's database (and, for PostgreSQL, the network to it). No
// checkpoint yet is an answer too.
func (s *Server) ping(ctx context.Context) (*paradero.Checkpoint, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	cp, err := s.store.LatestCheckpoint(ctx)
	if paradero.ErrorCode(err) == paradero.ENOTFOUND {
		return nil, nil
	}
	return cp, err
}

// readyz answers 200 while the store answers, 503 when it does not: a
// load balancer sends requests elsewhere. The cause goes to the log.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if _, err := s.ping(r.Context()); err != nil {
		s.logger.Warn("not ready: the store does not answer", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("store unavailable\n"))
		return
	}
	w.Write([]byte("ready\n"))
}

// metricsPage writes the metrics for a scraper with the metrics token or
// an administrator's API token. Without a token: 401; with someone else's:
// not found, as the API's administration routes answer.
func (s *Server) metricsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	auth := r.Header.Get("Authorization")
	scheme, secret, _ := strings.Cut(auth, " ")
	secret = strings.TrimSpace(secret)
	allowed := false
	switch {
	case auth == "" || !strings.EqualFold(scheme, "Bearer") || secret == "":
		s.metrics.authFailures.Inc()
		s.apiFail(w, r, paradero.Errorf(paradero.EUNAUTHORIZED, "no token"))
		return
	case !s.metricsToken.IsZero() && sameHash(paradero.APITokenHash(secret), s.metricsToken):
		allowed = true
	default:
		_, u, err := s.bearer(ctx, auth)
		if err != nil {
			if paradero.ErrorCode(err) == paradero.EUNAUTHORIZED {
				s.metrics.authFailures.Inc()
			}
			s.apiFail(w, r, err)
			return
		}
		allowed = u.Actor().Can(paradero.PermManageUsers)
	}
	if !allowed {
		s.apiFail(w, r, notFoundError())
		return
	}
	s.collect(ctx)
	w.Header().Set("Content-Type", pmetrics.ContentType)
	s.metrics.reg.WriteTo(w)
}

// collect refreshes the gauges read at scrape time.
func (s *Server) collect(ctx context.Context) {
	m := s.metrics
	cp, err := s.ping(ctx)
	if err != nil {
		m.storeUp.Set(0)
		s.logger.Warn("metrics: the store does not answer", "err", err)
	} else {
		m.storeUp.Set(1)
		if cp != nil {
			m.checkpoint.Set(float64(cp.Size))
			m.checkpointAt.Set(float64(cp.CreatedAt.Unix()))
		}
	}
	m.mu.Lock()
	due := err == nil && time.Since(m.statusAt) >= statusEvery
	if due {
		m.statusAt = time.Now()
	}
	m.mu.Unlock()
	if due {
		if st, err := s.store.Status(ctx); err == nil {
			m.storeObjects.Set(float64(st.Sources), "sources")
			m.storeObjects.Set(float64(st.Records), "records")
			m.storeObjects.Set(float64(st.Redactions), "redactions")
			m.storeObjects.Set(float64(st.Persons), "persons")
			m.ledgerSize.Set(float64(st.LedgerSize))
		} else {
			s.logger.Warn("metrics: reading the store's counts", "err", err)
		}
		if ps, ok := s.personService(); ok {
			if _, n, err := ps.FindReviewQueue(ctx, paradero.ReviewFilter{Limit: 1}); err == nil {
				m.reviewQueue.Set(float64(n))
			}
		}
	}
	samples := []metrics.Sample{{Name: "/sched/goroutines:goroutines"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(samples)
	if samples[0].Value.Kind() == metrics.KindUint64 {
		m.goroutines.Set(float64(samples[0].Value.Uint64()))
	}
	if samples[1].Value.Kind() == metrics.KindUint64 {
		m.heapBytes.Set(float64(samples[1].Value.Uint64()))
	}
}

func sameHash(a, b paradero.Hash) bool { return subtle.ConstantTimeCompare(a[:], b[:]) == 1 }
