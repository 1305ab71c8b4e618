package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/uat"
)

// UAT sessions in the hub: the hub serves each open session's sandbox on
// its own listener under /uat/{session}/, with credentials issued for the
// session, streams its progress, and stores the graded traffic when it
// ends (closed, at its deadline, or once every case was played). The
// operations below are what the pages, the API and the bot share.

// UATPrefix is where the hub mounts a session's sandbox: the partner's
// client is given PublicURL + UATPrefix + session id as its base URL.
const UATPrefix = "/uat/"

// uatHARSuffix is the path, under a partner, where HAR recordings are uploaded.
const uatHARSuffix = "/uat-sessions/har"

// defaultMaxHAR bounds an uploaded HAR recording.
const defaultMaxHAR = 32 << 20

// maxUATDeadline bounds how long a session may stay open.
const maxUATDeadline = 7 * 24 * time.Hour

// defaultUATDeadline ends a session opened without a deadline (Config.
// UATDefaultDeadline overrides it), so none stays open for ever.
const defaultUATDeadline = 24 * time.Hour

// maxOpenUAT is how many sessions a partner may have open at once (Config.
// UATMaxOpen overrides it): past it, opening one is a 409.
const maxOpenUAT = 5

// uatHub holds the live sessions this process serves.
type uatHub struct {
	mu     sync.Mutex
	live   map[string]*liveUAT
	closed bool
	quit   chan struct{} // closed by Stop: every live session ends interrupted
	events *broker[string, UATEvent]
}

func newUATHub() *uatHub {
	return &uatHub{live: map[string]*liveUAT{}, quit: make(chan struct{}), events: uatBroker()}
}

// liveUAT is one session served here.
type liveUAT struct {
	id, partnerID, partner string
	opened                 time.Time
	sess                   *uat.Session
	dir                    string // scratch: the recording, then the reports
	stop                   chan struct{}
	stopOnce               sync.Once
	once                   sync.Once
	stored                 store.UATSession
	err                    error
	last                   atomic.Pointer[UATEvent] // latest progress, for the page
}

func (h *uatHub) get(id string) *liveUAT {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.live[id]
}

// ofPartner lists the partner's live sessions, newest first.
func (h *uatHub) ofPartner(partnerID string) []*liveUAT {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*liveUAT
	for _, l := range h.live {
		if l.partnerID == partnerID {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b *liveUAT) int { return b.opened.Compare(a.opened) })
	return out
}

// add registers a live session and counts its watcher in running, under
// the lock that shutdown takes first, so no watcher is counted once Stop
// waits for them.
func (h *uatHub) add(l *liveUAT, running *sync.WaitGroup) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.live[l.id] = l
	running.Add(1)
	return true
}

func (h *uatHub) remove(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.live, id)
}

// uatInput asks for a live session.
type uatInput struct {
	APIs     []string
	Deadline string // a duration ("2h") or an RFC 3339 time; "" the default (Config.UATDefaultDeadline)
	// BaseURL is the hub as the opener reached it, used when the hub has
	// no PublicURL.
	BaseURL string
	// Via names what opened it on the user's behalf (the Telegram bot),
	// for the audit entry; "" when the user did.
	Via string
}

// UATOpened is what the opener gets once: the session, the credentials
// issued for it and the case list.
type UATOpened struct {
	Session     store.UATSession
	Credentials uat.Credentials
	Cases       []uat.Case
}

