package derive

// Test-only access to the pattern generator, which has no exported API.

// PatternMode names the generator's length modes for tests.
type PatternMode = lengthMode

// Length modes, for tests.
const (
	AnyLength = anyLength
	Shortest  = shortest
	Longest   = longest
)

// GeneratePattern generates a string for pattern with the given seed.
func GeneratePattern(pattern string, seed int64, mode PatternMode) (string, bool) {
	re, err := parsePattern(pattern)
	if err != nil {
		return "", false
	}
	return patternString(re, newRand(seed, "test"), mode)
}

// NotOneOf exposes the settle poll's "left the pending values" expression.
var NotOneOf = notOneOf
