package runner

import (
	"crypto/tls"

	"github.com/golive-cert/golive/doctor"
)

// WithCAFile trusts the PEM certificates in path in addition to the system's
// roots, for a partner whose staging endpoint uses a private CA.
func WithCAFile(path string) Option { return func(c *config) { c.caFile = path } }

// WithServerName sends name as the TLS server name (SNI) and verifies the
// certificate against it instead of the target URL's host: a staging
// endpoint reached by address or through a name its certificate does not
// carry.
func WithServerName(name string) Option { return func(c *config) { c.serverName = name } }

// WithInsecureSkipVerify accepts any certificate the target presents. Only
// for a staging endpoint whose certificate cannot be trusted yet: the run
// then proves nothing about the certificate production clients will see,
// and the caller must say so in the run's results (certify does, in the
// verdict's reason). Callers refuse it for production.
func WithInsecureSkipVerify() Option { return func(c *config) { c.insecureSkipVerify = true } }

// clientTLS returns the TLS settings of the run's HTTP client: Go's defaults
// (system roots, TLS 1.2 or later), plus the roots of --ca-file when given,
// read as golive doctor reads them, the server name and skip-verify when
// set. A file that cannot be used is the user's input error, found before
// any request is sent.
func clientTLS(cfg config) (*tls.Config, error) {
	if cfg.caFile == "" && cfg.serverName == "" && !cfg.insecureSkipVerify {
		return nil, nil
	}
	roots, err := doctor.LoadRoots(cfg.caFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: roots, ServerName: cfg.serverName, MinVersion: tls.VersionTLS12,
		InsecureSkipVerify: cfg.insecureSkipVerify}, nil //nolint:gosec // opt-in for staging, reported in the results
}
