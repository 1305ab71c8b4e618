package telegram

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/go-telegram/bot/models"
	"github.com/golive-cert/golive/telegram/tools"
)

// command is one built-in command.
type command struct {
	name  string
	usage string // one line: "/status REF"
	help  string
	// args bounds the words after the command; max -1 for any number.
	minArgs, maxArgs int
	// partner: acts on the chat's partner, so staff chats cannot use it.
	partner bool
	// private: answers with a secret, so refused in groups.
	private bool
	run     func(ctx context.Context, b *Bot, req *request, p Partner) reply
}

// refPattern is what a sandbox reference may look like; anything else is a
// usage error, answered before the sandbox is asked.
var refPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)

func (b *Bot) registerCommands() {
	cmds := []*command{
		{name: "/help", usage: "/help", help: "what I can do", maxArgs: 0, run: cmdHelp},
		{name: "/apis", usage: "/apis", help: "your APIs and registered endpoint", partner: true, run: cmdAPIs},
		{name: "/token", usage: "/token API", help: "a sandbox token for an API (private chat only)", minArgs: 1, maxArgs: 1, partner: true, private: true, run: cmdToken},
		{name: "/status", usage: "/status REF", help: "a sandbox transaction's state and history", minArgs: 1, maxArgs: 1, partner: true, run: cmdStatus},
		{name: "/callback", usage: "/callback REF", help: "send a transaction's callback to you again", minArgs: 1, maxArgs: 1, partner: true, run: cmdCallback},
		{name: "/outcome", usage: "/outcome REF success|failed", help: "force a sandbox transaction's outcome", minArgs: 2, maxArgs: 2, partner: true, run: cmdOutcome},
		{name: "/doctor", usage: "/doctor", help: "check connectivity from golive to your endpoint", partner: true, run: cmdDoctor},
		{name: "/run", usage: "/run API", help: "certify your staging endpoint for an API", minArgs: 1, maxArgs: 1, partner: true, run: cmdRun},
		{name: "/progress", usage: "/progress", help: "your checklist progress per API", partner: true, run: cmdProgress},
		// Only "/uat open" answers with a secret, so the command checks the
		// chat itself rather than being private as a whole.
		{name: "/uat", usage: uatUsage, help: "UAT sessions of your own client: list, open (private chat only), close", maxArgs: -1, partner: true, run: cmdUAT},
		{name: "/faq", usage: "/faq WORDS", help: "search the FAQ of your APIs", minArgs: 1, maxArgs: -1, run: cmdFAQ},
		{name: "/unlink", usage: "/unlink", help: "unlink this chat", run: cmdUnlink},
		{name: "/start", usage: "/start CODE", help: "link this chat with a code from BAU", maxArgs: 1},
	}
	b.commands = map[string]*command{}
	for _, c := range cmds {
		b.commands[c.name] = c
	}
	b.order = cmds
}

// dispatch runs a linked chat's command: a built-in or a tool.
func (b *Bot) dispatch(ctx context.Context, req *request) reply {
	c, ok := b.commands[req.cmd]
	if !ok {
		if t := b.tools.Catalog().Find(strings.TrimPrefix(req.cmd, "/")); t != nil && t.Allows(string(req.id.Role), req.id.Partner) {
			return b.runTool(ctx, req, t)
		}
		return reply{text: "I don't know " + req.cmd + ". Send /help for what I can do.", outcome: AuditUsage}
	}
	if n := len(req.args); n < c.minArgs || (c.maxArgs >= 0 && n > c.maxArgs) {
		return usage(c.usage)
	}
	if c.private && !req.chat.Private {
		return privateOnly(c.name)
	}
	if !c.partner {
		return c.run(ctx, b, req, Partner{})
	}
	if req.id.Role != RolePartner {
		return reply{text: c.name + " acts on a partner, and this chat is linked to BAU staff.", outcome: AuditRefused}
	}
	p, err := b.svc.Directory.Partner(ctx, req.id.Partner)
	if err != nil {
		return b.failed(req, "partner directory", err)
	}
	return c.run(ctx, b, req, p)
}

