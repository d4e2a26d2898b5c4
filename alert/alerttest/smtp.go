// Package alerttest holds a tiny SMTP server for tests: it listens on a
// loopback address only and hands every message it accepts to a channel.
package alerttest

import (
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
)

// Mail is one message the server accepted.
type Mail struct {
	From string
	To   []string
	Data string // headers and body, dot-unstuffed, CRLF line ends
}

// SMTPServer speaks just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET,
// NOOP, QUIT) for net/smtp's client, without STARTTLS or AUTH.
type SMTPServer struct {
	ln    net.Listener
	Mails chan Mail
	// Fail, if set, is called with each MAIL FROM; a non-empty reply
	// (such as "451 try later") refuses the message with it.
	Fail func() string
	wg   sync.WaitGroup
}

// NewSMTPServer listens on 127.0.0.1 at a free port.
func NewSMTPServer() (*SMTPServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &SMTPServer{ln: ln, Mails: make(chan Mail, 100)}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr returns host:port.
func (s *SMTPServer) Addr() string { return s.ln.Addr().String() }

// Close stops listening and waits for open sessions to end.
func (s *SMTPServer) Close() error {
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *SMTPServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.session(textproto.NewConn(c))
		}()
	}
}

func (s *SMTPServer) session(c *textproto.Conn) {
	c.PrintfLine("220 localhost ESMTP test")
	var m Mail
	for range 1000 {
		line, err := c.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			c.PrintfLine("250-localhost\r\n250 8BITMIME")
		case "HELO", "NOOP":
			c.PrintfLine("250 ok")
		case "RSET":
			m = Mail{}
			c.PrintfLine("250 ok")
		case "MAIL":
			if s.Fail != nil {
				if r := s.Fail(); r != "" {
					c.PrintfLine("%s", r)
					continue
				}
			}
			m = Mail{From: addr(arg)}
			c.PrintfLine("250 ok")
		case "RCPT":
			m.To = append(m.To, addr(arg))
			c.PrintfLine("250 ok")
		case "DATA":
			c.PrintfLine("354 go ahead")
			data, err := readAll(c.DotReader())
			if err != nil {
				return
			}
			m.Data = data
			s.Mails <- m
			m = Mail{}
			c.PrintfLine("250 accepted")
		case "QUIT":
			c.PrintfLine("221 bye")
			return
		default:
			c.PrintfLine("502 not implemented")
		}
	}
}

func readAll(r io.Reader) (string, error) {
	var b strings.Builder
	_, err := io.Copy(&b, r)
	return b.String(), err
}

// addr takes "FROM:<a@b>" or "TO:<a@b>" to "a@b".
func addr(arg string) string {
	_, a, _ := strings.Cut(arg, ":")
	a = strings.TrimSpace(a)
	if i := strings.IndexByte(a, ' '); i >= 0 {
		a = a[:i]
	}
	return strings.Trim(a, "<>")
}
