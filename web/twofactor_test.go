package web_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/web"
	"golang.org/x/net/html"
)

// requireTwoFactor is the policy paradero serve runs with.
func requireTwoFactor(c *web.Config) { c.RequireTwoFactor = true }

// code is what an authenticator app shows for secret at t: RFC 6238 with
// SHA-1, 30 s, 6 digits, written here apart from web/totp.go.
func code(secret []byte, t time.Time) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(t.Unix()/30))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 15
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:off+4])&0x7fffffff)%1000000)
}

// now is the server's clock.
func (w *world) now() time.Time { return time.Now().Add(time.Duration(w.offset.Load())) }

// advance moves the server's clock on by d.
func (w *world) advance(d time.Duration) { w.offset.Add(int64(d)) }

func (w *world) code(secret []byte) string { return code(secret, w.now()) }

func textOf(t *testing.T, body, id string) string {
	t.Helper()
	return text(byID(parse(t, body), id))
}

// enrol takes a signed-in client through enrolment and returns the secret
// and the recovery codes shown.
func (c *client) enrol() ([]byte, []string) {
	t := c.w.t
	t.Helper()
	r := c.get("/account/two-factor/setup")
	if r.status != http.StatusOK {
		t.Fatalf("GET setup = %d", r.status)
	}
	doc := parse(t, r.body)
	key := strings.ReplaceAll(text(byID(doc, "totp-key")), " ", "")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key)
	if err != nil || len(secret) < 20 {
		t.Fatalf("the key %q is not base32 of at least 160 bits: %v", key, err)
	}
	form := url.Values{"csrf": {formCSRF(doc)}, "code": {c.w.code(secret)}}
	r = c.post("/account/two-factor/setup", form)
	if r.status != http.StatusOK {
		t.Fatalf("confirming enrolment = %d: %s", r.status, textOf(t, r.body, "main"))
	}
	var codes []string
	for _, li := range findAll(byID(parse(t, r.body), "recovery-codes"), "li") {
		codes = append(codes, text(li))
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10", len(codes))
	}
	return secret, codes
}

// formCSRF is the CSRF token of the first form on a page.
func formCSRF(doc *html.Node) string {
	for _, n := range findAll(doc, "input") {
		if attr(n, "name") == "csrf" {
			return attr(n, "value")
		}
	}
	return ""
}

// password signs in with the password only: for an enrolled user, the
// first step.
func (c *client) password(role paradero.Role) *response {
	c.w.t.Helper()
	return c.post("/login", url.Values{"email": {string(role) + "@example.org"}, "password": {testPassword}, "next": {"/sources"}})
}

// secondStep sends a code to the second step.
func (c *client) secondStep(code string) *response {
	c.w.t.Helper()
	return c.post("/login/two-factor", url.Values{"code": {code}, "next": {"/sources"}})
}

