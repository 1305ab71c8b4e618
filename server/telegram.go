package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golive-cert/golive/doctor"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/telegram"
)

// telegramServices implements the bot's ports over the store, the
// sandboxes, doctor and the run queue. Every method acts for the partner
// the bot passes (the chat's own), as the system principal scoped by hand.
func (s *Server) telegramServices() telegram.Services {
	h := &tgHub{s: s}
	var f telegram.FAQ = noFAQ{}
	if s.cfg.FAQ != nil {
		f = s.cfg.FAQ
	}
	return telegram.Services{Links: h, Directory: h, Sandbox: h, Doctor: h, Runs: h, Progress: h, UAT: h, FAQ: f, Audit: h}
}

// noFAQ answers nothing (a hub started without the FAQ files).
type noFAQ struct{}

func (noFAQ) Search(context.Context, []string, string, int) ([]telegram.FAQAnswer, error) {
	return nil, nil
}

type tgHub struct{ s *Server }

func identityOf(u store.User) telegram.Identity {
	if u.Role == store.RolePartner {
		return telegram.Identity{Role: telegram.RolePartner, Partner: u.PartnerID}
	}
	return telegram.Identity{Role: telegram.RoleStaff}
}

// Redeem: store codes are single-use and expire; every refusal looks the
// same, so codes cannot be probed.
func (h *tgHub) Redeem(ctx context.Context, code string, chat telegram.Chat) (telegram.Identity, error) {
	link, err := h.s.store.RedeemLinkCode(ctx, code, int64(chat.ID))
	if errors.Is(err, store.ErrUnauthenticated) {
		return telegram.Identity{}, &telegram.LinkError{Reason: telegram.LinkUnknown}
	}
	if err != nil {
		return telegram.Identity{}, err
	}
	u, err := h.s.store.GetUser(ctx, store.System(), link.UserID)
	if err != nil {
		return telegram.Identity{}, err
	}
	return identityOf(u), nil
}

func (h *tgHub) Lookup(ctx context.Context, chat telegram.ChatID) (telegram.Identity, error) {
	u, err := h.s.store.ChatUser(ctx, int64(chat))
	if errors.Is(err, store.ErrUnauthenticated) {
		return telegram.Identity{}, telegram.ErrNotLinked
	}
	if err != nil {
		return telegram.Identity{}, err
	}
	return identityOf(u), nil
}

