package server

import (
	"context"

	"github.com/golive-cert/golive/server/store"
)

// Event kinds and a synchronous Telegram notification, for the specs in
// package server_test.
const (
	EventSignedOff    = eventSignedOff
	EventRegressed    = eventRegressed
	EventUATCompleted = uatCompletedKind
)

// NotifyTelegram sends one event of kind about a partner through the
// Telegram path of the notifier, and returns once it is sent.
func (s *Server) NotifyTelegram(ctx context.Context, kind, partnerID, summary string) error {
	p, err := s.store.GetPartner(ctx, store.System(), partnerID)
	if err != nil {
		return err
	}
	s.notifier.telegram(ctx, hubEvent{Kind: kind, Partner: p, Summary: summary})
	return nil
}
