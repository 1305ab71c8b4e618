package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/uat"
)

type uatCmd struct {
	cmd           *cobra.Command
	apis          []string
	partner       string
	listen        string
	tlsCert       string
	tlsKey        string
	deadline      time.Duration
	untilComplete bool
	out           string
	timing        uat.Timing
	loopbackOnly  bool
}

func newUATCmd(gs *GlobalState) *uatCmd {
	c := &uatCmd{timing: uat.DefaultTiming()}
	c.cmd = &cobra.Command{
		Use:   "uat --api NAME [--api NAME] --partner NAME --listen ADDR --out DIR",
		Short: "Run a UAT session that certifies a partner's own client of the BAU APIs",
		Long: `uat serves the sandbox for a partner's client, with credentials issued for this
session, prints the base URL, the credentials (once) and the UAT case list the
partner plays through their own application, records every exchange (masked)
and grades the traffic against the client checklist when the session ends:
every case played (--until-complete), the deadline, or Ctrl-C. The reports
(results.json, junit.xml, report.html, manifest.json) and the recording
(exchanges.jsonl, recording.har) are written to --out.`,
		Example: `  golive uat --api collections --partner acme --listen 0.0.0.0:8443 \
      --tls-cert cert.pem --tls-key key.pem --deadline 2h --out uat-acme/`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return c.run(gs) },
	}
	f := c.cmd.Flags()
	f.StringArrayVar(&c.apis, "api", nil, "BAU API the client calls: "+strings.Join(uat.APIs(), ", ")+"; repeatable")
	f.StringVar(&c.partner, "partner", "", "partner name for the reports")
	f.StringVar(&c.listen, "listen", "127.0.0.1:8080", "address to serve the session on (0.0.0.0:PORT to reach it from outside)")
	f.StringVar(&c.tlsCert, "tls-cert", "", "PEM certificate: serve HTTPS only")
	f.StringVar(&c.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	f.DurationVar(&c.deadline, "deadline", 2*time.Hour, "end the session after this long")
	f.BoolVar(&c.untilComplete, "until-complete", false, "end the session once every case was played and followed to its end")
	f.StringVar(&c.out, "out", "golive-uat", "folder for the reports and the recording")
	f.BoolVar(&c.loopbackOnly, "callbacks-loopback-only", false, "deliver callbacks only to loopback callbackUrls")
	addTimingFlags(c.cmd, &c.timing)
	return c
}

// addTimingFlags exposes the scripted durations; the defaults suit a
// session on a call, tests shorten them.
func addTimingFlags(cmd *cobra.Command, t *uat.Timing) {
	f := cmd.Flags()
	f.DurationVar(&t.Settle, "settle-after", t.Settle, "time from PROCESSING to final for ordinary payments")
	f.DurationVar(&t.LongProcessing, "long-processing", t.LongProcessing, "time the long-processing case stays PROCESSING")
	f.DurationVar(&t.Hold, "hold", t.Hold, "how long the timeout case's answer is held")
	f.DurationVar(&t.RetryAfter, "retry-after", t.RetryAfter, "length of the maintenance window (sent as Retry-After)")
	f.DurationVar(&t.MinPollInterval, "poll-interval", t.MinPollInterval, "the documented minimum pause between status queries of one payment")
	f.DurationVar(&t.AckBudget, "ack-budget", t.AckBudget, "how fast the client's receiver must acknowledge a callback")
	f.IntVar(&t.ExpireTokenAt, "expire-token-at", t.ExpireTokenAt, "the secured call (per API) at which the session expires the token")
}

func (c *uatCmd) run(gs *GlobalState) error {
	if len(c.apis) == 0 {
		return invalidf("--api is required: %s", strings.Join(uat.APIs(), ", "))
	}
	for _, a := range c.apis {
		if !uat.IsAPI(a) {
			return invalid(&uat.UnknownAPIError{Name: a})
		}
	}
	if c.deadline <= 0 {
		return invalidf("--deadline %s: want a positive duration such as 2h", c.deadline)
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return invalidf("--tls-cert and --tls-key go together")
	}
	if err := checkOut(c.out); err != nil {
		return err
	}
	p := newUATPrinter(gs)
	s, err := uat.Start(gs.Ctx, uat.Config{APIs: c.apis, Partner: c.partner, Listen: c.listen,
		TLSCert: c.tlsCert, TLSKey: c.tlsKey, Timing: c.timing, OutDir: c.out,
		AllowAnyCallbackHost: !c.loopbackOnly, Observer: p.event, Version: gs.Version})
	if err != nil {
		return sessionStartError(err)
	}
	if err := clearSessionOut(s, c.out); err != nil {
		return err
	}
	printSessionStart(gs.Stdout, s, c.partner)
	reason := waitSession(gs.Ctx, s, c.deadline, c.untilComplete)
	p.stop()
	return finishSession(gs, s, reason, c.out)
}

