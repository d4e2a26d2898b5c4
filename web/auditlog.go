package web

import (
	"net/http"
	"strings"

	"github.com/paradero/paradero"
)

type auditRow struct {
	*paradero.AuditEntry
	Link string // the object's page, when it has one
}

type auditData struct {
	Entries []auditRow
	Pager   pager
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	page := pageParam(r)
	es, total, err := s.findAuditEntries(ctx, paradero.AuditFilter{Offset: (page - 1) * pageSize, Limit: pageSize})
	if err != nil {
		return err
	}
	rows := make([]auditRow, len(es))
	for i, e := range es {
		rows[i].AuditEntry = e
		if kind, id, ok := strings.Cut(e.Object, ":"); ok && (kind == "record" || kind == "source" || kind == "person") {
			rows[i].Link = "/" + kind + "s/" + id
		}
	}
	p := stateOf(ctx).printer
	return s.render(w, r, http.StatusOK, "audit", p.T("audit.title"), "audit",
		auditData{Entries: rows, Pager: newPager(page, total)})
}
