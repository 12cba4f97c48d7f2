package pgstore_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/pgstore"
	"github.com/chatconsult/chatconsult/routing"
)

// routingInstance is one service instance on PostgreSQL: its own pools,
// interaction Store, routing Store, and a Directory that is a cache of it.
type routingInstance struct {
	store   *pgstore.Store
	routing *pgstore.RoutingStore
	dir     *routing.Directory
	chats   *interaction.Service
	desk    *consult.Service
}

func newRoutingInstance(t *testing.T, s *schema, clock interaction.Clock, name string) *routingInstance {
	t.Helper()
	in := &routingInstance{store: newStore(t, s.pool(t, nil)), routing: newRoutingStore(t, s)}
	in.dir = routing.NewDirectory(routing.WithClock(clock), routing.WithStore(in.routing), routing.WithHolder(name),
		routing.WithStoreErrors(func(err error) { t.Errorf("%s: routing store: %v", name, err) }))
	in.chats = interaction.NewService(interaction.WithStore(in.store), interaction.WithClock(clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs(name+"-")), interaction.WithNotifier(in.dir))
	in.desk = consult.New(in.chats, consult.WithRouter(in.dir), consult.WithInviteTimeout(time.Hour))
	in.dir.RescindWith(in.desk)
	return in
}

// TestRoutingCapacityAcrossInstances is issue 14's capacity guarantee
// (R-X1) on a real PostgreSQL: two instances, 8 goroutines each, route
// 1,000 consultations to a skill of 20 agents of capacity 2; each is
// accepted and ended, declined (then offered on, and whatever is offered
// on is cancelled) or cancelled. The whole interaction log is then read in
// commit order and every agent's reservations and load (consultations
// inviting or active) replayed: at no position is an agent above its
// capacity. At the end no agent is held, reserved or loaded in the
// routing store.
func TestRoutingCapacityAcrossInstances(t *testing.T) {
	s := newSchema(t)
	clock := chatconsulttest.NewManualClock()
	ins := []*routingInstance{newRoutingInstance(t, s, clock, "i0"), newRoutingInstance(t, s, clock, "i1")}
	const agents, capacity, workers, invitations = 20, 2, 8, 1000
	for i := range agents {
		id := interaction.PartyID(fmt.Sprintf("agent%02d", i))
		require.NoError(t, ins[0].dir.PutContext(ctx, routing.Agent{ID: id, Skills: map[string]int{"billing": 1},
			Capacity: routing.Capacity{interaction.MediumChat: capacity}}))
		require.NoError(t, ins[0].dir.SetPresence(ctx, id, routing.Ready))
	}
	billing := interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}
	var routed, busy atomic.Int64
	var wg sync.WaitGroup
	for w := range 2 * workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := ins[w%2]
			rng := rand.New(rand.NewPCG(uint64(w), 14))
			owner := interaction.PartyID(fmt.Sprintf("owner%02d", w))
			id, err := in.chats.Open(ctx, interaction.PartyID(fmt.Sprintf("contact%02d", w)), "Hello")
			if !assert.NoError(t, err) {
				return
			}
			if !assert.NoError(t, in.chats.Assign(ctx, id, interaction.System, owner)) || !assert.NoError(t, in.chats.Join(ctx, id, owner)) {
				return
			}
			for routed.Load() < invitations {
				leg, err := in.desk.Start(ctx, id, owner, billing, interaction.MediumChat)
				if errors.Is(err, interaction.ErrNotFound) {
					busy.Add(1) // every agent at capacity: a typed outcome
					continue
				}
				if !assert.NoError(t, err) {
					return
				}
				routed.Add(1)
				st, err := in.chats.State(ctx, id)
				if !assert.NoError(t, err) {
					return
				}
				agent := st.Leg(leg).Invitee
				switch rng.IntN(3) {
				case 0:
					if assert.NoError(t, in.desk.Accept(ctx, id, agent, leg)) {
						assert.NoError(t, in.desk.EndConsultation(ctx, id, owner, leg))
					}
				case 1:
					if !assert.NoError(t, in.desk.Decline(ctx, id, agent, leg)) {
						return
					}
					st, err := in.chats.State(ctx, id)
					if !assert.NoError(t, err) {
						return
					}
					for _, l := range st.Legs {
						if l.State == interaction.LegInviting {
							routed.Add(1)
							assert.NoError(t, in.desk.Cancel(ctx, id, owner, l.ID))
						}
					}
				default:
					assert.NoError(t, in.desk.Cancel(ctx, id, owner, leg))
				}
			}
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())
	t.Logf("%d invitations routed, %d refused (nobody available)", routed.Load(), busy.Load())

	// The stored history, in commit order.
	legAgent := map[interaction.LegID]interaction.PartyID{}
	load := map[interaction.PartyID]int{}
	peak := 0
	var after uint64
	for {
		events, err := ins[1].store.ReadAll(ctx, after, 1000)
		require.NoError(t, err)
		if len(events) == 0 {
			break
		}
		for _, ev := range events {
			after = ev.Position
			if ev.Type != interaction.EventLeg {
				continue
			}
			switch {
			case ev.From == string(interaction.LegNone):
				legAgent[ev.Leg] = ev.Party
				load[ev.Party]++
			case ev.From == string(interaction.LegInviting) && ev.To == string(interaction.LegActive):
			default:
				load[legAgent[ev.Leg]]--
			}
			a := legAgent[ev.Leg]
			require.LessOrEqual(t, load[a], capacity, "position %d: %s holds %d consultations", ev.Position, a, load[a])
			peak = max(peak, load[a])
		}
	}
	assert.Equal(t, capacity, peak, "the agents were used to capacity")
	assert.GreaterOrEqual(t, len(legAgent), invitations)
	recs, _, err := ins[0].routing.Snapshot(ctx)
	require.NoError(t, err)
	for _, r := range recs {
		if r.Agent.Level("billing") > 0 {
			assert.Equal(t, routing.Units{}, r.Held, "%s left held", r.Agent.ID)
			assert.Equal(t, routing.Units{}, r.Reserved, "%s left reserved", r.Agent.ID)
			assert.Equal(t, routing.Units{}, r.Load, "%s left loaded", r.Agent.ID)
		}
	}
}
