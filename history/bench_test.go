package history_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// The benchmarks' contact center: benchAgents agents, 5 000 contacts, one
// interaction opened every 10 s.
const benchAgents = 1000

// synthesizer writes finished interactions straight into a MemoryStore,
// deciding each command on a Decision (no Service, no cache, no notifier)
// so that 100 000 of them take seconds. Each is one of three stories:
// the owner consults a colleague, who accepts; they talk privately; then
// the consultation ends, or becomes a transfer, or a conference; the chat
// ends and every agent marks done.
type synthesizer struct {
	ids  *interaction.SequentialIDs
	st   *interaction.State
	now  time.Time
	evs  []interaction.Event
	errs int
}

func (s *synthesizer) do(actor interaction.PartyID, cmd interaction.Command) {
	s.now = s.now.Add(time.Second)
	d := interaction.NewDecision(s.st, actor, s.now, s.ids.NewID(), interaction.DefaultLimits, s.ids)
	if err := cmd.Decide(d); err != nil {
		panic(err) // the stories are fixed: a refusal is a bug in them
	}
	evs, err := d.Events()
	if err != nil {
		panic(err)
	}
	for i := range evs {
		if err := s.st.Apply(&evs[i]); err != nil {
			panic(err)
		}
	}
	s.evs = append(s.evs, evs...)
}

func benchAgent(i int) interaction.PartyID {
	return interaction.PartyID(fmt.Sprintf("agent%04d", i%benchAgents))
}

func (s *synthesizer) interaction(i int) []interaction.Event {
	id := interaction.ID(fmt.Sprintf("chat%07d", i))
	s.st, s.evs = &interaction.State{ID: id}, s.evs[:0]
	s.now = chatconsulttest.Epoch.Add(time.Duration(i) * 10 * time.Second)
	contact := interaction.PartyID(fmt.Sprintf("contact%05d", i%5000))
	owner, target := benchAgent(i), benchAgent(i*7+1)
	if owner == target {
		target = benchAgent(i + 1)
	}
	leg := interaction.LegID(id + "-leg")
	s.do(contact, interaction.Open{Contact: contact, Text: "Hello, my invoice is wrong"})
	s.do(interaction.System, interaction.Assign{Agent: owner})
	s.do(owner, interaction.Join{})
	s.do(owner, interaction.Post{Text: "Hi, I am looking into it"})
	s.do(owner, consult.Start{Leg: leg, Target: agent(string(target)), Invitee: target})
	s.do(target, consult.Accept{Leg: leg})
	s.do(owner, consult.Say{Leg: leg, Text: "consultation: may I refund it?"})
	s.do(target, consult.Say{Leg: leg, Text: "consultation: yes"})
	switch i % 3 {
	case 0:
		s.do(owner, consult.EndConsultation{Leg: leg})
		s.do(owner, interaction.Post{Text: "Done, refunded"})
		s.do(owner, interaction.EndSession{})
	case 1:
		s.do(owner, consult.Transfer{Leg: leg})
		s.do(target, interaction.Post{Text: "Hello, I will refund you"})
		s.do(target, interaction.EndSession{})
	case 2:
		req := interaction.RequestID(id + "-req")
		s.do(owner, consult.Conference{Leg: leg, Request: req})
		s.do(target, consult.AcceptRequest{Request: req})
		s.do(target, interaction.Post{Text: "Hello, I will refund you"})
		s.do(contact, interaction.EndSession{})
	}
	s.do(owner, interaction.MarkDone{})
	s.do(target, interaction.MarkDone{})
	if s.st.Status != interaction.StatusClosed {
		panic("story did not close " + string(id))
	}
	return s.evs
}

var (
	benchMu     sync.Mutex
	benchStores = map[int]*interaction.MemoryStore{}
	benchViews  = map[int]*history.Projection{}
)

// benchStore returns a MemoryStore holding n finished interactions, made
// once per process.
func benchStore(b *testing.B, n int) *interaction.MemoryStore {
	benchMu.Lock()
	defer benchMu.Unlock()
	if st := benchStores[n]; st != nil {
		return st
	}
	start := time.Now()
	store := interaction.NewMemoryStore()
	s := &synthesizer{ids: chatconsulttest.NewSequentialIDs("x")}
	for i := range n {
		evs := s.interaction(i)
		if err := store.Append(ctx, evs[0].Interaction, 0, evs); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("setup: %d finished interactions in %v", n, time.Since(start).Round(time.Millisecond))
	benchStores[n] = store
	return store
}

func benchProjection(b *testing.B, n int) *history.Projection {
	store := benchStore(b, n)
	benchMu.Lock()
	defer benchMu.Unlock()
	if p := benchViews[n]; p != nil {
		return p
	}
	p, err := history.Rebuild(ctx, store)
	if err != nil {
		b.Fatal(err)
	}
	benchViews[n] = p
	return p
}

// BenchmarkRebuild100k: rebuilding history from scratch by replaying a
// Store of 100 000 finished interactions (issue 5).
func BenchmarkRebuild100k(b *testing.B) {
	const n = 100_000
	store := benchStore(b, n)
	events, err := store.ReadAll(ctx, 0, 0)
	if err != nil {
		b.Fatal(err)
	}
	retained := heapAfter(func() any {
		p, err := history.Rebuild(ctx, store)
		if err != nil {
			b.Fatal(err)
		}
		return p
	})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p, err := history.Rebuild(ctx, store)
		if err != nil {
			b.Fatal(err)
		}
		if p.Checkpoint() != uint64(len(events)) {
			b.Fatal("replay stopped early")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(events)), "ns/event")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/interaction")
	b.ReportMetric(float64(retained)/n, "retained-B/interaction")
}

// heapAfter returns how many heap bytes what build returns keeps alive.
func heapAfter(build func() any) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return after.HeapAlloc - before.HeapAlloc
}

// BenchmarkMyHistoryPage: one page (8 entries, with their transcripts) of
// one agent's My History among 1 000 agents, first page and the page after
// it, at 10 000 and 100 000 interactions. Target (issue 5): the same cost
// within 2× at both sizes.
func BenchmarkMyHistoryPage(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		p := benchProjection(b, n)
		var next []string // each agent's second-page cursor
		for a := range benchAgents {
			pg, err := p.MyHistory(ctx, benchAgent(a), history.Query{Limit: 8})
			if err != nil || len(pg.Items) != 8 || pg.Next == "" {
				b.Fatalf("agent %d: %d entries, %v", a, len(pg.Items), err)
			}
			next = append(next, pg.Next)
		}
		b.Run(fmt.Sprintf("interactions=%d/first", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				pg, err := p.MyHistory(ctx, benchAgent(i), history.Query{Limit: 8})
				if err != nil || len(pg.Items) != 8 {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("interactions=%d/next", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				pg, err := p.MyHistory(ctx, benchAgent(i), history.Query{Limit: 8, Cursor: next[i%benchAgents]})
				if err != nil || len(pg.Items) != 8 {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