// clearSessionOut removes an earlier verdict from out once a session has
// really started (a refused command line leaves out as it was), so no old
// report stands beside this session's recording as if it were its verdict.
func clearSessionOut(s *uat.Session, out string) error {
	if err := reports.Clear(out); err != nil {
		_, _ = s.Close(uat.EndStopped)
		return invalidf("--out %s: %v", out, err)
	}
	return nil
}

// sessionStartError maps a session's start errors to exit codes.
func sessionStartError(err error) error {
	var unknown *uat.UnknownAPIError
	var listen *uat.ListenError
	var cert *uat.CertificateError
	switch {
	case errors.As(err, &unknown):
		return invalid(err)
	case errors.As(err, &listen):
		return invalidf("--listen %s: %v", listen.Addr, listen.Err)
	case errors.As(err, &cert):
		return invalidf("--tls-cert/--tls-key: %v", oneLineErr(cert.Err))
	}
	return internal(err)
}

func oneLineErr(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// waitSession blocks until the session ends and says why.
func waitSession(ctx context.Context, s *uat.Session, deadline time.Duration, untilComplete bool) uat.EndReason {
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	var complete <-chan struct{}
	if untilComplete {
		complete = s.Complete(ctx)
	}
	select {
	case <-ctx.Done():
		return uat.EndInterrupted
	case <-timer.C:
		return uat.EndDeadline
	case <-complete:
		return uat.EndComplete
	}
}

// finishSession grades, writes the reports and returns the exit code.
func finishSession(gs *GlobalState, s *uat.Session, reason uat.EndReason, out string) error {
	run, closeErr := s.Close(reason)
	if err := reports.WriteAll(out, run); err != nil {
		return internal(fmt.Errorf("write reports: %w", err))
	}
	term := &reports.Terminal{W: gs.Stdout, Color: useColor(gs)}
	fmt.Fprintf(gs.Stdout, "\nSession ended: %s\n", reason)
	term.Summary(run)
	fmt.Fprintf(gs.Stdout, "Reports: %s (recording: %s, %s)\n", out, uat.ExchangesFile, uat.HARFile)
	if closeErr != nil {
		return internal(closeErr)
	}
	return exit(verdictCode(run))
}

// printSessionStart prints what the partner needs: the base URL, the
// credentials (the only time they are shown) and the case list.
func printSessionStart(w io.Writer, s *uat.Session, partner string) {
	cr := s.Credentials()
	if partner == "" {
		fmt.Fprintf(w, "UAT session at %s (no --partner given: the reports name no partner)\n\n", s.BaseURL())
	} else {
		fmt.Fprintf(w, "UAT session for %s at %s\n\n", partner, s.BaseURL())
	}
	fmt.Fprintf(w, "Credentials (shown once; masked in every recording and report):\n")
	fmt.Fprintf(w, "  client-id:    %s\n  api-key:      %s\n  checksum key: %s\n\n", cr.ClientID, cr.APIKey, cr.ChecksumKey)
	fmt.Fprintf(w, "Cases to play through your application:\n")
	for _, cs := range s.Cases() {
		fmt.Fprintf(w, "  %-34s %s\n  %-34s   values: %s\n  %-34s   expect: %s\n", cs.ID, cs.Title, "", cs.Values, "", cs.Expect)
	}
	fmt.Fprintln(w)
}

// uatPrinter shows progress: one rewritten line on a terminal, a plain
// log line per event otherwise.
type uatPrinter struct {
	gs   *GlobalState
	mu   sync.Mutex
	done bool
	last string
}

func newUATPrinter(gs *GlobalState) *uatPrinter { return &uatPrinter{gs: gs} }

func (p *uatPrinter) event(e uat.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	status := fmt.Sprintf("cases %d/%d · problems %d · exchanges %d", e.CasesSeen, e.CasesTotal, e.Problems, e.Exchanges)
	if p.gs.IsTTY {
		if e.Kind == uat.EventCase || e.Kind == uat.EventProblem {
			fmt.Fprintf(p.gs.Stdout, "\r\x1b[K%s %s\n", e.Time.Format("15:04:05"), e.Message)
		}
		fmt.Fprintf(p.gs.Stdout, "\r\x1b[K%s", status)
		p.last = status
		return
	}
	fmt.Fprintf(p.gs.Stdout, "%s %-8s %s [%s]\n", e.Time.Format("15:04:05.000"), e.Kind, e.Message, status)
}

func (p *uatPrinter) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = true
	if p.gs.IsTTY && p.last != "" {
		fmt.Fprintln(p.gs.Stdout)
	}
}
