package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/locale"
)

// Cookie names. Under TLS the session cookie takes the __Host- prefix, which
// browsers accept only when Secure, host-only and for Path=/.
const (
	sessionCookie = "paradero_session"
	csrfCookie    = "paradero_csrf"
	langCookie    = "paradero_lang"
	csrfField     = "csrf"
)

// touchEvery is how stale a session's LastSeenAt may get.
const touchEvery = 5 * time.Minute

func (s *Server) sessionCookieName() string {
	if s.secure {
		return "__Host-" + sessionCookie
	}
	return sessionCookie
}

// state is what the middleware learns about a request: who asks, in which
// language, and the CSRF token its forms must carry.
type state struct {
	actor   paradero.Actor
	user    *paradero.User
	session *paradero.Session
	printer *locale.Printer
	csrf    string
}

type stateKey struct{}

func stateOf(ctx context.Context) *state {
	if st, ok := ctx.Value(stateKey{}).(*state); ok {
		return st
	}
	return &state{actor: paradero.ActorFromContext(ctx)}
}

// randomToken returns 32 random bytes, base64url.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(tok string) paradero.Hash { return paradero.Hash(sha256.Sum256([]byte(tok))) }

// identify finds the request's session, actor and language, and makes sure
// an anonymous browser has a CSRF token.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &state{actor: paradero.Actor{Name: "public", Role: paradero.RolePublic}}
		if c, err := r.Cookie(s.sessionCookieName()); err == nil && c.Value != "" {
			sess, u, err := s.store.FindSession(r.Context(), hashToken(c.Value), s.now())
			switch {
			case err == nil:
				st.session, st.user, st.actor, st.csrf = sess, u, u.Actor(), sess.CSRFToken
				// Last seen, to the nearest few minutes: a write per
				// request would serialise every page view on SQLite.
				if now := s.now(); now.Sub(sess.LastSeenAt) > touchEvery {
					if err := s.store.TouchSession(r.Context(), sess.TokenHash, now); err != nil {
						s.logger.Warn("touching a session", "err", err)
					}
				}
			case paradero.ErrorCode(err) == paradero.ENOTFOUND:
				s.clearCookie(w, s.sessionCookieName())
			default:
				s.logger.Error("finding session", "err", err)
			}
		}
		lang := ""
		if st.user != nil {
			lang = st.user.Language
		} else if c, err := r.Cookie(langCookie); err == nil && paradero.ValidLanguage(c.Value) {
			lang = c.Value
		} else {
			lang = locale.Match(r.Header.Get("Accept-Language"))
		}
		st.printer = s.catalog.Printer(lang)
		if st.session == nil {
			if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
				st.csrf = c.Value
			} else {
				st.csrf = randomToken()
				http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: st.csrf, Path: "/", HttpOnly: true,
					Secure: s.secure, SameSite: http.SameSiteStrictMode})
			}
		}
		ctx := paradero.NewContextWithActor(r.Context(), st.actor)
		ctx = context.WithValue(ctx, stateKey{}, st)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// checkCSRF refuses an unsafe request whose form does not carry the token
// of its session (or, before sign-in, of its browser).
func (s *Server) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		limit := uploadLimit(r.Context(), r.URL.Path)
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			// Held in memory whole (the limit bounds it): no temporary
			// file of an upload is left on disk.
			if err := r.ParseMultipartForm(limit); err != nil {
				s.fail(w, r, &paradero.Error{Code: paradero.EINVALID, Message: "the form could not be read", Err: err})
				return
			}
		}
		// A form too large (413) or malformed (400) is refused as such:
		// PostFormValue would drop the error and call it a bad token.
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, &paradero.Error{Code: paradero.EINVALID, Message: "the form could not be read", Err: err})
			return
		}
		st := stateOf(r.Context())
		got := r.PostFormValue(csrfField)
		if st.csrf == "" || subtle.ConstantTimeCompare([]byte(got), []byte(st.csrf)) != 1 {
			s.fail(w, r, paradero.Errorf(paradero.EFORBIDDEN, "the form's CSRF token does not match"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// securityHeaders sets the headers every response carries. The policy
// allows nothing but this origin's style sheet and images: no script at
// all, no inline style, no frames, forms only to this origin.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			// Pages hold personal data: no cache keeps them.
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// startSession signs u in: a new session with a new token and CSRF token,
// replacing the one the request came with (so a token planted before
// sign-in is worthless after it).
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *paradero.User) error {
	ctx := r.Context()
	if old := stateOf(ctx).session; old != nil {
		if err := s.store.DeleteSession(ctx, old.TokenHash); err != nil {
			return err
		}
	}
	tok := randomToken()
	now := s.now()
	// Sweep expired sessions now and then: sign-ins are rare enough.
	if _, err := s.store.DeleteExpiredSessions(ctx, now); err != nil {
		return err
	}
	sess := &paradero.Session{TokenHash: hashToken(tok), UserID: u.ID, CSRFToken: randomToken(),
		CreatedAt: now, ExpiresAt: now.Add(s.ttl)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(), Value: tok, Path: "/", MaxAge: int(s.ttl.Seconds()),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	s.clearCookie(w, csrfCookie)
	// A page rendered in this response carries the new session's forms.
	if st, ok := ctx.Value(stateKey{}).(*state); ok {
		st.session, st.user, st.actor, st.csrf = sess, u, u.Actor(), sess.CSRFToken
	}
	return nil
}

// throttle limits failed sign-ins: at most maxPerAccount per e-mail address
// and maxPerClient per client address within window. Counts live in memory,
// owned by the Server; a restart forgets them, which only gives an attacker
// back one window.
type throttle struct {
	mu       sync.Mutex
	now      func() time.Time
	failures map[string][]time.Time
}

const (
	throttleWindow = 15 * time.Minute
	maxPerAccount  = 5
	maxPerClient   = 20
)

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, failures: make(map[string][]time.Time)}
}

// recent returns key's failures within the window, pruning older ones.
func (t *throttle) recent(key string) []time.Time {
	cut := t.now().Add(-throttleWindow)
	fs := t.failures[key]
	i := 0
	for i < len(fs) && !fs[i].After(cut) {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.failures, key)
	} else {
		t.failures[key] = fs
	}
	return fs
}

// blocked reports whether another attempt for this account from this
// client must be refused.
func (t *throttle) blocked(account, client string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.recent("a:"+account)) >= maxPerAccount || len(t.recent("c:"+client)) >= maxPerClient
}

func (t *throttle) fail(account, client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.failures) > 100000 { // bound memory under a flood: prune everything stale
		for k := range t.failures {
			t.recent(k)
		}
	}
	for _, k := range []string{"a:" + account, "c:" + client} {
		t.failures[k] = append(t.recent(k), now)
	}
}

func (t *throttle) succeed(account string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, "a:"+account)
}

// clientAddr is the client's IP address, for throttling only (never
// logged). Behind a proxy every client shares the proxy's address, and the
// per-account limit still holds.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// localPath returns p if it is a path on this site, else "/": redirects
// after sign-in and language changes never leave the site.
func localPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return p
}
