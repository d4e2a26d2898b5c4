package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

// Two-factor sign-in: after the password, a code from an authenticator app
// (totp.go) or a single-use recovery code.
//
//   - The half-signed-in state is a paradero.LoginChallenge: its own
//     cookie, its own table, five minutes long. It is not a session; only
//     the second step reads it, so it opens nothing else.
//   - Wrong codes count against the same per-account and per-client limits
//     as wrong passwords, and the account's count is cleared only when both
//     factors pass: knowing the password buys no extra guesses.
//   - A code's time step is spent when accepted (UseTOTPStep), so no code
//     works twice, not even in another browser within its 90 seconds.
//   - Recovery codes are 80 random bits, shown once and stored only as a
//     SHA-256 bound to the user; each use is audited.
//   - Enrolment keeps the new secret pending until a code from it is
//     entered; then it takes effect, every other session is revoked and
//     the browser gets a new one. Turning two-factor off, new recovery codes
//     and a new authenticator all ask for a current code (or recovery code)
//     first; an administrator's reset is `paradero user reset-2fa`.
//   - With RequireTwoFactor, a staff member or lawyer without a second
//     factor is sent to enrolment after the password and can do nothing
//     else (enforceTwoFactor).

const (
	challengeCookie   = "paradero_2fa"
	challengeTTL      = 5 * time.Minute
	recoveryCodeCount = 10
	recoveryCodeLen   = 16 // base32 characters: 80 bits
	setupPath         = "/account/two-factor/setup"
	accountPath       = "/account/two-factor"
	totpIssuer        = "Paradero"
)

func (s *Server) challengeCookieName() string {
	if s.secure {
		return "__Host-" + challengeCookie
	}
	return challengeCookie
}

// mustEnrol reports whether the policy sends u to enrolment before anything
// else.
func (s *Server) mustEnrol(u *paradero.User) bool {
	return s.requireTwoFactor && u != nil && u.Role.TwoFactorRequired() && !u.TwoFactorEnabled()
}

// enforceTwoFactor sends a signed-in user who must enrol, and has not, to
// enrolment from every page but enrolment itself, signing out, the language
// switch and static files.
func (s *Server) enforceTwoFactor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.mustEnrol(stateOf(r.Context()).user) && !allowedBeforeEnrolment(r) {
			http.Redirect(w, r, setupPath, http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func allowedBeforeEnrolment(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/static/"), p == "/healthz", p == setupPath:
		return true
	case r.Method == http.MethodPost && (p == "/logout" || p == "/language"):
		return true
	}
	return false
}

// newRecoveryCodes returns recoveryCodeCount fresh codes as shown to the
// user, "ABCD-EFGH-JKLM-NOPQ", and their hashes for the store.
func newRecoveryCodes(userID int64) ([]string, []paradero.Hash) {
	codes := make([]string, recoveryCodeCount)
	hashes := make([]paradero.Hash, recoveryCodeCount)
	for i := range codes {
		c := rand.Text()[:recoveryCodeLen] // base32: A–Z and 2–7
		codes[i] = c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16]
		hashes[i] = hashRecoveryCode(userID, c)
	}
	return codes, hashes
}

// normalizeRecoveryCode undoes what people do when they copy a code:
// lower case, spaces, hyphens, and digits for the letters they resemble
// (base32 has no 0, 1 or 8).
func normalizeRecoveryCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case r == '0':
			b.WriteByte('O')
		case r == '1':
			b.WriteByte('I')
		case r == '8':
			b.WriteByte('B')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hashRecoveryCode is what the store keeps of a normalised code: bound to
// the user, so one hash is worth nothing for another account.
func hashRecoveryCode(userID int64, code string) paradero.Hash {
	return paradero.Hash(sha256.Sum256([]byte("paradero recovery code\x00" + strconv.FormatInt(userID, 10) + "\x00" + code)))
}

