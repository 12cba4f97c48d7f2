package consult_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// instance is one service instance: its own interaction.Service (with its
// own cache) and consult.Service, on a Store shared with the others.
type instance struct {
	chats *interaction.Service
	desk  *consult.Service
}

// twoInstances are two instances on ONE Store, routed by one Directory
// that offers the skill billing to two agents at once: agent1 owns the
// chats, agent2 and agent3 (and the candidates given) have the skill.
func twoInstances(t *testing.T, store interaction.Store, clock *chatconsulttest.ManualClock, more ...interaction.PartyID) (*routing.Directory, [2]instance) {
	t.Helper()
	dir := routing.NewDirectory(routing.WithClock(clock), routing.WithOffersAtOnce(2))
	var ins [2]instance
	for i := range ins {
		ins[i].chats = interaction.NewService(interaction.WithStore(store), interaction.WithClock(clock),
			interaction.WithIDs(chatconsulttest.NewSequentialIDs(fmt.Sprintf("i%d-", i))),
			interaction.WithNotifier(interaction.Notifiers{dir, interaction.NewMemoryNotifier()}))
		ins[i].desk = consult.New(ins[i].chats, consult.WithRouter(dir), consult.WithInviteTimeout(30*time.Second))
	}
	lots := routing.Capacity{interaction.MediumChat: 1 << 20}
	require.NoError(t, dir.Put(routing.Agent{ID: "agent1", Capacity: lots}))
	require.NoError(t, dir.SetPresence(ctx, "agent1", routing.Ready))
	for _, a := range append([]interaction.PartyID{"agent2", "agent3"}, more...) {
		clock.Advance(time.Second) // agent2 is the longest idle, then agent3…
		require.NoError(t, dir.Put(routing.Agent{ID: a, Skills: map[string]int{"billing": 1}, Capacity: lots}))
		require.NoError(t, dir.SetPresence(ctx, a, routing.Ready))
	}
	return dir, ins
}

