package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// NewRoutingStores returns n handles on one fresh, empty routing store:
// what n instances would each open (for PostgreSQL, n pools on one schema).
type NewRoutingStores func(t *testing.T, n int) []routing.Store

// RoutingInstance is what one service instance opens: an interaction
// Store and a routing Store on one database, and what tells the instance
// that the routing store changed.
type RoutingInstance struct {
	Chats   interaction.Store
	Routing routing.Store
	Watch   routing.Watcher
}

// NewRoutingInstances returns n instances on one fresh, empty database.
type NewRoutingInstances func(t *testing.T, n int) []RoutingInstance

// TestRoutingStore is the conformance suite of a routing.Store (issue 14),
// and of Directories sharing one: every test names the rule it checks
// (R-X1: presence, capacity, holds, redirect on no answer).
func TestRoutingStore(t *testing.T, newStores NewRoutingStores, newInstances NewRoutingInstances) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"StoreProfilePresence", func(t *testing.T) { testRoutingProfile(t, newStores) }},
		{"StoreHoldIsConditional", func(t *testing.T) { testRoutingHoldGuard(t, newStores) }},
		{"StoreCountOncePerVersion", func(t *testing.T) { testRoutingCount(t, newStores) }},
		{"StoreChangeFeed", func(t *testing.T) { testRoutingFeed(t, newStores) }},
		{"StoreHoldRaceNeverExceedsCapacity", func(t *testing.T) { testRoutingHoldRace(t, newStores, 50) }},
		{"ReadyOnAPickableOnB", func(t *testing.T) { testRoutingReadyOnA(t, newStores) }},
		{"AwayOnANotOfferedByB", func(t *testing.T) { testRoutingAwayOnA(t, newStores) }},
		{"DirectoriesRacingPicksNeverExceedCapacity", func(t *testing.T) { testRoutingPickRace(t, newStores, 30) }},
		{"ConcurrentPicksSpreadOverCandidates", func(t *testing.T) { testRoutingPicksSpread(t, newStores) }},
		{"PruneLosesNoChangeAndKeepsLiveGuards", func(t *testing.T) { testRoutingPrune(t, newStores) }},
		{"CrashedInstanceHoldExpires", func(t *testing.T) { testRoutingCrashedHold(t, newStores) }},
		{"RestartRecountsLoadsFromOpenInteractions", func(t *testing.T) { testRoutingRestart(t, newInstances) }},
		{"OfflineAgentOfferRedirectedOnce", func(t *testing.T) { testRoutingOffline(t, newInstances) }},
	} {
		t.Run(tc.name, tc.run)
	}
}

var (
	skillBilling = interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}
	t0           = time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
)

func billingAgent(id interaction.PartyID, chats int) routing.Agent {
	return routing.Agent{ID: id, Skills: map[string]int{"billing": 1}, Capacity: routing.Capacity{interaction.MediumChat: chats}}
}

// testRoutingProfile: Put, SetPresence and Remove as the Directory uses them.
func testRoutingProfile(t *testing.T, newStores NewRoutingStores) {
	s := newStores(t, 1)[0]
	rec, err := s.Put(ctx, billingAgent("ann", 2), t0)
	require.NoError(t, err)
	assert.True(t, rec.Registered)
	assert.Equal(t, routing.LoggedOut, rec.Presence, "a new agent is logged out")
	assert.True(t, rec.IdleSince.Equal(t0))
	first := rec.Seq
	rec2, err := s.Put(ctx, billingAgent("bob", 1), t0)
	require.NoError(t, err)
	assert.Greater(t, rec2.Seq, first, "registration order")

	rec, err = s.SetPresence(ctx, "ann", routing.Ready, t0.Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, routing.Ready, rec.Presence)
	assert.True(t, rec.IdleSince.Equal(t0.Add(time.Second)), "ready makes it idle since now")
	before := rec.Rev
	rec, err = s.Put(ctx, routing.Agent{ID: "ann", Groups: []string{"g"}, Skills: map[string]int{"billing": 3}}, t0.Add(2*time.Second))
	require.NoError(t, err)
	assert.Equal(t, routing.Ready, rec.Presence, "a new profile keeps the presence")
	assert.Equal(t, 3, rec.Agent.Level("billing"))
	assert.Equal(t, []string{"g"}, rec.Agent.Groups)
	assert.Greater(t, rec.Rev, before)

	_, err = s.SetPresence(ctx, "nobody", routing.Ready, t0)
	assert.ErrorIs(t, err, interaction.ErrNotFound)
	_, err = s.Put(ctx, routing.Agent{ID: ""}, t0)
	assert.ErrorIs(t, err, interaction.ErrBadInput)

	rec, err = s.Remove(ctx, "bob")
	require.NoError(t, err)
	assert.False(t, rec.Registered)
	_, err = s.Remove(ctx, "bob")
	assert.ErrorIs(t, err, interaction.ErrNotFound)
	_, err = s.Hold(ctx, routing.HoldRequest{ID: "h", Holder: "x", Agent: "bob", At: t0, Expires: t0.Add(time.Minute)})
	assert.ErrorIs(t, err, interaction.ErrNotFound, "a removed agent is held by nobody")
}

