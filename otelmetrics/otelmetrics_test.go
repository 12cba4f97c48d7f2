package otelmetrics_test

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/chatconsult/chatconsult"
	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/observe"
	"github.com/chatconsult/chatconsult/otelmetrics"
	"github.com/chatconsult/chatconsult/routing"
)

// The library's own events, through the adapter, read back with the SDK's
// in-memory reader: commands by name and outcome with their durations, a
// consultation that timed out and was offered on (R-X1), a retried command
// ID, a lagging subscription.
func TestMetricsReadBack(t *testing.T) {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	obs, err := otelmetrics.New(provider)
	if err != nil {
		t.Fatal(err)
	}
	clock := chatconsulttest.NewManualClock()
	sys := chatconsult.New(chatconsult.WithClock(clock), chatconsult.WithIDs(chatconsulttest.NewSequentialIDs("")), chatconsult.WithObserver(obs))
	defer sys.Close()
	for _, a := range []chatconsult.Agent{
		{ID: "agent1", Skills: map[string]int{"support": 1}},
		{ID: "b1", Skills: map[string]int{"billing": 1}},
		{ID: "b2", Skills: map[string]int{"billing": 1}},
	} {
		must(t, sys.Routing.Put(a))
		must(t, sys.Routing.SetPresence(ctx, a.ID, routing.Ready))
		clock.Advance(time.Second)
	}
	id, err := sys.Chats.Open(ctx, "contact", "Hello")
	must(t, err)
	must(t, sys.Chats.Assign(ctx, id, interaction.System, "agent1"))
	must(t, sys.Chats.Join(ctx, id, "agent1"))
	if err := sys.Chats.Join(ctx, id, "agent1"); err == nil {
		t.Fatal("second join not refused")
	}
	for range 2 {
		_, err := sys.Chats.DoCommand(ctx, id, "agent1", "post-1", interaction.Post{Text: "once"})
		must(t, err)
	}
	_, err = sys.Consult.Start(ctx, id, "agent1", chatconsult.Target{Kind: interaction.TargetSkill, ID: "billing"}, interaction.MediumChat)
	must(t, err)
	clock.Advance(31 * time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for len(sys.Routing.Invitations("b2")) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	obs.Observe(ctx, observe.Event{Kind: observe.KindSubscriptionLag, Op: "sse", N: 7})
	obs.Observe(ctx, observe.Event{Kind: observe.KindRelayLag, Took: 250 * time.Millisecond, N: 1})

	var rm metricdata.ResourceMetrics
	must(t, reader.Collect(ctx, &rm))
	sums := map[string]int64{}
	hists := map[string]uint64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					op, _ := p.Attributes.Value("op")
					outcome, _ := p.Attributes.Value("outcome")
					sums[m.Name+" "+op.AsString()+" "+outcome.AsString()] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					op, _ := p.Attributes.Value("op")
					outcome, _ := p.Attributes.Value("outcome")
					hists[m.Name+" "+op.AsString()+" "+outcome.AsString()] += p.Count
				}
			}
		}
	}
	for key, want := range map[string]int64{
		"chatconsult.commands interaction.Open ok":            1,
		"chatconsult.commands interaction.Join ok":            1,
		"chatconsult.commands interaction.Join not_permitted": 1,
		"chatconsult.commands interaction.Post ok":            2,
		"chatconsult.commands consult.Start ok":               1,
		"chatconsult.commands consult.Reroute ok":             1,
		"chatconsult.retries  ok":                             1,
		"chatconsult.timeouts invitation ":                    1,
		"chatconsult.redirects timed_out ":                    1,
		"chatconsult.subscription.lags sse ":                  1,
		"chatconsult.subscription.dropped sse ":               7,
	} {
		if sums[key] != want {
			t.Errorf("%s = %d, want %d (all: %v)", key, sums[key], want, sums)
		}
	}
	for key, want := range map[string]uint64{
		"chatconsult.command.duration interaction.Post ok": 2,
		"chatconsult.relay.lag  ":                          1,
	} {
		if hists[key] != want {
			t.Errorf("%s: %d recorded, want %d (all: %v)", key, hists[key], want, hists)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
