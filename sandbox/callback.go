package sandbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"

	"github.com/golive-cert/golive/callbacks"
)

// DefaultChecksumKey signs callbacks and verifies webhook events unless
// WithChecksumKey says otherwise.
const DefaultChecksumKey = "sandbox-checksum-key"

// checksumField is the body field that carries the signature, in callbacks
// and in webhook events alike; it is left out of what is signed.
const checksumField = "checksum"

// callbackEvents names one API's callback events, as its spec lists them.
type callbackEvents struct{ success, failure string }

func collectionEvents() callbackEvents { return callbackEvents{"PAYMENT RECEIVED", "PAYMENT FAILED"} }
func payoutEvents() callbackEvents     { return callbackEvents{"PAYOUT SUCCESS", "PAYOUT FAILED"} }

// callbackBody is the spec's CollectionCallback and PayoutCallback.
type callbackBody struct {
	Event          string  `json:"event"`
	OrderReference string  `json:"orderReference"`
	Amount         string  `json:"amount"`
	Currency       string  `json:"currency"`
	Status         string  `json:"status"`
	Channel        string  `json:"channel"`
	FailureReason  *string `json:"failureReason"`
	OccurredAt     string  `json:"occurredAt"`
	Checksum       string  `json:"checksum,omitempty"`
}

// callBackWhenFinal arranges the callback of a new order that asked for one:
// when it settles, or (callback-early) right now, before the caller writes
// the initiate response. Orders that never settle never call back, and
// callback URLs off loopback are accepted but not called (see WithAnyCallbackHost).
func (s *Sandbox) callBackWhenFinal(events callbackEvents, o order) {
	if o.CallbackURL == "" || s.has(FaultNoCallback) || s.has(FaultNeverFinal) || !s.mayCallBack(o.CallbackURL) {
		return
	}
	if s.has(FaultCallbackEarly) {
		s.notifier.now(s.callbackOf(events, o))
		return
	}
	// The timer runs on the real clock: with WithClock the callback still
	// comes settleAfter after creation, carrying the final status. An order
	// forced meanwhile (ForceOutcome) has had its callback already.
	send := func(ctx context.Context) {
		cur, err := s.claimSettle(o)
		if err == nil {
			s.callbackOf(events, cur)(ctx)
		}
	}
	s.notifier.after(s.settleDelay(o), send)
}

// claimSettle marks the order as settled by its timer and returns it as
// stored now; errForced when ForceOutcome settled it first. An order no
// longer stored (evicted) is returned as it was created.
func (s *Sandbox) claimSettle(o order) (order, error) {
	cur, ok, err := s.storeOf(o).update(o.OrderReference, func(p *order) error {
		if p.id != o.id {
			return nil // replaced (duplicate-accepted): its own timer settles it
		}
		if p.forced != nil {
			return errForced
		}
		p.settled = true
		return nil
	})
	if !ok || cur.id != o.id {
		return o, err
	}
	return cur, err
}

// errForced: the order's outcome was forced before its timer fired.
var errForced = errors.New("sandbox: outcome forced")

// callbackOf is the sending of o's callback, as the faults shape it.
func (s *Sandbox) callbackOf(events callbackEvents, o order) func(context.Context) {
	return func(ctx context.Context) {
		body, err := s.signedCallback(events, o)
		if err != nil {
			return // only the sandbox's own types are encoded; nothing to tell anyone
		}
		if !s.has(FaultCallbackDuplicate) {
			s.sendCallback(ctx, o, body)
			return
		}
		// Both copies at once, as a sender retrying on a timer of its own
		// would: a client that stops listening after the first still sees
		// the second arrive while it handles the first.
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { s.sendCallback(ctx, o, body) })
		}
		wg.Wait()
	}
}

// signedCallback builds the callback of a settled order, as the status
// query reports it, and signs it (or, under callback-bad-signature, signs
// it wrongly).
func (s *Sandbox) signedCallback(events callbackEvents, o order) ([]byte, error) {
	p := s.finalProgress(o)
	body := callbackBody{
		Event:          events.success,
		OrderReference: o.OrderReference,
		Amount:         s.reportedAmount(o),
		Currency:       o.Currency,
		Status:         p.status,
		Channel:        o.channel,
		FailureReason:  p.failureReason,
		OccurredAt:     timestamp(p.updatedAt),
	}
	if p.status == statusFailed {
		body.Event = events.failure
	}
	if s.has(FaultCallbackDisagrees) {
		body.Amount = grossAmount(body.Amount, feeOf(o))
	}
	unsigned, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	if s.has(FaultCallbackBadSignature) {
		body.Checksum = hmacHex(s.cfg.checksumKey, unsigned) // not the canonical payload
	} else if body.Checksum, err = callbacks.Sign(unsigned, s.cfg.checksumKey, checksumField); err != nil {
		return nil, err
	}
	return json.Marshal(body)
}

// feeOf is the order's fee: stored for payouts, derived for collections.
func feeOf(o order) string {
	if o.fee != "" {
		return o.fee
	}
	return orderFee(o.Amount)
}

// grossAmount is amount plus fee, the amount a careless partner reports.
func grossAmount(amount, fee string) string {
	a, errA := parseAmount(amount)
	f, errF := parseAmount(fee)
	if errA != nil || errF != nil {
		return amount + "1" // unparseable only under no-validation; anything different will do
	}
	return (a + f).String()
}

// hmacHex is HMAC-SHA256 of data as is, hex encoded.
func hmacHex(key string, data []byte) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(data)
	return hex.EncodeToString(mac.Sum(nil))
}