// actionsOn returns the actions of the entries whose object is the user.
func (w *world) actionsOn(userID int64) []string {
	w.t.Helper()
	es, _, err := w.db.FindAuditEntries(w.t.Context(), paradero.AuditFilter{Object: fmt.Sprintf("user:%d", userID)})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// TestTwoFactorEnforcedEnrolment follows a documenter under the policy
// paradero serve applies: sent to enrolment after the password, able to do
// nothing else, then enrolled with a code and given recovery codes once.
func TestTwoFactorEnforcedEnrolment(t *testing.T) {
	w := newWorld(t, requireTwoFactor)
	doc := w.users[paradero.RoleDocumenter]
	c := w.client()
	r := c.post("/login", url.Values{"email": {"documenter@example.org"}, "password": {testPassword}, "next": {"/sources"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/account/two-factor/setup" {
		t.Fatalf("password sign-in of an unenrolled documenter = %d to %q, want 303 to enrolment", r.status, r.header.Get("Location"))
	}
	before := c.cookie("paradero_session")
	// Nothing else answers until enrolment is done.
	setup := c.get("/account/two-factor/setup")
	csrf := formCSRF(parse(t, setup.body))
	for _, p := range []string{"/", "/sources", w.recordPath(w.records[0]), "/stats", "/audit", "/account/two-factor", "/search", "/no/such"} {
		if r := c.get(p); r.status != http.StatusSeeOther || r.header.Get("Location") != "/account/two-factor/setup" {
			t.Errorf("GET %s before enrolling = %d to %q, want 303 to enrolment", p, r.status, r.header.Get("Location"))
		}
	}
	for _, p := range []string{"/search", "/import", "/account/two-factor/disable", "/account/two-factor/recovery-codes"} {
		if r := c.post(p, url.Values{"csrf": {csrf}, "name": {"Pérez"}}); r.status != http.StatusSeeOther || r.header.Get("Location") != "/account/two-factor/setup" {
			t.Errorf("POST %s before enrolling = %d to %q, want 303 to enrolment", p, r.status, r.header.Get("Location"))
		}
	}
	if got := textOf(t, setup.body, "twofactor-required"); got == "" {
		t.Error("the enrolment page does not say the role requires it")
	}
	page := parse(t, setup.body)
	svg := findAll(byID(page, "totp-qr"), "svg")
	if len(svg) != 1 || attr(svg[0], "role") != "img" || attr(svg[0], "aria-label") == "" {
		t.Errorf("the enrolment page has no labelled inline SVG QR code")
	}
	uri, err := url.Parse(textOf(t, setup.body, "totp-uri"))
	key := strings.ReplaceAll(textOf(t, setup.body, "totp-key"), " ", "")
	if err != nil || uri.Scheme != "otpauth" || uri.Query().Get("secret") != key || uri.Query().Get("issuer") != "Paradero" {
		t.Errorf("otpauth URI %v does not carry the key %s", uri, key)
	}
	// Reloading shows the same secret: one scanned a moment ago works.
	if again := textOf(t, c.get("/account/two-factor/setup").body, "totp-key"); again != textOf(t, setup.body, "totp-key") {
		t.Error("reloading the enrolment page changed the secret")
	}
	// A wrong code does not enrol.
	if r := c.post("/account/two-factor/setup", url.Values{"csrf": {csrf}, "code": {"000000"}}); r.status != http.StatusBadRequest || textOf(t, r.body, "setup-error") == "" {
		t.Errorf("a wrong enrolment code = %d, want 400 with the error shown", r.status)
	}
	if u, _ := w.db.FindUserByID(t.Context(), doc.ID); u.TwoFactorEnabled() {
		t.Fatal("a wrong code enrolled the user")
	}
	other := w.client() // another browser of the same user, signed in with the password
	other.post("/login", url.Values{"email": {"documenter@example.org"}, "password": {testPassword}})

	secret, codes := c.enrol()
	after := c.cookie("paradero_session")
	if after == "" || after == before {
		t.Error("enrolling did not give the browser a new session")
	}
	if r := c.get("/sources"); r.status != http.StatusOK {
		t.Errorf("GET /sources after enrolling = %d, want 200", r.status)
	}
	if r := other.get("/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Errorf("the other browser's password-only session survives enrolment: %d to %q", r.status, r.header.Get("Location"))
	}
	stale := w.client()
	stale.jar.SetCookies(mustURL(w.srv.URL), []*http.Cookie{{Name: "paradero_session", Value: before}})
	if r := stale.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("the session before enrolment still works: %d", r.status)
	}
	// The codes are stored only hashed: no column holds them as text.
	u, err := w.db.FindUserByID(t.Context(), doc.ID)
	if err != nil || string(u.TOTPSecret) != string(secret) {
		t.Fatalf("stored secret differs from the one shown: %v", err)
	}
	acct := c.get("/account/two-factor")
	if got := textOf(t, acct.body, "codes-left"); !strings.Contains(got, "10") {
		t.Errorf("account page says %q, want 10 codes left", got)
	}
	if strings.Contains(acct.body, codes[0]) {
		t.Error("the account page shows a recovery code again")
	}
	if got := countOf(w.actionsOn(doc.ID), paradero.AuditTwoFactorEnable); got != 1 {
		t.Errorf("%d twofactor.enable entries, want 1", got)
	}
	// The required factor cannot be turned off.
	r = c.post("/account/two-factor/disable", url.Values{"csrf": {c.csrfFrom("/")}, "current": {w.code(secret)}})
	if r.status != http.StatusForbidden {
		t.Errorf("disabling a required second factor = %d, want 403", r.status)
	}
	if u, _ := w.db.FindUserByID(t.Context(), doc.ID); !u.TwoFactorEnabled() {
		t.Error("a required second factor was turned off")
	}
	// Family members are not required to enrol.
	fam := w.client()
	fam.login(paradero.RoleFamily)
	if r := fam.get("/stats"); r.status != http.StatusOK {
		t.Errorf("a family member without two-factor = %d on /stats, want 200", r.status)
	}
}

// TestTwoFactorSignIn covers the second step: no session before it, codes
// single-use, wrong codes throttled with the passwords, recovery codes
// single-use and audited, and the challenge's expiry.
func TestTwoFactorSignIn(t *testing.T) {
	w := newWorld(t, requireTwoFactor)
	lawyer := w.users[paradero.RoleLawyer]
	first := w.client()
	first.login(paradero.RoleLawyer)
	secret, codes := first.enrol()
	enrolCode := w.code(secret)

	c := w.client()
	r := c.password(paradero.RoleLawyer)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login/two-factor?next=%2Fsources" {
		t.Fatalf("password step = %d to %q, want 303 to the second step", r.status, r.header.Get("Location"))
	}
	// The half-signed-in browser has no session and gets nothing.
	if c.cookie("paradero_session") != "" {
		t.Fatal("a session cookie was set before the second factor")
	}
	for _, p := range []string{"/", "/sources", "/account/two-factor", "/account/two-factor/setup"} {
		if r := c.get(p); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
			t.Errorf("GET %s between the steps = %d to %q, want 303 to /login", p, r.status, r.header.Get("Location"))
		}
	}
	forged := w.client()
	forged.jar.SetCookies(mustURL(w.srv.URL), []*http.Cookie{{Name: "paradero_session", Value: c.cookie("paradero_2fa")}})
	if r := forged.get("/sources"); r.status != http.StatusSeeOther {
		t.Errorf("the challenge token as a session cookie = %d, want 303 to /login", r.status)
	}
	page := c.get("/login/two-factor?next=%2Fsources")
	if page.status != http.StatusOK || byID(parse(t, page.body), "code") == nil || byID(parse(t, page.body), "recovery-code") == nil {
		t.Fatalf("second step page = %d, want a code and a recovery code field", page.status)
	}

	// The code that confirmed enrolment is spent: replaying it fails.
	if r := c.secondStep(enrolCode); r.status != http.StatusUnauthorized {
		t.Errorf("replaying the enrolment code = %d, want 401", r.status)
	}
	w.advance(30 * time.Second)
	good := w.code(secret)
	r = c.secondStep(good)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/sources" || c.cookie("paradero_session") == "" {
		t.Fatalf("second step with a fresh code = %d to %q, want 303 to /sources with a session", r.status, r.header.Get("Location"))
	}
	if c.cookie("paradero_2fa") != "" {
		t.Error("the challenge cookie outlives the sign-in")
	}
	if r := c.get("/"); r.status != http.StatusOK {
		t.Errorf("GET / after both factors = %d", r.status)
	}
	// The same code in another browser, seconds later: refused.
	thief := w.client()
	thief.password(paradero.RoleLawyer)
	if r := thief.secondStep(good); r.status != http.StatusUnauthorized || thief.cookie("paradero_session") != "" {
		t.Errorf("a replayed code in another browser = %d, want 401 and no session", r.status)
	}

	// Recovery codes: any case and spacing, once each, audited, and the
	// browser lands on the account page that counts what is left.
	rc := w.client()
	rc.password(paradero.RoleLawyer)
	typed := strings.ToLower(strings.ReplaceAll(codes[2], "-", " "))
	r = rc.secondStep(typed)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/account/two-factor" {
		t.Fatalf("a recovery code = %d to %q, want 303 to the account page", r.status, r.header.Get("Location"))
	}
	if got := textOf(t, rc.get("/account/two-factor").body, "codes-left"); !strings.Contains(got, "9") {
		t.Errorf("after one recovery code: %q, want 9 left", got)
	}
	again := w.client()
	again.password(paradero.RoleLawyer)
	if r := again.secondStep(codes[2]); r.status != http.StatusUnauthorized {
		t.Errorf("a spent recovery code = %d, want 401", r.status)
	}
	actions := w.actionsOn(lawyer.ID)
	if countOf(actions, paradero.AuditRecoveryCodeUsed) != 1 || countOf(actions, paradero.AuditTwoFactorFailed) != 3 {
		t.Errorf("audit = %v; want one recovery-code-used and three twofactor-failed", actions)
	}

	// The challenge lasts five minutes.
	slow := w.client()
	slow.password(paradero.RoleLawyer)
	w.advance(6 * time.Minute)
	if r := slow.secondStep(w.code(secret)); r.status != http.StatusUnauthorized || textOf(t, r.body, "login-error") == "" ||
		byID(parse(t, r.body), "password") == nil || slow.cookie("paradero_session") != "" {
		t.Errorf("an expired challenge = %d; want 401 and the password form again", r.status)
	}
}

