// Package callbacks receives and verifies the asynchronous callbacks a
// partner sends when a payment becomes final, and signs the events golive
// sends to a partner's webhook receiver.
//
// Signatures are HMAC-SHA256, hex encoded, over the canonical payload: the
// JSON body without its signature field, object keys sorted recursively,
// compact, numbers written as received, no HTML escaping.
package callbacks

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// Canonical returns the canonical form of a JSON object, leaving out the
// named top-level fields (the signature field itself).
func Canonical(payload []byte, without ...string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber() // amounts stay exactly as written
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical payload: not JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("canonical payload: trailing data after the JSON value")
	}
	if obj, ok := v.(map[string]any); ok {
		for _, f := range without {
			delete(obj, f)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	// encoding/json writes map keys sorted, at every depth, and compact.
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("canonical payload: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Sign returns the hex HMAC-SHA256 of the canonical payload.
func Sign(payload []byte, key string, without ...string) (string, error) {
	c, err := Canonical(payload, without...)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(c)
	return hex.EncodeToString(mac.Sum(nil)), nil
}

// Verify reports whether signature is the payload's signature under key,
// comparing in constant time.
func Verify(payload []byte, key, signature string, without ...string) (bool, error) {
	want, err := Sign(payload, key, without...)
	if err != nil {
		return false, err
	}
	got := strings.ToLower(strings.TrimSpace(signature))
	return hmac.Equal([]byte(want), []byte(got)), nil
}
