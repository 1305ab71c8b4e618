package derive

import (
	"fmt"
	"math/rand/v2"
	"regexp/syntax"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/golive-cert/golive/specs"
)

// lengthMode says which repetition counts the pattern generator picks.
type lengthMode int

const (
	anyLength lengthMode = iota // random, a few beyond the minimum
	shortest                    // every repetition at its minimum
	longest                     // every repetition at its maximum (fails on unbounded ones)
	exactly                     // the shortest string, grown by repetitions to a length (patternStringOfLength)
)

// unboundedExtra is how many repetitions beyond the minimum *, + and {n,}
// may add: enough to vary, short enough to stay readable in reports.
const unboundedExtra = 4

// parsePattern parses an OpenAPI (ECMA-262) pattern with Go's parser, to
// generate values from it. The common subset (literals, classes, \d \w \s,
// {m,n}, ?, +, *, groups, alternation, anchors, Unicode properties) parses;
// lookarounds and backreferences do not, and the caller falls back to
// examples and defaults (values are still validated with the ECMA-262
// engine, specs.CompileRegex).
func parsePattern(pattern string) (*syntax.Regexp, error) {
	re, err := syntax.Parse(specs.RE2Syntax(pattern), syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	return re, nil
}

// compilePattern compiles a pattern under golive's one regex policy, the
// way validate, plan and run all match it.
func compilePattern(pattern string) (openapi3.RegexMatcher, error) {
	return specs.CompileRegex(pattern)
}

// patternString generates a string the pattern matches. ok is false when
// the pattern cannot be generated in this mode (no match possible, or
// "longest" asked of an unbounded repetition).
func patternString(re *syntax.Regexp, rng *rand.Rand, mode lengthMode) (string, bool) {
	g := &patternGen{rng: rng, mode: mode}
	var b strings.Builder
	if !g.walk(re, &b) {
		return "", false
	}
	return b.String(), true
}

type patternGen struct {
	rng  *rand.Rand
	mode lengthMode
	// budget, in exactly mode: the characters still to add beyond the
	// shortest string, spent by repetitions from left to right.
	budget int
}

// patternStringOfLength generates a string of exactly n characters that
// the pattern matches: its shortest string, with repetitions added from
// left to right until the length is reached (a pattern with maxLength,
// "^[A-Z0-9]+$" and 35, gives 35 characters). ok is false when the
// pattern's repetitions cannot make that length.
func patternStringOfLength(re *syntax.Regexp, rng *rand.Rand, n int) (string, bool) {
	low, ok := patternString(re, rng, shortest)
	if !ok || len([]rune(low)) > n {
		return "", false
	}
	g := &patternGen{rng: rng, mode: exactly, budget: n - len([]rune(low))}
	var b strings.Builder
	if !g.walk(re, &b) || len([]rune(b.String())) != n {
		return "", false
	}
	return b.String(), true
}

// shortestLen is the length of the shortest string sub matches.
func shortestLen(sub *syntax.Regexp) int {
	s, ok := patternString(sub, rand.New(rand.NewPCG(0, 0)), shortest)
	if !ok {
		return -1
	}
	return len([]rune(s))
}

func (g *patternGen) walk(re *syntax.Regexp, b *strings.Builder) bool {
	switch re.Op {
	case syntax.OpNoMatch:
		return false
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
		return true
	case syntax.OpCharClass:
		r, ok := g.pickRune(re.Rune)
		if ok {
			b.WriteRune(r)
		}
		return ok
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte(alphanumerics[g.rng.IntN(len(alphanumerics))])
		return true
	case syntax.OpCapture:
		return g.walk(re.Sub[0], b)
	case syntax.OpStar:
		return g.repeat(re.Sub[0], 0, -1, b)
	case syntax.OpPlus:
		return g.repeat(re.Sub[0], 1, -1, b)
	case syntax.OpQuest:
		return g.repeat(re.Sub[0], 0, 1, b)
	case syntax.OpRepeat:
		return g.repeat(re.Sub[0], re.Min, re.Max, b)
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !g.walk(sub, b) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		return g.alternate(re.Sub, b)
	}
	return false
}

func (g *patternGen) repeat(sub *syntax.Regexp, lo, hi int, b *strings.Builder) bool {
	n := lo
	switch g.mode {
	case shortest:
	case exactly:
		// Each repetition beyond the minimum adds at least the shortest
		// string of sub; the budget says how many fit.
		if k := shortestLen(sub); k > 0 && g.budget > 0 {
			extra := g.budget / k
			if hi >= 0 {
				extra = min(extra, hi-lo)
			}
			g.budget -= extra * k
			n += extra
		}
	case longest:
		if hi < 0 {
			return false // no longest string: the boundary does not exist
		}
		n = hi
	default:
		span := unboundedExtra
		if hi >= 0 {
			span = min(hi-lo, unboundedExtra)
		}
		n = lo + g.rng.IntN(span+1)
	}
	for range n {
		if !g.walk(sub, b) {
			return false
		}
	}
	return true
}

// alternate picks a branch: at random, or the one giving the shortest or
// longest string in those modes.
func (g *patternGen) alternate(subs []*syntax.Regexp, b *strings.Builder) bool {
	if g.mode == anyLength {
		start := g.rng.IntN(len(subs))
		for i := range subs {
			var sb strings.Builder
			if g.walk(subs[(start+i)%len(subs)], &sb) {
				b.WriteString(sb.String())
				return true
			}
		}
		return false
	}
	if g.mode == exactly {
		// The shortest branch, judged apart so that trying the others
		// spends nothing of the budget; then grown like the rest.
		best, bestLen := -1, 0
		for i, sub := range subs {
			if n := shortestLen(sub); n >= 0 && (best < 0 || n < bestLen) {
				best, bestLen = i, n
			}
		}
		return best >= 0 && g.walk(subs[best], b)
	}
	best, found := "", false
	for _, sub := range subs {
		var sb strings.Builder
		if !g.walk(sub, &sb) {
			continue
		}
		s := sb.String()
		if !found || (g.mode == shortest && len(s) < len(best)) || (g.mode == longest && len(s) > len(best)) {
			best, found = s, true
		}
	}
	b.WriteString(best)
	return found
}

const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// pickRune picks a character of a class, preferring letters and digits,
// then other printable ASCII, so generated values survive URLs, headers and
// terminals; only a class with neither gives anything else.
func (g *patternGen) pickRune(ranges []rune) (rune, bool) {
	in := func(r rune) bool {
		for i := 0; i+1 < len(ranges); i += 2 {
			if r >= ranges[i] && r <= ranges[i+1] {
				return true
			}
		}
		return false
	}
	var pool []rune
	for _, r := range alphanumerics {
		if in(r) {
			pool = append(pool, r)
		}
	}
	if len(pool) == 0 {
		for r := rune(0x21); r < 0x7f; r++ {
			if in(r) {
				pool = append(pool, r)
			}
		}
	}
	if len(pool) == 0 {
		if in(' ') {
			return ' ', true
		}
		if len(ranges) < 2 {
			return 0, false
		}
		return ranges[0], true
	}
	return pool[g.rng.IntN(len(pool))], true
}
