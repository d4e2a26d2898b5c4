package web

import (
	"errors"
	"net/http"

	"github.com/paradero/paradero"
)

// handlerFunc is a handler that returns its failure instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// adapt turns a handlerFunc into an http.Handler: an error becomes a status
// and the error page.
func (s *Server) adapt(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

var forbiddenCrossOrigin = paradero.Errorf(paradero.EFORBIDDEN, "cross-origin request refused")

// notFoundError is what every lookup of something missing or hidden
// returns, so that both answer alike.
func notFoundError() error { return paradero.Errorf(paradero.ENOTFOUND, "not found") }

// statusOf maps an application error code to an HTTP status.
func statusOf(code string) int {
	switch code {
	case paradero.EINVALID:
		return http.StatusBadRequest
	case paradero.ENOTFOUND:
		return http.StatusNotFound
	case paradero.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case paradero.EFORBIDDEN:
		return http.StatusForbidden
	case paradero.ECONFLICT:
		return http.StatusConflict
	case paradero.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorData is the error page's data: a translated message key, never the
// error's own text.
type errorData struct {
	Status int
	Key    string
}

// fail writes err as a status and the error page. Internal faults are
// logged with their cause; other codes are the user's business and are
// logged at debug level by code only. Neither log line holds the URL's
// query, a form value or an error message from a lookup, so no personal
// data reaches the log.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := paradero.ErrorCode(err)
	status := statusOf(code)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		code, status = paradero.EINVALID, http.StatusRequestEntityTooLarge
	}
	if status >= 500 {
		s.logger.Error("request failed", "method", r.Method, "route", r.Pattern, "code", code, "err", err)
	} else {
		s.logger.Debug("request refused", "method", r.Method, "route", r.Pattern, "code", code)
	}
	if code == paradero.EUNAUTHORIZED {
		http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.Path), http.StatusSeeOther)
		return
	}
	p := stateOf(r.Context()).printer
	if p == nil {
		http.Error(w, http.StatusText(status), status)
		return
	}
	if rerr := s.render(w, r, status, "error", p.T("error."+code+".title"), "",
		errorData{Status: status, Key: "error." + code}); rerr != nil {
		s.logger.Error("rendering the error page", "err", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}