// testRoutingHoldGuard: a hold needs the presence asked for and a free
// unit; Release gives it back, Expire drops it at its deadline (R-X1).
func testRoutingHoldGuard(t *testing.T, newStores NewRoutingStores) {
	s := newStores(t, 1)[0]
	_, err := s.Put(ctx, billingAgent("ann", 2), t0)
	require.NoError(t, err)
	hold := func(id string, need routing.Need, at time.Time) (routing.Record, error) {
		return s.Hold(ctx, routing.HoldRequest{ID: id, Holder: "i1", Agent: "ann", Medium: interaction.MediumChat, Need: need, At: at, Expires: at.Add(time.Minute)})
	}
	_, err = hold("h1", routing.NeedReady, t0)
	assert.ErrorIs(t, err, interaction.ErrConflict, "logged out: not ready")
	rec, err := hold("h1", routing.NeedAny, t0.Add(time.Second))
	require.NoError(t, err, "capacity only")
	assert.Equal(t, 1, rec.Held.Of(interaction.MediumChat))
	assert.True(t, rec.HoldsExpire.Equal(t0.Add(time.Second+time.Minute)))
	assert.True(t, rec.IdleSince.Equal(t0.Add(time.Second)), "picked: idle since the hold")
	_, err = s.SetPresence(ctx, "ann", routing.NotReady, t0)
	require.NoError(t, err)
	_, err = hold("h2", routing.NeedReady, t0.Add(2*time.Second))
	assert.ErrorIs(t, err, interaction.ErrConflict)
	_, err = hold("h2", routing.NeedReachable, t0.Add(2*time.Second))
	require.NoError(t, err, "not ready is reachable by name")
	rec, err = hold("h3", routing.NeedAny, t0.Add(3*time.Second))
	assert.ErrorIs(t, err, interaction.ErrConflict, "at capacity")
	assert.Equal(t, 2, rec.Held.Of(interaction.MediumChat), "a refusal returns the current record")
	_, err = s.Hold(ctx, routing.HoldRequest{ID: "v", Holder: "i1", Agent: "ann", Medium: interaction.MediumVoice, Need: routing.NeedAny, At: t0, Expires: t0.Add(time.Minute)})
	assert.ErrorIs(t, err, interaction.ErrConflict, "no voice capacity")

	rec, ok, err := s.Release(ctx, "h2")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 1, rec.Held.Of(interaction.MediumChat))
	_, ok, err = s.Release(ctx, "h2")
	require.NoError(t, err)
	assert.False(t, ok, "released twice")

	changed, next, err := s.Expire(ctx, t0.Add(time.Minute))
	require.NoError(t, err)
	assert.Empty(t, changed, "not due yet")
	assert.True(t, next.Equal(t0.Add(time.Second+time.Minute)))
	changed, next, err = s.Expire(ctx, t0.Add(time.Second+time.Minute))
	require.NoError(t, err)
	require.Len(t, changed, 1)
	assert.Equal(t, 0, changed[0].Held.Of(interaction.MediumChat))
	assert.True(t, changed[0].HoldsExpire.IsZero())
	assert.True(t, next.IsZero())
}

