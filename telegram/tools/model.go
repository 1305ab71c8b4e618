// Package tools reads tools.yaml, the declarative list of internal HTTP
// services the bot exposes (each a bot command and a button on the partner's
// web page), checks it at start with FILE:LINE errors, and calls a tool with
// parameters validated against their JSON Schemas before anything is sent.
package tools

import (
	"time"

	"github.com/golive-cert/golive/telegram/ratelimit"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Catalog is a checked tools file.
type Catalog struct {
	Source string
	Tools  []*Tool
}

// Tool is one internal service.
type Tool struct {
	Name        string
	Description string
	Method      string
	URL         string // may hold {param} and {partner}
	Params      []*Param
	Returns     []Return
	Roles       []string // who may call: "partner", "staff"
	Partners    []string // partner ids allowed; empty: all
	RateLimit   ratelimit.Limit
	Timeout     time.Duration
	Line        int // where the tool starts in Source
}

// Param is one parameter of a tool.
type Param struct {
	Name        string
	Description string
	Required    bool
	Secret      bool
	Type        string // the schema's top-level type, used to read chat text
	schema      *jsonschema.Schema
}

// Return is a response field sent back to the caller.
type Return struct {
	Name   string
	Path   string // gjson path into the response body
	Secret bool
}

// Private reports whether the tool works only in private chats: it takes or
// returns a secret.
func (t *Tool) Private() bool {
	for _, p := range t.Params {
		if p.Secret {
			return true
		}
	}
	for _, r := range t.Returns {
		if r.Secret {
			return true
		}
	}
	return false
}

// Usage is the tool's one-line usage: "/name key=<type> [opt=<type>]".
func (t *Tool) Usage() string {
	s := "/" + t.Name
	for _, p := range t.Params {
		typ := p.Type
		if typ == "" {
			typ = "value"
		}
		arg := p.Name + "=<" + typ + ">"
		if !p.Required {
			arg = "[" + arg + "]"
		}
		s += " " + arg
	}
	return s
}

// Allows reports whether a caller of role (and partner, for partners) may
// use the tool.
func (t *Tool) Allows(role, partner string) bool {
	roleOK := false
	for _, r := range t.Roles {
		roleOK = roleOK || r == role
	}
	if !roleOK {
		return false
	}
	if role != "partner" || len(t.Partners) == 0 {
		return true
	}
	for _, p := range t.Partners {
		if p == partner {
			return true
		}
	}
	return false
}

// Find is the tool called name, or nil.
func (c *Catalog) Find(name string) *Tool {
	for _, t := range c.Tools {
		if t.Name == name {
			return t
		}
	}
	return nil
}
