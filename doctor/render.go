package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
)

// commands are the checks a partner can run from their side, one per
// layer, so both ends can compare what they see.
func commands(u *url.URL, host, port, caFile string) []Command {
	var out []Command
	if net.ParseIP(host) == nil {
		out = append(out,
			Command{"dns", "resolve the host name", "nslookup " + shellQuote(host)},
			Command{"dns", "resolve the host name (addresses only)", "dig +short " + shellQuote(host)})
	}
	out = append(out,
		Command{"tcp", "open a TCP connection to the port", "nc -vz " + shellQuote(host) + " " + port},
		Command{"tcp", "the same, where nc is missing", "telnet " + shellQuote(host) + " " + port})
	if u.Scheme == "https" {
		line := "openssl s_client -connect " + shellQuote(net.JoinHostPort(host, port))
		if sni(host) != "" {
			line += " -servername " + shellQuote(host)
		}
		if caFile != "" {
			line += " -CAfile " + shellQuote(caFile)
		}
		out = append(out, Command{"tls", "show the TLS handshake and the certificate chain", line})
	}
	curl := "curl -v " + shellQuote(u.String())
	if caFile != "" {
		curl = "curl -v --cacert " + shellQuote(caFile) + " " + shellQuote(u.String())
	}
	out = append(out, Command{"http", "send the HTTP request and show every layer", curl})
	return out
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._:/[]@%+=,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// WriteJSON writes the report as indented JSON (schema golive.doctor/v1).
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write doctor report: %w", err)
	}
	return nil
}

// WriteText writes the report for a person: one block per layer, the
// verdict, then the commands to run.
func WriteText(w io.Writer, rep *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "golive doctor %s\n\n", rep.URL)
	for _, l := range rep.Layers {
		fmt.Fprintf(&b, "  %-5s %-8s %s\n", strings.ToUpper(l.Name), l.Status, l.Summary)
		for _, line := range details(l) {
			fmt.Fprintf(&b, "  %-5s %-8s %s\n", "", "", line)
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "\nNote: %s\n", n)
	}
	word, why := "REACHABLE", strings.TrimPrefix(rep.Verdict, "reachable: ")
	if !rep.Reachable {
		word, why = "NOT REACHABLE", strings.TrimPrefix(rep.Verdict, "not reachable: ")
	}
	fmt.Fprintf(&b, "\nVerdict: %s — %s\n\nCheck it yourself:\n", word, why)
	for _, c := range rep.Commands {
		fmt.Fprintf(&b, "  %s\n", c.Line)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write doctor report: %w", err)
	}
	return nil
}

// details are the indented lines under a layer's summary.
func details(l Layer) []string {
	var out []string
	if l.TCP != nil && l.Status == Fail && len(l.TCP.Attempts) > 1 {
		out = append(out, l.TCP.Attempts...)
	}
	if t := l.TLS; t != nil {
		out = append(out,
			"version:  "+t.Version+", "+t.CipherSuite,
			"subject:  "+t.Subject,
			"issuer:   "+t.Issuer,
			"names:    "+orNone(strings.Join(t.SANs, ", ")),
			fmt.Sprintf("valid:    %s to %s (%s)", t.NotBefore.Format(dateFormat), t.NotAfter.Format(dateFormat), daysLeft(t.DaysLeft)))
		if len(t.Chain) > 1 {
			out = append(out, "chain:    "+strings.Join(t.Chain, " <- "))
		}
		switch {
		case t.ChainValid:
			out = append(out, "trusted:  yes")
		case t.ChainError == l.Summary:
			out = append(out, "trusted:  no")
		default:
			out = append(out, "trusted:  no: "+t.ChainError)
		}
	}
	if l.HTTP != nil && l.HTTP.ContentType != "" {
		out = append(out, "content-type: "+oneLine(l.HTTP.ContentType))
	}
	if l.Fix != "" {
		out = append(out, "fix: "+l.Fix)
	}
	return out
}

func daysLeft(n int) string {
	switch {
	case n < 0:
		return fmt.Sprintf("expired %d days ago", -n)
	case n == 0:
		return "expires within a day"
	}
	return fmt.Sprintf("%d days left", n)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
