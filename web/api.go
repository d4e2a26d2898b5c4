package web

// The JSON API, /api/v1: the pages' work for programs. Why this shape:
//
//   - The API is a second surface over the same access methods
//     (access.go): every read is decided and audited there, so a page and
//     its API route cannot disagree. Something the caller may not see
//     answers 404 with the same bytes as something that does not exist.
//   - Callers authenticate with "Authorization: Bearer SECRET" only
//     (paradero.APIToken): the API never reads a cookie, so a signed-in
//     browser cannot be made to call it from another site (no CSRF), and
//     it needs no CSRF token of its own. A token acts as its user, with
//     the user's role at the time of the call.
//   - Handlers return an error; apiAdapt writes it in the one error
//     format, {"error":{"code","message"}}, with the status and a stable
//     code from the paradero error codes (apiCodes). Internal causes go
//     to the log, never to the caller.
//   - Lists are pages: ?limit (1–200, default 50) and ?offset, with the
//     total and a link to the next page.
//   - Every route is in apiRouteTable (api_routes.go) and in the OpenAPI
//     document (openapi.json); a test holds the two together.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/paradero/paradero"
	"github.com/paradero/paradero/locale"
)

// apiHandler is an API handler: it returns its failure instead of writing
// it.
type apiHandler func(w http.ResponseWriter, r *http.Request) error

// API error codes beyond the paradero codes: failures only HTTP has.
const (
	apiCodeTooLarge     = "too_large"              // 413: the body is over the limit
	apiCodeRateLimited  = "rate_limited"           // 429: too many requests; Retry-After says when to come back
	apiCodeUnprocessed  = "unprocessable"          // 422: the file was read and has errors by line
	apiCodeMediaType    = "unsupported_media_type" // 415: the body is not of the type the route takes
	apiUnauthorizedText = "a valid API token is required"
)

// apiCodes are the codes the API reports, each with its status. A
// paradero code not listed is reported as internal.
var apiCodes = map[string]int{
	paradero.EINVALID:      http.StatusBadRequest,
	paradero.EUNAUTHORIZED: http.StatusUnauthorized,
	paradero.EFORBIDDEN:    http.StatusForbidden,
	paradero.ENOTFOUND:     http.StatusNotFound,
	paradero.ECONFLICT:     http.StatusConflict,
	paradero.EUNAVAILABLE:  http.StatusServiceUnavailable,
	paradero.EINTERNAL:     http.StatusInternalServerError,
	apiCodeTooLarge:        http.StatusRequestEntityTooLarge,
	apiCodeRateLimited:     http.StatusTooManyRequests,
	apiCodeUnprocessed:     http.StatusUnprocessableEntity,
	apiCodeMediaType:       http.StatusUnsupportedMediaType,
}

// apiError is a failure with an API code of its own.
type apiError struct {
	code       string
	message    string
	lines      []apiLineError // an import's errors by line
	retryAfter int            // seconds, for rate_limited
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// apiErrorBody is the one error format.
type apiErrorBody struct {
	Error apiErrorObject `json:"error"`
}

type apiErrorObject struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Lines   []apiLineError `json:"lines,omitempty"`
}

