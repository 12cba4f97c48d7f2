package chatconsulttest_test

import (
	"context"
	"testing"
	"time"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

// The figures and the command are in BENCHMARKS.md:
//
//	go test ./chatconsulttest -run '^$' -bench . -benchtime 20000x -count 3

// benchSim is a simulator with 1,000 live interactions on the in-memory
// Store, warmed up so that every interaction exists and stories are under
// way.
func benchSim(b *testing.B, warm func(*chatconsulttest.Simulator, []interaction.Event)) *chatconsulttest.Simulator {
	b.Helper()
	sim := chatconsulttest.NewSimulator(chatconsulttest.SimConfig{Seed: 1, Agents: 50, Supervisors: 5, Interactions: 1000})
	for i := 0; i < 4000; i++ {
		events, err := sim.Step(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if warm != nil {
			warm(sim, events)
		}
	}
	return sim
}

// Simulator throughput over 1,000 concurrent interactions (issue 9):
// commands per second, each a whole desk turn (read the interaction,
// choose, send the command; time-outs on the clock included).
func BenchmarkSimulator1000Interactions(b *testing.B) {
	sim := benchSim(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sim.Step(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmds/s")
}

// The invariant checker's cost per step, against the command it checks,
// measured in the same loop: each iteration sends one command (timed) and
// then checks what it committed (timed): Checker.Add on the events, and
// Verify (rebuild equals live) on the interaction.
func BenchmarkCheckerPerStep(b *testing.B) {
	ctx := context.Background()
	checkers := map[interaction.ID]*chatconsulttest.Checker{}
	var sim *chatconsulttest.Simulator
	var violations int
	check := func(events []interaction.Event) {
		var touched []interaction.ID
		for start := 0; start < len(events); {
			id := events[start].Interaction
			end := start
			for end < len(events) && events[end].Interaction == id {
				end++
			}
			c := checkers[id]
			if c == nil {
				c = chatconsulttest.NewChecker()
				checkers[id] = c
			}
			violations += len(c.Add(events[start:end]))
			touched = append(touched, id)
			start = end
		}
		for _, id := range touched {
			_ = sim.Chats.Read(ctx, id, func(st *interaction.State) error {
				violations += len(checkers[id].Verify(st))
				return nil
			})
		}
	}
	sim = benchSim(b, func(s *chatconsulttest.Simulator, events []interaction.Event) { sim = s; check(events) })
	var command, checking time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		events, err := sim.Step(ctx)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		check(events)
		checking += time.Since(t1)
		command += t1.Sub(t0)
	}
	if violations > 0 {
		b.Fatalf("%d violations", violations)
	}
	b.ReportMetric(float64(command.Nanoseconds())/float64(b.N), "ns/command")
	b.ReportMetric(float64(checking.Nanoseconds())/float64(b.N), "ns/check")
	b.ReportMetric(float64(checking)/float64(command), "check/command")
}
