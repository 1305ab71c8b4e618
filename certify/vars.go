package certify

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/golive-cert/golive/suites"
)

// checkVarNames refuses variables that no checklist of the plan declares or
// refers to: a misspelt --var (amout=2500.00) would otherwise be ignored and
// the run certify with the checklist's own value. Every unknown name is
// named, on one line, with the closest known name when one is close.
func checkVarNames(jobs []Job, vars map[string]string) error {
	if len(vars) == 0 {
		return nil
	}
	known := map[string]bool{}
	for _, j := range jobs {
		for _, name := range suites.Vars(j.Suite, j.API) {
			known[name] = true
		}
	}
	var unknown, named []string
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		if known[name] {
			continue
		}
		hint := ""
		if near := closest(name, slices.Sorted(maps.Keys(known))); near != "" {
			hint = fmt.Sprintf(" (did you mean %s?)", near)
		}
		unknown = append(unknown, name)
		named = append(named, name+hint)
	}
	switch len(unknown) {
	case 0:
		return nil
	case 1:
		return invalidValue(FieldVars, unknown[0], "no checklist of this run declares or uses this variable%s",
			strings.TrimPrefix(named[0], unknown[0]))
	}
	return invalidf(FieldVars, "no checklist of this run declares or uses %s or %s",
		strings.Join(named[:len(named)-1], ", "), named[len(named)-1])
}

// closest is the known name nearest to name (case aside, fewest edits),
// when it is near enough to be a typo of it; "" otherwise.
func closest(name string, known []string) string {
	best, bestDist := "", 0
	for _, k := range known {
		d := editDistance(strings.ToLower(name), strings.ToLower(k))
		if best == "" || d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" || bestDist > max(1, min(3, len(name)/3)) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