// openUAT starts a session for a partner (staff, or the partner's own
// user): its sandbox is served at once under UATPrefix.
func (s *Server) openUAT(ctx context.Context, p store.Principal, partnerID string, in uatInput) (UATOpened, error) {
	pt, err := s.store.GetPartner(ctx, p, partnerID)
	if err != nil {
		return UATOpened{}, err
	}
	registered, err := s.store.ListPartnerAPIs(ctx, p, partnerID)
	if err != nil {
		return UATOpened{}, err
	}
	apis, err := uatAPIs(in.APIs, registered)
	if err != nil {
		return UATOpened{}, err
	}
	deadline := s.cfg.Now().Add(s.cfg.UATDefaultDeadline)
	if in.Deadline != "" {
		if deadline, err = parseDeadline(in.Deadline, s.cfg.Now()); err != nil {
			return UATOpened{}, err
		}
	}
	base := strings.TrimSuffix(s.cfg.PublicURL, "/")
	if base == "" {
		base = strings.TrimSuffix(in.BaseURL, "/")
	}
	id := newSessionID()
	dir, err := os.MkdirTemp(s.cfg.ScratchDir, "golive-uat-")
	if err != nil {
		return UATOpened{}, fmt.Errorf("server: UAT scratch directory: %w", err)
	}
	l := &liveUAT{id: id, partnerID: partnerID, partner: pt.Name, dir: dir, stop: make(chan struct{}), opened: s.cfg.Now()}
	sess, err := uat.Start(ctx, uat.Config{APIs: apis, Partner: pt.Name, BaseURL: base + UATPrefix + id,
		Timing: s.cfg.UATTiming, OutDir: dir, AllowAnyCallbackHost: !s.cfg.UATCallbacksLoopbackOnly,
		Observer: func(e uat.Event) { s.uatProgress(l, e) }, Version: s.cfg.Version})
	if err != nil {
		_ = os.RemoveAll(dir)
		var unknown *uat.UnknownAPIError
		if errors.As(err, &unknown) {
			return UATOpened{}, badRequest("%s", unknown.Error())
		}
		return UATOpened{}, fmt.Errorf("server: start UAT session: %w", err)
	}
	l.sess = sess
	u, err := s.store.OpenUATSessionWith(ctx, p, store.NewUATSession{ID: id, PartnerID: partnerID, APIs: apis,
		BaseURL: sess.BaseURL(), Deadline: deadline, Owner: s.cfg.WorkerName, OwnerURL: s.cfg.AdvertiseURL,
		MaxOpen: s.cfg.UATMaxOpen})
	if errors.Is(err, store.ErrTooManyOpen) {
		err = &InputError{Status: http.StatusConflict, Msg: fmt.Sprintf(
			"%s already has %d UAT sessions open, the most at once: close one before opening another", pt.Name, s.cfg.UATMaxOpen)}
	}
	params := map[string]string{"apis": strings.Join(apis, ","), "deadline": in.Deadline}
	if in.Via != "" {
		params["via"] = in.Via
	}
	s.audit(ctx, p, partnerID, "uat.open", "UAT session "+id, params, err)
	if err != nil {
		_, _ = sess.Close(uat.EndStopped)
		_ = os.RemoveAll(dir)
		return UATOpened{}, err
	}
	if !s.uat.add(l, &s.running) {
		// The hub is stopping: the session ends at once, interrupted.
		s.finishUAT(l, uat.EndInterrupted, "the hub stopped")
		return UATOpened{}, &InputError{Status: http.StatusServiceUnavailable, Msg: "the hub is stopping: open the session again in a moment"}
	}
	go s.watchUAT(l, deadline)
	return UATOpened{Session: u, Credentials: sess.Credentials(), Cases: sess.Cases()}, nil
}

// uatAPIs checks the APIs asked for: client-certifiable and registered
// for the partner; none asked means the registered ones that are.
func uatAPIs(asked, registered []string) ([]string, error) {
	if len(asked) == 0 {
		for _, a := range registered {
			if uat.IsAPI(a) {
				asked = append(asked, a)
			}
		}
		if len(asked) == 0 {
			return nil, badRequest("the partner has none of the APIs a client session covers (%s) registered", strings.Join(uat.APIs(), ", "))
		}
	}
	var out []string
	for _, a := range asked {
		if !uat.IsAPI(a) {
			return nil, badRequest("unknown API %q for a UAT session: want %s", truncate(a, 40), strings.Join(uat.APIs(), " or "))
		}
		if !slices.Contains(registered, a) {
			return nil, badRequest("API %q is not registered for this partner (registered: %s)", a, orNone(strings.Join(registered, ", ")))
		}
		out = append(out, a)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// parseDeadline reads a duration from now ("90m", "2h") or an RFC 3339 time.
func parseDeadline(v string, now time.Time) (time.Time, error) {
	v = strings.TrimSpace(v)
	var at time.Time
	if d, err := time.ParseDuration(v); err == nil {
		at = now.Add(d)
	} else if t, err := time.Parse(time.RFC3339, v); err == nil {
		at = t
	} else {
		return time.Time{}, badRequest("deadline %q: want a duration such as 2h or 90m, or a time such as 2026-03-01T17:00:00Z", truncate(v, 40))
	}
	if !at.After(now) {
		return time.Time{}, badRequest("deadline %q is not in the future", truncate(v, 40))
	}
	if at.Sub(now) > maxUATDeadline {
		return time.Time{}, badRequest("deadline %q is more than 7 days away", truncate(v, 40))
	}
	return at, nil
}

func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (Go 1.24+ panics inside Read instead)
	return hex.EncodeToString(b[:])
}

// watchUAT ends a session at its deadline, once every case was played,
// or when the hub stops.
func (s *Server) watchUAT(l *liveUAT, deadline time.Time) {
	defer s.running.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	complete := l.sess.Complete(ctx)
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(deadline.Sub(s.cfg.Now()))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-l.stop: // closed by someone; finishUAT runs there
	case <-complete:
		s.finishUAT(l, uat.EndComplete, "every case was played")
	case <-timeout:
		s.finishUAT(l, uat.EndDeadline, "the deadline passed")
	case <-s.uat.quit:
		s.finishUAT(l, uat.EndInterrupted, "the hub stopped")
	}
}

