package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/paradero/paradero"
	"github.com/paradero/paradero/sqlite"
)

// totpAt is an authenticator app's code for secret at t (RFC 6238: SHA-1,
// 30 s, 6 digits), written apart from package web's.
func totpAt(secret []byte, t time.Time) string {
	step := uint64(t.Unix() / 30)
	var msg [8]byte
	for i := range msg {
		msg[i] = byte(step >> (56 - 8*i))
	}
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 15
	v := (uint32(sum[off])&0x7f)<<24 | uint32(sum[off+1])<<16 | uint32(sum[off+2])<<8 | uint32(sum[off+3])
	return fmt.Sprintf("%06d", v%1000000)
}

// enrolInStore gives the user with this address a second factor with
// secret, straight through the store, as if they had enrolled.
func enrolInStore(t *testing.T, store paradero.Store, email string, secret []byte) *paradero.User {
	t.Helper()
	ctx := t.Context()
	u, err := store.(paradero.UserService).FindUserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	tf := store.(paradero.TwoFactorService)
	if err := tf.SetPendingTOTPSecret(ctx, u.ID, secret); err != nil {
		t.Fatal(err)
	}
	if err := tf.EnableTwoFactor(ctx, u.ID, secret, 0, []paradero.Hash{{1}}, paradero.Hash{}); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUserResetTwoFactor(t *testing.T) {
	c := newCLI(t)
	c.ok("user", "add", "--email", "luis@example.org", "--name", "Luis", "--role", "lawyer",
		"--password-file", writeFile(t, "pw", webPassword+"\n"))
	db, err := sqlite.Open(t.Context(), c.data, nil)
	if err != nil {
		t.Fatal(err)
	}
	u := enrolInStore(t, db, "luis@example.org", []byte("12345678901234567890"))
	now := time.Now()
	for _, tok := range []string{"a", "b"} {
		if err := db.CreateSession(t.Context(), &paradero.Session{TokenHash: paradero.Hash{tok[0]}, UserID: u.ID,
			CSRFToken: tok, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	out := c.ok("user", "reset-2fa", "LUIS@example.org")
	if !strings.Contains(out, "Second factor of user 1 removed; 2 sessions revoked.") || !strings.Contains(out, "set up a new one") {
		t.Errorf("reset-2fa printed %q", out)
	}
	if code, _, errs := c.run("user", "reset-2fa", "nadie@example.org"); code != 1 || !strings.Contains(errs, "no user") {
		t.Errorf("reset-2fa of an unknown address: exit %d, %q", code, errs)
	}
	if code, _, _ := c.run("user", "reset-2fa"); code != 2 {
		t.Errorf("reset-2fa without an address: exit %d, want 2", code)
	}

	db, err = sqlite.Open(t.Context(), c.data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.FindUserByID(t.Context(), u.ID)
	if err != nil || got.TwoFactorEnabled() {
		t.Errorf("after reset-2fa the user still has a second factor (%v)", err)
	}
	if _, _, err := db.FindSession(t.Context(), paradero.Hash{'a'}, now); paradero.ErrorCode(err) != paradero.ENOTFOUND {
		t.Errorf("a session survives reset-2fa: %v", err)
	}
	es, _, err := db.FindAuditEntries(t.Context(), paradero.AuditFilter{Action: paradero.AuditTwoFactorReset})
	if err != nil || len(es) != 1 || es[0].Object != "user:1" || !strings.HasPrefix(es[0].ActorName, "cli") {
		t.Errorf("audit of reset-2fa = %+v, %v", es, err)
	}
}

// TestServeRequiresTwoFactor runs the serve command as an operator would:
// by default a documenter who signed in with a password is sent to
// enrolment; with --require-2fa=false they go where they asked.
func TestServeRequiresTwoFactor(t *testing.T) {
	c := newCLI(t)
	c.ok("user", "add", "--email", "documenter@example.org", "--name", "Documentadora", "--role", "documenter",
		"--password-file", writeFile(t, "pw", webPassword+"\n"))
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{nil, "/account/two-factor/setup"},
		{[]string{"--require-2fa=false"}, "/sources"},
	} {
		base, stop := startServe(t, c, tc.flags...)
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := hc.Get(base + "/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var csrf string
		for _, ck := range jar.Cookies(mustParseURL(t, base)) {
			if ck.Name == "paradero_csrf" {
				csrf = ck.Value
			}
		}
		resp, err = hc.PostForm(base+"/login", url.Values{"csrf": {csrf}, "email": {"documenter@example.org"},
			"password": {webPassword}, "next": {"/sources"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != tc.want {
			t.Errorf("serve %v: sign-in = %d to %q, want 303 to %q", tc.flags, resp.StatusCode, got, tc.want)
		}
		stop()
	}
}

func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// startServe runs `paradero serve` on 127.0.0.1:0 and returns its address
// and a function that stops it.
func startServe(t *testing.T, c *cli, flags ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	out, outW := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		defer outW.Close()
		exit <- run(ctx, append([]string{"--data", c.data, "serve", "--listen", "127.0.0.1:0"}, flags...),
			strings.NewReader(""), outW, io.Discard)
	}()
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		first <- line
		io.Copy(io.Discard, out)
	}()
	select {
	case line := <-first:
		base, ok := strings.CutPrefix(strings.TrimSpace(line), "Paradero: ")
		if !ok {
			cancel()
			t.Fatalf("serve printed %q, want its address; exit status %d", line, <-exit)
		}
		return base, func() {
			cancel()
			if code := <-exit; code != 0 {
				t.Errorf("serve exited %d", code)
			}
		}
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start within 30 s")
	}
	return "", nil
}

// TestBrowserTwoFactor signs in with a TOTP code in chromium, and enrols a
// second user through the QR page. Like TestBrowser it fails, never skips,
// without chromium.
func TestBrowserTwoFactor(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed (apt-get install chromium; .ci/run does it): ", err)
	}
	shots := os.Getenv("PARADERO_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if shots, err = filepath.Abs(shots); err != nil {
		t.Fatal(err)
	}
	w := newWebWorld(t)
	secret := []byte("un secreto de prueba de 20+ bytes")
	enrolInStore(t, w.m.g.store, "lawyer@example.org", secret)

	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()))
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(browser, 60*time.Second)
	defer cancel()
	b := &browserRun{t: t, ctx: ctx, base: w.url, shots: shots, prefix: "es-desktop"}
	b.do(chromedp.EmulateViewport(1100, 760, chromedp.EmulateScale(1)))

	// The lawyer: password, then the code, and on to the page asked for.
	b.do(chromedp.Navigate(b.base+"/stats"), chromedp.Click(chromedp.CSS(`form.lang button[value="es"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="es"]`)), chromedp.WaitVisible(chromedp.ID("count-records")),
		chromedp.Navigate(b.base+"/login?next=/account/two-factor"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "lawyer@example.org"),
		chromedp.SendKeys(chromedp.ID("password"), webPassword+"\r"),
		chromedp.WaitVisible(chromedp.ID("code")))
	if got := b.text("h1"); got != "Código de acceso" {
		t.Errorf("second step h1 = %q", got)
	}
	if !b.eval(`document.activeElement.id === "code"`) {
		t.Error("the code field does not have the focus")
	}
	b.screenshot("two-factor-code")
	b.do(chromedp.SendKeys(chromedp.ID("code"), totpAt(secret, time.Now())+"\r"),
		chromedp.WaitVisible(chromedp.ID("twofactor-status")))
	if got := b.text("#twofactor-status"); !strings.HasPrefix(got, "Activada desde") {
		t.Errorf("account status = %q, want on", got)
	}

	// The documenter enrols: scans (reads) the key, types a code, and gets
	// ten recovery codes.
	b.do(chromedp.Click(chromedp.CSS(`form.logout button`)), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.Navigate(b.base+"/login?next=/account/two-factor/setup"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "documenter@example.org"),
		chromedp.SendKeys(chromedp.ID("password"), webPassword+"\r"),
		chromedp.WaitVisible(chromedp.CSS(`#totp-qr svg`)))
	if !b.eval(`(() => { const r = document.querySelector("#totp-qr svg").getBoundingClientRect(); return r.width >= 150 && r.width === r.height })()`) {
		t.Error("the QR code is not drawn square and at least 150 px wide")
	}
	b.screenshot("two-factor-setup")
	key := strings.ReplaceAll(b.text("#totp-key"), " ", "")
	docSecret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(key)
	if err != nil {
		t.Fatalf("key %q: %v", key, err)
	}
	b.do(chromedp.SendKeys(chromedp.ID("code"), totpAt(docSecret, time.Now())+"\r"),
		chromedp.WaitVisible(chromedp.ID("recovery-codes")))
	if !b.eval(`document.querySelectorAll("#recovery-codes li").length === 10`) {
		t.Error("enrolment does not show ten recovery codes")
	}
	if !b.eval(`document.querySelectorAll("script").length === 0`) {
		t.Error("a two-factor page holds a script element")
	}
	b.screenshot("two-factor-codes")
}
