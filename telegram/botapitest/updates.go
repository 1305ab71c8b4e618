package botapitest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Text injects a message from the chat's user (in a group, user 42) and
// returns its update id.
func (s *Server) Text(chat Chat, text string) int64 {
	from := User{ID: chat.ID, FirstName: "Partner"}
	if chat.Type != "private" {
		from = User{ID: 42, FirstName: "Member"}
	}
	return s.Message(chat, from, text)
}

// Message injects a text message from a user in a chat. A leading /command
// is marked with a bot_command entity, as Telegram does.
func (s *Server) Message(chat Chat, from User, text string) int64 {
	msg := &Message{From: &from, Date: time.Now().Unix(), Chat: chat, Text: text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		msg.Entities = []MessageEntity{{Type: "bot_command", Offset: 0, Length: len(cmd)}}
	}
	return s.inject(Update{Message: msg}, func(u *Update, id int64) { u.Message.MessageID = int(id) })
}

// Press injects a press on an inline button carrying data, under a message
// the bot sent to chat, and returns the callback query's id.
func (s *Server) Press(chat Chat, from User, data string) string {
	var qid string
	s.inject(Update{CallbackQuery: &CallbackQuery{From: from, Data: data,
		Message: &Message{Chat: chat, Date: time.Now().Unix()}, ChatInstance: "ci-" + strconv.FormatInt(chat.ID, 10)}},
		func(u *Update, _ int64) {
			s.nextCBID++
			qid = "cbq-" + strconv.Itoa(s.nextCBID)
			u.CallbackQuery.ID = qid
		})
	return qid
}

// inject queues an update with the next id; fill sets ids under the lock.
func (s *Server) inject(u Update, fill func(*Update, int64)) int64 {
	s.mu.Lock()
	s.nextUpdateID++
	u.UpdateID = s.nextUpdateID
	fill(&u, u.UpdateID)
	if u.Message != nil {
		s.chats[u.Message.Chat.ID] = u.Message.Chat
	}
	if u.CallbackQuery != nil && u.CallbackQuery.Message != nil {
		s.chats[u.CallbackQuery.Message.Chat.ID] = u.CallbackQuery.Message.Chat
	}
	s.pending = append(s.pending, u)
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
	s.hooks.kick()
	return u.UpdateID
}

// Sent is everything the bot sent so far, in order.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent{}, s.sent...)
}

// SentTo is what the bot sent to one chat, in order.
func (s *Server) SentTo(chatID int64) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Sent
	for _, m := range s.sent {
		if m.ChatID == chatID {
			out = append(out, m)
		}
	}
	return out
}

// Pending is how many updates the bot has not confirmed yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// deliverer pushes pending updates to the webhook, one at a time and in
// order, as Telegram does; an update the bot does not accept with a 2xx is
// tried again.
type deliverer struct {
	s      *Server
	kickCh chan struct{}
	done   chan struct{}
	wg     sync.WaitGroup
	client *http.Client
}

func newDeliverer(s *Server) *deliverer {
	d := &deliverer{s: s, kickCh: make(chan struct{}, 1), done: make(chan struct{}),
		client: &http.Client{Timeout: 10 * time.Second}}
	d.wg.Add(1)
	go d.loop()
	return d
}

func (d *deliverer) kick() {
	select {
	case d.kickCh <- struct{}{}:
	default:
	}
}

func (d *deliverer) stop() {
	close(d.done)
	d.wg.Wait()
}

func (d *deliverer) loop() {
	defer d.wg.Done()
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		select {
		case <-d.done:
			return
		case <-d.kickCh:
		case <-retry.C:
		}
		if !d.deliverAll() {
			retry.Reset(50 * time.Millisecond)
		}
	}
}

// deliverAll sends pending updates until none is left (true) or one is
// refused (false).
func (d *deliverer) deliverAll() bool {
	for {
		d.s.mu.Lock()
		hook := d.s.webhook
		if hook.url == "" || len(d.s.pending) == 0 {
			d.s.mu.Unlock()
			return true
		}
		u := d.s.pending[0]
		d.s.mu.Unlock()
		body, _ := json.Marshal(u)
		req, err := http.NewRequest(http.MethodPost, hook.url, bytes.NewReader(body))
		if err != nil {
			return false
		}
		req.Header.Set("Content-Type", "application/json")
		if hook.secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", hook.secret)
		}
		resp, err := d.client.Do(req)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return false
		}
		d.s.mu.Lock()
		if len(d.s.pending) > 0 && d.s.pending[0].UpdateID == u.UpdateID {
			d.s.pending = d.s.pending[1:]
		}
		d.s.mu.Unlock()
	}
}
