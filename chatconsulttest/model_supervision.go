package chatconsulttest

import (
	"github.com/chatconsult/chatconsult/interaction"
)

// The supervision family (R-X7): monitor, coach, barge in.

// decideSupervision decides the supervision commands.
func (m *Model) decideSupervision(actor interaction.PartyID, cmd interaction.Command, f *faults) (effect func(), rule string, known bool) {
	switch c := cmd.(type) {
	case interaction.Monitor:
		return m.supervise(actor, c.Agent, false, "", f)

	case interaction.Coach:
		return m.supervise(actor, c.Agent, true, c.Text, f)

	case interaction.BargeIn:
		sup, ok := m.supervisor(actor, f)
		if !ok {
			return nil, "", true
		}
		agent := interaction.PartyID("")
		if sup != nil && sup.present() {
			agent = sup.supervises // else the policy is asked about the owner
		}
		m.policy(actor, agent, f)
		if m.status != interaction.StatusActive {
			f.add(errTransition, "R-X7")
		}
		if sup != nil && sup.role != interaction.RoleSupervisor {
			f.add(errTransition, "R-X7") // already barged in
		}
		return func() {
			// A conference member from now on, seen by all, reading the
			// whole chat (R-F2, R-F3); it keeps the sight of its agent.
			p := m.ensure(actor)
			if p.present() {
				m.roleTo(p, interaction.RoleMember, interaction.Everyone, "", false)
			} else {
				// Back in the chat: it reads through nobody it supervised
				// before (R-X7).
				p.supervises, p.coaching = "", false
				m.member(p, interaction.MemberJoined, interaction.RoleMember, interaction.Everyone)
			}
			m.notice(mNotice{code: interaction.NoticeJoined, parties: []interaction.PartyID{actor}}, interaction.Everyone)
		}, "R-X7", true

	}
	return nil, "", false
}

// policy asks the embedding service's policy whether actor may supervise
// agent (R-X7); agent empty means the present owner. Without a policy, or
// with nobody to supervise, supervision is not permitted.
func (m *Model) policy(actor, agent interaction.PartyID, f *faults) {
	if agent == "" {
		if o := m.presentOwner(); o != nil {
			agent = o.id
		}
	}
	if m.Policy == nil || agent == "" || !m.Policy.MaySupervise(m.ID, actor, agent) {
		f.add(errNotPerm, "R-X7")
	}
}

// supervisor checks who may supervise (R-X7): anyone who is not, and was
// not, in the interaction in another role. It returns the actor's party
// when it already supervises (or barged in and is still in the chat), nil
// for a newcomer, and ok false for anyone else.
func (m *Model) supervisor(actor interaction.PartyID, f *faults) (p *mParty, ok bool) {
	switch actor {
	case "":
		f.add(errBadInput, "R-X6")
		return nil, false
	case interaction.System:
		f.add(errNotPerm, "R-X7")
		return nil, false
	}
	p = m.party(actor)
	switch {
	case p == nil:
		if badPartyID(actor) {
			f.add(errBadInput, "R-X6")
		}
		return nil, true
	case p.role == interaction.RoleSupervisor, p.role == interaction.RoleMember && p.supervises != "" && p.present():
		return p, true
	}
	f.add(errNotPerm, "R-X7")
	return nil, false
}

// supervise is Monitor and Coach (R-X7): only an agent engaged with the
// contact, in an active chat, is supervised; the supervisor enters unseen
// (or switches agent or mode), told to itself only, or, when it coaches,
// to the coached agent too; a coaching text is seen by that agent only.
func (m *Model) supervise(actor, agent interaction.PartyID, coach bool, text string, f *faults) (func(), string, bool) {
	if text != "" {
		m.text(text, f)
	}
	sup, ok := m.supervisor(actor, f)
	if !ok {
		return nil, "", true
	}
	m.policy(actor, agent, f)
	if sup != nil && sup.role != interaction.RoleSupervisor && sup.present() {
		f.add(errNotPerm, "R-X7") // barged in: a member writes to everyone
	}
	if m.status != interaction.StatusActive {
		f.add(errTransition, "R-X7")
	}
	w := m.party(agent)
	switch {
	case agent == "":
		f.add(errBadInput, "R-X7")
	case w == nil:
		f.add(errNotFound, "R-X7")
	case !w.engagedNow():
		f.add(errNotPerm, "R-X7")
	}
	return func() {
		scope := interaction.PartyScope(actor)
		if coach {
			scope = interaction.Scope{Kind: interaction.ScopeCoach, Party: agent}
		}
		p := m.ensure(actor)
		present := p.present()
		same := present && p.coaching == coach && p.supervises == agent
		if !present {
			// It comes in supervising agent, and nobody else.
			p.supervises, p.coaching = agent, coach
			m.member(p, interaction.MemberJoined, interaction.RoleSupervisor, scope)
		}
		if !same {
			m.roleTo(p, interaction.RoleSupervisor, scope, agent, coach)
		}
		if text != "" {
			m.say(actor, text, interaction.Scope{Kind: interaction.ScopeCoach, Party: agent})
		}
	}, "R-X7", true
}
