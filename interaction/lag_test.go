package interaction_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/internal/benchstory"
)

// A subscriber that never reads does not hold commands up and does not
// grow past its limit; it is told it fell behind (a LagError naming where
// to resume), and the events it missed, read through the Store with
// EventsSince, complete exactly what a subscriber that kept up received.
func TestSubscriptionBoundedLagResumes(t *testing.T) {
	ctx := context.Background()
	slow := interaction.NewMemoryNotifier().WithQueueLimit(3)
	keeps := interaction.NewMemoryNotifier()
	lagging := slow.Subscribe("agent1")
	reference := keeps.Subscribe("agent1")
	svc := interaction.NewService(interaction.WithNotifier(interaction.Notifiers{slow, keeps}), interaction.WithClock(chatconsulttest.NewManualClock()),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("")))
	id, err := benchstory.Consultation(ctx, svc)
	if err != nil {
		t.Fatal(err)
	}
	want := reference.Drain()
	if len(want) <= 3 {
		t.Fatalf("story too short: %d events", len(want))
	}
	if !lagging.Lagged() {
		t.Fatal("the slow subscription was not marked as lagging")
	}
	var got []interaction.Event
	for {
		c, cancel := context.WithTimeout(ctx, time.Second)
		ev, err := lagging.Next(c)
		cancel()
		var lag *interaction.LagError
		if errors.As(err, &lag) {
			if !errors.Is(err, interaction.ErrLagged) || lag.After[id] != 3 || lag.Dropped == 0 {
				t.Fatalf("lag %+v", lag)
			}
			rest, err := svc.EventsSince(ctx, id, "agent1", lag.After[id])
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, rest...)
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("resumed events differ:\n%+v\nwant\n%+v", got, want)
	}
	if lagging.Lagged() || lagging.TakeLag() != nil {
		t.Fatal("the lag is told once")
	}
	// From the beginning, EventsSince is the live numbering.
	all, err := svc.EventsSince(ctx, id, "agent1", 0)
	if err != nil || !reflect.DeepEqual(all, want) {
		t.Fatalf("EventsSince(0): %v", err)
	}
	if _, err := svc.EventsSince(ctx, id, "stranger", 0); !errors.Is(err, interaction.ErrNotPermitted) {
		t.Fatalf("stranger: %v", err)
	}
	if _, err := svc.EventsSince(ctx, "nope", "agent1", 0); !errors.Is(err, interaction.ErrNotFound) {
		t.Fatalf("no interaction: %v", err)
	}
}

// A delta subscription is bounded the same way.
func TestDeltaSubscriptionBounded(t *testing.T) {
	n := interaction.NewMemoryNotifier().WithQueueLimit(2)
	sub := n.SubscribeDeltas("agent2")
	svc := interaction.NewService(interaction.WithNotifier(n), interaction.WithClock(chatconsulttest.NewManualClock()),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("")))
	if _, err := benchstory.Consultation(context.Background(), svc); err != nil {
		t.Fatal(err)
	}
	if got := len(sub.DrainDeltas()); got != 2 {
		t.Fatalf("%d deltas queued, limit 2", got)
	}
	if lag := sub.TakeLag(); lag == nil || lag.Dropped == 0 {
		t.Fatalf("lag %+v", lag)
	}
}
