package chatconsulttest

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"pgregory.net/rapid"

	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/interaction"
)

// Gen makes rapid generators for parties, targets, texts, steps and whole
// stories. The zero value is ready: one contact, four agents, stories of
// a mean of 25 steps with every command, a fifth of them drawn without regard
// to the situation (wrong actor, unknown leg, bad text…).
//
//	story := chatconsulttest.Gen{}.Story().Draw(t, "story")
type Gen struct {
	// Contact is the customer (default "contact").
	Contact interaction.PartyID
	// Agents are the agents stories use (default agent1 … agent4).
	Agents []interaction.PartyID
	// MaxSteps bounds a story's length (default 60; the mean is about 25).
	MaxSteps int
	// ChatOnly restricts stories to the chat commands of package
	// interaction (no consultation, transfer or conference).
	ChatOnly bool
	// Supervisors turns supervision on (R-X7): these supervisors monitor,
	// coach, barge in and leave. The agents supervise too, now and then,
	// before they take part in the chat in another role (an agent who
	// supervised and is later consulted, say); and former supervisors are
	// consulted. Empty (the default): no supervision step.
	Supervisors []interaction.PartyID
	// Policy is the supervision policy the stories are drawn for, as the
	// harness runs them (R-X7; nil: interaction.AnyoneMaySupervise, the
	// harness's default). The generator's model must agree with the
	// harness's to leave out the steps that run into a known core bug.
	Policy interaction.SupervisionPolicy
	// Routes is the directory routed invitations are drawn from (R-C2,
	// R-X1): for each group, skill or queue, its agents in the order
	// routing offers them. Nil: DefaultRoutes over Agents and Supervisors. Stories offer
	// a routed consultation, transfer or conference to one to FanOut agents
	// at once, answer the offers, and offer on after a decline, a time-out
	// or a rescind to the next agents of the directory, or tell the owner
	// that nobody is left. An empty map: no routed invitations.
	Routes map[interaction.Target][]interaction.PartyID
	// FanOut is the most agents one round of offers goes to (default 2).
	FanOut int
	// InvalidPercent is the share of steps, in percent, drawn without
	// regard to the situation: any verb, any actor, unknown IDs, bad
	// input. Zero means the default, 20; a negative value means none.
	InvalidPercent int
}

func (g Gen) contact() interaction.PartyID {
	if g.Contact == "" {
		return "contact"
	}
	return g.Contact
}

func (g Gen) agents() []interaction.PartyID {
	if len(g.Agents) == 0 {
		return []interaction.PartyID{"agent1", "agent2", "agent3", "agent4"}
	}
	return g.Agents
}

func (g Gen) policy() interaction.SupervisionPolicy {
	if g.Policy == nil {
		return interaction.AnyoneMaySupervise
	}
	return g.Policy
}

// DefaultRoutes is the directory of routed invitations over agents: the
// skill billing has them all in order, the group tier2 all but the first,
// the queue vip all in reverse order.
func DefaultRoutes(agents []interaction.PartyID) map[interaction.Target][]interaction.PartyID {
	rev := make([]interaction.PartyID, len(agents))
	for i, a := range agents {
		rev[len(agents)-1-i] = a
	}
	tier2 := agents
	if len(agents) > 1 {
		tier2 = agents[1:]
	}
	return map[interaction.Target][]interaction.PartyID{
		{Kind: interaction.TargetSkill, ID: "billing"}: agents,
		{Kind: interaction.TargetGroup, ID: "tier2"}:   tier2,
		{Kind: interaction.TargetQueue, ID: "vip"}:     rev,
	}
}

func (g Gen) routes() map[interaction.Target][]interaction.PartyID {
	if g.Routes == nil {
		// A supervisor is an agent like any other: routing may offer it an
		// invitation once it no longer supervises (R-C5, R-X3).
		return DefaultRoutes(append(slices.Clone(g.agents()), g.Supervisors...))
	}
	return g.Routes
}

// routeTargets are the directory's targets in a fixed order.
func (g Gen) routeTargets() []interaction.Target {
	var out []interaction.Target
	for t := range g.routes() {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b interaction.Target) int { return strings.Compare(a.String(), b.String()) })
	return out
}

func (g Gen) fanOut() int {
	if g.FanOut <= 0 {
		return 2
	}
	return g.FanOut
}

func (g Gen) maxSteps() int {
	if g.MaxSteps <= 0 {
		return 60
	}
	return g.MaxSteps
}

func (g Gen) invalidPercent() int {
	switch {
	case g.InvalidPercent == 0:
		return 20
	case g.InvalidPercent < 0:
		return 0
	}
	return min(g.InvalidPercent, 100)
}

// Party draws any acting party: the contact, an agent, a supervisor (when
// there are any), System, a stranger or nobody ("").
func (g Gen) Party() *rapid.Generator[interaction.PartyID] {
	all := append([]interaction.PartyID{g.contact()}, g.agents()...)
	all = append(all, g.Supervisors...)
	all = append(all, interaction.System, Stranger, "")
	return rapid.SampledFrom(all)
}