// apiFail writes err in the error format. As fail does for pages: internal
// faults are logged with their cause, refusals at debug level by code, and
// neither line holds the URL's path or query or a request body.
func (s *Server) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	body := apiErrorObject{Code: paradero.ErrorCode(err)}
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		body = apiErrorObject{Code: ae.code, Message: ae.message, Lines: ae.lines}
		if ae.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(ae.retryAfter))
		}
	case errors.As(err, &mbe):
		body = apiErrorObject{Code: apiCodeTooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", mbe.Limit)}
	}
	status, ok := apiCodes[body.Code]
	if !ok {
		body.Code, status = paradero.EINTERNAL, http.StatusInternalServerError
	}
	if status >= 500 {
		s.logger.Error("API request failed", "method", r.Method, "route", r.Pattern, "code", body.Code, "err", err)
	} else {
		s.logger.Debug("API request refused", "method", r.Method, "route", r.Pattern, "code", body.Code)
	}
	if ae == nil && mbe == nil {
		// Messages that could tell a hidden thing from a missing one, or
		// carry an internal cause, are fixed texts.
		switch body.Code {
		case paradero.ENOTFOUND:
			body.Message = "not found"
		case paradero.EUNAUTHORIZED:
			body.Message = apiUnauthorizedText
		case paradero.EINTERNAL:
			body.Message = "internal error"
		case paradero.EUNAVAILABLE:
			body.Message = "the service is unavailable; try again later"
		default:
			body.Message = paradero.ErrorMessage(err)
		}
	}
	if body.Code == paradero.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="paradero"`)
	}
	writeJSON(w, status, apiErrorBody{Error: body})
}

// apiNotFound is the answer to every API path that leads nowhere.
func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request) error { return notFoundError() }

// writeJSON writes v as the response, marshalled before anything is sent.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("web: encoding an API response: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}

// Request bodies: a JSON body is small; an import's file may be as large
// as an upload on the import page (uploadLimit).
const maxJSONBody = 64 << 10

// decodeJSON reads the request's body, which must be one JSON value of
// type application/json with no field v does not know.
func decodeJSON(r *http.Request, v any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return &apiError{code: apiCodeMediaType, message: "the body must be application/json"}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return &paradero.Error{Code: paradero.EINVALID, Message: "the body is not the JSON this route takes: " + jsonProblem(err), Err: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return paradero.Errorf(paradero.EINVALID, "the body holds more than one JSON value")
	}
	return nil
}

// jsonProblem says what is wrong with a body without repeating its
// content.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is empty or cut short"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "it does not parse"
}

// Pagination of lists.
const (
	apiDefaultLimit = 50
	apiMaxLimit     = 200
	apiMaxOffset    = 1 << 24
)

// apiPage is a list's position, from ?limit and ?offset.
type apiPage struct{ Limit, Offset int }

func pageOf(r *http.Request) (apiPage, error) {
	p := apiPage{Limit: apiDefaultLimit}
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > apiMaxLimit {
			return p, paradero.Errorf(paradero.EINVALID, "limit must be a whole number from 1 to %d", apiMaxLimit)
		}
		p.Limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > apiMaxOffset {
			return p, paradero.Errorf(paradero.EINVALID, "offset must be a whole number from 0 to %d", apiMaxOffset)
		}
		p.Offset = n
	}
	return p, nil
}

// apiList is a page of a list.
type apiList[T any] struct {
	Items  []T     `json:"items"`
	Total  int     `json:"total"`
	Limit  int     `json:"limit"`
	Offset int     `json:"offset"`
	Next   *string `json:"next"` // the next page's path and query; null on the last page
}

// newList makes the page of items at p, out of total, linking the next
// page of the same request.
func newList[T any](r *http.Request, p apiPage, items []T, total int) apiList[T] {
	if items == nil {
		items = []T{}
	}
	l := apiList[T]{Items: items, Total: total, Limit: p.Limit, Offset: p.Offset}
	if end := p.Offset + len(items); len(items) > 0 && end < total {
		q := r.URL.Query()
		q.Set("limit", strconv.Itoa(p.Limit))
		q.Set("offset", strconv.Itoa(end))
		next := r.URL.Path + "?" + q.Encode()
		l.Next = &next
	}
	return l
}

// apiIDParam reads a numeric path value; a malformed one is not found.
func apiIDParam(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, notFoundError()
	}
	return id, nil
}

// queryID reads an optional numeric query parameter: 0 when absent.
func queryID(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, paradero.Errorf(paradero.EINVALID, "%s must be a positive id", name)
	}
	return id, nil
}

type apiTokenKey struct{}

// apiTokenOf returns the token the request came with, or nil.
func apiTokenOf(ctx context.Context) *paradero.APIToken {
	t, _ := ctx.Value(apiTokenKey{}).(*paradero.APIToken)
	return t
}

// apiIdentify finds who calls: the user of the bearer token, or nobody
// (the public) when there is no Authorization header. A header that names
// no live token is refused outright, even on an open route, so a caller
// never mistakes a dead token for a working one. Cookies are never read.
func (s *Server) apiIdentify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		st := &state{actor: paradero.Actor{Name: "public", Role: paradero.RolePublic}}
		var tok *paradero.APIToken
		if h := r.Header.Get("Authorization"); h != "" {
			var err error
			tok, st.user, err = s.bearer(ctx, h)
			if err != nil {
				if paradero.ErrorCode(err) == paradero.EUNAUTHORIZED {
					s.metrics.authFailures.Inc()
				}
				s.apiFail(w, r, err)
				return
			}
			st.actor = st.user.Actor()
		}
		lang := locale.Match(r.Header.Get("Accept-Language"))
		if r.Header.Get("Accept-Language") == "" && st.user != nil {
			lang = st.user.Language
		}
		st.printer = s.catalog.Printer(lang)
		ctx = paradero.NewContextWithActor(ctx, st.actor)
		ctx = context.WithValue(ctx, stateKey{}, st)
		ctx = context.WithValue(ctx, apiTokenKey{}, tok)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// bearer finds the live token of an Authorization header and its user.
// EUNAUTHORIZED for a malformed header or a token that is unknown,
// revoked, expired or whose user is disabled, all alike; EFORBIDDEN while
// the user must still enrol a second factor (Config.RequireTwoFactor).
func (s *Server) bearer(ctx context.Context, header string) (*paradero.APIToken, *paradero.User, error) {
	scheme, secret, ok := strings.Cut(header, " ")
	secret = strings.TrimSpace(secret)
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return nil, nil, paradero.Errorf(paradero.EUNAUTHORIZED, "the Authorization header is not a bearer token")
	}
	now := s.now()
	tok, u, err := s.store.FindAPITokenByHash(ctx, paradero.APITokenHash(secret), now)
	if paradero.ErrorCode(err) == paradero.ENOTFOUND {
		return nil, nil, paradero.Errorf(paradero.EUNAUTHORIZED, "no live API token has this secret")
	}
	if err != nil {
		return nil, nil, err
	}
	// The pages let a user who must enrol a second factor do nothing else
	// until they have; a token of theirs is held to the same rule.
	if s.mustEnrol(u) {
		return nil, nil, paradero.Errorf(paradero.EFORBIDDEN, "this account must set up two-factor sign-in on the web pages before it uses the API")
	}
	// Last use, to the nearest few minutes, as for sessions.
	if now.Sub(tok.LastUsedAt) > touchEvery {
		if err := s.store.TouchAPIToken(ctx, tok.ID, now); err != nil {
			s.logger.Warn("touching an API token", "err", err)
		}
	}
	return tok, u, nil
}

// apiSignedIn refuses a caller without a token before anything is looked
// up, so the refusal says nothing about what exists.
func apiSignedIn(h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if stateOf(r.Context()).user == nil {
			return paradero.Errorf(paradero.EUNAUTHORIZED, "no API token")
		}
		return h(w, r)
	}
}

// apiAdapt turns an API route into an http.Handler: it bounds the body,
// requires a token unless the route is open, and writes a returned error
// in the error format.
func (s *Server) apiAdapt(rt apiRoute) http.Handler {
	h := rt.handler
	if !rt.open {
		h = apiSignedIn(h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(maxJSONBody)
		if rt.upload {
			limit = uploadLimit(r.Context(), "/import")
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := h(w, r); err != nil {
			s.apiFail(w, r, err)
		}
	})
}

// nullable returns a pointer to s, or nil for the empty string: JSON null
// says "not known".
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// apiPath is a path under the API, for links and Location headers.
func apiPath(format string, args ...any) string {
	return "/api/v1" + fmt.Sprintf(format, args...)
}
