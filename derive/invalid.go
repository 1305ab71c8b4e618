package derive

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The invalid values of the negative rule. Each breaks one constraint and,
// where it can, keeps the others, so the check names the right defect.
// Every variant is self-checked: one the spec would accept is dropped.

// notInEnum is the string sent where an enum is required.
const notInEnum = "GOLIVE_NOT_IN_ENUM"

// unknownProperty is the member added where additionalProperties is false.
const unknownProperty = "goliveUnknownField"

// wrongType is a value of a JSON type the schema does not allow. For
// parameters (text on the wire) only non-string schemas have one.
func wrongType(s *openapi3.Schema, param bool) (any, bool) {
	if s == nil || typeOf(s) == "" {
		return nil, false
	}
	switch {
	case !permits(s, tString):
		return "golive-not-a-" + typeOf(s), true
	case param:
		return nil, false
	case !permits(s, tNumber) && !permits(s, tInteger):
		return int64(12345), true
	case !permits(s, tBoolean):
		return true, true
	case !permits(s, tObject):
		return &obj{members: []member{{"golive", "not-a-" + typeOf(s)}}}, true
	}
	return nil, false
}

// enumViolation is a value of the enum's type outside it.
func enumViolation(s *openapi3.Schema) (any, bool) {
	if len(s.Enum) == 0 {
		return nil, false
	}
	switch typeOf(s) {
	case tString, "":
		return notInEnum, true
	case tInteger, tNumber:
		top := 0.0
		for _, e := range s.Enum {
			if f, ok := e.(float64); ok && f > top {
				top = f
			}
		}
		return asNumber(top+1, typeOf(s) == tInteger), true
	}
	return nil, false
}

// patternViolation is a string the pattern does not match, within the
// length limits, of characters safe in a URL path.
func patternViolation(s *openapi3.Schema) (string, bool) {
	if s.Pattern == "" || typeOf(s) != tString {
		return "", false
	}
	re, err := compilePattern(s.Pattern)
	if err != nil {
		return "", false
	}
	n := max(int(s.MinLength), 8)
	if s.MaxLength != nil && uint64(n) > *s.MaxLength {
		n = int(*s.MaxLength)
	}
	if n == 0 {
		return "", false
	}
	for _, c := range []string{"~", "!", "-", "a", "Z", "0", "_"} {
		cand := strings.Repeat(c, n)
		if !re.MatchString(cand) && !inEnum(s, cand) {
			return cand, true
		}
	}
	return "", false
}

func inEnum(s *openapi3.Schema, v string) bool {
	for _, e := range s.Enum {
		if e == v {
			return true
		}
	}
	return false
}

// tooLong is maxLength+1 characters, built from the valid value so that
// only the length is wrong where possible.
func tooLong(s *openapi3.Schema, valid any) (string, bool) {
	if s.MaxLength == nil || typeOf(s) != tString {
		return "", false
	}
	return resize(valid, int(*s.MaxLength)+1), true
}

// tooShort is minLength-1 characters.
func tooShort(s *openapi3.Schema, valid any) (string, bool) {
	if s.MinLength == 0 || typeOf(s) != tString {
		return "", false
	}
	return resize(valid, int(s.MinLength)-1), true
}

// resize repeats or cuts a valid string to n characters.
func resize(valid any, n int) string {
	base := []rune(scalarText(valid))
	if len(base) == 0 {
		base = []rune("golive")
	}
	out := make([]rune, 0, n)
	for len(out) < n {
		out = append(out, base[len(out)%len(base)])
	}
	return string(out)
}