// R-X1, issue 13: an invitation to a skill goes to two candidates at once;
// they accept at the same moment through two different instances of the
// service on one Store. The first accept wins whichever instance handles
// it: the rival is refused with ErrInvalidTransition, and the Store never
// holds a second active leg. The route lives in the interaction, so
// neither instance needs to know what the other has in memory.
func TestRX1FirstAcceptWinsAcrossInstances(t *testing.T) {
	const rounds = 1000
	store := interaction.NewMemoryStore()
	clock := chatconsulttest.NewManualClock()
	_, ins := twoInstances(t, store, clock)
	billing := interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}
	wins := map[interaction.PartyID]int{}
	for round := range rounds {
		// The chat and the invitation are made on one instance; the other
		// knows nothing of them until its first command loads them.
		maker := ins[round%2]
		id, err := maker.chats.Open(ctx, "contact", "Hello")
		require.NoError(t, err)
		require.NoError(t, maker.chats.Assign(ctx, id, interaction.System, "agent1"))
		require.NoError(t, maker.chats.Join(ctx, id, "agent1"))
		_, err = maker.desk.Start(ctx, id, "agent1", billing, interaction.MediumChat)
		require.NoError(t, err)
		offers := map[interaction.PartyID]interaction.LegID{}
		st, err := maker.chats.State(ctx, id)
		require.NoError(t, err)
		for _, l := range st.Legs {
			if l.State == interaction.LegInviting {
				offers[l.Agent] = l.ID
			}
		}
		require.Len(t, offers, 2, "round %d: two offers out", round)
		require.Equal(t, st.Leg(offers["agent2"]).Route, st.Leg(offers["agent3"]).Route, "round %d: one route", round)

		// agent2 answers through one instance, agent3 through the other,
		// released together.
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := map[interaction.PartyID]error{}
		var mu sync.Mutex
		for i, a := range []interaction.PartyID{"agent2", "agent3"} {
			via := ins[(round/2+i)%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := via.desk.Accept(ctx, id, a, offers[a])
				mu.Lock()
				errs[a] = err
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()

		var winner, loser interaction.PartyID
		for a, err := range errs {
			if err == nil {
				require.Empty(t, winner, "round %d: both accepts succeeded", round)
				winner = a
			} else {
				loser = a
			}
		}
		require.NotEmpty(t, winner, "round %d: nobody won: %v", round, errs)
		require.NotEmpty(t, loser, "round %d", round)
		var ie *interaction.Error
		require.True(t, errors.As(errs[loser], &ie), "round %d: %v is an *interaction.Error", round, errs[loser])
		require.ErrorIs(t, errs[loser], interaction.ErrInvalidTransition, "round %d", round)
		assert.Equal(t, "R-X1", ie.Rule, "round %d: %v", round, ie)
		wins[winner]++

		// What the Store holds: one active leg, its rival rescinded.
		events, err := store.Load(ctx, id)
		require.NoError(t, err)
		stored, err := interaction.Rebuild(events)
		require.NoError(t, err)
		active := 0
		for _, l := range stored.Legs {
			if l.State == interaction.LegActive {
				active++
				assert.Equal(t, winner, l.Agent, "round %d", round)
			}
		}
		require.Equal(t, 1, active, "round %d: exactly one active leg (R-X1)", round)
		assert.Equal(t, interaction.LegCancelled, stored.Leg(offers[loser]).State, "round %d: the rival is rescinded", round)
		rt := stored.RouteOf(offers[winner])
		require.NotNil(t, rt)
		assert.Equal(t, offers[winner], rt.Taken)
		assert.Empty(t, rt.Out)
	}
	t.Logf("wins over %d rounds: %v", rounds, wins)
}

// R-X1, issue 13: both offers of a fan-out are declined at the same moment
// through two different instances. Whichever decline is written last sees
// the other on the stored route and offers the invitation on, once, to the
// next two candidates (never to an agent tried before); the other offers
// nothing. With nobody left after them, the owner is told once.
func TestRX1DeclinesThroughTwoInstancesOfferOnOnce(t *testing.T) {
	const rounds = 300
	store := interaction.NewMemoryStore()
	clock := chatconsulttest.NewManualClock()
	_, ins := twoInstances(t, store, clock, "agent4", "agent5")
	billing := interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}
	inviting := func(st *interaction.State) map[interaction.PartyID]interaction.LegID {
		out := map[interaction.PartyID]interaction.LegID{}
		for _, l := range st.Legs {
			if l.State == interaction.LegInviting {
				out[l.Agent] = l.ID
			}
		}
		return out
	}
	stored := func(id interaction.ID) *interaction.State {
		events, err := store.Load(ctx, id)
		require.NoError(t, err)
		st, err := interaction.Rebuild(events)
		require.NoError(t, err)
		return st
	}
	declineBoth := func(round int, id interaction.ID, offers map[interaction.PartyID]interaction.LegID) {
		var wg sync.WaitGroup
		start := make(chan struct{})
		i := 0
		for a, leg := range offers {
			via := ins[(round+i)%2]
			i++
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				assert.NoError(t, via.desk.Decline(ctx, id, a, leg), "round %d: %s declines", round, a)
			}()
		}
		close(start)
		wg.Wait()
	}
	for round := range rounds {
		maker := ins[round%2]
		id, err := maker.chats.Open(ctx, "contact", "Hello")
		require.NoError(t, err)
		require.NoError(t, maker.chats.Assign(ctx, id, interaction.System, "agent1"))
		require.NoError(t, maker.chats.Join(ctx, id, "agent1"))
		first, err := maker.desk.Start(ctx, id, "agent1", billing, interaction.MediumChat)
		require.NoError(t, err)
		offers := inviting(stored(id))
		require.Len(t, offers, 2, "round %d", round)

		declineBoth(round, id, offers)
		st := stored(id)
		next := inviting(st)
		require.Len(t, next, 2, "round %d: offered on once, to two new candidates: %v", round, next)
		for a := range next {
			assert.NotContains(t, offers, a, "round %d: %s was tried already", round, a)
		}
		rt := st.RouteOf(first)
		require.NotNil(t, rt)
		assert.Len(t, rt.Offers, 4, "round %d: four offers on the route", round)

		declineBoth(round+1, id, next)
		st = stored(id)
		assert.Empty(t, inviting(st), "round %d: nobody is left", round)
		told := 0
		for _, m := range st.Messages {
			if m.Notice != nil && m.Notice.Code == interaction.NoticeNotPlaced {
				told++
			}
		}
		if !assert.Equal(t, 1, told, "round %d: the owner is told once", round) {
			for _, m := range st.Messages {
				t.Logf("%s %s %v", m.Author, m.Text, m.Scope)
			}
			for _, l := range st.Legs {
				t.Logf("%+v", l)
			}
		}
		if t.Failed() {
			return
		}
	}
}
