// Package alert delivers alerts: it folds queued notices into one alert per
// follower (a digest when changes come quickly), and sends each alert by
// e-mail (SMTP) and to webhooks (HMAC-signed), from the store's durable
// outbox, with retries and exponential backoff.
//
// Why a package of its own, when DESIGN.md §3 gives "alert delivery" to
// watch: the watch is one producer of notices among several to come (the
// timeline's threshold flags, reviews, court orders), and delivery needs
// none of polling, while the web needs the alerts and none of the
// locators. Package watch turns its changes into paradero.Notice values;
// this package only sees those, through the root interfaces.
//
// Delivery is at least once: an outbox row is leased while it is sent and
// marked sent after; a crash in between sends it again after the lease,
// with the same idempotency key (the webhook's Idempotency-Key header,
// the e-mail's Message-ID), so receivers can drop the repeat.
//
// Nothing here logs personal data: deliveries are logged by outbox id,
// alert id and user id, never by address, and a notice carries ids,
// facilities and times only.
package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

// Message is one delivery to send: the alert and who receives it.
type Message struct {
	Delivery *paradero.Delivery
	User     *paradero.User // the follower; Email and Language are used
}

// Sender sends on one channel. Send must return within ctx's deadline. A
// *PermanentError says that trying again cannot help; a *RetryAfterError
// asks for a pause; any other error is retried with backoff.
type Sender interface {
	Channel() string
	Send(ctx context.Context, m *Message) error
}

var (
	_ Sender = (*Mailer)(nil)
	_ Sender = (*Webhook)(nil)
)

// PermanentError is a failure retrying cannot fix (a 4xx, a refused
// recipient).
type PermanentError struct{ Reason string }

func (e *PermanentError) Error() string { return "permanent failure: " + e.Reason }

// RetryAfterError is a failure whose receiver asked to wait (HTTP 429, 503).
type RetryAfterError struct {
	Reason string
	After  time.Duration
}

func (e *RetryAfterError) Error() string { return e.Reason + ", retry after " + e.After.String() }

// Config configures a Dispatcher.
type Config struct {
	Store   paradero.AlertService
	Users   paradero.UserService
	Senders []Sender

	Window      time.Duration // at most one alert per follower this often; later changes wait and are folded; default 15m
	Poll        time.Duration // how often the outbox is looked at without a Notify; default 10s
	Timeout     time.Duration // for one delivery attempt; default 30s
	BackoffMin  time.Duration // pause after the first failure, doubling; default 30s
	BackoffMax  time.Duration // longest pause; default 1h
	MaxAttempts int           // then the delivery is given up; default 20
	Logger      *slog.Logger  // given ids only
}

