package storetest

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

// TestFirstAcceptWins is R-X1 across instances (issue 13), for any Store:
// an invitation to a skill goes to two candidates at once; they accept at
// the same moment through two instances (two Services, each on one of the
// stores newStores gives on one database). Exactly one wins every round,
// the rival is refused with ErrInvalidTransition (rule R-X1), and the
// Store never holds a second active leg: the route lives in the
// interaction, so neither instance needs the other's memory.
func TestFirstAcceptWins(t *testing.T, newStores NewStores, rounds int) {
	stores := newStores(t, 2)
	clock := chatconsulttest.NewManualClock()
	dir := routing.NewDirectory(routing.WithClock(clock), routing.WithOffersAtOnce(2))
	type instance struct {
		chats *interaction.Service
		desk  *consult.Service
	}
	var ins [2]instance
	for i := range ins {
		ins[i].chats = interaction.NewService(interaction.WithStore(stores[i]), interaction.WithClock(clock),
			interaction.WithIDs(chatconsulttest.NewSequentialIDs(fmt.Sprintf("i%d-", i))),
			interaction.WithNotifier(interaction.Notifiers{dir, interaction.NewMemoryNotifier()}))
		ins[i].desk = consult.New(ins[i].chats, consult.WithRouter(dir), consult.WithInviteTimeout(30*time.Second))
	}
	lots := routing.Capacity{interaction.MediumChat: 1 << 20}
	require.NoError(t, dir.Put(routing.Agent{ID: "agent1", Capacity: lots}))
	require.NoError(t, dir.SetPresence(ctx, "agent1", routing.Ready))
	for _, a := range []interaction.PartyID{"agent2", "agent3"} {
		clock.Advance(time.Second)
		require.NoError(t, dir.Put(routing.Agent{ID: a, Skills: map[string]int{"billing": 1}, Capacity: lots}))
		require.NoError(t, dir.SetPresence(ctx, a, routing.Ready))
	}
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
		st, err := maker.chats.State(ctx, id)
		require.NoError(t, err)
		offers := map[interaction.PartyID]interaction.LegID{}
		for _, l := range st.Legs {
			if l.State == interaction.LegInviting {
				offers[l.Invitee] = l.ID
			}
		}
		require.Len(t, offers, 2, "round %d: two offers out", round)
		require.Equal(t, st.Leg(offers["agent2"]).Route, st.Leg(offers["agent3"]).Route, "round %d: one route", round)

		// agent2 answers through one instance, agent3 through the other,
		// released together.
		var wg sync.WaitGroup
		var mu sync.Mutex
		start := make(chan struct{})
		errs := map[interaction.PartyID]error{}
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
		events, err := stores[0].Load(ctx, id)
		require.NoError(t, err)
		stored, err := interaction.Rebuild(events)
		require.NoError(t, err)
		active := 0
		for _, l := range stored.Legs {
			if l.State == interaction.LegActive {
				active++
				assert.Equal(t, winner, l.Invitee, "round %d", round)
			}
		}
		require.Equal(t, 1, active, "round %d: exactly one active leg (R-X1)", round)
		assert.Equal(t, interaction.LegCancelled, stored.Leg(offers[loser]).State, "round %d: the rival is rescinded", round)
		rt := stored.RouteOf(interaction.InvitationID(offers[winner]))
		require.NotNil(t, rt)
		assert.Equal(t, interaction.InvitationID(offers[winner]), rt.Taken)
		assert.Empty(t, rt.Out)
	}
	t.Logf("wins over %d rounds: %v", rounds, wins)
}
