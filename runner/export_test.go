package runner

// CallbackSchemaProblem exposes callbackSchemaProblem to the Ginkgo suite.
var CallbackSchemaProblem = callbackSchemaProblem
