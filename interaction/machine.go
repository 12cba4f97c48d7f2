package interaction

import (
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/looplab/fsm"
)

// Trigger names a transition of a machine: what happened ("accept",
// "time_out"). One trigger name may label transitions of several machines
// (a leg, a request and a membership are all accepted); the machine says
// what it does there.
type Trigger string

// The triggers of the domain's machines, in the tables of machines.go and
// routing's invitation machine.
const (
	TriggerAgentJoins Trigger = "agent_joins" // interaction: an agent is engaged
	TriggerEnd        Trigger = "end"         // interaction: the session ends; leg: the consultation ends
	TriggerClose      Trigger = "close"       // interaction: every agent marked it done (R-C8)
	TriggerInvite     Trigger = "invite"
	TriggerEnter      Trigger = "enter" // membership: in without an invitation
	TriggerAccept     Trigger = "accept"
	TriggerDecline    Trigger = "decline"
	TriggerWithdraw   Trigger = "withdraw" // membership: invitation cancelled or timed out; chat offer: taken back by routing
	TriggerLeave      Trigger = "leave"
	TriggerRemove     Trigger = "remove"
	TriggerDone       Trigger = "done" // membership: marked the interaction done (R-C8)
	TriggerCancel     Trigger = "cancel"
	TriggerTimeOut    Trigger = "time_out"
	TriggerTransfer   Trigger = "transfer"
	TriggerConference Trigger = "conference"
	TriggerHandOver   Trigger = "hand_over" // role: the earliest member takes over (R-F6)
	TriggerBargeIn    Trigger = "barge_in"  // role: a supervisor joins the conversation (R-X7)
	TriggerMonitor    Trigger = "monitor"   // role: a supervisor monitors an agent, unseen, or switches to it (R-X7)
	TriggerCoach      Trigger = "coach"     // role: a supervisor coaches an agent, or switches to it (R-X7)
	TriggerRequest    Trigger = "request"   // request: a transfer or conference is asked for
	TriggerOffer      Trigger = "offer"     // chat offer, routed invitation: offered to one agent (several at once for a fan-out)
	TriggerRescind    Trigger = "rescind"   // routing invitation: withdrawn by routing
	TriggerWrite      Trigger = "write"     // consultation message: one of its agents writes in it (R-C5); chat message: a party writes to everyone in the chat
	TriggerNote       Trigger = "note"      // chat message: an agent writes a note to the agents
	TriggerRead       Trigger = "read"      // chat message: a party marks its transcript read (a receipt)
	TriggerOfferOn    Trigger = "offer_on"  // routed invitation: routing offers it to the next agents (R-X1)
	TriggerLapse      Trigger = "lapse"     // routed invitation: its last offer out ended unanswered (R-X1)
)

// Words is the trigger as a refusal words it: "time out", "offer on".
func (t Trigger) Words() string { return strings.ReplaceAll(string(t), "_", " ") }

// Transition is one line of a machine's table: the trigger, the states it
// leaves from, the state it leads to, and everything else that makes it
// legal, so that a reader finds a transition's whole rule on one line and
// a command cannot forget part of it: who may fire it (By, for the leg,
// request, chat offer and routed invitation machines, whose transitions
// commands fire on a leg, a request, one agent's offer or a route), the SPEC.md rule, and its guards. Firing through the Decision
// checks them in that order: the state, the firers, each guard.
type Transition[S ~string] struct {
	On     Trigger
	From   []S
	To     S
	By     Firers
	Rule   string
	Guards []Guard
}

// Machine is one state machine of the domain, declared once as a table of
// typed states (LegState, MemberState, …). Every state change the library
// makes goes through Fire, which asks a looplab/fsm machine compiled from
// the table whether the change may happen; Apply checks replayed events
// against the same table with Allows.
type Machine[S ~string] struct {
	Chart
}

