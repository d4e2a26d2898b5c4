package web

import (
	_ "embed"
	"net/http"
)

// openAPIDocument is the API's OpenAPI 3.1 document, served as is.
// TestOpenAPIMatchesRoutes holds it and apiRouteTable together.
//
//go:embed openapi.json
var openAPIDocument []byte

// apiRoute is one route of the API.
type apiRoute struct {
	pattern string // a ServeMux pattern under /api/v1
	handler apiHandler
	open    bool // answers without a token (as the public)
	upload  bool // takes a file: the body may be as large as an upload
}

// apiRouteTable is every route of the JSON API. Each handler reaches
// evidence only through access.go. To add one: write the handler in an
// api*.go file, list it here, and describe it in openapi.json (the test
// fails until both agree); see docs/api.md.
func (s *Server) apiRouteTable() []apiRoute {
	return []apiRoute{
		// Open to everyone.
		{pattern: "GET /api/v1/openapi.json", handler: s.apiOpenAPI, open: true},
		{pattern: "GET /api/v1/stats", handler: s.apiStats, open: true},

		// Any token.
		{pattern: "GET /api/v1/me", handler: s.apiMe},
		{pattern: "GET /api/v1/tokens", handler: s.apiTokens},
		{pattern: "POST /api/v1/tokens", handler: s.apiCreateToken},
		{pattern: "DELETE /api/v1/tokens/{id}", handler: s.apiRevokeToken},
		{pattern: "GET /api/v1/dashboard", handler: s.apiDashboard},

		// Evidence: access.go decides, per object, who may see it.
		{pattern: "GET /api/v1/sources", handler: s.apiSources},
		{pattern: "POST /api/v1/sources", handler: s.apiImport, upload: true},
		{pattern: "GET /api/v1/sources/{id}", handler: s.apiSource},
		{pattern: "GET /api/v1/sources/{id}/records", handler: s.apiSourceRecords},
		{pattern: "GET /api/v1/sources/{id}/file", handler: s.sourceFile},
		{pattern: "GET /api/v1/sources/{id}/proof", handler: s.sourceProof},
		{pattern: "GET /api/v1/records/{id}", handler: s.apiRecord},
		{pattern: "GET /api/v1/records/{id}/proof", handler: s.recordProof},
		{pattern: "GET /api/v1/records/{id}/person", handler: s.apiRecordPerson},
		{pattern: "GET /api/v1/persons/{id}", handler: s.apiPerson},
		{pattern: "GET /api/v1/persons/{id}/dossier", handler: s.personDossier},
		{pattern: "POST /api/v1/search", handler: s.apiSearch},
		{pattern: "GET /api/v1/reviews", handler: s.apiReviews},
		{pattern: "GET /api/v1/reviews/{a}/{b}", handler: s.apiReviewPairDetail},
		{pattern: "POST /api/v1/reviews/{a}/{b}", handler: s.apiDecide},
		{pattern: "GET /api/v1/reconciliation", handler: s.apiReconciliation},
		{pattern: "GET /api/v1/reconciliation/unaccounted", handler: s.apiUnaccountedList},
		{pattern: "GET /api/v1/reconciliation/{file}", handler: s.reconciliationCSV},
		{pattern: "GET /api/v1/estimate", handler: s.apiEstimate},

		// Administration.
		{pattern: "GET /api/v1/audit", handler: s.apiAudit},
		{pattern: "GET /api/v1/users", handler: s.apiUsers},
		{pattern: "POST /api/v1/users", handler: s.apiCreateUser},
		{pattern: "GET /api/v1/users/{id}", handler: s.apiUser},
		{pattern: "PATCH /api/v1/users/{id}", handler: s.apiUpdateUser},
	}
}

// apiRoutes returns the API's mux: every route of apiRouteTable, and a
// uniform not-found for every other path (and method) under /api/.
func (s *Server) apiRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range s.apiRouteTable() {
		mux.Handle(rt.pattern, s.apiAdapt(rt))
	}
	mux.Handle("/api/", s.apiAdapt(apiRoute{handler: s.apiNotFound, open: true}))
	return mux
}

func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(openAPIDocument)
	return err
}