// closeUAT ends an open session by hand and stores its graded traffic.
func (s *Server) closeUAT(ctx context.Context, p store.Principal, partnerID, id string) (store.UATSession, error) {
	return s.closeUATWith(ctx, p, partnerID, id, nil)
}

// closeUATWith is closeUAT with the audit entry's parameters (how the
// close reached this replica).
func (s *Server) closeUATWith(ctx context.Context, p store.Principal, partnerID, id string, params map[string]string) (store.UATSession, error) {
	u, err := s.uatOf(ctx, p, partnerID, id)
	if err != nil {
		return store.UATSession{}, err
	}
	if u.State != store.UATOpen {
		return store.UATSession{}, &InputError{Status: http.StatusConflict, Msg: fmt.Sprintf("the UAT session is already %s", u.State)}
	}
	l := s.uat.get(id)
	switch {
	case l == nil && u.Owner != "" && u.Owner != s.cfg.WorkerName:
		// Reached only by callers that are not forwarded: the bot, which
		// then asks the owner itself (closeOnOwner), and a replica call,
		// which is never forwarded again. The page's and the API's Close
		// are sent to the owner (onOwner).
		return store.UATSession{}, &servedElsewhere{session: u, in: &InputError{Status: http.StatusConflict,
			Msg: fmt.Sprintf("the UAT session is served by another hub replica (%s): close it from the partner page, which reaches that replica", u.Owner)}}
	case l == nil:
		return store.UATSession{}, &InputError{Status: http.StatusConflict, Msg: "the UAT session is ending: try again in a moment"}
	}
	stored, err := s.finishUAT(l, uat.EndStopped, "closed by "+actorName(p))
	s.audit(ctx, p, partnerID, "uat.close", "UAT session "+id, params, err)
	return stored, err
}

// servedElsewhere is an open session another replica serves: an
// *InputError (409) for whoever cannot ask that replica.
type servedElsewhere struct {
	session store.UATSession
	in      *InputError
}

func (e *servedElsewhere) Error() string { return e.in.Error() }
func (e *servedElsewhere) Unwrap() error { return e.in }

func actorName(p store.Principal) string {
	if p.Staff() {
		return "BAU staff"
	}
	return "the partner"
}

// finishUAT ends a live session once, whoever asks: grade, render the
// reports as the CLI does, store everything in one transaction, tell the
// watchers and the subscribers of uat.completed.
func (s *Server) finishUAT(l *liveUAT, reason uat.EndReason, why string) (store.UATSession, error) {
	l.stopOnce.Do(func() { close(l.stop) })
	l.once.Do(func() {
		defer os.RemoveAll(l.dir)
		defer s.uat.remove(l.id)
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		l.stored, l.err = s.storeUAT(ctx, l, reason, why)
		ev := UATEvent{Kind: UATEventDone, Session: l.id}
		if l.err != nil {
			s.log.Error("UAT session not stored", "session", l.id, "partner", l.partnerID, "err", l.err)
			ev.State, ev.Message = string(store.UATOpen), "the results could not be stored: the hub's log has the details"
		} else {
			ev.State, ev.Verdict, ev.Message = string(l.stored.State), string(l.stored.Verdict), why
		}
		s.uat.events.publish(ev)
		s.audit(ctx, store.System(), l.partnerID, "uat.end", "UAT session "+l.id,
			map[string]string{"reason": why, "verdict": string(l.stored.Verdict)}, l.err)
		if l.err == nil && l.stored.State == store.UATClosed {
			s.notifyUAT(ctx, l.stored)
		}
	})
	return l.stored, l.err
}