// NewMachine compiles a table. It panics on a malformed table: tables are
// package-level declarations, so that is a programming error found at init.
func NewMachine[S ~string](name string, initial S, table []Transition[S]) *Machine[S] {
	m := &Machine[S]{}
	c := &m.Chart
	c.Name, c.Initial = name, string(initial)
	seenState := map[string]bool{c.Initial: true}
	c.states = append(c.states, c.Initial)
	declared := 0
	for _, t := range table {
		e := fsm.EventDesc{Name: string(t.On), Dst: string(t.To)}
		for _, from := range t.From {
			e.Src = append(e.Src, string(from))
		}
		c.Table = append(c.Table, e)
		if !slices.Contains(c.events, t.On) {
			c.events = append(c.events, t.On)
		}
		for _, st := range append(append([]string(nil), e.Src...), e.Dst) {
			if !seenState[st] {
				seenState[st] = true
				c.states = append(c.states, st)
			}
		}
		byTrigger := c.triggerOf(t.On)
		if byTrigger == nil {
			c.byTrigger = append(c.byTrigger, triggerEdges{trigger: t.On, firers: Permission{By: t.By, Rule: t.Rule}})
			byTrigger = &c.byTrigger[len(c.byTrigger)-1]
			if len(e.Src) > 0 {
				byTrigger.source = e.Src[0]
			}
		}
		for _, src := range e.Src {
			if _, dup := byTrigger.edge(src); dup {
				panic("interaction: duplicate transition in machine " + name)
			}
			byTrigger.from = append(byTrigger.from, src)
			byTrigger.arrows = append(byTrigger.arrows, arrow{to: e.Dst, guards: t.Guards})
		}
		for _, g := range t.Guards {
			if g.Name == "" || g.Rule == "" || g.Kind == nil || g.Holds == nil {
				panic("interaction: machine " + name + " has a guard without a name, rule, kind or predicate on " + string(t.On))
			}
		}
		if t.Rule != "" {
			if c.rules == nil {
				c.rules = map[Trigger]string{}
			}
			if r, ok := c.rules[t.On]; ok && r != t.Rule {
				panic("interaction: machine " + name + " names two rules for " + string(t.On))
			}
			c.rules[t.On] = t.Rule
		}
		if t.By != 0 {
			declared++
			if c.firers == nil {
				c.firers = map[Trigger]Permission{}
			}
			if p, ok := c.firers[t.On]; ok && (p.By != t.By || p.Rule != t.Rule) {
				panic("interaction: machine " + name + " declares two sets of firers for " + string(t.On))
			}
			c.firers[t.On] = Permission{By: t.By, Rule: t.Rule}
		}
	}
	if declared != 0 && declared != len(table) {
		panic("interaction: machine " + name + " declares firers for some transitions only")
	}
	fsmTable := c.Table
	c.pool.New = func() any { return fsm.NewFSM(c.Initial, fsmTable, nil) }
	return m
}

// Derived marks a machine whose state is read from the aggregate and whose
// transitions are never recorded (the chat offer, the messages, the routed
// invitation): a command fires it to check the table, then records the
// events it stands for. Firing one looks its edge up in the table, which
// decides as looplab/fsm does (TestMachinesStepAsLooplab), without
// an fsm instance and its per-event context: these machines fire on every
// message.
func (m *Machine[S]) Derived() *Machine[S] {
	m.derived = true
	return m
}

// WithEntries sets the states an instance may start in besides the
// initial one and returns m, for declarations.
func (m *Machine[S]) WithEntries(states ...S) *Machine[S] {
	for _, st := range states {
		m.Entries = append(m.Entries, string(st))
		if !slices.Contains(m.states, string(st)) {
			m.states = append(m.states, string(st))
		}
	}
	return m
}

// Fire runs trigger from state from, as a looplab/fsm machine built from the
// table decides (Chart.step), and returns the new state, or an *Error of
// kind ErrInvalidTransition.
func (m *Machine[S]) Fire(from S, trigger Trigger) (S, error) {
	to, err := m.step(string(from), trigger)
	return S(to), err
}

// Can reports whether trigger is declared from state from.
func (m *Machine[S]) Can(from S, trigger Trigger) bool { return m.Chart.Can(string(from), trigger) }

// Allows reports whether trigger leads from one state to the other.
// Replay uses it to reject an event log that no command could have
// produced.
func (m *Machine[S]) Allows(from S, trigger Trigger, to S) bool {
	return m.Chart.Allows(string(from), trigger, string(to))
}

