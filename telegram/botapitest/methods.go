package botapitest

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Limits the Bot API documents for sendMessage and sendDocument.
const (
	maxTextLen    = 4096
	maxCaptionLen = 1024
	maxPollLimit  = 100
)

var secretTokenChars = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

type handler func(http.ResponseWriter, *http.Request, params)

func (s *Server) methods() map[string]handler {
	return map[string]handler{
		"getme":               s.getMe,
		"getupdates":          s.getUpdates,
		"sendmessage":         s.sendMessage,
		"senddocument":        s.sendDocument,
		"answercallbackquery": s.answerCallbackQuery,
		"setwebhook":          s.setWebhook,
		"deletewebhook":       s.deleteWebhook,
		"getwebhookinfo":      s.getWebhookInfo,
	}
}

func (s *Server) botUser() User {
	id, _ := strconv.ParseInt(strings.SplitN(s.token, ":", 2)[0], 10, 64)
	return User{ID: id, IsBot: true, FirstName: "golive", Username: "golive_test_bot"}
}

func (s *Server) getMe(w http.ResponseWriter, _ *http.Request, _ params) {
	writeResult(w, s.botUser())
}

// getUpdates confirms updates below offset, then answers at once when some
// are pending, or holds the request for up to timeout seconds until one
// arrives (long polling).
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, p params) {
	offset, _ := p.int64("offset")
	limit, ok := p.int64("limit")
	if !ok || limit <= 0 || limit > maxPollLimit {
		limit = maxPollLimit
	}
	timeout, _ := p.int64("timeout")
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.webhook.url != "" {
			s.mu.Unlock()
			writeError(w, http.StatusConflict,
				"Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first", 0)
			return
		}
		if offset > 0 {
			s.confirmBelow(offset)
		}
		if len(s.pending) > 0 || timeout <= 0 {
			n := min(int(limit), len(s.pending))
			out := append([]Update{}, s.pending[:n]...)
			s.mu.Unlock()
			writeResult(w, out)
			return
		}
		wake := s.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-deadline.C:
			timeout = 0
		case <-r.Context().Done():
			return
		case <-s.closed:
			writeResult(w, []Update{})
			return
		}
	}
}

// confirmBelow drops updates the bot confirmed; call with s.mu held.
func (s *Server) confirmBelow(offset int64) {
	i := 0
	for i < len(s.pending) && s.pending[i].UpdateID < offset {
		i++
	}
	s.pending = s.pending[i:]
}

func (s *Server) chatFor(w http.ResponseWriter, p params) (Chat, bool) {
	id, ok := p.int64("chat_id")
	if !ok {
		writeError(w, http.StatusBadRequest, "Bad Request: chat_id is empty", 0)
		return Chat{}, false
	}
	s.mu.Lock()
	chat, known := s.chats[id]
	s.mu.Unlock()
	if !known {
		writeError(w, http.StatusBadRequest, "Bad Request: chat not found", 0)
		return Chat{}, false
	}
	return chat, true
}

func (s *Server) sendMessage(w http.ResponseWriter, _ *http.Request, p params) {
	chat, ok := s.chatFor(w, p)
	if !ok {
		return
	}
	text := p.get("text")
	switch n := len(utf16.Encode([]rune(text))); {
	case strings.TrimSpace(text) == "":
		writeError(w, http.StatusBadRequest, "Bad Request: message text is empty", 0)
		return
	case n > maxTextLen:
		writeError(w, http.StatusBadRequest, "Bad Request: message is too long", 0)
		return
	}
	if !validMarkup(w, p) {
		return
	}
	msg := s.record(Sent{Method: "sendMessage", ChatID: chat.ID, Text: text,
		ParseMode: p.get("parse_mode"), ReplyMarkup: p.get("reply_markup")}, chat)
	writeResult(w, msg)
}