// Agent draws one of the agents.
func (g Gen) Agent() *rapid.Generator[interaction.PartyID] {
	return rapid.SampledFrom(g.agents())
}

// Target draws a target: mostly an agent, sometimes a group, skill or
// queue (which a router resolves, R-C2).
func (g Gen) Target() *rapid.Generator[interaction.Target] {
	return rapid.Custom(func(t *rapid.T) interaction.Target {
		kind := rapid.SampledFrom([]interaction.TargetKind{interaction.TargetAgent, interaction.TargetAgent,
			interaction.TargetGroup, interaction.TargetSkill, interaction.TargetQueue}).Draw(t, "kind")
		if kind == interaction.TargetAgent {
			return agentTarget(g.Agent().Draw(t, "agent"))
		}
		return interaction.Target{Kind: kind, ID: rapid.SampledFrom([]string{"billing", "tier2", "vip"}).Draw(t, "id")}
	})
}

var sampleTexts = []string{
	"Hello, I need help with my invoice",
	"Let me check that for you",
	"Can I refund this?",
	"Yes, up to 50 EUR",
	"Grüße aus Köln 🙂",
	"order #4711",
	// Control and invisible characters inside visible text are kept as
	// written (R-X6): a tab, a NUL, a zero-width space, a ZWJ sequence.
	"see\tthe NUL\x00 here",
	"zero\u200bwidth 👩\u200d💻",
}

// Text draws valid message text, up to the 4096-byte limit, now and then
// with control or invisible characters inside visible text (kept as
// written, R-X6).
func (g Gen) Text() *rapid.Generator[string] {
	return rapid.OneOf(
		rapid.SampledFrom(sampleTexts),
		rapid.Just(strings.Repeat("y", interaction.DefaultLimits.MaxMessageBytes)),
		rapid.StringMatching(`[A-Za-z][A-Za-z0-9 ,.?!]{0,40}`),
		rapid.SampledFrom([]string{"a\x00b", "tab\there\r\n", "zero\u200bwidth", "👩\u200d💻", "\u202eevil", "\x1b[1mbold\x1b[0m"}),
	)
}

// BadText draws text the library must refuse as bad input: empty,
// whitespace only, invisible only (zero-width space, NUL and other
// controls, BOM, bidi controls, fillers), over the 4096-byte limit,
// invalid UTF-8 (R-X6).
func (g Gen) BadText() *rapid.Generator[string] {
	return rapid.SampledFrom([]string{
		"", " ", " \t\n ", "\u00a0\u2003",
		"\u200b", "\x00", "\x1b\x7f", "\u200b\u200c\u200d\ufeff", "\u202e\u2066", "\u00ad", "\u3164", "\u2800", " \x00\u200b\u3000",
		strings.Repeat("x", interaction.DefaultLimits.MaxMessageBytes+1),
		"a\xffb", "\xc3\x28",
	})
}

// BadPartyID draws party IDs the library must refuse as bad input (R-X6):
// missing, System or a look-alike of it (case, fullwidth, mathematical or
// circled letters, a long s), with a control, whitespace or invisible
// character, whitespace only, over 256 bytes, invalid UTF-8.
func (g Gen) BadPartyID() *rapid.Generator[interaction.PartyID] {
	return rapid.SampledFrom([]interaction.PartyID{
		"", interaction.System, "System", "SYSTEM", "ſystem", "ｓｙｓｔｅｍ", "𝐬𝐲𝐬𝐭𝐞𝐦", "ⓢⓨⓢⓣⓔⓜ", "sys\u200btem",
		"agent1\x00", "agent\n1", "\x1b[31magent1", "agent1\x7f", "agent1\u0085",
		"agent\u200b1", "agent\u200d1", "\ufeffagent1", "\u202eagent1", "agent1\ufe0f",
		" ", "\t", "\u00a0\u3000", " agent1", "agent 1", "\u2800", "\u3164",
		interaction.PartyID(strings.Repeat("a", 257)), "a\xffb",
	})
}

// BadID draws leg and request IDs the library must refuse as bad input
// (R-X6): missing, with a control, whitespace or invisible character,
// over 256 bytes, invalid UTF-8.
func (g Gen) BadID() *rapid.Generator[interaction.LegID] {
	return rapid.SampledFrom([]interaction.LegID{
		"", " ", "leg\x00", "leg\n1", "leg\u200b1", "\ufeffleg1", "leg 1", "\u2800",
		interaction.LegID(strings.Repeat("l", 257)), "a\xffb",
	})
}

// BadTarget draws targets the library must refuse as bad input (R-X6):
// an unknown kind (beyond TargetQueue), or a malformed ID.
func (g Gen) BadTarget() *rapid.Generator[interaction.Target] {
	return rapid.SampledFrom([]interaction.Target{
		{Kind: interaction.TargetQueue + 1, ID: "billing"}, {Kind: 255, ID: "vip"},
		{Kind: interaction.TargetGroup}, {Kind: interaction.TargetSkill, ID: "bill\u200bing"},
		{Kind: interaction.TargetQueue, ID: "vip\n"}, {Kind: interaction.TargetAgent, ID: "agent1\x00"},
		{Kind: interaction.TargetGroup, ID: strings.Repeat("g", 257)},
	})
}