// testRoutingCount: counts follow the latest version of each interaction,
// consume the counting holder's holds, and list pending offers.
func testRoutingCount(t *testing.T, newStores NewRoutingStores) {
	s := newStores(t, 1)[0]
	_, err := s.Put(ctx, billingAgent("ann", 3), t0)
	require.NoError(t, err)
	_, err = s.SetPresence(ctx, "ann", routing.Ready, t0)
	require.NoError(t, err)
	for i, holder := range []string{"i1", "i2"} {
		_, err = s.Hold(ctx, routing.HoldRequest{ID: fmt.Sprint("h", i), Holder: holder, Agent: "ann", Medium: interaction.MediumChat, At: t0, Expires: t0.Add(time.Minute)})
		require.NoError(t, err)
	}
	reserved := routing.Holding{}
	reserved.Reserved[interaction.MediumChat] = 1
	res, err := s.Count(ctx, routing.CountRequest{Interaction: "chat-1", Version: 3, Holder: "i1", At: t0.Add(time.Second),
		Holdings: map[interaction.PartyID]routing.Holding{"ann": reserved, "own": {Load: routing.Units{1}}},
		Offers:   map[interaction.PartyID][]interaction.InvitationID{"ann": {"leg-1"}}})
	require.NoError(t, err)
	require.True(t, res.Applied)
	assert.Equal(t, []string{"h0"}, res.Consumed, "i1's hold became the reservation, i2's stays")
	ann := recordOf(t, res.Changed, "ann")
	assert.Equal(t, 1, ann.Reserved.Of(interaction.MediumChat))
	assert.Equal(t, 1, ann.Held.Of(interaction.MediumChat))
	assert.True(t, ann.IdleSince.Equal(t0.Add(time.Second)))
	own := recordOf(t, res.Changed, "own")
	assert.False(t, own.Registered, "counted though never put")
	assert.Equal(t, 1, own.Load.Of(interaction.MediumChat))

	res, err = s.Count(ctx, routing.CountRequest{Interaction: "chat-1", Version: 3, Holder: "i2", At: t0,
		Holdings: map[interaction.PartyID]routing.Holding{"ann": reserved}})
	require.NoError(t, err)
	assert.False(t, res.Applied, "a version counted already")
	offers, err := s.Offers(ctx, "ann")
	require.NoError(t, err)
	assert.Equal(t, []routing.Offer{{Interaction: "chat-1", Invitation: "leg-1"}}, offers)
	counted, err := s.Counted(ctx, "", 0)
	require.NoError(t, err)
	assert.Equal(t, []interaction.ID{"chat-1"}, counted)

	loaded := routing.Holding{}
	loaded.Load[interaction.MediumChat] = 1
	res, err = s.Count(ctx, routing.CountRequest{Interaction: "chat-1", Version: 5, Holder: "i2", At: t0.Add(2 * time.Second),
		Holdings: map[interaction.PartyID]routing.Holding{"ann": loaded}})
	require.NoError(t, err)
	require.True(t, res.Applied)
	assert.Empty(t, res.Consumed, "accepting moves the reservation to load: nothing grew")
	ann = recordOf(t, res.Changed, "ann")
	assert.Equal(t, 1, ann.Load.Of(interaction.MediumChat))
	assert.Equal(t, 0, ann.Reserved.Of(interaction.MediumChat))
	own = recordOf(t, res.Changed, "own")
	assert.Equal(t, 0, own.Load.Of(interaction.MediumChat), "gone from the holdings: released")
	offers, err = s.Offers(ctx, "ann")
	require.NoError(t, err)
	assert.Empty(t, offers)

	res, err = s.Count(ctx, routing.CountRequest{Interaction: "chat-1", Version: 9, At: t0.Add(3 * time.Second)})
	require.NoError(t, err)
	require.True(t, res.Applied)
	counted, err = s.Counted(ctx, "", 0)
	require.NoError(t, err)
	assert.Empty(t, counted, "nothing held: not counted any more")
	recs, _, err := s.Snapshot(ctx)
	require.NoError(t, err)
	ann = recordOf(t, recs, "ann")
	assert.Equal(t, routing.Units{}, ann.Load)
	assert.Equal(t, 1, ann.Held.Of(interaction.MediumChat), "i2's hold is still there")
}

func recordOf(t *testing.T, recs []routing.Record, id interaction.PartyID) routing.Record {
	t.Helper()
	for _, r := range recs {
		if r.Agent.ID == id {
			return r
		}
	}
	require.Failf(t, "no record", "of %s in %d records", id, len(recs))
	return routing.Record{}
}

// testRoutingFeed: every change reaches every handle through Changes, read
// from the position of a Snapshot; each agent once per read, newest state.
func testRoutingFeed(t *testing.T, newStores NewRoutingStores) {
	ss := newStores(t, 2)
	a, b := ss[0], ss[1]
	recs, pos, err := b.Snapshot(ctx)
	require.NoError(t, err)
	assert.Empty(t, recs)
	_, err = a.Put(ctx, billingAgent("ann", 2), t0)
	require.NoError(t, err)
	_, err = a.SetPresence(ctx, "ann", routing.Ready, t0)
	require.NoError(t, err)
	_, err = a.Put(ctx, billingAgent("bob", 2), t0)
	require.NoError(t, err)
	got := map[interaction.PartyID]routing.Record{}
	require.Eventually(t, func() bool {
		recs, next, err := b.Changes(ctx, pos, 0)
		require.NoError(t, err)
		pos = next
		for _, r := range recs {
			got[r.Agent.ID] = r
		}
		return len(got) == 2
	}, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, routing.Ready, got["ann"].Presence)
	recs, next, err := b.Changes(ctx, pos, 0)
	require.NoError(t, err)
	assert.Empty(t, recs, "nothing new")
	assert.Equal(t, pos, next)
	_, err = a.SetPresence(ctx, "bob", routing.Away, t0)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		recs, next, err := b.Changes(ctx, pos, 0)
		require.NoError(t, err)
		pos = next
		return len(recs) == 1 && recs[0].Agent.ID == "bob" && recs[0].Presence == routing.Away
	}, 5*time.Second, 10*time.Millisecond)
}

