package interaction_test

// Benchmarks of issue 19: reads that cost what they return, at 10, 1 000,
// 10 000 and 100 000 messages in one interaction (a chat of a contact and
// an agent, an agent note every twentieth message, so that the contact's
// read index has a run per twenty messages), all in one run:
//
//   - BenchmarkPage: Service.Page of the contact's last 50 messages (at
//     10 messages the page holds the 10 there are) and of its last 10 (the
//     same window at every size), and Service.View (the whole view, what a
//     desk re-read before) as the baseline. Target: the page of the last
//     50 within 2× from 10 to 100 000 messages.
//   - BenchmarkDelta: what one post costs a live reader of the contact's
//     view. "deltas-for" is State.DeltasFor of a post (the per-viewer
//     delta alone); "post+delta" a Post delivered to a delta subscription
//     and applied to a page (Page.Apply); "post+view" the same post
//     followed by Service.View, the re-read it replaces. Target: the delta
//     per post O(1), within 2× from 10 to 100 000 messages.
//
// The export's peak heap is in history/stream_bench_test.go. Figures and
// commands: BENCHMARKS.md.

import (
	"context"
	"fmt"
	"testing"

	"github.com/chatconsult/chatconsult/interaction"
)

var pagedSizes = []int{10, 1000, 10000, 100000}

// pagedChat is a new Service holding one chat of n messages (longChat),
// with a fixed clock and sequential IDs.
func pagedChat(b *testing.B, n int, opts ...interaction.Option) (*interaction.Service, interaction.ID) {
	b.Helper()
	opts = append([]interaction.Option{interaction.WithClock(fixedClock{}), interaction.WithIDs(&interaction.SequentialIDs{Prefix: "b"})}, opts...)
	svc := interaction.NewService(opts...)
	id, err := longChat(context.Background(), svc, n, 0)
	if err != nil {
		b.Fatal(err)
	}
	return svc, id
}

func BenchmarkPage(b *testing.B) {
	ctx := context.Background()
	for _, n := range pagedSizes {
		svc, id := pagedChat(b, n)
		for _, last := range []int{50, 10} {
			b.Run(fmt.Sprintf("messages=%d/page-last%d", n, last), func(b *testing.B) {
				b.ReportAllocs()
				var cpu cpuMeter
				cpu.start()
				for i := 0; i < b.N; i++ {
					pg, err := svc.Page(ctx, id, "contact", interaction.PageRequest{Last: last})
					if err != nil || len(pg.Messages) != min(last, int(pg.Total)) {
						b.Fatal(err, len(pg.Messages))
					}
				}
				cpu.stop()
				cpu.report(b)
			})
		}
		// page-last50-into: the same page read again and again into one
		// Page (Service.PageInto), as a server answering page requests
		// with one buffer per connection: it copies the window only.
		b.Run(fmt.Sprintf("messages=%d/page-last50-into", n), func(b *testing.B) {
			b.ReportAllocs()
			var pg interaction.Page
			var cpu cpuMeter
			cpu.start()
			for i := 0; i < b.N; i++ {
				err := svc.PageInto(ctx, id, "contact", interaction.PageRequest{Last: 50}, &pg)
				if err != nil || len(pg.Messages) != min(50, int(pg.Total)) {
					b.Fatal(err, len(pg.Messages))
				}
			}
			cpu.stop()
			cpu.report(b)
		})
		b.Run(fmt.Sprintf("messages=%d/view", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := svc.View(ctx, id, "contact"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDelta(b *testing.B) {
	ctx := context.Background()
	for _, n := range pagedSizes {
		// deltas-for: the contact's delta of the last post, computed again
		// and again on a state that does not change.
		svc, id := pagedChat(b, n)
		if err := svc.Post(ctx, id, "contact", "one more"); err != nil {
			b.Fatal(err)
		}
		st, err := svc.State(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		events, err := svc.Store().Load(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		last := events[len(events)-1:]
		b.Run(fmt.Sprintf("messages=%d/deltas-for", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if ds := st.DeltasFor("contact", last, nil); len(ds) != 1 || ds[0].Message == nil {
					b.Fatal(ds)
				}
			}
		})

		// post+delta and post+view grow the chat by one message per op:
		// it is built again (timer stopped) once it has grown by a tenth or
		// by 100 messages, so every op is on a chat of n to n+n/10 (or
		// n+100) messages.
		for _, how := range []string{"post+delta", "post+view"} {
			b.Run(fmt.Sprintf("messages=%d/%s", n, how), func(b *testing.B) {
				var (
					svc   *interaction.Service
					id    interaction.ID
					sub   *interaction.Subscription
					pg    interaction.Page
					grown int
				)
				fresh := func() {
					notes := interaction.NewMemoryNotifier()
					svc, id = pagedChat(b, n, interaction.WithNotifier(notes))
					if sub != nil {
						sub.Close()
					}
					sub = notes.SubscribeDeltas("contact")
					var err error
					if pg, err = svc.Page(ctx, id, "contact", interaction.PageRequest{Last: 50}); err != nil {
						b.Fatal(err)
					}
					grown = 0
				}
				fresh()
				defer sub.Close()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if grown >= max(100, n/10) {
						b.StopTimer()
						fresh()
						b.StartTimer()
					}
					if err := svc.Post(ctx, id, "contact", "one more"); err != nil {
						b.Fatal(err)
					}
					grown++
					if how == "post+view" {
						if _, err := svc.View(ctx, id, "contact"); err != nil {
							b.Fatal(err)
						}
						continue
					}
					d, ok := sub.TryNextDelta()
					if !ok || !pg.Apply(d) {
						b.Fatal("no delta, or the page does not take it")
					}
					if len(pg.Messages) > 50 {
						pg.Messages = pg.Messages[len(pg.Messages)-50:] // a desk keeps its window
					}
				}
			})
		}
	}
}
