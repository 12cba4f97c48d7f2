//go:build !unix

package routing_test

import "time"

// processCPU is not measured here; benchmarks then report ns/op only.
func processCPU() (time.Duration, bool) { return 0, false }