// testRoutingHoldRace: goroutines on every handle race Holds on agents of
// capacity 2 (R-X1): per round, no agent is held more than its capacity,
// every refusal is ErrConflict, and when the holds are given back none is
// left.
func testRoutingHoldRace(t *testing.T, newStores NewRoutingStores, rounds int) {
	ss := newStores(t, 2)
	const agents, capacity, workers = 3, 2, 8
	for i := range agents {
		_, err := ss[0].Put(ctx, billingAgent(interaction.PartyID(fmt.Sprint("a", i)), capacity), t0)
		require.NoError(t, err)
		_, err = ss[0].SetPresence(ctx, interaction.PartyID(fmt.Sprint("a", i)), routing.Ready, t0)
		require.NoError(t, err)
	}
	var ids atomic.Int64
	for round := range rounds {
		var mu sync.Mutex
		won := map[interaction.PartyID][]string{}
		var wg sync.WaitGroup
		for w := range 2 * workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := ss[w%2]
				agent := interaction.PartyID(fmt.Sprint("a", (w+round)%agents))
				id := fmt.Sprint("h", ids.Add(1))
				_, err := s.Hold(ctx, routing.HoldRequest{ID: id, Holder: fmt.Sprint("i", w%2), Agent: agent, Medium: interaction.MediumChat, At: t0, Expires: t0.Add(time.Hour)})
				if err != nil {
					assert.ErrorIs(t, err, interaction.ErrConflict)
					return
				}
				mu.Lock()
				won[agent] = append(won[agent], id)
				mu.Unlock()
			}()
		}
		wg.Wait()
		for agent, hs := range won {
			require.LessOrEqual(t, len(hs), capacity, "round %d: %s held %d times", round, agent, len(hs))
			for _, id := range hs {
				_, ok, err := ss[1].Release(ctx, id)
				require.NoError(t, err)
				require.True(t, ok)
			}
		}
	}
	recs, _, err := ss[0].Snapshot(ctx)
	require.NoError(t, err)
	for _, r := range recs {
		assert.Equal(t, routing.Units{}, r.Held, "%s left held", r.Agent.ID)
	}
}

// sharedDirectory is one instance's Directory on a shared routing store.
func sharedDirectory(s routing.Store, clock interaction.Clock, name string, opts ...routing.Option) *routing.Directory {
	return routing.NewDirectory(append([]routing.Option{routing.WithClock(clock), routing.WithStore(s), routing.WithHolder(name)}, opts...)...)
}

// testRoutingReadyOnA: an agent registered and set ready on instance A is
// picked by instance B, which had never heard of it (R-X1).
func testRoutingReadyOnA(t *testing.T, newStores NewRoutingStores) {
	ss := newStores(t, 2)
	clock := chatconsulttest.NewManualClock()
	a, b := sharedDirectory(ss[0], clock, "a"), sharedDirectory(ss[1], clock, "b")
	_, err := b.Pick(ctx, skillBilling, interaction.MediumChat, nil)
	require.ErrorIs(t, err, interaction.ErrNotFound, "nobody yet")
	require.NoError(t, a.PutContext(ctx, billingAgent("ann", 1)))
	require.NoError(t, a.SetPresence(ctx, "ann", routing.Ready))
	got, err := b.Pick(ctx, skillBilling, interaction.MediumChat, nil)
	require.NoError(t, err)
	assert.Equal(t, interaction.PartyID("ann"), got)
	_, err = a.Pick(ctx, skillBilling, interaction.MediumChat, nil)
	require.ErrorIs(t, err, interaction.ErrNotFound, "B's hold took ann's only unit, whatever A's cache said")
	require.NoError(t, b.ReleaseContext(ctx, "ann", interaction.MediumChat))
	got, err = a.Pick(ctx, skillBilling, interaction.MediumChat, nil)
	require.NoError(t, err, "released on B: free on A")
	assert.Equal(t, interaction.PartyID("ann"), got)
	require.NoError(t, b.Refresh(ctx))
	st, ok := b.Agent("ann")
	require.True(t, ok)
	assert.Equal(t, 1, st.Held.Of(interaction.MediumChat), "B's cache hears of A's hold")
}

// testRoutingAwayOnA: once SetPresence(Away) returned on A, B does not
// offer the agent, even from a cache that still says ready (R-X1).
func testRoutingAwayOnA(t *testing.T, newStores NewRoutingStores) {
	ss := newStores(t, 2)
	clock := chatconsulttest.NewManualClock()
	a, b := sharedDirectory(ss[0], clock, "a"), sharedDirectory(ss[1], clock, "b")
	for _, id := range []interaction.PartyID{"ann", "bob"} {
		clock.Advance(time.Second)
		require.NoError(t, a.PutContext(ctx, billingAgent(id, 5)))
		require.NoError(t, a.SetPresence(ctx, id, routing.Ready))
	}
	require.NoError(t, b.Refresh(ctx))
	st, _ := b.Agent("ann")
	require.Equal(t, routing.Ready, st.Presence)
	require.NoError(t, a.SetPresence(ctx, "ann", routing.Away))
	for range 3 {
		got, err := b.Pick(ctx, skillBilling, interaction.MediumChat, nil)
		require.NoError(t, err)
		assert.Equal(t, interaction.PartyID("bob"), got, "ann is away")
	}
	require.NoError(t, a.SetPresence(ctx, "bob", routing.LoggedOut))
	_, err := b.Pick(ctx, skillBilling, interaction.MediumChat, nil)
	require.ErrorIs(t, err, interaction.ErrNotFound)
	_, err = b.Pick(ctx, interaction.Target{Kind: interaction.TargetAgent, ID: "ann"}, interaction.MediumChat, nil)
	require.ErrorIs(t, err, interaction.ErrNotFound, "away: not even by name")
}

