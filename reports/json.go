package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

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
// special cases. A run without problems (written before golive grouped
// failures, or made by hand) gets them here, on a copy of its items. Spec
// and suite paths are shown by file name: a report must not carry the
// layout of the machine it was made on (the hashes identify the files).
// The caller's run is not modified.
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
	if r.Problems == nil && slices.ContainsFunc(r.Items, isProblem) {
		r.Items = slices.Clone(r.Items)
		r.Problems = results.GroupProblems(r.Items)
	}
	if slices.ContainsFunc(r.APIs, func(a results.API) bool { return localPath(a.Spec) || localPath(a.Suite) }) {
		r.APIs = slices.Clone(r.APIs)
		for i := range r.APIs {
			r.APIs[i].Spec, r.APIs[i].Suite = documentName(r.APIs[i].Spec), documentName(r.APIs[i].Suite)
		}
	}
	return &r
}

// localPath: an absolute path on this machine (Unix or Windows).
func localPath(p string) bool {
	return filepath.IsAbs(p) || strings.HasPrefix(p, "/") ||
		len(p) > 2 && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

// documentName is a document's file name when it was given as an absolute path.
func documentName(p string) string {
	if !localPath(p) {
		return p
	}
	return p[strings.LastIndexAny(p, `/\`)+1:]
}
