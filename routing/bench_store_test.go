package routing_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// benchShared fills d (on a clock) as benchDirectory does.
func benchFill(b *testing.B, d *routing.Directory, clock *chatconsulttest.ManualClock, n int) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	presences := []routing.Presence{routing.Ready, routing.Ready, routing.NotReady, routing.Away, routing.LoggedOut}
	for i := 0; i < n; i++ {
		id := interaction.PartyID(fmt.Sprintf("agent%d", i))
		skill := fmt.Sprintf("skill%d", rng.IntN(50))
		if i%10 == 0 {
			skill = "billing"
		}
		a := routing.Agent{ID: id, Skills: map[string]int{skill: 1 + rng.IntN(5)}, Groups: []string{fmt.Sprintf("g%d", rng.IntN(100))}}
		if err := d.Put(a); err != nil {
			b.Fatal(err)
		}
		clock.Advance(time.Duration(rng.IntN(1000)) * time.Millisecond)
		if err := d.SetPresence(ctx, id, presences[rng.IntN(len(presences))]); err != nil {
			b.Fatal(err)
		}
		for k := rng.IntN(4); k > 0; k-- {
			_ = d.Hold(ctx, id, interaction.MediumChat)
		}
	}
}

// BenchmarkPickSkillStore: a pick and its release for a skill through a
// Directory that is a cache of a shared routing.MemoryStore (issue 14),
// next to the same pick on today's process-local Directory, in the same
// run: ns/op is the store-backed pick; local-ns/op the process-local one
// on the same agents, and ratio the quotient. Run with
//
//	go test ./routing -run '^$' -bench PickSkillStore -benchmem
func BenchmarkPickSkillStore(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			target := interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}
			lclock := chatconsulttest.NewManualClock()
			local := routing.NewDirectory(routing.WithClock(lclock), routing.WithHoldTTL(1000*time.Hour))
			benchFill(b, local, lclock, n)
			sclock := chatconsulttest.NewManualClock()
			shared := routing.NewDirectory(routing.WithClock(sclock), routing.WithHoldTTL(1000*time.Hour),
				routing.WithStore(routing.NewMemoryStore()))
			benchFill(b, shared, sclock, n)
			run := func(d *routing.Directory, clock *chatconsulttest.ManualClock, times int) time.Duration {
				start := time.Now()
				for i := 0; i < times; i++ {
					clock.Advance(time.Millisecond)
					a, err := d.Pick(ctx, target, interaction.MediumChat, nil)
					if err != nil {
						b.Fatal(err)
					}
					d.Release(a, interaction.MediumChat)
				}
				return time.Since(start)
			}
			// Collect the setup's garbage before each timed leg: with three
			// copies of n agents live (two Directories and the Store), a
			// short run otherwise times the collector marking them too.
			runtime.GC()
			b.ReportAllocs()
			b.ResetTimer()
			storeTime := run(shared, sclock, b.N)
			b.StopTimer()
			runtime.GC()
			localTime := run(local, lclock, b.N)
			b.ReportMetric(float64(localTime.Nanoseconds())/float64(b.N), "local-ns/op")
			b.ReportMetric(float64(storeTime)/float64(localTime), "ratio")
		})
	}
}
