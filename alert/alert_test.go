package alert_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/alert"
	"github.com/paradero/paradero/alert/alerttest"
	"github.com/paradero/paradero/sqlite"
)

// open returns a store with one documenter (user 1) following watch:w1.
func open(t *testing.T, ctx context.Context) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	u := &paradero.User{Email: "doc@example.org", Name: "Doc Umenter", Role: paradero.RoleDocumenter, Language: "en",
		PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA"}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	admin := paradero.NewContextWithActor(ctx, paradero.Actor{Name: "cli", Role: paradero.RoleAdmin})
	if err := db.CreateFollow(admin, &paradero.Follow{UserID: u.ID, Kind: paradero.FollowWatch, Object: "w1"}); err != nil {
		t.Fatal(err)
	}
	return db
}

func notice(change string, at time.Time) *paradero.Notice {
	return &paradero.Notice{Kind: paradero.AlertTransfer, Change: change, At: at, Locator: "ice-sim", WatchKey: "w1", From: "EL VALLE", To: "OTERO"}
}

// sink is a Sender that hands messages to the test; fail makes its next
// attempts fail.
type sink struct {
	mu   sync.Mutex
	got  []*alert.Message
	at   []time.Time
	fail int
}

func (s *sink) Channel() string { return "test" }
func (s *sink) Send(ctx context.Context, m *alert.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, time.Now())
	if s.fail > 0 {
		s.fail--
		return errors.New("receiver down")
	}
	s.got = append(s.got, m)
	return nil
}
func (s *sink) sent() []*alert.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*alert.Message(nil), s.got...)
}

// TestDigest: the first change goes out at once; changes within the
// window after it wait and go out together, as one digest.
func TestDigest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		db := open(t, ctx)
		defer db.Close()
		out := &sink{}
		d, err := alert.New(alert.Config{Store: db, Users: db, Senders: []alert.Sender{out}, Window: 15 * time.Minute, Poll: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		// Let the first run finish: a write racing it would wait in
		// SQLite's busy handler, which sleeps on the bubble's clock.
		synctest.Wait()
		t0 := time.Now()
		add := func(change string) {
			if n, err := db.CreateNotices(ctx, []*paradero.Notice{notice(change, time.Now())}); err != nil || n != 1 {
				t.Fatalf("CreateNotices = %d, %v; want 1 queued", n, err)
			}
			d.Notify()
			synctest.Wait()
		}
		add("moved")
		if got := out.sent(); len(got) != 1 || len(got[0].Delivery.Alert.Notices) != 1 {
			t.Fatalf("after the first change: %d alerts, want 1 at once", len(got))
		}
		for range 5 {
			time.Sleep(time.Minute) // fake time: synctest's clock
			add("moved")
		}
		if got := out.sent(); len(got) != 1 {
			t.Fatalf("changes within the window: %d alerts, want still 1", len(got))
		}
		time.Sleep(time.Until(t0.Add(15*time.Minute + time.Minute)))
		synctest.Wait()
		got := out.sent()
		if len(got) != 2 || len(got[1].Delivery.Alert.Notices) != 5 {
			t.Fatalf("after the window: %d alerts (last with %d notices), want 2, the last a digest of 5", len(got), len(got[len(got)-1].Delivery.Alert.Notices))
		}
		if got[0].User.ID != 1 || got[0].Delivery.IdempotencyKey == got[1].Delivery.IdempotencyKey {
			t.Errorf("alerts %+v %+v", got[0].Delivery, got[1].Delivery)
		}
		alerts, total, err := db.FindAlerts(ctx, paradero.AlertFilter{UserID: 1})
		if err != nil || total != 2 || len(alerts[0].Notices) != 5 {
			t.Errorf("in the app: %d alerts, %v", total, err)
		}
	})
}

// TestBackoff: a failing receiver is tried again after 30s, 60s, 120s…
func TestBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		db := open(t, ctx)
		defer db.Close()
		out := &sink{fail: 3}
		d, err := alert.New(alert.Config{Store: db, Users: db, Senders: []alert.Sender{out}, Poll: 10 * time.Second,
			BackoffMin: 30 * time.Second, BackoffMax: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateNotices(ctx, []*paradero.Notice{notice("moved", time.Now())}); err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		d.Start(ctx)
		time.Sleep(10 * time.Minute)
		d.Close()
		if len(out.sent()) != 1 || len(out.at) != 4 {
			t.Fatalf("%d attempts, %d delivered; want 4 attempts, 1 delivered", len(out.at), len(out.sent()))
		}
		// Attempts at 0, then ≥30s, ≥60s, ≥120s later (rounded up to the poll).
		want := []time.Duration{0, 30 * time.Second, 90 * time.Second, 210 * time.Second}
		for i, at := range out.at {
			if got := at.Sub(t0); got < want[i] || got > want[i]+10*time.Second {
				t.Errorf("attempt %d at +%v, want +%v (±poll)", i+1, got, want[i])
			}
		}
	})
}

func TestBackoffFunc(t *testing.T) {
	for prior, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second} {
		if got := alert.Backoff(prior, time.Second, 10*time.Second); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", prior, got, want)
		}
	}
	if got := alert.Backoff(1000, time.Second, time.Hour); got != time.Hour {
		t.Errorf("Backoff(1000) = %v, want 1h", got)
	}
}

