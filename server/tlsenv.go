package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/golive-cert/golive/doctor"
	"github.com/golive-cert/golive/server/store"
)

// diagnose probes a partner environment layer by layer (doctor.Probe) the
// way its runs reach it: its private CA, its TLS server name, and
// skip-verify when staff set it (which the report then says).
func (s *Server) diagnose(ctx context.Context, env store.Environment) (*doctor.Report, error) {
	opts := doctor.Options{ServerName: env.TLS.ServerName, InsecureSkipVerify: env.TLS.InsecureSkipVerify}
	if env.TLS.CAPEM != "" {
		dir, err := os.MkdirTemp(s.cfg.ScratchDir, "golive-doctor-")
		if err != nil {
			return nil, fmt.Errorf("server: doctor scratch directory: %w", err)
		}
		defer os.RemoveAll(dir)
		opts.CAFile = filepath.Join(dir, "ca.pem")
		if err := os.WriteFile(opts.CAFile, []byte(env.TLS.CAPEM), 0o600); err != nil {
			return nil, fmt.Errorf("server: write the CA: %w", err)
		}
	}
	return doctor.Probe(ctx, env.BaseURL, opts)
}
