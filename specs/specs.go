// Package specs holds the built-in BAU API documents and loads OpenAPI
// documents (3.0 and 3.1, built-in or from disk) into an indexed form the
// runner plans from.
package specs

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/golive-cert/golive/schemacache"
)

//go:embed *.yaml
var builtin embed.FS

// Builtin lists the names of the BAU APIs embedded in the binary.
func Builtin() []string {
	entries, _ := builtin.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// IsBuiltin reports whether name is a built-in API.
func IsBuiltin(name string) bool {
	_, err := builtin.ReadFile(name + ".yaml")
	return err == nil
}

// API is a loaded OpenAPI document with its operations indexed by operationId.
type API struct {
	Name   string // built-in name, or the file name without extension
	Source string // "builtin:NAME" or the file path
	SHA256 string // of the document's bytes (the root file for multi-file documents)
	Doc    *openapi3.T

	ops   map[string]*Operation
	order []string
	// schemas are the document's JSON Schemas compiled for 3.1 validation,
	// made on first use (Schemas).
	schemas *lazySchemas
}

type lazySchemas struct {
	once  sync.Once
	cache *schemacache.Cache
}

// Schemas is the document's compiled-schema cache (OpenAPI 3.1 bodies),
// shared by every run of this loaded API: compiling a schema is part of
// loading the document, done once, not once per run. An API not made by a
// Loader gets a cache of its own on every call.
func (a *API) Schemas() *schemacache.Cache {
	if a.schemas == nil {
		return schemacache.New(a.Doc)
	}
	a.schemas.once.Do(func() { a.schemas.cache = schemacache.New(a.Doc) })
	return a.schemas.cache
}

// Operation is one method on one path of a document.
type Operation struct {
	ID       string
	Method   string
	Path     string
	PathItem *openapi3.PathItem
	Op       *openapi3.Operation
}

// TargetExtension, in a document's info, says what the partner implements:
// "receiver" for an API the partner receives (a webhook receiver at its own
// URL) rather than serves at its base URL.
const TargetExtension = "x-golive-target"

// Receiver reports whether the document describes a receiver the partner
// hosts at its own URL (TargetExtension: receiver).
func (a *API) Receiver() bool {
	if a.Doc == nil || a.Doc.Info == nil {
		return false
	}
	v, _ := a.Doc.Info.Extensions[TargetExtension].(string)
	return v == "receiver"
}

// SafeExtension marks an operation that changes nothing a partner cares
// about although its method is not GET (a token request), so a
// production-safe run may call it.
const SafeExtension = "x-golive-safe"

// ChangesData reports whether calling the operation may change data: any
// method but GET, HEAD and OPTIONS, unless the document marks it safe.
func (o *Operation) ChangesData() bool {
	switch o.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	if o.Op != nil {
		if v, ok := o.Op.Extensions[SafeExtension].(bool); ok && v {
			return false
		}
	}
	return true
}

// Operation returns the operation with this operationId, or nil.
func (a *API) Operation(id string) *Operation { return a.ops[id] }

// Operations lists the operations in document order (paths sorted, then methods).
func (a *API) Operations() []*Operation {
	out := make([]*Operation, 0, len(a.order))
	for _, id := range a.order {
		out = append(out, a.ops[id])
	}
	return out
}

// OperationIDs lists the operationIds, sorted, for error messages.
func (a *API) OperationIDs() []string {
	ids := append([]string(nil), a.order...)
	sort.Strings(ids)
	return ids
}

// Loader loads documents and caches them by content hash, so a document named
// by several suites (or runs in one process) is parsed once.
type Loader struct {
	allowRemote bool

	mu    sync.Mutex
	cache map[string]*API
}

// LoaderOption configures a Loader.
type LoaderOption func(*Loader)

// AllowRemoteRefs lets documents pull $refs over http(s); off by default so a
// run never fetches from the network behind the user's back.
func AllowRemoteRefs(allow bool) LoaderOption { return func(l *Loader) { l.allowRemote = allow } }

// NewLoader returns a Loader with an empty cache.
func NewLoader(opts ...LoaderOption) *Loader {
	l := &Loader{cache: map[string]*API{}}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Load loads a built-in API by name, or a document from a file path.
func (l *Loader) Load(ctx context.Context, nameOrPath string) (*API, error) {
	if IsBuiltin(nameOrPath) {
		data, _ := builtin.ReadFile(nameOrPath + ".yaml")
		return l.load(ctx, nameOrPath, "builtin:"+nameOrPath, data, nil)
	}
	data, err := readFile(nameOrPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("load spec %s: no such file, and not a built-in API (built-in: %s)",
				nameOrPath, strings.Join(Builtin(), ", "))
		}
		return nil, fmt.Errorf("load spec %s: %w", nameOrPath, err)
	}
	abs, err := filepath.Abs(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("load spec %s: %w", nameOrPath, err)
	}
	name := strings.TrimSuffix(filepath.Base(nameOrPath), filepath.Ext(nameOrPath))
	return l.load(ctx, name, nameOrPath, data, &url.URL{Path: filepath.ToSlash(abs)})
}

func (l *Loader) load(ctx context.Context, name, source string, data []byte, location *url.URL) (*API, error) {
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	key := source + "\x00" + hash

	l.mu.Lock()
	defer l.mu.Unlock()
	if api, ok := l.cache[key]; ok {
		return api, nil
	}

	kl := openapi3.NewLoader()
	kl.Context = ctx
	kl.IsExternalRefsAllowed = location != nil
	kl.ReadFromURIFunc = l.readURI
	var (
		doc *openapi3.T
		err error
	)
	if location != nil {
		doc, err = kl.LoadFromDataWithPath(data, location)
	} else {
		doc, err = kl.LoadFromData(data)
	}
	// The version is read from what kin-openapi parsed; the document is parsed
	// a second time (checkVersion) only to explain a failure in one line.
	if err != nil || !supportedVersion(doc.OpenAPI) {
		// A parser's words for a binary file or a dangling $ref name
		// neither the position nor the reference: find them first.
		if terr := CheckText(source, data); terr != nil {
			return nil, fmt.Errorf("load spec %w", terr)
		}
		if err != nil {
			dir := ""
			if location != nil {
				dir = filepath.Dir(filepath.FromSlash(location.Path))
			}
			if rerr := findBadRef(source, data, dir); rerr != nil {
				return nil, fmt.Errorf("load spec %w", rerr)
			}
		}
		if verr := checkVersion(data); verr != nil {
			return nil, fmt.Errorf("load spec %s: %w", source, verr)
		}
		if err != nil {
			return nil, fmt.Errorf("load spec %s: %s", source, oneLine(err))
		}
	}
	if doc.Paths == nil || doc.Paths.Len() == 0 {
		if len(doc.Webhooks) == 0 {
			return nil, fmt.Errorf("load spec %s: the document has no paths", source)
		}
	}
	api := &API{Name: name, Source: source, SHA256: hash, Doc: doc, schemas: &lazySchemas{}}
	api.index()
	l.cache[key] = api
	return api, nil
}

// Validate checks the document against the OpenAPI specification. Real-world
// documents often break small rules (examples that do not match their schema),
// so the runner does not require it; `golive validate` reports it.
func (a *API) Validate(ctx context.Context) error {
	opts := []openapi3.ValidationOption{openapi3.DisableExamplesValidation(), openapi3.SetRegexCompiler(CompileRegex)}
	if strings.HasPrefix(a.Doc.OpenAPI, "3.2") {
		opts = append(opts, openapi3.AllowExtraSiblingFields(openAPI32Fields...))
	}
	// golive never calls the document's servers (the target is given), so
	// a lint of them (Mojaloop declares a server variable its URL does not
	// use) must not refuse a document that plans and runs fine.
	doc := *a.Doc
	doc.Servers = nil
	if err := doc.Validate(ctx, opts...); err != nil {
		var bad *openapi3.SchemaPatternRegexError
		if errors.As(err, &bad) {
			return &ValidationError{Source: a.Source, Line: a.lineOf("pattern", bad.Pattern), Err: err}
		}
		return &ValidationError{Source: a.Source, Err: err}
	}
	return nil
}

// openAPI32Fields are the fields OpenAPI 3.2 adds that kin-openapi does not
// model yet (tag kinds and parents, streaming media types, example values,
// the discriminator's default mapping, $self). golive does not use them, so
// a 3.2 document that has them validates, plans and runs like a 3.1 one.
var openAPI32Fields = []string{"kind", "parent", "summary", "$self", "itemSchema", "itemEncoding",
	"prefixEncoding", "dataValue", "serializedValue", "defaultMapping", "oauth2MetadataUrl"}

// ValidationError is a document that loads but breaks the OpenAPI
// specification. Line is where the offending value is written when it
// could be found (0 otherwise).
type ValidationError struct {
	Source string
	Line   int
	Err    error
}

func (e *ValidationError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Source, e.Line, oneLine(e.Err))
	}
	return fmt.Sprintf("spec %s: %s", e.Source, oneLine(e.Err))
}

