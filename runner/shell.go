package runner

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A curl line is pasted into a shell by people who trust golive, and the
// values in it come from the target (captured fields), from documents
// (examples) and from suites: any of them may be hostile. So every value is
// inert text, and the only thing a shell expands in a curl line is a
// reference to a variable golive names for a real secret ("${GOLIVE_TOKEN}").

// writeShellWord writes pieces to b as one shell word: text as inert literal
// text, a secret with a variable as "${VAR}", and one without as ****.
func writeShellWord(b *strings.Builder, pieces []piece) {
	start := b.Len()
	// Literal text not yet written, joined only when a masked secret sits
	// between two runs of it: bodies can be megabytes, copied once is enough.
	var text []string
	flush := func() {
		switch len(text) {
		case 0:
			return
		case 1:
			writeShellLiteral(b, text[0])
		default:
			writeShellLiteral(b, strings.Join(text, ""))
		}
		text = text[:0]
	}
	for _, p := range pieces {
		switch {
		case p.secret == nil:
			text = append(text, p.text)
		case isEnvName(p.secret.env):
			flush()
			// Double quotes expand the variable once and its value is
			// never expanded further, whatever it holds.
			b.WriteString(`"${` + p.secret.env + `}"`)
		default:
			text = append(text, mask)
		}
	}
	flush()
	if b.Len() == start {
		b.WriteString("''")
	}
}

// writeShellLiteral quotes s so that a POSIX shell reads it back byte for
// byte and interprets nothing in it. Printable text goes in single quotes,
// inside which nothing is special but the closing quote (a quote in s is
// written as quote, backslash, quote, quote: close, an escaped quote,
// reopen). Anything a terminal, a report or a copy and paste would alter or
// hide -- control characters such as newline and ESC, bytes that are not
// UTF-8, invisible characters such as bidi overrides -- is written as
// $'\xNN' (bash, zsh, ksh, and POSIX sh since 2024), which is just as inert,
// and keeps the line one line of visible text that reproduces the exact bytes.
func writeShellLiteral(b *strings.Builder, s string) {
	if s == "" {
		b.WriteString("''")
		return
	}
	b.Grow(len(s) + 2)
	for len(s) > 0 {
		if n := visibleRun(s); n > 0 {
			run := s[:n]
			b.WriteByte('\'')
			for i := strings.IndexByte(run, '\''); i >= 0; i = strings.IndexByte(run, '\'') {
				b.WriteString(run[:i])
				b.WriteString(`'\''`)
				run = run[i+1:]
			}
			b.WriteString(run)
			b.WriteByte('\'')
			s = s[n:]
			continue
		}
		b.WriteString("$'")
		for len(s) > 0 {
			size, ok := visible(s)
			if ok {
				break
			}
			for _, c := range []byte(s[:size]) {
				fmt.Fprintf(b, `\x%02x`, c)
			}
			s = s[size:]
		}
		b.WriteByte('\'')
	}
}

// visibleRun is the length of the prefix of s made of visible characters.
func visibleRun(s string) int {
	n := 0
	for n < len(s) {
		if c := s[n]; ' ' <= c && c < 0x7f {
			n++ // printable ASCII, the bulk of any body: no decoding
			continue
		}
		size, ok := visible(s[n:])
		if !ok {
			break
		}
		n += size
	}
	return n
}

// visible reports whether the first character of s is visible, and its size
// in bytes: valid UTF-8, graphic (letters, marks, numbers, punctuation,
// symbols) or the ASCII space; not a control, an invisible format character
// or a space that only looks like one (no-break, ideographic).
func visible(s string) (size int, ok bool) {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size <= 1 {
		return 1, false
	}
	return size, unicode.IsGraphic(r) && (r == ' ' || !unicode.Is(unicode.Zs, r))
}