// testRoutingPickRace: two Directories, 8 goroutines each, pick a skill of
// 5 agents of capacity 2: per round no agent is picked past its capacity
// (picks hold until released), exactly the free units are handed out, and
// after the releases no agent is left held.
func testRoutingPickRace(t *testing.T, newStores NewRoutingStores, rounds int) {
	ss := newStores(t, 2)
	clock := chatconsulttest.NewManualClock()
	dirs := []*routing.Directory{sharedDirectory(ss[0], clock, "a"), sharedDirectory(ss[1], clock, "b")}
	const agents, capacity, workers = 5, 2, 8
	for i := range agents {
		clock.Advance(time.Second)
		id := interaction.PartyID(fmt.Sprint("a", i))
		require.NoError(t, dirs[0].PutContext(ctx, billingAgent(id, capacity)))
		require.NoError(t, dirs[0].SetPresence(ctx, id, routing.Ready))
	}
	for round := range rounds {
		var mu sync.Mutex
		type pick struct {
			dir   *routing.Directory
			agent interaction.PartyID
		}
		var picks []pick
		var wg sync.WaitGroup
		for w := range 2 * workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dir := dirs[w%2]
				agent, err := dir.Pick(ctx, skillBilling, interaction.MediumChat, nil)
				if err != nil {
					assert.ErrorIs(t, err, interaction.ErrNotFound)
					return
				}
				mu.Lock()
				picks = append(picks, pick{dir, agent})
				mu.Unlock()
			}()
		}
		wg.Wait()
		per := map[interaction.PartyID]int{}
		for _, p := range picks {
			per[p.agent]++
		}
		for agent, n := range per {
			require.LessOrEqual(t, n, capacity, "round %d: %s picked %d times", round, agent, n)
		}
		require.Equal(t, agents*capacity, len(picks), "round %d: 16 pickers, 10 units: all of them handed out", round)
		for _, p := range picks {
			require.NoError(t, p.dir.ReleaseContext(ctx, p.agent, interaction.MediumChat))
		}
	}
	recs, _, err := ss[0].Snapshot(ctx)
	require.NoError(t, err)
	for _, r := range recs {
		assert.Equal(t, routing.Units{}, r.Held, "%s left held", r.Agent.ID)
	}
}

// gatedStore holds every Hold at a gate until the test opens it, and
// reports the agent each one asked for: what concurrent picks look like
// while their holds are under way.
type gatedStore struct {
	routing.Store
	asked chan interaction.PartyID
	gate  chan struct{}
}

func (g *gatedStore) Hold(ctx context.Context, h routing.HoldRequest) (routing.Record, error) {
	g.asked <- h.Agent
	select {
	case <-g.gate:
	case <-ctx.Done():
		return routing.Record{}, ctx.Err()
	}
	return g.Store.Hold(ctx, h)
}

// testRoutingPicksSpread: picks of one Directory whose holds are under way
// at the same time go to different agents, the k+1 longest idle for k
// under way, instead of queueing on the longest idle one; when every
// candidate is in flight a pick still goes ahead on one of them, and the
// Store's guard still decides the capacity (R-C2, R-X1).
func testRoutingPicksSpread(t *testing.T, newStores NewRoutingStores) {
	s := newStores(t, 1)[0]
	clock := chatconsulttest.NewManualClock()
	g := &gatedStore{Store: s, asked: make(chan interaction.PartyID, 16), gate: make(chan struct{})}
	d := sharedDirectory(g, clock, "a")
	setup := sharedDirectory(s, clock, "setup")
	for _, id := range []interaction.PartyID{"ann", "bob", "cat"} { // ann the longest idle
		clock.Advance(time.Second)
		require.NoError(t, setup.PutContext(ctx, billingAgent(id, 2)))
		require.NoError(t, setup.SetPresence(ctx, id, routing.Ready))
	}
	require.NoError(t, d.Refresh(ctx))
	results := make(chan interaction.PartyID, 8)
	pick := func() {
		agent, err := d.Pick(ctx, skillBilling, interaction.MediumChat, nil)
		assert.NoError(t, err)
		results <- agent
	}
	var asked []interaction.PartyID
	for range 3 {
		go pick()
		asked = append(asked, <-g.asked) // under way before the next starts
	}
	assert.Equal(t, []interaction.PartyID{"ann", "bob", "cat"}, asked,
		"three picks under way at once ask for the three longest idle, in order")
	go pick()
	fourth := <-g.asked
	assert.Contains(t, []interaction.PartyID{"ann", "bob", "cat"}, fourth, "every candidate in flight: the pick goes ahead on one")
	close(g.gate)
	got := map[interaction.PartyID]int{}
	for range 4 {
		got[<-results]++
	}
	assert.Equal(t, 4, got["ann"]+got["bob"]+got["cat"])
	recs, _, err := s.Snapshot(ctx)
	require.NoError(t, err)
	for _, r := range recs {
		assert.Equal(t, got[r.Agent.ID], r.Held.Of(interaction.MediumChat), "%s: held as picked", r.Agent.ID)
	}
}

