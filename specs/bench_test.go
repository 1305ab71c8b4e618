package specs_test

// Benchmarks of spec loading (issue 7):
//
//	go test -run='^$' -bench=. -benchmem ./specs
//
// BenchmarkLoadCorpus loads every document of the shared corpus
// (../../shared/corpus, or $GOLIVE_CORPUS) with golive's loader and, as the
// floor, with kin-openapi's bare loader; it is skipped when the corpus is
// absent.

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/golive-cert/golive/specs"
)

// BenchmarkLoadBuiltin loads each built-in API with a fresh loader (no
// cache), as a run does once per process.
func BenchmarkLoadBuiltin(b *testing.B) {
	for _, name := range specs.Builtin() {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := specs.NewLoader().Load(context.Background(), name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// corpusDir is the shared corpus of real-world OpenAPI documents.
func corpusDir() string {
	if d := os.Getenv("GOLIVE_CORPUS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "corpus")
}

// corpusDocs lists the corpus's documents: every .yaml/.json file at the
// top, and the root document (openapi.yaml) of each multi-file folder.
func corpusDocs(b *testing.B) []string {
	b.Helper()
	dir := corpusDir()
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Skipf("no corpus at %s: %v", dir, err)
	}
	var docs []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case e.IsDir():
			for _, root := range []string{"openapi.yaml", "openapi.json"} {
				if _, err := os.Stat(filepath.Join(p, root)); err == nil {
					docs = append(docs, filepath.Join(p, root))
				}
			}
		case strings.HasSuffix(e.Name(), ".yaml"), strings.HasSuffix(e.Name(), ".yml"), strings.HasSuffix(e.Name(), ".json"):
			docs = append(docs, p)
		}
	}
	sort.Strings(docs)
	if len(docs) == 0 {
		b.Skipf("no documents in %s", dir)
	}
	return docs
}

func docName(path string) string {
	if base := filepath.Base(path); base == "openapi.yaml" || base == "openapi.json" {
		return filepath.Base(filepath.Dir(path))
	}
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

// BenchmarkLoadCorpus: golive/DOC is specs.Loader.Load (version check,
// kin-openapi load with local $refs, operation index); kin/DOC is
// openapi3.NewLoader().LoadFromFile with external refs allowed, the floor.
// A document golive refuses is reported and skipped (kin is still timed).
func BenchmarkLoadCorpus(b *testing.B) {
	for _, path := range corpusDocs(b) {
		name := docName(path)
		b.Run("golive/"+name, func(b *testing.B) {
			if _, err := specs.NewLoader().Load(context.Background(), path); err != nil {
				b.Skipf("golive does not load it: %v", err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := specs.NewLoader().Load(context.Background(), path); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("kin/"+name, func(b *testing.B) {
			load := func() error {
				l := openapi3.NewLoader()
				l.IsExternalRefsAllowed = true
				_, err := l.LoadFromFile(path)
				return err
			}
			if err := load(); err != nil {
				b.Skipf("kin-openapi does not load it: %v", err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := load(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
