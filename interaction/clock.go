package interaction

import "time"

// Clock is where the library reads time and schedules time-outs. Tests and
// harnesses inject a manual clock (see package chatconsulttest) so that a
// run replays exactly and no test sleeps.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once, d after now, unless the timer is stopped first.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call; it reports whether it did.
	Stop() bool
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
