package telegram

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// /uat: the partner's own client plays the UAT cases against a sandbox the
// hub serves for one session. Opening answers with the session's
// credentials, so it works in private chats only; listing and closing hold
// no secret. The report comes with the hub's uat.completed notification.

const (
	uatUsage      = "/uat | /uat open [API ...] [deadline=2h] | /uat close ID"
	uatOpenUsage  = "/uat open [API ...] [deadline=2h]"
	uatCloseUsage = "/uat close ID"
	uatHowToOpen  = "Open one for your client with " + uatOpenUsage + " in a private chat with me: I answer with the base URL, the credentials and the cases to play."
)

// maxUATEnded bounds the ended sessions /uat lists; the hub's partner
// page has them all.
const maxUATEnded = 5

// maxDeadlineArg bounds a deadline argument; the hub parses it.
const maxDeadlineArg = 40

// apiPattern is what an API argument may look like before it is checked
// against the partner's APIs.
var apiPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

func cmdUAT(ctx context.Context, b *Bot, req *request, p Partner) reply {
	if len(req.args) == 0 {
		return uatList(ctx, b, req, p)
	}
	switch strings.ToLower(req.args[0]) {
	case "open":
		return uatOpen(ctx, b, req, p, req.args[1:])
	case "close":
		return uatClose(ctx, b, req, p, req.args[1:])
	}
	return usage(uatUsage)
}

func uatList(ctx context.Context, b *Bot, req *request, p Partner) reply {
	list, err := b.svc.UAT.UATSessions(ctx, p.ID)
	if err != nil {
		return b.failed(req, "UAT", err)
	}
	var open, ended []string
	for _, u := range list {
		switch {
		case u.State == UATOpen:
			open = append(open, openSessionLine(u))
		case len(ended) < maxUATEnded:
			ended = append(ended, endedSessionLine(u))
		}
	}
	if len(open) == 0 && len(ended) == 0 {
		return reply{text: "You have no UAT sessions yet. " + uatHowToOpen}
	}
	var parts []string
	if len(open) > 0 {
		parts = append(parts, "Open UAT sessions:\n"+strings.Join(open, "\n"))
	} else {
		parts = append(parts, "No UAT session is open. "+uatHowToOpen)
	}
	if len(ended) > 0 {
		parts = append(parts, "Recent UAT sessions:\n"+strings.Join(ended, "\n"))
	}
	return reply{text: strings.Join(parts, "\n\n")}
}

func openSessionLine(u UATSession) string {
	line := fmt.Sprintf("%s (%s): ", u.ID, strings.Join(u.APIs, ", "))
	if pr := u.Progress; pr != nil {
		line += fmt.Sprintf("%d of %d cases played, %s", pr.CasesSeen, pr.CasesTotal, plural(pr.Problems, "problem"))
	} else {
		line += "progress unavailable right now"
	}
	if !u.Deadline.IsZero() {
		line += "; ends " + when(u.Deadline)
	}
	return line + "\n  close it: /uat close " + u.ID
}

func endedSessionLine(u UATSession) string {
	line := fmt.Sprintf("%s (%s): %s", u.ID, strings.Join(u.APIs, ", "), u.State)
	if !u.Ended.IsZero() {
		line += " " + when(u.Ended)
	}
	if u.Verdict != "" {
		line += ", " + u.Verdict
	}
	return line
}

func uatOpen(ctx context.Context, b *Bot, req *request, p Partner, args []string) reply {
	var apis []string
	deadline := ""
	for _, a := range args {
		if key, v, ok := strings.Cut(a, "="); ok {
			if !strings.EqualFold(key, "deadline") || deadline != "" || v == "" || len(v) > maxDeadlineArg {
				return usage(uatOpenUsage)
			}
			deadline = v
			continue
		}
		api, ours := hasAPI(p, a)
		if !apiPattern.MatchString(api) {
			return usage(uatOpenUsage)
		}
		if !ours {
			return notYourAPI(p, api)
		}
		apis = append(apis, api)
	}
	// The audit log gets what was asked and the session, never the
	// credentials.
	params := map[string]string{"apis": strings.Join(apis, ","), "deadline": deadline}
	if !req.chat.Private {
		r := privateOnly("/uat open")
		r.params = params
		return r
	}
	o, err := b.svc.UAT.OpenUAT(ctx, p.ID, req.chat.ID, apis, deadline)
	var in *InputError
	switch {
	case errors.As(err, &in):
		return reply{text: "Not opened: " + in.Msg, outcome: AuditRefused, detail: in.Msg, params: params}
	case err != nil:
		r := b.failed(req, "UAT", err)
		r.params = params
		return r
	}
	params["apis"] = strings.Join(o.Session.APIs, ",")
	params["session"] = o.Session.ID
	return reply{text: openedText(o), params: params, detail: "session " + o.Session.ID}
}

// openedText is the one message that holds the session's credentials.
func openedText(o UATOpened) string {
	u, c := o.Session, o.Credentials
	var b strings.Builder
	fmt.Fprintf(&b, "UAT session %s is open for %s.\n\n", u.ID, strings.Join(u.APIs, ", "))
	fmt.Fprintf(&b, "Point your client at:\nBase URL: %s\nclient-id: %s\napi-key: %s\nchecksum key: %s\n", u.BaseURL, c.ClientID, c.APIKey, c.ChecksumKey)
	b.WriteString("These credentials are shown only now: keep them in your client's configuration.\n\n")
	if u.Deadline.IsZero() {
		b.WriteString("Deadline: none. It ends when every case was played, or when you close it.\n\n")
	} else {
		fmt.Fprintf(&b, "Deadline: %s (it ends by itself then).\n\n", when(u.Deadline))
	}
	fmt.Fprintf(&b, "Cases to play (%d):\n", len(o.Cases))
	for _, cs := range o.Cases {
		line := cs.ID + " — " + cs.Title
		if cs.Values != "" {
			line += ": " + cs.Values
		}
		b.WriteString(line + "\n")
	}
	fmt.Fprintf(&b, "\nProgress: /uat. Close it: /uat close %s. The report comes here when it ends.", u.ID)
	return b.String()
}

func uatClose(ctx context.Context, b *Bot, req *request, p Partner, args []string) reply {
	if len(args) != 1 || !refPattern.MatchString(args[0]) {
		return usage(uatCloseUsage)
	}
	id := args[0]
	params := map[string]string{"session": id}
	u, err := b.svc.UAT.CloseUAT(ctx, p.ID, req.chat.ID, id)
	var in *InputError
	switch {
	case errors.Is(err, ErrNotFound):
		// The same answer for another partner's session.
		return reply{text: "No UAT session " + id + " found for you. Send /uat for your sessions.",
			outcome: AuditNotFound, params: params}
	case errors.As(err, &in):
		return reply{text: "Not closed: " + in.Msg, outcome: AuditRefused, detail: in.Msg, params: params}
	case err != nil:
		r := b.failed(req, "UAT", err)
		r.params = params
		return r
	}
	text := "UAT session " + id + " is closed"
	if u.Verdict != "" {
		text += ": " + u.Verdict
	}
	// The hub's uat.completed notification brings the report, maybe before
	// this answer.
	return reply{text: text + ".\nIts report is sent to your chats.", params: params, detail: "verdict " + u.Verdict}
}

func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
