package runner

// scrub masks every item again once the run is over, with every secret the
// run has learned. Two things slip through the per-item masking otherwise:
// a value at a secret JSON path is learned when the item that received it is
// recorded, possibly after another item that echoed it; and the message,
// expected and actual texts quote bodies, where card numbers must be masked
// as they are in the recorded bodies. Curl lines are written again from their
// exchanges rather than masked: masking inside a shell line could cut
// through its quoting (curl.go).
func (r *Runner) scrub(items []*itemRun) {
	clean := func(s string) string { return maskCards(r.secrets.Mask(s)) }
	for _, ir := range items {
		res := &ir.result
		res.Reason, res.Message = clean(res.Reason), clean(res.Message)
		res.Expected, res.Actual = clean(res.Expected), clean(res.Actual)
		if f := ir.failure; res.Curl != "" && f != nil && f.ex != nil {
			res.Curl = r.curl(f.ex)
		}
		for i := range res.Notes {
			res.Notes[i] = clean(res.Notes[i])
		}
		for i := range res.Exchanges {
			ex := &res.Exchanges[i]
			ex.Request.URL, ex.Request.Body, ex.Error = clean(ex.Request.URL), clean(ex.Request.Body), clean(ex.Error)
			scrubHeaders(ex.Request.Headers, clean)
			if ex.Response != nil {
				ex.Response.Body = clean(ex.Response.Body)
				scrubHeaders(ex.Response.Headers, clean)
			}
		}
	}
}

func scrubHeaders(h map[string]string, clean func(string) string) {
	for k, v := range h {
		h[k] = clean(v)
	}
}
