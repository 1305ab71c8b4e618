package derive

import (
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Where a read's path parameter gets its value in a create-then-read flow.
const (
	fromResponse   = iota // a field of the create's response body (captured)
	fromRequest           // a field golive sent in the create's body
	fromCreatePath        // the create's own path parameter of the same name
)

type source struct {
	kind int
	path string // gjson path (fromResponse), field name (fromRequest), parameter name (fromCreatePath)
}

// pairing is a create operation and the read that returns what it made.
type pairing struct {
	create, read *opCtx
	via          string            // how they were paired, for titles: an OpenAPI link, the same schema, the path
	sources      map[string]source // read path parameter -> its value
}

// Pairing evidence, strongest first.
const (
	scoreLink   = 3
	scoreSchema = 2
	scorePath   = 1
)

// pairs finds, for every read (GET with path parameters), the create (POST)
// whose result it reads: an OpenAPI link where the document declares one,
// else a create answering with the same schema as the read, or posting to
// the read's parent path, whose request or response carries a field for
// each of the read's path parameters.
func pairs(ops []*opCtx) []pairing {
	var out []pairing
	for _, read := range ops {
		if read.op.Method != http.MethodGet || !hasPathParams(read) || read.base == nil {
			continue
		}
		var best *pairing
		bestScore := 0
		for _, create := range ops {
			// A POST on a path with parameters acts on something that must
			// already exist (an update, a capture): golive cannot know its id,
			// so only POSTs to a collection count as creates.
			if create.op.Method != http.MethodPost || create.base == nil || hasPathParams(create) {
				continue
			}
			score, via := 0, ""
			src, ok := linkSources(create, read)
			switch {
			case ok:
				score, via = scoreLink, "the OpenAPI link"
			case sameResult(create, read):
				score, via = scoreSchema, "the same response schema"
			case parentPath(create, read):
				score, via = scorePath, "the parent path"
			}
			if score == 0 || score <= bestScore {
				continue
			}
			if !ok {
				if src, ok = guessSources(create, read); !ok {
					continue
				}
			}
			best, bestScore = &pairing{create: create, read: read, via: via, sources: src}, score
		}
		if best != nil {
			out = append(out, *best)
		}
	}
	return out
}

// linkSources reads the create's links to the read ("$response.body#/id",
// "$request.body#/orderReference", "$request.path.customer").
func linkSources(create, read *opCtx) (map[string]source, bool) {
	if create.op.Op.Responses == nil {
		return nil, false
	}
	keys := create.op.Op.Responses.Keys()
	sort.Strings(keys)
	for _, k := range keys {
		r := create.op.Op.Responses.Value(k)
		if !strings.HasPrefix(k, "2") || r == nil || r.Value == nil {
			continue
		}
		for _, name := range sortedKeys(r.Value.Links) {
			l := r.Value.Links[name]
			if l == nil || l.Value == nil || l.Value.OperationID == "" || l.Value.OperationID != read.op.Op.OperationID {
				continue
			}
			if src, ok := linkParams(l.Value, create, read); ok {
				return src, true
			}
		}
	}
	return nil, false
}

func linkParams(l *openapi3.Link, create, read *opCtx) (map[string]source, bool) {
	src := map[string]source{}
	for key, raw := range l.Parameters {
		expr, ok := raw.(string)
		if !ok {
			continue
		}
		name := key
		if i := strings.Index(key, "."); i >= 0 {
			name = key[i+1:] // "path.orderReference"
		}
		switch {
		case strings.HasPrefix(expr, "$response.body#/"):
			src[name] = source{fromResponse, pointerToGJSON(strings.TrimPrefix(expr, "$response.body#/"))}
		case strings.HasPrefix(expr, "$request.body#/") && !strings.Contains(strings.TrimPrefix(expr, "$request.body#/"), "/"):
			src[name] = source{fromRequest, unescapePointer(strings.TrimPrefix(expr, "$request.body#/"))}
		case strings.HasPrefix(expr, "$request.path."):
			src[name] = source{fromCreatePath, strings.TrimPrefix(expr, "$request.path.")}
		}
	}
	return src, coversPath(src, create, read)
}

// coversPath fills path parameters the create shares by name and reports
// whether every path parameter of the read has a source.
func coversPath(src map[string]source, create, read *opCtx) bool {
	for _, prm := range read.params {
		if prm.In != inPath {
			continue
		}
		if _, ok := src[prm.Name]; ok {
			continue
		}
		if _, ok := create.base.param(inPath, prm.Name); ok {
			src[prm.Name] = source{fromCreatePath, prm.Name}
			continue
		}
		return false
	}
	return true
}

// guessSources matches each path parameter of the read by name to the
// create's path, then its response, then its request body
// (orderReference <- orderReference; petId <- id), and the read's last
// parameter to the id the create answered with (customer <- id).
func guessSources(create, read *opCtx) (map[string]source, bool) {
	src := map[string]source{}
	resp := viewObject(successSchema(create.op))
	body, _ := create.base.body.(*obj)
	for _, prm := range read.params {
		if prm.In != inPath {
			continue
		}
		if _, ok := create.base.param(inPath, prm.Name); ok {
			src[prm.Name] = source{fromCreatePath, prm.Name}
			continue
		}
		if path, ok := responseField(resp, prm.Name); ok {
			src[prm.Name] = source{fromResponse, path}
			continue
		}
		if body != nil {
			if n, ok := matchName(prm.Name, body.keys()); ok {
				src[prm.Name] = source{fromRequest, n}
				continue
			}
		}
		// The read's last parameter names the resource (GET /customers/{customer}):
		// the id the create answered with.
		if strings.HasSuffix(read.op.Path, "{"+prm.Name+"}") {
			if path, ok := responseField(resp, "id"); ok {
				src[prm.Name] = source{fromResponse, path}
				continue
			}
		}
		return nil, false
	}
	return src, true
}

// responseField finds the gjson path of the create response's field a read
// parameter names: a required top-level scalar first, then an optional one
// (PayPal's order id), then a scalar of a required top-level object (Open
// Banking's Data.ConsentId).
func responseField(resp *objectView, param string) (string, bool) {
	var required, optional []string
	for n, ps := range resp.props {
		if !isScalar(ps) {
			continue
		}
		if resp.required[n] {
			required = append(required, n)
		} else {
			optional = append(optional, n)
		}
	}
	for _, names := range [][]string{required, optional} {
		if n, ok := matchName(param, names); ok {
			return escapeGJSON(n), true
		}
	}
	outer := make([]string, 0, len(resp.props))
	for n := range resp.props {
		outer = append(outer, n)
	}
	sort.Strings(outer)
	for _, n := range outer {
		if !resp.required[n] || typeOf(resp.props[n]) != tObject {
			continue
		}
		inner := viewObject(resp.props[n])
		var names []string
		for in, ps := range inner.props {
			if inner.required[in] && isScalar(ps) {
				names = append(names, in)
			}
		}
		if in, ok := matchName(param, names); ok {
			return escapeGJSON(n) + "." + escapeGJSON(in), true
		}
	}
	return "", false
}

// matchName finds the field a path parameter names: the same name (any
// case), else "id" for a parameter such as petId or pet_id.
func matchName(param string, fields []string) (string, bool) {
	sort.Strings(fields)
	for _, f := range fields {
		if strings.EqualFold(f, param) {
			return f, true
		}
	}
	lp := strings.ToLower(param)
	if strings.HasSuffix(lp, "id") && len(lp) > 2 {
		for _, f := range fields {
			if strings.EqualFold(f, "id") {
				return f, true
			}
		}
	}
	return "", false
}

// sameResult: the create answers with the very schema the read returns.
func sameResult(create, read *opCtx) bool {
	c, r := successSchema(create.op), successSchema(read.op)
	return c != nil && c == r
}

// parentPath: POST /pets and GET /pets/{petId}.
func parentPath(create, read *opCtx) bool {
	i := strings.LastIndex(read.op.Path, "/")
	return i > 0 && strings.HasPrefix(read.op.Path[i+1:], "{") && read.op.Path[:i] == create.op.Path
}

// pointerToGJSON turns a JSON pointer ("data/0/id") into a gjson path ("data.0.id").
func pointerToGJSON(ptr string) string {
	parts := strings.Split(ptr, "/")
	for i, p := range parts {
		parts[i] = escapeGJSON(unescapePointer(p))
	}
	return strings.Join(parts, ".")
}

func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// escapeGJSON escapes a member name for a gjson path.
func escapeGJSON(name string) string {
	var b strings.Builder
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
