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
	return telegram.Services{Links: h, Directory: h, Sandbox: h, Doctor: h, Runs: h, Progress: h, FAQ: f, Audit: h}
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
		out.Endpoint = env.BaseURL
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
		ap := telegram.APIProgress{API: pr.API, Passed: pr.Passed, Total: pr.TotalEverRun, Stage: string(pt.Status)}
		for _, it := range pr.Items {
			if !it.EverPassed || it.Latest == "fail" || it.Latest == "error" {
				ap.Open = append(ap.Open, it.ItemID)
			}
		}
		out = append(out, ap)
	}
	return out, nil
}

func (h *tgHub) Record(ctx context.Context, e telegram.AuditEntry) error {
	p := store.Principal{UserID: fmt.Sprintf("telegram:%d", e.Chat), Role: store.RoleSystem}
	if e.Role == telegram.RolePartner {
		p = store.Principal{UserID: p.UserID, Role: store.RolePartner, PartnerID: e.Partner}
	}
	params := map[string]string{}
	for k, v := range e.Params {
		params[k] = v
	}
	return h.s.store.Audit(ctx, p, store.AuditEntry{PartnerID: e.Partner, Action: "telegram " + e.Action,
		Subject: fmt.Sprintf("chat %d", e.Chat), Params: params, Outcome: strings.TrimSpace(string(e.Outcome) + " " + e.Detail)})
}

// sandboxes are the partners' in-process sandboxes, one each, so a
// partner's transactions are its own (another partner's reference is not
// found, exactly like a missing one).
type sandboxes struct {
	mu  sync.Mutex
	all map[string]*sandbox.Sandbox
}

func newSandboxes() *sandboxes { return &sandboxes{all: map[string]*sandbox.Sandbox{}} }

func (sb *sandboxes) of(partner string) (*sandbox.Sandbox, error) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if s, ok := sb.all[partner]; ok {
		return s, nil
	}
	s, err := sandbox.New()
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

func (h *tgHub) Transaction(ctx context.Context, partner, ref string) (telegram.Transaction, error) {
	tok, err := h.IssueToken(ctx, partner, "")
	if err != nil {
		return telegram.Transaction{}, err
	}
	for _, api := range []string{"collections", "payouts"} {
		req := httptest.NewRequest(http.MethodGet, "http://sandbox/v1/"+api+"/"+urlPathEscape(ref), nil)
		req.Header.Set("Authorization", "Bearer "+tok.Value)
		rec, err := h.call(ctx, partner, req)
		if err != nil {
			return telegram.Transaction{}, err
		}
		if rec.Code != http.StatusOK {
			continue
		}
		var o struct {
			Status   string `json:"status"`
			Amount   any    `json:"amount"`
			Currency string `json:"currency"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &o)
		return telegram.Transaction{Ref: ref, API: api, Status: o.Status, Amount: fmt.Sprint(o.Amount), Currency: o.Currency}, nil
	}
	return telegram.Transaction{}, fmt.Errorf("transaction %s: %w", ref, telegram.ErrNotFound)
}

// errSandboxUnsupported: the in-process sandbox has no operation for it yet.
var errSandboxUnsupported = errors.New("the hub's sandbox cannot do this yet; ask the BAU team")

func (h *tgHub) ResendCallback(ctx context.Context, partner, ref string) (telegram.Delivery, error) {
	if _, err := h.Transaction(ctx, partner, ref); err != nil {
		return telegram.Delivery{}, err
	}
	return telegram.Delivery{}, errSandboxUnsupported
}

func (h *tgHub) ForceOutcome(ctx context.Context, partner, ref string, _ telegram.Outcome) (telegram.Transaction, error) {
	if _, err := h.Transaction(ctx, partner, ref); err != nil {
		return telegram.Transaction{}, err
	}
	return telegram.Transaction{}, errSandboxUnsupported
}

func urlPathEscape(s string) string {
	r := strings.NewReplacer("/", "%2F", "?", "%3F", "#", "%23", " ", "%20")
	return r.Replace(s)
}
