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
// each in the store's outbox, written now and posted (and retried) by the
// outbox loop, so a slow or failing receiver never holds a worker; the
// Telegram chats, when the bot runs, are told in the background (tracked
// by Stop).
func (n *notifier) send(ctx context.Context, ev hubEvent) {
	n.webhooks(ctx, ev)
	n.chats(ctx, ev)
}

// chats tells the Telegram chats about ev in the background, when this
// replica runs the bot.
func (n *notifier) chats(ctx context.Context, ev hubEvent) {
	s := n.s
	if s.bot == nil {
		return
	}
	s.running.Add(1)
	go func() {
		defer s.running.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		n.telegram(ctx, ev)
	}()
}

func (n *notifier) link(path string) string {
	if n.s.cfg.PublicURL == "" {
		return ""
	}
	return n.s.cfg.PublicURL + path
}

// webhooks writes the event's deliveries to the outbox and wakes it.
func (n *notifier) webhooks(ctx context.Context, ev hubEvent) {
	s := n.s
	payload := WebhookPayload{Event: ev.Kind, At: s.cfg.Now().UTC(), PartnerID: ev.Partner.ID,
		Partner: ev.Partner.Name, RunID: ev.Run.ID, APIs: ev.Run.APIs, State: string(ev.Run.State),
		Verdict: string(ev.Run.Verdict), Against: ev.Against, Summary: ev.Summary,
		Link: n.link("/runs/" + strconv.FormatInt(ev.Run.ID, 10))}
	if u := ev.UAT; u != nil {
		payload.UATSessionID, payload.APIs, payload.State = u.ID, u.APIs, string(u.State)
		payload.Verdict, payload.Link = string(u.Verdict), n.link(uatPath(u.PartnerID, u.ID))
	}
	body, err := json.Marshal(payload)
	if err != nil {
		s.log.Error("webhook body", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	k, err := s.store.EnqueueDeliveries(ctx, store.System(), store.OutboxEvent{Event: ev.Kind,
		PartnerID: ev.Partner.ID, Payload: body})
	if err != nil {
		s.log.Error("webhook deliveries not written", "event", ev.Kind, "partner", ev.Partner.ID, "err", err)
		return
	}
	if k > 0 {
		s.outbox.notify()
	}
}

func (n *notifier) telegram(ctx context.Context, ev hubEvent) {
	s := n.s
	if s.bot == nil {
		return
	}
	te := telegram.Event{Partner: ev.Partner.ID, API: joinAPIs(ev.Run.APIs), Verdict: verdictOrState(ev.Run),
		Summary: ev.Summary, ReplyTo: telegram.ChatID(ev.ReplyTo)}
	if ev.Run.ID != 0 {
		te.RunID = strconv.FormatInt(ev.Run.ID, 10)
		te.Link = n.link("/runs/" + te.RunID)
	}
	switch ev.Kind {
	case eventRunFinished:
		te.Kind = telegram.EventRunFinished
		if doc, err := s.loadResults(ctx, store.System(), ev.Run.ID); err == nil {
			te.Failing = failingItems(doc)
		}
		if _, html, err := s.store.GetArtifact(ctx, store.System(), ev.Run.ID, reports.HTMLFile); err == nil && html != nil {
			te.Report = &telegram.Document{Name: fmt.Sprintf("golive-run-%d.html", ev.Run.ID), Data: html}
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
			if _, html, err := s.store.GetUATArtifact(ctx, store.System(), u.ID, reports.HTMLFile); err == nil && html != nil {
				te.Report = &telegram.Document{Name: "golive-uat-" + u.ID + ".html", Data: html}
			}
		}
	default:
		return // an event the chats do not hear about
	}
	if err := s.bot.Notify(ctx, te); err != nil {
		s.log.Warn("telegram notification not delivered", "event", ev.Kind, "err", err)
	}
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
