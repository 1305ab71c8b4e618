package specs

import (
	"bytes"
	"encoding/json"
	"strings"
)

// lineOf finds the line of the root document where key is written with
// value (a YAML or JSON scalar, quoted or not), so an error about a value
// names FILE:LINE. 0 when it cannot be found (a value in a referenced file,
// or written in a form this simple search does not recognise).
func (a *API) lineOf(key, value string) int {
	data, err := a.bytes()
	if err != nil {
		return 0
	}
	escaped, _ := json.Marshal(value) // "^(?!\\s)" as JSON and double-quoted YAML write it
	forms := []string{string(escaped), "'" + strings.ReplaceAll(value, "'", "''") + "'", value}
	for i, line := range bytes.Split(data, []byte("\n")) {
		text := strings.TrimSpace(string(line))
		for _, prefix := range []string{key + ":", `"` + key + `":`} {
			rest, ok := strings.CutPrefix(text, prefix)
			if !ok {
				continue
			}
			rest = strings.TrimSuffix(strings.TrimSpace(rest), ",")
			for _, f := range forms {
				if rest == f {
					return i + 1
				}
			}
		}
	}
	// A long pattern is often folded over several lines: find where its
	// start is written and name the key above it.
	start := value[:min(len(value), 24)]
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		if !strings.Contains(line, start) {
			continue
		}
		for j := i; j >= 0 && j >= i-2; j-- {
			if strings.Contains(lines[j], key) {
				return j + 1
			}
		}
		return i + 1
	}
	return 0
}

// bytes reads the root document again (only on an error path).
func (a *API) bytes() ([]byte, error) {
	if name, ok := strings.CutPrefix(a.Source, "builtin:"); ok {
		return builtin.ReadFile(name + ".yaml")
	}
	return readFile(a.Source)
}