// checkSecondFactor checks input as a TOTP code (six digits) or else as a
// recovery code, and spends it: the code's time step, or the recovery
// code. It reports whether it passed and whether a recovery code was used.
// A wrong, replayed or spent code is a plain false; err is a store fault.
func (s *Server) checkSecondFactor(ctx context.Context, u *paradero.User, input string) (ok, recovery bool, err error) {
	digits := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, input)
	if len(digits) == totpDigits && strings.Trim(digits, "0123456789") == "" {
		step, match := checkTOTP(u.TOTPSecret, digits, s.now())
		if !match {
			return false, false, nil
		}
		switch err := s.store.UseTOTPStep(ctx, u.ID, step); paradero.ErrorCode(err) {
		case "":
			return true, false, nil
		case paradero.ECONFLICT, paradero.ENOTFOUND:
			return false, false, nil
		default:
			return false, false, err
		}
	}
	code := normalizeRecoveryCode(input)
	if len(code) != recoveryCodeLen {
		return false, false, nil
	}
	switch err := s.store.UseRecoveryCode(ctx, u.ID, hashRecoveryCode(u.ID, code)); paradero.ErrorCode(err) {
	case "":
		return true, true, nil
	case paradero.ENOTFOUND:
		return false, false, nil
	default:
		return false, false, err
	}
}

// beginSecondFactor is the end of the password step for an enrolled user:
// a login challenge, its cookie, and the way to the second step.
func (s *Server) beginSecondFactor(w http.ResponseWriter, r *http.Request, u *paradero.User, next string) error {
	tok := randomToken()
	now := s.now()
	c := &paradero.LoginChallenge{TokenHash: hashToken(tok), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(challengeTTL)}
	if err := s.store.CreateLoginChallenge(r.Context(), c); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: s.challengeCookieName(), Value: tok, Path: "/", MaxAge: int(challengeTTL.Seconds()),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login/two-factor?next="+urlQueryEscape(next), http.StatusSeeOther)
	return nil
}

// findChallenge returns the request's login challenge and its user, or
// ENOTFOUND.
func (s *Server) findChallenge(r *http.Request) (*paradero.LoginChallenge, *paradero.User, error) {
	c, err := r.Cookie(s.challengeCookieName())
	if err != nil || c.Value == "" {
		return nil, nil, notFoundError()
	}
	return s.store.FindLoginChallenge(r.Context(), hashToken(c.Value), s.now())
}

type secondFactorData struct {
	Next  string
	Error string // a message key
}

// secondFactorPage asks for the code. Without a live challenge it is the
// sign-in page again.
func (s *Server) secondFactorPage(w http.ResponseWriter, r *http.Request) error {
	st := stateOf(r.Context())
	next := localPath(r.URL.Query().Get("next"))
	if st.user != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	if _, _, err := s.findChallenge(r); err != nil {
		if paradero.ErrorCode(err) != paradero.ENOTFOUND {
			return err
		}
		return s.challengeExpired(w, r, next)
	}
	return s.render(w, r, http.StatusOK, "twofactor_login", st.printer.T("twofactor.login.title"), "login",
		secondFactorData{Next: next})
}

func (s *Server) challengeExpired(w http.ResponseWriter, r *http.Request, next string) error {
	s.clearCookie(w, s.challengeCookieName())
	return s.render(w, r, http.StatusUnauthorized, "login", stateOf(r.Context()).printer.T("login.title"), "login",
		loginData{Next: next, Error: "twofactor.login.expired"})
}

// secondFactor checks the code of the second step and, if it passes,
// signs the user in.
func (s *Server) secondFactor(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	st := stateOf(ctx)
	next := localPath(r.PostFormValue("next"))
	ch, u, err := s.findChallenge(r)
	if err != nil {
		if paradero.ErrorCode(err) != paradero.ENOTFOUND {
			return err
		}
		return s.challengeExpired(w, r, next)
	}
	again := func(status int, key string) error {
		return s.render(w, r, status, "twofactor_login", st.printer.T("twofactor.login.title"), "login",
			secondFactorData{Next: next, Error: key})
	}
	client := clientAddr(r)
	if s.throttle.blocked(u.Email, client) {
		return again(http.StatusTooManyRequests, "login.throttled")
	}
	ok, recovery, err := s.checkSecondFactor(ctx, u, r.PostFormValue("code"))
	if err != nil {
		return err
	}
	if !ok {
		s.throttle.fail(u.Email, client)
		if err := s.audit(ctx, paradero.AuditTwoFactorFailed, objectID("user", u.ID)); err != nil {
			return err
		}
		return again(http.StatusUnauthorized, "twofactor.login.failed")
	}
	if err := s.store.DeleteLoginChallenge(ctx, ch.TokenHash); err != nil {
		return err
	}
	s.clearCookie(w, s.challengeCookieName())
	if recovery {
		actx := paradero.NewContextWithActor(ctx, u.Actor())
		if err := s.audit(actx, paradero.AuditRecoveryCodeUsed, objectID("user", u.ID)); err != nil {
			return err
		}
		// The account page says how many codes are left.
		next = accountPath
	}
	return s.completeLogin(w, r, u, next)
}

