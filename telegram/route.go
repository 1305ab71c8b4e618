package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

// request is one command from one chat.
type request struct {
	chat Chat
	user int64
	cmd  string   // "/status"
	args []string // the words after it
	id   Identity // the chat's link; zero for unlinked chats
}

// reply is what a command answers.
type reply struct {
	text   string
	doc    *Document
	markup *models.InlineKeyboardMarkup
	// outcome and detail go to the audit log; params (masked) too.
	outcome AuditOutcome
	detail  string
	params  map[string]string
}

const unlinkedText = `This chat is not linked to a partner yet.

Ask your BAU integration contact for a link code, then send:
/start CODE

Codes work once and expire; ask for a new one if yours did.`

// handle answers one update. It never returns an error: every failure is
// answered in the chat (or logged when even that fails).
func (b *Bot) handle(ctx context.Context, upd *models.Update) {
	req, callbackID, ok := parseUpdate(upd)
	if callbackID != "" {
		// Telegram shows a spinner on the button until this is answered.
		defer b.answerCallback(ctx, callbackID)
	}
	if !ok {
		return
	}
	if req.cmd == "" && !req.chat.Private {
		return // group chatter is not for us
	}
	if d := b.limiter.Allow(chatKey(req.chat.ID)); !d.OK {
		if d.First { // answer a flood once, not once per message
			b.respond(ctx, req, reply{text: fmt.Sprintf("Too many commands. Try again in %s.", roundUp(d.Wait)),
				outcome: AuditRateLimited})
		}
		return
	}
	if req.cmd == "" {
		b.respond(ctx, req, reply{text: "Send /help for what I can do (or /start CODE to link this chat)."})
		return
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.CallTimeout)
	defer cancel()
	if req.cmd == "/start" {
		b.respond(ctx, req, b.start(ctx, req))
		return
	}
	id, err := b.svc.Links.Lookup(ctx, req.chat.ID)
	switch {
	case errors.Is(err, ErrNotLinked):
		b.respond(ctx, req, reply{text: unlinkedText, outcome: AuditRefused, detail: "chat not linked"})
		return
	case err != nil:
		b.respond(ctx, req, b.failed(req, "links", err))
		return
	}
	req.id = id
	b.respond(ctx, req, b.dispatch(ctx, req))
}

// parseUpdate reads a message or a button press. A button carries a command
// line as its data, so it runs exactly like the typed command.
func parseUpdate(upd *models.Update) (req *request, callbackID string, ok bool) {
	var (
		text string
		from *models.User
		chat models.Chat
	)
	switch {
	case upd.Message != nil:
		text, from, chat = upd.Message.Text, upd.Message.From, upd.Message.Chat
	case upd.CallbackQuery != nil:
		q := upd.CallbackQuery
		callbackID = q.ID
		if q.Message.Message == nil {
			return nil, callbackID, false // too old to know its chat
		}
		text, from, chat = q.Data, &q.From, q.Message.Message.Chat
	default:
		return nil, "", false
	}
	if text == "" || chat.Type == models.ChatTypeChannel {
		return nil, callbackID, false
	}
	req = &request{chat: Chat{ID: ChatID(chat.ID), Private: chat.Type == models.ChatTypePrivate, Title: chat.Title}}
	if from != nil {
		req.user = from.ID
	}
	if strings.HasPrefix(text, "/") {
		fields := strings.Fields(text)
		cmd := strings.ToLower(fields[0])
		// In groups Telegram appends the bot's name: /help@golive_bot.
		cmd, _, _ = strings.Cut(cmd, "@")
		req.cmd, req.args = cmd, fields[1:]
	}
	return req, callbackID, true
}

// respond sends the reply, audits the command and logs its outcome (never
// its arguments or answer: they may hold secrets).
func (b *Bot) respond(ctx context.Context, req *request, r reply) {
	if r.outcome == "" {
		r.outcome = AuditOK
	}
	var sendErr error
	if r.text != "" {
		sendErr = b.sendText(ctx, req.chat.ID, r.text, r.markup)
	}
	if r.doc != nil && sendErr == nil {
		sendErr = b.sendDocument(ctx, req.chat.ID, *r.doc, r.doc.Name)
	}
	if req.cmd != "" {
		b.record(ctx, AuditEntry{Chat: req.chat.ID, User: req.user, Caller: chatKey(req.chat.ID),
			Role: req.id.Role, Partner: req.id.Partner, Action: req.cmd, Params: r.params,
			Outcome: r.outcome, Detail: r.detail})
	}
	if sendErr != nil {
		b.log.Warn("telegram reply not delivered", "chat", req.chat.ID, "command", req.cmd, "error", sendErr)
	}
}

func (b *Bot) record(ctx context.Context, e AuditEntry) {
	e.At = b.cfg.Now()
	if e.Params == nil {
		e.Params = map[string]string{}
	}
	// The audit store is the hub's; a slow one must not hold a worker for
	// long after the command is done.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := b.svc.Audit.Record(ctx, e); err != nil {
		b.log.Error("telegram audit record failed", "action", e.Action, "chat", e.Chat, "error", err)
	}
	b.log.Info("telegram command", "action", e.Action, "chat", e.Chat, "partner", e.Partner, "outcome", e.Outcome)
}

// failed answers a service failure without its details (they may name
// internal hosts) and keeps them for the audit log.
func (b *Bot) failed(req *request, service string, err error) reply {
	b.log.Error("telegram service failed", "service", service, "command", req.cmd, "chat", req.chat.ID, "error", err)
	return reply{text: "Sorry, that did not work: the " + service + " service is not answering. Try again in a few minutes; if it keeps failing, tell your BAU contact.",
		outcome: AuditError, detail: service + ": " + err.Error()}
}

func chatKey(id ChatID) string { return "tg:" + strconv.FormatInt(int64(id), 10) }

func roundUp(d time.Duration) time.Duration {
	return max(time.Second, d.Round(time.Second))
}
