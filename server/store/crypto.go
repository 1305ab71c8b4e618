package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// Environment variables that carry the secret keys.
const (
	// EnvSecretKey holds the current key: 32 random bytes, base64 (standard
	// or URL alphabet). New secrets are sealed with it.
	EnvSecretKey = "GOLIVE_SECRET_KEY"
	// EnvPreviousKeys holds retired keys, comma-separated, still accepted for
	// decryption while Store.RotateSecrets re-seals what they protect.
	EnvPreviousKeys = "GOLIVE_SECRET_KEYS_PREVIOUS"
)

// Keyring holds the AES-256 keys that seal secrets at rest (partner
// credentials, webhook secrets). Each sealed value records the id of its key,
// so a key can be rotated without a flag day: add the new key as current,
// keep the old one as previous, call RotateSecrets, then drop the old one.
type Keyring struct {
	current string // key id
	aeads   map[string]cipher.AEAD
	// keys are the raw keys, the current one first, for DeriveKeys only.
	keys [][]byte
}

// NewKeyring builds a keyring from the current key and any previous ones.
func NewKeyring(current []byte, previous ...[]byte) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	id, err := k.add(current)
	if err != nil {
		return nil, err
	}
	k.current = id
	for _, p := range previous {
		if _, err := k.add(p); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// KeyringFromEnv reads EnvSecretKey and EnvPreviousKeys through getenv
// (os.Getenv in the server). It returns (nil, nil) when no key is set: the
// hub then runs, but refuses to store secrets (ErrNoKey).
func KeyringFromEnv(getenv func(string) string) (*Keyring, error) {
	cur := strings.TrimSpace(getenv(EnvSecretKey))
	if cur == "" {
		return nil, nil
	}
	key, err := decodeKey(cur)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", EnvSecretKey, err)
	}
	var prev [][]byte
	for _, s := range strings.Split(getenv(EnvPreviousKeys), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := decodeKey(s)
		if err != nil {
			return nil, fmt.Errorf("store: %s: %w", EnvPreviousKeys, err)
		}
		prev = append(prev, p)
	}
	return NewKeyring(key, prev...)
}

// decodeKey accepts standard or URL-safe base64, padded or not. The error
// never echoes the input: it is a secret.
func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("key must be 32 bytes, got %d: %w", len(b), ErrInvalid)
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("key is not base64: %w", ErrInvalid)
}

// KeyID names a key without revealing it: the first 8 bytes of
// SHA-256("golive key id\x00" || key), in hex.
func KeyID(key []byte) string {
	h := sha256.Sum256(append([]byte("golive key id\x00"), key...))
	return hex.EncodeToString(h[:8])
}

func (k *Keyring) add(key []byte) (string, error) {
	if len(key) != 32 {
		return "", fmt.Errorf("store: secret key must be 32 bytes, got %d: %w", len(key), ErrInvalid)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", fmt.Errorf("store: secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return "", fmt.Errorf("store: secret key: %w", err)
	}
	id := KeyID(key)
	k.aeads[id] = aead
	k.keys = append(k.keys, append([]byte(nil), key...))
	return id, nil
}

// DeriveKeys derives a 32-byte key for purpose (say "golive replica
// forward v1") from each key of the ring, the current key's first:
// HKDF-SHA256 with the key as secret, no salt and purpose as info. A
// derived key tells nothing of the key it came from, so it may authenticate
// messages between processes that share the ring; the sealing keys never
// leave it. A nil keyring (no key configured) derives nothing.
func (k *Keyring) DeriveKeys(purpose string) [][]byte {
	if k == nil {
		return nil
	}
	out := make([][]byte, 0, len(k.keys))
	for _, key := range k.keys {
		d, err := hkdf.Key(sha256.New, key, nil, purpose, 32)
		if err != nil {
			panic("store: HKDF of a 32-byte key: " + err.Error()) // only for lengths beyond 255*32
		}
		out = append(out, d)
	}
	return out
}

// CurrentKeyID is the id new secrets are sealed under.
func (k *Keyring) CurrentKeyID() string { return k.current }

// seal encrypts plain under the current key with a fresh random nonce. aad
// binds the value to where it is stored (say "env:PARTNER:staging"), so a
// ciphertext copied into another partner's row does not decrypt.
func (k *Keyring) seal(plain []byte, aad string) (sealed []byte, keyID string, err error) {
	if k == nil {
		return nil, "", fmt.Errorf("store: seal secret: %w", ErrNoKey)
	}
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, "", fmt.Errorf("store: nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, plain, []byte(aad)), k.current, nil
}

// open decrypts a value sealed by seal under the key keyID.
func (k *Keyring) open(sealed []byte, keyID, aad string) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("store: open secret: %w", ErrNoKey)
	}
	aead, ok := k.aeads[keyID]
	if !ok {
		return nil, fmt.Errorf("store: secret sealed under key %s, which is not configured: %w", keyID, ErrDecrypt)
	}
	if len(sealed) < aead.NonceSize() {
		return nil, fmt.Errorf("store: secret under key %s is truncated: %w", keyID, ErrDecrypt)
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, sealed[:n], sealed[n:], []byte(aad))
	if err != nil {
		// GCM's own error says nothing useful and nothing secret.
		return nil, fmt.Errorf("store: secret under key %s fails authentication: %w", keyID, ErrDecrypt)
	}
	return plain, nil
}

// DerivedKeys are the store's keys derived for purpose (Keyring.DeriveKeys),
// the current key's first; none when the store has no key.
func (s *Store) DerivedKeys(purpose string) [][]byte { return s.keys.DeriveKeys(purpose) }