// TestTwoFactorThrottle checks that wrong codes count with wrong passwords,
// per account, and that getting the password right again forgives nothing.
func TestTwoFactorThrottle(t *testing.T) {
	w := newWorld(t)
	c := w.client()
	c.login(paradero.RoleFamily) // optional for a family member: enrolled by choice
	secret, _ := c.enrol()
	w.advance(30 * time.Second)

	b := w.client()
	b.password(paradero.RoleFamily)
	for i := range 3 {
		if r := b.secondStep(fmt.Sprintf("%06d", i)); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong code %d = %d, want 401", i, r.status)
		}
	}
	// The password again, then more wrong codes: the count goes on.
	if r := b.password(paradero.RoleFamily); r.status != http.StatusSeeOther {
		t.Fatalf("password after wrong codes = %d", r.status)
	}
	for i := 3; i < 5; i++ {
		b.secondStep(fmt.Sprintf("%06d", i))
	}
	if r := b.secondStep(w.code(secret)); r.status != http.StatusTooManyRequests || b.cookie("paradero_session") != "" {
		t.Errorf("the right code after five wrong ones = %d, want 429 and no session", r.status)
	}
	// The account is throttled from any browser, at the password step too.
	other := w.client()
	if r := other.password(paradero.RoleFamily); r.status != http.StatusTooManyRequests {
		t.Errorf("password step of a throttled account = %d, want 429", r.status)
	}
	w.advance(16 * time.Minute)
	other.password(paradero.RoleFamily)
	if r := other.secondStep(w.code(secret)); r.status != http.StatusSeeOther {
		t.Errorf("after the window, the right code = %d, want 303", r.status)
	}
}

