package specs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golive-cert/golive/specs"
)

// FuzzLoad writes arbitrary bytes to a file and loads it as a spec: loading
// never panics, and an error is one line naming the file. A document that
// loads has every operation indexed under a unique id.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"collections.yaml", "payouts.yaml", "../runner/testdata/mini.yaml"} {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"", "openapi: 3.0.3", "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n",
		"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n",
		"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a/{id}:\n    get:\n      operationId: x\n      responses: {'200': {description: ok}}\n    post:\n      operationId: x\n      responses: {'200': {description: ok}}\n",
		"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {$ref: '#/components/responses/Nope'}\n",
		"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    $ref: 'other.yaml#/x'\n",
		"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/B'}\n    B: {$ref: '#/components/schemas/A'}\n",
		"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {type: object, properties: {a: {$ref: '#/components/schemas/A'}}}\n",
		"swagger: '2.0'", "openapi: 4.0.0", `{"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {"/x": {}}}`,
		"openapi: [3]", "openapi: 3.0.3\npaths: 7", "\xff\xfe", "a: &a [*a]", "openapi: 3.0.3\ninfo:\n  title: t\n  version: 1\nwebhooks: {}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			t.Skip()
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "fuzz.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		api, err := specs.NewLoader().Load(context.Background(), path)
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("error is not one line: %q\ninput: %q", msg, data)
			}
			if !strings.Contains(msg, path) {
				t.Fatalf("error does not name the file %s: %q\ninput: %q", path, msg, data)
			}
			return
		}
		seen := map[string]bool{}
		for _, op := range api.Operations() {
			if op == nil || op.ID == "" || seen[op.ID] {
				t.Fatalf("operation index broken: %+v\ninput: %q", op, data)
			}
			seen[op.ID] = true
			if api.Operation(op.ID) != op {
				t.Fatalf("Operation(%q) does not find the indexed operation\ninput: %q", op.ID, data)
			}
		}
		_ = api.Validate(context.Background())
	})
}
