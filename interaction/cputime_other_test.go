//go:build !unix

package interaction_test

import "time"

// processCPU is not measured here; benchmarks then report no cpu-ns/op.
func processCPU() (time.Duration, bool) { return 0, false }
