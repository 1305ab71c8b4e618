package certify

import (
	"fmt"

	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// holdBackWrites makes a production run production-safe: every item that
// would send a request that changes data (a method other than GET, HEAD or
// OPTIONS on an operation not marked safe) is skipped with the reason, so a
// smoke run after go-live never pays, pays out or refunds. It returns how
// many items it held back. Spec-derived items are already planned without
// writes (derive.Options.Production); this covers the checklists.
func holdBackWrites(jobs []Job) int {
	held := 0
	for i, j := range jobs {
		var items []*suites.Item
		changed := false
		for _, it := range j.Suite.Items {
			why := writeReason(j, it)
			if why == "" || it.Skip != "" {
				items = append(items, it)
				continue
			}
			cp := *it
			cp.Skip = why
			items = append(items, &cp)
			changed = true
			held++
		}
		if changed {
			s := *j.Suite
			s.Items = items
			jobs[i].Suite = &s
		}
	}
	return held
}

// writeReason says why an item would change data, or "" when it would not.
func writeReason(j Job, it *suites.Item) string {
	for _, st := range it.Steps() {
		if st.Callback != nil {
			continue
		}
		if op := j.API.Operation(st.Operation); writes(op) {
			return fmt.Sprintf("production-safe run: this item sends %s %s, which changes data (run with --allow-writes to include it)", op.Method, op.Path)
		}
		if st.Auth == suites.AuthDefault && j.Suite.Auth != nil {
			if op := j.API.Operation(j.Suite.Auth.Operation); writes(op) {
				return fmt.Sprintf("production-safe run: its token comes from %s %s, which is not marked %s (run with --allow-writes to include it)", op.Method, op.Path, specs.SafeExtension)
			}
		}
	}
	return ""
}

// writes reports whether calling op may change data.
func writes(op *specs.Operation) bool { return op != nil && op.ChangesData() }