func (c *Config) validate() error {
	if c.Store == nil || c.Users == nil {
		return paradero.Errorf(paradero.EINVALID, "alert: a store and a user service are required")
	}
	seen := make(map[string]bool)
	for _, s := range c.Senders {
		if seen[s.Channel()] {
			return paradero.Errorf(paradero.EINVALID, "alert: two senders for channel %s", s.Channel())
		}
		seen[s.Channel()] = true
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Window, 15*time.Minute)
	def(&c.Poll, 10*time.Second)
	def(&c.Timeout, 30*time.Second)
	def(&c.BackoffMin, 30*time.Second)
	def(&c.BackoffMax, time.Hour)
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Dispatcher folds and delivers alerts. It owns one goroutine: Start,
// then Close.
type Dispatcher struct {
	cfg     Config
	senders map[string]Sender
	wake    chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
}

// New returns a dispatcher for cfg.
func New(cfg Config) (*Dispatcher, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := &Dispatcher{cfg: cfg, senders: make(map[string]Sender), wake: make(chan struct{}, 1)}
	for _, s := range cfg.Senders {
		d.senders[s.Channel()] = s
	}
	return d, nil
}

// Channels returns the channels alerts are delivered on.
func (d *Dispatcher) Channels() []string {
	out := make([]string, 0, len(d.cfg.Senders))
	for _, s := range d.cfg.Senders {
		out = append(out, s.Channel())
	}
	return out
}

// Notify wakes the dispatcher: notices were queued.
func (d *Dispatcher) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Start runs the dispatcher until Close or ctx ends. Unsent deliveries
// left by an earlier run are sent.
func (d *Dispatcher) Start(ctx context.Context) error {
	if d.done != nil {
		return errors.New("alert: dispatcher started twice")
	}
	ctx, d.cancel = context.WithCancel(ctx)
	d.done = make(chan struct{})
	go d.loop(ctx)
	return nil
}

// Close stops the dispatcher and waits for it.
func (d *Dispatcher) Close() error {
	if d.cancel == nil {
		return nil
	}
	d.cancel()
	<-d.done
	return nil
}

func (d *Dispatcher) loop(ctx context.Context) {
	defer close(d.done)
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.cfg.Logger.Error("alert dispatch failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

// maxClaims bounds the batches one RunOnce claims, so a flood of
// deliveries cannot keep it from returning to its loop; claimBatch is how
// many deliveries one claim leases. They are sent one after another, so
// the lease covers every attempt of the batch timing out, and a minute.
const (
	maxClaims  = 50
	claimBatch = 10
)

// RunOnce folds the due queues into alerts and sends the deliveries due
// now. It returns how many were sent.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	alerts, err := d.cfg.Store.FoldAlerts(ctx, time.Now(), d.cfg.Window, d.Channels())
	if err != nil {
		return 0, err
	}
	for _, a := range alerts {
		d.cfg.Logger.Info("alert folded", "alert", a.ID, "user", a.UserID, "notices", len(a.Notices))
	}
	sent := 0
	lease := claimBatch*d.cfg.Timeout + time.Minute
	for range maxClaims {
		ds, err := d.cfg.Store.ClaimDeliveries(ctx, time.Now(), lease, claimBatch)
		if err != nil {
			return sent, err
		}
		for _, dl := range ds {
			ok, err := d.deliver(ctx, dl)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
		if len(ds) < claimBatch {
			break
		}
	}
	return sent, nil
}

// deliver makes one attempt and records its outcome; the error is the
// store's only.
func (d *Dispatcher) deliver(ctx context.Context, dl *paradero.Delivery) (bool, error) {
	log := d.cfg.Logger.With("delivery", dl.ID, "alert", dl.Alert.ID, "user", dl.Alert.UserID, "channel", dl.Channel)
	s, ok := d.senders[dl.Channel]
	if !ok {
		// A channel configured once and removed since: keep the row for
		// when it comes back, without spinning on it.
		return false, d.cfg.Store.RetryDelivery(ctx, dl.ID, time.Now().Add(d.cfg.BackoffMax), "no sender for this channel")
	}
	u, err := d.cfg.Users.FindUserByID(ctx, dl.Alert.UserID)
	if err != nil {
		if paradero.ErrorCode(err) == paradero.ENOTFOUND {
			return false, d.cfg.Store.RetryDelivery(ctx, dl.ID, time.Time{}, "user not found")
		}
		return false, err
	}
	actx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	err = s.Send(actx, &Message{Delivery: dl, User: u})
	cancel()
	if err == nil {
		log.Info("alert delivered", "attempt", dl.Attempts+1)
		return true, d.cfg.Store.CompleteDelivery(ctx, dl.ID, time.Now())
	}
	if ctx.Err() != nil {
		return false, ctx.Err() // shutting down: the lease expires and it is sent again
	}
	reason := err.Error()
	var perm *PermanentError
	if errors.As(err, &perm) || dl.Attempts+1 >= d.cfg.MaxAttempts {
		log.Warn("alert delivery given up", "attempt", dl.Attempts+1, "reason", reason)
		return false, d.cfg.Store.RetryDelivery(ctx, dl.ID, time.Time{}, reason)
	}
	wait := Backoff(dl.Attempts, d.cfg.BackoffMin, d.cfg.BackoffMax)
	var ra *RetryAfterError
	if errors.As(err, &ra) && ra.After > wait {
		wait = min(ra.After, 24*time.Hour)
	}
	log.Warn("alert delivery failed; will retry", "attempt", dl.Attempts+1, "in", wait, "reason", reason)
	return false, d.cfg.Store.RetryDelivery(ctx, dl.ID, time.Now().Add(wait), reason)
}

// Backoff returns the pause after failed attempt number prior+1: lo,
// doubling with each attempt, at most hi.
func Backoff(prior int, lo, hi time.Duration) time.Duration {
	d := lo
	for range min(prior, 62) {
		if d >= hi/2 {
			return hi
		}
		d *= 2
	}
	return min(d, hi)
}

// summary returns an alert's notices as plain lines, in lang (es or en),
// and a subject. Ids, facilities and times only.
func summary(a *paradero.Alert, lang string) (subject string, lines []string) {
	w := words["en"]
	if lang == "es" {
		w = words["es"]
	}
	for _, n := range a.Notices {
		var b strings.Builder
		fmt.Fprintf(&b, "%s  %s", n.At.UTC().Format("2006-01-02 15:04 UTC"), w[string(n.Kind)])
		fmt.Fprintf(&b, " — %s %s", w["watch"], n.WatchKey)
		if n.PersonID > 0 {
			fmt.Fprintf(&b, " (%s %d)", w["person"], n.PersonID)
		}
		fmt.Fprintf(&b, ", %s %s: %s", w["locator"], n.Locator, w[n.Change])
		switch {
		case n.From != "" && n.To != "":
			fmt.Fprintf(&b, " %s → %s", n.From, n.To)
		case n.To != "":
			fmt.Fprintf(&b, " %s", n.To)
		case n.From != "":
			fmt.Fprintf(&b, " (%s %s)", w["last seen"], n.From)
		}
		if n.Detail != "" {
			fmt.Fprintf(&b, "; %s", n.Detail)
		}
		if n.SourceID > 0 {
			fmt.Fprintf(&b, ". %s %d", w["source"], n.SourceID)
		}
		lines = append(lines, b.String())
	}
	subject = "Paradero: " + strconv.Itoa(len(a.Notices)) + " " + w["changes"]
	if len(a.Notices) == 1 {
		subject = "Paradero: " + w[string(a.Notices[0].Kind)]
	}
	return subject, lines
}

var words = map[string]map[string]string{
	"en": {"status": "status changed", "transfer": "transfer", "disappearance": "DISAPPEARANCE", "reappearance": "reappearance",
		"watch": "watch entry", "person": "person", "locator": "locator", "last seen": "last seen at", "source": "Evidence: source",
		"changes": "changes", "appeared": "in custody at", "moved": "moved", "left": "no longer in custody", "gone": "no longer found",
		"reappeared": "found again at", "open": "Open Paradero to see who and the evidence."},
	"es": {"status": "cambio de situación", "transfer": "traslado", "disappearance": "DESAPARICIÓN", "reappearance": "reaparición",
		"watch": "vigilancia", "person": "persona", "locator": "localizador", "last seen": "visto por última vez en", "source": "Prueba: fuente",
		"changes": "cambios", "appeared": "bajo custodia en", "moved": "trasladado", "left": "ya no está bajo custodia", "gone": "ya no aparece",
		"reappeared": "aparece de nuevo en", "open": "Abra Paradero para ver de quién se trata y las pruebas."},
}