// storeUAT closes the session and stores its results and files.
func (s *Server) storeUAT(ctx context.Context, l *liveUAT, reason uat.EndReason, why string) (store.UATSession, error) {
	run, closeErr := l.sess.Close(reason)
	if closeErr != nil {
		// The grade stands; only the HAR file may be missing.
		s.log.Warn("UAT recording incomplete", "session", l.id, "err", closeErr)
	}
	c, err := uatPack(filepath.Join(l.dir, "reports"), run)
	if err != nil {
		return store.UATSession{}, err
	}
	for _, f := range []struct{ name, ctype string }{{uat.ExchangesFile, "application/x-ndjson"}, {uat.HARFile, "application/json"}} {
		data, err := os.ReadFile(filepath.Join(l.dir, f.name))
		switch {
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return store.UATSession{}, fmt.Errorf("server: read %s: %w", f.name, err)
		case len(data) > store.MaxArtifactSize:
			s.log.Warn("UAT recording too large to keep", "session", l.id, "file", f.name, "bytes", len(data))
			continue
		}
		c.Artifacts = append(c.Artifacts, store.Artifact{Name: f.name, ContentType: f.ctype, Content: data})
	}
	c.EndReason = why
	return s.store.CompleteUATSession(ctx, store.System(), l.id, c)
}

// uatPack renders a graded session's reports as the CLI does and reads
// them back for the store.
func uatPack(dir string, run *results.Run) (store.UATCompletion, error) {
	if err := reports.WriteAll(dir, run); err != nil {
		return store.UATCompletion{}, fmt.Errorf("server: UAT reports: %w", err)
	}
	pack, err := readPack(dir)
	if err != nil {
		return store.UATCompletion{}, fmt.Errorf("server: UAT reports: %w", err)
	}
	return store.UATCompletion{Results: pack.Results, Artifacts: pack.Artifacts}, nil
}

// gradeHAR grades an uploaded HAR recording of one API and stores it as a
// closed session of source har.
func (s *Server) gradeHAR(ctx context.Context, p store.Principal, partnerID, api, filename string, har io.Reader) (store.UATSession, error) {
	pt, err := s.store.GetPartner(ctx, p, partnerID)
	if err != nil {
		return store.UATSession{}, err
	}
	if !uat.IsAPI(api) {
		return store.UATSession{}, badRequest("unknown API %q for a HAR recording: want %s", truncate(api, 40), strings.Join(uat.APIs(), " or "))
	}
	// A recording certifies the partner's client of one API, so the API is
	// held to the rule opening a session is: registered for the partner.
	registered, err := s.store.ListPartnerAPIs(ctx, p, partnerID)
	if err != nil {
		return store.UATSession{}, err
	}
	if _, err := uatAPIs([]string{api}, registered); err != nil {
		return store.UATSession{}, err
	}
	raw, err := io.ReadAll(io.LimitReader(har, int64(s.maxHAR())+1))
	if err != nil {
		return store.UATSession{}, uploadProblem(err)
	}
	if len(raw) > s.maxHAR() {
		return store.UATSession{}, &InputError{Status: http.StatusRequestEntityTooLarge,
			Msg: "the HAR recording exceeds " + sizeText(s.maxHAR())}
	}
	run, err := uat.GradeHARWith(api, bytes.NewReader(raw), uat.HAROptions{Partner: pt.Name, Version: s.cfg.Version,
		Timing: s.cfg.UATTiming})
	var notHAR *uat.NotHARError
	switch {
	case errors.As(err, &notHAR):
		return store.UATSession{}, badRequest("%s", notHAR.Error())
	case err != nil:
		return store.UATSession{}, fmt.Errorf("server: grade HAR: %w", err)
	}
	dir, err := os.MkdirTemp(s.cfg.ScratchDir, "golive-har-")
	if err != nil {
		return store.UATSession{}, fmt.Errorf("server: HAR scratch directory: %w", err)
	}
	defer os.RemoveAll(dir)
	c, err := uatPack(dir, run)
	if err != nil {
		return store.UATSession{}, err
	}
	c.Artifacts = append(c.Artifacts, store.Artifact{Name: uat.HARFile, ContentType: "application/json", Content: raw})
	c.EndReason = "graded HAR recording " + truncate(filepath.Base(filename), 80)
	u, err := s.store.RecordUATGrade(ctx, p, partnerID, c)
	s.audit(ctx, p, partnerID, "uat.grade-har", "UAT session "+u.ID, map[string]string{"api": api,
		"file": truncate(filepath.Base(filename), 80)}, err)
	if err != nil {
		return store.UATSession{}, err
	}
	s.notifyUAT(ctx, u)
	return u, nil
}

