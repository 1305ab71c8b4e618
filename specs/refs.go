package specs

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// RefError is a $ref that points nowhere: a missing file, or a JSON pointer
// to a part the document does not have.
type RefError struct {
	Source string
	Line   int
	Ref    string
	Why    string
}

func (e *RefError) Error() string {
	return fmt.Sprintf("%s:%d: $ref %q does not resolve: %s", e.Source, e.Line, e.Ref, e.Why)
}

// findBadRef explains a document that failed to load by the first $ref, in
// document order, that does not resolve: kin-openapi's own words for it
// ("map key \"components\" not found") name neither the reference nor its
// line. Local references (#/...) are resolved in data; a reference to
// another file (other.yaml#/...) is resolved in that file, relative to dir
// ("" for a document without a location: such references are skipped, as
// are remote ones). It returns nil when every $ref resolves.
func findBadRef(source string, data []byte, dir string) *RefError {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return nil
	}
	files := map[string]*yaml.Node{}
	var bad *RefError
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil || bad != nil {
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "$ref" && v.Kind == yaml.ScalarNode {
					if why := resolveRef(&root, v.Value, dir, files); why != "" {
						bad = &RefError{Source: source, Line: v.Line, Ref: v.Value, Why: why}
						return
					}
					continue
				}
				walk(v)
			}
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	return bad
}

// resolveRef says why ref does not resolve, or "" when it does (or cannot
// be checked here: a remote reference).
func resolveRef(root *yaml.Node, ref, dir string, files map[string]*yaml.Node) string {
	file, fragment, _ := strings.Cut(ref, "#")
	doc := root
	if file != "" {
		if strings.Contains(file, "://") || dir == "" {
			return ""
		}
		path := filepath.Join(dir, filepath.FromSlash(file))
		if filepath.IsAbs(filepath.FromSlash(file)) {
			path = filepath.FromSlash(file)
		}
		if doc = files[path]; doc == nil {
			data, err := os.ReadFile(path)
			if err != nil {
				if os.IsNotExist(err) {
					return fmt.Sprintf("no file %s", file)
				}
				return err.Error()
			}
			doc = &yaml.Node{}
			if err := yaml.Unmarshal(data, doc); err != nil {
				return fmt.Sprintf("%s is not YAML or JSON", file)
			}
			files[path] = doc
		}
	}
	if fragment == "" {
		return ""
	}
	if unescaped, err := url.PathUnescape(fragment); err == nil {
		fragment = unescaped
	}
	if !strings.HasPrefix(fragment, "/") {
		return fmt.Sprintf("%q is not a JSON pointer (#/components/schemas/NAME)", "#"+fragment)
	}
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	at := ""
	for _, token := range strings.Split(fragment[1:], "/") {
		token = strings.NewReplacer("~1", "/", "~0", "~").Replace(token)
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		next := child(n, token)
		if next == nil {
			doc := "the document"
			if file != "" {
				doc = file
			}
			if at == "" {
				return fmt.Sprintf("%s has no %q", doc, token)
			}
			if file != "" {
				return fmt.Sprintf("no %q under %s in %s", token, at, file)
			}
			return fmt.Sprintf("no %q under %s", token, at)
		}
		n, at = next, at+"/"+token
	}
	return ""
}

// child is the member of a mapping, or the element of a sequence, that
// token names; nil when there is none.
func child(n *yaml.Node, token string) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == token {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(token); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}