func (h *tgHub) Revoke(ctx context.Context, chat telegram.ChatID) error {
	err := h.s.store.UnlinkTelegram(ctx, store.System(), int64(chat))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

func (h *tgHub) chatsOf(ctx context.Context, users []store.User, keep func(store.User) bool) ([]telegram.Chat, error) {
	var out []telegram.Chat
	for _, u := range users {
		if !keep(u) || u.Disabled {
			continue
		}
		links, err := h.s.store.ListTelegramLinks(ctx, store.System(), u.ID)
		if err != nil {
			return nil, err
		}
		for _, l := range links {
			// Telegram's group chats have negative ids.
			out = append(out, telegram.Chat{ID: telegram.ChatID(l.ChatID), Private: l.ChatID > 0})
		}
	}
	return out, nil
}

func (h *tgHub) PartnerChats(ctx context.Context, partner string) ([]telegram.Chat, error) {
	users, err := h.s.store.ListUsers(ctx, store.System(), partner)
	if err != nil {
		return nil, err
	}
	return h.chatsOf(ctx, users, func(store.User) bool { return true })
}

func (h *tgHub) StaffChats(ctx context.Context) ([]telegram.Chat, error) {
	users, err := h.s.store.ListUsers(ctx, store.System(), "")
	if err != nil {
		return nil, err
	}
	return h.chatsOf(ctx, users, func(u store.User) bool { return u.Role != store.RolePartner })
}

func (h *tgHub) Partner(ctx context.Context, id string) (telegram.Partner, error) {
	pt, err := h.s.store.GetPartner(ctx, store.System(), id)
	if errors.Is(err, store.ErrNotFound) {
		return telegram.Partner{}, telegram.ErrNotFound
	}
	if err != nil {
		return telegram.Partner{}, err
	}
	apis, err := h.s.store.ListPartnerAPIs(ctx, store.System(), id)
	if err != nil {
		return telegram.Partner{}, err
	}
	out := telegram.Partner{ID: pt.ID, Name: pt.Name, APIs: apis}
	if env, err := h.s.store.GetEnvironment(ctx, store.System(), id, store.Staging); err == nil {
		out.Endpoint = shownURL(env.BaseURL)
	}
	return out, nil
}

func (h *tgHub) Diagnose(ctx context.Context, partner string) (*doctor.Report, error) {
	env, err := h.s.store.GetEnvironment(ctx, store.System(), partner, store.Staging)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no staging endpoint is registered yet: %w", telegram.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return h.s.diagnose(ctx, env)
}

func (h *tgHub) Start(ctx context.Context, req telegram.RunRequest) (string, error) {
	r, err := h.s.startRun(ctx, store.System(), req.Partner, startInput{APIs: []string{req.API},
		Environment: store.Staging, Source: store.SourceTelegram, ReplyTo: int64(req.Chat)})
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(r.ID, 10), nil
}

func (h *tgHub) Progress(ctx context.Context, partner string) ([]telegram.APIProgress, error) {
	prs, err := h.s.progress(ctx, store.System(), partner)
	if err != nil {
		return nil, err
	}
	pt, err := h.s.store.GetPartner(ctx, store.System(), partner)
	if err != nil {
		return nil, err
	}
	out := make([]telegram.APIProgress, 0, len(prs))
	for _, pr := range prs {
		ap := telegram.APIProgress{API: pr.API, Passed: pr.Passed, Total: pr.TotalEverRun + pr.NotRun, Stage: string(pt.Status)}
		for _, it := range pr.Items {
			if !it.EverPassed || it.Latest == "fail" || it.Latest == "error" {
				ap.Open = append(ap.Open, it.ItemID)
			}
		}
		out = append(out, ap)
	}
	return out, nil
}

// tgPartner is a partner acting from one of its chats on its own UAT
// sessions: the store scopes every read to it, and a session it closes
// ends "closed by the partner".
func tgPartner(partner string) store.Principal {
	return store.Principal{UserID: "telegram", Role: store.RolePartner, PartnerID: partner}
}

// OpenUAT opens a session at the hub's public address (a chat has no
// request to take the address from, as the partner page has), as the user
// the chat is linked to: the uat.open audit entry is that user's, noting
// the bot.
func (h *tgHub) OpenUAT(ctx context.Context, partner string, chat telegram.ChatID, apis []string, deadline string) (telegram.UATOpened, error) {
	if h.s.cfg.PublicURL == "" {
		return telegram.UATOpened{}, &telegram.InputError{Msg: "this hub has no public address configured, so I cannot tell your client where to connect. " +
			"Open the session from your partner page in the hub instead."}
	}
	user, err := h.s.chatPartnerUser(ctx, chat, partner)
	if err != nil {
		return telegram.UATOpened{}, uatErr(err)
	}
	o, err := h.s.openUAT(ctx, store.PrincipalOf(user), partner, uatInput{APIs: apis, Deadline: deadline, Via: h.via()})
	if err != nil {
		return telegram.UATOpened{}, uatErr(err)
	}
	out := telegram.UATOpened{Session: h.uatSession(o.Session), Credentials: telegram.UATCredentials{
		ClientID: o.Credentials.ClientID, APIKey: o.Credentials.APIKey, ChecksumKey: o.Credentials.ChecksumKey}}
	for _, c := range o.Cases {
		out.Cases = append(out.Cases, telegram.UATCase{ID: c.ID, Title: c.Title, Values: c.Values})
	}
	return out, nil
}

func (h *tgHub) UATSessions(ctx context.Context, partner string) ([]telegram.UATSession, error) {
	list, err := h.s.store.ListUATSessions(ctx, tgPartner(partner), partner)
	if err != nil {
		return nil, uatErr(err)
	}
	return convertAll(list, h.uatSession), nil
}

// CloseUAT closes the session as the user the chat is linked to: here
// when this replica serves it, otherwise on the replica that does
// (closeOnOwner). Either way the uat.close audit entry is that user's,
// noting the bot.
func (h *tgHub) CloseUAT(ctx context.Context, partner string, chat telegram.ChatID, id string) (telegram.UATSession, error) {
	user, err := h.s.chatPartnerUser(ctx, chat, partner)
	if err != nil {
		return telegram.UATSession{}, uatErr(err)
	}
	u, err := h.s.closeUATWith(ctx, store.PrincipalOf(user), partner, id, map[string]string{"via": h.via()})
	var elsewhere *servedElsewhere
	if errors.As(err, &elsewhere) {
		u, err = h.s.closeOnOwner(ctx, user, partner, elsewhere.session, err)
	}
	if err != nil {
		return telegram.UATSession{}, uatErr(err)
	}
	return h.uatSession(u), nil
}

// via names the bot (and its replica) in the audit entries of what it does
// on a user's behalf.
func (h *tgHub) via() string {
	if h.s.cfg.WorkerName != "" {
		return "Telegram bot on replica " + h.s.cfg.WorkerName
	}
	return "Telegram bot"
}

// uatSession is a stored session as the bot shows it, with the live
// progress of an open one this process serves.
func (h *tgHub) uatSession(u store.UATSession) telegram.UATSession {
	out := telegram.UATSession{ID: u.ID, APIs: u.APIs, State: telegram.UATState(u.State), Verdict: string(u.Verdict),
		BaseURL: u.BaseURL, Started: u.StartedAt, Ended: u.EndedAt, Deadline: u.Deadline, EndReason: u.EndReason}
	if u.State != store.UATOpen {
		return out
	}
	if l := h.s.uat.get(u.ID); l != nil {
		// Before the client's first request there is no progress event
		// yet: nothing played of every case.
		pr := &telegram.UATProgress{CasesTotal: len(l.sess.Cases())}
		if ev := l.last.Load(); ev != nil {
			pr = &telegram.UATProgress{CasesSeen: ev.CasesSeen, CasesTotal: ev.CasesTotal, Problems: ev.Problems}
		}
		out.Progress = pr
	}
	return out
}

// uatErr turns the hub's refusals into the bot's: a request refused as it
// stands is an *InputError whose message says what to change, and a
// session not found (or another partner's) is ErrNotFound.
func uatErr(err error) error {
	var in *InputError
	switch {
	case errors.As(err, &in):
		return &telegram.InputError{Msg: in.Msg}
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("UAT session: %w", telegram.ErrNotFound)
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrInvalid):
		return &telegram.InputError{Msg: userText(err)}
	}
	return err
}

