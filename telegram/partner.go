package telegram

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golive-cert/golive/doctor"
)

// notFound is the one answer for a reference that does not exist and for
// one of another partner: the two must read the same.
func notFound(ref string) reply {
	return reply{text: "No sandbox transaction " + ref + " found for you. Check the reference (it is your orderReference).",
		outcome: AuditNotFound, params: map[string]string{"ref": ref}}
}

// hasAPI checks an API argument against the partner's APIs.
func hasAPI(p Partner, api string) (string, bool) {
	api = strings.ToLower(api)
	return api, slices.Contains(p.APIs, api)
}

func notYourAPI(p Partner, api string) reply {
	return reply{text: fmt.Sprintf("%s is not one of your APIs. Yours: %s.", api, strings.Join(p.APIs, ", ")),
		outcome: AuditUsage, params: map[string]string{"api": api}}
}

func cmdAPIs(_ context.Context, _ *Bot, req *request, p Partner) reply {
	endpoint := p.Endpoint
	if endpoint == "" {
		endpoint = "none registered yet (ask your BAU contact)"
	}
	text := fmt.Sprintf("%s\nAPIs: %s\nStaging endpoint: %s", p.Name, strings.Join(p.APIs, ", "), endpoint)
	return reply{text: text, markup: apiButtons(p.APIs, req.chat.Private)}
}

func cmdToken(ctx context.Context, b *Bot, req *request, p Partner) reply {
	api, ok := hasAPI(p, req.args[0])
	if !ok {
		return notYourAPI(p, req.args[0])
	}
	tok, err := b.svc.Sandbox.IssueToken(ctx, p.ID, api)
	if err != nil {
		r := b.failed(req, "sandbox", err)
		r.params = map[string]string{"api": api}
		return r
	}
	text := fmt.Sprintf("Sandbox token for %s:\n\n%s\n\nSend it as: Authorization: Bearer <token>", api, tok.Value)
	if !tok.ExpiresAt.IsZero() {
		text += "\nExpires: " + when(tok.ExpiresAt)
	}
	// The audit log gets the API, never the token.
	return reply{text: text, params: map[string]string{"api": api}}
}

func cmdStatus(ctx context.Context, b *Bot, req *request, p Partner) reply {
	ref := req.args[0]
	if !refPattern.MatchString(ref) {
		return usage("/status REF")
	}
	tx, err := b.svc.Sandbox.Transaction(ctx, p.ID, ref)
	if errors.Is(err, ErrNotFound) {
		return notFound(ref)
	}
	if err != nil {
		return b.failed(req, "sandbox", err)
	}
	return reply{text: formatTx(tx), params: map[string]string{"ref": ref}}
}

func formatTx(tx Transaction) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", tx.Ref, tx.API, tx.Status)
	if tx.Amount != "" {
		fmt.Fprintf(&b, "\nAmount: %s %s", tx.Amount, tx.Currency)
	}
	if len(tx.History) > 0 {
		b.WriteString("\nHistory:")
		for _, e := range tx.History {
			fmt.Fprintf(&b, "\n  %s  %s", e.At.UTC().Format(time.DateTime), e.Status)
			if e.Note != "" {
				b.WriteString("  " + e.Note)
			}
		}
	}
	return b.String()
}

func cmdCallback(ctx context.Context, b *Bot, req *request, p Partner) reply {
	ref := req.args[0]
	if !refPattern.MatchString(ref) {
		return usage("/callback REF")
	}
	d, err := b.svc.Sandbox.ResendCallback(ctx, p.ID, ref)
	if errors.Is(err, ErrNotFound) {
		return notFound(ref)
	}
	if r, ok := stateAnswer(err, ref); ok {
		return r
	}
	if err != nil {
		return b.failed(req, "sandbox", err)
	}
	params := map[string]string{"ref": ref}
	took := ""
	if d.Latency > 0 {
		took = " in " + d.Latency.Round(time.Millisecond).String()
		if d.Latency < time.Millisecond {
			took = " in under 1ms"
		}
	}
	switch {
	case d.Status/100 == 2:
		return reply{text: fmt.Sprintf("Callback for %s sent to %s: your endpoint answered %d%s.", ref, d.URL, d.Status, took), params: params}
	case d.Status != 0:
		return reply{text: fmt.Sprintf("Callback for %s sent to %s, but your endpoint answered %d%s: it must answer 2xx to acknowledge it.", ref, d.URL, d.Status, took),
			params: params, detail: fmt.Sprintf("partner answered %d", d.Status)}
	default:
		return reply{text: fmt.Sprintf("Callback for %s could not be delivered to %s: %s\nRun /doctor to check the connection.", ref, d.URL, d.Error),
			params: params, detail: "not delivered"}
	}
}

