package runner

import (
	"encoding/json"
	"fmt"

	"github.com/golive-cert/golive/callbacks"
	"github.com/golive-cert/golive/suites"
	"github.com/golive-cert/golive/suites/tmpl"
)

// sign computes the body's signature and places it in the named body field
// or header. Tamper modes send what a forger would: a wrong signature, or a
// body changed after it was signed.
func (r *Runner) sign(sg *suites.Signature, body []byte, resolve tmpl.Resolver) (out []byte, header, signature string, err error) {
	key, err := sg.Key.RenderString(resolve)
	if err != nil {
		return nil, "", "", fmt.Errorf("sign: key: %w", err)
	}
	r.secrets.Add(key, "GOLIVE_CHECKSUM_KEY")
	signature, err = callbacks.Sign(body, key, sg.Field)
	if err != nil {
		return nil, "", "", fmt.Errorf("sign: %w", err)
	}
	if sg.Tamper == suites.TamperSignature {
		signature = flipLast(signature)
	}
	out = body
	if sg.Field != "" || sg.Tamper == suites.TamperBody {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, "", "", fmt.Errorf("sign: the body must be a JSON object: %w", err)
		}
		if sg.Field != "" {
			obj[sg.Field], _ = json.Marshal(signature)
		}
		if sg.Tamper == suites.TamperBody {
			obj["tampered"] = json.RawMessage("true")
		}
		if out, err = json.Marshal(obj); err != nil {
			return nil, "", "", fmt.Errorf("sign: %w", err)
		}
	}
	if sg.Header != "" {
		return out, sg.Header, signature, nil
	}
	return out, "", "", nil
}

// flipLast changes the last hex digit: a signature that is well-formed but wrong.
func flipLast(sig string) string {
	if sig == "" {
		return "0"
	}
	last := sig[len(sig)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return sig[:len(sig)-1] + string(repl)
}
