// Package docs carries the part of golive's documentation the binary needs:
// the FAQ answers that report.html embeds, so a FAQ link works from the
// report folder, offline, with no copy of the repository at hand.
package docs

import (
	"embed"
	"io/fs"
	"strings"
)

//go:embed faq/*.md
var faq embed.FS

// FAQ returns the FAQ documents, named as reports refer to them relative to
// the repository's root: "docs/faq/NAME.md".
func FAQ() fs.FS { return prefixed{faq} }

// prefixed serves faq/NAME.md as docs/faq/NAME.md.
type prefixed struct{ fsys fs.FS }

func (p prefixed) Open(name string) (fs.File, error) {
	rest, ok := strings.CutPrefix(name, "docs/")
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return p.fsys.Open(rest)
}