// webCallerPrefix starts the caller key of a tool called from the partner
// page (web_tools.go); the signed-in user's id follows.
const webCallerPrefix = "web:"

func (h *tgHub) Record(ctx context.Context, e telegram.AuditEntry) error {
	who, action, subject := fmt.Sprintf("telegram:%d", e.Chat), "telegram "+e.Action, fmt.Sprintf("chat %d", e.Chat)
	if user, ok := strings.CutPrefix(e.Caller, webCallerPrefix); ok && e.Chat == 0 {
		// A tool called from the partner page: the signed-in user.
		who, action, subject = user, "web "+e.Action, "partner page"
	}
	p := store.Principal{UserID: who, Role: store.RoleSystem}
	if e.Role == telegram.RolePartner {
		p = store.Principal{UserID: who, Role: store.RolePartner, PartnerID: e.Partner}
	}
	params := map[string]string{}
	for k, v := range e.Params {
		params[k] = v
	}
	return h.s.store.Audit(ctx, p, store.AuditEntry{PartnerID: e.Partner, Action: action,
		Subject: subject, Params: params, Outcome: strings.TrimSpace(string(e.Outcome) + " " + e.Detail)})
}

// sandboxes are the partners' in-process sandboxes, one each, so a
// partner's transactions are its own (another partner's reference is not
// found, exactly like a missing one).
type sandboxes struct {
	opts []sandbox.Option
	mu   sync.Mutex
	all  map[string]*sandbox.Sandbox
}

func newSandboxes(opts []sandbox.Option) *sandboxes {
	return &sandboxes{opts: opts, all: map[string]*sandbox.Sandbox{}}
}

// PartnerSandbox is the partner's in-process sandbox, the one the bot's
// sandbox commands act on (created on first use).
func (s *Server) PartnerSandbox(partner string) (*sandbox.Sandbox, error) {
	return s.sandbox.of(partner)
}

func (sb *sandboxes) of(partner string) (*sandbox.Sandbox, error) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if s, ok := sb.all[partner]; ok {
		return s, nil
	}
	s, err := sandbox.New(sb.opts...)
	if err != nil {
		return nil, err
	}
	sb.all[partner] = s
	return s, nil
}

func (sb *sandboxes) closeAll() {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	for _, s := range sb.all {
		s.Close()
	}
}

// call serves one request by the partner's sandbox, in process.
func (h *tgHub) call(ctx context.Context, partner string, req *http.Request) (*httptest.ResponseRecorder, error) {
	sb, err := h.s.sandbox.of(partner)
	if err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	sb.ServeHTTP(rec, req.WithContext(ctx))
	return rec, nil
}