// AnyText draws valid or bad text.
func (g Gen) AnyText() *rapid.Generator[string] {
	return rapid.OneOf(g.Text(), g.BadText())
}

// Step draws one step without regard to any situation: any verb, any
// actor, unknown legs and requests, bad text, now and then an interaction
// that does not exist.
func (g Gen) Step() *rapid.Generator[Step] {
	return rapid.Custom(func(t *rapid.T) Step { return g.arbitrary(t, nil) })
}

// Story draws a whole story on StoryInteraction: it opens with the contact's
// first message; every later step is, most of the time, one the current
// situation makes plausible (the reference model tracks it while
// drawing), and otherwise an arbitrary one (see Step). Steps that run into
// a known core bug are left out.
func (g Gen) Story() *rapid.Generator[Story] {
	return rapid.Custom(func(t *rapid.T) Story {
		m := NewModel(StoryInteraction)
		m.Policy = g.policy()
		open := Step{Actor: g.contact(), Command: interaction.Open{Contact: g.contact(), Text: sampleTexts[0]}}
		m.Do(open)
		steps := []Step{open}
		for tries := 0; len(steps) < g.maxSteps() && tries < 3*g.maxSteps() && g.more(t); tries++ {
			s := g.NextStep(m).Draw(t, "step")
			if out := m.Do(s); out.KnownBug != "" {
				continue
			}
			steps = append(steps, s)
		}
		return Story{Steps: steps}
	})
}

// fairIndex draws 0 ≤ i < n evenly (rapid's integers lean towards small
// values, which would starve the later choices); it shrinks towards 0.
func fairIndex(t *rapid.T, n int, label string) int {
	if n <= 1 {
		return 0
	}
	v := 0
	for i := 0; i < bits.Len(uint(n-1))+2; i++ {
		v <<= 1
		if rapid.Bool().Draw(t, label) {
			v |= 1
		}
	}
	return v % n
}

// more decides whether a story goes on: it stops with probability 1/32
// per step, on five fair coins, so that rapid shrinks a story by stopping
// it early (all coins false).
func (g Gen) more(t *rapid.T) bool {
	for i := 0; i < 5; i++ {
		if rapid.Bool().Draw(t, "more") {
			return true
		}
	}
	return false
}

// NextStep draws a step for the situation m is in (m is not changed): a
// user's own rapid state machine can drive the model with it.
func (g Gen) NextStep(m *Model) *rapid.Generator[Step] {
	return rapid.Custom(func(t *rapid.T) Step {
		if fairIndex(t, 100, "dice") >= 100-g.invalidPercent() {
			return g.arbitrary(t, m)
		}
		cats := g.candidates(m)
		var live []int
		for i, c := range cats {
			for w := 0; w < catWeight[i] && len(c) > 0; w++ {
				live = append(live, i)
			}
		}
		if len(live) == 0 {
			return g.arbitrary(t, m)
		}
		c := cats[live[fairIndex(t, len(live), "category")]]
		return c[fairIndex(t, len(c), "pick")](t)
	})
}

type candidate func(t *rapid.T) Step

// Categories of plausible steps, in the order rapid shrinks towards, and
// how often each is drawn when it has candidates: leaving and ending are
// rare, so that stories get deep.
const (
	catTalk = iota
	catConsult
	catChat
	catHandOver
	catDone
	catLeave
	catSupervise
	catRoute
	catCount
)

var catWeight = [catCount]int{catTalk: 2, catConsult: 4, catChat: 3, catHandOver: 3, catDone: 2, catLeave: 1, catSupervise: 3, catRoute: 3}

// files draws a message's attachments (issue 17): mostly none; else one
// or two canonical ones (FileFor) with references as distinctive as the
// text, and now and then a bad one (bad input, R-X6).
func (g Gen) files(t *rapid.T, m *Model) []interaction.Attachment {
	switch rapid.IntRange(0, 19).Draw(t, "files") {
	case 0, 1, 2:
		return []interaction.Attachment{FileFor(fmt.Sprintf("file-%d-a", len(m.messages)+1))}
	case 3:
		return []interaction.Attachment{FileFor(fmt.Sprintf("file-%d-a", len(m.messages)+1)), FileFor(fmt.Sprintf("file-%d-b", len(m.messages)+1))}
	case 4:
		return []interaction.Attachment{FileFor("bad ref")}
	}
	return nil
}

func (g Gen) text(t *rapid.T, m *Model) string {
	// Numbered, so that every accepted message is told apart.
	return fmt.Sprintf("%s (%d)", rapid.SampledFrom(sampleTexts).Draw(t, "text"), len(m.messages)+1)
}

