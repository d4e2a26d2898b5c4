package web

import (
	"net/http"
)

// routes returns every route of the application, and the middleware around
// them: security headers, then who is asking, then the CSRF check.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h handlerFunc) { mux.Handle(pattern, s.adapt(h)) }

	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(s.static)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })

	// Open to everyone.
	handle("GET /stats", s.statsPage)
	handle("GET /login", s.loginPage)
	handle("POST /login", s.login)
	handle("POST /language", s.setLanguage)

	// Signed in.
	handle("GET /{$}", s.signedIn(s.dashboardPage))
	handle("POST /logout", s.signedIn(s.logout))

	// Evidence: access.go decides, per object, who may see it.
	handle("GET /sources", s.signedIn(s.sourcesPage))
	handle("GET /sources/{id}", s.signedIn(s.sourcePage))
	handle("GET /sources/{id}/file", s.signedIn(s.sourceFile))
	handle("GET /sources/{id}/proof", s.signedIn(s.sourceProof))
	handle("GET /records/{id}", s.signedIn(s.recordPage))
	handle("GET /records/{id}/proof", s.signedIn(s.recordProof))

	// Persons, search, review and import: access.go decides too.
	handle("GET /persons/{id}", s.signedIn(s.personPage))
	handle("GET /persons/{id}/dossier", s.signedIn(s.personDossier))
	handle("GET /records/{id}/person", s.signedIn(s.recordPersonPage))
	handle("GET /search", s.signedIn(s.searchPage))
	handle("POST /search", s.signedIn(s.search))
	handle("GET /review", s.signedIn(s.reviewsPage))
	handle("GET /review/{a}/{b}", s.signedIn(s.reviewPage))
	handle("POST /review/{a}/{b}", s.signedIn(s.decide))
	handle("GET /import", s.signedIn(s.importPage))
	handle("POST /import", s.signedIn(s.upload))
	handle("POST /import/{token}", s.signedIn(s.confirmImport))
	handle("GET /reconciliation", s.signedIn(s.reconciliationPage))
	handle("GET /reconciliation/{file}", s.signedIn(s.reconciliationCSV))

	// Administration.
	handle("GET /audit", s.signedIn(s.auditPage))

	mux.Handle("/", s.adapt(func(w http.ResponseWriter, r *http.Request) error {
		return notFoundError()
	}))

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, forbiddenCrossOrigin)
	}))
	var h http.Handler = mux
	h = s.checkCSRF(h)
	h = cop.Handler(h)
	h = s.identify(h)
	h = s.securityHeaders(h)
	return h
}