// sizeText says a byte bound the way people read it.
func sizeText(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

func (s *Server) maxHAR() int {
	if s.cfg.UATMaxHAR > 0 {
		return int(s.cfg.UATMaxHAR)
	}
	return defaultMaxHAR
}

// uatOf is a session of the partner in the path that the principal may
// see; another partner's session is not found, whatever the path says.
func (s *Server) uatOf(ctx context.Context, p store.Principal, partnerID, id string) (store.UATSession, error) {
	u, err := s.store.GetUATSession(ctx, p, id)
	if err != nil {
		return store.UATSession{}, err
	}
	if u.PartnerID != partnerID {
		return store.UATSession{}, fmt.Errorf("server: UAT session of another partner: %w", store.ErrNotFound)
	}
	return u, nil
}

// uatProgress turns a session's event into the hub's progress event.
func (s *Server) uatProgress(l *liveUAT, e uat.Event) {
	if e.Kind == uat.EventEnded {
		return // the hub's done event follows once the results are stored
	}
	ev := UATEvent{Kind: UATEventProgress, Session: l.id, Event: string(e.Kind), API: e.API, Case: e.Case,
		Message: truncate(e.Message, 300), CasesSeen: e.CasesSeen, CasesTotal: e.CasesTotal, Problems: e.Problems,
		Exchanges: e.Exchanges}
	l.last.Store(&ev)
	s.uat.events.publish(ev)
}

// notifyUAT tells webhooks (uat.completed) and the chats about a graded
// session, through the store's outboxes.
func (s *Server) notifyUAT(ctx context.Context, u store.UATSession) {
	if ev, ok := s.uatCompleted(ctx, u); ok {
		s.notifier.send(ctx, ev)
	}
}

// uatCompleted is the uat.completed event of a graded session.
func (s *Server) uatCompleted(ctx context.Context, u store.UATSession) (hubEvent, bool) {
	pt, err := s.store.GetPartner(ctx, store.System(), u.PartnerID)
	if err != nil {
		s.log.Error("uat.completed", "session", u.ID, "err", err)
		return hubEvent{}, false
	}
	summary := fmt.Sprintf("UAT session (%s) of %s: %s", u.Source, joinAPIs(u.APIs), orNone(string(u.Verdict)))
	if u.EndReason != "" {
		summary += "; " + u.EndReason
	}
	return hubEvent{Kind: eventUATCompleted, Partner: pt, UAT: &u, Summary: summary}, true
}

// shutdownUAT ends every live session interrupted (their results are
// stored as interrupted, never as passed) and refuses new ones.
func (s *Server) shutdownUAT() {
	h := s.uat
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.quit)
	live := make([]*liveUAT, 0, len(h.live))
	for _, l := range h.live {
		live = append(live, l)
	}
	h.mu.Unlock()
	for _, l := range live {
		s.finishUAT(l, uat.EndInterrupted, "the hub stopped")
	}
}

// serveUATSandbox is the partners' clients' entry: /uat/{session}/... goes
// to that session's sandbox with the prefix stripped. The session's own
// credentials authenticate there; an unknown or ended session is a 404.
func (s *Server) serveUATSandbox(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("session")
	l := s.uat.get(id)
	if l == nil && s.forwardUAT(w, r, id) {
		return
	}
	if l == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"code":"NOT_FOUND","message":"no open UAT session at this address"}`+"\n")
		return
	}
	http.StripPrefix(strings.TrimSuffix(UATPrefix+id, "/"), l.sess).ServeHTTP(w, r)
}

// openUATAPIs lists the APIs the partner's open sessions cover.
func (s *Server) openUATAPIs(ctx context.Context, p store.Principal, partnerID string) ([]string, error) {
	list, err := s.store.ListUATSessions(ctx, p, partnerID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, u := range list {
		if u.State == store.UATOpen {
			out = append(out, u.APIs...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