// Chart is a machine's table without the type of its states: what the
// docs, the checkers and the log validator read. Every Machine is one.
//
// A Chart keeps no per-instance state: the current state lives in the
// aggregate, and a transition borrows a pooled fsm.FSM, sets it to that
// state and asks whether the event can fire (FSM.Can). This avoids one fsm object per party per idle
// interaction (≈1 KB each, see the project's prior-art notes,
// shared/PRIOR-ART.md) while the table stays the single authority. No
// cancellable context is passed and no callbacks are registered, which
// sidesteps the fsm traps listed there (deadlocks in callbacks, machines
// stuck after a cancelled context).
type Chart struct {
	Name    string
	Initial string
	// Table is the table as looplab/fsm takes it.
	Table fsm.Events
	// Entries, when set, are the states an instance may start in besides
	// Initial, because another machine's event puts it there (a party's
	// role is set when it is invited or enters).
	Entries []string

	// byTrigger is the table by trigger: each trigger's firers, first
	// source, and edges (destination and guards, its side conditions in
	// the order they are checked), found by lookup and triggerOf.
	byTrigger []triggerEdges
	states    []string
	events    []Trigger
	pool      sync.Pool
	// firers: who may fire each trigger; nil for machines that do not say.
	firers map[Trigger]Permission
	// rules: the SPEC.md rule of each trigger that names one, which a
	// refusal of the trigger from the wrong state carries.
	rules map[Trigger]string
	// derived: the machine's state is read from the aggregate and its
	// transitions are never recorded (Machine.Derived).
	derived bool
}

// arrow is where an edge leads and what must hold to take it.
type arrow struct {
	to     string
	guards []Guard
}

// triggerEdges is one trigger's part of a table. A machine has a dozen
// triggers at most, each leaving from a few states, and the trigger and
// state names a command passes are the tables' own constants: finding an
// edge by comparing them costs less than hashing both names for a map,
// which was a twentieth of a command's time.
type triggerEdges struct {
	trigger Trigger
	source  string // the first state it leaves from (Chart.source)
	firers  Permission
	from    []string
	arrows  []arrow
}

// triggerOf returns trigger's part of the table, nil if it has none.
func (m *Chart) triggerOf(trigger Trigger) *triggerEdges {
	for i := range m.byTrigger {
		if m.byTrigger[i].trigger == trigger {
			return &m.byTrigger[i]
		}
	}
	return nil
}

// lookup finds the edge from state from on trigger.
func (m *Chart) lookup(from string, trigger Trigger) (*arrow, bool) {
	return m.triggerOf(trigger).edge(from)
}

// edge finds the edge from state from among t's (t may be nil).
func (t *triggerEdges) edge(from string) (*arrow, bool) {
	if t != nil {
		for i, f := range t.from {
			if f == from {
				return &t.arrows[i], true
			}
		}
	}
	return nil, false
}

// Table is any machine of the domain, typed (*Machine) or not (*Chart):
// what takes a machine without caring for the type of its states.
type Table interface{ chart() *Chart }

func (m *Chart) chart() *Chart { return m }

// step runs trigger from state from. A recorded machine asks a pooled
// looplab/fsm machine of its table whether the trigger may fire from the
// state (FSM.Can, which allocates nothing) and takes the destination from
// the same table: firing FSM.Event would run looplab's callback machinery
// and a cancellable context on every step (five allocations, about half a
// microsecond, shared/PRIOR-ART.md) for a result the table already holds,
// and would report a declared self-transition as no transition. A derived
// machine looks its edge up without an fsm (Machine.Derived).
// TestMachinesStepAsLooplab checks that both decide as looplab's Event
// does, for every machine, state and trigger.
func (m *Chart) step(from string, trigger Trigger) (string, error) {
	a, err := m.arrow(from, trigger)
	if err != nil {
		return "", err
	}
	return a.to, nil
}

// arrow is step with the edge's guards.
func (m *Chart) arrow(from string, trigger Trigger) (*arrow, error) {
	return m.arrowOf(m.triggerOf(trigger), from, trigger)
}

// arrowOf is arrow with trigger's part of the table found (t, nil for a
// trigger the table does not have).
func (m *Chart) arrowOf(t *triggerEdges, from string, trigger Trigger) (*arrow, error) {
	a, declared := t.edge(from)
	if !m.derived {
		f := m.pool.Get().(*fsm.FSM)
		f.SetState(from)
		declared = f.Can(string(trigger))
		m.pool.Put(f)
	}
	if !declared || a == nil {
		return nil, m.cannot(from, trigger)
	}
	return a, nil
}

// cannot is the refusal of trigger from a state it does not leave from.
func (m *Chart) cannot(from string, trigger Trigger) error {
	return &Error{Kind: ErrInvalidTransition, Op: m.Name, Rule: m.rules[trigger], Detail: "cannot " + string(trigger) + " when " + from}
}

