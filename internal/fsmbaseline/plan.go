// Package fsmbaseline is the baseline the core benchmarks measure the
// library against: the same state transitions as an event stream records,
// made on raw looplab/fsm machines and nothing else.
package fsmbaseline

import (
	"context"

	"github.com/looplab/fsm"

	"github.com/chatconsult/chatconsult/interaction"
)

// Plan is a run of raw looplab/fsm machines that makes exactly the state
// transitions an event stream records: one machine instance per interaction,
// party (membership and role), leg and request, and one fsm.Event per
// EventStatus, EventMembership, EventRole, EventLeg and EventRequest event,
// with the same tables and triggers. Each instance starts in the state its
// first transition leaves (a role machine starts in the role the party
// joined with).
type Plan struct {
	instances []instance
	steps     []step
}

type instance struct {
	machine *interaction.Chart
	initial string
}

type step struct {
	instance int
	trigger  string
}

func FromEvents(events []interaction.Event) Plan {
	var p Plan
	index := map[string]int{}
	role := map[interaction.PartyID]interaction.Role{}
	add := func(key string, m *interaction.Chart, from string, trigger interaction.Trigger) {
		i, ok := index[key]
		if !ok {
			i = len(p.instances)
			index[key] = i
			p.instances = append(p.instances, instance{machine: m, initial: from})
		}
		p.steps = append(p.steps, step{instance: i, trigger: string(trigger)})
	}
	for _, ev := range events {
		switch ev.Type {
		case interaction.EventStatus:
			add("interaction", &interaction.InteractionMachine.Chart, ev.From, ev.Trigger)
		case interaction.EventMembership:
			add("party "+string(ev.Party), &interaction.MembershipMachine.Chart, ev.From, ev.Trigger)
		case interaction.EventRole:
			add("role "+string(ev.Party), &interaction.RoleMachine.Chart, role[ev.Party].String(), ev.Trigger)
		case interaction.EventLeg:
			add("leg "+string(ev.Leg), &interaction.LegMachine.Chart, ev.From, ev.Trigger)
		case interaction.EventRequest:
			add("request "+string(ev.RequestID), &interaction.RequestMachine.Chart, ev.From, ev.Trigger)
		}
		if ev.Type == interaction.EventMembership || ev.Type == interaction.EventRole {
			role[ev.Party] = ev.Role
		}
	}
	return p
}

// runNaive is what a naive implementation does: fsm.NewFSM for every machine
// instance (every party, leg, request and the interaction itself), then
// fsm.Event for each transition. Nothing else: no events, no store, no
// transcript, no permission checks.
func (p Plan) RunNaive(ctx context.Context) error {
	machines := make([]*fsm.FSM, len(p.instances))
	for i, in := range p.instances {
		machines[i] = fsm.NewFSM(in.initial, in.machine.Table, nil)
	}
	for _, s := range p.steps {
		if err := machines[s.instance].Event(ctx, s.trigger); err != nil {
			return err
		}
	}
	return nil
}

// runReused is the stricter baseline: the machines are built once and only
// reset (SetState) per run, so it costs the fsm.Event calls alone.
func (p Plan) RunReused(ctx context.Context, machines []*fsm.FSM) error {
	for i, in := range p.instances {
		machines[i].SetState(in.initial)
	}
	for _, s := range p.steps {
		if err := machines[s.instance].Event(ctx, s.trigger); err != nil {
			return err
		}
	}
	return nil
}

func (p Plan) NewMachines() []*fsm.FSM {
	out := make([]*fsm.FSM, len(p.instances))
	for i, in := range p.instances {
		out[i] = fsm.NewFSM(in.initial, in.machine.Table, nil)
	}
	return out
}

// Transitions is the number of state transitions in the plan.
func (p Plan) Transitions() int { return len(p.steps) }

// Instances is the number of machine instances in the plan.
func (p Plan) Instances() int { return len(p.instances) }
