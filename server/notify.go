package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
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

// send delivers ev to the subscribed webhooks and, when the bot runs, to
// the Telegram chats. Delivery happens in the background (tracked by Stop)
// so that a slow receiver never holds a worker.
func (n *notifier) send(ctx context.Context, ev hubEvent) {
	s := n.s
	s.running.Add(1)
	go func() {
		defer s.running.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		n.webhooks(ctx, ev)
		n.telegram(ctx, ev)
	}()
}

func (n *notifier) link(path string) string {
	if n.s.cfg.PublicURL == "" {
		return ""
	}
	return n.s.cfg.PublicURL + path
}

func (n *notifier) webhooks(ctx context.Context, ev hubEvent) {
	s := n.s
	hooks, err := s.store.ListWebhooks(ctx, store.System(), "")
	if err != nil {
		s.log.Error("webhooks", "err", err)
		return
	}
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
	for _, h := range hooks {
		if !h.Enabled || (h.PartnerID != "" && h.PartnerID != ev.Partner.ID) || !slices.Contains(h.Events, ev.Kind) {
			continue
		}
		if err := n.post(ctx, h, body); err != nil {
			// The URL is the team's own configuration; the error names it
			// but never the secret.
			s.log.Warn("webhook not delivered", "webhook", h.ID, "event", ev.Kind, "err", err)
		}
	}
}

func (n *notifier) post(ctx context.Context, h store.Webhook, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if h.HasSecret {
		secret, err := n.s.store.WebhookSecret(ctx, store.System(), h.ID)
		if err != nil {
			return err
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		req.Header.Set(SignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := n.s.cfg.WebhookClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
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
