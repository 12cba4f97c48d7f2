//go:build !race

package interaction_test

// raceBuild reports whether the race detector is on (see race_test.go).
const raceBuild = false