// testRoutingPrune: a Pruner (issue 14: the change and counted rows were
// never pruned) drops every change but each agent's last, and a reader at
// any position, older or newer than the dropped ones, still learns every
// agent changed after it, as it is now; a stale count of an interaction
// that holds nothing stays refused until its guard is older than the
// bound, and the guard of an interaction that holds something is never
// dropped (R-X1).
func testRoutingPrune(t *testing.T, newStores NewRoutingStores) {
	s := newStores(t, 1)[0]
	p, ok := s.(routing.Pruner)
	if !ok {
		t.Skip("the Store is not a routing.Pruner")
	}
	_, start, err := s.Snapshot(ctx)
	require.NoError(t, err)
	for _, id := range []interaction.PartyID{"ann", "bob", "cat"} {
		_, err := s.Put(ctx, billingAgent(id, 2), t0)
		require.NoError(t, err)
	}
	_, middle, err := s.Snapshot(ctx)
	require.NoError(t, err)
	at := t0
	for i := range 20 {
		at = at.Add(time.Second)
		pres := routing.Ready
		if i%2 == 1 {
			pres = routing.NotReady
		}
		for _, id := range []interaction.PartyID{"ann", "bob"} {
			_, err := s.SetPresence(ctx, id, pres, at)
			require.NoError(t, err)
		}
	}
	// Two interactions: one holds ann's chat, one held bob's and no longer does.
	count := func(id interaction.ID, v uint64, agent interaction.PartyID, reserved int, when time.Time) bool {
		hs := map[interaction.PartyID]routing.Holding{}
		if reserved > 0 {
			var h routing.Holding
			h.Reserved[interaction.MediumChat] = reserved
			hs[agent] = h
		}
		res, err := s.Count(ctx, routing.CountRequest{Interaction: id, Version: v, Holdings: hs, At: when})
		require.NoError(t, err)
		return res.Applied
	}
	require.True(t, count("live", 3, "ann", 1, at))
	require.True(t, count("done", 3, "bob", 1, at))
	require.True(t, count("done", 5, "bob", 0, at.Add(time.Second)))
	require.False(t, count("done", 4, "bob", 1, at.Add(2*time.Second)), "a stale count of what no longer holds anything is refused")

	want := map[interaction.PartyID]routing.Record{}
	recs, _, err := s.Snapshot(ctx)
	require.NoError(t, err)
	for _, r := range recs {
		want[r.Agent.ID] = r
	}
	res, err := p.Prune(ctx, at) // the guard of "done" is newer than the bound: kept
	require.NoError(t, err)
	assert.GreaterOrEqual(t, res.Changes, 40, "the repeated changes of ann and bob are dropped")
	assert.Zero(t, res.Counted)
	for _, tc := range []struct {
		name    string
		from    routing.Position
		changed []interaction.PartyID
	}{{"before every change", start, []interaction.PartyID{"ann", "bob", "cat"}}, {"after the puts", middle, []interaction.PartyID{"ann", "bob"}}} {
		name := tc.name
		got, next, err := s.Changes(ctx, tc.from, 0)
		require.NoError(t, err, name)
		byID := map[interaction.PartyID]routing.Record{}
		for _, r := range got {
			byID[r.Agent.ID] = r
		}
		assert.Len(t, byID, len(tc.changed), "%s: every agent changed since is given, once", name)
		for _, id := range tc.changed {
			assert.Equal(t, want[id].Rev, byID[id].Rev, "%s: %s as it is now", name, id)
		}
		again, _, err := s.Changes(ctx, next, 0)
		require.NoError(t, err)
		assert.Empty(t, again, "%s: nothing after the end", name)
	}
	require.False(t, count("done", 4, "bob", 1, at.Add(2*time.Second)), "kept guard: still refused")

	res, err = p.Prune(ctx, at.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, res.Counted, "the guard of the interaction that holds nothing, older than the bound")
	ids, err := s.Counted(ctx, "", 0)
	require.NoError(t, err)
	assert.Equal(t, []interaction.ID{"live"}, ids, "what holds something is kept, whatever its age")
	require.False(t, count("live", 2, "ann", 5, at.Add(time.Hour)), "its guard too")
	// The documented bound: a count delayed past it applies again, and the
	// interaction's next count (Recount: it holds nothing) repairs it.
	require.True(t, count("done", 4, "bob", 1, at.Add(time.Hour)))
	require.True(t, count("done", 6, "bob", 0, at.Add(time.Hour)))
	recs, _, err = s.Snapshot(ctx)
	require.NoError(t, err)
	assert.Zero(t, recordOf(t, recs, "bob").Reserved, "repaired")
	assert.Equal(t, 1, recordOf(t, recs, "ann").Reserved.Of(interaction.MediumChat))
}

