package pgstore_test

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

// desk is one service instance on PostgreSQL: its own pool, Store,
// Listener, interaction.Service (with its own cache) and consult.Service.
type desk struct {
	*instance
	chats *interaction.Service
	svc   *consult.Service
}

var billing = interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}

// routedDesks are n instances on one schema, routed by one Directory that
// offers the skill billing to two agents at once: agent1 owns the chats;
// agent2, agent3 and the candidates given have the skill.
func routedDesks(t *testing.T, s *schema, n int, clock *chatconsulttest.ManualClock, more ...interaction.PartyID) (*routing.Directory, []*desk) {
	t.Helper()
	dir := routing.NewDirectory(routing.WithClock(clock), routing.WithOffersAtOnce(2))
	var out []*desk
	for i := 0; i < n; i++ {
		d := &desk{instance: s.instance(t)}
		d.chats = interaction.NewService(interaction.WithStore(d.store), interaction.WithClock(clock),
			interaction.WithIDs(chatconsulttest.NewSequentialIDs(fmt.Sprintf("d%d-", i))),
			interaction.WithNotifier(interaction.Notifiers{dir, d.listener}))
		d.svc = consult.New(d.chats, consult.WithRouter(dir), consult.WithInviteTimeout(30*time.Second))
		out = append(out, d)
	}
	lots := routing.Capacity{interaction.MediumChat: 1 << 20}
	require.NoError(t, dir.Put(routing.Agent{ID: "agent1", Capacity: lots}))
	require.NoError(t, dir.SetPresence(ctx, "agent1", routing.Ready))
	for _, a := range append([]interaction.PartyID{"agent2", "agent3"}, more...) {
		clock.Advance(time.Second) // agent2 is the longest idle, then agent3…
		require.NoError(t, dir.Put(routing.Agent{ID: a, Skills: map[string]int{"billing": 1}, Capacity: lots}))
		require.NoError(t, dir.SetPresence(ctx, a, routing.Ready))
	}
	return dir, out
}

// R-X1, issue 13, on PostgreSQL: an invitation to a skill goes to two
// candidates at once; they accept at the same moment through two instances
// (two pools, two Stores, two Services). Exactly one wins every round, the
// other is refused with ErrInvalidTransition, and the database never holds
// a second active leg.
func TestRX1FirstAcceptWinsAcrossInstancesOnPostgres(t *testing.T) {
	rounds := 1000
	if testing.Short() {
		rounds = 100
	}
	s := newSchema(t)
	clock := chatconsulttest.NewManualClock()
	_, desks := routedDesks(t, s, 2, clock)
	for round := range rounds {
		maker := desks[round%2]
		id := activeChat(t, maker.chats)
		_, err := maker.svc.Start(ctx, id, "agent1", billing, interaction.MediumChat)
		require.NoError(t, err)
		st, err := maker.chats.State(ctx, id)
		require.NoError(t, err)
		offers := map[interaction.PartyID]interaction.LegID{}
		for _, l := range st.Legs {
			if l.State == interaction.LegInviting {
				offers[l.Agent] = l.ID
			}
		}
		require.Len(t, offers, 2, "round %d: two offers out", round)

		var wg sync.WaitGroup
		var mu sync.Mutex
		start := make(chan struct{})
		errs := map[interaction.PartyID]error{}
		for i, a := range []interaction.PartyID{"agent2", "agent3"} {
			via := desks[(round/2+i)%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := via.svc.Accept(ctx, id, a, offers[a])
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
		var ie *interaction.Error
		require.True(t, errors.As(errs[loser], &ie), "round %d: %v", round, errs[loser])
		require.ErrorIs(t, errs[loser], interaction.ErrInvalidTransition, "round %d", round)

		stored, err := interaction.Rebuild(requireValidHistory(t, desks[0].store, id))
		require.NoError(t, err)
		active := 0
		for _, l := range stored.Legs {
			if l.State == interaction.LegActive {
				active++
				assert.Equal(t, winner, l.Agent, "round %d", round)
			}
		}
		require.Equal(t, 1, active, "round %d: exactly one active leg (R-X1)", round)
		require.Equal(t, interaction.LegCancelled, stored.Leg(offers[loser]).State, "round %d: the rival is rescinded", round)
	}
}