type twoFactorData struct {
	Enabled    bool
	EnabledAt  time.Time
	Codes      int  // recovery codes left
	Required   bool // the policy requires a second factor of this user
	CanDisable bool
	Error      string // a message key
}

// twoFactorPage is the account's two-factor settings.
func (s *Server) twoFactorPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderTwoFactor(w, r, http.StatusOK, "")
}

func (s *Server) renderTwoFactor(w http.ResponseWriter, r *http.Request, status int, errKey string) error {
	ctx := r.Context()
	st := stateOf(ctx)
	tf, err := s.store.FindTwoFactor(ctx, st.user.ID)
	if err != nil {
		return err
	}
	required := s.requireTwoFactor && st.user.Role.TwoFactorRequired()
	d := twoFactorData{Enabled: st.user.TwoFactorEnabled(), EnabledAt: tf.EnabledAt, Codes: tf.RecoveryCodes,
		Required: required, CanDisable: !required, Error: errKey}
	return s.render(w, r, status, "twofactor", st.printer.T("twofactor.title"), "account", d)
}

type setupData struct {
	QR        template.HTML // the otpauth:// URI as an inline SVG QR code
	Key       string        // the secret in base32, grouped
	URI       string
	Required  bool // the policy sends this user here first
	Replacing bool // the user has a second factor already: this replaces it
	Error     string
}

// enrolPage shows a new secret (kept pending until confirmed) as a QR
// code, a key to type and a URI. Reloading shows the same secret, so one
// scanned a moment ago still works.
func (s *Server) enrolPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := stateOf(ctx).user
	tf, err := s.store.FindTwoFactor(ctx, u.ID)
	if err != nil {
		return err
	}
	secret := tf.PendingSecret
	if len(secret) == 0 {
		secret = make([]byte, totpSecretBytes)
		rand.Read(secret) // never fails (crypto/rand, Go 1.24+)
		if err := s.store.SetPendingTOTPSecret(ctx, u.ID, secret); err != nil {
			return err
		}
	}
	return s.renderSetup(w, r, http.StatusOK, secret, "")
}

func (s *Server) renderSetup(w http.ResponseWriter, r *http.Request, status int, secret []byte, errKey string) error {
	st := stateOf(r.Context())
	uri := totpURI(totpIssuer, st.user.Email, secret)
	qr, err := encodeQR([]byte(uri))
	if err != nil {
		return err
	}
	d := setupData{QR: qr.svg(st.printer.T("twofactor.setup.qr")), Key: totpKey(secret), URI: uri,
		Required: s.mustEnrol(st.user), Replacing: st.user.TwoFactorEnabled(), Error: errKey}
	return s.render(w, r, status, "twofactor_setup", st.printer.T("twofactor.setup.title"), "account", d)
}

// reauth checks the current second factor a change asks for (the form's
// "current" field), throttled and audited like the sign-in step. It
// reports whether the change may go ahead.
func (s *Server) reauth(r *http.Request, u *paradero.User) (ok bool, throttled bool, err error) {
	ctx := r.Context()
	client := clientAddr(r)
	if s.throttle.blocked(u.Email, client) {
		return false, true, nil
	}
	ok, recovery, err := s.checkSecondFactor(ctx, u, r.PostFormValue("current"))
	if err != nil {
		return false, false, err
	}
	if !ok {
		s.throttle.fail(u.Email, client)
		return false, false, s.audit(ctx, paradero.AuditTwoFactorReauthFail, objectID("user", u.ID))
	}
	if recovery {
		if err := s.audit(ctx, paradero.AuditRecoveryCodeUsed, objectID("user", u.ID)); err != nil {
			return false, false, err
		}
	}
	return true, false, nil
}

