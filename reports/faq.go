package reports

import (
	"io/fs"
	"net/url"
	"regexp"
	"strings"
)

// A FAQ link has to work where the report is read: opened from the report
// folder, from a mail attachment, offline. So the answers an item links to
// are embedded in report.html (WithFAQ), and a link that cannot be embedded
// points at the published docs (WithDocsURL) or is shown as text.

// faqEntry is one embedded FAQ answer.
type faqEntry struct {
	Anchor string // id in the page: "faq-derived-derived-negative"
	Ref    string // the reference as items carry it: "docs/faq/derived.md#derived-negative"
	Title  string
	Blocks []mdBlock
}

// mdBlock is one block of the tiny Markdown subset FAQ answers use:
// paragraphs, bullet lists, fenced code and subheadings. Text stays text:
// html/template escapes it, nothing in it becomes markup.
type mdBlock struct {
	Kind  string // "p", "ul", "pre", "h"
	Text  []mdSpan
	Items [][]mdSpan // for "ul"
	Code  string     // for "pre"
}

// mdSpan is a run of text, code (between backticks) or not.
type mdSpan struct {
	Text string
	Code bool
}

// faqLinker resolves items' FAQ references for one page.
type faqLinker struct {
	fsys    fs.FS
	docsURL string
	docs    map[string]string // path -> document text, read once
	entries []faqEntry
	byRef   map[string]int // ref -> index in entries
}

// link returns the href for an item's FAQ reference and whether the page
// holds the answer; "" when it cannot be a working link (shown as text).
func (l *faqLinker) link(ref string) string {
	if ref == "" {
		return ""
	}
	if u, err := url.Parse(ref); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
		return ref
	}
	if i, ok := l.byRef[ref]; ok {
		return "#" + l.entries[i].Anchor
	}
	path, anchor, _ := strings.Cut(ref, "#")
	if e, ok := l.embed(path, anchor); ok {
		l.byRef[ref] = len(l.entries)
		l.entries = append(l.entries, e)
		return "#" + e.Anchor
	}
	if l.docsURL != "" && path != "" && !strings.Contains(path, "..") && !strings.HasPrefix(path, "/") {
		href := strings.TrimSuffix(l.docsURL, "/") + "/" + strings.TrimPrefix(path, "docs/")
		if anchor != "" {
			href += "#" + anchor
		}
		return href
	}
	return ""
}

// embed finds the answer under <a id="anchor"></a> in a FAQ document: up to
// the next anchor or horizontal rule.
func (l *faqLinker) embed(path, anchor string) (faqEntry, bool) {
	if l.fsys == nil || path == "" || anchor == "" || !fs.ValidPath(path) {
		return faqEntry{}, false
	}
	doc, ok := l.docs[path]
	if !ok {
		data, err := fs.ReadFile(l.fsys, path)
		if err != nil {
			l.docs[path] = ""
			return faqEntry{}, false
		}
		doc = string(data)
		l.docs[path] = doc
	}
	marker := `<a id="` + anchor + `"></a>`
	i := strings.Index(doc, marker)
	if i < 0 {
		return faqEntry{}, false
	}
	section := doc[i+len(marker):]
	if j := nextAnchor.FindStringIndex(section); j != nil {
		section = section[:j[0]]
	}
	if j := strings.Index(section, "\n---"); j >= 0 {
		section = section[:j]
	}
	e := faqEntry{
		Anchor: "faq-" + slug(strings.TrimSuffix(pathBase(path), ".md")+"-"+anchor),
		Ref:    path + "#" + anchor,
	}
	e.Title, e.Blocks = parseMarkdown(section)
	if e.Title == "" {
		e.Title = anchor
	}
	return e, true
}

var (
	nextAnchor = regexp.MustCompile(`<a id="[^"]*"></a>`)
	mdLink     = regexp.MustCompile(`\[([^\]]+)\]\([^)]*\)`)
)

func pathBase(p string) string { return p[strings.LastIndex(p, "/")+1:] }

func slug(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
}

// parseMarkdown reads the subset: the first heading is the title.
func parseMarkdown(src string) (string, []mdBlock) {
	var title string
	var blocks []mdBlock
	var para []string
	var list [][]mdSpan
	flush := func() {
		if len(para) > 0 {
			blocks = append(blocks, mdBlock{Kind: "p", Text: spans(strings.Join(para, " "))})
			para = nil
		}
		if len(list) > 0 {
			blocks = append(blocks, mdBlock{Kind: "ul", Items: list})
			list = nil
		}
	}
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			flush()
			var code []string
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				code = append(code, lines[i])
			}
			blocks = append(blocks, mdBlock{Kind: "pre", Code: strings.Join(code, "\n")})
		case strings.HasPrefix(trimmed, "#"):
			flush()
			h := strings.TrimSpace(strings.TrimLeft(trimmed, "#"))
			if title == "" {
				title = h
			} else {
				blocks = append(blocks, mdBlock{Kind: "h", Text: spans(h)})
			}
		case trimmed == "":
			flush()
		case strings.HasPrefix(trimmed, "- ") || strings.HasPrefix(trimmed, "* "):
			if len(para) > 0 {
				flush()
			}
			list = append(list, spans(trimmed[2:]))
		case len(list) > 0 && strings.HasPrefix(line, "  "):
			// A continuation line of the last bullet.
			last := list[len(list)-1]
			list[len(list)-1] = append(last, mdSpan{Text: " "})
			list[len(list)-1] = append(list[len(list)-1], spans(trimmed)...)
		default:
			if len(list) > 0 {
				flush()
			}
			para = append(para, trimmed)
		}
	}
	flush()
	return title, blocks
}

// spans splits inline text on backticks; emphasis markers and link targets
// are dropped (the words stay).
func spans(s string) []mdSpan {
	s = mdLink.ReplaceAllString(s, "$1")
	var out []mdSpan
	for n, part := range strings.Split(s, "`") {
		if part == "" {
			continue
		}
		if n%2 == 1 {
			out = append(out, mdSpan{Text: part, Code: true})
			continue
		}
		out = append(out, mdSpan{Text: strings.ReplaceAll(part, "**", "")})
	}
	return out
}
