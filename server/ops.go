package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/specs"
)

// The operations below are what the pages, the API and the bot share:
// each front end only reads its input and renders the answer.

// startInput asks for a run of a partner's registered environment.
type startInput struct {
	APIs        []string
	Environment string
	AllowWrites bool
	Source      store.RunSource
	ReplyTo     int64
	// Tick and TickAt: a schedule's fire, claimed in the run's transaction
	// (store.NewRun.Tick) so that replicas queue it once.
	Tick   string
	TickAt time.Time
}

// startRun queues a certification run and wakes a worker.
func (s *Server) startRun(ctx context.Context, p store.Principal, partnerID string, in startInput) (store.Run, error) {
	if in.Environment == "" {
		in.Environment = store.Staging
	}
	if in.Environment != store.Staging && in.Environment != store.Production {
		return store.Run{}, badRequest("environment must be staging or production")
	}
	if in.AllowWrites && !p.Staff() {
		return store.Run{}, &InputError{Status: http.StatusForbidden,
			Msg: "only BAU staff may start a run that sends writes (allowWrites)"}
	}
	registered, err := s.store.ListPartnerAPIs(ctx, p, partnerID)
	if err != nil {
		return store.Run{}, err
	}
	apis := in.APIs
	if len(apis) == 0 {
		apis = registered
	}
	if len(apis) == 0 {
		return store.Run{}, badRequest("the partner has no APIs registered: register its APIs first, or name them")
	}
	for _, a := range apis {
		if !slices.Contains(specs.Builtin(), a) {
			return store.Run{}, badRequest("unknown API %q: the hub certifies the built-in APIs (%s)", truncate(a, 40),
				strings.Join(specs.Builtin(), ", "))
		}
		if !slices.Contains(registered, a) {
			return store.Run{}, badRequest("API %q is not registered for this partner (registered: %s)", a,
				orNone(strings.Join(registered, ", ")))
		}
	}
	if _, err := s.store.GetEnvironment(ctx, p, partnerID, in.Environment); err != nil {
		if errorsIsNotFound(err) {
			return store.Run{}, badRequest("no %s environment is registered for this partner: register its base URL first", in.Environment)
		}
		return store.Run{}, err
	}
	payload, _ := json.Marshal(runPayload{ReplyTo: in.ReplyTo})
	r, err := s.store.EnqueueRun(ctx, p, store.NewRun{PartnerID: partnerID, APIs: apis, Environment: in.Environment,
		Source: in.Source, AllowWrites: in.AllowWrites, Payload: payload, Tick: in.Tick, TickAt: in.TickAt})
	if errors.Is(err, store.ErrTickTaken) {
		return store.Run{}, err // another replica queued this fire: nothing happened here to audit
	}
	s.audit(ctx, p, partnerID, "run.start", fmt.Sprintf("run %d", r.ID),
		map[string]string{"apis": strings.Join(apis, ","), "environment": in.Environment, "source": string(in.Source)}, err)
	if err != nil {
		return store.Run{}, err
	}
	s.pool.notify()
	return r, nil
}

// signOffRule is what a go-live sign-off needs.
const signOffRule = "a go-live sign-off needs a finished run whose verdict is CERTIFIED or CERTIFIED WITH OBSERVATIONS"

// runStandingText says where a run stands, for a sentence "run 3 ...".
func runStandingText(r store.Run) string {
	switch {
	case r.State == store.RunQueued || r.State == store.RunRunning:
		return "has not finished yet"
	case r.State == store.RunFailed:
		return "failed before a verdict (the hub could not carry it out)"
	case r.State == store.RunInterrupted && r.Verdict == "":
		return "was interrupted before a verdict"
	case r.State == store.RunInterrupted:
		return fmt.Sprintf("was interrupted (%s so far)", r.Verdict)
	case r.Verdict == "":
		return "has no verdict"
	}
	return "is " + string(r.Verdict)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// audit records an action; a failure to record is logged, never shown.
func (s *Server) audit(ctx context.Context, p store.Principal, partnerID, action, subject string, params map[string]string, err error) {
	outcome := "ok"
	if err != nil {
		status, msg := statusOf(err)
		outcome = fmt.Sprintf("error %d: %s", status, truncate(msg, 200))
	}
	if aerr := s.store.Audit(ctx, p, store.AuditEntry{PartnerID: partnerID, Action: action, Subject: subject,
		Params: params, Outcome: outcome}); aerr != nil {
		s.log.Error("audit", "action", action, "err", aerr)
	}
}

// evidenceHash is the hash of a run's evidence pack: manifest.json, which
// itself hashes every report file and the specs and suites used; a run
// published without a manifest is pinned by its results.json.
func (s *Server) evidenceHash(ctx context.Context, p store.Principal, runID int64) (string, error) {
	arts, err := s.store.ListArtifacts(ctx, p, runID)
	if err != nil {
		return "", err
	}
	for _, a := range arts {
		if a.Name == reports.ManifestFile {
			return a.SHA256, nil
		}
	}
	raw, err := s.store.RunResults(ctx, p, runID)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:]), nil
}

