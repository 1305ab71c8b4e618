package schemacache

// Decode exposes decode to the Ginkgo suite.
func Decode(body []byte) (any, error) {
	v, _, err := decode(body)
	return v, err
}
