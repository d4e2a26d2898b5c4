package web

import (
	"crypto/rand"
	"net/http"
	"strings"
	"time"

	"github.com/paradero/paradero"
)

// The caller, the audit log, accounts and API tokens.

type apiMe struct {
	User  apiUser  `json:"user"`
	Token apiToken `json:"token"`
}

// apiMe says who the token acts as: the user, with their role now, and
// the token itself.
func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	return writeJSON(w, http.StatusOK, apiMe{User: userJSON(stateOf(ctx).user), Token: s.tokenJSON(apiTokenOf(ctx))})
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, paradero.PermReadAudit); err != nil {
		return err // before the query is looked at
	}
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	actor, err := queryID(r, "actor_id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	es, total, err := s.findAuditEntries(ctx, paradero.AuditFilter{ActorID: actor, Action: q.Get("action"),
		Object: q.Get("object"), Offset: p.Offset, Limit: p.Limit})
	if err != nil {
		return err
	}
	items := make([]apiAuditEntry, len(es))
	for i, e := range es {
		items[i] = auditJSON(e)
	}
	return writeJSON(w, http.StatusOK, newList(r, p, items, total))
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, paradero.PermManageUsers); err != nil {
		return err
	}
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	role := paradero.Role(r.URL.Query().Get("role"))
	if role != "" && !role.Valid() {
		return paradero.Errorf(paradero.EINVALID, "role is not admin, documenter, lawyer, family or public")
	}
	us, total, err := s.findUsers(ctx, paradero.UserFilter{Role: role, Offset: p.Offset, Limit: p.Limit})
	if err != nil {
		return err
	}
	items := make([]apiUser, len(us))
	for i, u := range us {
		items[i] = userJSON(u)
	}
	return writeJSON(w, http.StatusOK, newList(r, p, items, total))
}

func (s *Server) apiUser(w http.ResponseWriter, r *http.Request) error {
	id, err := apiIDParam(r, "id")
	if err != nil {
		return err
	}
	u, err := s.findUser(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, userJSON(u))
}

type apiNewUser struct {
	Email    string        `json:"email"`
	Name     string        `json:"name"`
	Role     paradero.Role `json:"role"`
	Language string        `json:"language"` // es (default) or en
	Password string        `json:"password"` // empty: a random one, returned once
}

type apiCreatedUser struct {
	User     apiUser `json:"user"`
	Password *string `json:"password"` // the random password made, shown once; null when one was given
}

// apiCreateUser makes an account, as 'paradero user add' does.
func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, paradero.PermManageUsers); err != nil {
		return err
	}
	var req apiNewUser
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Language == "" {
		req.Language = "es"
	}
	pw, generated := req.Password, req.Password == ""
	if generated {
		pw = randomPassword()
	}
	if err := CheckNewPassword(pw); err != nil {
		return err
	}
	h, err := HashPassword(pw, s.password)
	if err != nil {
		return err
	}
	u := &paradero.User{Email: req.Email, Name: strings.TrimSpace(req.Name), Role: req.Role, Language: req.Language, PasswordHash: h}
	if err := s.createUser(ctx, u); err != nil {
		return err
	}
	out := apiCreatedUser{User: userJSON(u)}
	if generated {
		out.Password = &pw
	}
	w.Header().Set("Location", apiPath("/users/%d", u.ID))
	return writeJSON(w, http.StatusCreated, out)
}

// apiUserChange changes an account; absent fields stay as they are. A
// password is changed with 'paradero user passwd' (or by its user, once
// the pages let them), never through the API.
type apiUserChange struct {
	Name     *string        `json:"name"`
	Role     *paradero.Role `json:"role"`
	Language *string        `json:"language"`
	Disabled *bool          `json:"disabled"`
}

func (s *Server) apiUpdateUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := require(ctx, paradero.PermManageUsers); err != nil {
		return err
	}
	id, err := apiIDParam(r, "id")
	if err != nil {
		return err
	}
	var req apiUserChange
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	upd := paradero.UserUpdate{Role: req.Role, Language: req.Language, Disabled: req.Disabled}
	if req.Name != nil {
		name := strings.TrimSpace(*req.Name)
		upd.Name = &name
	}
	u, err := s.updateUser(ctx, id, upd)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, userJSON(u))
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	user, err := queryID(r, "user_id")
	if err != nil {
		return err
	}
	ts, total, err := s.findAPITokens(r.Context(), paradero.APITokenFilter{UserID: user, Offset: p.Offset, Limit: p.Limit})
	if err != nil {
		return err
	}
	items := make([]apiToken, len(ts))
	for i, t := range ts {
		items[i] = s.tokenJSON(t)
	}
	return writeJSON(w, http.StatusOK, newList(r, p, items, total))
}

type apiNewToken struct {
	Name          string `json:"name"`
	ExpiresInDays int    `json:"expires_in_days"` // 1–366; 0 means 90
	UserID        int64  `json:"user_id"`         // 0 means the caller; another user's only for administrators
}

type apiCreatedToken struct {
	Token  apiToken `json:"token"`
	Secret string   `json:"secret"` // shown once: the store keeps only its hash
}

// defaultTokenDays is how long a token lives when its maker does not say.
const defaultTokenDays = 90

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var req apiNewToken
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.ExpiresInDays == 0 {
		req.ExpiresInDays = defaultTokenDays
	}
	maxDays := int(paradero.MaxAPITokenLifetime / (24 * time.Hour))
	if req.ExpiresInDays < 1 || req.ExpiresInDays > maxDays {
		return paradero.Errorf(paradero.EINVALID, "expires_in_days must be from 1 to %d", maxDays)
	}
	tok, secret, err := s.createAPIToken(ctx, req.UserID, req.Name, time.Duration(req.ExpiresInDays)*24*time.Hour)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, apiCreatedToken{Token: s.tokenJSON(tok), Secret: secret})
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := apiIDParam(r, "id")
	if err != nil {
		return err
	}
	tok, err := s.revokeAPIToken(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.tokenJSON(tok))
}

// randomPassword is a new account's password when its maker gives none:
// crypto/rand.Text, 26 characters of base32 (130 bits).
func randomPassword() string { return rand.Text() }
