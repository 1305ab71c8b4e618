package sandbox

import (
	"context"
	"strings"
	"time"
)

// Hooks let a host that wraps the sandbox (a UAT session certifying a
// partner's client) script per-order outcomes and take over callback
// delivery, without the sandbox learning what the host is for.

// OrderInfo is what a settle rule sees of a new order.
type OrderInfo struct {
	API            string // "collections" or "payouts"
	OrderReference string
	Amount         string // as sent
	PhoneNumber    string
}

// Callback is a signed callback the sandbox would POST to an order's callbackUrl.
type Callback struct {
	API            string
	URL            string
	OrderReference string
	Body           []byte // signed with the checksum key, ready to send
}

// WithSettleRule chooses, per order, how long it stays PROCESSING; a rule
// that returns a negative duration leaves the order to WithSettleAfter.
func WithSettleRule(rule func(OrderInfo) time.Duration) Option {
	return func(c *config) { c.settleRule = rule }
}

// WithCallbackSender hands every callback to send instead of POSTing it.
// send runs on the sandbox's callback goroutine and gets a context that
// Close cancels; any callbackUrl is handed over (the host decides where it
// may connect), and the callback faults still shape what is handed over.
func WithCallbackSender(send func(context.Context, Callback)) Option {
	return func(c *config) { c.callbackSender = send }
}

// settleDelay is how long o stays PROCESSING.
func (s *Sandbox) settleDelay(o order) time.Duration {
	if s.cfg.settleRule != nil {
		d := s.cfg.settleRule(OrderInfo{API: apiOf(o), OrderReference: o.OrderReference,
			Amount: o.Amount, PhoneNumber: o.PhoneNumber})
		if d >= 0 {
			return d
		}
	}
	return s.cfg.settleAfter
}

// mayCallBack reports whether a callback to rawURL is to be sent at all.
func (s *Sandbox) mayCallBack(rawURL string) bool {
	if s.cfg.callbackSender != nil {
		return callbackURLIssue(rawURL) == ""
	}
	return s.notifier.mayCall(rawURL)
}

// sendCallback delivers one callback body, through the host's sender if any.
func (s *Sandbox) sendCallback(ctx context.Context, o order, body []byte) {
	if s.cfg.callbackSender != nil {
		s.cfg.callbackSender(ctx, Callback{API: apiOf(o), URL: o.CallbackURL, OrderReference: o.OrderReference, Body: body})
		return
	}
	s.notifier.post(ctx, o.CallbackURL, body)
}

// apiOf names an order's API from its id prefix (see newID).
func apiOf(o order) string {
	if strings.HasPrefix(o.id, "pay_") {
		return "payouts"
	}
	return "collections"
}