// privateOnly refuses a command that answers with a secret in a group.
func privateOnly(name string) reply {
	return reply{text: name + " answers with a secret, so it works only in a private chat with me. Message me directly.",
		outcome: AuditRefused, detail: "secret refused in a group chat"}
}

func usage(line string) reply {
	return reply{text: "Usage: " + line, outcome: AuditUsage}
}

// start links the chat with a code, or greets a chat already linked.
func (b *Bot) start(ctx context.Context, req *request) reply {
	if len(req.args) == 0 {
		if id, err := b.svc.Links.Lookup(ctx, req.chat.ID); err == nil {
			req.id = id
			return reply{text: "This chat is linked. " + helpText(b, req)}
		}
		return reply{text: unlinkedText, outcome: AuditRefused, detail: "no code"}
	}
	if len(req.args) > 1 {
		return usage("/start CODE")
	}
	masked := map[string]string{"code": mask(req.args[0])}
	id, err := b.svc.Links.Redeem(ctx, req.args[0], req.chat)
	var le *LinkError
	switch {
	case errors.As(err, &le) && le.Reason == LinkExpired:
		return reply{text: "That code has expired. Ask your BAU contact for a new one.", outcome: AuditRefused, detail: "code expired", params: masked}
	case errors.As(err, &le):
		// Unknown and used codes look the same, so codes cannot be probed.
		return reply{text: "That code is not valid (codes work once). Ask your BAU contact for a new one.", outcome: AuditRefused, detail: "code " + string(le.Reason), params: masked}
	case err != nil:
		r := b.failed(req, "links", err)
		r.params = masked
		return r
	}
	req.id = id
	who := "BAU staff"
	if id.Role == RolePartner {
		who = id.Partner
		if p, err := b.svc.Directory.Partner(ctx, id.Partner); err == nil && p.Name != "" {
			who = p.Name
		}
	}
	return reply{text: "Linked: this chat now speaks for " + who + ".\n\n" + helpText(b, req), params: masked}
}

func cmdHelp(_ context.Context, b *Bot, req *request, _ Partner) reply {
	return reply{text: helpText(b, req)}
}

func helpText(b *Bot, req *request) string {
	var lines []string
	for _, c := range b.order {
		if c.name == "/start" || (c.partner && req.id.Role != RolePartner) {
			continue
		}
		lines = append(lines, c.usage+" — "+c.help)
	}
	for _, t := range b.tools.Visible(string(req.id.Role), req.id.Partner) {
		lines = append(lines, t.Usage()+" — "+t.Description)
	}
	return "Commands:\n" + strings.Join(lines, "\n")
}

func cmdUnlink(ctx context.Context, b *Bot, req *request, _ Partner) reply {
	if err := b.svc.Links.Revoke(ctx, req.chat.ID); err != nil {
		return b.failed(req, "links", err)
	}
	return reply{text: "This chat is unlinked. Send /start CODE with a new code to link it again."}
}

// runTool calls a declared tool with "/name key=value ..." arguments.
func (b *Bot) runTool(ctx context.Context, req *request, t *tools.Tool) reply {
	params, err := t.ParseArgs(req.args)
	if err != nil {
		return usage(t.Usage())
	}
	res, err := b.callTool(ctx, tools.Caller{Role: string(req.id.Role), Partner: req.id.Partner,
		Key: chatKey(req.chat.ID), Private: req.chat.Private}, t, params)
	r := reply{params: t.Mask(params)}
	var (
		pe *tools.ParamError
		po *tools.PrivateOnlyError
		rl *tools.RateLimitError
		ue *tools.UpstreamError
	)
	switch {
	case errors.As(err, &pe):
		r.text, r.outcome, r.detail = "Not sent: "+strings.Join(pe.Problems, "; ")+"\nUsage: "+t.Usage(), AuditInvalid, strings.Join(pe.Problems, "; ")
	case errors.As(err, &po):
		r.text, r.outcome = "/"+t.Name+" handles secrets, so it works only in a private chat with me.", AuditRefused
	case errors.As(err, &rl):
		r.text, r.outcome = fmt.Sprintf("/%s is limited to %s. Try again in %s.", t.Name, t.RateLimit, roundUp(rl.Wait)), AuditRateLimited
	case errors.As(err, &ue):
		r.text, r.outcome, r.detail = "Sorry, the service behind /"+t.Name+" is not answering properly. Try again later; if it keeps failing, tell your BAU contact.", AuditError, ue.Error()
	case err != nil:
		r.text, r.outcome, r.detail = "Sorry, /"+t.Name+" did not work.", AuditError, err.Error()
	default:
		r.text = formatToolResult(t, res)
	}
	return r
}