// reauthFailed is the key and status of a refused reauth.
func reauthFailed(throttled bool) (int, string) {
	if throttled {
		return http.StatusTooManyRequests, "login.throttled"
	}
	return http.StatusUnauthorized, "twofactor.current.failed"
}

type codesData struct {
	Codes []string
}

// enrol confirms the pending secret with a code from it. Then the secret
// takes effect, the recovery codes are made and shown once, every session
// of the user is revoked and this browser gets a new one.
func (s *Server) enrol(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	st := stateOf(ctx)
	u := st.user
	tf, err := s.store.FindTwoFactor(ctx, u.ID)
	if err != nil {
		return err
	}
	if len(tf.PendingSecret) == 0 {
		http.Redirect(w, r, setupPath, http.StatusSeeOther)
		return nil
	}
	if u.TwoFactorEnabled() {
		ok, throttled, err := s.reauth(r, u)
		if err != nil {
			return err
		}
		if !ok {
			status, key := reauthFailed(throttled)
			return s.renderSetup(w, r, status, tf.PendingSecret, key)
		}
	}
	code := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("code")), " ", "")
	step, ok := checkTOTP(tf.PendingSecret, code, s.now())
	if !ok {
		return s.renderSetup(w, r, http.StatusBadRequest, tf.PendingSecret, "twofactor.setup.failed")
	}
	codes, hashes := newRecoveryCodes(u.ID)
	err = s.store.EnableTwoFactor(ctx, u.ID, tf.PendingSecret, step, hashes, paradero.Hash{})
	if paradero.ErrorCode(err) == paradero.ECONFLICT {
		// Another page made a newer secret meanwhile: show that one.
		http.Redirect(w, r, setupPath, http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.audit(ctx, paradero.AuditTwoFactorEnable, objectID("user", u.ID)); err != nil {
		return err
	}
	enrolled := *u
	enrolled.TOTPSecret = tf.PendingSecret
	if err := s.startSession(w, r, &enrolled); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "twofactor_codes", st.printer.T("twofactor.codes.title"), "account",
		codesData{Codes: codes})
}

// regenerateCodes replaces the recovery codes, after a current code, and
// revokes the user's other sessions.
func (s *Server) regenerateCodes(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	st := stateOf(ctx)
	u := st.user
	if !u.TwoFactorEnabled() {
		http.Redirect(w, r, accountPath, http.StatusSeeOther)
		return nil
	}
	ok, throttled, err := s.reauth(r, u)
	if err != nil {
		return err
	}
	if !ok {
		status, key := reauthFailed(throttled)
		return s.renderTwoFactor(w, r, status, key)
	}
	codes, hashes := newRecoveryCodes(u.ID)
	if err := s.store.ReplaceRecoveryCodes(ctx, u.ID, hashes, st.session.TokenHash); err != nil {
		return err
	}
	if err := s.audit(ctx, paradero.AuditRecoveryCodesNew, objectID("user", u.ID)); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "twofactor_codes", st.printer.T("twofactor.codes.title"), "account",
		codesData{Codes: codes})
}

// disableTwoFactor turns two-factor sign-in off, after a current code,
// unless the policy requires it of the user; the user's other sessions are
// revoked.
func (s *Server) disableTwoFactor(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	st := stateOf(ctx)
	u := st.user
	if !u.TwoFactorEnabled() {
		http.Redirect(w, r, accountPath, http.StatusSeeOther)
		return nil
	}
	if s.requireTwoFactor && u.Role.TwoFactorRequired() {
		return s.renderTwoFactor(w, r, http.StatusForbidden, "twofactor.disable.required")
	}
	ok, throttled, err := s.reauth(r, u)
	if err != nil {
		return err
	}
	if !ok {
		status, key := reauthFailed(throttled)
		return s.renderTwoFactor(w, r, status, key)
	}
	if _, err := s.store.DisableTwoFactor(ctx, u.ID, st.session.TokenHash); err != nil {
		return err
	}
	if err := s.audit(ctx, paradero.AuditTwoFactorDisable, objectID("user", u.ID)); err != nil {
		return err
	}
	http.Redirect(w, r, accountPath, http.StatusSeeOther)
	return nil
}
