package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/tidwall/gjson"

	"github.com/golive-cert/golive/callbacks"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

const defaultCallbackDeadline = 30 * time.Second

// callbackHub starts golive's callback receiver the first time a flow asks
// for a callback URL, and stops it when the run ends.
type callbackHub struct {
	listen, public string

	once     sync.Once
	receiver *callbacks.Receiver
	err      error
}

func (h *callbackHub) open() (*callbacks.Slot, error) {
	h.once.Do(func() {
		h.receiver = callbacks.NewReceiver(h.public)
		_, h.err = h.receiver.Start(h.listen)
	})
	if h.err != nil {
		return nil, h.err
	}
	return h.receiver.Open()
}

func (h *callbackHub) close() {
	if h.receiver == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = h.receiver.Close(ctx)
}

// waitCallback waits for the callback to this item's URL, then checks its
// signature and, with the step's expect, its agreement with what the flow
// initiated and what check-status said.
func (r *Runner) waitCallback(ctx context.Context, ir *itemRun, st *suites.Step) *failure {
	slot := ir.scope.slot
	// Failures point at the request that handed out the callback URL: its
	// curl line is how a partner triggers the callback again.
	var origin *exchange
	if len(ir.exchanges) > 0 {
		origin = ir.exchanges[0]
	}
	if slot == nil {
		return &failure{status: "error", category: "integration", reason: "the suite waits for a callback it never asked for",
			message: fmt.Sprintf("step %s: no earlier step sent {{ gen.callbackUrl }}", stepLabel(st))}
	}
	deadline := st.Callback.Deadline.Or(defaultCallbackDeadline)
	wctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	d, f := r.firstGenuine(wctx, ir, st, slot)
	if f != nil {
		if f.ex == nil {
			f.ex = origin
		}
		if f.message == "" {
			f = integrationFailure(origin,
				fmt.Sprintf("step %s: no callback arrived at %s within %s", stepLabel(st), slot.URL, deadline),
				"a callback POST to the callbackUrl sent with the request", "nothing arrived")
			f.reason = "the partner never called back: its callback half of the flow is missing or cannot reach golive"
			if ctx.Err() != nil {
				f.reason = "the wait was cut short by the item timeout or an interrupt"
			}
		}
		return f
	}
	if problem := callbackSchemaProblem(ir.job.api, ir.job.schemas, ir.scope.slotOp, d.Body); problem != "" {
		f := integrationFailure(origin, fmt.Sprintf("step %s: the callback does not match the spec: %s", stepLabel(st), problem),
			"a callback as the spec declares it for "+ir.scope.slotOp, problem)
		f.reason = "the callback's payload is not what the spec declares, so merchants cannot rely on it"
		return f
	}
	if f := checkMessage(ir, st, origin, d.Header, d.Body, false, "callback"); f != nil {
		f.reason = "the callback disagrees with what was initiated or with the check-status answer"
		return f
	}
	return captureFrom(ir, st, origin, d.Body)
}

// firstGenuine waits for the first callback that proves where it came
// from. A callback that fails its signature is a finding, noted on the
// item, and the wait goes on: the sender may retry correctly, and what a
// receiver must do with a forged callback is ignore it. When the wait ends
// with only rejected callbacks, the first rejection is the failure; with
// none at all, an empty failure that the caller words. Without a signature
// block any callback is taken, and the item says it was not authenticated.
func (r *Runner) firstGenuine(ctx context.Context, ir *itemRun, st *suites.Step, slot *callbacks.Slot) (callbacks.Delivery, *failure) {
	var rejected *failure
	for i := 0; ; i++ {
		d, ok := slot.WaitFor(ctx, i)
		if !ok {
			if rejected != nil {
				return callbacks.Delivery{}, rejected
			}
			return callbacks.Delivery{}, &failure{}
		}
		if d.Truncated {
			return d, integrationFailure(nil, fmt.Sprintf("step %s: the callback body is over %d bytes", stepLabel(st), callbacks.MaxBody),
				"a callback body under 64 KiB", "a larger body")
		}
		sg := st.Callback.Signature
		if sg == nil {
			if !checksCallbackSignatures(ir.job.suite) {
				ir.result.Notes = append(ir.result.Notes, "callbacks were not authenticated: the checklist checks no signature on them, "+
					"so a forged callback would have been taken as genuine")
			}
			return d, nil
		}
		f := r.verifyCallback(ir, st, sg, d)
		if f == nil {
			return d, nil
		}
		if f.status == results.Error {
			return d, f // the key itself is broken: waiting longer cannot help
		}
		ir.result.Notes = append(ir.result.Notes, fmt.Sprintf("callback %d refused: %s", i+1, strings.TrimPrefix(f.message, "step "+stepLabel(st)+": ")))
		if rejected == nil {
			rejected = f
		}
	}
}

// checksCallbackSignatures reports whether any item of the suite verifies
// a callback's signature: then an item that looks at other aspects of the
// callback need not say that callbacks go unauthenticated.
func checksCallbackSignatures(s *suites.Suite) bool {
	for _, it := range s.Items {
		for _, st := range it.Steps() {
			if st.Callback != nil && st.Callback.Signature != nil {
				return true
			}
		}
	}
	return false
}

