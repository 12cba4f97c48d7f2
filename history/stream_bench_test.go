package history_test

// BenchmarkExportPeakHeap (issue 19): the peak heap a viewer's export
// holds while it writes, at 10, 1 000, 10 000 and 100 000 messages in one
// interaction (a contact and an agent; an agent note every twentieth
// message), in one run:
//
//   - streamed-json, streamed-text: WriteJSONExport and WriteTextExport;
//   - whole-json, the baseline: NewExport then Export.WriteJSON.
//
// The peak is measured on one export, before the timed ones: its writer
// discards what it is given and, about 32 times per export (at most every
// 4 KiB, and at the last write), collects garbage and reads the live heap;
// peak-B/op is the highest of those readings minus the live heap before
// the export (the interaction's own state is live all along and is not
// counted). The timed exports write to io.Discard. For whole-json the reading is taken when the encoded JSON
// is written, with the Export and its encoding live (the View NewExport
// copied is garbage by then), so its figure is a lower bound. Target: the
// streamed exports' peak heap flat within 2× from 10 to 100 000 messages.

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// heapSampler is an io.Writer that reads the live heap every so many bytes
// and at the last write (total: the export's size).
type heapSampler struct {
	every, since, n, total uint64
	peak                   uint64
}

func (h *heapSampler) Write(p []byte) (int, error) {
	h.n += uint64(len(p))
	h.since += uint64(len(p))
	if h.since >= h.every || h.n == h.total {
		h.since = 0
		h.sample()
	}
	return len(p), nil
}

func (h *heapSampler) sample() {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	h.peak = max(h.peak, m.HeapAlloc)
}

func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// exportChat is one chat of n messages (see the benchmark's comment).
func exportChat(b *testing.B, n int) *interaction.State {
	b.Helper()
	ctx := context.Background()
	svc := interaction.NewService(interaction.WithIDs(&interaction.SequentialIDs{Prefix: "x"}))
	id, err := svc.Open(ctx, "contact", "")
	if err == nil {
		err = svc.Assign(ctx, id, interaction.System, "agent1")
	}
	if err == nil {
		err = svc.Join(ctx, id, "agent1")
	}
	for i := 0; i < n && err == nil; i++ {
		text := fmt.Sprintf("message %d: %s", i+1, strings.Repeat("lorem ipsum ", 4))
		switch {
		case i%20 == 19:
			_, err = svc.Do(ctx, id, "agent1", interaction.Note{Text: text})
		case i%2 == 0:
			err = svc.Post(ctx, id, "contact", text)
		default:
			err = svc.Post(ctx, id, "agent1", text)
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	st, err := svc.State(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	return st
}

func BenchmarkExportPeakHeap(b *testing.B) {
	ways := []struct {
		name  string
		write func(io.Writer, *interaction.State, interaction.PartyID) error
	}{
		{"streamed-json", history.WriteJSONExport},
		{"streamed-text", history.WriteTextExport},
		{"whole-json", func(w io.Writer, st *interaction.State, viewer interaction.PartyID) error {
			x, err := history.NewExport(st, viewer)
			if err != nil {
				return err
			}
			return x.WriteJSON(w)
		}},
	}
	for _, n := range []int{10, 1000, 10000, 100000} {
		st := exportChat(b, n)
		for _, way := range ways {
			b.Run(fmt.Sprintf("messages=%d/%s", n, way.name), func(b *testing.B) {
				// One export to learn its size, so that the samples are few;
				// one to measure its peak heap; then the timed ones.
				size := &heapSampler{every: ^uint64(0)}
				if err := way.write(size, st, "agent1"); err != nil {
					b.Fatal(err)
				}
				base := liveHeap()
				h := &heapSampler{every: max(4<<10, size.n/32), total: size.n}
				if err := way.write(h, st, "agent1"); err != nil {
					b.Fatal(err)
				}
				var peak uint64
				if h.peak > base {
					peak = h.peak - base
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := way.write(io.Discard, st, "agent1"); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(peak), "peak-B/op")
				b.ReportMetric(float64(size.n), "out-B/op")
				runtime.KeepAlive(st)
			})
		}
	}
}
