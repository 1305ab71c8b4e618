package uat

import (
	"crypto/rand"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Credentials are issued for one session: the partner's client uses them,
// the CLI prints them once, and everything recorded or reported masks them.
type Credentials struct {
	ClientID    string
	APIKey      string
	ChecksumKey string
}

// NewCredentials makes random credentials.
func NewCredentials() Credentials {
	return Credentials{
		ClientID:    "uat-" + strings.ToLower(rand.Text()[:12]),
		APIKey:      rand.Text() + rand.Text(),
		ChecksumKey: rand.Text() + rand.Text(),
	}
}

// Mask is what a secret is replaced with.
const Mask = "****"

// maxTokenLabels bounds the token labels kept: a client asking for a token
// per call over 100,000 exchanges must not grow memory without limit.
const maxTokenLabels = 200_000

// masker replaces the session's secrets with Mask, and bearer tokens with
// a stable label ("[token-3]"), so recordings still show which calls shared
// a token without carrying one that works.
type masker struct {
	secrets []string // longest first, so a secret containing another is masked whole

	mu     sync.Mutex
	labels map[string]string // raw token -> label
}

func newMasker(c Credentials) *masker {
	m := &masker{labels: map[string]string{}}
	for _, s := range []string{c.APIKey, c.ChecksumKey, c.ClientID} {
		if len(s) >= 4 {
			m.secrets = append(m.secrets, s)
		}
	}
	return m
}

// addSecret masks s from now on (a HAR carries credentials golive did not issue).
func (m *masker) addSecret(s string) {
	if len(s) < 4 || s == Mask {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, have := range m.secrets {
		if have == s {
			return
		}
	}
	m.secrets = append(m.secrets, s)
	sort.Slice(m.secrets, func(i, j int) bool { return len(m.secrets[i]) > len(m.secrets[j]) })
}

// tokenLabel returns the label of a token, minting one the first time.
// Labels already in a recording ("[token-3]") stay themselves, so a
// recording graded again keeps its labels.
func (m *masker) tokenLabel(token string) string {
	if token == "" {
		return ""
	}
	if strings.HasPrefix(token, "[token-") {
		return token
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.labels[token]; ok {
		return l
	}
	if len(m.labels) >= maxTokenLabels {
		return "[token-?]"
	}
	l := fmt.Sprintf("[token-%d]", len(m.labels)+1)
	m.labels[token] = l
	return l
}

// text masks every secret and known token in s.
func (m *masker) text(s string) string {
	m.mu.Lock()
	secrets := m.secrets
	m.mu.Unlock()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, Mask)
		}
		// A secret in a URL may arrive escaped.
		if esc := url.QueryEscape(sec); esc != sec && strings.Contains(s, esc) {
			s = strings.ReplaceAll(s, esc, Mask)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.labels) == 0 || len(s) < 16 {
		return s
	}
	// Tokens only appear where a client puts them; scanning every label per
	// string would be quadratic, so look for token-shaped words instead.
	return replaceTokens(s, m.labels)
}

// replaceTokens swaps known tokens (43 URL-safe characters, see
// sandbox.randomToken) for their labels.
func replaceTokens(s string, labels map[string]string) string {
	var b strings.Builder
	start := -1
	flush := func(end int) {
		word := s[start:end]
		if l, ok := labels[word]; ok {
			b.WriteString(l)
		} else {
			b.WriteString(word)
		}
		start = -1
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		tokenChar := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		switch {
		case tokenChar && start < 0:
			start = i
		case !tokenChar && start >= 0:
			flush(i)
			b.WriteByte(c)
		case !tokenChar:
			b.WriteByte(c)
		}
	}
	if start >= 0 {
		flush(len(s))
	}
	return b.String()
}

// containsSecret reports whether s carries a credential or a raw token.
func (m *masker) containsSecret(s string) bool {
	return m.text(s) != s
}
