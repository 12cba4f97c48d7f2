package interaction_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/internal/benchstory"
)

// FuzzCheckedEventApplies: whatever event the log validator accepts after
// a state, Apply applies to that state. A Decision only checks the last
// event of its command (Decision.Events), and the Service applies the
// committed events to its cache without validating them again: were the
// validator weaker than Apply anywhere, a command could commit an event
// that its own interaction then fails to load (R-X5).
//
// Each input takes one event of a consultation story (consult's commands:
// chat, leg, request, membership, role and status events) and changes one
// field of it; the oracle is that implication. go test ./interaction -run
// '^$' -fuzz FuzzCheckedEventApplies searches further.
func FuzzCheckedEventApplies(f *testing.F) {
	ctx := context.Background()
	svc := interaction.NewService(interaction.WithClock(chatconsulttest.NewManualClock()),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")))
	id, err := benchstory.Consultation(ctx, svc)
	require.NoError(f, err)
	log, err := svc.Store().Load(ctx, id)
	require.NoError(f, err)
	// states[i] is the interaction before log[i].
	states := make([]*interaction.State, len(log))
	st := &interaction.State{}
	for i := range log {
		states[i] = st.Clone()
		require.NoError(f, st.Apply(&log[i]))
	}

	// Every state and trigger name of the recorded machines, for the
	// source, destination and trigger of every event: a name another
	// transition of the same machine uses is what a weak check lets by.
	var names []string
	for _, m := range []*interaction.Chart{&interaction.InteractionMachine.Chart, &interaction.MembershipMachine.Chart,
		&interaction.LegMachine.Chart, &interaction.RoleMachine.Chart, &interaction.RequestMachine.Chart} {
		names = append(names, m.States()...)
		for _, tr := range m.Triggers() {
			names = append(names, string(tr))
		}
	}
	for i := range log {
		for _, name := range names {
			for field := uint8(2); field <= 4; field++ {
				f.Add(uint8(i), field, name)
			}
		}
		f.Add(uint8(i), uint8(0), "")                   // unchanged: accepted and applied
		f.Add(uint8(i), uint8(1), "agent1")             // another party
		f.Add(uint8(i), uint8(2), "joined")             // another source state
		f.Add(uint8(i), uint8(3), "left")               // another destination
		f.Add(uint8(i), uint8(4), "accept")             // another trigger
		f.Add(uint8(i), uint8(5), string(log[0].Cause)) // another type (from the string's length)
		f.Add(uint8(i), uint8(6), "id-3")               // another leg
		f.Add(uint8(i), uint8(7), "id-4")               // another request
		f.Add(uint8(i), uint8(8), "x")                  // another message number
		f.Add(uint8(i), uint8(9), "agent2")             // another supervised agent
		f.Add(uint8(i), uint8(10), "ow")                // another role
	}
	f.Fuzz(func(t *testing.T, at, field uint8, value string) {
		i := int(at) % len(log)
		ev := log[i]
		switch field % 11 {
		case 1:
			ev.Party = interaction.PartyID(value)
		case 2:
			ev.From = value
		case 3:
			ev.To = value
		case 4:
			ev.Trigger = interaction.Trigger(value)
		case 5:
			ev.Type = interaction.EventType(len(value) % 16)
		case 6:
			ev.Leg = consult.LegID(value)
		case 7:
			ev.RequestID = consult.RequestID(value)
		case 8:
			ev.Seq = uint32(len(value))
		case 9:
			ev.Supervised = interaction.PartyID(value)
		case 10:
			ev.Role = interaction.Role(len(value) % 8)
		}
		before := states[i]
		if interaction.CheckEvent(before, &ev) != nil {
			return
		}
		require.NoError(t, before.Clone().Apply(&ev), "the validator accepts event %d changed (field %d = %q), Apply refuses it", i, field%11, value)
	})
}
