package doctor

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

const dateFormat = "2006-01-02 15:04 MST"

// LoadRoots reads a --ca-file: the system's roots plus every certificate in
// the PEM file, for a partner whose endpoint uses a private CA. No file
// means the system's roots (a nil pool). A file that cannot be used is the
// user's input error.
func LoadRoots(caFile string) (*x509.CertPool, error) {
	return loadRoots(caFile)
}

// CAFileError is a CA file that cannot be used: the user's input, which a
// front end names its own way (a flag, a form field).
type CAFileError struct {
	Path string
	Err  error
}

func (e *CAFileError) Error() string {
	if errors.Is(e.Err, os.ErrNotExist) || errors.Is(e.Err, os.ErrPermission) {
		return e.Err.Error() // the os error already names the path
	}
	return e.Path + ": " + e.Err.Error()
}

func (e *CAFileError) Unwrap() error { return e.Err }

func loadRoots(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	data, err := os.ReadFile(caFile)
	if err != nil {
		return nil, &CAFileError{Path: caFile, Err: err}
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool() // no system roots (a minimal container): the file alone
	}
	n := 0
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, &CAFileError{Path: caFile, Err: fmt.Errorf("certificate %d: %w", n+1, err)}
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, &CAFileError{Path: caFile, Err: errors.New("no PEM certificate found (want -----BEGIN CERTIFICATE-----)")}
	}
	return pool, nil
}

// inspect describes the presented certificate and verifies its chain for
// the URL's host at the probe's time, as golive run's TLS client does; err
// is why the chain is not trusted.
func (p *probe) inspect(state tls.ConnectionState) (info *TLSInfo, err error) {
	info = &TLSInfo{
		Version:     tls.VersionName(state.Version),
		CipherSuite: tls.CipherSuiteName(state.CipherSuite),
		ServerName:  p.serverName(),
	}
	certs := state.PeerCertificates
	if len(certs) == 0 {
		return info, errNoCertificate
	}
	leaf := certs[0]
	now := p.opts.Now()
	info.Subject, info.Issuer = leaf.Subject.String(), leaf.Issuer.String()
	info.SANs = names(leaf)
	info.NotBefore, info.NotAfter = leaf.NotBefore.UTC(), leaf.NotAfter.UTC()
	info.DaysLeft = int(math.Floor(leaf.NotAfter.Sub(now).Hours() / 24))
	intermediates := x509.NewCertPool()
	for _, c := range certs {
		info.Chain = append(info.Chain, c.Subject.String())
	}
	for _, c := range certs[1:] {
		intermediates.AddCert(c)
	}
	_, err = leaf.Verify(x509.VerifyOptions{
		DNSName:       p.verifyName(),
		Roots:         p.roots,
		Intermediates: intermediates,
		CurrentTime:   now,
	})
	info.ChainValid = err == nil
	return info, err
}

// errNoCertificate: a TLS server that presents no certificate at all.
var errNoCertificate = errors.New("the target presented no certificate")

