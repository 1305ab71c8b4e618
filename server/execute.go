package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/doctor"
	"github.com/golive-cert/golive/exitcode"
	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server/store"
)

// runPayload is what a queued run carries beyond the store's columns.
type runPayload struct {
	// ReplyTo is the Telegram chat that asked for the run (0: none).
	ReplyTo int64 `json:"replyTo,omitempty"`
}

// storeTimeout bounds writing a finished run, which must happen even when
// the server is stopping (that is how an interrupted run is recorded).
const storeTimeout = 30 * time.Second

// RunFailure is why the hub could not carry a run out (as opposed to a run
// whose target failed, which is a verdict). Its message is shown to users
// and holds no secret.
type RunFailure struct {
	Stage string // environment, credentials, request, reports, store
	Err   error
	// Code is the exit code the CLI would give for the same failure:
	// exitcode.InvalidInput for the partner's registration or the request
	// (nothing was sent), exitcode.Internal (also when 0) for the hub's
	// own fault. The run carries it (GET /api/v1/runs/{run}).
	Code exitcode.Code
	// shown, when set, is what users read instead of Err: Err named a
	// path of the hub's own (its scratch directory), which only the log
	// shows.
	shown string
}

func (e *RunFailure) Error() string {
	if e.shown != "" {
		return e.Stage + ": " + e.shown
	}
	return e.Stage + ": " + e.Err.Error()
}
func (e *RunFailure) Unwrap() error { return e.Err }

// exitCode is Code, or exitcode.Internal when none was set.
func (e *RunFailure) exitCode() exitcode.Code {
	if e.Code == 0 {
		return exitcode.Internal
	}
	return e.Code
}

// requestFailure is a failure of certify: the request's fault (nothing
// was sent) or golive's own, as the CLI tells them apart.
func requestFailure(err error) *RunFailure {
	f := &RunFailure{Stage: "request", Err: err, Code: exitcode.Internal}
	var bad *certify.InvalidError
	if errors.As(err, &bad) {
		f.Code = exitcode.InvalidInput
	}
	return f
}

// hideScratch keeps the run's scratch directory, a path of the hub's own,
// out of what users read: a CA that is no certificate is named as the
// environment's caPem, anything else says "the hub's scratch directory"
// where it named the path. The log keeps the whole error.
func (e *RunFailure) hideScratch(dir string) {
	var ca *doctor.CAFileError
	if errors.As(e.Err, &ca) && !errors.Is(ca.Err, fs.ErrNotExist) && !errors.Is(ca.Err, fs.ErrPermission) {
		e.Stage, e.shown, e.Code = "environment", "caPem: "+ca.Err.Error(), exitcode.InvalidInput
		return
	}
	if msg := e.Err.Error(); dir != "" && strings.Contains(msg, dir) {
		e.shown = strings.ReplaceAll(msg, dir, "the hub's scratch directory")
	}
}

// execute carries out one claimed run: certify the partner's registered
// environment, render the reports, store everything in one transaction.
func (s *Server) execute(ctx context.Context, job store.Job) {
	r := job.Run
	done, err := s.certifyRun(ctx, r)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err != nil {
		var cause error = err
		code := exitcode.Internal
		if f, ok := err.(*RunFailure); ok {
			cause, code = f.Err, f.exitCode()
		}
		s.log.Warn("run failed", "run", r.ID, "partner", r.PartnerID, "err", err, "cause", cause, "exit_code", int(code))
		if ferr := s.store.FailRun(sctx, store.System(), r.ID, code, err.Error()); ferr != nil {
			s.log.Error("record failed run", "run", r.ID, "err", ferr)
		}
		s.events.publish(Event{Kind: EventDone, RunID: r.ID, State: string(store.RunFailed), Message: err.Error()})
		return
	}
	var payload runPayload
	_ = json.Unmarshal(job.Payload, &payload) // written by this package; an old shape only loses ReplyTo
	s.afterRun(sctx, done, payload)
}

