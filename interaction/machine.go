package interaction

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/looplab/fsm"
)

// Machine is one state machine of the domain, declared once as a
// looplab/fsm table. Every state change the library makes goes through
// Fire, which runs the change on a looplab/fsm machine; Apply checks
// replayed events against the same table with Allows.
//
// A Machine keeps no per-instance state: the current state lives in the
// aggregate (as a string), and Fire borrows a pooled fsm.FSM, sets it to
// that state and fires the event. This avoids one fsm object per party per
// idle interaction (≈1 KB each, see the project's prior-art notes, shared/PRIOR-ART.md) while the table stays the
// single authority. Fire never passes a cancellable context and no callbacks
// are registered, which sidesteps the fsm traps listed there
// (deadlocks in callbacks, machines stuck after a cancelled context).
type Machine struct {
	Name    string
	Initial string
	Table   fsm.Events
	// Entries, when set, are the states an instance may start in besides
	// Initial, because another machine's event puts it there (a party's
	// role is set when it is invited or enters).
	Entries []string

	next   map[edge]string
	states []string
	events []string
	pool   sync.Pool
	// firers: who may fire each event (WithFirers); nil for machines
	// that do not say.
	firers map[string]Permission
}

type edge struct{ from, event string }

// NewMachine compiles a table. It panics on a malformed table: tables are
// package-level declarations, so that is a programming error found at init.
func NewMachine(name, initial string, table fsm.Events) *Machine {
	m := &Machine{Name: name, Initial: initial, Table: table, next: map[edge]string{}}
	seenState := map[string]bool{initial: true}
	seenEvent := map[string]bool{}
	m.states = append(m.states, initial)
	for _, e := range table {
		if !seenEvent[e.Name] {
			seenEvent[e.Name] = true
			m.events = append(m.events, e.Name)
		}
		for _, src := range append(append([]string(nil), e.Src...), e.Dst) {
			if !seenState[src] {
				seenState[src] = true
				m.states = append(m.states, src)
			}
		}
		for _, src := range e.Src {
			if src == e.Dst {
				panic("interaction: self-transition in machine " + name + ": looplab/fsm reports it as NoTransitionError")
			}
			if _, dup := m.next[edge{src, e.Name}]; dup {
				panic("interaction: duplicate transition in machine " + name)
			}
			m.next[edge{src, e.Name}] = e.Dst
		}
	}
	m.pool.New = func() any { return fsm.NewFSM(initial, table, nil) }
	return m
}

// Fire runs event from state from on a looplab/fsm machine built from the
// table and returns the new state, or an *Error of kind ErrInvalidTransition.
func (m *Machine) Fire(from, event string) (string, error) {
	f := m.pool.Get().(*fsm.FSM)
	f.SetState(from)
	err := f.Event(context.Background(), event)
	if err != nil {
		var invalid fsm.InvalidEventError
		var unknown fsm.UnknownEventError
		if errors.As(err, &invalid) || errors.As(err, &unknown) {
			m.pool.Put(f)
		}
		// Any other error means the fsm is in an unknown condition: drop it.
		return "", &Error{Kind: ErrInvalidTransition, Op: m.Name, Detail: "cannot " + event + " when " + from}
	}
	to := f.Current()
	m.pool.Put(f)
	return to, nil
}

// Can reports whether event is declared from state from.
func (m *Machine) Can(from, event string) bool {
	_, ok := m.next[edge{from, event}]
	return ok
}

// Allows reports whether some declared event leads from one state to the
// other. Replay uses it to reject an event log that no command could have
// produced.
func (m *Machine) Allows(from, event, to string) bool {
	dst, ok := m.next[edge{from, event}]
	return ok && dst == to
}

// States lists every state, the initial one first, in declaration order.
func (m *Machine) States() []string { return append([]string(nil), m.states...) }

// Events lists every event name in declaration order.
func (m *Machine) Events() []string { return append([]string(nil), m.events...) }

// Mermaid renders the table as a Mermaid state diagram, through looplab/fsm's
// own visualiser, so the picture in the docs is drawn from the table itself.
func (m *Machine) Mermaid() string {
	out, err := fsm.VisualizeWithType(fsm.NewFSM(m.Initial, m.Table, nil), fsm.MermaidStateDiagram)
	if err != nil {
		panic(err) // only for an unknown visualise type, which is a constant here
	}
	if len(m.Entries) > 0 {
		start := "    [*] --> " + m.Initial + "\n"
		var entries strings.Builder
		for _, e := range m.Entries {
			entries.WriteString("    [*] --> " + e + "\n")
		}
		out = strings.Replace(out, start, entries.String(), 1)
	}
	if m.firers != nil {
		// Each edge names who fires it: "inviting --> active: accept [target]".
		lines := strings.Split(out, "\n")
		for i, l := range lines {
			if j := strings.LastIndex(l, ": "); j > 0 && strings.Contains(l, " --> ") {
				if p, ok := m.firers[l[j+2:]]; ok {
					lines[i] = l + " [" + p.By.String() + "]"
				}
			}
		}
		out = strings.Join(lines, "\n")
	}
	return out
}

