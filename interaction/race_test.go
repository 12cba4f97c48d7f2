//go:build race

package interaction_test

// raceBuild reports whether the race detector is on: it changes heap sizes
// and timing, so the memory test skips itself under it.
const raceBuild = true
