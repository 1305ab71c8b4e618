package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/golive-cert/golive/results"
)

// ManifestSchema is the version tag of manifest.json.
const ManifestSchema = "golive.manifest/v1"

// File names WriteAll produces in the output directory.
const (
	ResultsFile  = "results.json"
	JUnitFile    = "junit.xml"
	HTMLFile     = "report.html"
	ManifestFile = "manifest.json"
)

// Manifest lists the sha256 of every report file, and of the specs and suites
// the run used, so that a filed report can be checked for later edits.
type Manifest struct {
	Schema    string            `json:"schema"`
	Tool      results.Tool      `json:"tool"`
	RunID     string            `json:"runId"`
	CreatedAt time.Time         `json:"createdAt"`
	Files     map[string]string `json:"files"`  // file name in dir -> sha256 (hex)
	Specs     map[string]string `json:"specs"`  // API name -> sha256 of its OpenAPI document
	Suites    map[string]string `json:"suites"` // API name -> sha256 of its suite
}

// WriteAll writes results.json, junit.xml, report.html and manifest.json into
// dir, creating it if missing. Every report is rendered before anything is
// written, each file replaces its predecessor atomically, and manifest.json
// goes last, so a manifest always describes complete files.
// Options (WithFAQ, WithDocsURL) shape report.html.
func WriteAll(dir string, run *results.Run, opts ...Option) (err error) {
	if run == nil {
		return errors.New("write reports: no run")
	}
	o := newOptions(opts)
	renderers := []struct {
		name   string
		render func(io.Writer, *results.Run) error
	}{
		{ResultsFile, WriteJSON},
		{JUnitFile, WriteJUnit},
		{HTMLFile, func(w io.Writer, run *results.Run) error { return writeHTML(w, run, o) }},
	}
	rendered := make(map[string][]byte, len(renderers))
	for _, r := range renderers {
		var buf bytes.Buffer
		if err := r.render(&buf, run); err != nil {
			return err // already says which file
		}
		rendered[r.name] = buf.Bytes()
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write reports: create %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			// A half-written pack (a full disk) must not stand as a
			// verdict: what was written goes, and the error says why.
			_ = Clear(dir)
		}
	}()
	m := Manifest{
		Schema:    ManifestSchema,
		Tool:      run.Tool,
		RunID:     run.RunID,
		CreatedAt: time.Now().UTC(),
		Files:     map[string]string{},
		Specs:     map[string]string{},
		Suites:    map[string]string{},
	}
	for _, r := range renderers {
		data := rendered[r.name]
		if err := writeFileAtomic(dir, r.name, data); err != nil {
			return err
		}
		m.Files[r.name] = sha256Hex(data)
	}
	for _, api := range run.APIs {
		if api.SpecSHA256 != "" {
			m.Specs[api.Name] = api.SpecSHA256
		}
		if api.SuiteSHA256 != "" {
			m.Suites[api.Name] = api.SuiteSHA256
		}
	}

	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, ManifestFile), err)
	}
	return writeFileAtomic(dir, ManifestFile, append(data, '\n'))
}

// Verify re-hashes the files listed in dir/manifest.json and returns, sorted,
// the names of those that changed or are missing, including any standard
// report the manifest no longer lists. An empty result means intact. The
// manifest itself is not signed: Verify detects edits to the reports, not a
// forger who also rewrites the manifest.
func Verify(dir string) (changed []string, err error) {
	path := filepath.Join(dir, ManifestFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	if m.Schema != ManifestSchema {
		return nil, fmt.Errorf("verify %s: schema %q, want %q", path, m.Schema, ManifestSchema)
	}

	// os.Root confines reads to dir: a doctored manifest naming
	// "../../etc/passwd" gets an error, and that file is never read.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", dir, err)
	}
	defer root.Close()

	for _, name := range sortedKeys(m.Files) {
		got, err := hashFile(root, name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			changed = append(changed, name)
		case err != nil:
			return nil, fmt.Errorf("verify %s: %w", filepath.Join(dir, name), err)
		case got != m.Files[name]:
			changed = append(changed, name)
		}
	}
	for _, name := range []string{ResultsFile, JUnitFile, HTMLFile} {
		if _, listed := m.Files[name]; !listed {
			changed = append(changed, name)
		}
	}
	slices.Sort(changed)
	return changed, nil
}

// hashFile returns the hex sha256 of name inside root.
func hashFile(root *os.Root, name string) (string, error) {
	f, err := root.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
