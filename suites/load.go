package suites

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/golive-cert/golive/specs"
)

//go:embed *.yaml
var builtin embed.FS

// Builtin lists the names of the embedded suites.
func Builtin() []string {
	entries, _ := builtin.ReadDir(".")
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
		}
	}
	sort.Strings(names)
	return names
}

// IsBuiltin reports whether name is an embedded suite.
func IsBuiltin(name string) bool {
	_, err := builtin.ReadFile(name + ".yaml")
	return err == nil
}

// Load reads a built-in suite by name or a suite file by path. Errors name the
// file and line: "suites/x.yaml:12: unknown key "bdy"".
func Load(nameOrPath string) (*Suite, error) {
	var (
		data   []byte
		source string
		err    error
	)
	if IsBuiltin(nameOrPath) {
		data, _ = builtin.ReadFile(nameOrPath + ".yaml")
		source = "builtin:" + nameOrPath
	} else {
		data, err = os.ReadFile(nameOrPath)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("load suite %s: no such file, and not a built-in suite (built-in: %s)",
				nameOrPath, strings.Join(Builtin(), ", "))
		}
		if err != nil {
			return nil, fmt.Errorf("load suite %s: %w", nameOrPath, err)
		}
		source = nameOrPath
	}
	return Parse(source, data)
}

// Parse decodes suite YAML; source names it in errors.
func Parse(source string, data []byte) (*Suite, error) {
	s := &Suite{}
	if err := yaml.Load(data, s, yaml.WithKnownFields()); err != nil {
		// The parser names no position for bytes no text holds.
		if terr := specs.CheckText(source, data); terr != nil {
			return nil, terr
		}
		// One line, whatever the YAML held (a tag or key with a newline).
		return nil, errors.New(strings.Join(strings.Fields(fileError(source, err).Error()), " "))
	}
	if s.Name == "" && s.API == "" && len(s.Items) == 0 {
		return nil, fmt.Errorf("%s: empty suite: it needs name, api and items", source)
	}
	sum := sha256.Sum256(data)
	s.Source, s.SHA256 = source, hex.EncodeToString(sum[:])
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(source), filepath.Ext(source))
	}
	nameSteps(s)
	return s, nil
}

// nameSteps gives every unnamed step its default name, at load time, so a
// loaded suite is complete whether or not it has been checked yet: a check
// is named after its operation, a flow's steps step1, step2, ...
func nameSteps(s *Suite) {
	for _, it := range s.Items {
		if it == nil {
			continue
		}
		for i, st := range it.Steps() {
			if st == nil || st.Name != "" {
				continue
			}
			st.Name = fmt.Sprintf("step%d", i+1)
			if it.Check != nil {
				st.Name = st.Operation
			}
		}
	}
}

var (
	yamlLine     = regexp.MustCompile(`line (\d+): (.*)`)
	unknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)
	cannotDecode = regexp.MustCompile("cannot construct !!(\\w+) `([^`]*)` into (\\S+)")
)

// fileError turns a YAML error into one line, "FILE:LINE: message", with the
// library's Go type names replaced by words a suite author knows. go-yaml
// reports the first problem with its position; errors from this package's own
// decoders carry their exact line inside it.
func fileError(source string, err error) error {
	var le *LineError
	var ye *yaml.LoadError
	switch {
	case errors.As(err, &le):
		return fmt.Errorf("%s:%d: %s", source, le.Line, le.Msg)
	case errors.As(err, &ye) && errors.As(ye, &le):
		return fmt.Errorf("%s:%d: %s", source, le.Line, le.Msg)
	case errors.As(err, &ye) && ye.Mark.Line > 0:
		line, text := ye.Mark.Line, friendlyMessage(ye.Message)
		if ye.Stage != yaml.ConstructorStage {
			text = "YAML syntax: " + text
			// An unclosed bracket or quote is found where the file ends;
			// where it was opened is the line to fix.
			if ye.ContextMark.Line > 0 && (strings.Contains(ye.ContextMsg, "flow") || strings.Contains(ye.ContextMsg, "quoted")) {
				line = ye.ContextMark.Line
			}
		}
		return fmt.Errorf("%s:%d: %s", source, line, text)
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if strings.Contains(msg, "no documents in stream") {
		return fmt.Errorf("%s: empty suite: it needs name, api and items", source)
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		text := m[2]
		if i := strings.Index(text, "; line "); i >= 0 {
			text = text[:i] // the first problem is enough to act on
		}
		return fmt.Errorf("%s:%s: %s", source, m[1], friendlyMessage(text))
	}
	return fmt.Errorf("%s: %s", source, friendlyMessage(msg))
}

func friendlyMessage(text string) string {
	text = unknownField.ReplaceAllString(text, `unknown key "$1"`)
	return cannotDecode.ReplaceAllStringFunc(text, func(s string) string {
		m := cannotDecode.FindStringSubmatch(s)
		return fmt.Sprintf("%q is not a valid %s", m[2], friendlyType(m[3]))
	})
}

func friendlyType(goType string) string {
	switch {
	case strings.Contains(goType, "[]"):
		return "list"
	case strings.Contains(goType, "int"):
		return "integer"
	case strings.Contains(goType, "float"):
		return "number"
	case strings.Contains(goType, "bool"):
		return "boolean (true or false)"
	case strings.Contains(goType, "string"), strings.Contains(goType, "Severity"):
		return "string"
	default:
		return "value here (see docs/suite-format.md)"
	}
}
