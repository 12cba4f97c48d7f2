//go:build unix

package interaction_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the whole process has used (every thread,
// the garbage collector's included). Benchmarks report it per op next to
// ns/op: on a shared machine it moves much less than wall-clock time.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
