package uat

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"time"
)

// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), the parts
// golive writes and reads. _golive carries what the session knew that HAR
// has no field for.
type harDoc struct {
	Log harLog `json:"log"`
}

type harLog struct {
	Version string     `json:"version"`
	Creator harCreator `json:"creator"`
	Golive  *harPace   `json:"_golive,omitempty"`
	Entries []harEntry `json:"entries"`
}

// harPace is what a golive session told the partner about its pace, so that
// grading its recording.har again holds the client to the same rules.
type harPace struct {
	// MinPollInterval is the documented minimum pause between two status
	// queries of one payment, as a Go duration ("1s", "100ms").
	MinPollInterval string `json:"minPollInterval,omitempty"`
}

// pollInterval is the session's documented minimum poll interval, or 0
// when the recording does not say (one made elsewhere).
func (l *harLog) pollInterval() time.Duration {
	if l.Golive == nil {
		return 0
	}
	d, err := time.ParseDuration(l.Golive.MinPollInterval)
	if err != nil || d <= 0 {
		return 0
	}
	return d
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harEntry struct {
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         harTimings  `json:"timings"`
	Golive          *harGolive  `json:"_golive,omitempty"`
}

type harGolive struct {
	Seq        int64  `json:"seq"`
	Simulated  string `json:"simulated,omitempty"`
	ClientGone bool   `json:"clientGone,omitempty"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []harNV      `json:"cookies"`
	Headers     []harNV      `json:"headers"`
	QueryString []harNV      `json:"queryString"`
	PostData    *harPostData `json:"postData,omitempty"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int          `json:"bodySize"`
}

type harPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
}

type harResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Cookies     []harNV    `json:"cookies"`
	Headers     []harNV    `json:"headers"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int        `json:"bodySize"`
}

type harContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
}

type harTimings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// writeHAR turns the session's exchanges.jsonl into recording.har, one
// entry at a time, so memory stays flat however long the session was.
// Callbacks the session sent are not the client's traffic and stay out.
// The log carries the session's pace (_golive), which grading it again uses.
func writeHAR(jsonlPath, harPath, baseURL, version string, timing Timing) (err error) {
	in, err := os.Open(jsonlPath)
	if err != nil {
		return fmt.Errorf("HAR: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(harPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("HAR: %w", err)
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("HAR: %w", cerr)
		}
	}()
	w := bufio.NewWriterSize(out, 64<<10)
	creator, _ := json.Marshal(harCreator{Name: "golive", Version: version})
	pace, _ := json.Marshal(harPace{MinPollInterval: timing.MinPollInterval.String()})
	fmt.Fprintf(w, `{"log":{"version":"1.2","creator":%s,"_golive":%s,"entries":[`, creator, pace)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	first := true
	for sc.Scan() {
		var ex Exchange
		if json.Unmarshal(sc.Bytes(), &ex) != nil || ex.Direction != FromClient {
			continue
		}
		entry, err := json.Marshal(harEntryOf(&ex, baseURL))
		if err != nil {
			return fmt.Errorf("HAR: %w", err)
		}
		if !first {
			w.WriteByte(',')
		}
		first = false
		w.WriteByte('\n')
		w.Write(entry)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("HAR: read %s: %w", jsonlPath, err)
	}
	w.WriteString("\n]}}\n")
	if err := w.Flush(); err != nil {
		return fmt.Errorf("HAR: %w", err)
	}
	return nil
}

func harEntryOf(ex *Exchange, baseURL string) harEntry {
	u := strings.TrimSuffix(baseURL, "/") + ex.URL
	req := harRequest{Method: ex.Method, URL: u, HTTPVersion: "HTTP/1.1", Cookies: []harNV{},
		Headers: harHeaders(ex.RequestHeaders), QueryString: []harNV{}, HeadersSize: -1, BodySize: len(ex.RequestBody)}
	if ex.RequestBody != "" {
		req.PostData = &harPostData{MimeType: ex.RequestHeaders["Content-Type"], Text: ex.RequestBody}
	}
	resp := harResponse{Status: ex.Status, StatusText: http.StatusText(ex.Status), HTTPVersion: "HTTP/1.1",
		Cookies: []harNV{}, Headers: harHeaders(ex.ResponseHeaders), HeadersSize: -1, BodySize: len(ex.ResponseBody),
		Content: harContent{Size: len(ex.ResponseBody), MimeType: ex.ResponseHeaders["Content-Type"], Text: ex.ResponseBody}}
	return harEntry{
		StartedDateTime: ex.StartedAt.UTC().Format(time.RFC3339Nano),
		Time:            ex.DurationMs,
		Request:         req,
		Response:        resp,
		Timings:         harTimings{Wait: ex.DurationMs},
		Golive:          &harGolive{Seq: ex.Seq, Simulated: ex.Simulated, ClientGone: ex.ClientGone},
	}
}

func harHeaders(m map[string]string) []harNV {
	out := make([]harNV, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, harNV{Name: k, Value: m[k]})
	}
	return out
}

// readHAR decodes a HAR document, or says why it is not one.
func readHAR(r io.Reader) (*harDoc, error) {
	var doc struct {
		Log *struct {
			Version string            `json:"version"`
			Golive  *harPace          `json:"_golive"`
			Entries []json.RawMessage `json:"entries"`
		} `json:"log"`
	}
	data, err := io.ReadAll(io.LimitReader(r, 1<<30))
	if err != nil {
		return nil, fmt.Errorf("read HAR: %w", err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, &NotHARError{Reason: jsonProblem(err)}
	}
	if doc.Log == nil {
		return nil, &NotHARError{Reason: `no "log" object`}
	}
	if doc.Log.Entries == nil {
		return nil, &NotHARError{Reason: `"log" has no "entries" array`}
	}
	out := &harDoc{Log: harLog{Version: doc.Log.Version, Golive: doc.Log.Golive}}
	for i, raw := range doc.Log.Entries {
		var e harEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, &NotHARError{Reason: fmt.Sprintf("entry %d: %s", i, jsonProblem(err))}
		}
		if e.Request.Method == "" || e.Request.URL == "" {
			return nil, &NotHARError{Reason: fmt.Sprintf("entry %d has no request method or URL", i)}
		}
		out.Log.Entries = append(out.Log.Entries, e)
	}
	return out, nil
}

// jsonProblem says why a HAR document could not be decoded in HAR's terms:
// the field and the JSON type it wants, never Go's type names.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "the document"
		}
		return fmt.Sprintf("%s: want %s, not %s", field, jsonKind(te.Type), te.Value)
	}
	return "not JSON (" + oneLine(err.Error()) + ")"
}

// jsonKind names the JSON value a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "another JSON value"
}