func cmdOutcome(ctx context.Context, b *Bot, req *request, p Partner) reply {
	ref, want := req.args[0], Outcome(strings.ToLower(req.args[1]))
	if !refPattern.MatchString(ref) || (want != OutcomeSuccess && want != OutcomeFailed) {
		return usage("/outcome REF success|failed")
	}
	tx, err := b.svc.Sandbox.ForceOutcome(ctx, p.ID, ref, want)
	if errors.Is(err, ErrNotFound) {
		return notFound(ref)
	}
	if r, ok := stateAnswer(err, ref); ok {
		r.params["outcome"] = string(want)
		return r
	}
	if err != nil {
		return b.failed(req, "sandbox", err)
	}
	return reply{text: fmt.Sprintf("%s forced to %s.\n%s\nYour callback endpoint will be notified; check it with /status %s.", ref, want, formatTx(tx), ref),
		params: map[string]string{"ref": ref, "outcome": string(want)}}
}

// stateAnswer is the answer for a transaction not in a state the command
// acts on (a *StateError), and false for any other error.
func stateAnswer(err error, ref string) (reply, bool) {
	var se *StateError
	if !errors.As(err, &se) {
		return reply{}, false
	}
	r := reply{outcome: AuditRefused, detail: "transaction " + string(se.Reason), params: map[string]string{"ref": ref}}
	switch se.Reason {
	case StateFinal:
		r.text = fmt.Sprintf("%s is already %s: only a PROCESSING transaction's outcome can be forced. Start a new order to test the other outcome.", ref, se.Status)
	case StateProcessing:
		r.text = fmt.Sprintf("%s is still PROCESSING, so it has no callback yet. Force its outcome with /outcome %s success|failed.", ref, ref)
	case StateNoCallback:
		r.text = fmt.Sprintf("%s was created without a callbackUrl, so there is no callback to send.", ref)
	default:
		r.text = fmt.Sprintf("%s is %s: that cannot be done now.", ref, se.Status)
	}
	return r, true
}

func cmdDoctor(ctx context.Context, b *Bot, req *request, p Partner) reply {
	if p.Endpoint == "" {
		return reply{text: "No staging endpoint is registered for you yet, so there is nothing to check. Ask your BAU contact to register it.",
			outcome: AuditRefused, detail: "no endpoint"}
	}
	rep, err := b.svc.Doctor.Diagnose(ctx, p.ID)
	if err != nil {
		return b.failed(req, "doctor", err)
	}
	var out strings.Builder
	if err := doctor.WriteText(&out, rep); err != nil {
		return b.failed(req, "doctor", err)
	}
	detail := "reachable"
	if !rep.Reachable {
		detail = "not reachable"
	}
	return reply{text: out.String(), detail: detail}
}

func cmdRun(ctx context.Context, b *Bot, req *request, p Partner) reply {
	api, ok := hasAPI(p, req.args[0])
	if !ok {
		return notYourAPI(p, req.args[0])
	}
	if p.Endpoint == "" {
		return reply{text: "No staging endpoint is registered for you yet. Ask your BAU contact to register it.",
			outcome: AuditRefused, detail: "no endpoint", params: map[string]string{"api": api}}
	}
	id, err := b.svc.Runs.Start(ctx, RunRequest{Partner: p.ID, API: api, Chat: req.chat.ID})
	if err != nil {
		r := b.failed(req, "runs", err)
		r.params = map[string]string{"api": api}
		return r
	}
	return reply{text: fmt.Sprintf("Run %s started: certifying %s at %s.\nI will send the verdict and the report here when it is done.", id, api, p.Endpoint),
		params: map[string]string{"api": api}, detail: "run " + id}
}

func cmdProgress(ctx context.Context, b *Bot, req *request, p Partner) reply {
	prog, err := b.svc.Progress.Progress(ctx, p.ID)
	if err != nil {
		return b.failed(req, "progress", err)
	}
	if len(prog) == 0 {
		return reply{text: "No checklist results yet. Start with /run API."}
	}
	lines := []string{"Checklist progress:"}
	for _, a := range prog {
		line := fmt.Sprintf("%s: %d/%d passed", a.API, a.Passed, a.Total)
		if a.Stage != "" {
			line += " (" + a.Stage + ")"
		}
		if len(a.Open) > 0 {
			line += "\n  open: " + strings.Join(a.Open, ", ")
		}
		lines = append(lines, line)
	}
	return reply{text: strings.Join(lines, "\n")}
}

func cmdFAQ(ctx context.Context, b *Bot, req *request, _ Partner) reply {
	query := strings.Join(req.args, " ")
	var apis []string // staff: every API
	if req.id.Role == RolePartner {
		p, err := b.svc.Directory.Partner(ctx, req.id.Partner)
		if err != nil {
			return b.failed(req, "partner directory", err)
		}
		apis = p.APIs
	}
	answers, err := b.svc.FAQ.Search(ctx, apis, query, 3)
	if err != nil {
		return b.failed(req, "faq", err)
	}
	params := map[string]string{"query": query}
	if len(answers) == 0 {
		return reply{text: "No FAQ answer matches \"" + query + "\". Try other words, or ask your BAU contact.", params: params, detail: "no match"}
	}
	var out []string
	for _, a := range answers {
		entry := a.Title + "\n" + a.Link
		if a.Snippet != "" {
			entry += "\n" + a.Snippet
		}
		out = append(out, entry)
	}
	return reply{text: strings.Join(out, "\n\n"), params: params}
}
