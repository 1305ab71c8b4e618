package sandbox

import (
	"net/http"
)

// channelAvailability is the spec's ChannelAvailability schema.
type channelAvailability struct {
	Channel string `json:"channel"`
	Status  string `json:"status"`
}

// collectionPreview is the spec's CollectionPreview schema.
type collectionPreview struct {
	OrderReference string                `json:"orderReference"`
	Amount         string                `json:"amount"`
	Currency       string                `json:"currency"`
	Fee            string                `json:"fee"`
	Channels       []channelAvailability `json:"channels"`
}

// collectionBody is the spec's Collection schema.
type collectionBody struct {
	ID             string  `json:"id"`
	OrderReference string  `json:"orderReference"`
	Amount         string  `json:"amount"`
	Currency       string  `json:"currency"`
	PhoneNumber    string  `json:"phoneNumber"`
	Channel        string  `json:"channel"`
	Status         string  `json:"status"`
	FailureReason  *string `json:"failureReason"` // null unless FAILED, as the spec says
	CreatedAt      string  `json:"createdAt"`
	UpdatedAt      string  `json:"updatedAt"`
}

// previewCollection serves previewUssdPush: the fee, and every channel up.
func (s *Sandbox) previewCollection(w http.ResponseWriter, r *http.Request, in inbound) {
	req, ok := s.readOrder(w, r)
	if !ok {
		return
	}
	if !in.unvalidated && !s.has(FaultDuplicateAccepted) && s.collections.exists(req.OrderReference) {
		s.writeError(w, duplicate(req.OrderReference))
		return
	}
	var channels []channelAvailability
	for _, c := range []string{"TIGO-PESA", "M-PESA", "AIRTEL-MONEY", "HALOPESA"} {
		channels = append(channels, channelAvailability{Channel: c, Status: "AVAILABLE"})
	}
	s.writeJSON(w, http.StatusOK, collectionPreview{
		OrderReference: req.OrderReference,
		Amount:         req.Amount,
		Currency:       req.Currency,
		Fee:            orderFee(req.Amount),
		Channels:       channels,
	})
}

// initiateCollection serves initiateUssdPush: the collection starts PROCESSING.
func (s *Sandbox) initiateCollection(w http.ResponseWriter, r *http.Request, in inbound) {
	req, ok := s.readOrder(w, r)
	if !ok {
		return
	}
	o := order{
		orderRequest: req,
		id:           newID("col_"),
		channel:      channelFor(req.PhoneNumber),
		createdAt:    s.cfg.now(),
	}
	if !in.unvalidated && !s.collections.add(o, s.has(FaultDuplicateAccepted)) {
		s.writeError(w, duplicate(req.OrderReference))
		return
	}
	if !in.unvalidated {
		s.callBackWhenFinal(collectionEvents(), o)
	}
	s.writeJSON(w, http.StatusOK, collectionView(o, o.Amount, progress{status: statusProcessing, updatedAt: o.createdAt}))
}

// collectionStatus serves getCollectionStatus.
func (s *Sandbox) collectionStatus(w http.ResponseWriter, _ *http.Request, in inbound) {
	ref := in.params["orderReference"]
	o, ok := s.collections.get(ref)
	if !ok {
		s.writeError(w, notFound(ref))
		return
	}
	view := collectionView(o, s.reportedAmount(o), s.progressOf(o))
	view.ID = s.reportedID(o)
	s.writeJSON(w, http.StatusOK, view)
}

func collectionView(o order, amount string, p progress) collectionBody {
	return collectionBody{
		ID:             o.id,
		OrderReference: o.OrderReference,
		Amount:         amount,
		Currency:       o.Currency,
		PhoneNumber:    o.PhoneNumber,
		Channel:        o.channel,
		Status:         p.status,
		FailureReason:  p.failureReason,
		CreatedAt:      timestamp(o.createdAt),
		UpdatedAt:      timestamp(p.updatedAt),
	}
}
