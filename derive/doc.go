// Package derive generates spec-derived checks: for every operation of an
// OpenAPI document, the requests a careful reviewer would send without
// writing any YAML (a valid one, invalid ones, ones without credentials,
// ones at the edges of the schemas, create-then-read flows), each with what
// its response must be.
//
// The checks are ordinary suite items (suites.Item) whose ids start with
// "derived." and whose group is "derived.<rule>", so the runner executes,
// validates, classifies and reports them like hand-written items. Requests
// are built from the document's examples or generated from its schemas with
// a seeded generator, and every generated request is validated against the
// operation before it becomes an item: a request meant to be valid that the
// spec would reject (or an invalid one it would accept) is never planned.
//
// docs/derived-checks.md describes the rules; docs/faq/derived.md answers
// partners' questions about their failures.
package derive