func (e *ValidationError) Unwrap() error { return e.Err }

// maxRefFile bounds one referenced document: a $ref to /dev/zero or a
// runaway server must end in an error, not exhaust memory.
const maxRefFile = 64 << 20

func (l *Loader) readURI(_ *openapi3.Loader, location *url.URL) ([]byte, error) {
	if location.Scheme != "" && location.Scheme != "file" {
		if !l.allowRemote {
			return nil, fmt.Errorf("remote reference %s not fetched (pass --allow-remote-refs to allow it)", location.Redacted())
		}
		return readRemote(location)
	}
	path := filepath.FromSlash(location.Path)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("reference %s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCapped(f, path)
}

// readFile reads a document named on the command line: a regular file, at
// most maxRefFile bytes, so a device or a named pipe is refused at once.
func readFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCapped(f, path)
}

func readRemote(location *url.URL) ([]byte, error) {
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(location.String())
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", location.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: status %d", location.Redacted(), resp.StatusCode)
	}
	return readCapped(resp.Body, location.Redacted())
}

func readCapped(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRefFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxRefFile {
		return nil, fmt.Errorf("reference %s is over %d MiB", name, maxRefFile>>20)
	}
	return data, nil
}

func supportedVersion(v string) bool {
	return strings.HasPrefix(v, "3.0") || strings.HasPrefix(v, "3.1") || strings.HasPrefix(v, "3.2")
}

func (a *API) index() {
	a.ops = map[string]*Operation{}
	if a.Doc.Paths == nil {
		return
	}
	paths := a.Doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, p := range paths {
		item := a.Doc.Paths.Value(p)
		methods := make([]string, 0, len(item.Operations()))
		for m := range item.Operations() {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, m := range methods {
			op := item.GetOperation(m)
			id := op.OperationID
			if id == "" {
				// Operations without an id still get a stable one, so derived
				// checks can name them.
				id = strings.ToLower(m) + strings.NewReplacer("/", "_", "{", "", "}", "").Replace(p)
			}
			// Duplicate ids (an invalid document, but real) stay addressable.
			for base, n := id, 1; a.ops[id] != nil; n++ {
				id = fmt.Sprintf("%s_%s", base, strings.ToLower(m))
				if n > 1 {
					id = fmt.Sprintf("%s_%s%d", base, strings.ToLower(m), n)
				}
			}
			a.ops[id] = &Operation{ID: id, Method: m, Path: p, PathItem: item, Op: op}
			a.order = append(a.order, id)
		}
	}
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