// MermaidDocument is a Markdown page with a title, an introduction and one
// Mermaid diagram per machine: what the docs' state-machine pages are
// generated from (their tests compare the page in docs/ with it).
func MermaidDocument(title, intro string, machines ...*Machine) string {
	var b strings.Builder
	b.WriteString("# " + title + "\n\n" + intro)
	for _, m := range machines {
		b.WriteString("\n## " + m.Name + "\n\n```mermaid\n")
		b.WriteString(m.Mermaid())
		b.WriteString("```\n")
		b.WriteString(m.permissions())
	}
	return b.String()
}

// WithEntries sets Entries and returns m, for declarations.
func (m *Machine) WithEntries(states ...string) *Machine {
	m.Entries = states
	for _, st := range states {
		if !slices.Contains(m.states, st) {
			m.states = append(m.states, st)
		}
	}
	return m
}

// Terminal lists the states with no outgoing transition, sorted.
func (m *Machine) Terminal() []string {
	out := []string{}
	for _, s := range m.states {
		has := false
		for e := range m.next {
			if e.from == s {
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

// Firers says who may fire a transition of the leg or request machine
// (R-X6): the owner who made the leg or request, its target (the agent
// invited or asked), the system (the clock, routing). The contact is never
// one of them. A transition marked ByCascade is also fired as part of
// another change, by whoever makes it: the session ending (R-C7), a party
// leaving or being removed, the consultation a request came from ending.
type Firers uint8

const (
	ByOwner Firers = 1 << iota
	ByTarget
	BySystem
	ByCascade
)

var firerNames = [...]string{"owner", "target", "system", "cascade"}

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
	for i, n := range firerNames[:3] {
		if f&(1<<i) != 0 {
			parts = append(parts, "the "+n)
		}
	}
	return strings.Join(parts, " or ")
}

// FirerOf is what actor is to a leg or request of owner and target:
// BySystem for System, ByOwner or ByTarget, or 0 for anyone else (the
// contact, another agent).
func FirerOf(actor, owner, target PartyID) Firers {
	switch {
	case actor == System:
		return BySystem
	case actor == "":
		return 0
	case actor == owner:
		return ByOwner
	case actor == target:
		return ByTarget
	}
	return 0
}

// Permission is who may fire one transition by a command on the leg or
// request itself, and the SPEC.md rule that says so.
type Permission struct {
	By   Firers
	Rule string
}

// WithFirers declares who may fire each event of m and returns m, for
// declarations. Every event of the table must be declared, and only those:
// it panics otherwise, at init, like NewMachine.
func (m *Machine) WithFirers(p map[string]Permission) *Machine {
	for _, e := range m.events {
		if _, ok := p[e]; !ok {
			panic("interaction: machine " + m.Name + " declares no firers for " + e)
		}
	}
	for e := range p {
		if !slices.Contains(m.events, e) {
			panic("interaction: machine " + m.Name + " declares firers for unknown event " + e)
		}
	}
	m.firers = p
	return m
}

// Firers returns who may fire event, and whether m declares it at all
// (the leg and request machines do).
func (m *Machine) Firers(event string) (Permission, bool) {
	p, ok := m.firers[event]
	return p, ok
}

// MayFire reports whether by may fire event by a command: true for a
// machine that declares no firers.
func (m *Machine) MayFire(event string, by Firers) bool {
	if m.firers == nil {
		return true
	}
	p, ok := m.firers[event]
	return ok && p.By&by&^ByCascade != 0
}

// MayFire refuses, with ErrNotPermitted and the table's rule, a command
// whose actor may not fire event of m on a leg or request of owner and
// target (see Firers).
func (d *Decision) MayFire(m *Machine, event string, owner, target PartyID) error {
	if m.MayFire(event, FirerOf(d.Actor, owner, target)) {
		return nil
	}
	p, _ := m.Firers(event)
	return d.Refuse(ErrNotPermitted, p.Rule, "only "+p.By.words()+" may "+event+" a "+m.Name)
}

// permissions renders m's firers as a Markdown table, "" when it declares
// none.
func (m *Machine) permissions() string {
	if m.firers == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n| event | from → to | who fires it | rule |\n|---|---|---|---|\n")
	for _, e := range m.Table {
		p := m.firers[e.Name]
		who := p.By.words()
		if p.By&ByCascade != 0 {
			who += "; also whoever ends the session or takes a party out"
		}
		b.WriteString("| " + e.Name + " | " + strings.Join(e.Src, ", ") + " → " + e.Dst + " | " + who + " | " + p.Rule + " |\n")
	}
	return b.String()
}
