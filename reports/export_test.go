package reports

// Internal helpers exposed to the external reports_test package.
var WriteFileAtomic = writeFileAtomic