// candidates lists plausible steps by category, from the model's
// situation. Most are accepted; some are refused, on purpose (say, a
// conference request while one is pending).
func (g Gen) candidates(m *Model) [catCount][]candidate {
	var c [catCount][]candidate
	add := func(cat int, f candidate) { c[cat] = append(c[cat], f) }
	step := func(actor interaction.PartyID, cmd interaction.Command) candidate {
		return func(*rapid.T) Step { return Step{Actor: actor, Command: cmd} }
	}
	if !m.exists {
		add(catChat, step(g.contact(), interaction.Open{Contact: g.contact(), Text: sampleTexts[0]}))
		return c
	}
	owner := m.presentOwner()
	var free []interaction.PartyID // agents that can be invited
	for _, a := range g.agents() {
		if p := m.party(a); !inChat(p) {
			free = append(free, a)
		}
	}
	offered := false
	for _, p := range m.parties {
		if p.present() && (p.role == interaction.RoleContact || p.role.Engaged()) {
			add(catTalk, func(t *rapid.T) Step {
				return Step{Actor: p.id, Command: interaction.Post{Text: g.text(t, m), Attachments: g.files(t, m)}}
			})
		}
		if p.present() && p.role != interaction.RoleContact {
			add(catTalk, func(t *rapid.T) Step {
				return Step{Actor: p.id, Command: interaction.Note{Text: g.text(t, m), Attachments: g.files(t, m)}}
			})
		}
		if p.present() {
			// Read receipts (issue 17): up to one of its messages, now and
			// then one it has not.
			add(catTalk, func(t *rapid.T) Step {
				n := m.seenUpTo(p, len(m.messages)-1)
				return Step{Actor: p.id, Command: interaction.MarkRead{Seq: uint32(rapid.IntRange(0, int(n)+1).Draw(t, "read"))}}
			})
		}
		if p.role == interaction.RoleOwner && p.membership == interaction.MemberInvited && m.status == interaction.StatusWaiting {
			offered = true
			for i := 0; i < 3; i++ {
				add(catChat, step(p.id, interaction.Join{}))
			}
			add(catChat, step(p.id, interaction.Decline{}))
			add(catChat, step(interaction.System, interaction.Withdraw{Agent: p.id}))
		}
		switch {
		case !p.present() || p.role == interaction.RoleConsultant:
		case p.role == interaction.RoleContact:
			// The contact going ends everything: only once the chat has gone on a while.
			if len(m.messages) > 8 {
				add(catLeave, step(p.id, interaction.EndSession{}))
				add(catLeave, step(p.id, interaction.Leave{}))
			}
		default:
			add(catLeave, step(p.id, interaction.EndSession{}))
			add(catLeave, step(p.id, interaction.Leave{}))
		}
		if p.tookPart && p.role != interaction.RoleContact && p.membership != interaction.MemberDone &&
			(!p.present() || m.status == interaction.StatusEnded) {
			add(catDone, step(p.id, interaction.MarkDone{}))
		}
	}
	if m.status == interaction.StatusWaiting && !offered {
		for _, a := range free {
			add(catChat, step(interaction.System, interaction.Assign{Agent: a}))
		}
	}
	g.supervision(m, &c)
	if g.ChatOnly {
		return c
	}
	for _, s := range g.Supervisors {
		// A former supervisor is an agent like any other: it may be
		// consulted or asked to take the chat (R-C5, R-X3: it then reads
		// its own leg, not its former agent's).
		if p := m.party(s); p != nil && !inChat(p) {
			free = append(free, s)
		}
	}
	for _, l := range m.legs {
		switch l.state {
		case interaction.LegInviting:
			for i := 0; i < 3; i++ {
				add(catConsult, step(l.agent, consult.Accept{Leg: l.id}))
			}
			add(catConsult, step(l.agent, consult.Decline{Leg: l.id}))
			add(catConsult, step(l.owner, consult.Cancel{Leg: l.id}))
			add(catConsult, step(interaction.System, consult.TimeOut{Leg: l.id}))
		case interaction.LegActive:
			talkers := []interaction.PartyID{l.owner, l.agent, l.owner, l.agent}
			if l.medium == interaction.MediumVoice {
				talkers = talkers[:1] // refused: a voice leg has no transcript (R-C10)
			}
			for _, who := range talkers {
				add(catTalk, func(t *rapid.T) Step {
					return Step{Actor: who, Command: consult.Say{Leg: l.id, Text: g.text(t, m), Attachments: g.files(t, m)}}
				})
			}
			add(catConsult, step(l.owner, consult.EndConsultation{Leg: l.id}))
			add(catConsult, step(l.agent, consult.EndConsultation{Leg: l.id}))
			add(catHandOver, step(l.owner, consult.Transfer{Leg: l.id}))
			add(catHandOver, step(l.owner, consult.Conference{Leg: l.id, Request: g.nextRequest(m)}))
		}
	}
	for _, r := range m.requests {
		if r.state != interaction.RequestPending {
			continue
		}
		add(catHandOver, step(r.agent, consult.AcceptRequest{Request: r.id}))
		add(catHandOver, step(r.agent, consult.AcceptRequest{Request: r.id}))
		add(catHandOver, step(r.agent, consult.DeclineRequest{Request: r.id}))
		add(catHandOver, step(interaction.System, consult.TimeOutRequest{Request: r.id}))
		add(catHandOver, step(r.from, consult.CancelRequest{Request: r.id}))
	}
	if owner != nil && m.status == interaction.StatusActive {
		for _, p := range m.parties {
			if p.role == interaction.RoleSupervisor && p.present() {
				// Refused as a conflict: the target is in the
				// interaction already (R-X3).
				add(catConsult, step(owner.id, consult.Start{Leg: g.nextLeg(m), Invitee: p.id, Target: agentTarget(p.id)}))
			}
		}
	}
	if owner != nil && m.status == interaction.StatusActive && len(free) > 0 {
		o := owner.id
		add(catConsult, func(t *rapid.T) Step {
			a := free[fairIndex(t, len(free), "agent")]
			// Medium 3 does not exist: refused as bad input (R-C10).
			medium := rapid.SampledFrom([]interaction.Medium{interaction.MediumChat, interaction.MediumChat, interaction.MediumIM, interaction.MediumVoice, 3}).Draw(t, "medium")
			return Step{Actor: o, Command: consult.Start{Leg: g.nextLeg(m), Invitee: a, Target: agentTarget(a), Medium: medium}}
		})
		add(catHandOver, func(t *rapid.T) Step {
			a := free[fairIndex(t, len(free), "agent")]
			kind := rapid.SampledFrom([]interaction.RequestKind{interaction.RequestTransfer, interaction.RequestConference}).Draw(t, "kind")
			return Step{Actor: o, Command: consult.Direct{Request: g.nextRequest(m), Kind: kind, Invitee: a, Target: agentTarget(a)}}
		})
	}
	if owner != nil && m.status == interaction.StatusActive {
		o := owner.id
		for _, p := range m.parties {
			if p.role == interaction.RoleMember && p.present() {
				add(catHandOver, step(o, consult.Remove{Member: p.id}))
			}
		}
	}
	g.routing(m, &c)
	return c
}

