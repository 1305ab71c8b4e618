package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/golive-cert/golive/server/store"
)

// The JSON API's shapes (server/openapi.yaml describes them). They are
// built from store records field by field, so a secret the store holds can
// never reach an answer by being added to a record.

type PartnerJSON struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Status       string            `json:"status"`
	Contacts     []store.Contact   `json:"contacts"`
	APIs         []APIStatusJSON   `json:"apis"`
	Environments []EnvironmentJSON `json:"environments,omitempty"`
	CreatedAt    time.Time         `json:"createdAt"`
}

type APIStatusJSON struct {
	API          string `json:"api"`
	Stage        string `json:"stage"`
	Label        string `json:"label"`
	LatestRunID  int64  `json:"latestRunId,omitempty"`
	LatestState  string `json:"latestState,omitempty"`
	LatestDoneID int64  `json:"latestDoneRunId,omitempty"`
	Verdict      string `json:"verdict,omitempty"`
}

type EnvironmentJSON struct {
	Name           string    `json:"name"`
	BaseURL        string    `json:"baseUrl"`
	HasCredentials bool      `json:"hasCredentials"`
	HasCA          bool      `json:"hasCa"`
	ServerName     string    `json:"serverName,omitempty"`
	InsecureTLS    bool      `json:"insecureSkipVerify,omitempty"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

type RunJSON struct {
	ID          int64      `json:"id"`
	PartnerID   string     `json:"partnerId"`
	APIs        []string   `json:"apis"`
	Environment string     `json:"environment"`
	Source      string     `json:"source"`
	State       string     `json:"state"`
	AllowWrites bool       `json:"allowWrites"`
	Verdict     string     `json:"verdict,omitempty"`
	ExitCode    int        `json:"exitCode"`
	Total       int        `json:"total"`
	Passed      int        `json:"passed"`
	Failed      int        `json:"failed"`
	Errored     int        `json:"errored"`
	Skipped     int        `json:"skipped"`
	Failure     string     `json:"failure,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	StartedAt   *time.Time `json:"startedAt,omitempty"`
	FinishedAt  *time.Time `json:"finishedAt,omitempty"`
}

type ArtifactJSON struct {
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	Pruned      bool   `json:"pruned"`
}

type SignOffJSON struct {
	ID             string    `json:"id"`
	RunID          int64     `json:"runId"`
	PartnerID      string    `json:"partnerId"`
	By             string    `json:"by"`
	Decision       string    `json:"decision"`
	Note           string    `json:"note"`
	EvidenceSHA256 string    `json:"evidenceSha256"`
	DecidedAt      time.Time `json:"decidedAt"`
}

type ScheduleJSON struct {
	ID          string     `json:"id"`
	PartnerID   string     `json:"partnerId"`
	Cron        string     `json:"cron"`
	API         string     `json:"api"`
	Environment string     `json:"environment"`
	AllowWrites bool       `json:"allowWrites"`
	Enabled     bool       `json:"enabled"`
	LastRunID   int64      `json:"lastRunId,omitempty"`
	NextRunAt   *time.Time `json:"nextRunAt,omitempty"`
}

type UserJSON struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	PartnerID string    `json:"partnerId,omitempty"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"createdAt"`
}

type AuditJSON struct {
	ID        int64             `json:"id"`
	At        time.Time         `json:"at"`
	Actor     string            `json:"actor"`
	Role      string            `json:"role"`
	PartnerID string            `json:"partnerId,omitempty"`
	Action    string            `json:"action"`
	Subject   string            `json:"subject"`
	Params    map[string]string `json:"params"`
	Outcome   string            `json:"outcome"`
}

type ProgressJSON struct {
	API         string             `json:"api"`
	LatestRunID int64              `json:"latestRunId,omitempty"`
	Passed      int                `json:"passed"`
	FailingNow  int                `json:"failingNow"`
	Total       int                `json:"total"`
	NotRun      int                `json:"notRun"` // checklist items no run reached yet
	Items       []ItemProgressJSON `json:"items"`
}

type ItemProgressJSON struct {
	ID         string `json:"id"`
	EverPassed bool   `json:"everPassed"`
	Latest     string `json:"latest,omitempty"`
	Severity   string `json:"severity,omitempty"`
	NotRun     bool   `json:"notRun,omitempty"` // no run or session reached it yet
}

