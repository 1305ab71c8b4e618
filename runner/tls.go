package runner

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// WithCAFile trusts the PEM certificates in path in addition to the system's
// roots, for a partner whose staging endpoint uses a private CA. There is no
// option to skip verification: a certification run must see the certificate
// the partner's production clients will see.
func WithCAFile(path string) Option { return func(c *config) { c.caFile = path } }

// clientTLS returns the TLS settings of the run's HTTP client: Go's defaults
// (system roots, TLS 1.2 or later), plus the roots of --ca-file when given.
// A file that cannot be used is the user's input error, found before any
// request is sent.
func clientTLS(caFile string) (*tls.Config, error) {
	if caFile == "" {
		return nil, nil
	}
	roots, err := rootsWith(caFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, nil
}

// rootsWith is the system pool plus every certificate in the PEM file.
func rootsWith(caFile string) (*x509.CertPool, error) {
	data, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		// No system roots (a minimal container): the file alone is trusted.
		roots = x509.NewCertPool()
	}
	n := 0
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("--ca-file %s: certificate %d: %w", caFile, n+1, err)
		}
		roots.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("--ca-file %s: no PEM certificate found (want -----BEGIN CERTIFICATE-----)", caFile)
	}
	return roots, nil
}

// describeTLS says what failed in a TLS handshake, in the partner's terms
// ("the certificate is valid for a.example, not b.example"); ok is false
// when err is not a TLS failure.
func describeTLS(err error, host, addr string) (what string, ok bool) {
	var (
		invalid   x509.CertificateInvalidError
		hostErr   x509.HostnameError
		unknown   x509.UnknownAuthorityError
		rootsErr  x509.SystemRootsError
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
	)
	msg := innerError(err)
	switch {
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return certValidity(invalid.Cert, host), true
	case errors.As(err, &hostErr):
		return fmt.Sprintf("TLS: the certificate is valid for %s, not %s", certNames(hostErr.Certificate), hostErr.Host), true
	case errors.As(err, &unknown):
		issuer := ""
		if unknown.Cert != nil {
			issuer = fmt.Sprintf(" (issuer %q)", unknown.Cert.Issuer.String())
		}
		return fmt.Sprintf("TLS: the certificate of %s is signed by an unknown authority%s: "+
			"a private CA needs --ca-file, a public one a complete chain", host, issuer), true
	case errors.As(err, &invalid):
		return "TLS: the certificate was not accepted: " + strings.TrimPrefix(invalid.Error(), "x509: "), true
	case errors.As(err, &rootsErr):
		return "TLS: this machine has no trusted root certificates: install the CA bundle or pass --ca-file", true
	case errors.As(err, &verifyErr):
		return "TLS: the certificate was not accepted: " + strings.TrimPrefix(verifyErr.Err.Error(), "x509: "), true
	case strings.Contains(msg, "protocol version not supported"):
		return fmt.Sprintf("TLS: no protocol version in common with %s: it refused TLS 1.2 and 1.3 (it offers only an older version)", addr), true
	case strings.Contains(msg, "unsupported protocol version"):
		return fmt.Sprintf("TLS: %s chose %s, which golive refuses: TLS 1.2 or later is required", addr, offeredVersion(msg)), true
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return fmt.Sprintf("TLS: %s answered in plain HTTP on an https:// URL: use http://, or the port that speaks TLS", addr), true
	case errors.As(err, &recordErr):
		return fmt.Sprintf("TLS: %s did not answer with TLS (its first bytes are not a TLS record): wrong port or scheme?", addr), true
	case strings.Contains(msg, "certificate required"):
		return fmt.Sprintf("TLS: %s requires a client certificate (mutual TLS), which golive does not send", addr), true
	case strings.Contains(msg, "remote error: tls: "):
		return fmt.Sprintf("TLS handshake with %s failed: it sent the alert %q", addr, msg[strings.Index(msg, "remote error: tls: ")+len("remote error: tls: "):]), true
	case strings.Contains(msg, "tls: "):
		return fmt.Sprintf("TLS handshake with %s failed: %s", addr, msg[strings.Index(msg, "tls: ")+len("tls: "):]), true
	}
	return "", false
}

// certValidity describes a certificate outside its validity period; the
// certificate may be an intermediate of the chain rather than the leaf.
func certValidity(c *x509.Certificate, host string) string {
	if c == nil {
		return fmt.Sprintf("TLS: the certificate of %s has expired or is not yet valid", host)
	}
	which := "the certificate of " + host
	if c.IsCA {
		which = fmt.Sprintf("an intermediate certificate (%q) in the chain of %s", c.Subject.String(), host)
	}
	const day = "2006-01-02 15:04 MST"
	if time.Now().Before(c.NotBefore) {
		return fmt.Sprintf("TLS: %s is not valid before %s (check the server's clock)", which, c.NotBefore.UTC().Format(day))
	}
	return fmt.Sprintf("TLS: %s expired on %s", which, c.NotAfter.UTC().Format(day))
}

// certNames lists the names a certificate is valid for.
func certNames(c *x509.Certificate) string {
	if c == nil {
		return "other names"
	}
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return fmt.Sprintf("no host name (it has no subject alternative names; subject %q)", c.Subject.String())
	}
	return strings.Join(names, ", ")
}

// offeredVersion reads "tls: server selected unsupported protocol version 301".
func offeredVersion(msg string) string {
	fields := strings.Fields(msg)
	if len(fields) == 0 {
		return "an old TLS version"
	}
	switch fields[len(fields)-1] {
	case "300":
		return "SSL 3.0"
	case "301":
		return "TLS 1.0"
	case "302":
		return "TLS 1.1"
	}
	return "an unsupported TLS version"
}