// certifyRun runs the certification and stores its results; the error is
// a *RunFailure.
func (s *Server) certifyRun(ctx context.Context, r store.Run) (_ store.Run, err error) {
	var dir string // the run's scratch directory, once made
	defer func() {
		if f, ok := err.(*RunFailure); ok {
			f.hideScratch(dir)
		}
	}()
	sys := store.System()
	partner, err := s.store.GetPartner(ctx, sys, r.PartnerID)
	if err != nil {
		return store.Run{}, &RunFailure{Stage: "partner", Err: err}
	}
	env, err := s.store.GetEnvironment(ctx, sys, r.PartnerID, r.Environment)
	if errors.Is(err, store.ErrNotFound) {
		return store.Run{}, &RunFailure{Stage: "environment", Err: fmt.Errorf("no %s environment is registered for %s", r.Environment, partner.Name),
			Code: exitcode.InvalidInput}
	}
	if err != nil {
		return store.Run{}, &RunFailure{Stage: "environment", Err: err}
	}
	creds, err := s.store.DecryptCredentials(ctx, sys, r.PartnerID, r.Environment)
	if err != nil {
		return store.Run{}, &RunFailure{Stage: "credentials", Err: err}
	}
	dir, err = os.MkdirTemp(s.cfg.ScratchDir, "golive-run-")
	if err != nil {
		return store.Run{}, &RunFailure{Stage: "reports", Err: fmt.Errorf("scratch directory: %w", err),
			shown: "the hub cannot make a scratch directory for the reports (the hub's log says why)"}
	}
	defer os.RemoveAll(dir)

	req := certify.Request{
		APIs: r.APIs,
		Target: certify.Target{BaseURL: env.BaseURL, Environment: r.Environment, Partner: partner.Name,
			ServerName: env.TLS.ServerName, InsecureSkipVerify: env.TLS.InsecureSkipVerify},
		// The partner's stored credentials are the run's variables, given
		// as the CLI's are: ${GOLIVE_CLIENT_ID} and so on, resolved among
		// the stored values (never in the server's own environment), so the
		// runner masks every one of them in every report and curl line.
		Credentials: credentialsOf(creds),
		Options: certify.Options{AllowWrites: r.AllowWrites, Version: s.cfg.Version,
			CallbackListen: "127.0.0.1:0"},
	}
	if env.TLS.CAPEM != "" {
		req.Target.CAFile = filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(req.Target.CAFile, []byte(env.TLS.CAPEM), 0o600); err != nil {
			return store.Run{}, &RunFailure{Stage: "environment", Err: fmt.Errorf("write the CA: %w", err)}
		}
	}
	if s.cfg.Tune != nil {
		s.cfg.Tune(&req)
	}
	plan, err := certify.Build(ctx, req)
	if err != nil {
		return store.Run{}, requestFailure(err)
	}
	s.events.publish(Event{Kind: EventStarted, RunID: r.ID, Total: plan.Total()})
	res, err := plan.Run(ctx, certify.ObserverFunc(func(it results.Item, done, total int) {
		s.events.publish(Event{Kind: EventItem, RunID: r.ID, Done: done, Total: total, API: it.API,
			Item: it.ID, Title: it.Title, Status: string(it.Status)})
	}))
	if err != nil {
		return store.Run{}, requestFailure(err)
	}
	out := filepath.Join(dir, "reports")
	if err := reports.WriteAll(out, res); err != nil {
		return store.Run{}, &RunFailure{Stage: "reports", Err: err}
	}
	c, err := readPack(out)
	if err != nil {
		return store.Run{}, &RunFailure{Stage: "reports", Err: err}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	stored, err := s.store.CompleteRun(sctx, store.System(), r.ID, c)
	if err != nil {
		return store.Run{}, &RunFailure{Stage: "store", Err: err}
	}
	return stored, nil
}

// packFiles are the report files a run keeps, with their content types.
func packFiles() []struct{ name, ctype string } {
	return []struct{ name, ctype string }{
		{reports.ResultsFile, "application/json"},
		{reports.JUnitFile, "application/xml"},
		{reports.HTMLFile, "text/html; charset=utf-8"},
		{reports.ManifestFile, "application/json"},
	}
}

// readPack reads what reports.WriteAll wrote: results.json apart, every
// file (results.json too) as an artifact.
func readPack(dir string) (store.Completion, error) {
	var c store.Completion
	for _, f := range packFiles() {
		data, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			return store.Completion{}, fmt.Errorf("read %s: %w", f.name, err)
		}
		if f.name == reports.ResultsFile {
			c.Results = data
		}
		c.Artifacts = append(c.Artifacts, store.Artifact{Name: f.name, ContentType: f.ctype, Content: data})
	}
	return c, nil
}

// credentialsOf gives a run the partner's stored credentials. Each suite
// variable refers to its value through an environment variable name,
// ${GOLIVE_CLIENT_ID} for clientId as on the CLI, which the lookup
// resolves among the stored values only. A value that reaches a run
// through such a reference is a secret to the runner, masked in every
// report, event and curl line; a literal variable value would be sent
// and reported as it is. (Values under 8 bytes are not masked, as on the
// CLI: see runner's minSecretLen.) The stored value is inserted once, as
// it is: a "${...}" inside it is not expanded.
func credentialsOf(creds map[string]string) certify.Credentials {
	env := make(map[string]string, 2*len(creds))
	vars := make(map[string]string, len(creds))
	for _, k := range slices.Sorted(maps.Keys(creds)) {
		name := credentialEnvName(k)
		for _, taken := env[name]; taken; _, taken = env[name] {
			name += "_"
		}
		env[name] = creds[k]
		vars[k] = "${" + name + "}"
	}
	// ${clientId} in a header resolves to the stored value too, as it did.
	for k, v := range creds {
		if _, taken := env[k]; !taken && isEnvName(k) {
			env[k] = v
		}
	}
	return certify.Credentials{Vars: vars, LookupEnv: func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}}
}

// credentialEnvName is the variable a stored credential stands for in a
// run (and in its curl lines): the CLI's for the documented ones, a name
// made from the key for any other (an environment stored before the hub
// checked the keys).
func credentialEnvName(key string) string {
	if name, ok := credentialEnv[key]; ok {
		return name
	}
	var b strings.Builder
	b.WriteString("GOLIVE_CREDENTIAL_")
	for _, r := range key {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func isEnvName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}
