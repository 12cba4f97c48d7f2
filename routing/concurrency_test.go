package routing_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// R-X1 under concurrency: owners of different chats race to consult the
// same few agents while their presence changes; capacity is never exceeded
// at any instant (holds make picks and invitations atomic), and at the end
// the load is exactly what the interactions say.
func TestRX1CapacityHoldsUnderConcurrentRouting(t *testing.T) {
	d := newDesk(t)
	const owners, rounds = 8, 40
	for i := 0; i < 4; i++ {
		d.agent(routing.Agent{ID: interaction.PartyID(fmt.Sprintf("b%d", i)), Skills: map[string]int{"billing": 1},
			Capacity: routing.Capacity{interaction.MediumChat: 2, interaction.MediumVoice: 1}})
	}
	var ids []interaction.ID
	for i := 0; i < owners; i++ {
		o := interaction.PartyID(fmt.Sprintf("o%d", i))
		d.agent(routing.Agent{ID: o})
		ids = append(ids, d.chat(o))
	}
	var over atomic.Int32
	stop := make(chan struct{})
	var watch sync.WaitGroup
	watch.Add(1)
	go func() { // samples the directory while the owners work
		defer watch.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, a := range d.dir.Agents() {
				for m := interaction.MediumChat; m <= interaction.MediumVoice; m++ {
					if a.Busy(m) > a.Limit.Of(m) {
						over.Add(1)
					}
				}
			}
		}
	}()
	var wg sync.WaitGroup
	var accepted atomic.Int32
	for i := 0; i < owners; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id, owner := ids[i], interaction.PartyID(fmt.Sprintf("o%d", i))
			for r := 0; r < rounds; r++ {
				medium := []interaction.Medium{interaction.MediumChat, interaction.MediumVoice}[r%2]
				leg, err := d.svc.Start(ctx, id, owner, skill("billing"), medium)
				if err != nil {
					assert.ErrorIs(t, err, interaction.ErrNotFound)
					continue
				}
				agent := d.state(id).Leg(leg).Invitee
				if r%3 == 0 {
					_ = d.dir.SetPresence(ctx, agent, routing.NotReady)
					_ = d.dir.SetPresence(ctx, agent, routing.Ready)
				}
				if err := d.svc.Accept(ctx, id, agent, leg); err == nil {
					accepted.Add(1)
					assert.NoError(t, d.svc.EndConsultation(ctx, id, owner, leg))
				} else {
					assert.NoError(t, d.svc.Cancel(ctx, id, owner, leg))
				}
			}
		}(i)
	}
	wg.Wait()
	close(stop)
	watch.Wait()
	assert.Zero(t, over.Load(), "an agent held more than its capacity")
	assert.Positive(t, accepted.Load())
	d.inStep(ids...)
	for i := 0; i < 4; i++ {
		s := d.status(interaction.PartyID(fmt.Sprintf("b%d", i)))
		require.Zero(t, s.Load.Total()+s.Reserved.Total()+s.Held.Total())
	}
}