// source is the first state trigger is declared from, "" for none: every
// state a transition leaves from shares its guards, so CheckFirst finds
// them there.
func (m *Chart) source(trigger Trigger) string {
	if t := m.triggerOf(trigger); t != nil {
		return t.source
	}
	return ""
}

// Step is Fire on state names: what checkers that walk every machine use.
func (m *Chart) Step(from string, trigger Trigger) (string, error) { return m.step(from, trigger) }

// Can reports whether trigger is declared from state from.
func (m *Chart) Can(from string, trigger Trigger) bool {
	_, ok := m.lookup(from, trigger)
	return ok
}

// Allows reports whether trigger leads from one state to the other.
func (m *Chart) Allows(from string, trigger Trigger, to string) bool {
	a, ok := m.lookup(from, trigger)
	return ok && a.to == to
}

// States lists every state, the initial one first, in declaration order.
func (m *Chart) States() []string { return append([]string(nil), m.states...) }

// Triggers lists every trigger in declaration order.
func (m *Chart) Triggers() []Trigger { return append([]Trigger(nil), m.events...) }

// Terminal lists the states with no outgoing transition, sorted.
func (m *Chart) Terminal() []string {
	out := []string{}
	for _, s := range m.states {
		has := false
		for i := range m.byTrigger {
			if _, ok := m.byTrigger[i].edge(s); ok {
				has = true
				break
			}
		}
		if !has {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// Firers says who may fire a transition (R-X6). On a leg, request, chat
// offer or routed invitation: the owner who made the leg or request, its
// invitee (the agent invited or asked, or offered the chat), the system
// (the clock, routing, which also makes every chat offer). On a party's
// membership or role: the party itself (BySelf), the chat's owner, the
// system. The contact fires none but its own membership. A transition
// marked ByCascade is also fired as part of another transition, by
// whoever makes that one: the session ending (R-C7), a party leaving or
// being removed, the consultation a request came from ending, the chat
// passing on in a transfer; marked ByCascade alone, only so.
type Firers uint8

const (
	ByOwner Firers = 1 << iota
	ByInvitee
	BySystem
	ByCascade
	BySelf
)

var firerNames = [...]string{"owner", "invitee", "system", "cascade", "self"}

// firerWords are the firers as a refusal and the docs word them.
var firerWords = [...]string{"the owner", "the invitee", "the system", "", "the party itself"}

// String lists the firers, joined by "|" ("owner|system").
func (f Firers) String() string {
	var parts []string
	for i, n := range firerNames {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return "nobody"
	}
	return strings.Join(parts, "|")
}

// words names the firers other than ByCascade in a sentence ("the owner or
// the system").
func (f Firers) words() string {
	var parts []string
	for i, n := range firerWords {
		if n != "" && f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, " or ")
}

// FirerOf is what actor is to a leg, request or offer of owner, made to
// invitee: BySystem for System, ByOwner or ByInvitee, or 0 for anyone else (the
// contact, another agent). A chat offer has no owner (""): routing makes
// it, as System.
func FirerOf(actor, owner, invitee PartyID) Firers {
	switch {
	case actor == System:
		return BySystem
	case actor == "":
		return 0
	case actor == owner:
		return ByOwner
	case actor == invitee:
		return ByInvitee
	}
	return 0
}

// Permission is who may fire one transition by a command, and the SPEC.md
// rule that says so.
type Permission struct {
	By   Firers
	Rule string
}

// Firers returns who may fire event, and whether m declares it at all
// (every machine but the interaction and chat message machines does).
func (m *Chart) Firers(event Trigger) (Permission, bool) {
	p, ok := m.firers[event]
	return p, ok
}

// MayFire reports whether by may fire event by a command: true for a
// machine that declares no firers.
func (m *Chart) MayFire(event Trigger, by Firers) bool {
	if m.firers == nil {
		return true
	}
	t := m.triggerOf(event)
	return t != nil && t.firers.By&by&^ByCascade != 0
}

// Rule returns the SPEC.md rule the table names for trigger, "" if none.
func (m *Chart) Rule(trigger Trigger) string { return m.rules[trigger] }

// Guards returns the guards of trigger from state from, in the order they
// are checked.
func (m *Chart) Guards(from string, trigger Trigger) []Guard {
	if a, ok := m.lookup(from, trigger); ok {
		return a.guards
	}
	return nil
}