func (r *Runner) verifyCallback(ir *itemRun, st *suites.Step, sg *suites.Signature, d callbacks.Delivery) *failure {
	key, err := sg.Key.RenderString(ir.scope.resolve)
	if err != nil {
		return &failure{status: results.Error, category: results.Integration, reason: "the signature key could not be resolved",
			message: fmt.Sprintf("step %s: signature key: %v", stepLabel(st), err)}
	}
	r.secrets.Add(key, "GOLIVE_CHECKSUM_KEY")
	where, got := "header "+sg.Header, d.Header.Get(sg.Header)
	var without []string
	if sg.Field != "" {
		where, got, without = "field "+sg.Field, gjson.GetBytes(d.Body, sg.Field).String(), []string{sg.Field}
	}
	bad := func(message, actual string) *failure {
		f := integrationFailure(nil, fmt.Sprintf("step %s: %s", stepLabel(st), message),
			"HMAC-SHA256 (hex) of the canonical payload in "+where, actual)
		f.reason = "the callback's signature does not prove it came from the partner: receivers would have to reject it"
		return f
	}
	if got == "" {
		return bad("the callback carries no signature in its "+where, "no signature")
	}
	ok, err := callbacks.Verify(d.Body, key, got, without...)
	if err != nil {
		return bad("the callback body cannot be signed: "+err.Error(), excerpt(d.Body))
	}
	if !ok {
		want, _ := callbacks.Sign(d.Body, key, without...)
		return bad(fmt.Sprintf("the callback signature does not verify: the canonical payload signs to %s…, the callback says %s…",
			short(want), short(got)), got)
	}
	return nil
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// closeCallbacks records every callback the item received so far (duplicates
// included) as exchanges, and notes duplicates. The slot stays open until the
// run ends, so a late retry is still counted (lateCallbacks).
func (r *Runner) closeCallbacks(ir *itemRun) {
	if ir.scope == nil || ir.scope.slot == nil {
		return
	}
	deliveries, dropped := ir.scope.slot.Deliveries()
	ir.exchanges = append(ir.exchanges, callbackExchanges(ir.scope.slot, deliveries, 0)...)
	ir.callbacksSeen = len(deliveries)
	if n := len(deliveries) + dropped; n > 1 {
		ir.result.Notes = append(ir.result.Notes, duplicateNote(n))
	}
}

// lateCallbacks, once every item has finished, adds the callbacks that
// arrived after their item ended (a partner retrying), then closes the slots.
func (r *Runner) lateCallbacks(items []*itemRun) {
	for _, ir := range items {
		if ir.scope == nil || ir.scope.slot == nil {
			continue
		}
		slot := ir.scope.slot
		r.callbacks.receiver.Release(slot)
		deliveries, dropped := slot.Deliveries()
		if len(deliveries)+dropped <= ir.callbacksSeen {
			continue
		}
		for _, ex := range callbackExchanges(slot, deliveries, ir.callbacksSeen) {
			ir.result.Exchanges = append(ir.result.Exchanges, r.record(ex, ir.job.suite.Secrets))
		}
		notes := ir.result.Notes[:0]
		for _, n := range ir.result.Notes {
			if !strings.HasPrefix(n, "the partner delivered the callback") {
				notes = append(notes, n)
			}
		}
		ir.result.Notes = append(notes, duplicateNote(len(deliveries)+dropped))
	}
}

func callbackExchanges(slot *callbacks.Slot, deliveries []callbacks.Delivery, from int) []*exchange {
	u, _ := url.Parse(slot.URL)
	var out []*exchange
	for i := from; i < len(deliveries); i++ {
		d := deliveries[i]
		req := &http.Request{Method: d.Method, URL: u, Header: d.Header}
		out = append(out, &exchange{
			step: "callback", attempt: i + 1, started: d.At, req: req, reqBody: d.Body,
			status: http.StatusOK, header: http.Header{},
		})
	}
	return out
}

func duplicateNote(n int) string {
	return fmt.Sprintf("the partner delivered the callback %d times: duplicates are recorded; "+
		"a sender should stop after a 2xx, and receivers must be idempotent", n)
}

// callbackSchemaProblem validates a callback body against the request
// schema the spec declares for the operation's callbacks (OpenAPI
// "callbacks"), or returns "" when it conforms or none is declared.
// A callback that conforms is passed by the compiled schemas (for 3.1
// kin-openapi compiles the schema again on every call; for 3.0 the compiled
// translation is never laxer than kin-openapi); one that does not is
// described by kin-openapi, so its words are the same whichever way.
func callbackSchemaProblem(api *specs.API, schemas *schemaCache, opID string, body []byte) string {
	op := api.Operation(opID)
	if op == nil || len(op.Op.Callbacks) == 0 {
		return ""
	}
	var schema *openapi3.Schema
	for _, cb := range op.Op.Callbacks {
		if cb == nil || cb.Value == nil {
			continue
		}
		for _, item := range cb.Value.Map() {
			if item != nil && item.Post != nil && item.Post.RequestBody != nil && item.Post.RequestBody.Value != nil {
				if mt := item.Post.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
					schema = mt.Schema.Value
				}
			}
		}
	}
	if schema == nil {
		return ""
	}
	if schemas != nil && schemas.conforms(schema, body) {
		return ""
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "body is not valid JSON: " + oneLine(err.Error())
	}
	opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.SetSchemaRegexCompiler(specs.CompileRegex)}
	if api.Doc.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	if err := schema.VisitJSON(v, opts...); err != nil {
		var problems []string
		collectSchemaErrors(err, &problems)
		return bodyProblems(problems)
	}
	return ""
}
