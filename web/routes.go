package web

import (
	"net/http"
)

// routes returns every route of the application, and the middleware around
// them: security headers, then who is asking, then the CSRF check, then
// the two-factor policy.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h handlerFunc) { mux.Handle(pattern, s.adapt(h)) }

	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(s.static)))

	// Open to everyone.
	handle("GET /stats", s.statsPage)
	handle("GET /login", s.loginPage)
	handle("POST /login", s.login)
	handle("GET /login/two-factor", s.secondFactorPage) // a login challenge, not a session (twofactor.go)
	handle("POST /login/two-factor", s.secondFactor)
	handle("POST /language", s.setLanguage)

	// Signed in.
	handle("GET /{$}", s.signedIn(s.dashboardPage))
	handle("POST /logout", s.signedIn(s.logout))
	handle("GET /account/two-factor", s.signedIn(s.twoFactorPage))
	handle("GET /account/two-factor/setup", s.signedIn(s.enrolPage))
	handle("POST /account/two-factor/setup", s.signedIn(s.enrol))
	handle("POST /account/two-factor/recovery-codes", s.signedIn(s.regenerateCodes))
	handle("POST /account/two-factor/disable", s.signedIn(s.disableTwoFactor))

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
	handle("POST /persons/{id}/follow", s.signedIn(s.followPerson))
	handle("POST /persons/{id}/unfollow", s.signedIn(s.unfollowPerson))
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

	// Tracing requests: a family member files and reads their own; staff
	// verify, search, decide, answer and close. access.go decides.
	handle("GET /tracing", s.signedIn(s.tracingPage))
	handle("GET /tracing/new", s.signedIn(s.tracingNewPage))
	handle("POST /tracing", s.signedIn(s.fileTracing))
	handle("GET /tracing/{ref}", s.signedIn(s.tracingRequestPage))
	handle("GET /tracing/{ref}/candidates", s.signedIn(s.tracingCandidatesPage))
	handle("POST /tracing/{ref}/candidates", s.signedIn(s.decideCandidate))
	handle("POST /tracing/{ref}/verify", s.signedIn(s.verifyTracing))
	handle("POST /tracing/{ref}/answer", s.signedIn(s.answerTracing))
	handle("POST /tracing/{ref}/close", s.signedIn(s.closeTracing))

	// Follows and alerts: each user's own (access.go).
	handle("GET /alerts", s.signedIn(s.alertsPage))
	handle("POST /alerts/read", s.signedIn(s.markRead))
	handle("GET /follows", s.signedIn(s.followsPage))
	handle("POST /follows", s.signedIn(s.follow))
	handle("POST /follows/{id}/delete", s.signedIn(s.unfollow))

	// Cases and violations: access.go decides, per case and person, who
	// sees and changes what (a lawyer, only their cases and their people).
	handle("GET /cases", s.signedIn(s.casesPage))
	handle("GET /cases/new", s.signedIn(s.caseNewPage))
	handle("POST /cases", s.signedIn(s.createCaseForm))
	handle("GET /cases/{id}", s.signedIn(s.casePage))
	handle("GET /cases/{id}/edit", s.signedIn(s.caseEditPage))
	handle("POST /cases/{id}", s.signedIn(s.updateCaseForm))
	handle("GET /cases/{id}/dossier", s.signedIn(s.caseDossier))
	handle("POST /cases/{id}/people", s.signedIn(s.caseAction("people", s.addCasePersonForm)))
	handle("POST /cases/{id}/people/{record}/remove", s.signedIn(s.caseAction("people", s.removeCasePersonForm)))
	handle("POST /cases/{id}/lawyers", s.signedIn(s.caseAction("lawyers", s.assignLawyerForm)))
	handle("POST /cases/{id}/lawyers/{user}/remove", s.signedIn(s.caseAction("lawyers", s.unassignLawyerForm)))
	handle("POST /cases/{id}/deadlines", s.signedIn(s.caseAction("deadlines", s.addDeadlineForm)))
	handle("POST /cases/{id}/deadlines/{did}", s.signedIn(s.caseAction("deadlines", s.updateDeadlineForm)))
	handle("POST /cases/{id}/orders", s.signedIn(s.caseAction("orders", s.addOrderForm)))
	handle("POST /cases/{id}/orders/{oid}", s.signedIn(s.caseAction("orders", s.updateOrderForm)))
	handle("POST /cases/{id}/documents", s.signedIn(s.caseAction("documents", s.addDocumentForm)))
	handle("POST /cases/{id}/documents/{source}/remove", s.signedIn(s.caseAction("documents", s.removeDocumentForm)))
	handle("GET /violations", s.signedIn(s.violationsPage))
	handle("GET /violations/new", s.signedIn(s.violationNewPage))
	handle("POST /violations", s.signedIn(s.createViolationForm))
	handle("GET /violations/{id}", s.signedIn(s.violationPage))
	handle("GET /violations/{id}/edit", s.signedIn(s.violationEditPage))
	handle("POST /violations/{id}", s.signedIn(s.updateViolationForm))

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
	h = s.enforceTwoFactor(h)
	h = s.checkCSRF(h)
	h = cop.Handler(h)
	h = s.identify(h)

	// The JSON API, the probes and the metrics stand beside the pages,
	// outside their middleware: they read no cookie and need no CSRF
	// token (api.go, api_ops.go). Every request is counted and logged.
	api := s.apiRoutes()
	top := http.NewServeMux()
	top.Handle("/api/", s.apiIdentify(api))
	top.HandleFunc("GET /healthz", s.healthz)
	top.HandleFunc("GET /readyz", s.readyz)
	top.HandleFunc("GET /metrics", s.metricsPage)
	top.Handle("/", h)
	return s.securityHeaders(s.observe(top, map[string]*http.ServeMux{"/api/": api, "/": mux}))
}
