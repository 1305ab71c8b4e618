package runner

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"
	"unicode/utf8"
)

// form is one way a secret can be written down: as it is, or encoded.
type form struct {
	text string
	// env is the variable a curl line refers to this form by; "" when a
	// curl line cannot name it, and masks it instead.
	env string
}

// Suffixes of the variables a curl line uses for a secret that golive itself
// sent encoded. A curl line must send exactly what golive sent, and
// ${GOLIVE_API_KEY} in a query sends the key unencoded: a "+" in it would
// arrive as a space. So an API key golive put in a query reads
// ${GOLIVE_API_KEY_QUERY_ESCAPED}, to be set to the key as a query escapes it.
// These are the only encodings golive produces in its own requests: query
// parameters, path parameters and JSON bodies (json.Marshal's escapes).
const (
	queryEscapedSuffix = "_QUERY_ESCAPED"
	pathEscapedSuffix  = "_PATH_ESCAPED"
	jsonEscapedSuffix  = "_JSON_ESCAPED"
)

// maxEncodedSecretLen is the longest secret whose encoded forms are masked
// too. A value at a secret JSON path is whatever the target sends, up to the
// body cap; its sixty-odd forms, kept for the rest of the run, would let a
// target make golive hold hundreds of megabytes. Credentials are far
// shorter (a JWT is a few hundred bytes to 2 KiB); a longer value is masked
// as it is.
const maxEncodedSecretLen = 4 << 10

// secretForms lists the forms of a secret that masking looks for: the raw
// value; what golive's own encoders make of it (query, path, JSON); what a
// target echoing it is likely to make of it (other percent-encodings and
// JSON escapes, HTML entities, base64 and base64url, padded or not, alone or
// inside a longer base64 text); and the base64 forms percent-encoded or
// JSON-escaped once more, as in a query or a JSON string. The forms golive's
// own requests hold come first and carry a variable for curl lines; the
// caller drops duplicates, keeping the first.
func secretForms(value, env string) []form {
	if len(value) > maxEncodedSecretLen {
		return []form{{value, env}}
	}
	named := func(suffix string) string {
		if env == "" {
			return ""
		}
		return env + suffix
	}
	out := []form{
		{value, env},
		{url.QueryEscape(value), named(queryEscapedSuffix)},
		{url.PathEscape(value), named(pathEscapedSuffix)},
		{jsonString(value, true), named(jsonEscapedSuffix)},
	}
	add := func(texts ...string) {
		for _, t := range texts {
			out = append(out, form{text: t})
		}
	}
	for _, t := range textEncodings(value) {
		add(t)
	}
	for _, b := range base64Forms(value) {
		// Base64 holds only letters, digits and + / = or - _, so it needs
		// only the encodings that change those.
		add(b, url.QueryEscape(b), lowerHexEscapes(url.QueryEscape(b)), strings.ReplaceAll(b, "/", `\/`))
	}
	return out
}

// textEncodings are the encodings a text value passes through on its way
// into a URL, a JSON document or an HTML page, the way common servers write
// them.
func textEncodings(s string) []string {
	var out []string
	for _, pct := range []string{url.QueryEscape(s), url.PathEscape(s), percentEncode(s, ""), percentEncode(s, "!'()*")} {
		// Percent-encoding is case-insensitive: "%2f" is "%2F".
		out = append(out, pct, lowerHexEscapes(pct))
	}
	for _, escapeHTML := range []bool{true, false} {
		j := jsonString(s, escapeHTML)
		// PHP escapes "/" as "\/"; Python and PHP write non-ASCII as \uXXXX.
		ascii := asciiJSON(j)
		out = append(out, j, strings.ReplaceAll(j, "/", `\/`), ascii, strings.ReplaceAll(ascii, "/", `\/`))
	}
	return append(out, html.EscapeString(s))
}

// percentEncode escapes every byte but the unreserved characters of RFC 3986
// (and keep, which encodeURIComponent also leaves as they are), spaces as %20.
func percentEncode(s, keep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~", c) >= 0 || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// lowerHexEscapes writes the hex digits of every %XX in lower case.
func lowerHexEscapes(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s // no copy for the common value with nothing escaped
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerHex(b[i+1]), lowerHex(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lowerHex(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + ('a' - 'A')
	}
	return c
}

// jsonString is s as the inside of a JSON string (without the quotes), as
// encoding/json writes it, with or without its HTML-safe escapes (\u003c).
func jsonString(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// asciiJSON rewrites the non-ASCII characters of a JSON string's inside as
// \uXXXX escapes (surrogate pairs above U+FFFF).
func asciiJSON(j string) string {
	var b strings.Builder
	for _, r := range j {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// base64Forms are the secret in standard and URL-safe base64, padded and
// not, and the parts of its encoding that stay the same wherever it sits in
// a longer encoded text ("user:" + password in Basic credentials, a token
// inside an encoded JSON document). Base64 turns 3 bytes into 4 characters,
// so a secret starting at a byte offset of 0, 1 or 2 modulo 3 encodes in one
// of three ways; in each, the characters whose 6 bits all come from the
// secret are the same whatever surrounds it.
func base64Forms(s string) []string {
	var out []string
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		out = append(out, enc.EncodeToString([]byte(s)), enc.WithPadding(base64.NoPadding).EncodeToString([]byte(s)))
	}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for lead := 0; lead < 3; lead++ {
			buf := make([]byte, lead+len(s))
			copy(buf[lead:], s)
			e := enc.EncodeToString(buf)
			// Character i holds bits [6i, 6i+6) of the text; the secret
			// holds bits [8*lead, 8*(lead+len(s))).
			first, end := (8*lead+5)/6, 8*(lead+len(s))/6
			if end-first >= minFragmentLen {
				out = append(out, e[first:end])
			}
		}
	}
	return out
}
