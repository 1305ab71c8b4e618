package telegram

import (
	"context"
	"sync"

	"github.com/go-telegram/bot/models"
)

// lanes queues updates per chat. A chat's updates are handled one at a time
// in the order they came, so a quick second command is never answered
// before the first; different chats are handled side by side, and a slow
// command (/doctor) holds up only its own chat: a chat queues at most
// maxPerChat updates, and drops what comes beyond (a flood the per-chat
// rate limit would refuse anyway), so it never fills the queue all chats
// share.
type lanes struct {
	room  chan struct{} // one token per queued update: Config.Queue bounds them
	ready chan ChatID   // chats with an update waiting and no worker on it

	mu     sync.Mutex
	byChat map[ChatID][]*models.Update
}

// maxPerChat is how many updates one chat may have queued.
const maxPerChat = 8

// newLanes holds up to size updates. ready never blocks: each chat is in
// it at most once, and no more chats than updates wait.
func newLanes(size int) *lanes {
	return &lanes{room: make(chan struct{}, size), ready: make(chan ChatID, size), byChat: map[ChatID][]*models.Update{}}
}

// put queues upd, waiting for room; false when ctx ended first. An update
// beyond its chat's maxPerChat is dropped (true: taken, nothing to retry).
func (l *lanes) put(ctx context.Context, upd *models.Update) bool {
	select {
	case l.room <- struct{}{}:
		l.add(upd)
		return true
	case <-ctx.Done():
		return false
	}
}

// tryPut queues upd if there is room now (dropped as put does beyond
// maxPerChat).
func (l *lanes) tryPut(upd *models.Update) bool {
	select {
	case l.room <- struct{}{}:
		l.add(upd)
		return true
	default:
		return false
	}
}

// add queues upd, which holds a room token, or drops it and gives the
// token back when its chat has maxPerChat queued already.
func (l *lanes) add(upd *models.Update) {
	chat := updateChat(upd)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.byChat[chat]) >= maxPerChat {
		<-l.room
		return
	}
	l.byChat[chat] = append(l.byChat[chat], upd)
	if len(l.byChat[chat]) == 1 { // no worker on this chat yet
		l.ready <- chat
	}
}

// take waits for a chat with work and returns its first update; the worker
// calls done(chat) once it is handled. false when ctx ended.
func (l *lanes) take(ctx context.Context) (ChatID, *models.Update, bool) {
	select {
	case chat := <-l.ready:
		l.mu.Lock()
		defer l.mu.Unlock()
		return chat, l.byChat[chat][0], true
	case <-ctx.Done():
		return 0, nil, false
	}
}

// done drops the chat's handled update and hands the chat's next one, if
// any, to a worker.
func (l *lanes) done(chat ChatID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rest := l.byChat[chat][1:]
	if len(rest) == 0 {
		delete(l.byChat, chat)
	} else {
		l.byChat[chat] = rest
		l.ready <- chat
	}
	<-l.room
}

// updateChat is the chat an update comes from (0 when it names none: such
// updates are dropped at once by handle).
func updateChat(upd *models.Update) ChatID {
	switch {
	case upd.Message != nil:
		return ChatID(upd.Message.Chat.ID)
	case upd.CallbackQuery != nil && upd.CallbackQuery.Message.Message != nil:
		return ChatID(upd.CallbackQuery.Message.Message.Chat.ID)
	}
	return 0
}
