package specs

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/dlclark/regexp2"
	"github.com/getkin/kin-openapi/openapi3"
)

// This file is golive's one regex policy for the `pattern` keyword. OpenAPI
// says patterns are ECMA-262 regular expressions; Go's RE2 covers the common
// subset and runs in linear time, but real schemes use what it lacks
// (lookaheads such as `^(?!\s)(.*)(\S)$` in Open Banking UK and Mojaloop).
// So a pattern is compiled with RE2 when RE2 can, and with an ECMA-262
// engine (regexp2 in ECMAScript mode) only when it cannot. validate, plan,
// run, the derived-check generator and the sandbox all compile through
// CompileRegex, so a document that plans is a document that validates.

// ecmaMatchTimeout bounds one match with the backtracking engine: a
// pathological pattern must end in an error, never hang a run. It is
// generous because a loaded CI machine must not turn a slow match into a
// false schema failure.
const ecmaMatchTimeout = 2 * time.Second

// ecmaUnicode rewrites JavaScript's \uXXXX to RE2's \x{XXXX}, as kin-openapi
// does before it compiles a pattern.
var ecmaUnicode = regexp.MustCompile(`\\u([0-9a-fA-F]{4})`)

// PatternError is a pattern neither engine compiles: bad input, reported
// with the pattern (and, by validate, the FILE:LINE where it is written).
type PatternError struct {
	Pattern string
	Err     error // the ECMA-262 engine's complaint
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("pattern %q is not a valid ECMA-262 regular expression: %v", e.Pattern, e.Err)
}

func (e *PatternError) Unwrap() error { return e.Err }

// CompileRegex compiles an OpenAPI pattern under golive's policy: RE2 where
// it compiles, else ECMA-262. It has the signature kin-openapi takes
// (openapi3.SetRegexCompiler, openapi3.SetSchemaRegexCompiler,
// openapi3filter.Options.RegexCompiler).
func CompileRegex(pattern string) (openapi3.RegexMatcher, error) {
	translated := unicodeProperties(pattern)
	if re, err := regexp.Compile(ecmaUnicode.ReplaceAllString(translated, `\x{$1}`)); err == nil {
		return re, nil
	}
	re, err := regexp2.Compile(translated, regexp2.ECMAScript)
	if err != nil {
		return nil, &PatternError{Pattern: pattern, Err: err}
	}
	re.MatchTimeout = ecmaMatchTimeout
	return ecmaMatcher{re}, nil
}

// NeedsECMA reports whether the pattern is compiled by the ECMA-262 engine
// (RE2 cannot), so callers that generate values from RE2's parse tree know
// to fall back to examples.
func NeedsECMA(pattern string) bool {
	_, err := regexp.Compile(RE2Syntax(pattern))
	return err != nil
}

// RE2Syntax is the pattern as Go's regexp parser reads it (\uXXXX and
// ECMA-262 Unicode property names rewritten), for code that walks RE2's
// parse tree to generate matching values.
func RE2Syntax(pattern string) string {
	return ecmaUnicode.ReplaceAllString(unicodeProperties(pattern), `\x{$1}`)
}

// generalCategories maps ECMA-262's long General_Category names to the
// short ones both engines know.
var generalCategories = map[string]string{
	"Letter": "L", "Cased_Letter": "LC", "Uppercase_Letter": "Lu", "Lowercase_Letter": "Ll", "Titlecase_Letter": "Lt",
	"Modifier_Letter": "Lm", "Other_Letter": "Lo", "Mark": "M", "Combining_Mark": "M", "Nonspacing_Mark": "Mn",
	"Spacing_Mark": "Mc", "Enclosing_Mark": "Me", "Number": "N", "Decimal_Number": "Nd", "digit": "Nd",
	"Letter_Number": "Nl", "Other_Number": "No", "Punctuation": "P", "punct": "P", "Connector_Punctuation": "Pc",
	"Dash_Punctuation": "Pd", "Open_Punctuation": "Ps", "Close_Punctuation": "Pe", "Initial_Punctuation": "Pi",
	"Final_Punctuation": "Pf", "Other_Punctuation": "Po", "Symbol": "S", "Math_Symbol": "Sm", "Currency_Symbol": "Sc",
	"Modifier_Symbol": "Sk", "Other_Symbol": "So", "Separator": "Z", "Space_Separator": "Zs", "Line_Separator": "Zl",
	"Paragraph_Separator": "Zp", "Other": "C", "Control": "Cc", "cntrl": "Cc", "Format": "Cf", "Surrogate": "Cs",
	"Private_Use": "Co", "Unassigned": "Cn",
}

