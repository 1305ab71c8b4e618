// Reads a junit.xml with test-results-parser, the JUnit parser behind the
// TestBeats CI reporters, and prints what a CI dashboard would see, as JSON:
// node consume.js path/to/junit.xml
"use strict";

const path = require("path");
const { parse } = require("test-results-parser");

const file = process.argv[2];
if (!file) {
  console.error("usage: node consume.js JUNIT_XML");
  process.exit(2);
}

const result = parse({ type: "junit", files: [path.resolve(file)] });

const cases = { PASS: 0, FAIL: 0, SKIP: 0 };
const out = {
  name: result.name,
  // Totals as the parser reports them for the whole file.
  total: Number(result.total),
  passed: Number(result.passed),
  failed: Number(result.failed),
  errors: Number(result.errors),
  skipped: Number(result.skipped),
  status: result.status,
  cases,
  suites: result.suites.map((s) => {
    const names = s.cases.map((c) => c.name);
    s.cases.forEach((c) => { cases[c.status] = (cases[c.status] || 0) + 1; });
    return {
      name: s.name,
      total: Number(s.total),
      passed: Number(s.passed),
      failed: Number(s.failed),
      errors: Number(s.errors),
      skipped: Number(s.skipped),
      status: s.status,
      metadata: s.metadata,
      cases: s.cases.map((c) => ({ name: c.name, status: c.status, failure: c.failure || "" })),
      uniqueNames: new Set(names).size === names.length,
    };
  }),
};
process.stdout.write(JSON.stringify(out, null, 2) + "\n");
