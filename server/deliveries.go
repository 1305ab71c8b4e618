package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golive-cert/golive/server/store"
)

// The Deliveries page and its API: every partner's webhook deliveries and
// Telegram messages that failed or are still pending, in one list, for
// BAU staff to see that a partner never got a notification, and the retry
// of a failed Telegram message (a failed webhook delivery has its
// Redeliver, webhooks.go). A partner's user gets the 404 of a page or
// endpoint that does not exist: the list spans every partner, and nothing
// of it is theirs.

const (
	defaultListedOutbox = 50
	maxListedOutbox     = 200
)

// OutboxItemJSON is a webhook delivery or a Telegram message on the
// Deliveries list. It carries where it was going (the webhook's URL
// without user info or query, or the chat id), never a payload, a
// message's text, a secret or the bot's token.
type OutboxItemJSON struct {
	Kind          string     `json:"kind"` // webhook or telegram
	ID            int64      `json:"id"`
	PartnerID     string     `json:"partnerId,omitempty"`
	PartnerName   string     `json:"partnerName,omitempty"`
	Event         string     `json:"event"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"lastError,omitempty"`
	CreatedAt     time.Time  `json:"createdAt"`
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	// A webhook delivery's webhook, its URL and the receiver's latest
	// status (absent: no answer).
	WebhookID      string `json:"webhookId,omitempty"`
	URL            string `json:"url,omitempty"`
	ResponseStatus int    `json:"responseStatus,omitempty"`
	// A Telegram message's chat, and the report it carries.
	ChatID   int64  `json:"chatId,omitempty"`
	Document string `json:"document,omitempty"`
	// Redeliver is the API path that redelivers a failed delivery of a
	// partner's webhook; Retry the one that retries a failed message.
	Redeliver string `json:"redeliver,omitempty"`
	Retry     string `json:"retry,omitempty"`
	// Cursor, given as ?before=, lists what is older than this item.
	Cursor string `json:"cursor"`
}

// DeliveriesJSON is a page of the list; Next, when set, is the ?before=
// of the next page.
type DeliveriesJSON struct {
	Items []OutboxItemJSON `json:"items"`
	Next  string           `json:"next,omitempty"`
}

func outboxItemJSON(it store.OutboxItem) OutboxItemJSON {
	out := OutboxItemJSON{Kind: string(it.Kind), ID: it.ID, PartnerID: it.PartnerID, PartnerName: it.PartnerName,
		Event: it.Event, State: it.State, Attempts: it.Attempts, LastError: it.LastError, CreatedAt: it.CreatedAt,
		WebhookID: it.WebhookID, ResponseStatus: it.ResponseStatus, ChatID: it.ChatID, Document: it.Document,
		Cursor: it.Cursor().String()}
	if !it.NextAttemptAt.IsZero() {
		t := it.NextAttemptAt
		out.NextAttemptAt = &t
	}
	id := strconv.FormatInt(it.ID, 10)
	switch it.Kind {
	case store.OutboxWebhook:
		out.URL = displayURL(it.URL)
		if it.State == string(store.DeliveryFailed) && it.WebhookPartnerID != "" {
			out.Redeliver = "/api/v1/partners/" + it.WebhookPartnerID + "/webhooks/" + it.WebhookID +
				"/deliveries/" + id + "/redeliver"
		}
	case store.OutboxTelegram:
		if it.State == string(store.ChatMessageFailed) {
			out.Retry = "/api/v1/deliveries/telegram/" + id + "/retry"
		}
	}
	return out
}

// displayURL is a webhook URL as the list shows it: without user info or
// query string, where a receiver's credentials would be.
func displayURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unreadable URL)"
	}
	u.User, u.Fragment, u.RawFragment = nil, "", ""
	if u.RawQuery != "" || u.ForceQuery {
		u.RawQuery, u.ForceQuery = "...", false
	}
	return u.String()
}

// staffOnlyHidden answers a partner's user as a route that does not exist
// would.
func staffOnlyHidden(r *http.Request, c *caller) error {
	if c.p.Staff() {
		return nil
	}
	if isAPI(r) {
		return notFoundf("no such API endpoint: %s %s (the API is described at /api/v1/openapi.yaml)", r.Method, r.URL.Path)
	}
	return notFoundf("no such page: %s", r.URL.Path)
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// outboxFilter reads ?state=, ?limit= and ?before=; any other parameter
// (but the page's ?retried=, the notice after a retry), or a value it
// cannot read, is a 400 rather than ignored.
func outboxFilter(r *http.Request) (store.OutboxFilter, error) {
	q := r.URL.Query()
	f := store.OutboxFilter{Limit: defaultListedOutbox}
	for k := range q {
		switch {
		case k == "state", k == "limit", k == "before":
		case k == "retried" && !isAPI(r):
		default:
			return f, badRequest("unknown query parameter %q: the list takes state, limit and before", truncate(k, 40))
		}
	}
	switch st := q.Get("state"); st {
	case "", "failed", "pending":
		f.State = st
	default:
		return f, badRequest("state must be failed or pending (or left out for both), got %q", truncate(st, 20))
	}
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 || n > maxListedOutbox {
			return f, badRequest("limit must be a number from 1 to %d, got %q", maxListedOutbox, truncate(q.Get("limit"), 20))
		}
		f.Limit = n
	}
	if q.Has("before") {
		c, err := store.ParseOutboxCursor(q.Get("before"))
		if err != nil {
			return f, badRequest("before must be the cursor of a listed item (its cursor, or the list's next), got %q",
				truncate(q.Get("before"), 40))
		}
		f.Before = &c
	}
	return f, nil
}

