package derive

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// opCtx is one operation as the rules see it: what to generate, what the
// runner fills in itself, and a valid request to derive variants from.
type opCtx struct {
	api     *specs.API
	op      *specs.Operation
	safe    bool // GET, HEAD, OPTIONS: changes nothing
	secured bool
	params  []*openapi3.Parameter // the parameters golive generates, in order path, query, header
	skipped map[string]bool       // "in:name" of parameters left to the runner (credentials, Accept, Content-Type)
	body    *bodySpec             // nil when the operation takes no body
	// base is a valid request, or nil with baseErr saying why none could be made.
	base    *reqModel
	baseErr string
	facts   *schemaFacts // shared by the plan's operations
	// credentials: a parameter looks like a credential (api-key, client-secret)
	// and golive has no value for it, so a valid request may still get 401.
	credentials bool
}

// bodySpec is the request body the generator writes.
type bodySpec struct {
	mediaType string
	kind      bodyKind // noBody when the media type is one golive does not write
	schema    *openapi3.Schema
	required  bool
	media     *openapi3.MediaType
	encoding  map[string]*openapi3.Encoding
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func newOpCtx(api *specs.API, op *specs.Operation, facts *schemaFacts) *opCtx {
	oc := &opCtx{api: api, op: op, safe: safeMethod(op.Method), skipped: map[string]bool{}, facts: facts}
	oc.secured = secured(api, op)
	credentialParams := oc.securityParams()
	for _, p := range mergedParams(op) {
		key := p.In + ":" + strings.ToLower(p.Name)
		switch {
		case p.In == "cookie", credentialParams[key], ignoredHeader(p):
			oc.skipped[key] = true
		case p.In == inPath, p.In == inQuery, p.In == inHeader:
			oc.params = append(oc.params, p)
		default:
			oc.skipped[key] = true
		}
	}
	oc.body = requestBody(op)
	return oc
}

// skips reports whether the runner, not the generator, owns this parameter.
func (oc *opCtx) skips(in, name string) bool { return oc.skipped[in+":"+strings.ToLower(name)] }

// mergedParams are the path item's parameters overridden by the
// operation's, sorted path, query, header and by name, for stable ids.
func mergedParams(op *specs.Operation) []*openapi3.Parameter {
	byKey := map[string]*openapi3.Parameter{}
	var keys []string
	for _, list := range []openapi3.Parameters{op.PathItem.Parameters, op.Op.Parameters} {
		for _, ref := range list {
			if ref == nil || ref.Value == nil {
				continue
			}
			k := ref.Value.In + ":" + ref.Value.Name
			if _, seen := byKey[k]; !seen {
				keys = append(keys, k)
			}
			byKey[k] = ref.Value
		}
	}
	rank := map[string]int{inPath: 0, inQuery: 1, inHeader: 2}
	out := make([]*openapi3.Parameter, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rankOf(rank, out[i].In), rankOf(rank, out[j].In)
		if ri != rj {
			return ri < rj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func rankOf(rank map[string]int, in string) int {
	if r, ok := rank[in]; ok {
		return r
	}
	return len(rank)
}

// ignoredHeader: OpenAPI says header parameters named Accept, Content-Type
// and Authorization are ignored; the runner sets them. The headers the HTTP
// stack owns (Content-Length, Host, Transfer-Encoding, Connection, as
// Mojaloop declares Content-Length) are never generated either: a forged
// value never reaches the wire (Go's client writes its own), so a check
// "with a wrong Content-Length" would test nothing and its evidence would
// show a request that was not sent.
func ignoredHeader(p *openapi3.Parameter) bool {
	if p.In != inHeader {
		return false
	}
	switch strings.ToLower(p.Name) {
	case "accept", "content-type", "authorization",
		"content-length", "host", "transfer-encoding", "connection", "te", "trailer", "upgrade", "keep-alive":
		return true
	}
	return false
}

// securityParams are the "in:name" keys of API-key credentials the
// operation's security schemes name: the runner (or --header) sends them.
func (oc *opCtx) securityParams() map[string]bool {
	out := map[string]bool{}
	reqs := oc.api.Doc.Security
	if oc.op.Op.Security != nil {
		reqs = *oc.op.Op.Security
	}
	var schemes openapi3.SecuritySchemes
	if oc.api.Doc.Components != nil {
		schemes = oc.api.Doc.Components.SecuritySchemes
	}
	for _, req := range reqs {
		for name := range req {
			s := schemes[name]
			if s == nil || s.Value == nil {
				continue
			}
			if s.Value.Type == "apiKey" {
				out[s.Value.In+":"+strings.ToLower(s.Value.Name)] = true
			}
		}
	}
	return out
}

// secured reports whether the operation requires credentials (the runner's
// rule: an empty requirement makes them optional).
func secured(api *specs.API, op *specs.Operation) bool {
	if op.Op.Security != nil {
		for _, req := range *op.Op.Security {
			if len(req) == 0 {
				return false
			}
		}
		return len(*op.Op.Security) > 0
	}
	for _, req := range api.Doc.Security {
		if len(req) == 0 {
			return false
		}
	}
	return len(api.Doc.Security) > 0
}

// requestBody picks the media type golive writes: JSON first, then
// form-encoded. Others (multipart, XML, binary) are reported as not generated.
func requestBody(op *specs.Operation) *bodySpec {
	if op.Op.RequestBody == nil || op.Op.RequestBody.Value == nil {
		return nil
	}
	rb := op.Op.RequestBody.Value
	if len(rb.Content) == 0 {
		return nil
	}
	types := make([]string, 0, len(rb.Content))
	for mt := range rb.Content {
		types = append(types, mt)
	}
	sort.Strings(types)
	best, kind := "", noBody
	for _, mt := range types {
		k := kindOf(mt)
		if k == jsonBody && (kind != jsonBody || mt == "application/json") {
			best, kind = mt, k
		}
		if k == formBody && kind == noBody {
			best, kind = mt, k
		}
	}
	if best == "" {
		best = types[0]
	}
	media := rb.Content[best]
	b := &bodySpec{mediaType: best, kind: kind, required: rb.Required, media: media}
	if media != nil {
		if media.Schema != nil {
			b.schema = media.Schema.Value
		}
		b.encoding = media.Encoding
	}
	if b.schema == nil {
		b.schema = &openapi3.Schema{}
	}
	return b
}

func kindOf(mediaType string) bodyKind {
	mt := strings.ToLower(strings.TrimSpace(strings.Split(mediaType, ";")[0]))
	switch {
	case mt == "application/json", strings.HasSuffix(mt, "+json"), mt == "*/*", mt == "application/*":
		return jsonBody
	case mt == "application/x-www-form-urlencoded":
		return formBody
	}
	return noBody
}

// documents reports whether the operation documents the status (exactly,
// by its class "4XX", or through "default").
func documents(op *specs.Operation, status int) bool {
	if op.Op.Responses == nil {
		return false
	}
	for key := range op.Op.Responses.Map() {
		k := strings.ToUpper(key)
		switch {
		case k == "DEFAULT", k == strconv.Itoa(status), len(k) == 3 && k[1:] == "XX" && int(k[0]-'0') == status/100:
			return true
		}
	}
	return false
}

// documentsClass reports whether any status of the class is documented
// (default included).
func documentsClass(op *specs.Operation, class int) bool {
	if op.Op.Responses == nil {
		return false
	}
	for key := range op.Op.Responses.Map() {
		k := strings.ToUpper(key)
		if k == "DEFAULT" || len(k) == 3 && int(k[0]-'0') == class {
			return true
		}
	}
	return false
}

// successStatus is what a valid request must get: a documented 2xx, or,
// when the operation documents none, any documented status below 500.
func successStatus(op *specs.Operation) *suites.StatusSpec {
	st := &suites.StatusSpec{}
	if op.Op.Responses == nil {
		st.Classes = []int{2}
		return st
	}
	var codes []int
	ranges := map[int]bool{}
	hasDefault := false
	for key := range op.Op.Responses.Map() {
		k := strings.ToUpper(key)
		switch {
		case k == "DEFAULT":
			hasDefault = true
		case len(k) == 3 && k[1:] == "XX":
			ranges[int(k[0]-'0')] = true
		default:
			if c, err := strconv.Atoi(k); err == nil {
				codes = append(codes, c)
			}
		}
	}
	sort.Ints(codes)
	for _, c := range codes {
		if c/100 == 2 {
			st.Codes = append(st.Codes, c)
		}
	}
	if ranges[2] || hasDefault && len(st.Codes) == 0 {
		st.Classes = append(st.Classes, 2)
	}
	if len(st.Codes) > 0 || len(st.Classes) > 0 {
		return st
	}
	// No 2xx documented (a redirect-only or error-only operation).
	for _, c := range codes {
		if c < 500 {
			st.Codes = append(st.Codes, c)
		}
	}
	for cls := 1; cls <= 4; cls++ {
		if ranges[cls] {
			st.Classes = append(st.Classes, cls)
		}
	}
	if len(st.Codes) == 0 && len(st.Classes) == 0 {
		st.Classes = []int{2}
	}
	return st
}

// successSchema is the JSON schema of the operation's first documented 2xx
// response, or nil.
func successSchema(op *specs.Operation) *openapi3.Schema {
	if op.Op.Responses == nil {
		return nil
	}
	keys := op.Op.Responses.Keys()
	sort.Strings(keys)
	for _, k := range keys {
		if !strings.HasPrefix(k, "2") {
			continue
		}
		r := op.Op.Responses.Value(k)
		if r == nil || r.Value == nil {
			continue
		}
		for _, mt := range sortedKeys(r.Value.Content) {
			if kindOf(mt) == jsonBody && r.Value.Content[mt].Schema != nil {
				return r.Value.Content[mt].Schema.Value
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// label is how reports name the operation: "initiateUssdPush (POST /v1/collections/ussd-push)".
func (oc *opCtx) label() string {
	return oc.op.ID + " (" + oc.op.Method + " " + oc.op.Path + ")"
}