// signOffInput is a BAU lead's decision. Evidence, when given, must be the
// hash the lead saw: a pack that changed since is refused.
type signOffInput struct {
	Decision string
	Note     string
	Evidence string
}

func (s *Server) signOff(ctx context.Context, p store.Principal, runID int64, in signOffInput) (store.SignOff, error) {
	if !p.Staff() {
		// Checked first so a partner learns nothing from the answer.
		if _, err := s.store.GetRun(ctx, p, runID); err != nil {
			return store.SignOff{}, err
		}
		return store.SignOff{}, &InputError{Status: http.StatusForbidden, Msg: "only BAU staff record a go-live sign-off"}
	}
	r, err := s.store.GetRun(ctx, p, runID)
	if err != nil {
		return store.SignOff{}, err
	}
	if !r.Certified() {
		return store.SignOff{}, &InputError{Status: http.StatusConflict, Msg: fmt.Sprintf("run %d %s: %s",
			r.ID, runStandingText(r), signOffRule)}
	}
	ev, err := s.evidenceHash(ctx, p, runID)
	if err != nil {
		return store.SignOff{}, err
	}
	if in.Evidence != "" && !strings.EqualFold(strings.TrimSpace(in.Evidence), ev) {
		return store.SignOff{}, &InputError{Status: http.StatusConflict,
			Msg: "the evidence pack changed since the page was loaded: reload and check it again"}
	}
	so, err := s.store.RecordSignOff(ctx, p, store.SignOffInput{RunID: runID, Decision: store.Decision(in.Decision),
		Note: in.Note, EvidenceSHA256: ev})
	s.audit(ctx, p, r.PartnerID, "signoff.record", fmt.Sprintf("run %d", runID),
		map[string]string{"decision": in.Decision, "evidence": ev}, err)
	if err != nil {
		return store.SignOff{}, err
	}
	if so.Decision == store.DecisionGo {
		s.setStatus(ctx, r.PartnerID, store.StatusCertified)
	}
	if pt, err := s.store.GetPartner(ctx, p, r.PartnerID); err == nil {
		s.notifier.send(ctx, hubEvent{Kind: eventSignedOff, Partner: pt, Run: r,
			Summary: fmt.Sprintf("%s by %s (evidence %s)", so.Decision, so.UserEmail, ev[:12])})
	}
	return so, nil
}

// partnerOverview is one partner's overview row (the partners overview
// reads them all at once; a partner page needs one).
func (s *Server) partnerOverview(ctx context.Context, p store.Principal, id string) (store.PartnerOverview, error) {
	pt, err := s.store.GetPartner(ctx, p, id)
	if err != nil {
		return store.PartnerOverview{}, err
	}
	apis, err := s.store.ListPartnerAPIs(ctx, p, id)
	if err != nil {
		return store.PartnerOverview{}, err
	}
	recent, err := s.store.ListRuns(ctx, p, id, store.RunPage{Limit: 100})
	if err != nil {
		return store.PartnerOverview{}, err
	}
	po := store.PartnerOverview{Partner: pt, APIs: []store.APIStatus{}}
	for _, a := range apis {
		st := store.APIStatus{API: a}
		for _, r := range recent {
			if !slices.Contains(r.APIs, a) {
				continue
			}
			b := &store.RunBrief{ID: r.ID, State: r.State, Verdict: r.Verdict, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt}
			if st.Latest == nil {
				st.Latest = b
			}
			if st.LatestDone == nil && r.State == store.RunDone {
				st.LatestDone = b
			}
		}
		po.APIs = append(po.APIs, st)
	}
	sos, err := s.store.ListSignOffs(ctx, p, id)
	if err != nil {
		return store.PartnerOverview{}, err
	}
	if len(sos) > 0 {
		po.LastSignOff = &sos[0]
	}
	if po.OpenUAT, err = s.openUATAPIs(ctx, p, id); err != nil {
		return store.PartnerOverview{}, err
	}
	return po, nil
}

func errorsIsNotFound(err error) bool {
	status, _ := statusOf(err)
	return status == http.StatusNotFound
}
