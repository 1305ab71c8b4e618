package server

import (
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/golive-cert/golive/server/store"
)

// A live UAT session is served by the replica that opened it: its sandbox
// and its event stream are in that process's memory. Behind a load
// balancer the partner's client, the page's stream or a Close may reach
// another replica, which forwards them to the owner (Config.AdvertiseURL,
// stored with the session). The owner authenticates the forwarded request
// itself, over the same database.

// forwardedHeader marks a request one replica forwarded to another, so that
// it is never forwarded again (two replicas disagreeing would loop).
const forwardedHeader = "X-Golive-Forwarded-By"

// forwardUAT forwards the request to the replica serving session id, if
// that is another one; false when the request is this process's to answer.
func (s *Server) forwardUAT(w http.ResponseWriter, r *http.Request, id string) bool {
	if s.uat.get(id) != nil || r.Header.Get(forwardedHeader) != "" {
		return false
	}
	u, err := s.store.GetUATSession(r.Context(), store.System(), id)
	if err != nil || u.State != store.UATOpen || u.OwnerURL == "" || u.Owner == s.cfg.WorkerName {
		return false
	}
	target, err := url.Parse(u.OwnerURL)
	if err != nil {
		s.log.Error("UAT session owner URL", "session", id, "err", err)
		return false
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host // cookies and links as the client sent them
			pr.SetXForwarded()
			pr.Out.Header.Set(forwardedHeader, s.cfg.WorkerName)
		},
		Transport:     s.replica.Transport, // direct, as replica calls are
		FlushInterval: -1,                  // event streams flow as they are written
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.log.Warn("UAT session owner unreachable", "session", id, "owner", u.Owner, "err", err)
			http.Error(w, "the hub replica serving this UAT session is unreachable; try again in a moment", http.StatusBadGateway)
		},
	}
	proxy.ServeHTTP(w, r)
	return true
}

// onOwner serves a session's route where the session lives.
func (s *Server) onOwner(h func(http.ResponseWriter, *http.Request, *caller) error) func(http.ResponseWriter, *http.Request, *caller) error {
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		if s.forwardUAT(w, r, r.PathValue("session")) {
			return nil
		}
		return h(w, r, c)
	}
}
