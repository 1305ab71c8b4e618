package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/telegram"
)

// Outgoing event names (webhook subscriptions name these).
const (
	eventRunFinished = "run.finished"
	eventRegressed   = "partner.regressed"
	eventSignedOff   = "signoff.recorded"
	// eventUATCompleted: a UAT session ended and was graded (or a HAR was).
	eventUATCompleted = "uat.completed"
)

// webhookEvents lists the events a webhook may subscribe to.
func webhookEvents() []string {
	return []string{eventRunFinished, eventRegressed, eventSignedOff, eventUATCompleted}
}

// hubEvent is something the hub tells the outside about.
type hubEvent struct {
	Kind    string
	Partner store.Partner
	Run     store.Run
	Against int64 // the last good run (regressions)
	Summary string
	ReplyTo int64 // the Telegram chat that started the run
	// UAT is the session of a uat.completed event (Run is then empty).
	UAT *store.UATSession
}

// WebhookPayload is the JSON body of an outgoing webhook. It holds ids,
// names and verdicts: never evidence or a secret.
type WebhookPayload struct {
	Event     string    `json:"event"`
	At        time.Time `json:"at"`
	PartnerID string    `json:"partnerId"`
	Partner   string    `json:"partner"`
	RunID     int64     `json:"runId"`
	APIs      []string  `json:"apis"`
	State     string    `json:"state"`
	Verdict   string    `json:"verdict,omitempty"`
	Against   int64     `json:"againstRunId,omitempty"`
	Summary   string    `json:"summary,omitempty"`
	Link      string    `json:"link,omitempty"`
	// UATSessionID names the session of a uat.completed event.
	UATSessionID string `json:"uatSessionId,omitempty"`
}

// SignatureHeader carries the HMAC-SHA256 of the body under the webhook's
// secret, hex, when it has one.
const SignatureHeader = "X-Golive-Signature"

type notifier struct{ s *Server }

// send tells the outside about ev: the subscribed webhooks get a delivery
// each, and the Telegram chats their messages, written now to the store's
// outboxes in one transaction. Any replica posts the webhook deliveries
// (and retries them), so a slow or failing receiver never holds a worker;
// the replica that runs the bot sends the chats' messages, whichever
// replica the event happened on.
func (n *notifier) send(ctx context.Context, ev hubEvent) {
	s := n.s
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	body, err := json.Marshal(n.payload(ev))
	if err != nil {
		s.log.Error("webhook body", "err", err)
		return
	}
	te, chats := n.chatMessages(ctx, ev)
	k, c, err := s.store.EnqueueEvent(ctx, store.System(), store.OutboxEvent{Event: ev.Kind,
		PartnerID: ev.Partner.ID, Payload: body, Chats: chats})
	if err != nil {
		s.log.Error("notifications not written", "event", ev.Kind, "partner", ev.Partner.ID, "err", err)
		return
	}
	if k > 0 {
		s.outbox.notify()
	}
	if c > 0 {
		s.chats.notify()
		distinct := map[int64]bool{}
		for _, m := range chats {
			distinct[m.ChatID] = true
		}
		h := &tgHub{s: s}
		if err := h.Record(ctx, telegram.AuditEntry{Caller: "hub", Partner: te.Partner, Action: "notify:" + string(te.Kind),
			Params: map[string]string{"run": te.RunID, "chats": strconv.Itoa(len(distinct))}, Outcome: telegram.AuditOK,
			Detail: "queued"}); err != nil {
			s.log.Error("audit telegram notification", "event", ev.Kind, "err", err)
		}
	}
}

// hasReport says whether a run's or session's files hold its HTML report,
// not pruned: the outbox stores a reference to it and reads its bytes only
// when the message is sent, so they are not read here as well.
func hasReport(files []store.ArtifactInfo) bool {
	for _, a := range files {
		if a.Name == reports.HTMLFile && !a.Pruned {
			return true
		}
	}
	return false
}

func (n *notifier) link(path string) string {
	if n.s.cfg.PublicURL == "" {
		return ""
	}
	return n.s.cfg.PublicURL + path
}