// routing adds the steps of routed invitations (R-C2, R-X1): the owner
// invites a group, skill or queue, offered to one to FanOut agents of the
// directory at once (a consultation, or a direct transfer or conference);
// routing offers on after an offer failed, to the next agents of the
// directory, or tells the owner that nobody is left; and agents accept
// offers rescinded because another was accepted first (refused).
func (g Gen) routing(m *Model, c *[catCount][]candidate) {
	if len(g.routes()) == 0 {
		return
	}
	add := func(f candidate) { c[catRoute] = append(c[catRoute], f) }
	owner := m.presentOwner()
	if owner != nil && m.status == interaction.StatusActive {
		targets := g.routeTargets()
		add(func(t *rapid.T) Step {
			tg := targets[fairIndex(t, len(targets), "routed target")]
			n := 1 + fairIndex(t, g.fanOut(), "fan-out")
			var cmds Offers
			route := interaction.RouteID(fmt.Sprintf("route%d", len(m.invitations)+1))
			kind := rapid.SampledFrom([]interaction.RequestKind{interaction.RequestNoKind, interaction.RequestNoKind, interaction.RequestTransfer, interaction.RequestConference}).Draw(t, "routed kind")
			medium := rapid.SampledFrom([]interaction.Medium{interaction.MediumChat, interaction.MediumChat, interaction.MediumIM, interaction.MediumVoice}).Draw(t, "routed medium")
			for i, a := range g.nextAgents(m, tg, owner.id, nil, n) {
				if kind == interaction.RequestNoKind {
					cmds = append(cmds, consult.Start{Leg: interaction.LegID(fmt.Sprintf("leg%d", len(m.legs)+1+i)), Invitee: a, Target: tg, Medium: medium, Route: route})
				} else {
					cmds = append(cmds, consult.Direct{Request: interaction.RequestID(fmt.Sprintf("req%d", len(m.requests)+1+i)), Kind: kind, Invitee: a, Target: tg, Route: route})
				}
			}
			switch {
			case len(cmds) == 0:
				// Nobody free: the owner writes instead (a router would refuse).
				return Step{Actor: owner.id, Command: interaction.Post{Text: g.text(t, m)}}
			case len(cmds) == 1 && rapid.Bool().Draw(t, "own route"):
				// One offer, its route named after it.
				switch x := cmds[0].(type) {
				case consult.Start:
					x.Route = ""
					return Step{Actor: owner.id, Command: x}
				case consult.Direct:
					x.Route = ""
					return Step{Actor: owner.id, Command: x}
				}
			}
			return Step{Actor: owner.id, Command: cmds}
		})
	}
	for _, inv := range m.invitations {
		out := m.out(inv, "")
		for _, o := range inv.offers {
			pending := m.pending(o.id)
			switch {
			case pending:
				// Routing takes the offer back after a time-out or when the
				// agent logs out; the agent accepts naming its rivals.
				for _, reason := range []consult.RerouteReason{consult.RerouteTimedOut, consult.RerouteTimedOut, consult.RerouteRescinded} {
					add(func(t *rapid.T) Step { return g.reroute(t, m, inv, o.id, reason, len(out) == 1) })
				}
				rivals := m.out(inv, o.id)
				add(func(*rapid.T) Step {
					return Step{Actor: o.agent, Command: consult.AcceptOffer{Invitation: o.id, Rivals: rivals}}
				})
				// The agent says no: routing's next step follows (below).
				if m.leg(interaction.LegID(o.id)) != nil {
					add(func(*rapid.T) Step {
						return Step{Actor: o.agent, Command: consult.Decline{Leg: interaction.LegID(o.id)}}
					})
				} else {
					add(func(*rapid.T) Step {
						return Step{Actor: o.agent, Command: consult.DeclineRequest{Request: interaction.RequestID(o.id)}}
					})
				}
			case inv.taken != "" && o.id != inv.taken:
				// Too late: another accept won (refused, R-X1).
				if l := m.leg(interaction.LegID(o.id)); l != nil {
					add(func(*rapid.T) Step { return Step{Actor: o.agent, Command: consult.Accept{Leg: l.id}} })
				} else {
					add(func(*rapid.T) Step {
						return Step{Actor: o.agent, Command: consult.AcceptRequest{Request: interaction.RequestID(o.id)}}
					})
				}
			case inv.taken == "" && len(out) == 0 && m.declined(o.id):
				// Declined, and nothing else is out: routing's next step.
				for i := 0; i < 3; i++ {
					add(func(t *rapid.T) Step { return g.reroute(t, m, inv, o.id, consult.RerouteDeclined, true) })
				}
			}
		}
	}
}

