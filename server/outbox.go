package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/golive-cert/golive/server/store"
)

// DefaultWebhookBackoff is the wait before each retry of a failed webhook
// delivery: the first retry 10 s after the first attempt, ..., the last
// 6 h after the one before. A delivery whose every attempt failed (one
// more than the waits) is failed, shown to staff with its last error.
func DefaultWebhookBackoff() []time.Duration {
	return []time.Duration{10 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour}
}

// webhookDeliveriesKeep is how long housekeeping keeps a delivery that is
// over (delivered or failed): long enough for staff to look back at a
// partner's month on its page, short enough that the outbox does not grow
// with every event the hub ever sent.
const webhookDeliveriesKeep = 30 * 24 * time.Hour

// Headers of an outgoing webhook besides the signature.
const (
	EventHeader    = "X-Golive-Event"
	DeliveryHeader = "X-Golive-Delivery" // the delivery's id: the same on every attempt, for the receiver to deduplicate
	// RedeliveryHeader is on a redelivery only (staff's Redeliver): the id
	// of the delivery it repeats. The redelivery's own id is new.
	RedeliveryHeader = "X-Golive-Redelivery-Of"
)

// outbox delivers the webhook deliveries the store holds: claimed a few at
// a time (SKIP LOCKED on PostgreSQL, so each attempt is one replica's), each
// posted by a sender of its own, so a slow receiver holds one sender and
// never a run worker; retried with the configured backoff and jitter.
type outbox struct {
	s    *Server
	wake waker
}

func newOutbox(s *Server) *outbox { return &outbox{s: s, wake: newWaker()} }

// notify wakes the loop: deliveries were written, or a sender is free.
func (o *outbox) notify() { o.wake.notify() }

// lease is how long a claimed delivery stays with its sender: past it a
// replica that died mid-attempt lets another take the delivery again.
func (o *outbox) lease() time.Duration {
	return 2*o.s.cfg.WebhookClient.Timeout + time.Minute
}

func (o *outbox) start(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		o.loop(ctx, wg)
	}()
}

func (o *outbox) loop(ctx context.Context, wg *sync.WaitGroup) {
	sendLoop(ctx, wg, o.s, o.wake, o.s.cfg.WebhookSenders, "webhook deliveries",
		func(ctx context.Context, n int) ([]store.Delivery, error) {
			return o.s.store.ClaimDeliveries(ctx, store.System(), n, o.lease())
		}, o.attempt)
}

// attempt posts one claimed delivery and records the outcome.
func (o *outbox) attempt(ctx context.Context, d store.Delivery) {
	s := o.s
	status, err := o.post(ctx, d)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	out := store.DeliveryOutcome{Status: status}
	if err != nil {
		out.Err = err.Error()
		if ctx.Err() != nil {
			out.RetryAt = s.cfg.Now() // cut off by a shutdown: the next start retries
		} else if wait, ok := o.backoff(d.Attempts); ok {
			out.RetryAt = s.cfg.Now().Add(wait)
		}
		// The URL is the team's own configuration; the error names it but
		// never the secret.
		s.log.Warn("webhook not delivered", "webhook", d.WebhookID, "delivery", d.ID, "event", d.Event,
			"attempt", d.Attempts, "retry", !out.RetryAt.IsZero(), "err", err)
	}
	switch rerr := s.store.RecordDelivery(rctx, store.System(), d.ID, out); {
	case errors.Is(rerr, store.ErrConflict):
		// Staff cancelled it while the attempt was out (an edit unticked its
		// event), or a replica took it over after the lease: not an error.
		s.log.Info("webhook delivery no longer pending: outcome not recorded", "delivery", d.ID, "webhook", d.WebhookID)
	case rerr != nil:
		s.log.Error("record webhook delivery", "delivery", d.ID, "err", rerr)
	}
}

// backoff is the wait after the attempt-th failed attempt, with ±20%
// jitter so that retries of many deliveries spread out; false when no
// attempt is left.
func (o *outbox) backoff(attempt int) (time.Duration, bool) {
	return jittered(o.s.cfg.WebhookBackoff, attempt)
}

// jittered is waits[attempt-1] ±20%, or false past the last wait.
func jittered(waits []time.Duration, attempt int) (time.Duration, bool) {
	if attempt < 1 || attempt > len(waits) {
		return 0, false
	}
	w := waits[attempt-1]
	return w + time.Duration((rand.Float64()*0.4-0.2)*float64(w)), true
}

