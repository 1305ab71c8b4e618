package telegram

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// Notify sends an event to the BAU staff chats and to the partner's own
// chats (the report too, to the partner's chats only). Each send is retried;
// the errors of those that still failed are joined. Notifications hold no
// secrets, so group chats get them.
func (b *Bot) Notify(ctx context.Context, e Event) error {
	staff, err := b.svc.Links.StaffChats(ctx)
	if err != nil {
		return fmt.Errorf("telegram notify: staff chats: %w", err)
	}
	var partner []Chat
	if e.Partner != "" {
		if partner, err = b.svc.Links.PartnerChats(ctx, e.Partner); err != nil {
			return fmt.Errorf("telegram notify: partner chats: %w", err)
		}
	}
	if e.ReplyTo != 0 && !hasChat(partner, e.ReplyTo) {
		// Only a chat still linked to this partner hears about its run.
		if id, err := b.svc.Links.Lookup(ctx, e.ReplyTo); err == nil && id.Role == RolePartner && id.Partner == e.Partner {
			partner = append(partner, Chat{ID: e.ReplyTo})
		}
	}
	text := notificationText(e)
	var errs []error
	sent := map[ChatID]bool{}
	for _, c := range partner {
		if sent[c.ID] {
			continue
		}
		sent[c.ID] = true
		errs = append(errs, b.sendText(ctx, c.ID, text, nil))
		if e.Report != nil {
			errs = append(errs, b.sendDocument(ctx, c.ID, *e.Report, "Report "+e.RunID))
		}
	}
	for _, c := range staff {
		if !sent[c.ID] {
			sent[c.ID] = true
			errs = append(errs, b.sendText(ctx, c.ID, "["+e.Partner+"] "+text, nil))
		}
	}
	err = errors.Join(errs...)
	outcome := AuditOK
	if err != nil {
		outcome = AuditError
	}
	b.record(ctx, AuditEntry{Caller: "hub", Partner: e.Partner, Action: "notify:" + string(e.Kind),
		Params: map[string]string{"run": e.RunID, "chats": fmt.Sprint(len(sent))}, Outcome: outcome})
	return err
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
