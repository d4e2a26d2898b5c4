package web

import (
	"net/http"
	"net/url"

	"github.com/paradero/paradero"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

type loginData struct {
	Email string
	Next  string
	Error string // a message key
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r.Context())
	next := localPath(r.URL.Query().Get("next"))
	if st.user != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, "login", st.printer.T("login.title"), "login", loginData{Next: next})
}

// login checks an address and password. Every failure — unknown address,
// wrong password, disabled account — answers alike, after the same argon2id
// work, so the answer tells nobody whether an address has an account.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	st := stateOf(ctx)
	email := paradero.NormalizeEmail(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	next := localPath(r.PostFormValue("next"))
	client := clientAddr(r)
	again := func(status int, key string) error {
		return s.render(w, r, status, "login", st.printer.T("login.title"), "login",
			loginData{Email: email, Next: next, Error: key})
	}
	if email == "" || password == "" {
		return again(http.StatusBadRequest, "login.missing")
	}
	if s.throttle.blocked(email, client) {
		return again(http.StatusTooManyRequests, "login.throttled")
	}
	u, err := s.store.FindUserByEmail(ctx, email)
	if err != nil && paradero.ErrorCode(err) != paradero.ENOTFOUND {
		return err
	}
	hash := s.dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	ok := CheckPassword(password, hash) && u != nil && !u.Disabled
	if !ok {
		s.throttle.fail(email, client)
		object := ""
		if u != nil {
			object = objectID("user", u.ID)
		}
		if err := s.audit(ctx, paradero.AuditLoginFailed, object); err != nil {
			return err
		}
		return again(http.StatusUnauthorized, "login.failed")
	}
	if u.TwoFactorEnabled() {
		// No session yet, and the account's failures are not forgiven:
		// wrong codes count on from here (twofactor.go).
		return s.beginSecondFactor(w, r, u, next)
	}
	return s.completeLogin(w, r, u, next)
}

// completeLogin signs u in once every factor has passed: the account's
// failures are forgiven, a new session starts, and the sign-in is audited.
// A user the policy requires to enrol a second factor goes to enrolment.
func (s *Server) completeLogin(w http.ResponseWriter, r *http.Request, u *paradero.User, next string) error {
	ctx := r.Context()
	s.throttle.succeed(u.Email)
	// A language chosen before signing in is the latest choice: it becomes
	// the user's setting.
	if c, err := r.Cookie(langCookie); err == nil && paradero.ValidLanguage(c.Value) && c.Value != u.Language {
		lang := c.Value
		if _, err := s.store.UpdateUser(ctx, u.ID, paradero.UserUpdate{Language: &lang}); err != nil {
			return err
		}
	}
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	actx := paradero.NewContextWithActor(ctx, u.Actor())
	if err := s.audit(actx, paradero.AuditLogin, objectID("user", u.ID)); err != nil {
		return err
	}
	if s.mustEnrol(u) {
		next = setupPath
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// logout revokes the session and clears its cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	st := stateOf(ctx)
	if err := s.store.DeleteSession(ctx, st.session.TokenHash); err != nil {
		return err
	}
	if err := s.audit(ctx, paradero.AuditLogout, objectID("user", st.user.ID)); err != nil {
		return err
	}
	s.clearCookie(w, s.sessionCookieName())
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// setLanguage switches the language: remembered in a cookie, and in the
// user's settings when signed in.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	lang := r.PostFormValue("lang")
	if !paradero.ValidLanguage(lang) {
		return paradero.Errorf(paradero.EINVALID, "unknown language")
	}
	if u := stateOf(ctx).user; u != nil && u.Language != lang {
		if _, err := s.store.UpdateUser(ctx, u.ID, paradero.UserUpdate{Language: &lang}); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: s.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
	return nil
}
