package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/uat"
)

// The UAT sessions' front ends: the API, the pages and the SSE stream.
// Each reads its input, calls an operation of uat.go and renders.

// UATSessionJSON is a session as the API shows it: never its credentials.
type UATSessionJSON struct {
	ID        string     `json:"id"`
	PartnerID string     `json:"partnerId"`
	APIs      []string   `json:"apis"`
	State     string     `json:"state"`
	Source    string     `json:"source"`
	BaseURL   string     `json:"baseUrl,omitempty"`
	Verdict   string     `json:"verdict,omitempty"`
	EndReason string     `json:"endReason,omitempty"`
	StartedAt time.Time  `json:"startedAt"`
	EndedAt   *time.Time `json:"endedAt,omitempty"`
	Deadline  *time.Time `json:"deadline,omitempty"`
	// Progress of a live session served by this hub process.
	Progress *UATProgressJSON `json:"progress,omitempty"`
}

type UATProgressJSON struct {
	CasesSeen  int   `json:"casesSeen"`
	CasesTotal int   `json:"casesTotal"`
	Problems   int   `json:"problems"`
	Exchanges  int64 `json:"exchanges"`
}

// UATCredentialsJSON are shown once, in the answer that opens a session.
type UATCredentialsJSON struct {
	ClientID    string `json:"clientId"`
	APIKey      string `json:"apiKey"`
	ChecksumKey string `json:"checksumKey"`
}

type UATCaseJSON struct {
	ID     string `json:"id"`
	API    string `json:"api"`
	Title  string `json:"title"`
	Do     string `json:"do"`
	Values string `json:"values"`
	Expect string `json:"expect"`
}

