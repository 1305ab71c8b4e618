package cli

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/doctor"
	"github.com/golive-cert/golive/exitcode"
)

type doctorCmd struct {
	cmd     *cobra.Command
	caFile  string
	format  string
	timeout time.Duration
}

func newDoctorCmd(gs *GlobalState) *doctorCmd {
	c := &doctorCmd{}
	c.cmd = &cobra.Command{
		Use:   "doctor URL",
		Short: "Check layer by layer (DNS, TCP, TLS, HTTP) that golive can reach a target",
		Long: `doctor checks whether golive can reach URL, one layer at a time: the DNS
lookup, the TCP connect and its time, the TLS handshake and certificate
(version, cipher, subject, issuer, names, expiry, chain), and one HTTP GET
with its status and latency. Each layer says ok, fail or skipped and why, and
doctor prints the commands (nslookup, nc, telnet, openssl s_client, curl -v)
a partner can run to see the same from their side. No credentials are sent.

Exit codes: 0 reachable (the HTTP request was answered, whatever its status),
3 not reachable, 2 invalid input (URL, flags, CA file).`,
		Example: "  golive doctor https://staging.partner.example\n" +
			"  golive doctor --ca-file partner-ca.pem --format json https://staging.partner.example:8443/v1",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error { return c.run(gs, args[0]) },
	}
	f := c.cmd.Flags()
	f.StringVar(&c.caFile, "ca-file", "", "PEM file of CA certificates to trust besides the system's (a partner's private CA)")
	f.StringVar(&c.format, "format", "text", "output: text or json")
	f.DurationVar(&c.timeout, "timeout", 10*time.Second, "time limit for each layer")
	return c
}

func (c *doctorCmd) run(gs *GlobalState, url string) error {
	if c.format != "text" && c.format != "json" {
		return invalidf("--format %q: want text or json", c.format)
	}
	if c.timeout <= 0 {
		return invalidf("--timeout %s: want a positive duration", c.timeout)
	}
	rep, err := doctor.Probe(gs.Ctx, url, doctor.Options{CAFile: c.caFile, Timeout: c.timeout})
	if err != nil {
		var ca *doctor.CAFileError
		if errors.As(err, &ca) {
			return invalidf("--ca-file: %w", ca)
		}
		return invalid(err) // network trouble is in the report: an error is the input's
	}
	write := doctor.WriteText
	if c.format == "json" {
		write = doctor.WriteJSON
	}
	if err := write(gs.Stdout, rep); err != nil {
		return internal(err)
	}
	if !rep.Reachable {
		return exit(exitcode.NotTestable)
	}
	return nil
}
