package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

// Webhook headers. The signature is HMAC-SHA256, keyed by the shared
// secret, over the timestamp, a dot and the body — the scheme Stripe and
// others use — so a receiver can reject a replay older than it tolerates
// and a body changed in transit.
const (
	HeaderTimestamp   = "Paradero-Timestamp" // Unix seconds
	HeaderSignature   = "Paradero-Signature" // "v1=" + hex(HMAC-SHA256(secret, timestamp + "." + body))
	HeaderIdempotency = "Idempotency-Key"    // the same on every attempt of a delivery
)

// Sign returns the signature header value for body at timestamp ts.
func Sign(secret []byte, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a received webhook: the signature over the timestamp and
// body, and a timestamp within tolerance of now. Receivers written in Go
// may use it; docs/watch.md describes it for others.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("webhook: no timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook: timestamp outside the tolerance")
	}
	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(h.Get(HeaderSignature)), []byte(want)) {
		return fmt.Errorf("webhook: bad signature")
	}
	return nil
}

// WebhookConfig configures one webhook endpoint.
type WebhookConfig struct {
	Name   string // the channel is "webhook:Name"
	URL    string
	Secret []byte // at least 16 bytes
	Client *http.Client
}

// Webhook posts alerts as signed JSON to one endpoint.
type Webhook struct{ cfg WebhookConfig }

// NewWebhook checks cfg and returns a webhook sender.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	if cfg.Name == "" || strings.ContainsAny(cfg.Name, " :\t") {
		return nil, paradero.Errorf(paradero.EINVALID, "a webhook needs a one-word name")
	}
	if !strings.HasPrefix(cfg.URL, "http://") && !strings.HasPrefix(cfg.URL, "https://") {
		return nil, paradero.Errorf(paradero.EINVALID, "webhook %s: the URL must be http or https", cfg.Name)
	}
	if len(cfg.Secret) < 16 {
		return nil, paradero.Errorf(paradero.EINVALID, "webhook %s: the secret must have at least 16 bytes", cfg.Name)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Webhook{cfg: cfg}, nil
}

// Channel is "webhook:" and the name.
func (w *Webhook) Channel() string { return "webhook:" + w.cfg.Name }

// Payload is the JSON body a webhook receives.
type Payload struct {
	IdempotencyKey string          `json:"idempotency_key"`
	Alert          int64           `json:"alert"`
	User           int64           `json:"user"`
	CreatedAt      time.Time       `json:"created_at"`
	Notices        []PayloadNotice `json:"notices"`
}

// PayloadNotice is one notice in a Payload: ids, facilities and times.
type PayloadNotice struct {
	Kind     string    `json:"kind"`
	Change   string    `json:"change"`
	At       time.Time `json:"at"`
	Locator  string    `json:"locator"`
	WatchKey string    `json:"watch_key"`
	Person   int64     `json:"person,omitempty"`
	From     string    `json:"from,omitempty"`
	To       string    `json:"to,omitempty"`
	Source   int64     `json:"source,omitempty"`
	Detail   string    `json:"detail,omitempty"`
}

// Send posts the alert. 2xx is success; 408, 429 and 5xx are retried
// (honouring Retry-After); other statuses are permanent.
func (w *Webhook) Send(ctx context.Context, m *Message) error {
	a := m.Delivery.Alert
	p := Payload{IdempotencyKey: m.Delivery.IdempotencyKey, Alert: a.ID, User: a.UserID, CreatedAt: a.CreatedAt.UTC()}
	for _, n := range a.Notices {
		p.Notices = append(p.Notices, PayloadNotice{Kind: string(n.Kind), Change: n.Change, At: n.At.UTC(), Locator: n.Locator,
			WatchKey: n.WatchKey, Person: n.PersonID, From: n.From, To: n.To, Source: n.SourceID, Detail: n.Detail})
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return &PermanentError{Reason: "bad webhook request"}
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Paradero-Alerts/1")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(w.cfg.Secret, ts, body))
	req.Header.Set(HeaderIdempotency, m.Delivery.IdempotencyKey)
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: request failed", w.cfg.Name) // the URL may hold a token: not repeated
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return nil
	case s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable:
		if ra := retryAfter(resp.Header.Get("Retry-After")); ra > 0 {
			return &RetryAfterError{Reason: fmt.Sprintf("webhook %s: HTTP %d", w.cfg.Name, s), After: ra}
		}
		return fmt.Errorf("webhook %s: HTTP %d", w.cfg.Name, s)
	case s == http.StatusRequestTimeout || s >= 500:
		return fmt.Errorf("webhook %s: HTTP %d", w.cfg.Name, s)
	default:
		return &PermanentError{Reason: fmt.Sprintf("webhook %s: HTTP %d", w.cfg.Name, s)}
	}
}

// retryAfter reads Retry-After in seconds; 0 if absent or not seconds.
func retryAfter(h string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}
