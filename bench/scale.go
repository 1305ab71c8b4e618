package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// ScaleResult is a generated API of many operations loaded, planned (one
// check per operation) and run against a generated server.
type ScaleResult struct {
	OpenAPI     string
	Operations  int
	SpecBytes   int
	Load        time.Duration
	Plan        time.Duration
	Run         time.Duration
	Passed      int
	Concurrency int
	RSSStart    uint64 // resident memory before loading
	RSSPeak     uint64 // highest resident memory while loading, planning and running
}

// GenerateSpec writes an OpenAPI document (JSON) of n operations: n/2
// resources, each with GET /rN/things/{id} and POST /rN/things, whose
// bodies have a few typed and constrained fields.
func GenerateSpec(n int, version string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"openapi":%q,"info":{"title":"Generated API of %d operations","version":"1.0.0"},"paths":{`, version, n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		r := i / 2
		if i%2 == 0 {
			fmt.Fprintf(&b, `"/r%d/things/{id}":{"get":{"operationId":"getThing%d",`+
				`"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string","maxLength":40}}],`+
				`"responses":{"200":{"$ref":"#/components/responses/Thing"},"404":{"$ref":"#/components/responses/Error"}}}}`, r, r)
		} else {
			fmt.Fprintf(&b, `"/r%d/things":{"post":{"operationId":"createThing%d",`+
				`"requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/NewThing"}}}},`+
				`"responses":{"201":{"$ref":"#/components/responses/Thing"},"400":{"$ref":"#/components/responses/Error"}}}}`, r, r)
		}
	}
	b.WriteString(`},"components":{"schemas":{` +
		`"NewThing":{"type":"object","required":["amount","currency"],"additionalProperties":false,"properties":{` +
		`"amount":{"type":"string","pattern":"^[0-9]+(\\.[0-9]{1,2})?$"},"currency":{"type":"string","enum":["TZS","KES","UGX"]},"note":{"type":"string","maxLength":140}}},` +
		`"Thing":{"type":"object","required":["id","status","amount"],"properties":{` +
		`"id":{"type":"string"},"status":{"type":"string","enum":["PENDING","DONE","FAILED"]},"amount":{"type":"string","pattern":"^[0-9]+(\\.[0-9]{1,2})?$"},` +
		`"created":{"type":"string","format":"date-time"},"tags":{"type":"array","items":{"type":"string"},"maxItems":10}}},` +
		`"Error":{"type":"object","required":["code","message"],"properties":{"code":{"type":"string"},"message":{"type":"string"}}}},` +
		`"responses":{"Thing":{"description":"a thing","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Thing"}}}},` +
		`"Error":{"description":"an error","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}}}}}`)
	return b.Bytes()
}

// scaleServer answers every generated operation as its spec says.
func scaleServer(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "r") || parts[1] != "things" {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"code":"NOT_FOUND","message":"no such operation"}`)
		return
	}
	if _, err := strconv.Atoi(parts[0][1:]); err != nil {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"code":"NOT_FOUND","message":"no such resource"}`)
		return
	}
	status, id := http.StatusOK, "t-"+parts[0]
	if r.Method == http.MethodPost {
		status = http.StatusCreated
	} else if len(parts) > 2 {
		id = parts[2]
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"id":%q,"status":"DONE","amount":"1500.00","created":"2026-01-02T03:04:05Z","tags":["a","b"]}`, id)
}

// scaleExpect is each generated check's expectation: the documented status,
// a schema-valid body, and DONE.
func scaleExpect(op *specs.Operation) *suites.Expect {
	done, _ := suites.NewString("DONE")
	code := 200
	if op.Method == http.MethodPost {
		code = 201
	}
	return &suites.Expect{
		Status: &suites.StatusSpec{Codes: []int{code}},
		Body:   suites.PathMatchers{{Path: "status", Matcher: &suites.Matcher{Equals: done}}},
	}
}

// MeasureScale generates an API of n operations, loads it, plans one check
// per operation and runs them against a generated server at the default
// concurrency, following the process's resident memory throughout.
func MeasureScale(ctx context.Context, n int, version string) (*ScaleResult, error) {
	doc := GenerateSpec(n, version)
	srv := httptest.NewServer(http.HandlerFunc(scaleServer))
	defer srv.Close()
	res := &ScaleResult{OpenAPI: version, Operations: n, SpecBytes: len(doc), Concurrency: max(4, 2*runtime.NumCPU())}

	probe := StartMemProbe()
	res.RSSStart = probe.Start
	start := time.Now()
	api, err := loadSpecBytes(ctx, fmt.Sprintf("generated-%d.json", n), doc)
	if err != nil {
		probe.Stop()
		return nil, err
	}
	res.Load = time.Since(start)

	start = time.Now()
	s := checkPerOperation(api, "bench:scale", scaleExpect)
	for _, it := range s.Items {
		if strings.HasPrefix(it.Check.Operation, "create") {
			body, _ := suites.NewString(`{"amount":"1500.00","currency":"TZS"}`)
			it.Check.Request.RawBody = body
			it.Check.Request.ContentType = "application/json"
		}
	}
	r, err := build(ctx, srv.URL, []certify.Job{{API: api, Suite: s}}, nil, certify.Options{})
	if err != nil {
		probe.Stop()
		return nil, err
	}
	res.Plan = time.Since(start)

	start = time.Now()
	out, err := r.Run(ctx, nil)
	res.Run = time.Since(start)
	if err != nil {
		probe.Stop()
		return nil, err
	}
	res.Passed = out.Summary.Passed
	res.RSSPeak = probe.Stop()
	runtime.KeepAlive(out)
	return res, nil
}
