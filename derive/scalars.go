package derive

import (
	"encoding/base64"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// patternTries is how often a pattern is regenerated to fit the length limits.
const patternTries = 8

// str generates a string: by format, then by pattern, then from the field's
// name, then a plain "golive" text, fitted to the length limits.
func (g *generator) str(s *openapi3.Schema, name string) (any, bool) {
	if v, ok := g.formatted(s); ok {
		if g.valid(s, v) {
			return v, true
		}
	}
	if s.Pattern != "" {
		if re, err := parsePattern(s.Pattern); err == nil {
			for range patternTries {
				v, ok := patternString(re, g.rng, anyLength)
				if ok && g.valid(s, v) {
					return v, true
				}
			}
		}
	}
	if v, ok := g.byName(s, name); ok && g.valid(s, v) {
		return v, true
	}
	v := fitLength("golive"+g.alnum(6), s, g)
	return v, g.valid(s, v)
}

// formatted gives a value for the common string formats.
func (g *generator) formatted(s *openapi3.Schema) (string, bool) {
	r := g.rng
	switch s.Format {
	case "date-time":
		t := time.Date(2026, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), 0, time.UTC)
		return t.Format(time.RFC3339), true
	case "date":
		return fmt.Sprintf("2026-%02d-%02d", 1+r.IntN(12), 1+r.IntN(28)), true
	case "time":
		return fmt.Sprintf("%02d:%02d:%02dZ", r.IntN(24), r.IntN(60), r.IntN(60)), true
	case "email", "idn-email":
		return "golive." + strings.ToLower(g.alnum(6)) + "@example.com", true
	case "uri", "url", "iri":
		return "https://example.com/golive/" + strings.ToLower(g.alnum(6)), true
	case "uri-reference", "iri-reference":
		return "/golive/" + strings.ToLower(g.alnum(6)), true
	case "hostname", "idn-hostname":
		return "golive-" + strings.ToLower(g.alnum(6)) + ".example.com", true
	case "ipv4":
		return fmt.Sprintf("192.0.2.%d", 1+r.IntN(254)), true // TEST-NET-1
	case "ipv6":
		return fmt.Sprintf("2001:db8::%x", 1+r.IntN(0xfffe)), true // documentation prefix
	case "uuid":
		return g.uuid(), true
	case "byte":
		return base64.StdEncoding.EncodeToString([]byte("golive-" + g.alnum(6))), true
	case "int32", "int64":
		return fmt.Sprint(1 + r.IntN(1000)), true
	}
	return "", false
}

// byName gives realistic values for a few well-known field names.
func (g *generator) byName(s *openapi3.Schema, name string) (string, bool) {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "email"):
		return "golive." + strings.ToLower(g.alnum(6)) + "@example.com", true
	case strings.HasSuffix(n, "url") || strings.HasSuffix(n, "uri"):
		return "https://example.com/golive/" + strings.ToLower(g.alnum(6)), true
	case strings.Contains(n, "currency"):
		return "USD", true
	case strings.Contains(n, "country"):
		return "US", true
	case strings.Contains(n, "locale") || strings.Contains(n, "language"):
		return "en", true
	}
	return "", false
}

func (g *generator) uuid() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(g.rng.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (g *generator) alnum(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(alphanumerics[g.rng.IntN(len(alphanumerics))])
	}
	return b.String()
}

// fitLength pads or cuts s to the schema's length limits (in characters).
func fitLength(s string, sc *openapi3.Schema, g *generator) string {
	runes := []rune(s)
	for uint64(len(runes)) < sc.MinLength {
		runes = append(runes, rune(alphanumerics[g.rng.IntN(len(alphanumerics))]))
	}
	if sc.MaxLength != nil && uint64(len(runes)) > *sc.MaxLength {
		runes = runes[:*sc.MaxLength]
	}
	return string(runes)
}

// bounds are a number schema's inclusive limits, exclusive ones and
// integer formats folded in; nil when unbounded.
type bounds struct{ lo, hi *float64 }

func numberBounds(s *openapi3.Schema, integer bool) bounds {
	var b bounds
	step := 0.01
	if integer {
		step = 1
	}
	if s.Min != nil {
		lo := *s.Min
		if s.ExclusiveMin.IsTrue() {
			lo += step
		}
		b.lo = &lo
	}
	if v := s.ExclusiveMin.Value; v != nil {
		lo := *v + step
		if b.lo == nil || lo > *b.lo {
			b.lo = &lo
		}
	}
	if s.Max != nil {
		hi := *s.Max
		if s.ExclusiveMax.IsTrue() {
			hi -= step
		}
		b.hi = &hi
	}
	if v := s.ExclusiveMax.Value; v != nil {
		hi := *v - step
		if b.hi == nil || hi < *b.hi {
			b.hi = &hi
		}
	}
	if integer {
		if b.lo != nil {
			lo := math.Ceil(*b.lo)
			b.lo = &lo
		}
		if b.hi != nil {
			hi := math.Floor(*b.hi)
			b.hi = &hi
		}
		if s.Format == "int32" {
			if b.lo == nil || *b.lo < math.MinInt32 {
				lo := float64(math.MinInt32)
				b.lo = &lo
			}
			if b.hi == nil || *b.hi > math.MaxInt32 {
				hi := float64(math.MaxInt32)
				b.hi = &hi
			}
		}
	}
	return b
}

// number picks a value inside the bounds (1 to 100 when unbounded), on the
// multipleOf grid when there is one.
func (g *generator) number(s *openapi3.Schema, integer bool) (any, bool) {
	b := numberBounds(s, integer)
	lo, hi := 1.0, 100.0
	switch {
	case b.lo != nil && b.hi != nil:
		lo, hi = *b.lo, *b.hi
	case b.lo != nil:
		lo, hi = *b.lo, *b.lo+100
	case b.hi != nil && *b.hi >= 1:
		lo, hi = 1, math.Min(*b.hi, 100)
	case b.hi != nil:
		lo, hi = *b.hi-100, *b.hi
	}
	if lo > hi {
		return nil, false
	}
	step := 1.0
	if s.MultipleOf != nil && *s.MultipleOf > 0 {
		step = *s.MultipleOf
	} else if !integer && math.Floor(lo) == math.Floor(hi) && lo != hi {
		step = (hi - lo) / 4 // a narrow range between two integers
	}
	first, last := math.Ceil(lo/step), math.Floor(hi/step)
	if first > last {
		if integer || s.MultipleOf != nil {
			return nil, false
		}
		return lo, true
	}
	span := math.Min(last-first, 1e6)
	v := (first + float64(g.rng.IntN(int(span)+1))) * step
	if integer {
		return int64(math.Round(v)), true
	}
	return v, true
}

// asNumber is a bound value in the model's number type.
func asNumber(v float64, integer bool) any {
	if integer {
		return int64(v)
	}
	return v
}
