// Package hubfake is an in-memory hub for the bot's tests and benchmarks:
// links with expiring one-time codes, partners, a sandbox whose
// transactions belong to partners, doctor, runs, progress, client UAT
// sessions and an audit log.
// It is also the reference for what the hub's implementations must do.
package hubfake

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golive-cert/golive/doctor"
	"github.com/golive-cert/golive/telegram"
)

// Hub implements every interface of telegram.Services but FAQ.
type Hub struct {
	Now func() time.Time

	mu       sync.Mutex
	codes    map[string]code
	links    map[telegram.ChatID]link
	partners map[string]telegram.Partner
	txs      map[string]tx // by reference
	resent   map[string]int
	runs     []telegram.RunRequest
	uats     []uatSession // in opening order
	audit    []telegram.AuditEntry
	tokenN   int
	// Fail makes every service call fail (a hub outage), except audit.
	fail error
}

type code struct {
	id      telegram.Identity
	expires time.Time
	used    bool
}

type link struct {
	id   telegram.Identity
	chat telegram.Chat
}

type uatSession struct {
	partner string
	s       telegram.UATSession
	// openedFrom and closedFrom are the chats that opened and closed it.
	openedFrom, closedFrom telegram.ChatID
}

type tx struct {
	partner string
	t       telegram.Transaction
}

// New is an empty hub on clock now (time.Now when nil).
func New(now func() time.Time) *Hub {
	if now == nil {
		now = time.Now
	}
	return &Hub{Now: now, codes: map[string]code{}, links: map[telegram.ChatID]link{},
		partners: map[string]telegram.Partner{}, txs: map[string]tx{}, resent: map[string]int{}}
}

// AddPartner registers a partner.
func (h *Hub) AddPartner(p telegram.Partner) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.partners[p.ID] = p
}

// AddTransaction puts a sandbox transaction in a partner's sandbox.
func (h *Hub) AddTransaction(partner string, t telegram.Transaction) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.txs[t.Ref] = tx{partner: partner, t: t}
}

// Resent is how many times ref's callback was resent.
func (h *Hub) Resent(ref string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.resent[ref]
}

// NewCode is what `golive partner link NAME` does: a one-time code for a
// partner (or staff, with partner "") valid for ttl.
func (h *Hub) NewCode(c string, role telegram.Role, partner string, ttl time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.codes[c] = code{id: telegram.Identity{Role: role, Partner: partner}, expires: h.Now().Add(ttl)}
}

// SetFailing makes services fail with err (nil: back to normal).
func (h *Hub) SetFailing(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fail = err
}

// Redeem implements telegram.Links.
func (h *Hub) Redeem(_ context.Context, c string, chat telegram.Chat) (telegram.Identity, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return telegram.Identity{}, h.fail
	}
	cd, ok := h.codes[c]
	switch {
	case !ok:
		return telegram.Identity{}, &telegram.LinkError{Reason: telegram.LinkUnknown}
	case cd.used:
		return telegram.Identity{}, &telegram.LinkError{Reason: telegram.LinkUsed}
	case !h.Now().Before(cd.expires):
		return telegram.Identity{}, &telegram.LinkError{Reason: telegram.LinkExpired}
	}
	cd.used = true
	h.codes[c] = cd
	h.links[chat.ID] = link{id: cd.id, chat: chat}
	return cd.id, nil
}

// Lookup implements telegram.Links.
func (h *Hub) Lookup(_ context.Context, chat telegram.ChatID) (telegram.Identity, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return telegram.Identity{}, h.fail
	}
	l, ok := h.links[chat]
	if !ok {
		return telegram.Identity{}, telegram.ErrNotLinked
	}
	return l.id, nil
}

// Revoke implements telegram.Links.
func (h *Hub) Revoke(_ context.Context, chat telegram.ChatID) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.links, chat)
	return nil
}

// PartnerChats implements telegram.Links.
func (h *Hub) PartnerChats(_ context.Context, partner string) ([]telegram.Chat, error) {
	return h.chats(func(id telegram.Identity) bool { return id.Role == telegram.RolePartner && id.Partner == partner }), nil
}

// StaffChats implements telegram.Links.
func (h *Hub) StaffChats(context.Context) ([]telegram.Chat, error) {
	return h.chats(func(id telegram.Identity) bool { return id.Role == telegram.RoleStaff }), nil
}

func (h *Hub) chats(keep func(telegram.Identity) bool) []telegram.Chat {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []telegram.Chat
	for _, id := range slices.Sorted(maps.Keys(h.links)) {
		if l := h.links[id]; keep(l.id) {
			out = append(out, l.chat)
		}
	}
	return out
}

// Partner implements telegram.Directory.
func (h *Hub) Partner(_ context.Context, id string) (telegram.Partner, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return telegram.Partner{}, h.fail
	}
	p, ok := h.partners[id]
	if !ok {
		return telegram.Partner{}, telegram.ErrNotFound
	}
	return p, nil
}

