package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxDocument bounds a results document read back (golive diff, the hub's
// uploads): far above what a bounded run writes, far below what hurts.
const MaxDocument = 256 << 20

// FormatError says a document is not a golive results document.
type FormatError struct{ Reason string }

func (e *FormatError) Error() string { return "not a golive results document: " + e.Reason }

// Read decodes a results document and checks it is one this version
// understands. Unknown fields are allowed: the schema grows additively.
func Read(r io.Reader) (*Run, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocument+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxDocument {
		return nil, &FormatError{Reason: fmt.Sprintf("over %d MiB", MaxDocument>>20)}
	}
	var run Run
	if err := json.Unmarshal(data, &run); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return nil, &FormatError{Reason: fmt.Sprintf("invalid JSON at byte %d", syn.Offset)}
		case errors.As(err, &typ):
			return nil, &FormatError{Reason: fmt.Sprintf("field %s: want %s, got a JSON %s", typ.Field, typ.Type, typ.Value)}
		}
		return nil, &FormatError{Reason: err.Error()}
	}
	if run.Schema != Schema {
		return nil, &FormatError{Reason: fmt.Sprintf("schema %q, want %q", run.Schema, Schema)}
	}
	return &run, nil
}
