package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/exitcode"
	"github.com/golive-cert/golive/reports"
)

type verifyCmd struct{ cmd *cobra.Command }

func newVerifyCmd(gs *GlobalState) *verifyCmd {
	c := &verifyCmd{}
	c.cmd = &cobra.Command{
		Use:   "verify DIR",
		Short: "Check that a report folder still holds the files its manifest.json describes",
		Long: `verify re-hashes the reports in DIR (results.json, junit.xml, report.html)
and compares them with the sha256 that manifest.json recorded when the run
wrote them. It names every file that changed or is missing.

Exit codes: 0 all intact, 1 a file changed or is missing, 2 DIR is not a
report folder (no manifest.json, or one golive cannot read).

manifest.json is not signed: verify detects later edits to the reports, not
someone who also rewrote the manifest. Keep its sha256 (or the whole folder)
somewhere the partner cannot write to.`,
		Example: "  golive verify golive-report",
		Args:    cobra.ExactArgs(1),
		RunE:    func(_ *cobra.Command, args []string) error { return c.run(gs, args[0]) },
	}
	return c
}

func (c *verifyCmd) run(gs *GlobalState, dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return invalid(err)
	}
	if !info.IsDir() {
		return invalidf("%s is not a folder: give the --out folder of a run", dir)
	}
	manifestPath := filepath.Join(dir, reports.ManifestFile)
	raw, err := os.ReadFile(manifestPath)
	if errors.Is(err, fs.ErrNotExist) {
		return invalidf("%s has no %s: not a golive report folder (or the manifest was deleted)", dir, reports.ManifestFile)
	}
	if err != nil {
		return invalid(err)
	}
	// Verify reads the manifest again; this copy only names the run and
	// tells a changed file from one the manifest no longer lists.
	var m reports.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return invalidf("%s: %v", manifestPath, err)
	}

	changed, err := reports.Verify(dir)
	if err != nil {
		return invalid(err)
	}

	run := m.RunID
	if run == "" {
		run = "unknown"
	}
	if len(changed) == 0 {
		fmt.Fprintf(gs.Stdout, "all intact: %d files in %s match %s (run %s, written %s)\n",
			len(m.Files), dir, reports.ManifestFile, run, m.CreatedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
		return nil
	}
	for _, name := range changed {
		_, listed := m.Files[name]
		_, statErr := os.Lstat(filepath.Join(dir, name))
		switch {
		case !listed:
			fmt.Fprintf(gs.Stdout, "changed  %s (%s no longer lists it)\n", name, reports.ManifestFile)
		case errors.Is(statErr, fs.ErrNotExist):
			fmt.Fprintf(gs.Stdout, "missing  %s\n", name)
		default:
			fmt.Fprintf(gs.Stdout, "changed  %s\n", name)
		}
	}
	fmt.Fprintf(gs.Stdout, "NOT INTACT: %d file(s) in %s differ from %s (run %s)\n", len(changed), dir, reports.ManifestFile, run)
	return exit(exitcode.EvidenceChanged)
}
