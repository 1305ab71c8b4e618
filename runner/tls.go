package runner

import (
	"crypto/tls"

	"github.com/golive-cert/golive/doctor"
)

// WithCAFile trusts the PEM certificates in path in addition to the system's
// roots, for a partner whose staging endpoint uses a private CA. There is no
// option to skip verification: a certification run must see the certificate
// the partner's production clients will see.
func WithCAFile(path string) Option { return func(c *config) { c.caFile = path } }

// clientTLS returns the TLS settings of the run's HTTP client: Go's defaults
// (system roots, TLS 1.2 or later), plus the roots of --ca-file when given,
// read as golive doctor reads them. A file that cannot be used is the user's
// input error, found before any request is sent.
func clientTLS(caFile string) (*tls.Config, error) {
	if caFile == "" {
		return nil, nil
	}
	roots, err := doctor.LoadRoots(caFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, nil
}