// post makes one attempt, signed with the webhook's secret as it is now,
// and returns the receiver's status (0 when it did not answer).
func (o *outbox) post(ctx context.Context, d store.Delivery) (int, error) {
	s := o.s
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(EventHeader, d.Event)
	req.Header.Set(DeliveryHeader, strconv.FormatInt(d.ID, 10))
	if d.RedeliveryOf != 0 {
		req.Header.Set(RedeliveryHeader, strconv.FormatInt(d.RedeliveryOf, 10))
	}
	if d.HasSecret {
		secret, err := s.store.WebhookSecret(ctx, store.System(), d.WebhookID)
		if err != nil {
			return 0, fmt.Errorf("signing secret: %w", err)
		}
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(d.Payload)
		req.Header.Set(SignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := s.cfg.WebhookClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, errors.New("webhook answered " + resp.Status)
	}
	return resp.StatusCode, nil
}

// WebhookWithDeliveries is a webhook and its latest deliveries (API).
type WebhookWithDeliveries struct {
	WebhookJSON
	Deliveries []DeliveryJSON `json:"deliveries"`
}

// DeliveryJSON is one webhook delivery as staff see it.
type DeliveryJSON struct {
	ID            int64      `json:"id"`
	Event         string     `json:"event"`
	RunID         int64      `json:"runId,omitempty"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	LastError     string     `json:"lastError,omitempty"`
	CreatedAt     time.Time  `json:"createdAt"`
	DeliveredAt   *time.Time `json:"deliveredAt,omitempty"`
	// ResponseStatus is the receiver's HTTP status on the latest attempt
	// (absent: no attempt yet, or no answer).
	ResponseStatus int `json:"responseStatus,omitempty"`
	// RedeliveryOf is the delivery this one redelivers (staff's Redeliver).
	RedeliveryOf int64 `json:"redeliveryOf,omitempty"`
}

// Redeliverable is whether staff may redeliver it: it is over, failed or
// delivered (a pending one is attempted again anyway; a cancelled one is
// of an event its webhook no longer subscribes to).
func (d DeliveryJSON) Redeliverable() bool {
	return d.State == string(store.DeliveryFailed) || d.State == string(store.DeliveryDelivered)
}

func deliveryJSON(d store.Delivery) DeliveryJSON {
	out := DeliveryJSON{ID: d.ID, Event: d.Event, State: string(d.State), Attempts: d.Attempts,
		LastError: d.LastError, CreatedAt: d.CreatedAt, ResponseStatus: d.ResponseStatus, RedeliveryOf: d.RedeliveryOf}
	var p WebhookPayload
	if json.Unmarshal(d.Payload, &p) == nil {
		out.RunID = p.RunID
	}
	if d.State == store.DeliveryPending {
		t := d.NextAttemptAt
		out.NextAttemptAt = &t
	}
	if !d.DeliveredAt.IsZero() {
		t := d.DeliveredAt
		out.DeliveredAt = &t
	}
	return out
}

// apiListWebhooks lists the partner's webhooks with their latest 20
// deliveries each: staff see what was delivered, what is being retried and
// what failed, with the last error.
func (s *Server) apiListWebhooks(w http.ResponseWriter, r *http.Request, c *caller) error {
	out, err := s.partnerWebhooks(r.Context(), c.p, r.PathValue("partner"), 20)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// partnerWebhooks lists the partner's webhooks, each with its latest
// deliveries (at most recent).
func (s *Server) partnerWebhooks(ctx context.Context, p store.Principal, partnerID string, recent int) ([]WebhookWithDeliveries, error) {
	if _, err := s.store.GetPartner(ctx, p, partnerID); err != nil {
		return nil, err
	}
	hooks, err := s.store.ListWebhooks(ctx, p, partnerID)
	if err != nil {
		return nil, err
	}
	out := make([]WebhookWithDeliveries, 0, len(hooks))
	for _, h := range hooks {
		ds, err := s.store.ListDeliveries(ctx, p, h.ID, recent)
		if err != nil {
			return nil, err
		}
		wd := WebhookWithDeliveries{WebhookJSON: webhookJSON(h), Deliveries: make([]DeliveryJSON, 0, len(ds))}
		for _, d := range ds {
			wd.Deliveries = append(wd.Deliveries, deliveryJSON(d))
		}
		out = append(out, wd)
	}
	return out, nil
}
