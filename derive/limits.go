package derive

import (
	"errors"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// kinLimits are kin-openapi's words for what it cannot judge: an ECMA-262
// pattern RE2 cannot compile (lookarounds), parameter or form encodings it
// does not decode. Such an error says nothing about the request, so it
// neither makes a request invalid nor proves a variant is rejected.
func kinLimits() []string {
	return []string{
		"cannot compile pattern",
		"invalid serialization method",
		"unsupported schema of request body",
		"unsupported content type",
	}
}

func kinLimit(msg string) bool {
	for _, l := range kinLimits() {
		if strings.Contains(msg, l) {
			return true
		}
	}
	return false
}

// realErrors flattens a kin-openapi error tree into one line per problem,
// leaving out kin's own limits. skip says which parameters not to count.
func realErrors(err error, skip func(in, name string) bool) []string {
	var out []string
	var walk func(err error)
	walk = func(err error) {
		if err == nil {
			return
		}
		var multi openapi3.MultiError
		if errors.As(err, &multi) {
			for _, e := range multi {
				walk(e)
			}
			return
		}
		var re *openapi3filter.RequestError
		if errors.As(err, &re) {
			if re.Parameter != nil && skip != nil && skip(re.Parameter.In, re.Parameter.Name) {
				return
			}
			if re.Err != nil && !kinLimit(re.Reason) {
				var se *openapi3.SchemaError
				var inner openapi3.MultiError
				if errors.As(re.Err, &se) || errors.As(re.Err, &inner) {
					walk(re.Err)
					return
				}
			}
		}
		var sec *openapi3filter.SecurityRequirementsError
		if errors.As(err, &sec) {
			return // credentials are the runner's
		}
		var se *openapi3.SchemaError
		msg := err.Error()
		if errors.As(err, &se) && se.Reason != "" {
			msg = se.Reason + " " + msg
		}
		if !kinLimit(msg) {
			out = append(out, strings.Join(strings.Fields(err.Error()), " "))
		}
	}
	walk(err)
	return out
}
