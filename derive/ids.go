package derive

import (
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
)

// idPrefix starts every derived item's id and group, which is how reports
// tell derived items from hand-written ones.
const idPrefix = "derived."

// idPart makes a name usable inside an item id (letters, digits, '.', '-',
// '_'), so that operationIds such as "orders.create" or "post /pets" and
// field names such as "metadata[key]" still give valid, readable ids.
func idPart(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), ".")
	if out == "" {
		return "_"
	}
	return out
}

// itemID is derived.<operationId>.<check>.
func itemID(opID, check string) string { return idPrefix + idPart(opID) + "." + idPart(check) }

// uniqueIDs makes ids unique in plan order by suffixing -2, -3, ... to the
// later ones. Plan order is stable, so the suffixes are too.
func uniqueIDs(ids []string) []string {
	seen := map[string]int{}
	out := make([]string, len(ids))
	for i, id := range ids {
		seen[id]++
		if n := seen[id]; n > 1 {
			cand := id
			for k := n; ; k++ {
				cand = id + "-" + strconv.Itoa(k)
				if seen[cand] == 0 {
					break
				}
			}
			seen[cand]++
			id = cand
		}
		out[i] = id
	}
	return out
}

// stableHash is FNV-1a of the parts: the same on every platform and run, so
// seeds derived from it repeat.
func stableHash(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0})
	}
	return h.Sum64()
}

// newRand is the generator for one purpose (an operation and what is being
// generated for it): seeded with the run's seed and a hash of the names, so
// values do not depend on which other rules or operations were planned.
func newRand(seed int64, parts ...string) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stableHash(parts...)))
}