// testRoutingCrashedHold: an instance that holds an agent and dies leaves
// a hold with its deadline in the store; once it passes, another instance
// offers the agent again (R-X1).
func testRoutingCrashedHold(t *testing.T, newStores NewRoutingStores) {
	ss := newStores(t, 2)
	clock := chatconsulttest.NewManualClock()
	a := sharedDirectory(ss[0], clock, "a", routing.WithHoldTTL(time.Minute))
	b := sharedDirectory(ss[1], clock, "b")
	require.NoError(t, a.PutContext(ctx, billingAgent("ann", 1)))
	require.NoError(t, a.SetPresence(ctx, "ann", routing.Ready))
	got, err := a.Pick(ctx, skillBilling, interaction.MediumChat, nil)
	require.NoError(t, err)
	require.Equal(t, interaction.PartyID("ann"), got)
	a = nil // A dies holding ann: nobody will release or count it
	_, err = b.Pick(ctx, skillBilling, interaction.MediumChat, nil)
	require.ErrorIs(t, err, interaction.ErrNotFound, "held by A")
	clock.Advance(59 * time.Second)
	_, err = b.Pick(ctx, skillBilling, interaction.MediumChat, nil)
	require.ErrorIs(t, err, interaction.ErrNotFound, "not expired yet")
	clock.Advance(time.Second)
	got, err = b.Pick(ctx, skillBilling, interaction.MediumChat, nil)
	require.NoError(t, err, "A's hold expired at its stored deadline")
	assert.Equal(t, interaction.PartyID("ann"), got)
}

// routingDesk is one instance's stack on a RoutingInstance.
type routingDesk struct {
	dir   *routing.Directory
	chats *interaction.Service
	desk  *consult.Service
}

func newRoutingDesk(in RoutingInstance, clock interaction.Clock, name string, notify bool) *routingDesk {
	d := &routingDesk{dir: sharedDirectory(in.Routing, clock, name)}
	var n interaction.Notifier = interaction.Notifiers{d.dir, interaction.NewMemoryNotifier()}
	if !notify {
		n = interaction.NewMemoryNotifier() // a Service whose counts are lost
	}
	d.chats = interaction.NewService(interaction.WithStore(in.Chats), interaction.WithClock(clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs(name+"-")), interaction.WithNotifier(n))
	d.desk = consult.New(d.chats, consult.WithRouter(d.dir), consult.WithInviteTimeout(30*time.Second))
	d.dir.RescindWith(d.desk)
	return d
}

func (d *routingDesk) chat(t *testing.T, owner interaction.PartyID) interaction.ID {
	t.Helper()
	id, err := d.chats.Open(ctx, "contact-of-"+owner, "Hello")
	require.NoError(t, err)
	require.NoError(t, d.chats.Assign(ctx, id, interaction.System, owner))
	require.NoError(t, d.chats.Join(ctx, id, owner))
	return id
}

// expectedLoads is what the open interactions hold, per agent: the figure
// the Store's loads must equal after a restart.
func expectedLoads(t *testing.T, chats *interaction.Service, lister interaction.OpenLister) map[interaction.PartyID]routing.Holding {
	out := map[interaction.PartyID]routing.Holding{}
	require.NoError(t, interaction.EachOpen(ctx, lister, func(id interaction.ID) error {
		st, err := chats.State(ctx, id)
		if err != nil {
			return err
		}
		for p, h := range routing.Holdings(st) {
			w := out[p]
			for m := range h.Load {
				w.Load[m] += h.Load[m]
				w.Reserved[m] += h.Reserved[m]
			}
			out[p] = w
		}
		return nil
	}))
	for p, h := range out {
		if h == (routing.Holding{}) {
			delete(out, p)
		}
	}
	return out
}

func storedLoads(t *testing.T, s routing.Store) map[interaction.PartyID]routing.Holding {
	recs, _, err := s.Snapshot(ctx)
	require.NoError(t, err)
	out := map[interaction.PartyID]routing.Holding{}
	for _, r := range recs {
		if h := (routing.Holding{Load: r.Load, Reserved: r.Reserved}); h != (routing.Holding{}) {
			out[r.Agent.ID] = h
		}
	}
	return out
}

