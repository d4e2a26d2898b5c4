// Package web is Paradero's HTML application: server-rendered pages in
// Spanish and English, sign-in, sessions and the audit of every read.
//
// Why this shape (after Miniflux and pkgsite):
//   - Every route is in routes.go, on the standard library's ServeMux
//     patterns ("GET /sources/{id}"). Handlers return an error; one adapter
//     (errors.go) turns *paradero.Error codes into a status and a page.
//     Users see a translated message; causes go to the log, and only for
//     internal faults; logs never carry personal data.
//   - Templates and static files are embedded and parsed once, in New, into
//     the Server: a missing or broken template fails start-up, not a
//     request. Pages render into a buffer before anything is written.
//   - Who may see what is decided in one place, access.go, through
//     paradero.Role.Can; it also writes the audit entry of every read of a
//     record, a source or a file, and refuses the read if that fails.
//     Asking for something one may not see answers exactly as for
//     something that does not exist.
//   - No JavaScript at all, so the Content-Security-Policy forbids every
//     script; no inline styles; nothing is loaded from another origin.
//   - Sessions are random tokens in HttpOnly, SameSite=Lax cookies (Secure
//     under TLS); the store keeps only their SHA-256. A new session is made
//     at every sign-in and removed at sign-out. Every unsafe request needs
//     the session's (or, before sign-in, the browser's) CSRF token, and
//     http.CrossOriginProtection also refuses cross-origin ones.
package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/locale"
	"github.com/paradero/paradero/metrics"
)

//go:embed templates static
var assets embed.FS

// Store is what the pages need of a store. The pages also use, when the
// store has them, paradero.PersonService (persons, reviews) and
// paradero.SearchService (search); without them a record is its own
// person and search says it is unavailable.
type Store interface {
	paradero.SourceService
	paradero.RecordService
	paradero.ImportService
	paradero.UserService
	paradero.SessionService
	paradero.TwoFactorService
	paradero.AuditService
	paradero.APITokenService
	LatestCheckpoint(ctx context.Context) (*paradero.Checkpoint, error)
	Status(ctx context.Context) (*paradero.Status, error)
}

// ProveFunc returns the offline-checkable proof, as a JSON document, that
// ledger entry index is in the ledger (cmd/paradero wires ledger.Log.Prove).
type ProveFunc func(ctx context.Context, index int64) ([]byte, error)

// Config is what a Server is made of.
type Config struct {
	Store   Store
	Prove   ProveFunc
	Catalog *locale.Catalog
	Logger  *slog.Logger

	// Secure marks cookies Secure and sends HSTS: set it when the server
	// is reached over TLS (directly or through a proxy).
	Secure bool
	// Password sets the cost of new password hashes; zero means
	// DefaultPasswordParams().
	Password PasswordParams
	// SessionTTL is how long a session lasts; zero means 12 hours.
	SessionTTL time.Duration
	// RequireTwoFactor sends staff and lawyers without a second factor to
	// enrolment after the password, and lets them do nothing else until
	// they have one (paradero.Role.TwoFactorRequired). Anyone enrolled is
	// asked for a code either way.
	RequireTwoFactor bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Metrics is where the server records requests and what /metrics
	// writes; nil means a registry of its own. Share one with other parts
	// of the process (the watch) to expose theirs too.
	Metrics *metrics.Registry
	// MetricsToken is a secret that lets a scraper read /metrics (as
	// "Authorization: Bearer SECRET"); empty means only administrators'
	// API tokens may (api_ops.go).
	MetricsToken string
	// EstimateWait is how long the reconciliation page waits for an
	// estimate being computed before it says so instead; zero means 2
	// seconds. The computation goes on either way (estimates.go).
	EstimateWait time.Duration
}

// Server is the web application. Make one with New.
type Server struct {
	store     Store
	prove     ProveFunc
	catalog   *locale.Catalog
	logger    *slog.Logger
	secure    bool
	password  PasswordParams
	ttl       time.Duration
	now       func() time.Time
	pages     map[string]*template.Template
	static    fs.FS
	throttle  *throttle
	searches  *rateLimiter
	uploads   *uploads
	estimates *estimates
	stats     statsCache
	estWait   time.Duration
	dummyHash string // checked against when no user has the address, so timing tells nothing
	handler   http.Handler

	metrics      *serverMetrics
	metricsToken paradero.Hash // of Config.MetricsToken; zero when none

	requireTwoFactor bool // Config.RequireTwoFactor
}