// IssueToken implements telegram.Sandbox.
func (h *Hub) IssueToken(_ context.Context, partner, api string) (telegram.Token, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return telegram.Token{}, h.fail
	}
	h.tokenN++
	return telegram.Token{API: api, Value: fmt.Sprintf("sbx-%s-%s-%04d", partner, api, h.tokenN),
		ExpiresAt: h.Now().Add(time.Hour)}, nil
}

// ownTx is the partner's transaction, or ErrNotFound for a missing one
// and for another partner's alike. Call with h.mu held.
func (h *Hub) ownTx(partner, ref string) (tx, error) {
	if h.fail != nil {
		return tx{}, h.fail
	}
	t, ok := h.txs[ref]
	if !ok || t.partner != partner {
		return tx{}, fmt.Errorf("transaction %s: %w", ref, telegram.ErrNotFound)
	}
	return t, nil
}

// Transaction implements telegram.Sandbox.
func (h *Hub) Transaction(_ context.Context, partner, ref string) (telegram.Transaction, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, err := h.ownTx(partner, ref)
	return t.t, err
}

// ResendCallback implements telegram.Sandbox.
func (h *Hub) ResendCallback(_ context.Context, partner, ref string) (telegram.Delivery, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, err := h.ownTx(partner, ref)
	if err != nil {
		return telegram.Delivery{}, err
	}
	if t.t.Status == "PROCESSING" {
		return telegram.Delivery{}, &telegram.StateError{Ref: ref, Status: t.t.Status, Reason: telegram.StateProcessing}
	}
	h.resent[ref]++
	return telegram.Delivery{URL: h.partners[partner].Endpoint + "/callbacks", Status: 200}, nil
}

// ForceOutcome implements telegram.Sandbox.
func (h *Hub) ForceOutcome(_ context.Context, partner, ref string, o telegram.Outcome) (telegram.Transaction, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, err := h.ownTx(partner, ref)
	if err != nil {
		return telegram.Transaction{}, err
	}
	if t.t.Status != "PROCESSING" {
		return telegram.Transaction{}, &telegram.StateError{Ref: ref, Status: t.t.Status, Reason: telegram.StateFinal}
	}
	t.t.Status = strings.ToUpper(string(o))
	t.t.History = append(t.t.History, telegram.TxEvent{At: h.Now(), Status: t.t.Status, Note: "forced by partner"})
	h.txs[ref] = t
	return t.t, nil
}

// Diagnose implements telegram.Doctor with a canned report.
func (h *Hub) Diagnose(_ context.Context, partner string) (*doctor.Report, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return nil, h.fail
	}
	p := h.partners[partner]
	return &doctor.Report{Schema: doctor.Schema, URL: p.Endpoint, Reachable: false,
		Verdict: "not reachable: connection refused",
		Layers: []doctor.Layer{
			{Name: "dns", Status: doctor.OK, Summary: "resolved to 127.0.0.1"},
			{Name: "tcp", Status: doctor.Fail, Summary: "connection refused", Fix: "open the port to golive's address"},
		},
		Commands: []doctor.Command{{Layer: "tcp", Purpose: "connect", Line: "telnet staging.example 443"}},
	}, nil
}

// Start implements telegram.Runs: it records the request and returns an id.
func (h *Hub) Start(_ context.Context, req telegram.RunRequest) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return "", h.fail
	}
	h.runs = append(h.runs, req)
	return fmt.Sprintf("run-%d", len(h.runs)), nil
}

// Runs is what was started.
func (h *Hub) Runs() []telegram.RunRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.runs)
}

// Progress implements telegram.Progress.
func (h *Hub) Progress(_ context.Context, partner string) ([]telegram.APIProgress, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return nil, h.fail
	}
	var out []telegram.APIProgress
	for _, api := range h.partners[partner].APIs {
		out = append(out, telegram.APIProgress{API: api, Passed: 18, Total: 22, Stage: "SIT", Open: []string{"COL-007", "COL-019"}})
	}
	return out, nil
}

// uatAPIs are the APIs a client UAT session covers, as in the hub.
func uatAPIs() []string { return []string{"collections", "payouts"} }

// uatCases is a short canned case list per API.
func uatCases(api string) []telegram.UATCase {
	return []telegram.UATCase{
		{ID: api + ".success", Title: "A payment that succeeds", Values: "amount 1000.00"},
		{ID: api + ".insufficient-funds", Title: "A payment that fails (insufficient funds)", Values: "phone 255700000999"},
		{ID: api + ".maintenance", Title: "A 503 maintenance window", Values: "amount 503.00"},
	}
}

