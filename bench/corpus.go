package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// CorpusResult is the load time of one document by golive and by
// kin-openapi alone (the floor), each the median of the repetitions.
type CorpusResult struct {
	Name       string
	Bytes      int64
	OpenAPI    string
	Operations int
	Load       time.Duration // specs.Loader.Load
	Plan       time.Duration // a one-check-per-operation checklist checked and prepared (certify.Build)
	Kin        time.Duration // openapi3.NewLoader().LoadFromFile
	LoadAlloc  uint64        // bytes allocated by one golive load
	KinAlloc   uint64
	Err        string // golive's error, when it refuses the document
	KinErr     string
}

// MeasureCorpus loads every document in dir: each .yaml, .yml and .json
// file, and the openapi.yaml of each sub-folder (multi-file documents).
func MeasureCorpus(ctx context.Context, dir string, reps int) ([]CorpusResult, error) {
	docs, err := corpusDocs(dir)
	if err != nil {
		return nil, err
	}
	reps = max(1, reps)
	var out []CorpusResult
	for _, path := range docs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out = append(out, measureDoc(ctx, path, reps))
	}
	return out, nil
}

func corpusDocs(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var docs []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch ext := strings.ToLower(filepath.Ext(e.Name())); {
		case e.IsDir():
			for _, root := range []string{"openapi.yaml", "openapi.yml", "openapi.json"} {
				if _, err := os.Stat(filepath.Join(p, root)); err == nil {
					docs = append(docs, filepath.Join(p, root))
					break
				}
			}
		case ext == ".yaml" || ext == ".yml" || ext == ".json":
			docs = append(docs, p)
		}
	}
	sort.Strings(docs)
	return docs, nil
}

func docName(path string) string {
	base := filepath.Base(path)
	if strings.HasPrefix(base, "openapi.") {
		return filepath.Base(filepath.Dir(path)) + "/"
	}
	return base
}

func measureDoc(ctx context.Context, path string, reps int) CorpusResult {
	r := CorpusResult{Name: docName(path)}
	if fi, err := os.Stat(path); err == nil {
		r.Bytes = fi.Size()
		if strings.HasPrefix(filepath.Base(path), "openapi.") {
			r.Bytes = dirSize(filepath.Dir(path))
		}
	}
	var api *specs.API
	r.Load, r.LoadAlloc = medianOf(reps, func() error {
		var err error
		api, err = specs.NewLoader().Load(ctx, path)
		return err
	}, &r.Err)
	if api != nil {
		r.OpenAPI = api.Doc.OpenAPI
		r.Operations = len(api.Operations())
		r.Plan, _ = medianOf(reps, func() error {
			s := checkPerOperation(api, "bench:"+r.Name, func(*specs.Operation) *suites.Expect { return nil })
			_, err := build(ctx, "http://127.0.0.1:9", []certify.Job{{API: api, Suite: s}}, nil, certify.Options{})
			return err
		}, &r.Err)
	}
	r.Kin, r.KinAlloc = medianOf(reps, func() error {
		l := openapi3.NewLoader()
		l.IsExternalRefsAllowed = true
		l.Context = ctx
		_, err := l.LoadFromFile(path)
		return err
	}, &r.KinErr)
	return r
}

// medianOf times f reps times and returns the median duration and the bytes
// one call allocated; an error is kept in *errText and stops the timing.
func medianOf(reps int, f func() error, errText *string) (time.Duration, uint64) {
	var times []time.Duration
	var alloc uint64
	for i := 0; i < reps; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		err := f()
		d := time.Since(start)
		runtime.ReadMemStats(&after)
		if err != nil {
			*errText = strings.Join(strings.Fields(err.Error()), " ")
			return 0, 0
		}
		times = append(times, d)
		alloc = after.TotalAlloc - before.TotalAlloc
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times[len(times)/2], alloc
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// checkPerOperation is a checklist with one check per operation of api,
// built in code: every path parameter is given, and expect (nil: any 2xx)
// says what the response must satisfy.
func checkPerOperation(api *specs.API, source string, expect func(*specs.Operation) *suites.Expect) *suites.Suite {
	s := &suites.Suite{Source: source, Name: "generated", API: api.Name}
	for i, op := range api.Operations() {
		st := &suites.Step{Name: op.ID, Operation: op.ID}
		for _, p := range append(op.PathItem.Parameters, op.Op.Parameters...) {
			if p.Value != nil && p.Value.In == "path" && st.Request.Path.Get(p.Value.Name) == nil {
				v, _ := suites.NewString(fmt.Sprintf("x%d", i))
				st.Request.Path = append(st.Request.Path, suites.Field{Key: p.Value.Name, Value: v})
			}
		}
		if e := expect(op); e != nil {
			st.Expect = *e
		}
		s.Items = append(s.Items, &suites.Item{
			Line:     i + 1,
			ID:       fmt.Sprintf("OP-%04d", i+1),
			Title:    op.Method + " " + op.Path,
			Severity: results.Major,
			Check:    st,
		})
	}
	return s
}
