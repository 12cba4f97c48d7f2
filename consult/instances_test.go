package consult_test

import (
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
	"github.com/chatconsult/chatconsult/storetest"
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

// R-X1, issue 13: first accept wins across two instances on one
// MemoryStore, 1,000 rounds (the storetest case every Store runs).
func TestRX1FirstAcceptWinsAcrossInstances(t *testing.T) {
	store := interaction.NewMemoryStore()
	storetest.TestFirstAcceptWins(t, func(*testing.T, int) []interaction.Store {
		return []interaction.Store{store, store}
	}, 1000)
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
				out[l.Invitee] = l.ID
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
		rt := st.RouteOf(interaction.InvitationID(first))
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
