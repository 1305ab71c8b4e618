package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golive-cert/golive/uat"
	"github.com/golive-cert/golive/uat/client"
)

// clientFaultList names the client faults for --help.
func clientFaultList() string {
	var names []string
	for _, f := range client.Faults() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// runClientDemo is `golive demo --client`: a UAT session on loopback and
// the reference client (with a client fault, maybe) played through it,
// in-process, then the usual reports and verdict.
func runClientDemo(gs *GlobalState, fault, out string) error {
	if !client.IsFault(fault) {
		return invalidf("--fault: %v", &client.UnknownFaultError{Name: fault})
	}
	if err := checkOut(out); err != nil {
		return err
	}
	timing := uat.Timing{Settle: 300 * time.Millisecond, LongProcessing: time.Second, Hold: 30 * time.Second,
		RetryAfter: time.Second, MinPollInterval: 100 * time.Millisecond, AckBudget: 2 * time.Second, ExpireTokenAt: 5}
	apis := uat.APIs()
	s, err := uat.Start(gs.Ctx, uat.Config{APIs: apis, Partner: "golive reference client", Listen: "127.0.0.1:0",
		Timing: timing, OutDir: out, Version: gs.Version})
	if err != nil {
		return sessionStartError(err)
	}
	if err := clearSessionOut(s, out); err != nil {
		return err
	}
	fmt.Fprintf(gs.Stdout, "UAT session at %s; reference client (fault: %s) playing %d cases\n",
		s.BaseURL(), orNone(fault), len(s.Cases()))
	c, err := client.New(client.Config{BaseURL: s.BaseURL(), APIs: apis, Credentials: s.Credentials(),
		Timing: timing, Fault: fault, HeldAnswerTimeout: 2 * time.Second})
	if err != nil {
		_, _ = s.Close(uat.EndStopped)
		return internal(err)
	}
	reason := uat.EndStopped
	if err := c.Play(gs.Ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(gs.Stderr, "golive: reference client: %v\n", err)
	}
	// The receiver stays up until the session delivered every callback.
	waitCtx, cancel := context.WithTimeout(gs.Ctx, 30*time.Second)
	_ = s.WaitCallbacks(waitCtx)
	cancel()
	if gs.Ctx.Err() != nil {
		reason = uat.EndInterrupted
	}
	defer c.Close()
	return finishSession(gs, s, reason, out)
}
