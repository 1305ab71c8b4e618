package tools

import (
	"fmt"
	"strings"
	"time"
)

// Problem is one mistake in a tools file, at a line.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p *Problem) Error() string {
	if p.File == "" {
		return fmt.Sprintf("%d: %s", p.Line, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// LoadError is every problem found in a tools file, in line order; its
// message has one "FILE:LINE: message" per line.
type LoadError struct {
	Problems []Problem
}

func (e *LoadError) Error() string {
	parts := make([]string, len(e.Problems))
	for i := range e.Problems {
		parts[i] = e.Problems[i].Error()
	}
	return strings.Join(parts, "\n")
}

// UnknownToolError: no tool of that name, or not one the caller may use
// (the two look the same to a caller, so a partner cannot probe for tools).
type UnknownToolError struct{ Name string }

func (e *UnknownToolError) Error() string { return fmt.Sprintf("no tool %q", e.Name) }

// PrivateOnlyError: the tool takes or returns secrets and the caller is a
// group chat.
type PrivateOnlyError struct{ Tool string }

func (e *PrivateOnlyError) Error() string {
	return fmt.Sprintf("tool %s handles secrets and works only in a private chat", e.Tool)
}

// RateLimitError: the caller used the tool too often; try again after Wait.
type RateLimitError struct {
	Tool string
	Wait time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("tool %s: rate limit reached, try again in %s", e.Tool, e.Wait.Round(time.Second))
}

// ParamError: the parameters do not satisfy the tool's schemas. Nothing was
// sent.
type ParamError struct {
	Tool     string
	Problems []string // "amount: must be >= 1", one per parameter problem
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("tool %s: invalid parameters: %s", e.Tool, strings.Join(e.Problems, "; "))
}

// UpstreamError: the internal service failed (no answer, a non-2xx status, or
// an answer that is not JSON).
type UpstreamError struct {
	Tool   string
	Status int // 0 when there was no HTTP answer
	Err    error
}

func (e *UpstreamError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("tool %s: internal service answered %d", e.Tool, e.Status)
	}
	return fmt.Sprintf("tool %s: internal service failed: %v", e.Tool, e.Err)
}

func (e *UpstreamError) Unwrap() error { return e.Err }
