package reports

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// writeFileAtomic writes data to dir/name so that dir/name is either the old
// file or the complete new one, never a half-written mix: a CI job that is
// killed mid-write, or a reader that opens the report while it is being
// written, must not see a truncated certificate.
func writeFileAtomic(dir, name string, data []byte) (err error) {
	path := filepath.Join(dir, name)
	// The temp file lives in the same directory so that the rename stays on
	// one file system and is atomic.
	tmp, err := os.CreateTemp(dir, name+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()           // may already be closed; the error is moot
			os.Remove(tmp.Name()) // best effort: the write already failed
		}
	}()

	// CreateTemp makes the file 0600; reports are shared artefacts.
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Sync before rename: otherwise a crash can leave the new name pointing
	// at an empty file.
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes the rename itself durable. It is best effort: some systems
// (Windows, some network file systems) cannot sync a directory, and the file
// is already complete either way.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// Clear removes the report files of an earlier run from dir (only those
// names; nothing else in the folder is touched), so that while a new run
// works, or after it fails before writing its own, no old verdict stands
// in dir as if it were this run's. Callers clear once a run has started:
// input refused before that leaves dir as it was. A missing dir or file is
// not an error.
func Clear(dir string) error {
	var errs []error
	for _, name := range []string{ManifestFile, ResultsFile, JUnitFile, HTMLFile} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