// UATOpenedJSON answers the opening of a session: the only answer that
// holds its credentials.
type UATOpenedJSON struct {
	Session     UATSessionJSON     `json:"session"`
	Credentials UATCredentialsJSON `json:"credentials"`
	Cases       []UATCaseJSON      `json:"cases"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) uatJSON(u store.UATSession) UATSessionJSON {
	out := UATSessionJSON{ID: u.ID, PartnerID: u.PartnerID, APIs: u.APIs, State: string(u.State), Source: string(u.Source),
		BaseURL: u.BaseURL, Verdict: string(u.Verdict), EndReason: u.EndReason, StartedAt: u.StartedAt,
		EndedAt: timePtr(u.EndedAt), Deadline: timePtr(u.Deadline)}
	if out.APIs == nil {
		out.APIs = []string{}
	}
	if u.State == store.UATOpen {
		if l := s.uat.get(u.ID); l != nil {
			// Before the first event, nothing is played yet of all the cases.
			out.Progress = &UATProgressJSON{CasesTotal: len(l.sess.Cases())}
			if ev := l.last.Load(); ev != nil {
				*out.Progress = UATProgressJSON{CasesSeen: ev.CasesSeen, CasesTotal: ev.CasesTotal, Problems: ev.Problems,
					Exchanges: ev.Exchanges}
			}
		}
	}
	return out
}

func casesJSON(cases []uat.Case) []UATCaseJSON {
	out := make([]UATCaseJSON, 0, len(cases))
	for _, c := range cases {
		out = append(out, UATCaseJSON{ID: c.ID, API: c.API, Title: c.Title, Do: c.Do, Values: c.Values, Expect: c.Expect})
	}
	return out
}

func uatPath(partnerID, id string) string {
	return "/partners/" + partnerID + "/uat-sessions/" + id
}

// requestBase is the hub as this request reached it (used when the hub
// has no PublicURL).
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type uatBody struct {
	APIs     []string `json:"apis"`
	Deadline string   `json:"deadline"`
}

func (s *Server) apiOpenUAT(w http.ResponseWriter, r *http.Request, c *caller) error {
	partnerID := r.PathValue("partner")
	// Access first: another partner's id is a 404 whatever the body.
	if _, err := s.store.GetPartner(r.Context(), c.p, partnerID); err != nil {
		return err
	}
	var in uatBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	o, err := s.openUAT(r.Context(), c.p, partnerID, uatInput{APIs: in.APIs, Deadline: in.Deadline, BaseURL: requestBase(r)})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1"+uatPath(partnerID, o.Session.ID))
	writeJSON(w, http.StatusCreated, UATOpenedJSON{Session: s.uatJSON(o.Session),
		Credentials: UATCredentialsJSON{ClientID: o.Credentials.ClientID, APIKey: o.Credentials.APIKey,
			ChecksumKey: o.Credentials.ChecksumKey}, Cases: casesJSON(o.Cases)})
	return nil
}

func (s *Server) apiListUAT(w http.ResponseWriter, r *http.Request, c *caller) error {
	list, err := s.store.ListUATSessions(r.Context(), c.p, r.PathValue("partner"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, convertAll(list, s.uatJSON))
	return nil
}

func (s *Server) apiGetUAT(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.uatOf(r.Context(), c.p, r.PathValue("partner"), r.PathValue("session"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.uatJSON(u))
	return nil
}

func (s *Server) apiCloseUAT(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.closeUAT(r.Context(), c.p, r.PathValue("partner"), r.PathValue("session"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.uatJSON(u))
	return nil
}

func (s *Server) apiUATResults(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.uatOf(r.Context(), c.p, r.PathValue("partner"), r.PathValue("session"))
	if err != nil {
		return err
	}
	raw, err := s.store.UATResults(r.Context(), c.p, u.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(raw)
	return nil
}

func (s *Server) apiListUATArtifacts(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.uatOf(r.Context(), c.p, r.PathValue("partner"), r.PathValue("session"))
	if err != nil {
		return err
	}
	arts, err := s.store.ListUATArtifacts(r.Context(), c.p, u.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, artifactsJSON(arts))
	return nil
}

func (s *Server) apiUATArtifact(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.serveUATArtifact(w, r, c, r.PathValue("name"), true)
}

func (s *Server) webUATReport(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.serveUATArtifact(w, r, c, reports.HTMLFile, false)
}

func (s *Server) webUATArtifact(w http.ResponseWriter, r *http.Request, c *caller) error {
	name := r.PathValue("name")
	return s.serveUATArtifact(w, r, c, name, !strings.HasSuffix(name, ".html"))
}

// serveUATArtifact serves a session's file sandboxed, like a run's.
func (s *Server) serveUATArtifact(w http.ResponseWriter, r *http.Request, c *caller, name string, download bool) error {
	u, err := s.uatOf(r.Context(), c.p, r.PathValue("partner"), r.PathValue("session"))
	if err != nil {
		return err
	}
	info, content, err := s.store.GetUATArtifact(r.Context(), c.p, u.ID, name)
	if err != nil {
		return err
	}
	filename := ""
	if download {
		filename = "uat-" + u.ID[:8] + "-" + name
	}
	writeArtifact(w, info, content, filename)
	return nil
}

// HARField and HARAPIField are the upload's form fields.
const (
	HARField    = "har"
	HARAPIField = "api"
)

func (s *Server) readHARUpload(r *http.Request, c *caller) (store.UATSession, error) {
	partnerID := r.PathValue("partner")
	if _, err := s.store.GetPartner(r.Context(), c.p, partnerID); err != nil {
		return store.UATSession{}, err
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return store.UATSession{}, &InputError{Status: http.StatusUnsupportedMediaType,
			Msg: fmt.Sprintf("send multipart/form-data with a %q file and an %q field (collections or payouts)", HARField, HARAPIField)}
	}
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(maxFormBody); err != nil {
			return store.UATSession{}, harUploadProblem(err, s.maxHAR())
		}
	}
	f, hdr, err := r.FormFile(HARField)
	if err != nil {
		return store.UATSession{}, badRequest("the upload has no %q file: attach the HAR recording", HARField)
	}
	defer f.Close()
	return s.gradeHAR(r.Context(), c.p, partnerID, r.FormValue(HARAPIField), hdr.Filename, f)
}

func harUploadProblem(err error, limit int) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &InputError{Status: http.StatusRequestEntityTooLarge, Msg: "the HAR recording exceeds " + sizeText(limit)}
	}
	return badRequest("the upload is not a valid multipart form")
}

func (s *Server) apiGradeHAR(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.readHARUpload(r, c)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1"+uatPath(u.PartnerID, u.ID))
	writeJSON(w, http.StatusCreated, s.uatJSON(u))
	return nil
}

func (s *Server) formGradeHAR(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.readHARUpload(r, c)
	if err != nil {
		return err
	}
	http.Redirect(w, r, uatPath(u.PartnerID, u.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) formOpenUAT(w http.ResponseWriter, r *http.Request, c *caller) error {
	partnerID := r.PathValue("partner")
	o, err := s.openUAT(r.Context(), c.p, partnerID, uatInput{APIs: r.PostForm["api"],
		Deadline: r.PostFormValue("deadline"), BaseURL: requestBase(r)})
	if err != nil {
		return err
	}
	pt, err := s.store.GetPartner(r.Context(), c.p, partnerID)
	if err != nil {
		return err
	}
	// The one page that shows the credentials: rendered in answer to the
	// POST (never cached), so reloading it cannot show them again.
	pg := uatPage{Session: s.uatJSON(o.Session), PartnerName: pt.Name, Cases: casesJSON(o.Cases),
		Credentials: &UATCredentialsJSON{ClientID: o.Credentials.ClientID, APIKey: o.Credentials.APIKey,
			ChecksumKey: o.Credentials.ChecksumKey}, Live: true}
	return s.render(w, http.StatusCreated, "uat", s.pageFor(c, "UAT session", pg))
}

func (s *Server) formCloseUAT(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.closeUAT(r.Context(), c.p, r.PathValue("partner"), r.PathValue("session"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, uatPath(u.PartnerID, u.ID), http.StatusSeeOther)
	return nil
}

type uatPage struct {
	Session     UATSessionJSON
	PartnerName string
	Credentials *UATCredentialsJSON // only on the page that answers the opening
	Cases       []UATCaseJSON
	Live        bool // served here: progress streams
	Artifacts   []ArtifactJSON
	Failing     []results.Item
	Reason      string
}

func (s *Server) pageUAT(w http.ResponseWriter, r *http.Request, c *caller) error {
	ctx := r.Context()
	u, err := s.uatOf(ctx, c.p, r.PathValue("partner"), r.PathValue("session"))
	if err != nil {
		return err
	}
	pt, err := s.store.GetPartner(ctx, c.p, u.PartnerID)
	if err != nil {
		return err
	}
	pg := uatPage{Session: s.uatJSON(u), PartnerName: pt.Name, Live: u.State == store.UATOpen && s.uat.get(u.ID) != nil}
	if u.Source == store.UATLive {
		for _, a := range u.APIs {
			pg.Cases = append(pg.Cases, casesJSON(uat.Cases(a, s.uatTiming()))...)
		}
	}
	if u.Verdict != "" {
		arts, err := s.store.ListUATArtifacts(ctx, c.p, u.ID)
		if err != nil {
			return err
		}
		for _, a := range arts {
			pg.Artifacts = append(pg.Artifacts, ArtifactJSON{Name: a.Name, SHA256: a.SHA256, Size: a.Size})
		}
		if raw, err := s.store.UATResults(ctx, c.p, u.ID); err == nil {
			var doc results.Run
			if json.Unmarshal(raw, &doc) == nil {
				pg.Reason = doc.Verdict.Reason
				for _, it := range doc.Items {
					if it.Status == results.Fail || it.Status == results.Error {
						pg.Failing = append(pg.Failing, it)
					}
				}
			}
		}
	}
	return s.render(w, http.StatusOK, "uat", s.pageFor(c, "UAT session", pg))
}

func (s *Server) uatTiming() uat.Timing {
	if s.cfg.UATTiming == (uat.Timing{}) {
		return uat.DefaultTiming()
	}
	return s.cfg.UATTiming
}

// streamUAT streams a session's progress as Server-Sent Events (event:
// progress, done), ending after done. A session that is over gets its
// done event at once.
func (s *Server) streamUAT(w http.ResponseWriter, r *http.Request, c *caller) error {
	partnerID, id := r.PathValue("partner"), r.PathValue("session")
	if _, err := s.uatOf(r.Context(), c.p, partnerID, id); err != nil {
		return err
	}
	events, cancel := s.uat.events.subscribe(id)
	defer cancel()
	u, err := s.uatOf(r.Context(), c.p, partnerID, id) // again, after subscribing: an end in between is seen
	if err != nil {
		return err
	}
	st, err := startSSE(w)
	if err != nil {
		return err
	}
	send := func(ev UATEvent) { st.send(string(ev.Kind), ev) }
	done := func(u store.UATSession) UATEvent {
		return UATEvent{Kind: UATEventDone, Session: id, State: string(u.State), Verdict: string(u.Verdict), Message: u.EndReason}
	}
	l := s.uat.get(id)
	if l == nil && u.State == store.UATOpen {
		// Ended in between (its done event already went out): read the
		// stored outcome.
		if u, err = s.uatOf(r.Context(), c.p, partnerID, id); err != nil {
			return err
		}
	}
	if u.State != store.UATOpen || l == nil {
		send(done(u))
		return nil
	}
	st.comment("session open") // the latest progress came with the subscription
	return follow(r.Context(), st, s.guard(r, c), events, send, func(ev UATEvent) bool { return ev.Kind == UATEventDone },
		func() (UATEvent, bool) {
			u, err := s.uatOf(r.Context(), c.p, partnerID, id)
			return done(u), err == nil && u.State != store.UATOpen
		})
}

// partnerUAT fills the partner page's UAT section.
func (s *Server) partnerUAT(ctx context.Context, p store.Principal, partnerID string, pg *partnerPage) error {
	list, err := s.store.ListUATSessions(ctx, p, partnerID)
	if err != nil {
		return err
	}
	for _, u := range list {
		pg.UATSessions = append(pg.UATSessions, s.uatJSON(u))
		pg.UATOpen = pg.UATOpen || u.State == store.UATOpen
	}
	for _, a := range pg.Registered {
		if uat.IsAPI(a) {
			pg.UATAPIs = append(pg.UATAPIs, a)
		}
	}
	return nil
}
