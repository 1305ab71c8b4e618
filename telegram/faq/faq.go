// Package faq searches the partner FAQs (docs/faq/*.md): each answer is a
// section that starts with an anchor and a heading, and the best matches for
// a few words come back with links. It implements telegram.FAQ.
package faq

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/golive-cert/golive/telegram"
)

// Index is the FAQ answers in memory. Safe for concurrent use: it never
// changes after New.
type Index struct {
	sections []section
	df       map[string]int // how many sections hold each word
}

type section struct {
	api     string // the file's name: collections, payouts, ... (callbacks, derived: any API)
	anchor  string
	title   string
	snippet string
	words   map[string]int
	titleW  map[string]bool
	link    string
}

var anchor = regexp.MustCompile(`^<a id="([^"]+)"></a>\s*$`)

// New reads every *.md in fsys. baseURL is where the files are published
// (the hub's /faq/ pages, or the repository's docs/faq/); links are
// baseURL/FILE.md#anchor.
func New(fsys fs.FS, baseURL string) (*Index, error) {
	names, err := fs.Glob(fsys, "*.md")
	if err != nil {
		return nil, fmt.Errorf("faq: %w", err)
	}
	idx := &Index{df: map[string]int{}}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("faq: %w", err)
		}
		api := strings.TrimSuffix(path.Base(name), ".md")
		for _, s := range parse(string(data)) {
			s.api = api
			s.link = strings.TrimRight(baseURL, "/") + "/" + name + "#" + s.anchor
			for w := range s.words {
				idx.df[w]++
			}
			idx.sections = append(idx.sections, s)
		}
	}
	if len(idx.sections) == 0 {
		return nil, fmt.Errorf("faq: no answers found (sections start with <a id=\"...\"></a> and a ## heading)")
	}
	return idx, nil
}

// parse splits a FAQ file at its anchors.
func parse(text string) []section {
	var out []section
	var cur *section
	var body []string
	flush := func() {
		if cur != nil {
			cur.words = count(cur.title + " " + strings.Join(body, " "))
			cur.snippet = snippet(body)
			out = append(out, *cur)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if m := anchor.FindStringSubmatch(line); m != nil {
			flush()
			cur, body = &section{anchor: m[1]}, nil
			continue
		}
		if cur == nil {
			continue
		}
		if cur.title == "" && strings.HasPrefix(line, "#") {
			cur.title = strings.TrimSpace(strings.TrimLeft(line, "#"))
			cur.titleW = map[string]bool{}
			for w := range count(cur.title) {
				cur.titleW[w] = true
			}
			continue
		}
		body = append(body, line)
	}
	flush()
	return out
}

// snippet is the first prose paragraph, without Markdown emphasis, cut short.
func snippet(body []string) string {
	var para []string
	inCode := false
	for _, l := range body {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "```") {
			inCode = !inCode
			continue
		}
		if inCode || (t == "" && len(para) == 0) {
			continue
		}
		if t == "" {
			break
		}
		para = append(para, t)
	}
	s := strings.ReplaceAll(strings.Join(para, " "), "**", "")
	if r := []rune(s); len(r) > 240 {
		s = string(r[:240]) + "…"
	}
	return s
}

// stopWord reports words too common to rank by.
func stopWord(w string) bool {
	switch w {
	case "the", "a", "an", "is", "to", "of", "and", "or", "in", "it", "my", "i", "how", "what", "why",
		"do", "does", "for", "on", "with", "be", "are", "can", "your", "you":
		return true
	}
	return false
}

func count(text string) map[string]int {
	out := map[string]int{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-'
	}) {
		w = strings.Trim(w, "-")
		if w != "" && !stopWord(w) {
			out[w]++
		}
	}
	return out
}

// Search ranks the sections of apis (nil: all; the cross-API files
// callbacks and derived always count) by the query's words, weighted by how
// rare each word is, a title match counting triple, a section of one of the
// given APIs counting half again.
func (x *Index) Search(_ context.Context, apis []string, query string, limit int) ([]telegram.FAQAnswer, error) {
	terms := count(query)
	type hit struct {
		s     *section
		score float64
	}
	var hits []hit
	n := float64(len(x.sections))
	for i := range x.sections {
		s := &x.sections[i]
		if apis != nil && !slices.Contains(apis, s.api) && s.api != "callbacks" && s.api != "derived" {
			continue
		}
		score := 0.0
		for t := range terms {
			tf := s.words[t]
			if tf == 0 && !strings.EqualFold(t, s.anchor) {
				continue
			}
			idf := math.Log(1 + n/float64(1+x.df[t]))
			score += idf * (1 + math.Log(float64(max(tf, 1))))
			if s.titleW[t] {
				score += 3 * idf
			}
		}
		if score > 0 && apis != nil && slices.Contains(apis, s.api) {
			// The partner's own API answers first: a generic section
			// (derived, callbacks) only outranks it on a clearly better match.
			score *= 1.5
		}
		if score > 0 {
			hits = append(hits, hit{s, score})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].score > hits[j].score })
	var out []telegram.FAQAnswer
	for _, h := range hits[:min(limit, len(hits))] {
		out = append(out, telegram.FAQAnswer{API: h.s.api, Title: h.s.title, Link: h.s.link, Snippet: h.s.snippet})
	}
	return out, nil
}
