package interaction

// SetValidation turns the log validator (validate.go) on or off, so that
// BenchmarkRebuild measures Apply with it against Apply without it (the
// Apply of before the validator) in the same run. Only that benchmark
// turns it off, and it turns it back on.
func SetValidation(on bool) { skipValidation.Store(!on) }
