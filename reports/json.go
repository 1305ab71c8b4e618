package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/golive-cert/golive/results"
)

// WriteJSON writes run as indented results.json (schema golive.results/v1,
// documented in docs/results.md).
func WriteJSON(w io.Writer, run *results.Run) error {
	if run == nil {
		return errors.New("write results.json: no run")
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Bodies and messages are shown as the target sent them; results.json is
	// never embedded in HTML, so there is no need for \u003c noise.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(normalize(run)); err != nil {
		return fmt.Errorf("write results.json: %w", err)
	}
	return nil
}

// normalize returns a shallow copy of run that always carries the schema tag
// and writes empty lists as [] rather than null, so consumers need no
// special cases. The caller's run is not modified.
func normalize(run *results.Run) *results.Run {
	r := *run
	if r.Schema == "" {
		r.Schema = results.Schema
	}
	if r.APIs == nil {
		r.APIs = []results.API{}
	}
	if r.Items == nil {
		r.Items = []results.Item{}
	}
	return &r
}
