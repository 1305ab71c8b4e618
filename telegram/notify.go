package telegram

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
)

// EventKind is what happened.
type EventKind string

const (
	EventRunFinished  EventKind = "run_finished"
	EventUATCompleted EventKind = "uat_completed"
	EventSignedOff    EventKind = "signed_off"
	EventRegression   EventKind = "regression" // a post-go-live smoke run got worse
)

// Document is a file sent to a chat (a run's report.html).
type Document struct {
	Name string
	Data []byte
}

// FailingItem is one failed checklist item in a verdict.
type FailingItem struct {
	ID       string
	Title    string
	Severity string
	Category string // connection, system, integration
	FAQ      string // link to the answer
}

// Event is a notification the hub sends through the bot.
type Event struct {
	Kind    EventKind
	Partner string
	API     string
	RunID   string // the run or session
	Verdict string // CERTIFIED, NOT CERTIFIED, ...
	Summary string // one line: who signed off, what regressed
	Failing []FailingItem
	Link    string    // the hub's page for it
	Report  *Document // for runs: the HTML report, sent to the partner's chats
	// ReplyTo is the chat that started the run (RunRequest.Chat); it gets
	// the verdict and the report while it is still linked to the partner.
	ReplyTo ChatID
}

// maxFailingListed keeps a verdict message readable; the report has all.
const maxFailingListed = 10

// Message is one message of a notification to one chat: a text (at most
// Telegram's 4096 units), or a document with Text as its caption.
type Message struct {
	Chat     ChatID
	Text     string
	Document *Document
}

// Messages are the messages an event makes, chat by chat, in the order
// each chat gets them: the partner's chats (and the chat that asked, while
// still linked to the partner) get the text and the report; BAU staff
// chats get the text prefixed [partner]. A text longer than a message is
// split at line ends. A Document's Data may be empty here: whoever sends
// the message fills it in (the hub reads the report when it sends).
// Notifications hold no secrets, so group chats get them.
func Messages(ctx context.Context, links Links, e Event) ([]Message, error) {
	staff, err := links.StaffChats(ctx)
	if err != nil {
		return nil, fmt.Errorf("telegram notify: staff chats: %w", err)
	}
	var partner []Chat
	if e.Partner != "" {
		if partner, err = links.PartnerChats(ctx, e.Partner); err != nil {
			return nil, fmt.Errorf("telegram notify: partner chats: %w", err)
		}
	}
	if e.ReplyTo != 0 && !hasChat(partner, e.ReplyTo) {
		// Only a chat still linked to this partner hears about its run.
		if id, err := links.Lookup(ctx, e.ReplyTo); err == nil && id.Role == RolePartner && id.Partner == e.Partner {
			partner = append(partner, Chat{ID: e.ReplyTo})
		}
	}
	text := notificationText(e)
	var out []Message
	texts := func(chat ChatID, text string) {
		for _, part := range split(text, maxText) {
			out = append(out, Message{Chat: chat, Text: part})
		}
	}
	sent := map[ChatID]bool{}
	for _, c := range partner {
		if sent[c.ID] {
			continue
		}
		sent[c.ID] = true
		texts(c.ID, text)
		if e.Report != nil {
			out = append(out, Message{Chat: c.ID, Text: split("Report "+e.RunID, maxCaption)[0], Document: e.Report})
		}
	}
	for _, c := range staff {
		if !sent[c.ID] {
			sent[c.ID] = true
			texts(c.ID, "["+e.Partner+"] "+text)
		}
	}
	return out, nil
}

// Deliver sends one message once: no retry here, the caller's outbox
// retries (Retryable says whether and how soon). The error is a
// *SendError that never holds the bot's token.
func (b *Bot) Deliver(ctx context.Context, m Message) error {
	if m.Document != nil {
		return b.sendDocumentN(ctx, m.Chat, *m.Document, m.Text, 1)
	}
	return b.sendTextN(ctx, m.Chat, m.Text, nil, 1)
}

// Retryable says whether a send that failed with err may work if tried
// again, and the least wait before it (a 429's retry_after; zero
// otherwise). A refusal that another try will not change (400, 401, 403:
// the user blocked the bot, 404, 409, a migrated group) is not.
func Retryable(err error) (time.Duration, bool) {
	var tooMany *tgbot.TooManyRequestsError
	var migrate *tgbot.MigrateError
	switch {
	case err == nil:
		return 0, false
	case errors.As(err, &tooMany):
		return time.Duration(max(tooMany.RetryAfter, 1)) * time.Second, true
	case errors.As(err, &migrate),
		errors.Is(err, tgbot.ErrorBadRequest), errors.Is(err, tgbot.ErrorForbidden),
		errors.Is(err, tgbot.ErrorUnauthorized), errors.Is(err, tgbot.ErrorNotFound),
		errors.Is(err, tgbot.ErrorConflict):
		return 0, false
	}
	return 0, true // 5xx, a dropped connection, a proxy's page, a timeout
}

func hasChat(chats []Chat, id ChatID) bool {
	for _, c := range chats {
		if c.ID == id {
			return true
		}
	}
	return false
}

func notificationText(e Event) string {
	var b strings.Builder
	switch e.Kind {
	case EventRunFinished:
		fmt.Fprintf(&b, "Run %s (%s) finished: %s", e.RunID, e.API, e.Verdict)
	case EventUATCompleted:
		b.WriteString("UAT session")
		if e.RunID != "" {
			b.WriteString(" " + e.RunID)
		}
		if e.API != "" {
			b.WriteString(" (" + e.API + ")")
		}
		b.WriteString(" completed")
		if e.Verdict != "" {
			b.WriteString(": " + e.Verdict)
		}
	case EventSignedOff:
		fmt.Fprintf(&b, "Go-live signed off for %s", e.API)
	case EventRegression:
		fmt.Fprintf(&b, "Regression after go-live on %s: %s", e.API, e.Verdict)
	default:
		fmt.Fprintf(&b, "%s: %s", e.Kind, e.Verdict)
	}
	if e.Summary != "" {
		b.WriteString("\n" + e.Summary)
	}
	if len(e.Failing) > 0 {
		b.WriteString("\nFailing:")
		for i, f := range e.Failing {
			if i == maxFailingListed {
				fmt.Fprintf(&b, "\n  ... and %d more in the report", len(e.Failing)-i)
				break
			}
			fmt.Fprintf(&b, "\n  %s [%s, %s] %s", f.ID, f.Severity, f.Category, f.Title)
			if f.FAQ != "" {
				b.WriteString("\n    " + f.FAQ)
			}
		}
	}
	if e.Link != "" {
		b.WriteString("\n" + e.Link)
	}
	return b.String()
}
