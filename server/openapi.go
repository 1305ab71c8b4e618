package server

import (
	"bytes"
	_ "embed"
	"net/http"
)

//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPI is the JSON API's own document (served at /api/v1/openapi.yaml;
// the tests validate every API answer against it), as a copy.
func OpenAPI() []byte { return bytes.Clone(openapiYAML) }

func (s *Server) openapiDoc(w http.ResponseWriter, _ *http.Request, _ *caller) error {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openapiYAML)
	return nil
}
