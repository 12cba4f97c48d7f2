package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// Instance is one service instance (one process, in production) on a
// store that several instances share.
type Instance struct {
	// Store is the instance's handle on the shared store.
	Store interaction.Store
	// Log is the shared log as followers on this instance read it: its
	// Changed channel must hear of appends made through every instance.
	Log interaction.LogWatcher
	// Notifier is what the instance's Service calls after an append.
	Notifier interaction.Notifier
	// Subscribe delivers, on this instance, the events party may see (as
	// interaction.MemoryNotifier filters them), whichever instance wrote them.
	Subscribe func(party interaction.PartyID) *interaction.Subscription
}

// NewInstances returns n instances on one fresh, empty store, and
// arranges for their cleanup through t.
type NewInstances func(t *testing.T, n int) []Instance

// TestNotifier runs the notification conformance suite: followers of the
// Log and party subscriptions, across instances.
func TestNotifier(t *testing.T, newInstances NewInstances) {
	tests := []struct {
		name string
		run  func(*testing.T, []Instance)
	}{
		{"RX5FollowersGetEveryEventOfEveryInstance", testFollowersSeeAll},
		{"FollowerResumesFromSavedPosition", testFollowerResumes},
		{"AppendWithoutNotifyStillReachesFollowers", testAppendWithoutNotify},
		{"RC5PartySubscriptionsGetWhatThePartyMaySee", testPartySubscriptions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newInstances(t, 2))
		})
	}
}

// waitLimit bounds every wait for a delivery: a lost notification fails
// the test instead of hanging it. It is never slept.
const waitLimit = 20 * time.Second

func newService(in Instance, prefix string) *interaction.Service {
	return interaction.NewService(interaction.WithStore(in.Store), interaction.WithNotifier(in.Notifier),
		interaction.WithClock(chatconsulttest.NewManualClock()), interaction.WithIDs(chatconsulttest.NewSequentialIDs(prefix)))
}

// story runs the seed's consultation on svc: chat, consultation with
// private messages (R-C5), conference, owner leaves, and a last message
// that everyone in the chat sees. It returns the interaction.
func story(t *testing.T, svc *interaction.Service, contact string) interaction.ID {
	t.Helper()
	id, err := runStory(svc, contact)
	require.NoError(t, err)
	return id
}

// runStory is story for goroutines other than the test's.
func runStory(svc *interaction.Service, contact string) (interaction.ID, error) {
	desk := consult.New(svc, consult.WithInviteTimeout(0))
	c := interaction.PartyID(contact)
	id, err := svc.Open(ctx, c, "Hello, my invoice is wrong")
	if err != nil {
		return "", err
	}
	var leg interaction.LegID
	var req interaction.RequestID
	steps := []func() error{
		func() error { return svc.Assign(ctx, id, interaction.System, "agent1") },
		func() error { return svc.Join(ctx, id, "agent1") },
		func() error { return svc.Post(ctx, id, "agent1", "Let me check") },
		func() (err error) {
			leg, err = desk.Start(ctx, id, "agent1", interaction.Target{Kind: interaction.TargetAgent, ID: "agent2"}, interaction.MediumChat)
			return err
		},
		func() error { return desk.Accept(ctx, id, "agent2", leg) },
		func() error { return desk.Say(ctx, id, "agent1", leg, "Can I refund this?") },
		func() error { return desk.Say(ctx, id, "agent2", leg, "Yes, up to 50 EUR") },
		func() (err error) { req, err = desk.Conference(ctx, id, "agent1", leg); return err },
		func() error { return desk.AcceptRequest(ctx, id, "agent2", req) },
		func() error { return svc.Leave(ctx, id, "agent1") },
		func() error { return svc.Post(ctx, id, "agent2", "You get a refund of 50 EUR") },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return id, fmt.Errorf("story step %d: %w", i+1, err)
		}
	}
	return id, nil
}

// follow collects events from f until it holds n, or fails the test.
func follow(t *testing.T, f *interaction.LogFollower, n int) []interaction.Event {
	t.Helper()
	wait, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	var out []interaction.Event
	for len(out) < n {
		ev, err := f.Next(wait)
		require.NoErrorf(t, err, "after %d of %d events", len(out), n)
		out = append(out, ev)
	}
	return out
}

func readAll(t *testing.T, l interaction.Log) []interaction.Event {
	t.Helper()
	all, err := l.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	return all
}