func message(key string) *alert.Message {
	at := time.Date(2025, 3, 15, 14, 0, 0, 0, time.UTC)
	return &alert.Message{
		Delivery: &paradero.Delivery{ID: 1, Channel: "email", IdempotencyKey: key,
			Alert: &paradero.Alert{ID: 7, UserID: 3, CreatedAt: at, Notices: []*paradero.Notice{
				{Kind: paradero.AlertDisappearance, Change: "gone", At: at, Locator: "ice-sim", WatchKey: "w1", From: "EL VALLE", SourceID: 12, Detail: "not found 3 of 3 attempts"}}}},
		User: &paradero.User{ID: 3, Email: "doc@example.org", Language: "es"},
	}
}

// TestMailerAgainstLoopbackSMTP sends through net/smtp to a real SMTP
// listener on 127.0.0.1.
func TestMailerAgainstLoopbackSMTP(t *testing.T) {
	srv, err := alerttest.NewSMTPServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	m, err := alert.NewMailer(alert.SMTPConfig{Addr: srv.Addr(), From: "alerts@example.org", StartTLS: "off"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := m.Send(ctx, message("k1")); err != nil {
		t.Fatal(err)
	}
	got := <-srv.Mails
	if got.From != "alerts@example.org" || len(got.To) != 1 || got.To[0] != "doc@example.org" {
		t.Errorf("envelope %q → %q", got.From, got.To)
	}
	for _, want := range []string{"Message-ID: <k1@paradero>", "DESAPARICI", "w1", "EL VALLE", "fuente 12"} {
		if !strings.Contains(got.Data, want) {
			t.Errorf("mail lacks %q:\n%s", want, got.Data)
		}
	}
	// A relay that refuses for now is retried; one that refuses for good
	// is not.
	srv.Fail = func() string { return "451 try later" }
	var perm *alert.PermanentError
	if err := m.Send(ctx, message("k2")); err == nil || errors.As(err, &perm) {
		t.Errorf("451: %v, want a temporary error", err)
	}
	srv.Fail = func() string { return "550 no" }
	if err := m.Send(ctx, message("k3")); !errors.As(err, &perm) {
		t.Errorf("550: %v, want a permanent error", err)
	}
	// STARTTLS required by default: this relay offers none.
	strict, _ := alert.NewMailer(alert.SMTPConfig{Addr: srv.Addr(), From: "alerts@example.org"})
	srv.Fail = nil
	if err := strict.Send(ctx, message("k4")); !errors.As(err, &perm) {
		t.Errorf("no STARTTLS: %v, want refused", err)
	}
}

// TestWebhook posts to an httptest server on loopback and checks the
// signature, the timestamp and the idempotency key; 503 is retried with
// Retry-After, 400 is permanent.
func TestWebhook(t *testing.T) {
	secret := []byte("0123456789abcdef-test-secret")
	var mu sync.Mutex
	status := http.StatusOK
	var bodies []string
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		if _, err := b.ReadFrom(r.Body); err != nil {
			t.Error(err)
		}
		if err := alert.Verify(secret, r.Header, b.Bytes(), time.Now(), 5*time.Minute); err != nil {
			t.Errorf("receiver: %v", err)
		}
		if alert.Verify([]byte("another secret of 16+ bytes"), r.Header, b.Bytes(), time.Now(), 5*time.Minute) == nil {
			t.Error("receiver: a wrong secret verifies")
		}
		if alert.Verify(secret, r.Header, append(bytes.Clone(b.Bytes()), ' '), time.Now(), 5*time.Minute) == nil {
			t.Error("receiver: a changed body verifies")
		}
		if alert.Verify(secret, r.Header, b.Bytes(), time.Now().Add(10*time.Minute), 5*time.Minute) == nil {
			t.Error("receiver: a stale timestamp verifies")
		}
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, b.String())
		keys = append(keys, r.Header.Get(alert.HeaderIdempotency))
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "120")
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	h, err := alert.NewWebhook(alert.WebhookConfig{Name: "hub", URL: srv.URL, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if h.Channel() != "webhook:hub" {
		t.Errorf("channel %q", h.Channel())
	}
	ctx := t.Context()
	if err := h.Send(ctx, message("k1")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bodies[0], `"idempotency_key":"k1"`) || !strings.Contains(bodies[0], `"kind":"disappearance"`) || keys[0] != "k1" {
		t.Errorf("body %s, key %q", bodies[0], keys[0])
	}
	if strings.Contains(bodies[0], "example.org") {
		t.Errorf("the payload carries the e-mail address: %s", bodies[0])
	}
	status = http.StatusServiceUnavailable
	var ra *alert.RetryAfterError
	if err := h.Send(ctx, message("k1")); !errors.As(err, &ra) || ra.After != 2*time.Minute {
		t.Errorf("503: %v, want retry after 2m", err)
	}
	status = http.StatusBadRequest
	var perm *alert.PermanentError
	if err := h.Send(ctx, message("k1")); !errors.As(err, &perm) {
		t.Errorf("400: %v, want permanent", err)
	}
}
