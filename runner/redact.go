package runner

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

// mask replaces a secret in every artifact.
const mask = "****"

// Redactor knows every secret of a run (values from ${ENV}, tokens, values of
// credential headers) and masks them wherever they would be written.
type Redactor struct {
	mu      sync.RWMutex
	secrets map[string]string // value -> environment variable name for curl lines
	masker  *strings.Replacer
	curl    *strings.Replacer
}

// NewRedactor returns a Redactor with no secrets.
func NewRedactor() *Redactor { return &Redactor{secrets: map[string]string{}} }

// Add registers a secret value; envName is what a curl line refers to it by.
// Very short values are ignored: masking "1" would mangle every report.
func (r *Redactor) Add(value, envName string) {
	if len(value) < 4 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.secrets[value]; ok {
		return
	}
	r.secrets[value] = envName
	r.masker, r.curl = nil, nil
}

func (r *Redactor) replacers() (*strings.Replacer, *strings.Replacer) {
	r.mu.RLock()
	m, c := r.masker, r.curl
	r.mu.RUnlock()
	if m != nil {
		return m, c
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Longest first, so a secret that contains another is masked whole.
	values := make([]string, 0, len(r.secrets))
	for v := range r.secrets {
		values = append(values, v)
	}
	sort.Slice(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
	var mo, co []string
	for _, v := range values {
		mo = append(mo, v, mask)
		co = append(co, v, "${"+r.secrets[v]+"}")
	}
	r.masker, r.curl = strings.NewReplacer(mo...), strings.NewReplacer(co...)
	return r.masker, r.curl
}

// Mask replaces every secret in s with ****.
func (r *Redactor) Mask(s string) string {
	m, _ := r.replacers()
	return m.Replace(s)
}

// EnvRef replaces every secret in s with ${ENV_NAME}, for shell lines.
func (r *Redactor) EnvRef(s string) string {
	_, c := r.replacers()
	return c.Replace(s)
}

// sensitiveHeader names headers whose values are credentials.
func sensitiveHeader(name string) bool {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization", "api-key", "x-api-key", "apikey",
		"client-secret", "x-client-secret", "cookie", "set-cookie", "checksum", "x-checksum", "x-signature", "signature":
		return true
	}
	return false
}

// envNameFor picks the variable a curl line uses for a header's secret: the
// ${ENV} the user gave, or a name derived from the header.
func envNameFor(rawValue, header string) string {
	if strings.HasPrefix(rawValue, "${") && strings.HasSuffix(rawValue, "}") && strings.Count(rawValue, "${") == 1 {
		return rawValue[2 : len(rawValue)-1]
	}
	if strings.EqualFold(header, "authorization") {
		return "GOLIVE_TOKEN"
	}
	return "GOLIVE_" + strings.ToUpper(strings.NewReplacer("-", "_", " ", "_").Replace(header))
}

var digitRun = regexp.MustCompile(`\d{13,19}`)

// maskCards masks digit runs that pass the Luhn check: card numbers (PANs)
// must never sit in a report, whatever the target echoes.
func maskCards(s string) string {
	return digitRun.ReplaceAllStringFunc(s, func(d string) string {
		if luhn(d) {
			return d[:4] + strings.Repeat("*", len(d)-8) + d[len(d)-4:]
		}
		return d
	})
}

func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