func (s *Server) sendDocument(w http.ResponseWriter, _ *http.Request, p params) {
	chat, ok := s.chatFor(w, p)
	if !ok {
		return
	}
	file, uploaded := p.files["document"]
	if !uploaded {
		if p.get("document") == "" {
			writeError(w, http.StatusBadRequest, "Bad Request: there is no document in the request", 0)
			return
		}
		file = SentFile{Name: p.get("document")} // a file_id or URL
	}
	caption := p.get("caption")
	if len(utf16.Encode([]rune(caption))) > maxCaptionLen {
		writeError(w, http.StatusBadRequest, "Bad Request: message caption is too long", 0)
		return
	}
	if !validMarkup(w, p) {
		return
	}
	msg := s.record(Sent{Method: "sendDocument", ChatID: chat.ID, Text: caption,
		ParseMode: p.get("parse_mode"), ReplyMarkup: p.get("reply_markup"), Document: &file}, chat)
	msg.Caption, msg.Text = caption, ""
	msg.Document = &Document{FileID: "doc-" + strconv.Itoa(msg.MessageID), FileName: file.Name, FileSize: len(file.Data)}
	writeResult(w, msg)
}

func validMarkup(w http.ResponseWriter, p params) bool {
	if m := p.get("reply_markup"); m != "" && !json.Valid([]byte(m)) {
		writeError(w, http.StatusBadRequest, "Bad Request: can't parse reply keyboard markup JSON object", 0)
		return false
	}
	return true
}

// record keeps what was sent and wakes anyone waiting for it.
func (s *Server) record(sent Sent, chat Chat) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMsgID++
	sent.MessageID, sent.At = s.nextMsgID, time.Now()
	s.sent = append(s.sent, sent)
	close(s.sentNotify)
	s.sentNotify = make(chan struct{})
	bot := s.botUser()
	return Message{MessageID: sent.MessageID, From: &bot, Date: time.Now().Unix(), Chat: chat, Text: sent.Text}
}

func (s *Server) answerCallbackQuery(w http.ResponseWriter, _ *http.Request, p params) {
	id := p.get("callback_query_id")
	if !strings.HasPrefix(id, "cbq-") {
		writeError(w, http.StatusBadRequest,
			"Bad Request: query is too old and response timeout expired or query ID is invalid", 0)
		return
	}
	s.record(Sent{Method: "answerCallbackQuery", CallbackQueryID: id, Text: p.get("text")}, Chat{})
	writeResult(w, true)
}

func (s *Server) setWebhook(w http.ResponseWriter, _ *http.Request, p params) {
	u, secret := p.get("url"), p.get("secret_token")
	if u != "" && !validWebhookURL(u) {
		writeError(w, http.StatusBadRequest, "Bad Request: bad webhook: invalid URL", 0)
		return
	}
	if secret != "" && !secretTokenChars.MatchString(secret) {
		writeError(w, http.StatusBadRequest, "Bad Request: secret token contains unallowed characters", 0)
		return
	}
	s.mu.Lock()
	s.webhook = webhook{url: u, secret: secret}
	s.mu.Unlock()
	s.hooks.kick()
	writeResult(w, true)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, _ *http.Request, p params) {
	s.mu.Lock()
	s.webhook = webhook{}
	if p.get("drop_pending_updates") == "true" {
		s.pending = nil
	}
	s.mu.Unlock()
	writeResult(w, true)
}

func (s *Server) getWebhookInfo(w http.ResponseWriter, _ *http.Request, _ params) {
	s.mu.Lock()
	info := map[string]any{"url": s.webhook.url, "has_custom_certificate": false,
		"pending_update_count": len(s.pending)}
	s.mu.Unlock()
	writeResult(w, info)
}

// WaitSent blocks until at least n sends were recorded or ctx ends, and
// returns them all.
func (s *Server) WaitSent(ctx context.Context, n int) ([]Sent, error) {
	for {
		s.mu.Lock()
		if len(s.sent) >= n {
			out := append([]Sent{}, s.sent...)
			s.mu.Unlock()
			return out, nil
		}
		notify := s.sentNotify
		s.mu.Unlock()
		select {
		case <-notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
