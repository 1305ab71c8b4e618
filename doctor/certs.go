package doctor

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"time"
)

const dateFormat = "2006-01-02 15:04 MST"

// rootPool is what a certificate chain must lead to. A nil pool means the
// system's roots, as in golive run without --ca-file.
type rootPool struct {
	pool *x509.CertPool
}

// loadRoots reads --ca-file: its certificates are trusted in addition to
// the system's.
func loadRoots(caFile string) (rootPool, error) {
	if caFile == "" {
		return rootPool{}, nil
	}
	data, err := os.ReadFile(caFile)
	if err != nil {
		return rootPool{}, fmt.Errorf("--ca-file: %w", err)
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
			return rootPool{}, fmt.Errorf("--ca-file %s: certificate %d: %w", caFile, n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return rootPool{}, fmt.Errorf("--ca-file %s: no PEM certificate found (want -----BEGIN CERTIFICATE-----)", caFile)
	}
	return rootPool{pool: pool}, nil
}

// inspect describes the presented certificate and verifies its chain for
// the URL's host at the probe's time.
func (p *probe) inspect(state tls.ConnectionState) *TLSInfo {
	info := &TLSInfo{
		Version:     tls.VersionName(state.Version),
		CipherSuite: tls.CipherSuiteName(state.CipherSuite),
		ServerName:  sni(p.host),
	}
	certs := state.PeerCertificates
	if len(certs) == 0 {
		info.ChainError = "the target presented no certificate"
		return info
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
	_, err := leaf.Verify(x509.VerifyOptions{
		DNSName:       p.host,
		Roots:         p.roots.pool,
		Intermediates: intermediates,
		CurrentTime:   now,
	})
	info.ChainValid = err == nil
	if err != nil {
		info.ChainError = describeCertError(err, p.host, now)
	}
	return info
}

// names lists the names a certificate is valid for.
func names(c *x509.Certificate) []string {
	out := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

// describeCertError words a verification failure as golive run does.
func describeCertError(err error, host string, now time.Time) string {
	var (
		invalid x509.CertificateInvalidError
		hostErr x509.HostnameError
		unknown x509.UnknownAuthorityError
	)
	switch {
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired && invalid.Cert != nil:
		which := "the certificate of " + host
		if invalid.Cert.IsCA {
			which = fmt.Sprintf("an intermediate certificate (%q) in the chain of %s", invalid.Cert.Subject.String(), host)
		}
		if now.Before(invalid.Cert.NotBefore) {
			return fmt.Sprintf("%s is not valid before %s (check the server's clock)", which, invalid.Cert.NotBefore.UTC().Format(dateFormat))
		}
		return fmt.Sprintf("%s expired on %s", which, invalid.Cert.NotAfter.UTC().Format(dateFormat))
	case errors.As(err, &hostErr):
		valid := strings.Join(names(hostErr.Certificate), ", ")
		if valid == "" {
			valid = fmt.Sprintf("no host name (no subject alternative names; subject %q)", hostErr.Certificate.Subject.String())
		}
		return fmt.Sprintf("the certificate is valid for %s, not %s", valid, hostErr.Host)
	case errors.As(err, &unknown):
		issuer := ""
		if unknown.Cert != nil {
			issuer = fmt.Sprintf(" (issuer %q)", unknown.Cert.Issuer.String())
		}
		return fmt.Sprintf("the certificate of %s is signed by an unknown authority%s", host, issuer)
	}
	return "the certificate was not accepted: " + strings.TrimPrefix(err.Error(), "x509: ")
}

// certFix says who fixes a certificate problem, and how.
func certFix(problem string) string {
	switch {
	case strings.Contains(problem, "unknown authority"):
		return "If the partner uses a private CA, pass its certificate with --ca-file (to golive run too); " +
			"otherwise the partner must serve the complete chain up to a public CA."
	case strings.Contains(problem, "expired"), strings.Contains(problem, "not valid before"):
		return "The partner must renew and install the certificate (or fix the server's clock)."
	case strings.Contains(problem, "valid for"):
		return "Use the host name the certificate is issued for, or ask the partner for a certificate that names this host."
	}
	return "Ask the partner to check the certificate and its chain (openssl s_client below shows them)."
}
