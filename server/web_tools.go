package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golive-cert/golive/telegram"
	"github.com/golive-cert/golive/telegram/tools"
)

// The tools.yaml tools as forms on the partner page: the same invocation as
// the bot's commands (telegram.Bot.CallTool): access, the per-user rate
// limit, the parameters' schemas before anything is sent, the audit entry
// with secret parameters masked.

// toolView is one tool's form.
type toolView struct {
	Name, Description string
	Params            []toolParamView
}

type toolParamView struct {
	Name, Description string
	Required, Secret  bool
	Input             string // the input's type: number, password, text
}

// toolParamPrefix names the form fields of a tool's parameters, so none
// collides with the form's own (csrf).
const toolParamPrefix = "p."

// toolCaller is who calls a tool from the web: rate-limited per user, and
// private (the answer is seen in the caller's own browser only).
func toolCaller(c *caller, partner string) tools.Caller {
	role := string(telegram.RolePartner)
	if c.p.Staff() {
		role = string(telegram.RoleStaff)
	}
	return tools.Caller{Role: role, Partner: partner, Key: webCallerPrefix + c.user.ID, Private: true}
}

// toolViews are the tools the viewing user may use for this partner.
func (s *Server) toolViews(c *caller, partner string) []toolView {
	if s.bot == nil {
		return nil
	}
	tc := toolCaller(c, partner)
	var out []toolView
	for _, t := range s.bot.Tools(telegram.Role(tc.Role), partner) {
		v := toolView{Name: t.Name, Description: t.Description}
		for _, p := range t.Params {
			pv := toolParamView{Name: p.Name, Description: p.Description, Required: p.Required, Secret: p.Secret, Input: "text"}
			switch {
			case p.Secret:
				pv.Input = "password"
			case p.Type == "integer" || p.Type == "number":
				pv.Input = "number"
			}
			v.Params = append(v.Params, pv)
		}
		out = append(out, v)
	}
	return out
}

// toolResultPage is a tool's answer (or the one-line problem).
type toolResultPage struct {
	PartnerID, Partner, Tool string
	Fields                   []tools.Field
	Problem                  string
}

// formCallTool calls a tool for the partner from its page.
func (s *Server) formCallTool(w http.ResponseWriter, r *http.Request, c *caller) error {
	ctx, id, name := r.Context(), r.PathValue("partner"), r.PathValue("tool")
	pt, err := s.store.GetPartner(ctx, c.p, id) // another partner's: not found
	if err != nil {
		return err
	}
	if s.bot == nil {
		return notFoundf("no tool %q: the hub runs no tools", name)
	}
	tc := toolCaller(c, pt.ID)
	var tool *tools.Tool
	for _, t := range s.bot.Tools(telegram.Role(tc.Role), pt.ID) {
		if t.Name == name {
			tool = t
		}
	}
	if tool == nil {
		return notFoundf("no tool %q for %s", name, pt.Name)
	}
	var args []string
	for _, p := range tool.Params {
		if v := r.PostFormValue(toolParamPrefix + p.Name); v != "" {
			args = append(args, p.Name+"="+v)
		}
	}
	page := toolResultPage{PartnerID: pt.ID, Partner: pt.Name, Tool: name}
	params, err := tool.ParseArgs(args)
	if err == nil {
		var res *tools.Result
		if res, err = s.bot.CallTool(ctx, tc, name, params); err == nil {
			page.Fields = res.Fields
			return s.render(w, http.StatusOK, "toolresult", s.pageFor(c, name, page))
		}
	}
	status, problem := toolProblem(name, err)
	if status >= 500 {
		s.log.Warn("tool failed", "tool", name, "partner", pt.ID, "err", err)
	}
	page.Problem = problem
	return s.render(w, status, "toolresult", s.pageFor(c, name, page))
}

// toolProblem is the status and the one line a tool's error shows.
func toolProblem(name string, err error) (int, string) {
	var (
		pe *tools.ParamError
		rl *tools.RateLimitError
		ut *tools.UnknownToolError
		po *tools.PrivateOnlyError
	)
	switch {
	case errors.As(err, &pe):
		return http.StatusBadRequest, "Not sent: " + strings.Join(pe.Problems, "; ")
	case errors.As(err, &rl):
		return http.StatusTooManyRequests, fmt.Sprintf("%s was used too often: try again in %s.", name, max(time.Second, rl.Wait.Round(time.Second)))
	case errors.As(err, &ut):
		return http.StatusNotFound, fmt.Sprintf("no tool %q", name)
	case errors.As(err, &po):
		return http.StatusForbidden, name + " handles secrets and works only where its answer is private."
	}
	return http.StatusBadGateway, "The service behind " + name + " is not answering properly. Try again later; if it keeps failing, tell your BAU contact."
}
