package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/golive-cert/golive/server/store"
)

// What staff do with a partner's webhook besides adding, editing and
// deleting it (api.go): list its deliveries, redeliver one, rotate its
// secret. Each is for those who may edit the webhook (staff), on the
// partner's own webhook only: another partner's webhook or delivery
// answers 404, like one that does not exist.

// maxListedDeliveries bounds GET .../deliveries?limit=.
const maxListedDeliveries = 200

// deliveryParam reads the {delivery} path parameter, a delivery's number.
func deliveryParam(r *http.Request) (int64, error) {
	raw := r.PathValue("delivery")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, notFoundf("no such delivery: %q is not a delivery number", truncate(raw, 40))
	}
	return id, nil
}

// noBody accepts no body, or an empty JSON object, on a route that takes
// nothing: anything more (a secret to set, text that is not JSON) is
// refused with a 400 rather than ignored.
func noBody(r *http.Request) error {
	br := bufio.NewReader(r.Body)
	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		return nil
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{br, r.Body}
	var none struct{}
	return decodeJSON(r, &none)
}

func (s *Server) apiListDeliveries(w http.ResponseWriter, r *http.Request, c *caller) error {
	limit := 50
	if raw := r.URL.Query().Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxListedDeliveries {
			return badRequest("limit must be a number from 1 to %d", maxListedDeliveries)
		}
		limit = n
	}
	ds, err := s.webhookDeliveries(r.Context(), c.p, r.PathValue("partner"), r.PathValue("webhook"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ds)
	return nil
}

// webhookDeliveries lists the latest deliveries (at most limit) of one of
// the partner's webhooks, newest first (staff).
func (s *Server) webhookDeliveries(ctx context.Context, p store.Principal, partnerID, id string, limit int) ([]DeliveryJSON, error) {
	if _, err := s.partnerWebhook(ctx, p, partnerID, id); err != nil {
		return nil, err
	}
	ds, err := s.store.ListDeliveries(ctx, p, id, limit)
	if err != nil {
		return nil, err
	}
	return convertAll(ds, deliveryJSON), nil
}

func (s *Server) apiRedeliver(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := noBody(r); err != nil {
		return err
	}
	id, err := deliveryParam(r)
	if err != nil {
		return err
	}
	d, err := s.redeliver(r.Context(), c.p, r.PathValue("partner"), r.PathValue("webhook"), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, deliveryJSON(d))
	return nil
}

func (s *Server) formRedeliver(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := deliveryParam(r)
	if err != nil {
		return err
	}
	if _, err := s.redeliver(r.Context(), c.p, r.PathValue("partner"), r.PathValue("webhook"), id); err != nil {
		return err
	}
	if r.PostFormValue("back") == "deliveries" { // the Deliveries page's button
		http.Redirect(w, r, "/deliveries?state=failed", http.StatusSeeOther)
		return nil
	}
	return s.backToPartner(w, r, "#webhooks")
}

// redeliver queues a new delivery of one of the webhook's deliveries that
// is over (store.RedeliverDelivery), audited, and wakes the sender.
func (s *Server) redeliver(ctx context.Context, p store.Principal, partnerID, webhookID string, deliveryID int64) (store.Delivery, error) {
	if _, err := s.partnerWebhook(ctx, p, partnerID, webhookID); err != nil {
		return store.Delivery{}, err
	}
	d, err := s.store.RedeliverDelivery(ctx, p, webhookID, deliveryID)
	if errors.Is(err, store.ErrNotFound) {
		err = notFoundf("no delivery %d of this webhook", deliveryID)
	}
	params := map[string]string{"delivery": strconv.FormatInt(deliveryID, 10)}
	if err == nil {
		params["redelivery"], params["event"] = strconv.FormatInt(d.ID, 10), d.Event
	}
	s.audit(ctx, p, partnerID, "webhook.redeliver", "webhook "+webhookID, params, err)
	if err != nil {
		return store.Delivery{}, err
	}
	s.outbox.notify()
	return d, nil
}

// WebhookSecretJSON is a webhook with its new signing secret: the one
// answer that carries it (rotate-secret).
type WebhookSecretJSON struct {
	WebhookJSON
	Secret string `json:"secret"`
}

func (s *Server) apiRotateWebhookSecret(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := noBody(r); err != nil {
		return err
	}
	secret, h, err := s.rotateWebhookSecret(r.Context(), c.p, r.PathValue("partner"), r.PathValue("webhook"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, WebhookSecretJSON{WebhookJSON: webhookJSON(h), Secret: secret})
	return nil
}

// formRotateWebhookSecret answers with the partner page itself (not a
// redirect), showing the new secret this once: the hub keeps it sealed
// and no page shows it again. The page is read first, so that a secret
// once made is always shown.
func (s *Server) formRotateWebhookSecret(w http.ResponseWriter, r *http.Request, c *caller) error {
	partnerID := r.PathValue("partner")
	pg, err := s.partnerPageData(r.Context(), c, partnerID)
	if err != nil {
		return err
	}
	secret, h, err := s.rotateWebhookSecret(r.Context(), c.p, partnerID, r.PathValue("webhook"))
	if err != nil {
		return err
	}
	for i := range pg.Webhooks {
		if pg.Webhooks[i].ID == h.ID {
			pg.Webhooks[i].WebhookJSON = webhookJSON(h) // signed now, if it was not
		}
	}
	pg.NewSecret = &newSecretView{WebhookID: h.ID, Secret: secret}
	return s.render(w, http.StatusOK, "partner", s.pageFor(c, pg.Partner.Name, pg))
}

// newSecretView is a webhook's new secret, on the one page that shows it.
type newSecretView struct {
	WebhookID string
	Secret    string
}

// rotateWebhookSecret gives one of the partner's webhooks a new secret
// (store.RotateWebhookSecret), audited without it.
func (s *Server) rotateWebhookSecret(ctx context.Context, p store.Principal, partnerID, id string) (string, store.Webhook, error) {
	if _, err := s.partnerWebhook(ctx, p, partnerID, id); err != nil {
		return "", store.Webhook{}, err
	}
	secret, h, err := s.store.RotateWebhookSecret(ctx, p, id)
	s.audit(ctx, p, partnerID, "webhook.rotate-secret", "webhook "+id, nil, err)
	return secret, h, err
}