// TestTwoFactorAccountChanges covers new recovery codes, a new
// authenticator and turning two-factor off, each behind a current code,
// audited, and revoking the user's other sessions.
func TestTwoFactorAccountChanges(t *testing.T) {
	w := newWorld(t)
	fam := w.users[paradero.RoleFamily]
	c := w.client()
	c.login(paradero.RoleFamily)
	if got := textOf(t, c.get("/account/two-factor").body, "twofactor-status"); got == "" {
		t.Fatal("the account page shows no status")
	}
	secret, oldCodes := c.enrol()
	csrf := c.csrfFrom("/account/two-factor")
	otherSession := func() *client {
		o := w.client()
		w.advance(30 * time.Second)
		o.password(paradero.RoleFamily)
		if r := o.secondStep(w.code(secret)); r.status != http.StatusSeeOther {
			t.Fatalf("signing in elsewhere = %d", r.status)
		}
		return o
	}

	// New recovery codes need a current code.
	if r := c.post("/account/two-factor/recovery-codes", url.Values{"csrf": {csrf}, "current": {"123456"}}); r.status != http.StatusUnauthorized ||
		textOf(t, r.body, "twofactor-error") == "" {
		t.Errorf("new codes with a wrong current code = %d, want 401 with the error", r.status)
	}
	o := otherSession()
	w.advance(30 * time.Second)
	r := c.post("/account/two-factor/recovery-codes", url.Values{"csrf": {csrf}, "current": {w.code(secret)}})
	if r.status != http.StatusOK || len(findAll(byID(parse(t, r.body), "recovery-codes"), "li")) != 10 {
		t.Fatalf("new recovery codes = %d", r.status)
	}
	if r := c.get("/account/two-factor"); r.status != http.StatusOK {
		t.Errorf("this browser was signed out by its own change: %d", r.status)
	}
	if r := o.get("/account/two-factor"); r.status != http.StatusSeeOther {
		t.Errorf("another session survives new recovery codes: %d", r.status)
	}
	late := w.client()
	late.password(paradero.RoleFamily)
	if r := late.secondStep(oldCodes[0]); r.status != http.StatusUnauthorized {
		t.Errorf("an old recovery code after new ones = %d, want 401", r.status)
	}

	// A new authenticator: the old one keeps working until the new one is
	// confirmed, which needs a code from each.
	setup := c.get("/account/two-factor/setup")
	if byID(parse(t, setup.body), "current") == nil {
		t.Fatal("replacing the authenticator does not ask for a current code")
	}
	newKey := strings.ReplaceAll(textOf(t, setup.body, "totp-key"), " ", "")
	newSecret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(newKey)
	w.advance(30 * time.Second)
	if r := c.post("/account/two-factor/setup", url.Values{"csrf": {csrf}, "current": {"999999"}, "code": {w.code(newSecret)}}); r.status != http.StatusUnauthorized {
		t.Errorf("a new authenticator without a right current code = %d, want 401", r.status)
	}
	r = c.post("/account/two-factor/setup", url.Values{"csrf": {csrf}, "current": {w.code(secret)}, "code": {w.code(newSecret)}})
	if r.status != http.StatusOK {
		t.Fatalf("a new authenticator = %d", r.status)
	}
	csrf = formCSRF(parse(t, r.body)) // a new session, with its own token
	if u, _ := w.db.FindUserByID(t.Context(), fam.ID); string(u.TOTPSecret) != string(newSecret) {
		t.Error("the new authenticator's secret did not replace the old one")
	}
	secret = newSecret

	// Turning it off (allowed: a family member is not required to have it).
	o = otherSession()
	w.advance(30 * time.Second)
	r = c.post("/account/two-factor/disable", url.Values{"csrf": {csrf}, "current": {w.code(secret)}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/account/two-factor" {
		t.Fatalf("turning two-factor off = %d to %q", r.status, r.header.Get("Location"))
	}
	if u, _ := w.db.FindUserByID(t.Context(), fam.ID); u.TwoFactorEnabled() {
		t.Error("two-factor sign-in is still on")
	}
	if r := o.get("/account/two-factor"); r.status != http.StatusSeeOther {
		t.Errorf("another session survives turning two-factor off: %d", r.status)
	}
	if r := w.client().password(paradero.RoleFamily); r.status != http.StatusSeeOther || r.header.Get("Location") != "/sources" {
		t.Errorf("password sign-in after turning it off = %d to %q, want straight in", r.status, r.header.Get("Location"))
	}
	actions := w.actionsOn(fam.ID)
	for action, n := range map[string]int{
		paradero.AuditTwoFactorEnable:     2,
		paradero.AuditRecoveryCodesNew:    1,
		paradero.AuditTwoFactorDisable:    1,
		paradero.AuditTwoFactorReauthFail: 2,
	} {
		if got := countOf(actions, action); got != n {
			t.Errorf("%d %s entries, want %d (all: %v)", got, action, n, actions)
		}
	}
}

// TestTwoFactorRoutes tries the two-factor routes as nobody and checks
// every page in both languages.
func TestTwoFactorRoutes(t *testing.T) {
	w := newWorld(t)
	anon := w.client()
	for _, p := range []string{"/account/two-factor", "/account/two-factor/setup"} {
		if r := anon.get(p); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
			t.Errorf("nobody GET %s = %d to %q, want 303 to /login", p, r.status, r.header.Get("Location"))
		}
	}
	for _, p := range []string{"/account/two-factor/setup", "/account/two-factor/recovery-codes", "/account/two-factor/disable"} {
		if r := anon.post(p, url.Values{"current": {"123456"}}); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
			t.Errorf("nobody POST %s = %d to %q, want 303 to /login", p, r.status, r.header.Get("Location"))
		}
	}
	if r := anon.get("/login/two-factor"); r.status != http.StatusUnauthorized || byID(parse(t, r.body), "password") == nil {
		t.Errorf("the second step without a challenge = %d, want 401 and the password form", r.status)
	}
	if r := anon.secondStep("123456"); r.status != http.StatusUnauthorized || byID(parse(t, r.body), "password") == nil {
		t.Errorf("a code without a challenge = %d, want 401 and the password form", r.status)
	}

	missingKey := regexp.MustCompile(`\[[a-z_]+(\.[a-z_-]+)+\]`)
	c := w.client()
	c.login(paradero.RoleAdmin)
	for _, lang := range []string{"es", "en"} {
		c.post("/language", url.Values{"lang": {lang}, "csrf": {c.csrfFrom("/")}})
		bodies := map[string]string{
			"account (off)": c.get("/account/two-factor").body,
			"setup":         c.get("/account/two-factor/setup").body,
		}
		if lang == "es" {
			_, _ = c.enrol()
		}
		bodies["account (on)"] = c.get("/account/two-factor").body
		p := w.client()
		p.post("/language", url.Values{"lang": {lang}})
		p.password(paradero.RoleAdmin)
		bodies["second step"] = p.get("/login/two-factor").body
		bodies["second step, wrong"] = p.secondStep("000000").body
		for name, body := range bodies {
			if m := missingKey.FindString(body); m != "" {
				t.Errorf("%s %s shows the untranslated key %s", lang, name, m)
			}
			doc := parse(t, body)
			if got := attr(findAll(doc, "html")[0], "lang"); got != lang {
				t.Errorf("%s %s is in %q", lang, name, got)
			}
			for _, tag := range []string{"script", "style"} {
				if len(findAll(doc, tag)) != 0 {
					t.Errorf("%s %s has a %s element", lang, name, tag)
				}
			}
			for _, in := range findAll(doc, "input") {
				if attr(in, "type") != "hidden" && attr(in, "id") == "" {
					t.Errorf("%s %s has an input without an id for its label", lang, name)
				}
			}
		}
	}
}