// CallTool calls a declared tool for any front end (the hub's web page
// buttons), with the same checks as the chat command, and audits it.
func (b *Bot) CallTool(ctx context.Context, c tools.Caller, name string, params map[string]any) (*tools.Result, error) {
	t := b.tools.Catalog().Find(name)
	if t == nil {
		return nil, &tools.UnknownToolError{Name: name}
	}
	res, err := b.callTool(ctx, c, t, params)
	outcome := toolOutcome(err)
	detail := ""
	if err != nil {
		detail = err.Error()
	}
	b.record(ctx, AuditEntry{Caller: c.Key, Role: Role(c.Role), Partner: c.Partner, Action: "tool:" + name,
		Params: t.Mask(params), Outcome: outcome, Detail: detail})
	return res, err
}

// Tools is the tools a caller may use, for a front end's buttons.
func (b *Bot) Tools(role Role, partner string) []*tools.Tool {
	return b.tools.Visible(string(role), partner)
}

func (b *Bot) callTool(ctx context.Context, c tools.Caller, t *tools.Tool, params map[string]any) (*tools.Result, error) {
	res, err := b.tools.Call(ctx, c, t.Name, params)
	if err != nil {
		return nil, fmt.Errorf("tool %s: %w", t.Name, err)
	}
	return res, nil
}

func toolOutcome(err error) AuditOutcome {
	var (
		pe *tools.ParamError
		po *tools.PrivateOnlyError
		rl *tools.RateLimitError
		ut *tools.UnknownToolError
	)
	switch {
	case err == nil:
		return AuditOK
	case errors.As(err, &pe):
		return AuditInvalid
	case errors.As(err, &po), errors.As(err, &ut):
		return AuditRefused
	case errors.As(err, &rl):
		return AuditRateLimited
	default:
		return AuditError
	}
}

func formatToolResult(t *tools.Tool, res *tools.Result) string {
	lines := []string{"/" + t.Name + ":"}
	for _, f := range res.Fields {
		v := f.Value
		if v == "" {
			v = "(not in the answer)"
		}
		lines = append(lines, f.Name+": "+v)
	}
	return strings.Join(lines, "\n")
}

// mask hides a secret for the audit log; whether one was given still shows.
func mask(s string) string {
	if s == "" {
		return ""
	}
	return "***"
}

// apiButtons are inline buttons for one API's commands; secrets only get a
// button in a private chat.
func apiButtons(apis []string, private bool) *models.InlineKeyboardMarkup {
	sorted := append([]string{}, apis...)
	sort.Strings(sorted)
	var rows [][]models.InlineKeyboardButton
	for _, api := range sorted {
		var row []models.InlineKeyboardButton
		if private {
			row = append(row, models.InlineKeyboardButton{Text: "token " + api, CallbackData: "/token " + api})
		}
		row = append(row, models.InlineKeyboardButton{Text: "run " + api, CallbackData: "/run " + api})
		rows = append(rows, row)
	}
	rows = append(rows, []models.InlineKeyboardButton{{Text: "progress", CallbackData: "/progress"}, {Text: "doctor", CallbackData: "/doctor"},
		{Text: "uat", CallbackData: "/uat"}})
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}