// payload is the event's webhook body.
func (n *notifier) payload(ev hubEvent) WebhookPayload {
	payload := WebhookPayload{Event: ev.Kind, At: n.s.cfg.Now().UTC(), PartnerID: ev.Partner.ID,
		Partner: ev.Partner.Name, RunID: ev.Run.ID, APIs: ev.Run.APIs, State: string(ev.Run.State),
		Verdict: string(ev.Run.Verdict), Against: ev.Against, Summary: ev.Summary,
		Link: n.link("/runs/" + strconv.FormatInt(ev.Run.ID, 10))}
	if u := ev.UAT; u != nil {
		payload.UATSessionID, payload.APIs, payload.State = u.ID, u.APIs, string(u.State)
		payload.Verdict, payload.Link = string(u.Verdict), n.link(uatPath(u.PartnerID, u.ID))
	}
	return payload
}

// chatMessages are the event's Telegram messages, chat by chat, as the
// outbox stores them: the texts, and the report as a reference to the
// stored artifact (read when it is sent). None for an event the chats do
// not hear about, or when the chats cannot be read (logged: the webhooks
// are still told).
func (n *notifier) chatMessages(ctx context.Context, ev hubEvent) (telegram.Event, []store.ChatMessage) {
	s := n.s
	te := telegram.Event{Partner: ev.Partner.ID, API: joinAPIs(ev.Run.APIs), Verdict: verdictOrState(ev.Run),
		Summary: ev.Summary, ReplyTo: telegram.ChatID(ev.ReplyTo)}
	if ev.Run.ID != 0 {
		te.RunID = strconv.FormatInt(ev.Run.ID, 10)
		te.Link = n.link("/runs/" + te.RunID)
	}
	var doc *store.ChatDocument
	switch ev.Kind {
	case eventRunFinished:
		te.Kind = telegram.EventRunFinished
		if res, err := s.loadResults(ctx, store.System(), ev.Run.ID); err == nil {
			te.Failing = failingItems(res)
		}
		if list, err := s.store.ListArtifacts(ctx, store.System(), ev.Run.ID); err == nil && hasReport(list) {
			doc = &store.ChatDocument{Name: fmt.Sprintf("golive-run-%d.html", ev.Run.ID), RunID: ev.Run.ID, File: reports.HTMLFile}
		}
	case eventRegressed:
		te.Kind = telegram.EventRegression
	case eventSignedOff:
		te.Kind = telegram.EventSignedOff
	case eventUATCompleted:
		te.Kind = telegram.EventUATCompleted
		if u := ev.UAT; u != nil {
			te.RunID, te.API, te.Verdict = u.ID, joinAPIs(u.APIs), orNone(string(u.Verdict))
			te.Link = n.link("/partners/" + u.PartnerID + "/uat-sessions/" + u.ID)
			if list, err := s.store.ListUATArtifacts(ctx, store.System(), u.ID); err == nil && hasReport(list) {
				doc = &store.ChatDocument{Name: "golive-uat-" + u.ID + ".html", UATSessionID: u.ID, File: reports.HTMLFile}
			}
		}
	default:
		return te, nil // an event the chats do not hear about
	}
	if doc != nil {
		te.Report = &telegram.Document{Name: doc.Name} // its bytes are read when sent
	}
	msgs, err := telegram.Messages(ctx, &tgHub{s: s}, te)
	if err != nil {
		s.log.Error("telegram notification not queued", "event", ev.Kind, "partner", ev.Partner.ID, "err", err)
		return te, nil
	}
	out := make([]store.ChatMessage, 0, len(msgs))
	for _, m := range msgs {
		cm := store.ChatMessage{ChatID: int64(m.Chat), Text: m.Text}
		if m.Document != nil {
			cm.Doc = doc
		}
		out = append(out, cm)
	}
	return te, out
}

func failingItems(doc *results.Run) []telegram.FailingItem {
	var out []telegram.FailingItem
	for _, it := range doc.Items {
		if it.Status == results.Fail || it.Status == results.Error {
			out = append(out, telegram.FailingItem{ID: it.ID, Title: it.Title, Severity: string(it.Severity),
				Category: string(it.Category), FAQ: it.FAQ})
		}
	}
	return out
}

func verdictOrState(r store.Run) string {
	if r.Verdict != "" && r.State == store.RunDone {
		return string(r.Verdict)
	}
	return string(r.State)
}
