package runner

import (
	"encoding/base64"
	"sort"
	"strings"
	"sync"
)

// mask replaces a secret in every artifact.
const mask = "****"

// A credential (a value read from ${ENV}, a token, the value of a credential
// header, a checksum key) is masked whatever its length: a 4-character API
// key is still the partner's API key, and a report that shows it hands it
// to everyone the report is sent to. Masking a short one also masks the
// same text wherever it happens to occur in a report (a key "1500" masks
// every amount of 1500); that is the lesser harm, and the remedy, a longer
// key, is the partner's anyway.
//
// minLearnedSecretLen is the shortest value learned from a target's traffic
// (a value at one of a suite's secret JSON paths, a cookie's parts) that is
// masked. The target, not the user, chooses those values: a session id "1"
// or a flag "ok" at a secret path would otherwise mask every "1" or "ok" in
// every body, status and message of the run and shred the evidence. Keys
// and tokens payment APIs issue are 16 bytes or more; 8 is well below that
// and long enough that masking text by chance does not happen in practice.
const minLearnedSecretLen = 8

// minFragmentLen is the shortest base64 fragment of a secret (its encoding
// inside a longer base64 text, base64Forms) that is looked for: a shorter
// one is a few characters that random base64 (a token, a signature) holds
// by chance.
const minFragmentLen = 4

// Redactor knows every secret of a run (values from ${ENV}, tokens, values of
// credential headers) and masks them, in every form listed by secretForms,
// wherever they would be written.
type Redactor struct {
	// mu guards secrets and forms: Add extends the index under the write
	// lock, masking reads it under the read lock.
	mu      sync.RWMutex
	secrets map[string]string // value -> environment variable name for curl lines ("" for none)
	// forms indexes every form of every secret, in the order the secrets
	// were added: a form two secrets share belongs to the first, so the same
	// run always writes the same lines.
	forms *formIndex
}

// NewRedactor returns a Redactor with no secrets.
func NewRedactor() *Redactor {
	return &Redactor{secrets: map[string]string{}, forms: newFormIndex()}
}

// Add registers a credential; envName is what a curl line refers to it by
// ("" when there is no such variable: it is masked there too). Every
// non-empty value is masked, however short. The first name given for a
// value stays.
//
// The index is extended with the new secret's forms in place. A run learns
// secrets as it goes (a signature per signed request, tokens, values at
// secret paths): building the index again, or copying it, for each one cost
// more than the masking it serves.
func (r *Redactor) Add(value, envName string) {
	if value == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.secrets[value]; ok {
		return
	}
	r.secrets[value] = envName
	r.forms.add(secretForms(value, envName))
}

// AddLearned registers a value learned from the target's traffic (a value
// at a secret JSON path): like Add, but values shorter than
// minLearnedSecretLen are left alone (see there why).
func (r *Redactor) AddLearned(value, envName string) {
	if len(value) < minLearnedSecretLen {
		return
	}
	r.Add(value, envName)
}

