// Package reports turns a results.Run into the files and lines people read:
// results.json (the versioned contract), junit.xml (for CI), report.html (the
// sign-off document), manifest.json (hashes that show the others are intact)
// and the terminal progress and summary.
//
// Reports know nothing about HTTP: everything they show comes from the model,
// and everything in the model that came from the target is treated as
// untrusted text (escaped in HTML and XML, control characters neutralised on
// the terminal).
package reports
