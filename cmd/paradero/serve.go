package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/locale"
	"github.com/paradero/paradero/web"
)

const serveUsage = `
serve [--listen ADDR] [--tls-cert FILE --tls-key FILE] [--secure-cookies] [--require-2fa=false] [--metrics-token-file FILE]

Serves the web application: sign-in, the dashboard, sources and records with
their proofs, public statistics and the audit log, in Spanish and English.
Create accounts with 'paradero user add'. Behind a TLS-terminating proxy,
give --secure-cookies.

The JSON API is at /api/v1 (docs/api.md; tokens: 'paradero token'); /healthz
and /readyz answer probes; /metrics answers a scraper holding the secret of
--metrics-token-file, or an administrator's API token.

Administrators, documenters and lawyers must sign in with a second factor (an
authenticator app's code): one who has none is sent to set it up after the
password, and can do nothing else until they have. --require-2fa=false makes
it optional for everyone. Anyone who enrolled is asked for a code either way;
'paradero user reset-2fa EMAIL' removes a lost one.
`

type serveCommand struct{ g *globals }

func (c *serveCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet(c.g, "serve", serveUsage)
	c.g.register(fs)
	listen := fs.String("listen", "127.0.0.1:8080", "listen on `ADDR` (host:port)")
	cert := fs.String("tls-cert", "", "serve HTTPS with this certificate `FILE` (PEM)")
	key := fs.String("tls-key", "", "the certificate's private key `FILE` (PEM)")
	secure := fs.Bool("secure-cookies", false, "mark cookies Secure and send HSTS (set when a proxy terminates TLS)")
	require2FA := fs.Bool("require-2fa", true, "require a second factor of administrators, documenters and lawyers")
	metricsFile := fs.String("metrics-token-file", "", "let a scraper read /metrics with the secret in this `FILE` (env PARADERO_METRICS_TOKEN_FILE)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("serve takes no arguments")
	}
	if (*cert == "") != (*key == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	if *metricsFile == "" {
		*metricsFile = c.g.getenv("PARADERO_METRICS_TOKEN_FILE")
	}
	metricsToken, err := readSecretFile(*metricsFile)
	if err != nil {
		return err
	}
	if err := c.g.open(ctx); err != nil {
		return err
	}
	m := &webMain{g: c.g, Listen: *listen, TLSCert: *cert, TLSKey: *key, Secure: *secure, RequireTwoFactor: *require2FA,
		MetricsToken: metricsToken}
	if err := m.Run(ctx); err != nil {
		return err
	}
	fmt.Fprintf(c.g.stdout, "Paradero: %s\n", m.URL())
	<-ctx.Done()
	return m.Close()
}

// webMain is the running web server, wired to an opened store: Run starts
// it and returns once it listens, Close stops it and waits. Tests start it
// on 127.0.0.1:0.
type webMain struct {
	g       *globals
	Listen  string
	TLSCert string
	TLSKey  string
	Secure  bool
	// RequireTwoFactor is web.Config.RequireTwoFactor: serve sets it
	// unless told not to; demo and the tests leave it off.
	RequireTwoFactor bool
	// Password overrides the cost of new password hashes (tests).
	Password web.PasswordParams
	// MetricsToken is web.Config.MetricsToken: the scraper's secret for
	// /metrics; empty, only administrators' API tokens read it.
	MetricsToken string

	ln   net.Listener
	srv  *http.Server
	app  *web.Server
	done chan error
}

// Run builds the application and starts serving.
func (m *webMain) Run(ctx context.Context) error {
	store, ok := m.g.store.(web.Store)
	if !ok {
		// Both stores are web.Stores (serve_pg_test.go checks PostgreSQL's
		// at compile time); this refuses only a store that is neither.
		return fmt.Errorf("serve: this store does not keep users, sessions and the audit log")
	}
	cat, err := locale.Load()
	if err != nil {
		return err
	}
	log := m.g.log
	app, err := web.New(web.Config{
		Store:   store,
		Catalog: cat,
		Logger:  m.g.logger,
		Secure:  m.Secure || m.TLSCert != "",
		Prove: func(ctx context.Context, index int64) ([]byte, error) {
			p, err := log.Prove(ctx, index)
			if err != nil {
				return nil, err
			}
			return json.MarshalIndent(p, "", "  ")
		},
		Password:         m.Password,
		RequireTwoFactor: m.RequireTwoFactor,
		MetricsToken:     m.MetricsToken,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", m.Listen)
	if err != nil {
		return err
	}
	m.ln, m.app = ln, app
	m.srv = &http.Server{
		Handler:           app,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	// The search index catches up in the background (after an upgrade,
	// or a large import from the command line) rather than inside the
	// first searches; meanwhile searches say how much is not yet indexed.
	if ss, ok := m.g.store.(paradero.SearchService); ok {
		go func() {
			start := time.Now()
			n, err := ss.IndexSearch(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				m.g.logger.Error("search index catch-up failed", "err", err)
			default:
				m.g.logger.Info("search index current", "records_added", n, "seconds", time.Since(start).Seconds())
			}
		}()
	}
	m.done = make(chan error, 1)
	go func() {
		var err error
		if m.TLSCert != "" {
			err = m.srv.ServeTLS(ln, m.TLSCert, m.TLSKey)
		} else {
			err = m.srv.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		m.done <- err
	}()
	return nil
}

// Addr is the address the server listens on.
func (m *webMain) Addr() string { return m.ln.Addr().String() }

// URL is the server's address as a URL.
func (m *webMain) URL() string {
	scheme := "http"
	if m.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + m.Addr()
}

// Close stops the server, letting requests in flight finish for up to ten
// seconds, and waits for it.
func (m *webMain) Close() error {
	if m.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := m.srv.Shutdown(ctx)
	if serr := <-m.done; err == nil {
		err = serr
	}
	if aerr := m.app.Close(); err == nil {
		err = aerr
	}
	m.srv = nil
	return err
}

// readSecretFile returns the first line of file, trimmed ("" for no file).
// A secret shorter than 16 bytes is refused: it would be guessable.
func readSecretFile(file string) (string, error) {
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSpace(line)
	if len(line) < 16 {
		return "", usagef("the secret in %s is shorter than 16 characters", file)
	}
	return line, nil
}