// names lists the names a certificate is valid for.
func names(c *x509.Certificate) []string {
	out := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

// tls says what failed in a TLS handshake or certificate check, in the
// partner's terms ("the certificate is valid for a.example, not
// b.example"); ok is false when the error is not a TLS failure.
func (d diagnosis) tls() (f Finding, ok bool) {
	var (
		invalid   x509.CertificateInvalidError
		hostErr   x509.HostnameError
		unknown   x509.UnknownAuthorityError
		rootsErr  x509.SystemRootsError
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
	)
	err, host, addr := d.w.Err, d.host, d.addr
	cert := func(summary, fix string) (Finding, bool) {
		return Finding{Layer: LayerTLS, Category: Connection, Summary: summary, Why: whyTLS, Fix: fix, lead: "TLS: "}, true
	}
	handshake := func(summary, lead string) (Finding, bool) {
		f := d.connection(LayerTLS, summary, whyTLS)
		f.lead = lead
		return f, true
	}
	// Go's TLS alerts have no error type of their own outside QUIC: their
	// text ("tls: protocol version not supported") is all there is.
	msg := innerError(err)
	switch {
	case errors.Is(err, errNoCertificate):
		return cert("the target presented no certificate", fixCertificate)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return cert(d.validity(invalid.Cert), fixExpired)
	case errors.As(err, &hostErr):
		return cert(fmt.Sprintf("the certificate is valid for %s, not %s", certNames(hostErr.Certificate), hostErr.Host), fixHostname)
	case errors.As(err, &unknown):
		issuer := ""
		if unknown.Cert != nil {
			issuer = fmt.Sprintf(" (issuer %q)", unknown.Cert.Issuer.String())
		}
		return cert(fmt.Sprintf("the certificate of %s is signed by an unknown authority%s: "+
			"a private CA needs --ca-file, a public one a complete chain", host, issuer), fixUnknownAuthority)
	case errors.As(err, &invalid):
		return cert("the certificate was not accepted: "+strings.TrimPrefix(invalid.Error(), "x509: "), fixCertificate)
	case errors.As(err, &rootsErr):
		return cert("this machine has no trusted root certificates: install the CA bundle or pass --ca-file", fixCertificate)
	case errors.As(err, &verifyErr):
		return cert("the certificate was not accepted: "+strings.TrimPrefix(verifyErr.Err.Error(), "x509: "), fixCertificate)
	case strings.Contains(msg, "protocol version not supported"):
		return handshake(fmt.Sprintf("no protocol version in common with %s: it refused TLS 1.2 and 1.3 (it offers only an older version)", addr), "TLS: ")
	case strings.Contains(msg, "unsupported protocol version"):
		return handshake(fmt.Sprintf("%s chose %s, which golive refuses: TLS 1.2 or later is required", addr, offeredVersion(msg)), "TLS: ")
	case errors.Is(err, http.ErrSchemeMismatch),
		errors.As(err, &recordErr) && string(recordErr.RecordHeader[:]) == "HTTP/":
		// net/http turns the record header "HTTP/" into ErrSchemeMismatch; a
		// bare TLS client (doctor's) sees the header itself.
		return handshake(fmt.Sprintf("%s answered in plain HTTP on an https:// URL: use http://, or the port that speaks TLS", addr), "TLS: ")
	case errors.As(err, &recordErr):
		return handshake(fmt.Sprintf("%s did not answer with TLS (its first bytes are not a TLS record): wrong port or scheme?", addr), "TLS: ")
	case strings.Contains(msg, "certificate required"):
		return handshake(fmt.Sprintf("%s requires a client certificate (mutual TLS), which golive does not send", addr), "TLS: ")
	case strings.Contains(msg, "remote error: tls: "):
		return handshake(fmt.Sprintf("TLS handshake with %s failed: it sent the alert %q", addr,
			msg[strings.Index(msg, "remote error: tls: ")+len("remote error: tls: "):]), "")
	case strings.Contains(msg, "tls: "):
		return handshake(fmt.Sprintf("TLS handshake with %s failed: %s", addr, msg[strings.Index(msg, "tls: ")+len("tls: "):]), "")
	}
	return Finding{}, false
}

// The fixes for certificate problems.
const (
	fixUnknownAuthority = "If the partner uses a private CA, pass its certificate with --ca-file (to golive run too); " +
		"otherwise the partner must serve the complete chain up to a public CA."
	fixExpired     = "The partner must renew and install the certificate (or fix the server's clock)."
	fixHostname    = "Use the host name the certificate is issued for, or ask the partner for a certificate that names this host."
	fixCertificate = "Ask the partner to check the certificate and its chain (openssl s_client below shows them)."
)

// validity describes a certificate outside its validity period; the
// certificate may be an intermediate of the chain rather than the leaf.
func (d diagnosis) validity(c *x509.Certificate) string {
	if c == nil {
		return fmt.Sprintf("the certificate of %s has expired or is not yet valid", d.host)
	}
	which := "the certificate of " + d.host
	if c.IsCA {
		which = fmt.Sprintf("an intermediate certificate (%q) in the chain of %s", c.Subject.String(), d.host)
	}
	now := d.w.Now
	if now.IsZero() {
		now = time.Now()
	}
	if now.Before(c.NotBefore) {
		return fmt.Sprintf("%s is not valid before %s (check the server's clock)", which, c.NotBefore.UTC().Format(dateFormat))
	}
	return fmt.Sprintf("%s expired on %s", which, c.NotAfter.UTC().Format(dateFormat))
}

// certNames lists the names a certificate is valid for, for a message.
func certNames(c *x509.Certificate) string {
	if c == nil {
		return "other names"
	}
	if n := names(c); len(n) > 0 {
		return strings.Join(n, ", ")
	}
	return fmt.Sprintf("no host name (it has no subject alternative names; subject %q)", c.Subject.String())
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

// sni is the server name sent in the handshake: none for an IP address.
// serverName is the SNI the probe sends: Options.ServerName, or the URL's
// host name (none for an address).
func (p *probe) serverName() string {
	if p.opts.ServerName != "" {
		return p.opts.ServerName
	}
	return sni(p.host)
}

// verifyName is the name the certificate must carry.
func (p *probe) verifyName() string {
	if p.opts.ServerName != "" {
		return p.opts.ServerName
	}
	return p.host
}

func sni(host string) string {
	if net.ParseIP(host) != nil {
		return ""
	}
	return host
}