// R-X5: a follower on any instance gets every event, whichever instance
// wrote it, in the Log's order, each once.
func testFollowersSeeAll(t *testing.T, ins []Instance) {
	followers := []*interaction.LogFollower{interaction.FollowLog(ins[0].Log, 0), interaction.FollowLog(ins[1].Log, 0)}
	var wg sync.WaitGroup
	errs := make([]error, len(ins))
	for i, in := range ins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := newService(in, fmt.Sprintf("i%d-", i))
			for k := 0; k < 3 && errs[i] == nil; k++ {
				_, errs[i] = runStory(svc, fmt.Sprintf("contact-%d-%d", i, k))
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	want := readAll(t, ins[0].Log)
	require.NotEmpty(t, want)
	for i, f := range followers {
		got := follow(t, f, len(want))
		requireSameEvents(t, want, got, "follower on instance %d", i)
		assert.Equal(t, want[len(want)-1].Position, f.Position())
	}
}

// A follower that stops (its process restarts) and follows again from
// the position it saved gets exactly what came after, also what was
// committed while it was away.
func testFollowerResumes(t *testing.T, ins []Instance) {
	svc := newService(ins[0], "w-")
	story(t, svc, "contact-1")
	first := readAll(t, ins[1].Log)
	f := interaction.FollowLog(ins[1].Log, 0)
	half := follow(t, f, len(first)/2)
	saved := f.Position()
	require.Equal(t, half[len(half)-1].Position, saved)

	story(t, svc, "contact-2") // while the follower is away
	all := readAll(t, ins[1].Log)
	var want []interaction.Event
	for _, ev := range all {
		if ev.Position > saved {
			want = append(want, ev)
		}
	}
	resumed := interaction.FollowLog(ins[1].Log, saved)
	requireSameEvents(t, want, follow(t, resumed, len(want)))
}

// A writer that crashes between append and notify (here: it appends
// straight to the Store, and no Notifier ever hears of it) loses nothing:
// followers on the other instance still get the events, also a follower
// already waiting for them.
func testAppendWithoutNotify(t *testing.T, ins []Instance) {
	f := interaction.FollowLog(ins[1].Log, 0)
	one := messages("crashy", 0, 2, "c1")
	require.NoError(t, ins[0].Store.Append(ctx, "crashy", 0, one))
	requireSameEvents(t, one, follow(t, f, 2))

	got := make(chan []interaction.Event, 1)
	go func() {
		wait, cancel := context.WithTimeout(ctx, waitLimit)
		defer cancel()
		var out []interaction.Event
		for len(out) < 3 {
			ev, err := f.Next(wait)
			if err != nil {
				break
			}
			out = append(out, ev)
		}
		got <- out
	}()
	two := messages("crashy", 2, 3, "c2")
	require.NoError(t, ins[0].Store.Append(ctx, "crashy", 2, two))
	requireSameEvents(t, two, <-got, "the waiting follower woke up")
}

// R-C5, R-X6: a party subscribed on one instance gets exactly the events
// it may see from commands run on the other: the contact never sees the
// consultation, a stranger sees nothing.
func testPartySubscriptions(t *testing.T, ins []Instance) {
	parties := []interaction.PartyID{"contact", "agent1", "agent2", "stranger"}
	subs := map[interaction.PartyID]*interaction.Subscription{}
	for _, p := range parties {
		subs[p] = ins[1].Subscribe(p)
		defer subs[p].Close()
	}
	id := story(t, newService(ins[0], "w-"), "contact")
	all := readAll(t, ins[0].Log)
	want := expectedDeliveries(t, all, parties)
	require.NotEmpty(t, want["contact"])

	for _, p := range []interaction.PartyID{"contact", "agent2", "agent1"} {
		wait, cancel := context.WithTimeout(ctx, waitLimit)
		var got []interaction.Event
		for len(got) < len(want[p]) {
			ev, err := subs[p].Next(wait)
			require.NoErrorf(t, err, "%s: after %d of %d events", p, len(got), len(want[p]))
			got = append(got, ev)
		}
		cancel()
		requireSameEvents(t, want[p], got, "events delivered to %s", p)
	}
	// The last event (agent2's message to the chat) reached the contact and
	// agent2, so the deliveries before it are done: nothing extra is queued.
	for _, p := range parties {
		ev, extra := subs[p].TryNext()
		assert.Falsef(t, extra, "%s got an event it may not see: %+v", p, ev)
	}
	for _, ev := range want["contact"] {
		assert.NotEqual(t, interaction.ScopeLeg, ev.Scope.Kind, "R-C5: the contact never sees the consultation")
	}
	assert.Empty(t, want["stranger"])
	assert.Equal(t, id, want["contact"][0].Interaction)
}

// expectedDeliveries is what interaction.MemoryNotifier hands each party
// when a Service notifies it command by command: per command (a run of
// events with one Cause), the events the party may see in the state after
// the command.
func expectedDeliveries(t *testing.T, all []interaction.Event, parties []interaction.PartyID) map[interaction.PartyID][]interaction.Event {
	t.Helper()
	out := map[interaction.PartyID][]interaction.Event{}
	st := &interaction.State{}
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].Cause == all[i].Cause && all[j].Interaction == all[i].Interaction {
			require.NoError(t, st.Apply(&all[j]))
			j++
		}
		for _, p := range parties {
			if st.Party(p) == nil {
				continue
			}
			// What the party may see of the command, as it may see it
			// (its own numbering, no actor or cause it may not know).
			out[p] = append(out[p], st.EventsFor(p, all[i:j], nil)...)
		}
		i = j
	}
	return out
}