func runJSON(r store.Run) RunJSON {
	out := RunJSON{ID: r.ID, PartnerID: r.PartnerID, APIs: r.APIs, Environment: r.Environment, Source: string(r.Source),
		State: string(r.State), AllowWrites: r.AllowWrites, Verdict: string(r.Verdict), ExitCode: r.ExitCode,
		Total: r.Counts.Total, Passed: r.Counts.Passed, Failed: r.Counts.Failed, Errored: r.Counts.Errored,
		Skipped: r.Counts.Skipped, Failure: r.Failure, CreatedAt: r.CreatedAt}
	if out.APIs == nil {
		out.APIs = []string{}
	}
	if !r.StartedAt.IsZero() {
		t := r.StartedAt
		out.StartedAt = &t
	}
	if !r.FinishedAt.IsZero() {
		t := r.FinishedAt
		out.FinishedAt = &t
	}
	return out
}

func envJSON(e store.Environment) EnvironmentJSON {
	return EnvironmentJSON{Name: e.Name, BaseURL: shownURL(e.BaseURL), HasCredentials: e.HasCredentials,
		HasCA: e.TLS.CAPEM != "", ServerName: e.TLS.ServerName, InsecureTLS: e.TLS.InsecureSkipVerify,
		UpdatedAt: e.UpdatedAt}
}

// shownURL is a stored URL as pages, answers and the bot show it: without
// a user name or password (refused since, but an environment stored
// before may hold one).
func shownURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

func signOffJSON(so store.SignOff) SignOffJSON {
	return SignOffJSON{ID: so.ID, RunID: so.RunID, PartnerID: so.PartnerID, By: so.UserEmail,
		Decision: string(so.Decision), Note: so.Note, EvidenceSHA256: so.EvidenceSHA256, DecidedAt: so.DecidedAt}
}

func userJSON(u store.User) UserJSON {
	return UserJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), PartnerID: u.PartnerID,
		Disabled: u.Disabled, CreatedAt: u.CreatedAt}
}

// decodeJSON reads a JSON body into v; unknown fields are errors, so a
// typo is not silently ignored.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &InputError{Status: http.StatusUnsupportedMediaType, Msg: "send the body as application/json"}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return &InputError{Status: http.StatusRequestEntityTooLarge, Msg: "the body is too large"}
		case errors.Is(err, io.EOF):
			return badRequest("the body is empty: send a JSON object")
		case errors.As(err, &syn):
			return badRequest("the body is not valid JSON (at byte %d)", syn.Offset)
		case errors.As(err, &typ):
			if typ.Field == "" {
				return badRequest("the body: want a JSON object, got %s", jsonValueText(typ.Value))
			}
			return badRequest("%s: want %s, got %s", typ.Field, typeText(typ.Type), jsonValueText(typ.Value))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			// encoding/json has no typed error for unknown fields.
			return badRequest("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return badRequest("the body is not a JSON object of the expected shape")
	}
	if dec.More() {
		return badRequest("the body holds more than one JSON value")
	}
	return nil
}

// typeText says in words what JSON a Go type reads, for an answer to a
// body of the wrong shape ("a list of contacts", not "[]store.Contact").
func typeText(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list of " + pluralText(t.Elem())
	case reflect.Map:
		return "an object of " + pluralText(t.Elem())
	}
	if t == reflect.TypeFor[time.Time]() {
		return "a time (RFC 3339)"
	}
	return "an object"
}

// pluralText names the elements of a list.
func pluralText(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "strings"
	case reflect.Bool:
		return "true or false values"
	case reflect.Struct:
		if t.Name() != "" && t.PkgPath() != "" {
			return strings.ToLower(t.Name()[:1]) + t.Name()[1:] + "s"
		}
		return "objects"
	case reflect.Slice, reflect.Array, reflect.Map:
		return "lists or objects"
	}
	return "numbers"
}

// jsonValueText is encoding/json's name of the value it met, in words.
func jsonValueText(v string) string {
	switch {
	case v == "string":
		return "a string"
	case v == "bool":
		return "true or false"
	case v == "array":
		return "a list"
	case v == "object":
		return "an object"
	case v == "number":
		return "a number"
	case strings.HasPrefix(v, "number "):
		return "the number " + strings.TrimPrefix(v, "number ")
	}
	return v
}

// decodeNothing reads the body of an endpoint that takes none: empty, or
// a JSON object without fields ({}); a field is an unknown field, as
// anywhere else.
func decodeNothing(r *http.Request) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &InputError{Status: http.StatusRequestEntityTooLarge, Msg: "the body is too large"}
		}
		return badRequest("the body cannot be read")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	return decodeJSON(r, &struct{}{})
}

// runParam reads the {run} path parameter.
func runParam(r *http.Request, name string) (int64, error) {
	raw := r.PathValue(name)
	if raw == "" {
		raw = r.URL.Query().Get(name)
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, notFoundf("no such run: %q is not a run number", truncate(raw, 40))
	}
	return id, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func joinAPIs(apis []string) string { return strings.Join(apis, ", ") }

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
