package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// FaultHangOnMalformed makes one operation hang on one input: the defect
// golive must call integration, naming the operation, while the rest of the
// API answers in time (runner/extent.go); the slow fault, where everything
// is slow, is the system case.
const FaultHangOnMalformed = "hang-on-malformed" // initiateUssdPush never answers a malformed JSON body

// hangOperation is the one operation hang-on-malformed breaks.
const hangOperation = "initiateUssdPush"

// hangLimit bounds the hang for a client that never gives up (curl without
// --max-time), so a forgotten request does not hold a handler for ever.
const hangLimit = 5 * time.Minute

func extentFaults() []Fault {
	return []Fault{
		{FaultHangOnMalformed, "initiateUssdPush never answers a body that is not valid JSON (the parser waits for more input), until the client gives up; valid requests, and malformed JSON to any other operation, are answered at once: one operation hangs on one input while the rest of the API works."},
	}
}

// hangsOnMalformed holds the request until the client goes away when the
// hang-on-malformed fault applies to it, and reports whether it did. The
// body has been buffered (bufferBody), so reading it again is free.
func (s *Sandbox) hangsOnMalformed(r *http.Request, rt *route) bool {
	if !s.has(FaultHangOnMalformed) || rt.spec.Operation.OperationID != hangOperation || r.GetBody == nil {
		return false
	}
	body, err := r.GetBody()
	if err != nil {
		return false
	}
	data, _ := io.ReadAll(body)
	if len(data) == 0 || json.Valid(data) {
		return false // a missing body is another input, refused as usual
	}
	pause(r.Context(), hangLimit)
	return true
}