// OpenUAT implements telegram.UAT with the hub's checks: APIs a session
// covers and the partner registered, a deadline within 7 days.
func (h *Hub) OpenUAT(_ context.Context, partner string, chat telegram.ChatID, apis []string, deadline string) (telegram.UATOpened, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return telegram.UATOpened{}, h.fail
	}
	p, ok := h.partners[partner]
	if !ok {
		return telegram.UATOpened{}, telegram.ErrNotFound
	}
	if len(apis) == 0 {
		for _, a := range p.APIs {
			if slices.Contains(uatAPIs(), a) {
				apis = append(apis, a)
			}
		}
		if len(apis) == 0 {
			return telegram.UATOpened{}, &telegram.InputError{Msg: "none of your APIs is covered by a client session"}
		}
	}
	for _, a := range apis {
		if !slices.Contains(uatAPIs(), a) {
			return telegram.UATOpened{}, &telegram.InputError{Msg: fmt.Sprintf("unknown API %q for a UAT session", a)}
		}
		if !slices.Contains(p.APIs, a) {
			return telegram.UATOpened{}, &telegram.InputError{Msg: fmt.Sprintf("API %q is not registered for this partner", a)}
		}
	}
	apis = slices.Compact(slices.Sorted(slices.Values(apis)))
	u := telegram.UATSession{ID: fmt.Sprintf("uat%04d", len(h.uats)+1), APIs: apis, State: telegram.UATOpen,
		Started: h.Now(), Progress: &telegram.UATProgress{}}
	u.BaseURL = "https://hub.example/uat/" + u.ID
	if deadline != "" {
		d, err := time.ParseDuration(deadline)
		if err != nil || d <= 0 || d > 7*24*time.Hour {
			return telegram.UATOpened{}, &telegram.InputError{Msg: fmt.Sprintf("deadline %q: want a duration such as 2h, at most 7 days", deadline)}
		}
		u.Deadline = h.Now().Add(d)
	}
	o := telegram.UATOpened{Session: u, Credentials: telegram.UATCredentials{ClientID: "uat-client-" + u.ID,
		APIKey: "uat-apikey-" + u.ID + "-SECRET", ChecksumKey: "uat-checksum-" + u.ID + "-SECRET"}}
	for _, a := range apis {
		o.Cases = append(o.Cases, uatCases(a)...)
	}
	u.Progress.CasesTotal = len(o.Cases)
	h.uats = append(h.uats, uatSession{partner: partner, s: u, openedFrom: chat})
	return o, nil
}

// SetUATProgress is what the partner's client has played so far.
func (h *Hub) SetUATProgress(id string, seen, problems int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.uats {
		if u := &h.uats[i].s; u.ID == id && u.Progress != nil {
			u.Progress.CasesSeen, u.Progress.Problems = seen, problems
		}
	}
}

// UATSessions implements telegram.UAT: the partner's, newest first.
func (h *Hub) UATSessions(_ context.Context, partner string) ([]telegram.UATSession, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return nil, h.fail
	}
	var out []telegram.UATSession
	for i := len(h.uats) - 1; i >= 0; i-- {
		if h.uats[i].partner == partner {
			out = append(out, copyUAT(h.uats[i].s))
		}
	}
	return out, nil
}

// CloseUAT implements telegram.UAT: another partner's session is
// ErrNotFound, exactly like a missing one.
func (h *Hub) CloseUAT(_ context.Context, partner string, chat telegram.ChatID, id string) (telegram.UATSession, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return telegram.UATSession{}, h.fail
	}
	for i := range h.uats {
		u := &h.uats[i].s
		if u.ID != id || h.uats[i].partner != partner {
			continue
		}
		if u.State != telegram.UATOpen {
			return telegram.UATSession{}, &telegram.InputError{Msg: "the UAT session is already " + string(u.State)}
		}
		u.State, u.Ended, u.EndReason, u.Verdict = telegram.UATClosed, h.Now(), "closed by the partner", "NOT CERTIFIED"
		if u.Progress.CasesSeen == u.Progress.CasesTotal {
			u.Verdict = "CERTIFIED"
		}
		u.Progress = nil
		h.uats[i].closedFrom = chat
		return copyUAT(*u), nil
	}
	return telegram.UATSession{}, fmt.Errorf("UAT session %s: %w", id, telegram.ErrNotFound)
}

// UATOpenedFrom is the chat that opened session id (0: none).
func (h *Hub) UATOpenedFrom(id string) telegram.ChatID {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, u := range h.uats {
		if u.s.ID == id {
			return u.openedFrom
		}
	}
	return 0
}

// UATClosedFrom is the chat that closed session id (0: none yet).
func (h *Hub) UATClosedFrom(id string) telegram.ChatID {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, u := range h.uats {
		if u.s.ID == id {
			return u.closedFrom
		}
	}
	return 0
}

func copyUAT(u telegram.UATSession) telegram.UATSession {
	u.APIs = slices.Clone(u.APIs)
	if u.Progress != nil {
		pr := *u.Progress
		u.Progress = &pr
	}
	return u
}

// Record implements telegram.Audit.
func (h *Hub) Record(_ context.Context, e telegram.AuditEntry) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.audit = append(h.audit, e)
	return nil
}

// Audit is the audit log so far.
func (h *Hub) Audit() []telegram.AuditEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.audit)
}

// Services wires the hub and a FAQ into the bot's services.
func (h *Hub) Services(faq telegram.FAQ) telegram.Services {
	return telegram.Services{Links: h, Directory: h, Sandbox: h, Doctor: h, Runs: h, Progress: h, UAT: h, FAQ: faq, Audit: h}
}