// binaryProperties are the ECMA-262 binary properties real documents use,
// as the characters they stand for.
var binaryProperties = map[string]string{
	"Join_Control": `\u200C\u200D`,
}

// unicodeProperty is \p{...} or \P{...}.
var unicodeProperty = regexp.MustCompile(`\\([pP])\{([A-Za-z_]+=)?([A-Za-z_]+)\}`)

// unicodeProperties rewrites ECMA-262 property escapes (\p{gc=Mark},
// \p{General_Category=Letter}, \p{Join_Control}, and \p{digit} as Mojaloop
// writes it) into the short forms RE2 and regexp2 both read. Anything it
// does not know is left for the engines to judge.
func unicodeProperties(pattern string) string {
	if !strings.Contains(pattern, `\p{`) && !strings.Contains(pattern, `\P{`) {
		return pattern
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern) && (pattern[i+1] == 'p' || pattern[i+1] == 'P'):
			m := unicodeProperty.FindStringSubmatchIndex(pattern[i:])
			if m == nil || m[0] != 0 {
				break
			}
			key, name := "", pattern[i+m[6]:i+m[7]]
			if m[4] >= 0 {
				key = strings.TrimSuffix(pattern[i+m[4]:i+m[5]], "=")
			}
			if rewritten, ok := property(pattern[i+1] == 'P', key, name, inClass); ok {
				b.WriteString(rewritten)
				i += m[1] - 1
				continue
			}
		case c == '\\' && i+1 < len(pattern):
			b.WriteByte(c)
			b.WriteByte(pattern[i+1])
			i++
			continue
		case c == '[':
			inClass = true
		case c == ']':
			inClass = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// property is one rewritten escape; ok is false for names left alone.
func property(negated bool, key, name string, inClass bool) (string, bool) {
	if key == "gc" || key == "General_Category" || key == "" {
		if short, ok := generalCategories[name]; ok {
			p := "p"
			if negated {
				p = "P"
			}
			return `\` + p + "{" + short + "}", true
		}
	}
	if chars, ok := binaryProperties[name]; ok && key == "" && !negated {
		if inClass {
			return chars, true
		}
		return "[" + chars + "]", true
	}
	return "", false
}

// ecmaMatcher adapts regexp2 to kin-openapi's RegexMatcher. A match that
// errs (only the timeout can) counts as no match: the value is reported as
// not matching its pattern rather than silently accepted.
type ecmaMatcher struct{ re *regexp2.Regexp }

func (m ecmaMatcher) MatchString(s string) bool {
	ok, err := m.re.MatchString(s)
	return err == nil && ok
}

// SchemaOptions are the options every schema validation in golive passes to
// kin-openapi: the regex policy, and JSON Schema 2020-12 for OpenAPI 3.1 and
// later documents.
func (a *API) SchemaOptions(opts ...openapi3.SchemaValidationOption) []openapi3.SchemaValidationOption {
	out := append([]openapi3.SchemaValidationOption{openapi3.SetSchemaRegexCompiler(CompileRegex)}, opts...)
	if a.Doc != nil && a.Doc.IsOpenAPI31OrLater() {
		out = append(out, openapi3.EnableJSONSchema2020())
	}
	return out
}
