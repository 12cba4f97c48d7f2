package interaction

import "context"

// Supervision (R-X7): a supervisor monitors a chat, coaches one of its
// agents, or barges in. Each way is a party of the interaction with its
// own membership (through MembershipMachine, trigger "enter") and its own
// visibility scope:
//
//   - Monitor: the supervisor sees every message and event the agent it
//     monitors sees, that agent's consultation legs included, plus the
//     shared chat while it is in it (CanSee delegates to the agent, bounded
//     by the supervisor's own stay). Nobody sees it: its membership and
//     mode events are ScopeParty(supervisor), and it is in no other
//     party's View.Parties.
//   - Coach: as Monitor, and the supervisor writes messages that only the
//     coached agent sees, never the contact (ScopeCoach, Party = the agent,
//     author = the supervisor). The coached agent sees the supervisor among
//     its parties and is told when coaching starts (the mode event is in
//     ScopeCoach); nobody else sees it.
//   - BargeIn: the supervisor becomes a conference member (RoleMember),
//     seen by all from then on, reading the whole transcript like a
//     conference target (R-F2) and writing to everyone (R-F3). It keeps
//     the sight of the agent it monitored (its consultations included), so
//     that barging in never hides from it what it was reading; a supervisor
//     monitoring it in turn sees all of that too (CanSee follows the chain).
//
// Decisions where the rules are silent:
//
//   - Who may supervise: whom the embedding service's SupervisionPolicy
//     allows (WithSupervision; without one nobody may), asked before
//     anything about the agent or the chat is checked, so a refused party
//     learns nothing from the refusal. Among those, any party ID that is
//     not (and was not) in the interaction in another role, acting as
//     itself, never the system; a supervisor who left may come back
//     (membership "enter" from left or done). The contact, the agents of
//     the chat and its consultation targets cannot supervise it: their
//     views and their R-C8 duty would blur. These are the guards of the
//     role machine's barge_in, monitor and coach, in that order, the ones
//     that read the actor alone first (Decision.Supervision).
//   - Only an agent engaged with the contact (owner or conference member,
//     present) can be monitored or coached, and only while the chat is
//     active. One supervisor supervises one agent per interaction at a
//     time; Monitor or Coach with another agent switches to it. Switching
//     (including from coaching back to silent monitoring) is told to the
//     supervisor only, so that a silent monitor is never revealed.
//   - When the supervised agent leaves (transfer, end of its part), the
//     supervisor keeps reading what the agent saw until then and the shared
//     chat from then on, not the new owner's consultations; Monitor the new
//     owner to follow it.
//   - Monitor and Coach do not make the supervisor engaged: Party.WasEngaged
//     stays false, so it has no My History entry (like a consultation
//     target, R-H3), and it need not mark done (CloseIfDone skips
//     supervisors). BargeIn makes it engaged: it gets a My History entry and,
//     being a member, must mark done before the interaction closes (R-C8).
//   - A supervisor stops with Leave (as itself); the end of the session
//     takes it out like everyone else (R-C7). Monitor of the same agent in
//     the same mode changes nothing and records nothing.
//   - Coach refuses a supervisor that barged in: it is a member now and
//     writes to everyone.

// SupervisionPolicy is the embedding service's rule of who may supervise
// whom (R-X7): asked before anything else of a Monitor, Coach or BargeIn,
// so that a party it refuses learns nothing of the interaction from the
// refusal. A Service without one (WithSupervision) refuses every
// supervision; a Decision made without a Service (NewDecision) refuses
// too: the harness kit's tests give theirs one through the module's
// internal decisionhook.
type SupervisionPolicy interface {
	// MaySupervise reports whether supervisor may monitor, coach or barge in
	// on agent in interaction id. For a barge-in without monitoring first,
	// agent is the chat's owner.
	MaySupervise(id ID, supervisor, agent PartyID) bool
}

// SupervisionPolicyFunc adapts a function to SupervisionPolicy.
type SupervisionPolicyFunc func(id ID, supervisor, agent PartyID) bool

// MaySupervise implements SupervisionPolicy.
func (f SupervisionPolicyFunc) MaySupervise(id ID, supervisor, agent PartyID) bool {
	return f(id, supervisor, agent)
}

// AnyoneMaySupervise lets every party supervise every agent: for tests and
// demos only, never for a service with real contacts.
var AnyoneMaySupervise SupervisionPolicy = SupervisionPolicyFunc(func(ID, PartyID, PartyID) bool { return true })

// Supervised returns the agent that supervisor p (a party of s) monitors
// or coaches, or monitored before it barged in (R-X7); nil for anyone else.
func (s *State) Supervised(p *Party) *Party {
	if p.Supervises == "" {
		return nil
	}
	return s.Party(p.Supervises)
}

// Monitor: the acting supervisor starts monitoring Agent unseen, or
// switches to it (R-X7).
type Monitor struct{ Agent PartyID }

func (c Monitor) Decide(d *Decision) error {
	d.SetOp("monitor")
	return supervise(d, c.Agent, TriggerMonitor, "")
}

// Coach: the acting supervisor coaches Agent (starting to supervise it if
// needed) and, when Text is not empty, writes Text that only Agent sees,
// never the contact (R-X7).
type Coach struct {
	Agent PartyID
	Text  string
}

func (c Coach) Decide(d *Decision) error {
	d.SetOp("coach")
	return supervise(d, c.Agent, TriggerCoach, c.Text)
}

// BargeIn: the acting supervisor joins the chat as a conference member,
// seen by all from now on; it reads the whole transcript (R-X7, R-F2, R-F3).
// A supervisor that was not monitoring may barge in directly.
type BargeIn struct{}

func (BargeIn) Decide(d *Decision) error {
	d.SetOp("barge in")
	sup := d.State().Party(d.actor)
	agent := PartyID("")
	if sup != nil && sup.Present() {
		agent = sup.Supervises // else the policy is asked about the owner
	}
	if err := d.Supervision(agent, TriggerBargeIn, Everyone); err != nil {
		return err
	}
	d.NoticeOf(Notice{Code: NoticeJoined, Parties: []PartyID{d.actor}}, Everyone)
	return nil
}

// Decides R-X7: a supervisor monitors or coaches an engaged agent, unseen by the contact.
func supervise(d *Decision, agent PartyID, mode Trigger, text string) error {
	if text != "" {
		if err := d.CheckText(text); err != nil {
			return err
		}
	}
	scope := PartyScope(d.actor)
	if mode == TriggerCoach {
		scope = Scope{Kind: ScopeCoach, Party: agent}
	}
	if err := d.Supervision(agent, mode, scope); err != nil {
		return err
	}
	if text != "" {
		return d.message(text, KindText, Scope{Kind: ScopeCoach, Party: agent})
	}
	return nil
}

// Monitor lets supervisor monitor agent in interaction id, unseen (R-X7).
func (s *Service) Monitor(ctx context.Context, id ID, supervisor, agent PartyID) error {
	return run(s, ctx, id, supervisor, "", Monitor{Agent: agent}, nil, false)
}

// Coach lets supervisor coach agent; text, when not empty, only agent sees (R-X7).
func (s *Service) Coach(ctx context.Context, id ID, supervisor, agent PartyID, text string) error {
	return run(s, ctx, id, supervisor, "", Coach{Agent: agent, Text: text}, nil, false)
}

// BargeIn makes supervisor a conference member of interaction id (R-X7).
func (s *Service) BargeIn(ctx context.Context, id ID, supervisor PartyID) error {
	return run(s, ctx, id, supervisor, "", BargeIn{}, nil, false)
}