// New parses the templates and builds the routes. It fails if a template is
// missing or does not parse, or the configuration is incomplete.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Catalog == nil || cfg.Prove == nil {
		return nil, fmt.Errorf("web: a store, a catalog and a prover are required")
	}
	s := &Server{
		store: cfg.Store, prove: cfg.Prove, catalog: cfg.Catalog, logger: cfg.Logger,
		secure: cfg.Secure, password: cfg.Password, ttl: cfg.SessionTTL, now: cfg.Now,
		requireTwoFactor: cfg.RequireTwoFactor,
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.password == (PasswordParams{}) {
		s.password = DefaultPasswordParams()
	}
	if s.ttl == 0 {
		s.ttl = 12 * time.Hour
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.throttle = newThrottle(s.now)
	s.searches = newRateLimiter(s.now, searchWindow, maxSearches)
	s.uploads = newUploads(s.now)
	s.estWait = cfg.EstimateWait
	if s.estWait == 0 {
		s.estWait = 2 * time.Second
	}
	pages, err := parsePages(assets)
	if err != nil {
		return nil, err
	}
	s.pages = pages
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, err
	}
	s.static = static
	h, err := HashPassword("not a password anyone has", s.password)
	if err != nil {
		return nil, err
	}
	s.dummyHash = h
	s.estimates = newEstimates()
	reg := cfg.Metrics
	if reg == nil {
		reg = metrics.NewRegistry()
	}
	s.metrics = newServerMetrics(reg)
	if cfg.MetricsToken != "" {
		s.metricsToken = paradero.APITokenHash(cfg.MetricsToken)
	}
	s.handler = s.routes()
	return s, nil
}

// Close stops the estimate being computed, if any, and waits for it; no
// estimate is started after. Call it once the HTTP server has stopped.
func (s *Server) Close() error {
	s.estimates.close()
	return nil
}

// parsePages parses every page template, each with the layout and the
// shared parts, from fsys. A missing or broken one is an error.
func parsePages(fsys fs.FS) (map[string]*template.Template, error) {
	pages := make(map[string]*template.Template)
	for _, name := range []string{"login", "dashboard", "stats", "sources", "source", "record", "audit", "error",
		"person", "search", "review", "reviews", "import", "reconciliation", "alerts", "follows",
		"twofactor", "twofactor_setup", "twofactor_codes", "twofactor_login",
		"tracing", "tracing_new", "tracing_request", "tracing_staff", "tracing_candidates",
		"cases", "case", "case_form", "violations", "violation", "violation_form"} {
		t, err := template.New(name).Funcs(templateFuncs()).ParseFS(fsys,
			"templates/layout.html", "templates/chart.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		if t.Lookup("content") == nil || t.Lookup("layout") == nil {
			return nil, fmt.Errorf("web: template %s defines no content", name)
		}
		pages[name] = t
	}
	return pages, nil
}

// ServeHTTP serves the application.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// templateFuncs are the few helpers templates need; words come from the
// page's Printer, never from here.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"add": func(a, b int) int { return a + b },
		// pair hands a shared template the page with other data.
		"pair": func(p page, data any) page { p.Data = data; return p },
	}
}

// page is what every template gets.
type page struct {
	P     Printer
	Title string
	User  *paradero.User
	Actor paradero.Actor
	CSRF  string
	Path  string // the current path, for the language switch to come back to
	Nav   string // the active navigation item
	Data  any
}

// Can reports whether the page's viewer holds permission p: templates show
// only the links that lead somewhere for them.
func (p page) Can(perm paradero.Permission) bool { return p.Actor.Can(perm) }

// render executes the page template name into a buffer and writes it with
// status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title, nav string, data any) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("web: no template %s", name)
	}
	st := stateOf(r.Context())
	p := page{
		P: Printer{st.printer}, Title: title, User: st.user, CSRF: st.csrf,
		Path: r.URL.Path, Nav: nav, Data: data,
		Actor: st.actor,
	}
	if name == "error" {
		// An error page must not echo the path: a hidden object's page
		// and a missing one's are the same bytes.
		p.Path = "/"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("web: rendering %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// observe counts and times every request by method, route pattern and
// status, and logs it at info level with those and its duration only:
// never the path, the query, the client's address or who asked, which
// could say whom someone looked up. top is the outermost mux; behind
// maps its patterns to the muxes they lead to, so the route is the
// innermost pattern ("GET /sources/{id}"), a fixed set.
func (s *Server) observe(top *http.ServeMux, behind map[string]*http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		_, route := top.Handler(r)
		if m, ok := behind[route]; ok {
			_, route = m.Handler(r)
		}
		if route == "" {
			route = "unmatched"
		}
		sw := &statusWriter{ResponseWriter: w}
		top.ServeHTTP(sw, r)
		d := time.Since(start)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		method := methodLabel(r.Method)
		s.metrics.request(method, route, status, d)
		s.logger.Info("request", "method", method, "route", route, "status", status,
			"duration_ms", float64(d.Microseconds())/1000)
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
