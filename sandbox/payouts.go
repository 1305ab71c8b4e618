package sandbox

import (
	"net/http"
)

// receiverName is the name the sandbox's pretend operator registers for
// every wallet; real operators return the holder's name.
const receiverName = "SANDBOX RECEIVER"

// receiver is the spec's Receiver schema.
type receiver struct {
	PhoneNumber string `json:"phoneNumber"`
	Name        string `json:"name"`
	Channel     string `json:"channel"`
}

// payoutPreview is the spec's PayoutPreview schema.
type payoutPreview struct {
	OrderReference string   `json:"orderReference"`
	Amount         string   `json:"amount"`
	Currency       string   `json:"currency"`
	Fee            string   `json:"fee"`
	TotalAmount    string   `json:"totalAmount"`
	Receiver       receiver `json:"receiver"`
}

// payoutBody is the spec's Payout schema.
type payoutBody struct {
	ID             string  `json:"id"`
	OrderReference string  `json:"orderReference"`
	Amount         string  `json:"amount"`
	Currency       string  `json:"currency"`
	Fee            string  `json:"fee"`
	PhoneNumber    string  `json:"phoneNumber"`
	Channel        string  `json:"channel"`
	Status         string  `json:"status"`
	FailureReason  *string `json:"failureReason"` // null unless FAILED, as the spec says
	CreatedAt      string  `json:"createdAt"`
	UpdatedAt      string  `json:"updatedAt"`
}

// previewPayout serves previewPayout: fee, total and receiver.
func (s *Sandbox) previewPayout(w http.ResponseWriter, r *http.Request, in inbound) {
	req, ok := s.readOrder(w, r)
	if !ok {
		return
	}
	fee, total, p := s.payoutCost(req.Amount)
	if p != nil {
		s.rejectInvalid(w, p)
		return
	}
	if !in.unvalidated && !s.has(FaultDuplicateAccepted) && s.payouts.exists(req.OrderReference) {
		s.writeError(w, duplicate(req.OrderReference))
		return
	}
	s.writeJSON(w, http.StatusOK, payoutPreview{
		OrderReference: req.OrderReference,
		Amount:         req.Amount,
		Currency:       req.Currency,
		Fee:            fee,
		TotalAmount:    total,
		Receiver:       receiver{PhoneNumber: req.PhoneNumber, Name: receiverName, Channel: channelFor(req.PhoneNumber)},
	})
}

// createPayout serves createPayout: the payout starts PROCESSING.
func (s *Sandbox) createPayout(w http.ResponseWriter, r *http.Request, in inbound) {
	req, ok := s.readOrder(w, r)
	if !ok {
		return
	}
	fee, _, p := s.payoutCost(req.Amount)
	if p != nil {
		s.rejectInvalid(w, p)
		return
	}
	o := order{
		orderRequest: req,
		id:           newID("pay_"),
		fee:          fee,
		channel:      channelFor(req.PhoneNumber),
		createdAt:    s.cfg.now(),
	}
	if !in.unvalidated && !s.payouts.add(o, s.has(FaultDuplicateAccepted)) {
		s.writeError(w, duplicate(req.OrderReference))
		return
	}
	if !in.unvalidated {
		s.callBackWhenFinal(payoutEvents(), o)
	}
	s.writeJSON(w, http.StatusOK, payoutView(o, o.Amount, progress{status: statusProcessing, updatedAt: o.createdAt}))
}

// payoutStatus serves getPayoutStatus.
func (s *Sandbox) payoutStatus(w http.ResponseWriter, _ *http.Request, in inbound) {
	ref := in.params["orderReference"]
	o, ok := s.payouts.get(ref)
	if !ok {
		s.writeError(w, notFound(ref))
		return
	}
	view := payoutView(o, s.reportedAmount(o), s.progressOf(o))
	view.ID = s.reportedID(o)
	s.writeJSON(w, http.StatusOK, view)
}

// payoutCost returns the fee and the amount plus fee. The total must still
// be an Amount the schema can express; a payout whose total cannot be is
// refused (under no-validation it is let through, as that partner would).
func (s *Sandbox) payoutCost(amount string) (fee, total string, p *problem) {
	c, err := parseAmount(amount)
	if err != nil {
		return "0.00", amount, nil // only reachable under no-validation
	}
	f := feeFor(c)
	if c+f > maxAmount && !s.has(FaultNoValidation) {
		return "", "", &problem{status: http.StatusBadRequest, code: "VALIDATION_FAILED",
			message: "the amount plus its fee exceeds the largest amount a payout can carry",
			details: []detail{{Field: "amount", Issue: "amount + fee (" + f.String() + ") must not exceed " + maxAmount.String()}}}
	}
	return f.String(), (c + f).String(), nil
}

func payoutView(o order, amount string, p progress) payoutBody {
	return payoutBody{
		ID:             o.id,
		OrderReference: o.OrderReference,
		Amount:         amount,
		Currency:       o.Currency,
		Fee:            o.fee,
		PhoneNumber:    o.PhoneNumber,
		Channel:        o.channel,
		Status:         p.status,
		FailureReason:  p.failureReason,
		CreatedAt:      timestamp(o.createdAt),
		UpdatedAt:      timestamp(p.updatedAt),
	}
}
