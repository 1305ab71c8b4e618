package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Operations a host runs on the sandbox's orders directly, outside the
// APIs: the team's test tools (the Telegram bot's /status, /callback and
// /outcome, a UAT session's hub). They act on orders by orderReference,
// collections first, then payouts.

// Outcome is a final state ForceOutcome can give an order.
type Outcome string

const (
	OutcomeSuccess Outcome = statusSuccess
	OutcomeFailed  Outcome = statusFailed
)

// ErrNotFound: no order has this reference.
var ErrNotFound = errors.New("sandbox: no order has this reference")

// FinalError: ForceOutcome on an order that is no longer PROCESSING.
type FinalError struct {
	OrderReference string
	Status         string // SUCCESS or FAILED
}

func (e *FinalError) Error() string {
	return fmt.Sprintf("sandbox: order %s is already %s; only a PROCESSING order's outcome can be forced", e.OrderReference, e.Status)
}

// NotFinalError: ResendCallback on an order still PROCESSING, which has
// no callback yet.
type NotFinalError struct{ OrderReference string }

func (e *NotFinalError) Error() string {
	return fmt.Sprintf("sandbox: order %s is still PROCESSING: it has no callback yet", e.OrderReference)
}

// NoCallbackError: ResendCallback on an order created without a callbackUrl.
type NoCallbackError struct{ OrderReference string }

func (e *NoCallbackError) Error() string {
	return fmt.Sprintf("sandbox: order %s was created without a callbackUrl", e.OrderReference)
}

// OutcomeError: an outcome other than SUCCESS or FAILED.
type OutcomeError struct{ Outcome Outcome }

func (e *OutcomeError) Error() string {
	return fmt.Sprintf("sandbox: outcome %q is not SUCCESS or FAILED", string(e.Outcome))
}

// Transaction is an order as a status query reports it now.
type Transaction struct {
	API            string // collections or payouts
	ID             string
	OrderReference string
	Amount         string // as sent
	Currency       string
	PhoneNumber    string
	Channel        string
	Status         string // PROCESSING, SUCCESS or FAILED
	FailureReason  string
	CallbackURL    string
	Forced         bool // the outcome was set by ForceOutcome
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Delivery is what came of resending a callback.
type Delivery struct {
	URL     string
	Status  int           // the receiver's HTTP status; 0 when none came
	Latency time.Duration // from sending to the answer (or the failure)
	Err     error         // why no answer came (refused, timed out, not loopback)
	// Handed is true when a host's sender (WithCallbackSender) took the
	// callback: the host, not the sandbox, knows how it went.
	Handed bool
}

// find is the order with this reference, and its API's store and events.
func (s *Sandbox) find(ref string) (order, *orderStore, callbackEvents, bool) {
	if o, ok := s.collections.get(ref); ok {
		return o, s.collections, collectionEvents(), true
	}
	if o, ok := s.payouts.get(ref); ok {
		return o, s.payouts, payoutEvents(), true
	}
	return order{}, nil, callbackEvents{}, false
}

// storeOf is the store that holds o.
func (s *Sandbox) storeOf(o order) *orderStore {
	if apiOf(o) == "payouts" {
		return s.payouts
	}
	return s.collections
}

func (s *Sandbox) transactionOf(o order) Transaction {
	p := s.progressOf(o)
	t := Transaction{API: apiOf(o), ID: o.id, OrderReference: o.OrderReference, Amount: o.Amount,
		Currency: o.Currency, PhoneNumber: o.PhoneNumber, Channel: o.channel, Status: p.status,
		CallbackURL: o.CallbackURL, Forced: o.forced != nil, CreatedAt: o.createdAt, UpdatedAt: p.updatedAt}
	if p.failureReason != nil {
		t.FailureReason = *p.failureReason
	}
	return t
}

// Transaction is the order with this reference now, or ErrNotFound.
func (s *Sandbox) Transaction(ref string) (Transaction, error) {
	o, _, _, ok := s.find(ref)
	if !ok {
		return Transaction{}, fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	return s.transactionOf(o), nil
}

// ForceOutcome settles a PROCESSING order now as SUCCESS or FAILED
// (INSUFFICIENT_FUNDS), and calls it back as a settle would, in the
// background (a callback fault still shapes it; no-callback sends none).
// Errors: ErrNotFound, *FinalError for an order already final, *OutcomeError.
func (s *Sandbox) ForceOutcome(ref string, outcome Outcome) (Transaction, error) {
	outcome = Outcome(strings.ToUpper(string(outcome)))
	if outcome != OutcomeSuccess && outcome != OutcomeFailed {
		return Transaction{}, &OutcomeError{Outcome: outcome}
	}
	_, st, events, ok := s.find(ref)
	if !ok {
		return Transaction{}, fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	o, ok, err := st.update(ref, func(p *order) error {
		if now := s.progressOf(*p); p.forced != nil || p.settled || now.status != statusProcessing {
			return &FinalError{OrderReference: ref, Status: s.finalProgress(*p).status}
		}
		forced := progress{status: string(outcome), updatedAt: s.cfg.now()}
		if outcome == OutcomeFailed {
			reason := insufficientFunds
			forced.failureReason = &reason
		}
		p.forced = &forced
		return nil
	})
	if !ok {
		return Transaction{}, fmt.Errorf("%w: %s", ErrNotFound, ref) // evicted meanwhile
	}
	if err != nil {
		return Transaction{}, err
	}
	if o.CallbackURL != "" && !s.has(FaultNoCallback) && s.mayCallBack(o.CallbackURL) {
		s.notifier.after(0, s.callbackOf(events, o))
	}
	return s.transactionOf(o), nil
}

// ResendCallback sends a final order's callback again, signed as usual,
// once (no fault applies), and reports what the receiver answered. The
// callback goes through the host's sender when there is one (WithCallbackSender).
// Errors: ErrNotFound, *NoCallbackError, *NotFinalError; a failed delivery
// is not an error but the Delivery's Err.
func (s *Sandbox) ResendCallback(ctx context.Context, ref string) (Delivery, error) {
	o, _, events, ok := s.find(ref)
	if !ok {
		return Delivery{}, fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	if o.CallbackURL == "" {
		return Delivery{}, &NoCallbackError{OrderReference: ref}
	}
	if s.progressOf(o).status == statusProcessing && !o.settled {
		return Delivery{}, &NotFinalError{OrderReference: ref}
	}
	body, err := s.signedCallback(events, o)
	if err != nil {
		return Delivery{}, err
	}
	d := Delivery{URL: o.CallbackURL}
	start := time.Now()
	switch {
	case s.cfg.callbackSender != nil:
		s.cfg.callbackSender(ctx, Callback{API: apiOf(o), URL: o.CallbackURL, OrderReference: o.OrderReference, Body: body})
		d.Handed = true
	case !s.notifier.mayCall(o.CallbackURL):
		d.Err = errors.New("the callbackUrl is not on loopback, and this sandbox calls only loopback")
	default:
		d.Status, d.Err = s.notifier.deliver(ctx, o.CallbackURL, body)
	}
	d.Latency = time.Since(start)
	return d, nil
}