// testRoutingRestart: instance A routes consultations; instance B ends
// chats and answers invitations through a Service whose counts are lost
// (it crashed between its appends and its counts). A restarted process
// recovers from the open interactions (Recover, Recount) and its loads are
// those the open interactions hold (R-X1).
func testRoutingRestart(t *testing.T, newInstances NewRoutingInstances) {
	ins := newInstances(t, 3)
	clock := chatconsulttest.NewManualClock()
	a := newRoutingDesk(ins[0], clock, "a", true)
	b := newRoutingDesk(ins[1], clock, "b", false)
	for i := range 4 {
		clock.Advance(time.Second)
		id := interaction.PartyID(fmt.Sprint("agent", i))
		require.NoError(t, a.dir.PutContext(ctx, billingAgent(id, 3)))
		require.NoError(t, a.dir.SetPresence(ctx, id, routing.Ready))
	}
	var chats []interaction.ID
	var legs []interaction.LegID
	for i := range 6 {
		id := a.chat(t, interaction.PartyID(fmt.Sprint("owner", i)))
		leg, err := a.desk.Start(ctx, id, interaction.PartyID(fmt.Sprint("owner", i)), skillBilling, interaction.MediumChat)
		require.NoError(t, err)
		chats, legs = append(chats, id), append(legs, leg)
	}
	// B, whose counts are lost: accepts two, ends one chat, closes another.
	accept := func(i int) {
		st, err := b.chats.State(ctx, chats[i])
		require.NoError(t, err)
		require.NoError(t, b.desk.Accept(ctx, chats[i], st.Leg(legs[i]).Invitee, legs[i]))
	}
	accept(0)
	accept(1)
	owner := func(i int) interaction.PartyID { return interaction.PartyID(fmt.Sprint("owner", i)) }
	require.NoError(t, b.chats.EndSession(ctx, chats[2], owner(2)))
	require.NoError(t, b.chats.EndSession(ctx, chats[3], owner(3)))
	require.NoError(t, b.chats.MarkDone(ctx, chats[3], owner(3)))
	lister := ins[2].Chats.(interaction.OpenLister)
	want := expectedLoads(t, b.chats, lister)
	assert.NotEqual(t, want, storedLoads(t, ins[2].Routing), "the lost counts left the store stale")

	c := newRoutingDesk(ins[2], clock, "c", true) // the restarted process
	_, err := c.chats.Recover(ctx, c.dir.Sync)
	require.NoError(t, err)
	require.NoError(t, c.dir.Recount(ctx, c.chats.State))
	assert.Equal(t, want, storedLoads(t, ins[2].Routing), "loads after the restart are the open interactions'")
	require.NoError(t, c.dir.Refresh(ctx))
	for p, h := range want {
		assert.Equal(t, h, c.dir.Work(p), "the restarted cache agrees for %s", p)
	}
}

// testRoutingOffline: an agent with an offer out logs out on instance B;
// both instances learn it (B from its call, A from the change feed, in
// either order) and the offer is withdrawn and redirected to the next agent
// exactly once (R-X1).
func testRoutingOffline(t *testing.T, newInstances NewRoutingInstances) {
	ins := newInstances(t, 2)
	clock := chatconsulttest.NewManualClock()
	a := newRoutingDesk(ins[0], clock, "a", true)
	b := newRoutingDesk(ins[1], clock, "b", true)
	for _, id := range []interaction.PartyID{"ann", "bob"} {
		clock.Advance(time.Second)
		require.NoError(t, a.dir.PutContext(ctx, billingAgent(id, 3)))
		require.NoError(t, a.dir.SetPresence(ctx, id, routing.Ready))
	}
	id := a.chat(t, "owner")
	leg, err := a.desk.Start(ctx, id, "owner", skillBilling, interaction.MediumChat)
	require.NoError(t, err)
	st, err := a.chats.State(ctx, id)
	require.NoError(t, err)
	require.Equal(t, interaction.PartyID("ann"), st.Leg(leg).Invitee, "longest idle")
	require.NoError(t, a.dir.Refresh(ctx))

	// A follows the feed while B sets ann logged out.
	followCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = a.dir.Follow(followCtx, ins[0].Watch) }()
	require.NoError(t, b.dir.SetPresence(ctx, "ann", routing.LoggedOut))
	require.Eventually(t, func() bool {
		st, err := a.chats.State(ctx, id)
		if err == nil && st.Leg(leg).State == interaction.LegCancelled {
			return true
		}
		require.NoError(t, a.chats.Sync(ctx, id))
		return false
	}, 10*time.Second, 20*time.Millisecond)
	// Let A's Follow finish whatever it started, then stop it.
	time.Sleep(100 * time.Millisecond)
	stop()
	<-done
	require.NoError(t, a.chats.Sync(ctx, id))
	st, err = a.chats.State(ctx, id)
	require.NoError(t, err)
	rescinds, offers := 0, map[interaction.PartyID]int{}
	for _, l := range st.Legs {
		offers[l.Invitee]++
		if l.ID == leg {
			assert.Equal(t, interaction.LegCancelled, l.State)
		}
	}
	events, err := ins[0].Chats.Load(ctx, id)
	require.NoError(t, err)
	for _, ev := range events {
		if ev.Type == interaction.EventLeg && ev.Leg == leg && ev.Trigger == "cancel" {
			rescinds++
		}
	}
	assert.Equal(t, 1, rescinds, "ann's offer withdrawn once")
	assert.Equal(t, map[interaction.PartyID]int{"ann": 1, "bob": 1}, offers, "redirected to bob once")
}