func (s *Server) deliveries(r *http.Request, c *caller) (store.OutboxFilter, DeliveriesJSON, error) {
	f, err := outboxFilter(r)
	if err != nil {
		return f, DeliveriesJSON{}, err
	}
	items, more, err := s.store.ListOutbox(r.Context(), c.p, f)
	if err != nil {
		return f, DeliveriesJSON{}, err
	}
	out := DeliveriesJSON{Items: convertAll(items, outboxItemJSON)}
	if more && len(items) > 0 {
		out.Next = items[len(items)-1].Cursor().String()
	}
	return f, out, nil
}

func (s *Server) apiDeliveries(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := staffOnlyHidden(r, c); err != nil {
		return err
	}
	_, out, err := s.deliveries(r, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// deliveriesPage is the page's data: the list, the filter it shows, and
// the query of the next page.
type deliveriesPage struct {
	DeliveriesJSON
	State    string
	NextPage string
	Notice   string
}

func (s *Server) pageDeliveries(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := staffOnlyHidden(r, c); err != nil {
		return err
	}
	f, out, err := s.deliveries(r, c)
	if err != nil {
		return err
	}
	pg := deliveriesPage{DeliveriesJSON: out, State: f.State}
	if out.Next != "" {
		q := url.Values{"before": {out.Next}}
		if f.State != "" {
			q.Set("state", f.State)
		}
		if r.URL.Query().Has("limit") {
			q.Set("limit", strconv.Itoa(f.Limit))
		}
		pg.NextPage = "/deliveries?" + q.Encode()
	}
	if id, err := strconv.ParseInt(r.URL.Query().Get("retried"), 10, 64); err == nil {
		pg.Notice = fmt.Sprintf("Telegram message %d is queued again: the bot's replica sends it with its retries.", id)
	}
	return s.render(w, http.StatusOK, "deliveries", s.pageFor(c, "Deliveries", pg))
}

// messageParam reads the {message} path parameter, a Telegram message's
// number.
func messageParam(r *http.Request) (int64, error) {
	raw := r.PathValue("message")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, notFoundf("no such Telegram message: %q is not a message number", truncate(raw, 40))
	}
	return id, nil
}

func (s *Server) apiRetryTelegram(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := staffOnlyHidden(r, c); err != nil {
		return err
	}
	if err := noBody(r); err != nil {
		return err
	}
	id, err := messageParam(r)
	if err != nil {
		return err
	}
	it, err := s.retryTelegram(r.Context(), c.p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, it)
	return nil
}

func (s *Server) formRetryTelegram(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := staffOnlyHidden(r, c); err != nil {
		return err
	}
	id, err := messageParam(r)
	if err != nil {
		return err
	}
	if _, err := s.retryTelegram(r.Context(), c.p, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/deliveries?state=failed&retried="+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// retryTelegram requeues a failed Telegram message (store.RetryChatMessage),
// audited as telegram.retry (refusals too), and wakes this replica's
// sender; a replica with the bot elsewhere finds it at its next claim.
func (s *Server) retryTelegram(ctx context.Context, p store.Principal, id int64) (OutboxItemJSON, error) {
	m, err := s.store.RetryChatMessage(ctx, p, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = notFoundf("no Telegram message %d in the outbox (sent, pruned, or never queued)", id)
	case errors.Is(err, store.ErrConflict):
		err = &InputError{Status: http.StatusConflict,
			Msg: fmt.Sprintf("Telegram message %d is still pending: its next attempt is scheduled; only a failed message is retried", id)}
	}
	params := map[string]string{"message": strconv.FormatInt(id, 10)}
	if err == nil {
		params["chat"], params["event"] = strconv.FormatInt(m.ChatID, 10), m.Event
	}
	s.audit(ctx, p, m.PartnerID, "telegram.retry", "telegram message "+strconv.FormatInt(id, 10), params, err)
	if err != nil {
		return OutboxItemJSON{}, err
	}
	s.chats.notify()
	it := store.OutboxItem{Kind: store.OutboxTelegram, ID: m.ID, PartnerID: m.PartnerID, Event: m.Event,
		State: string(m.State), Attempts: m.Attempts, CreatedAt: m.CreatedAt, NextAttemptAt: m.NextAttemptAt, ChatID: m.ChatID}
	if m.Doc != nil {
		it.Document = m.Doc.Name
	}
	if m.PartnerID != "" {
		if pt, err := s.store.GetPartner(ctx, p, m.PartnerID); err == nil {
			it.PartnerName = pt.Name
		}
	}
	return outboxItemJSON(it), nil
}

// RedeliverForm is the page's form action for Redeliver: the partner
// page's own route, which returns to the Deliveries page (back=deliveries).
func (o OutboxItemJSON) RedeliverForm() string { return strings.TrimPrefix(o.Redeliver, "/api/v1") }
