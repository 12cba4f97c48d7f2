package signals

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// The benchmarks drive time with the tracker's own tick, through a clock
// whose timers never fire, so that what is measured is the tracker.

type benchClock struct{ now time.Time }

func (c *benchClock) Now() time.Time                                    { return c.now }
func (c *benchClock) AfterFunc(time.Duration, func()) interaction.Timer { return benchTimer{} }

type benchTimer struct{}

func (benchTimer) Stop() bool { return true }

type nopSink struct{}

func (nopSink) Remind(context.Context, Reminder) {}

const (
	perTick   = 100 // reminders due per tick
	tickStep  = int64(time.Millisecond)
	chatsEach = 4 // live chats per agent
)

var benchEpoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// armedTracker has n live interactions, each with a pending response (the
// contact wrote last) and an armed reminder, every agent with the
// answer-reminder setting on. Reminders fall due perTick per millisecond
// and repeat after n/perTick ms, so every tick fires exactly perTick, for
// ever. It is fed through Notify, as a Service would.
func armedTracker(n, perTick int) (*Tracker, int64) {
	clock := &benchClock{now: benchEpoch}
	t := New(clock, nopSink{}, WithDelay(0), WithInterval(time.Duration(int64(n/perTick)*tickStep)), WithAnswerReminders(true))
	st := &interaction.State{Status: interaction.StatusActive, Contact: "contact",
		Parties: []interaction.Party{
			{ID: "contact", Role: interaction.RoleContact, Membership: interaction.MemberJoined},
			{Role: interaction.RoleOwner, Membership: interaction.MemberJoined},
		}}
	ev := []interaction.Event{{Type: interaction.EventMessage, Actor: "contact", Text: "hello?", Scope: interaction.Everyone, Seq: 1}}
	for i := range n {
		st.ID = interaction.ID("interaction-" + strconv.Itoa(i))
		st.Parties[1].ID = interaction.PartyID("agent-" + strconv.Itoa(i/chatsEach))
		ev[0].Interaction, ev[0].Time = st.ID, benchEpoch.Add(time.Duration(int64(i/perTick)*tickStep))
		t.Notify(context.Background(), st, ev)
	}
	return t, benchEpoch.UnixNano()
}

// BenchmarkTick: one Clock tick that fires 100 reminders, among n armed
// reminders of n live interactions. The cost must not grow with n (R-C9).
func BenchmarkTick(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("interactions=%d", n), func(b *testing.B) { benchTick(b, n, perTick) })
	}
}

// BenchmarkTickDue: the cost of a tick follows the number of reminders due.
func BenchmarkTickDue(b *testing.B) {
	for _, due := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("interactions=100000/due=%d", due), func(b *testing.B) { benchTick(b, 100_000, due) })
	}
}

func benchTick(b *testing.B, n, perTick int) {
	t, now := armedTracker(n, perTick)
	if t.Armed() != n {
		b.Fatalf("armed %d, want %d", t.Armed(), n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		// What fire does, with the clock's time given.
		t.fireMu.Lock()
		t.mu.Lock()
		t.out = t.tick(now, t.out[:0])
		t.mu.Unlock()
		for i := range t.out {
			t.sink.Remind(context.Background(), t.out[i])
		}
		if len(t.out) != perTick {
			b.Fatalf("fired %d, want %d", len(t.out), perTick)
		}
		clear(t.out)
		t.fireMu.Unlock()
		now += tickStep
	}
}

// naiveTracker is the baseline: every tick looks at every interaction.
type naiveTracker struct{ due []int64 }

func (t *naiveTracker) tick(now, interval int64, out []int) []int {
	for i, d := range t.due {
		if d <= now {
			out = append(out, i)
			t.due[i] = d + interval
		}
	}
	return out
}

// BenchmarkTickNaiveScan is the O(interactions) baseline for BenchmarkTick.
func BenchmarkTickNaiveScan(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("interactions=%d", n), func(b *testing.B) {
			t := &naiveTracker{due: make([]int64, n)}
			now := benchEpoch.UnixNano()
			for i := range t.due {
				t.due[i] = now + int64(i/perTick)*tickStep
			}
			interval := int64(n/perTick) * tickStep
			out := make([]int, 0, perTick)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				out = t.tick(now, interval, out[:0])
				if len(out) != perTick {
					b.Fatalf("fired %d, want %d", len(out), perTick)
				}
				now += tickStep
			}
		})
	}
}

// BenchmarkArmedReminderMemory reports the heap held per armed reminder
// (pending response, its agent's share of the desk, the heap slot).
func BenchmarkArmedReminderMemory(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("interactions=%d", n), func(b *testing.B) {
			var perReminder float64
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				t, _ := armedTracker(n, perTick)
				runtime.GC()
				runtime.ReadMemStats(&after)
				perReminder = float64(after.HeapAlloc-before.HeapAlloc) / float64(t.Armed())
				runtime.KeepAlive(t)
			}
			b.ReportMetric(perReminder, "B/reminder")
		})
	}
}
