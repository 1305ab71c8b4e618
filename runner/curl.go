package runner

import (
	"sort"
	"strings"
)

// curl writes a shell line that repeats the exchange's request. Secrets become
// ${ENV} references (the token as ${GOLIVE_TOKEN}), so the line can be pasted
// into a ticket and run by someone who holds the credentials.
func (r *Runner) curl(ex *exchange) string {
	var b strings.Builder
	b.WriteString("curl -sS -i -X ")
	b.WriteString(ex.req.Method)
	b.WriteString(" ")
	b.WriteString(shellQuote(r.secrets.EnvRef(ex.req.URL.String())))
	if r.cfg.caFile != "" {
		b.WriteString(" --cacert ")
		b.WriteString(shellQuote(r.cfg.caFile))
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
		v := strings.Join(ex.req.Header.Values(k), ", ")
		if sensitiveHeader(k) {
			r.secrets.Add(credentialPart(v), envNameFor("", k))
		}
		b.WriteString(" -H ")
		b.WriteString(shellQuote(k + ": " + r.secrets.EnvRef(v)))
	}
	if len(ex.reqBody) > 0 {
		b.WriteString(" --data-raw ")
		b.WriteString(shellQuote(r.secrets.EnvRef(string(ex.reqBody))))
	}
	// A secret the redactor does not know by name must still never appear.
	return r.secrets.Mask(b.String())
}

// credentialPart is the secret part of "Bearer xyz".
func credentialPart(v string) string {
	if _, cred, ok := strings.Cut(v, " "); ok {
		return cred
	}
	return v
}

// shellQuote quotes s for a POSIX shell: single quotes, unless it holds a
// ${VAR} reference, which needs double quotes to expand.
func shellQuote(s string) string {
	if strings.Contains(s, "${") {
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`")
		// Keep ${VAR} expandable; escape every other $.
		escaped := r.Replace(s)
		escaped = strings.ReplaceAll(escaped, "$", `\$`)
		escaped = strings.ReplaceAll(escaped, `\${`, "${")
		return `"` + escaped + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
