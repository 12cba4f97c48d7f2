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
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

func pendingChatOffer(st *interaction.State) interaction.PartyID {
	if st.Status != interaction.StatusWaiting {
		return ""
	}
	for _, p := range st.Parties {
		if p.Role == interaction.RoleOwner && p.Membership == interaction.MemberInvited {
			return p.ID
		}
	}
	return ""
}

// TestRoutingNewChatsAcrossInstances is issue 14's "a new chat opened to a
// skill is offered, redirected on no answer, and accepted, with the same
// capacity guarantee, through two instances" on a real PostgreSQL (R-C2,
// R-X1): two instances (each its own pools, interaction Store, routing
// Store, Directory and ChatRouter on one schema), 8 goroutines each, open
// 400 chats to a skill of 20 agents of chat capacity 2 and route them. Each
// offer is accepted on the other instance, declined there (offered on at
// once, and the next offer accepted back on the first), or (20 of them)
// left unanswered;
// then the clock passes the offers' deadline and both instances' RunDue
// race to withdraw them and offer the chats on, and every chat offered is
// accepted. Every accepted chat is ended and marked done. The whole log is
// then replayed in commit order: at no position does an agent hold more
// chat offers and chats than its capacity; every unanswered offer was
// withdrawn once; and at the end nobody is held, reserved or loaded.
func TestRoutingNewChatsAcrossInstances(t *testing.T) {
	s := newSchema(t)
	clock := chatconsulttest.NewManualClock()
	ins := []*routingInstance{newRoutingInstance(t, s, clock, "i0"), newRoutingInstance(t, s, clock, "i1")}
	routers := make([]*routing.ChatRouter, 2)
	for i, in := range ins {
		routers[i] = routing.NewChatRouter(in.chats, in.dir, routing.WithChatTimeout(time.Hour))
	}
	const agents, capacity, workers, chats = 20, 2, 8, 400
	for i := range agents {
		id := interaction.PartyID(fmt.Sprintf("agent%02d", i))
		require.NoError(t, ins[0].dir.PutContext(ctx, routing.Agent{ID: id, Skills: map[string]int{"billing": 1},
			Capacity: routing.Capacity{interaction.MediumChat: capacity}}))
		require.NoError(t, ins[0].dir.SetPresence(ctx, id, routing.Ready))
	}
	billing := interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}
	finish := func(in *routingInstance, id interaction.ID, agent interaction.PartyID) bool {
		return assert.NoError(t, in.chats.EndSession(ctx, id, agent)) && assert.NoError(t, in.chats.MarkDone(ctx, id, agent))
	}
	var opened, busy atomic.Int64
	var mu sync.Mutex
	var unanswered []interaction.ID
	var wg sync.WaitGroup
	for w := range 2 * workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			here, there := w%2, 1-w%2
			rng := rand.New(rand.NewPCG(uint64(w), 14))
			for n := 0; opened.Add(1) <= chats; n++ {
				id, err := ins[here].chats.Open(ctx, interaction.PartyID(fmt.Sprintf("contact%02d-%d", w, n)), "Hello")
				if !assert.NoError(t, err) {
					return
				}
				agent, err := routers[here].Route(ctx, id, billing)
				if errors.Is(err, interaction.ErrNotFound) {
					busy.Add(1) // every agent at capacity: a typed outcome; the contact gives up
					assert.NoError(t, ins[here].chats.Leave(ctx, id, interaction.PartyID(fmt.Sprintf("contact%02d-%d", w, n))))
					continue
				}
				if !assert.NoError(t, err) {
					return
				}
				choice := rng.IntN(6) // accept 3 in 6, decline 2, leave unanswered 1
				mu.Lock()
				if choice == 5 && len(unanswered) < agents {
					unanswered = append(unanswered, id)
				} else if choice == 5 {
					choice = 0 // half the units stay free for the rest
				}
				mu.Unlock()
				switch {
				case choice < 3:
					if !assert.NoError(t, routers[there].Accept(ctx, id, agent)) || !finish(ins[there], id, agent) {
						return
					}
				case choice < 5:
					if !assert.NoError(t, routers[there].Decline(ctx, id, agent)) {
						return
					}
					require.NoError(t, ins[here].chats.Sync(ctx, id))
					st, err := ins[here].chats.State(ctx, id)
					if !assert.NoError(t, err) {
						return
					}
					if next := pendingChatOffer(st); next != "" {
						if !assert.NoError(t, routers[here].Accept(ctx, id, next)) || !finish(ins[here], id, next) {
							return
						}
					} else {
						assert.NoError(t, ins[here].chats.Leave(ctx, id, st.Contact))
					}
				}
			}
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())

	// No answer: past the deadline, both instances fire the due offers at once.
	clock.Advance(2 * time.Hour)
	var fired atomic.Int64
	for round := 0; ; round++ {
		require.Less(t, round, 100)
		var rwg sync.WaitGroup
		var n0 atomic.Int64
		for i := range routers {
			rwg.Add(1)
			go func() {
				defer rwg.Done()
				n, err := routers[i].RunDue(ctx)
				assert.NoError(t, err)
				n0.Add(int64(n))
			}()
		}
		rwg.Wait()
		fired.Add(n0.Load())
		if n0.Load() == 0 {
			break
		}
	}
	redirected := 0
	for i, id := range unanswered {
		in := ins[i%2]
		require.NoError(t, in.chats.Sync(ctx, id))
		st, err := in.chats.State(ctx, id)
		require.NoError(t, err)
		if next := pendingChatOffer(st); next != "" {
			redirected++
			require.NoError(t, routers[i%2].Accept(ctx, id, next))
			require.True(t, finish(in, id, next))
		} else if st.Status == interaction.StatusWaiting {
			require.NoError(t, in.chats.Leave(ctx, id, st.Contact))
		}
	}
	t.Logf("%d chats: %d found nobody, %d left unanswered (%d redirected on no answer), %d deadlines fired",
		chats, busy.Load(), len(unanswered), redirected, fired.Load())
	require.NotZero(t, redirected, "some chats were redirected on no answer")

	// The stored history, in commit order: chat offers and owned chats per agent.
	units := map[interaction.PartyID]int{}
	withdrawn := map[string]int{}
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
			if ev.Type != interaction.EventMembership || ev.Role != interaction.RoleOwner {
				continue
			}
			switch {
			case ev.From == string(interaction.MemberNone) && ev.To == string(interaction.MemberInvited):
				units[ev.Party]++
			case ev.From == string(interaction.MemberInvited) && ev.To != string(interaction.MemberJoined):
				units[ev.Party]--
				if ev.To == string(interaction.MemberWithdrawn) {
					withdrawn[string(ev.Interaction)+"/"+string(ev.Party)]++
				}
			case ev.To == string(interaction.MemberDone):
				units[ev.Party]--
			}
			require.LessOrEqual(t, units[ev.Party], capacity, "position %d: %s holds %d chats and offers", ev.Position, ev.Party, units[ev.Party])
			peak = max(peak, units[ev.Party])
		}
	}
	assert.Equal(t, capacity, peak, "the agents were used to capacity")
	for k, n := range withdrawn {
		assert.Equal(t, 1, n, "offer %s withdrawn %d times", k, n)
	}
	for p, n := range units {
		assert.Zero(t, n, "%s still counted in the log", p)
	}
	recs, _, err := ins[0].routing.Snapshot(ctx)
	require.NoError(t, err)
	for _, r := range recs {
		assert.Equal(t, routing.Units{}, r.Held, "%s left held", r.Agent.ID)
		assert.Equal(t, routing.Units{}, r.Reserved, "%s left reserved", r.Agent.ID)
		assert.Equal(t, routing.Units{}, r.Load, "%s left loaded", r.Agent.ID)
	}
}
