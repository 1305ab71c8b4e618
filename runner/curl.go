package runner

import (
	"path/filepath"
	"sort"
	"strings"
)

// curl writes a shell line that repeats the exchange's request exactly, to
// paste into a ticket or a terminal. Real secrets become references to
// variables (the token as "${GOLIVE_TOKEN}", an encoded one as in
// secretForms), so whoever holds the credentials can run it; every other
// value, a forged credential included, is written as the literal value that
// was sent, as inert text (shell.go). Card numbers are masked, as everywhere.
//
// The line is built from the exchange, never by editing a finished line: a
// replacement inside quoted text could unbalance the quotes and make what
// follows live.
func (r *Runner) curl(ex *exchange) string {
	var b strings.Builder
	b.Grow(len(ex.reqBody) + 1024) // the body is most of it, and may be megabytes
	// --globoff: curl would read [] and {} in the URL as patterns and send
	// other requests; --path-as-is: it would resolve the /../ and /./ a probe
	// may send on purpose.
	b.WriteString("curl -sS -i --globoff --path-as-is -X ")
	if isMethodToken(ex.req.Method) {
		b.WriteString(ex.req.Method)
	} else {
		r.writeShellText(&b, ex.req.Method)
	}
	b.WriteString(" ")
	r.writeShellText(&b, ex.req.URL.String())
	if r.cfg.caFile != "" {
		// The file by its name only: reports carry no path of the machine
		// that ran golive, and whoever pastes the line has the CA file
		// where they stand.
		b.WriteString(" --cacert ")
		writeShellLiteral(&b, filepath.Base(r.cfg.caFile))
	}
	if r.cfg.insecureSkipVerify {
		b.WriteString(" --insecure") // as the run did: certificate not verified
	}
	names := make([]string, 0, len(ex.req.Header))
	for k := range ex.req.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if k == "User-Agent" || k == "Accept-Encoding" {
			continue
		}
		// One -H per value, as they were sent.
		for _, v := range ex.req.Header[k] {
			h := k + ": " + v
			if v == "" {
				h = k + ";" // curl drops a header written "Name:"; "Name;" sends it empty
			}
			b.WriteString(" -H ")
			r.writeShellText(&b, h)
		}
	}
	if len(ex.reqBody) > 0 {
		b.WriteString(" --data-raw ")
		r.writeShellText(&b, string(ex.reqBody))
	}
	return b.String()
}

// writeShellText writes s to b as one shell word with its secrets as
// variable references and card numbers masked.
func (r *Runner) writeShellText(b *strings.Builder, s string) {
	pieces := r.secrets.split(s)
	for i := range pieces {
		if pieces[i].secret == nil {
			pieces[i].text = maskCards(pieces[i].text)
		}
	}
	writeShellWord(b, pieces)
}

// isMethodToken reports whether m is a plain upper-case method name, which
// needs no quotes.
func isMethodToken(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range []byte(m) {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
