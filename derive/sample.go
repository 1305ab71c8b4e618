package derive

import (
	"regexp"
	"strconv"
	"strings"
)

// Generated requests are checked against the spec before they become items
// (selfcheck.go). Refs have no value until the runner fills them, so the
// check uses a sample shaped like what the runner will send.

// referenceSample has the shape of the runner's gen.reference: "GL", the
// 8-character run id, the item's 3-digit number and a base-36 index.
const referenceSample = "GL7K2M9QXA0011"

// uuidSample is a version-4 UUID, the shape of gen.uuid.
const uuidSample = "3f0c5e1a-8b2d-4c6e-9f10-2a3b4c5d6e7f"

// Refs the generator writes.
const (
	refReference = "{{ gen.reference }}"
	refUUID      = "{{ gen.uuid }}"
)

// referenceRef is the n-th distinct reference of a request: each field gets
// its own run-unique value (gen.reference, gen.reference2, ...).
func referenceRef(n int) ref {
	if n <= 1 {
		return refReference
	}
	return ref("{{ gen.reference" + strconv.Itoa(n) + " }}")
}

// sampleOf is the value a ref stands for in self-checks.
func sampleOf(r ref) string { return sampleFor(strings.TrimSpace(strings.Trim(string(r), "{} "))) }

func sampleFor(name string) string {
	switch {
	case strings.HasPrefix(name, "gen.reference"):
		return referenceSample
	case name == "gen.uuid":
		return uuidSample
	}
	return "golive-sample"
}

var templateRef = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// sampleText replaces every template reference in a text by its sample.
func sampleText(text string) string {
	return templateRef.ReplaceAllStringFunc(text, func(m string) string {
		return sampleFor(templateRef.FindStringSubmatch(m)[1])
	})
}

// sampleValue is plain(v) with refs replaced by their samples.
func sampleValue(v any) any { return plain(v, func(r ref) any { return sampleOf(r) }) }
