package alert

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

// SMTPConfig configures the e-mail channel.
type SMTPConfig struct {
	Addr     string // host:port of the relay
	From     string // the sender address
	Username string // empty: no authentication
	Password string
	// StartTLS: "require" (default: refuse a relay without STARTTLS),
	// "opportunistic" (use it when offered), or "off". Off is for a
	// relay on loopback only.
	StartTLS  string
	TLSConfig *tls.Config // nil: verify the relay's certificate against its host name
	Hello     string      // the name given in EHLO; default "localhost"
}

// Mailer sends alerts by e-mail through an SMTP relay, one connection per
// message, with net/smtp.
type Mailer struct {
	cfg  SMTPConfig
	host string
}

// NewMailer checks cfg and returns a mailer.
func NewMailer(cfg SMTPConfig) (*Mailer, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, paradero.Errorf(paradero.EINVALID, "smtp address %q is not host:port", cfg.Addr)
	}
	if a, err := mail.ParseAddress(cfg.From); err != nil || a.Address != cfg.From {
		return nil, paradero.Errorf(paradero.EINVALID, "smtp from is not a bare e-mail address")
	}
	switch cfg.StartTLS {
	case "":
		cfg.StartTLS = "require"
	case "require", "opportunistic", "off":
	default:
		return nil, paradero.Errorf(paradero.EINVALID, "smtp starttls %q is not require, opportunistic or off", cfg.StartTLS)
	}
	if cfg.Hello == "" {
		cfg.Hello = "localhost"
	}
	return &Mailer{cfg: cfg, host: host}, nil
}

// Channel is "email".
func (m *Mailer) Channel() string { return "email" }

// Send delivers one alert to its follower's address. The Message-ID is
// the delivery's idempotency key, so a repeat after a crash is
// recognisable.
func (m *Mailer) Send(ctx context.Context, msg *Message) error {
	to := msg.User.Email
	if to == "" {
		return &PermanentError{Reason: "the user has no e-mail address"}
	}
	body, err := m.compose(msg)
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp: connect: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return smtpError("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(m.cfg.Hello); err != nil {
		return smtpError("hello", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && m.cfg.StartTLS != "off" {
		tc := m.cfg.TLSConfig
		if tc == nil {
			tc = &tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(tc); err != nil {
			return smtpError("starttls", err)
		}
	} else if m.cfg.StartTLS == "require" {
		return &PermanentError{Reason: "the relay does not offer STARTTLS"}
	}
	if m.cfg.Username != "" {
		// PlainAuth refuses to send the password unencrypted, except to
		// localhost.
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.host)); err != nil {
			return smtpError("auth", err)
		}
	}
	if err := c.Mail(m.cfg.From); err != nil {
		return smtpError("mail from", err)
	}
	if err := c.Rcpt(to); err != nil {
		return smtpError("rcpt to", err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpError("data", err)
	}
	if _, err := w.Write(body); err != nil {
		return smtpError("data", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("data", err)
	}
	return c.Quit()
}

// smtpError classifies a relay's answer: 5xx is permanent, the rest is
// retried. The reason holds the code only: relays echo addresses.
func smtpError(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		if te.Code >= 500 {
			return &PermanentError{Reason: fmt.Sprintf("smtp %s: %d", step, te.Code)}
		}
		return fmt.Errorf("smtp %s: %d", step, te.Code)
	}
	return fmt.Errorf("smtp %s: %w", step, err)
}

// compose writes the message: plain text, UTF-8, quoted-printable.
func (m *Mailer) compose(msg *Message) ([]byte, error) {
	a := msg.Delivery.Alert
	subject, lines := summary(a, msg.User.Language)
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", m.cfg.From)
	h("To", msg.User.Email)
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", a.CreatedAt.UTC().Format(time.RFC1123Z))
	h("Message-ID", "<"+msg.Delivery.IdempotencyKey+"@paradero>")
	h("X-Paradero-Alert", fmt.Sprint(a.ID))
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	w := words["en"]
	if msg.User.Language == "es" {
		w = words["es"]
	}
	text := strings.Join(lines, "\n") + "\n\n" + w["open"] + "\n"
	if _, err := qp.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
