package schemacache

// Decode exposes decode to the Ginkgo suite.
var Decode = decode