// declined: offer id was declined by its agent.
func (m *Model) declined(id interaction.InvitationID) bool {
	if l := m.leg(interaction.LegID(id)); l != nil {
		return l.state == interaction.LegDeclined
	}
	r := m.request(interaction.RequestID(id))
	return r != nil && r.state == interaction.RequestDeclined
}

// nextAgents are the next n agents of the directory for target: not tried
// by inv, not in the chat, not the owner.
func (g Gen) nextAgents(m *Model, target interaction.Target, owner interaction.PartyID, inv *mInvitation, n int) []interaction.PartyID {
	var out []interaction.PartyID
	for _, a := range g.routes()[target] {
		if len(out) == n {
			break
		}
		if a == owner || a == m.contact || inChat(m.party(a)) || (inv != nil && inv.tried(a)) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// reroute is routing's next step after offer id failed for reason: when
// last (no other offer out), the next agents of the directory, or nobody
// left; now and then a wrong one (an agent tried already: refused, R-X1).
func (g Gen) reroute(t *rapid.T, m *Model, inv *mInvitation, id interaction.InvitationID, reason consult.RerouteReason, last bool) Step {
	c := consult.Reroute{Invitation: id, Reason: reason}
	switch {
	case !last && fairIndex(t, 3, "offer on early") == 0:
		last = true // while another offer is out: ignored
	case last && fairIndex(t, 6, "no next") == 0:
		last = false // the last offer failed, yet nobody is offered: refused
	}
	if last && m.canAsk(inv.owner) {
		n := 1 + fairIndex(t, g.fanOut(), "fan-out")
		for i, a := range g.nextAgents(m, inv.target, inv.owner, inv, n) {
			next := interaction.InvitationID(fmt.Sprintf("leg%d", len(m.legs)+1+i))
			if inv.kind != interaction.RequestNoKind {
				next = interaction.InvitationID(fmt.Sprintf("req%d", len(m.requests)+1+i))
			}
			c.Next = append(c.Next, consult.Offer{ID: next, Invitee: a})
		}
		c.Exhausted = len(c.Next) == 0
		if fairIndex(t, 10, "wrong next") == 0 {
			c.Next, c.Exhausted = append(c.Next, consult.Offer{ID: "leg-again", Invitee: inv.offers[0].agent}), false
		}
	}
	return Step{Actor: interaction.System, Command: c}
}

// supervision adds the supervision steps (R-X7): a supervisor (or an agent
// not yet in the chat) monitors or coaches an engaged agent, barges in, or
// leaves; and some that are refused: supervising the contact or a
// consultation target, coaching after barging in, a supervisor's note.
func (g Gen) supervision(m *Model, c *[catCount][]candidate) {
	if len(g.Supervisors) == 0 || !m.exists {
		return
	}
	add := func(f candidate) { c[catSupervise] = append(c[catSupervise], f) }
	var sups, agents []interaction.PartyID // who may supervise now
	for _, s := range g.Supervisors {
		if p := m.party(s); p == nil || p.role == interaction.RoleSupervisor {
			sups = append(sups, s)
		}
	}
	for _, a := range g.agents() {
		if p := m.party(a); p == nil || p.role == interaction.RoleSupervisor {
			agents = append(agents, a)
		}
	}
	if len(sups)+len(agents) == 0 {
		return
	}
	who := func(t *rapid.T) interaction.PartyID {
		if len(agents) > 0 && (len(sups) == 0 || fairIndex(t, 4, "agent supervises") == 0) {
			return agents[fairIndex(t, len(agents), "supervisor")]
		}
		return sups[fairIndex(t, len(sups), "supervisor")]
	}
	var engaged, others []interaction.PartyID
	for _, p := range m.parties {
		switch {
		case p.engagedNow():
			engaged = append(engaged, p.id)
		case p.present() || p.tookPart:
			others = append(others, p.id) // refused: only an engaged agent is supervised
		}
	}
	if m.status == interaction.StatusActive && len(engaged) > 0 {
		agent := func(t *rapid.T) interaction.PartyID {
			if len(others) > 0 && fairIndex(t, 8, "not engaged") == 0 {
				return others[fairIndex(t, len(others), "supervised")]
			}
			return engaged[fairIndex(t, len(engaged), "supervised")]
		}
		for i := 0; i < 2; i++ {
			add(func(t *rapid.T) Step { return Step{Actor: who(t), Command: interaction.Monitor{Agent: agent(t)}} })
			add(func(t *rapid.T) Step {
				cmd := interaction.Coach{Agent: agent(t)}
				if fairIndex(t, 4, "silent") > 0 {
					cmd.Text = "coach: " + g.text(t, m)
				}
				return Step{Actor: who(t), Command: cmd}
			})
		}
		add(func(t *rapid.T) Step { return Step{Actor: who(t), Command: interaction.BargeIn{}} })
	}
	// What supervision stories are about: the conversations a supervisor
	// reads through its agent, and former supervisors (agents too) who are
	// consulted or asked to join later, in another role (R-C5, R-X3).
	if owner := m.presentOwner(); owner != nil && m.status == interaction.StatusActive && !g.ChatOnly {
		for _, p := range m.parties {
			if p.role == interaction.RoleSupervisor && !inChat(p) {
				add(func(t *rapid.T) Step {
					return Step{Actor: owner.id, Command: consult.Start{Leg: g.nextLeg(m), Invitee: p.id, Target: agentTarget(p.id)}}
				})
			}
		}
		for _, l := range m.legs {
			if l.state == interaction.LegActive && l.medium != interaction.MediumVoice && m.watchedNow(l.owner, l.agent) {
				for _, who := range []interaction.PartyID{l.owner, l.agent, l.owner, l.agent, l.owner, l.agent} {
					add(func(t *rapid.T) Step { return Step{Actor: who, Command: consult.Say{Leg: l.id, Text: g.text(t, m)}} })
				}
			}
		}
	}
	for _, p := range m.parties {
		switch {
		case p.role == interaction.RoleSupervisor && p.present():
			for i := 0; i < 3; i++ {
				add(func(*rapid.T) Step { return Step{Actor: p.id, Command: interaction.Leave{}} })
			}
			add(func(t *rapid.T) Step { return Step{Actor: p.id, Command: interaction.Note{Text: g.text(t, m)}} })
		case p.role == interaction.RoleMember && p.supervises != "" && p.present():
			// Barged in: it writes to everyone now, coaching is refused.
			add(func(t *rapid.T) Step {
				return Step{Actor: p.id, Command: interaction.Coach{Agent: p.supervises, Text: "coach: " + g.text(t, m)}}
			})
		}
	}
}

// watchedNow: a supervisor in the chat supervises one of agents.
func (m *Model) watchedNow(agents ...interaction.PartyID) bool {
	for _, p := range m.parties {
		for _, a := range agents {
			if p.present() && p.supervises == a {
				return true
			}
		}
	}
	return false
}

func (g Gen) nextLeg(m *Model) interaction.LegID {
	return interaction.LegID(fmt.Sprintf("leg%d", len(m.legs)+1))
}

func (g Gen) nextRequest(m *Model) interaction.RequestID {
	return interaction.RequestID(fmt.Sprintf("req%d", len(m.requests)+1))
}

// invitations are the legs, then the requests, as the IDs of invitations
// (consult.AcceptOffer, Reroute).
func invitations(legs []interaction.LegID, reqs []interaction.RequestID) []interaction.InvitationID {
	var out []interaction.InvitationID
	for _, l := range legs {
		out = append(out, interaction.InvitationID(l))
	}
	for _, r := range reqs {
		out = append(out, interaction.InvitationID(r))
	}
	return out
}

// arbitrary draws any step; with a model, it aims at the legs, requests
// and parties that exist, among unknown ones.
func (g Gen) arbitrary(t *rapid.T, m *Model) Step {
	verbs := []string{"assign", "join", "decline", "withdraw", "post", "note", "leave", "end", "done", "open"}
	if !g.ChatOnly {
		verbs = append(verbs, "consult", "accept", "decline-leg", "cancel", "timeout", "end-leg", "say", "transfer",
			"conference", "direct", "accept-request", "decline-request", "timeout-request", "cancel-request", "remove",
			"accept-offer", "reroute")
	}
	if len(g.Supervisors) > 0 {
		verbs = append(verbs, "monitor", "coach", "barge-in")
	}
	verb := rapid.SampledFrom(verbs).Draw(t, "verb")
	// now and then draws bad input instead of an ordinary value (1 in n;
	// it shrinks towards the ordinary one).
	now := func(n int, label string) bool { return fairIndex(t, n, label) == n-1 }
	s := Step{Actor: g.Party().Draw(t, "actor")}
	if now(10, "bad actor") {
		s.Actor = g.BadPartyID().Draw(t, "actor")
	}
	if verb != "open" && rapid.IntRange(0, 19).Draw(t, "elsewhere") == 0 {
		s.Interaction = "no-such-chat"
	}
	legs := []interaction.LegID{"leg-x"}
	reqs := []interaction.RequestID{"req-x"}
	if m != nil {
		for _, l := range m.legs {
			legs = append(legs, l.id)
		}
		for _, r := range m.requests {
			reqs = append(reqs, r.id)
		}
	}
	switch verb {
	case "monitor", "coach", "barge-in":
		if s.Actor == Stranger {
			// Anyone may supervise: the stranger would become a party, and
			// it must stay a stranger to every story.
			s.Actor = g.Supervisors[0]
		}
	}
	leg := func() interaction.LegID {
		if now(8, "bad leg") {
			return g.BadID().Draw(t, "leg")
		}
		return rapid.SampledFrom(legs).Draw(t, "leg")
	}
	req := func() interaction.RequestID {
		if now(8, "bad request") {
			return interaction.RequestID(g.BadID().Draw(t, "request"))
		}
		return rapid.SampledFrom(reqs).Draw(t, "request")
	}
	agent := func() interaction.PartyID {
		if now(8, "bad agent") {
			return g.BadPartyID().Draw(t, "agent")
		}
		return g.Party().Draw(t, "agent")
	}
	target := func(a interaction.PartyID) interaction.Target {
		if now(8, "bad target") {
			return g.BadTarget().Draw(t, "target")
		}
		return agentTarget(a)
	}
	txt := func() string { return g.AnyText().Draw(t, "text") }
	newLeg := func() interaction.LegID {
		if m != nil && rapid.Bool().Draw(t, "fresh") {
			return g.nextLeg(m)
		}
		return leg()
	}
	switch verb {
	case "open":
		s.Command = interaction.Open{Contact: s.Actor, Text: txt()}
	case "assign":
		s.Command = interaction.Assign{Agent: agent()}
	case "join":
		s.Command = interaction.Join{}
	case "decline":
		s.Command = interaction.Decline{}
	case "withdraw":
		s.Command = interaction.Withdraw{Agent: agent()}
	case "post":
		s.Command = interaction.Post{Text: txt()}
	case "note":
		s.Command = interaction.Note{Text: txt()}
	case "leave":
		s.Command = interaction.Leave{}
	case "end":
		s.Command = interaction.EndSession{}
	case "done":
		s.Command = interaction.MarkDone{}
	case "consult":
		a := agent()
		s.Command = consult.Start{Leg: newLeg(), Invitee: a, Target: target(a),
			Medium: interaction.Medium(rapid.IntRange(0, 3).Draw(t, "medium"))}
	case "accept":
		s.Command = consult.Accept{Leg: leg()}
	case "decline-leg":
		s.Command = consult.Decline{Leg: leg()}
	case "cancel":
		s.Command = consult.Cancel{Leg: leg()}
	case "timeout":
		s.Command = consult.TimeOut{Leg: leg()}
	case "end-leg":
		s.Command = consult.EndConsultation{Leg: leg()}
	case "say":
		s.Command = consult.Say{Leg: leg(), Text: txt()}
	case "transfer":
		s.Command = consult.Transfer{Leg: leg()}
	case "conference":
		s.Command = consult.Conference{Leg: leg(), Request: req()}
	case "direct":
		a := agent()
		s.Command = consult.Direct{Request: req(), Kind: interaction.RequestKind(rapid.IntRange(0, 3).Draw(t, "kind")), Invitee: a, Target: target(a)}
	case "accept-request":
		s.Command = consult.AcceptRequest{Request: req()}
	case "decline-request":
		s.Command = consult.DeclineRequest{Request: req()}
	case "timeout-request":
		s.Command = consult.TimeOutRequest{Request: req()}
	case "cancel-request":
		s.Command = consult.CancelRequest{Request: req()}
	case "remove":
		s.Command = consult.Remove{Member: agent()}
	case "accept-offer":
		s.Command = consult.AcceptOffer{Invitation: rapid.SampledFrom(invitations(legs, reqs)).Draw(t, "offer"), Rivals: []interaction.InvitationID{interaction.InvitationID(leg())}}
	case "reroute":
		c := consult.Reroute{Invitation: rapid.SampledFrom(invitations(legs, reqs)).Draw(t, "offer"),
			Reason: consult.RerouteReason(rapid.IntRange(0, 4).Draw(t, "reason")), Exhausted: rapid.Bool().Draw(t, "exhausted")}
		if rapid.Bool().Draw(t, "next") {
			c.Next = []consult.Offer{{ID: interaction.InvitationID(newLeg()), Invitee: agent()}}
		}
		s.Command = c
	case "monitor":
		s.Command = interaction.Monitor{Agent: agent()}
	case "coach":
		s.Command = interaction.Coach{Agent: agent(), Text: txt()}
	case "barge-in":
		s.Command = interaction.BargeIn{}
	}
	return s
}
