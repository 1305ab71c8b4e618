package specs

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// TextError is a file that is not text at all (a binary file, a document
// in another encoding): neither YAML nor JSON can hold it. Line is where
// the first offending byte is.
type TextError struct {
	Source string
	Line   int
	Offset int // of the first offending byte
	What   string
}

func (e *TextError) Error() string {
	return fmt.Sprintf("%s:%d: not a YAML or JSON text (a binary file?): %s at offset %d", e.Source, e.Line, e.What, e.Offset)
}

// CheckText finds the first byte no YAML or JSON document may hold: invalid
// UTF-8, NUL, or another control character than tab, line feed and carriage
// return. A parser's own words for these name no position
// ("at <unknown position>").
func CheckText(source string, data []byte) error {
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				what := fmt.Sprintf("control character 0x%02x", c)
				if c == 0 {
					what = "NUL byte"
				}
				return &TextError{Source: source, Line: bytes.Count(data[:i], []byte("\n")) + 1, Offset: i, What: what}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return &TextError{Source: source, Line: bytes.Count(data[:i], []byte("\n")) + 1, Offset: i,
				What: fmt.Sprintf("invalid UTF-8 0x%02x", c)}
		}
		i += size
	}
	return nil
}