// Mask replaces every form of every secret in s with ****.
func (r *Redactor) Mask(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ix := r.forms
	var b strings.Builder
	last := 0
	for start, f := ix.find(s, 0); f != nil; start, f = ix.find(s, last) {
		b.WriteString(s[last:start])
		b.WriteString(mask)
		last = start + len(f.text)
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// piece is a run of text that is either no secret (secret == nil) or one
// form of a secret.
type piece struct {
	text   string
	secret *form
}

// split cuts s into pieces at every form of every secret, for a curl line
// to write each piece in its own way.
func (r *Redactor) split(s string) []piece {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ix := r.forms
	var out []piece
	last := 0
	for start, f := ix.find(s, 0); f != nil; start, f = ix.find(s, last) {
		if start > last {
			out = append(out, piece{text: s[last:start]})
		}
		out = append(out, piece{text: f.text, secret: f})
		last = start + len(f.text)
	}
	if last < len(s) || len(out) == 0 {
		out = append(out, piece{text: s[last:]})
	}
	return out
}

// formIndex finds the forms of the secrets in a text in one pass. A form of
// indexKeyLen (8) bytes or more is found by the 8 bytes at a position, which
// name the few forms that can start there; a shorter one by its first two
// bytes, or its one byte. A table of the forms' first two bytes skips most
// positions without a lookup.
type formIndex struct {
	forms   []form
	pairs   [1 << 16 / 64]uint64 // bit set of the first two bytes of the forms of 2 bytes or more
	byStart map[uint64][]int     // forms of indexKeyLen bytes or more: first indexKeyLen bytes -> forms, longest first
	short   map[uint16][]int     // forms of 2 to indexKeyLen-1 bytes: first two bytes -> forms, longest first
	singles [256 / 64]uint64     // bit set of the one-byte forms
	single  map[byte]int         // one-byte form -> its index
	// minLen is the length of the shortest form: no form starts closer
	// than that to a text's end.
	minLen int
}

// indexKeyLen is how many leading bytes of a form key byStart.
const indexKeyLen = 8

func newFormIndex() *formIndex {
	return &formIndex{byStart: map[uint64][]int{}, short: map[uint16][]int{}, single: map[byte]int{}, minLen: indexKeyLen}
}

// add indexes forms not indexed yet (a form two secrets share belongs to
// the first).
func (ix *formIndex) add(forms []form) {
	changed := map[uint64]bool{}
	changedShort := map[uint16]bool{}
	for _, f := range forms {
		if f.text == "" || ix.has(f.text) {
			continue
		}
		k := len(ix.forms)
		ix.forms = append(ix.forms, f)
		ix.minLen = min(ix.minLen, len(f.text))
		if len(f.text) == 1 {
			c := f.text[0]
			ix.singles[c/64] |= 1 << (c % 64)
			ix.single[c] = k
			continue
		}
		p := pairAt(f.text, 0)
		ix.pairs[p/64] |= 1 << (p % 64)
		if len(f.text) < indexKeyLen {
			ix.short[uint16(p)] = append(ix.short[uint16(p)], k)
			changedShort[uint16(p)] = true
			continue
		}
		key := startAt(f.text, 0)
		ix.byStart[key] = append(ix.byStart[key], k)
		changed[key] = true
	}
	// Longest first: a form that contains another (a token and the same
	// token with its padding) is masked whole.
	longestFirst := func(ks []int) {
		sort.SliceStable(ks, func(i, j int) bool { return len(ix.forms[ks[i]].text) > len(ix.forms[ks[j]].text) })
	}
	for key := range changed {
		longestFirst(ix.byStart[key])
	}
	for key := range changedShort {
		longestFirst(ix.short[key])
	}
}

// has reports whether text is one of the forms.
func (ix *formIndex) has(text string) bool {
	var ks []int
	switch {
	case len(text) == 1:
		_, ok := ix.single[text[0]]
		return ok
	case len(text) < indexKeyLen:
		ks = ix.short[uint16(pairAt(text, 0))]
	default:
		ks = ix.byStart[startAt(text, 0)]
	}
	for _, k := range ks {
		if ix.forms[k].text == text {
			return true
		}
	}
	return false
}

// find returns the leftmost form in s at or after from, and where it starts;
// a nil form when there is none. At one position the longest form wins.
func (ix *formIndex) find(s string, from int) (int, *form) {
	if len(ix.forms) == 0 {
		return -1, nil
	}
	if ix.minLen < indexKeyLen {
		return ix.findShort(s, from)
	}
	// Every form is indexKeyLen bytes or more (the usual run: keys and
	// tokens are long): the loop that masks every body stays this tight.
	for i := from; i+indexKeyLen <= len(s); i++ {
		if p := pairAt(s, i); ix.pairs[p/64]&(1<<(p%64)) == 0 {
			continue
		}
		for _, k := range ix.byStart[startAt(s, i)] {
			if strings.HasPrefix(s[i:], ix.forms[k].text) {
				return i, &ix.forms[k]
			}
		}
	}
	return -1, nil
}

// findShort is find when some forms are shorter than indexKeyLen.
func (ix *formIndex) findShort(s string, from int) (int, *form) {
	for i := from; i+ix.minLen <= len(s); i++ {
		if i+1 < len(s) {
			if p := pairAt(s, i); ix.pairs[p/64]&(1<<(p%64)) != 0 {
				if i+indexKeyLen <= len(s) {
					for _, k := range ix.byStart[startAt(s, i)] {
						if strings.HasPrefix(s[i:], ix.forms[k].text) {
							return i, &ix.forms[k]
						}
					}
				}
				for _, k := range ix.short[uint16(p)] {
					if strings.HasPrefix(s[i:], ix.forms[k].text) {
						return i, &ix.forms[k]
					}
				}
			}
		}
		if c := s[i]; ix.singles[c/64]&(1<<(c%64)) != 0 {
			return i, &ix.forms[ix.single[c]]
		}
	}
	return -1, nil
}

func pairAt(s string, i int) uint32 { return uint32(s[i])<<8 | uint32(s[i+1]) }

// startAt packs the indexKeyLen bytes at s[i:] in a map key.
func startAt(s string, i int) uint64 {
	var k uint64
	for _, c := range []byte(s[i : i+indexKeyLen]) {
		k = k<<8 | uint64(c)
	}
	return k
}

// sensitiveHeader names headers whose values are credentials.
func sensitiveHeader(name string) bool {
	// EqualFold, not a switch on strings.ToLower: this runs for every
	// header of every exchange, and lowering a canonical name allocates.
	for _, h := range [...]string{"authorization", "proxy-authorization", "api-key", "x-api-key", "apikey",
		"client-secret", "x-client-secret", "cookie", "set-cookie", "checksum", "x-checksum", "x-signature", "signature"} {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}

// addCredential registers what is secret in the value of a credential
// header (sensitiveHeader), value as sent and raw as written, with any
// ${ENV} unexpanded (its variable names the secret in curl lines). In
// Authorization it is the credential after the scheme ("Bearer abc" -> "abc"):
// a target echoing the bare token must not show it, and a curl line reads
// 'Authorization: Bearer '"${GOLIVE_TOKEN}" with the token alone in the
// variable. Basic credentials are base64 of "user:password": the decoded pair
// and the password are secrets too, masked wherever a target echoes them
// decoded. Elsewhere the whole value is the secret, and each cookie's value.
func (r *Redactor) addCredential(header, raw, value string) {
	switch strings.ToLower(header) {
	case "authorization", "proxy-authorization":
		scheme, cred, ok := strings.Cut(value, " ")
		if !ok {
			r.Add(value, envNameFor(raw, header))
			return
		}
		_, rawCred, _ := strings.Cut(raw, " ")
		r.Add(cred, envNameFor(rawCred, header))
		if strings.EqualFold(scheme, "basic") {
			if pair, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred)); err == nil {
				r.Add(string(pair), "")
				if _, password, ok := strings.Cut(string(pair), ":"); ok {
					r.Add(password, "")
				}
			}
		}
	case "cookie":
		r.Add(value, envNameFor(raw, header))
		// Each cookie's value is masked too, with the minimum of a learned
		// value: a cookie header carries preferences ("lang=en") beside its
		// session, and the whole header is masked as sent anyway.
		for _, c := range strings.Split(value, ";") {
			if _, v, ok := strings.Cut(c, "="); ok {
				r.AddLearned(strings.TrimSpace(v), "")
			}
		}
	default:
		r.Add(value, envNameFor(raw, header))
	}
}

// envNameFor picks the variable a curl line uses for a header's secret: the
// ${ENV} the user gave, or a name derived from the header. The name is
// written into shell lines as "${NAME}", so it is only ever ASCII letters,
// digits and underscores, whatever a suite or document calls the header.
func envNameFor(rawValue, header string) string {
	if name, ok := strings.CutPrefix(rawValue, "${"); ok {
		if name, ok = strings.CutSuffix(name, "}"); ok && isEnvName(name) {
			return name
		}
	}
	if strings.EqualFold(header, "authorization") {
		return "GOLIVE_TOKEN"
	}
	return "GOLIVE_" + strings.Map(func(c rune) rune {
		switch {
		case 'A' <= c && c <= 'Z' || '0' <= c && c <= '9':
			return c
		case 'a' <= c && c <= 'z':
			return c - 'a' + 'A'
		}
		return '_'
	}, header)
}

// isEnvName reports whether s is a shell variable name.
func isEnvName(s string) bool {
	for i, c := range s {
		if c != '_' && !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// maskCards masks runs of 13 to 19 digits that pass the Luhn check, keeping
// the first and last four: card numbers (PANs) must never sit in a report,
// whatever the target echoes. A longer run is taken 19 digits at a time, as
// the regexp \d{13,19} this replaces did. It is a byte loop because it runs
// over every body and curl line, megabytes of them, where the regexp took
// seconds.
func maskCards(s string) string {
	var out []byte // the masked copy, made at the first card
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		end := i
		for end < len(s) && isDigit(s[end]) {
			end++
		}
		for start := i; end-start >= 13; {
			n := min(19, end-start)
			if luhn(s[start : start+n]) {
				if out == nil {
					out = []byte(s)
				}
				for k := start + 4; k < start+n-4; k++ {
					out[k] = '*'
				}
			}
			start += n
		}
		i = end
	}
	if out == nil {
		return s
	}
	return string(out)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

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