func (h *tgHub) IssueToken(ctx context.Context, partner, api string) (telegram.Token, error) {
	req := httptest.NewRequest(http.MethodPost, "http://sandbox/v1/token", nil)
	req.Header.Set("client-id", sandbox.DefaultClientID)
	req.Header.Set("api-key", sandbox.DefaultAPIKey)
	rec, err := h.call(ctx, partner, req)
	if err != nil {
		return telegram.Token{}, err
	}
	var tok struct {
		Token     string `json:"token"`
		ExpiresIn int64  `json:"expiresIn"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &tok) != nil {
		return telegram.Token{}, fmt.Errorf("sandbox token: answered %d", rec.Code)
	}
	return telegram.Token{API: api, Value: tok.Token, ExpiresAt: h.s.cfg.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)}, nil
}

// orderBook is where a partner's sandbox orders live: an open UAT
// session (the orders the partner's client made through the hub) or the
// partner's in-process sandbox.
type orderBook interface {
	Transaction(ref string) (sandbox.Transaction, error)
	ForceOutcome(ref string, outcome sandbox.Outcome) (sandbox.Transaction, error)
	ResendCallback(ctx context.Context, ref string) (sandbox.Delivery, error)
}

// onOrder runs op on the partner's book that holds ref: its open UAT
// sessions first, then its sandbox. Only the partner's own books are
// searched, so another partner's reference is not found.
func onOrder[T any](h *tgHub, partner, ref string, op func(orderBook) (T, error)) (T, error) {
	for _, l := range h.s.uat.ofPartner(partner) {
		if _, err := l.sess.Transaction(ref); err == nil {
			return op(l.sess)
		}
	}
	sb, err := h.s.sandbox.of(partner)
	if err != nil {
		var zero T
		return zero, err
	}
	return op(sb)
}

func (h *tgHub) Transaction(_ context.Context, partner, ref string) (telegram.Transaction, error) {
	tx, err := onOrder(h, partner, ref, func(b orderBook) (sandbox.Transaction, error) { return b.Transaction(ref) })
	if err != nil {
		return telegram.Transaction{}, sandboxErr(ref, err)
	}
	return txOf(tx), nil
}

// ResendCallback sends the callback of the partner's own order again.
func (h *tgHub) ResendCallback(ctx context.Context, partner, ref string) (telegram.Delivery, error) {
	d, err := onOrder(h, partner, ref, func(b orderBook) (sandbox.Delivery, error) { return b.ResendCallback(ctx, ref) })
	if err != nil {
		return telegram.Delivery{}, sandboxErr(ref, err)
	}
	out := telegram.Delivery{URL: d.URL, Status: d.Status, Latency: d.Latency}
	if d.Err != nil {
		out.Error = d.Err.Error()
	}
	return out, nil
}

func (h *tgHub) ForceOutcome(_ context.Context, partner, ref string, o telegram.Outcome) (telegram.Transaction, error) {
	want := sandbox.OutcomeSuccess
	if o == telegram.OutcomeFailed {
		want = sandbox.OutcomeFailed
	}
	tx, err := onOrder(h, partner, ref, func(b orderBook) (sandbox.Transaction, error) { return b.ForceOutcome(ref, want) })
	if err != nil {
		return telegram.Transaction{}, sandboxErr(ref, err)
	}
	return txOf(tx), nil
}

// sandboxErr turns the sandbox's typed errors into the bot's.
func sandboxErr(ref string, err error) error {
	var (
		fe *sandbox.FinalError
		nf *sandbox.NotFinalError
		nc *sandbox.NoCallbackError
	)
	switch {
	case errors.Is(err, sandbox.ErrNotFound):
		return fmt.Errorf("transaction %s: %w", ref, telegram.ErrNotFound)
	case errors.As(err, &fe):
		return &telegram.StateError{Ref: ref, Status: fe.Status, Reason: telegram.StateFinal}
	case errors.As(err, &nf):
		return &telegram.StateError{Ref: ref, Status: "PROCESSING", Reason: telegram.StateProcessing}
	case errors.As(err, &nc):
		return &telegram.StateError{Ref: ref, Status: "", Reason: telegram.StateNoCallback}
	}
	return err
}

func txOf(tx sandbox.Transaction) telegram.Transaction {
	out := telegram.Transaction{Ref: tx.OrderReference, API: tx.API, Status: tx.Status, Amount: tx.Amount, Currency: tx.Currency,
		History: []telegram.TxEvent{{At: tx.CreatedAt, Status: "PROCESSING", Note: "initiated"}}}
	if tx.Status != "PROCESSING" {
		note := tx.FailureReason
		if tx.Forced {
			note = strings.TrimSpace("forced " + note)
		}
		out.History = append(out.History, telegram.TxEvent{At: tx.UpdatedAt, Status: tx.Status, Note: note})
	}
	return out
}
