package reports

import "io/fs"

// Option configures how reports are written.
type Option func(*options)

type options struct {
	faq     fs.FS
	docsURL string
}

func newOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithFAQ embeds in report.html the FAQ answers the run's items link to,
// read from fsys by the path the items name ("docs/faq/NAME.md#anchor"),
// so FAQ links work from the report folder, offline.
func WithFAQ(fsys fs.FS) Option { return func(o *options) { o.faq = fsys } }

// WithDocsURL is the base URL of the published docs: a FAQ reference the
// report cannot embed links to it ("docs/faq/x.md#a" -> BASE/faq/x.md#a).
func WithDocsURL(base string) Option { return func(o *options) { o.docsURL = base } }
