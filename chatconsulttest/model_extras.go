package chatconsulttest

import (
	"strings"

	"github.com/chatconsult/chatconsult/interaction"
)

// Attachments, read receipts and typing in the model's own terms (issue
// 17; docs/visibility.md extended by R-C5, R-X7):
//
//   - an attachment is part of its message: whoever sees the message sees
//     its attachments, nobody else (the model keeps them on the message);
//   - a read receipt is an item like any other, told by its scope: the
//     scope of the message read, except that a supervisor's reading and a
//     reading of a notice to the reader or of coaching are the reader's
//     own, a consultation target's reading of the chat goes to its active
//     leg, and the contact's goes to everyone;
//   - typing is no item: it goes to the parties other than the typist who
//     would be granted a message written now in that scope.

// attachmentsValid is the model's input rule for attachments (R-X6): at
// most ten; each with a name (no path separator, no control character), a
// media type of two tokens, a size from 1 byte to 25 MiB and a reference
// that is a plain token; no reference twice.
func attachmentsValid(atts []interaction.Attachment) bool {
	if len(atts) > 10 {
		return false
	}
	for i, a := range atts {
		typ, sub, ok := strings.Cut(a.MediaType, "/")
		switch {
		case a.Name == "" || strings.ContainsAny(a.Name, "/\\\x00\n\r\t") || len(a.Name) > 255,
			!ok || typ == "" || sub == "" || strings.ContainsAny(a.MediaType, " ;,\t"),
			a.Size < 1 || a.Size > 25<<20,
			badID(a.Ref) || len(a.Ref) > 1024:
			return false
		}
		for _, b := range atts[:i] {
			if b.Ref == a.Ref {
				return false
			}
		}
	}
	return true
}

// content checks a message's text and attachments: text may be empty
// when there are attachments.
func (m *Model) content(text string, atts []interaction.Attachment, f *faults) {
	if len(atts) == 0 || text != "" {
		m.text(text, f)
	}
	if !attachmentsValid(atts) {
		f.add(errBadInput, "R-X6")
	}
}

func (m *Model) contentValid(text string, atts []interaction.Attachment) bool {
	var f faults
	m.content(text, atts, &f)
	return !f.any()
}

// decideExtras decides MarkRead.
func (m *Model) decideExtras(actor interaction.PartyID, cmd interaction.Command, f *faults) (func(), string, bool) {
	c, ok := cmd.(interaction.MarkRead)
	if !ok {
		return nil, "", false
	}
	p := m.actingParty(actor, f)
	if p == nil {
		return nil, "", true
	}
	if !p.present() {
		f.add(errNotPerm, "R-X6")
	}
	i := m.nthMessage(p, c.Seq)
	if i < 0 {
		f.add(errBadInput, "R-X6")
		return nil, "", true
	}
	if p.read > i {
		return func() {}, "R-C5", true // read already: nothing happens
	}
	return func() {
		p.read = i + 1
		it := &mItem{typ: interaction.EventRead, scope: m.receiptScope(p, i), actor: p.id, read: i}
		m.record(it, nil)
	}, "R-C5", true
}

// nthMessage is the index of p's message number seq (its own count), -1
// when it has none such.
func (m *Model) nthMessage(p *mParty, seq uint32) int {
	var n uint32
	for i := range m.messages {
		if m.sees(p, m.messages[i].item) {
			n++
			if n == seq {
				return i
			}
		}
	}
	return -1
}

func (m *Model) receiptScope(p *mParty, i int) interaction.Scope {
	sc := m.messages[i].scope
	switch {
	case p.role == interaction.RoleSupervisor || sc.Kind == interaction.ScopeParty || sc.Kind == interaction.ScopeCoach:
		return interaction.PartyScope(p.id)
	case sc.Kind == interaction.ScopeLeg:
		return sc
	case p.role == interaction.RoleConsultant:
		for k := len(m.legs) - 1; k >= 0; k-- {
			if l := m.legs[k]; l.agent == p.id && l.state == interaction.LegActive {
				return interaction.LegScope(l.id)
			}
		}
		return interaction.PartyScope(p.id)
	case p.role == interaction.RoleContact:
		return interaction.Everyone
	case p.role.Engaged():
		return sc
	}
	return interaction.PartyScope(p.id)
}

// seenUpTo counts the messages up to index i that p may read.
func (m *Model) seenUpTo(p *mParty, i int) uint32 {
	var n uint32
	for j := 0; j <= i && j < len(m.messages); j++ {
		if m.sees(p, m.messages[j].item) {
			n++
		}
	}
	return n
}

// TypingTo returns the parties the model says are told that actor types a
// message in scope sc now (issue 17): those, other than actor, who would
// be granted a message item written now, by their own right or through a
// supervision window.
func (m *Model) TypingTo(actor interaction.PartyID, sc interaction.Scope) []interaction.PartyID {
	it := &mItem{version: len(m.items) + 1, typ: interaction.EventMessage, scope: sc, actor: actor, msg: -1}
	if sc.Kind == interaction.ScopeLeg {
		it.leg = m.leg(interaction.LegID(sc.Invitation))
	}
	for _, p := range m.parties {
		if m.scopeRight(it, p) {
			m.grant(it, p.idx)
		}
	}
	var out []interaction.PartyID
	for _, p := range m.parties {
		if p.id != actor && it.seen&bit(p.idx) != 0 {
			out = append(out, p.id)
		}
	}
	return out
}

// ShownID is how the model says viewer is shown party (the contact sees
// agents as agent-n; "" for a party it may not know).
func (m *Model) ShownID(viewer, party interaction.PartyID) interaction.PartyID {
	p := m.party(viewer)
	if p == nil || !m.knows(p, party) {
		return ""
	}
	return m.shownID(p, party)
}

func attachmentRefs(atts []interaction.Attachment) string {
	var refs []string
	for _, a := range atts {
		refs = append(refs, a.Ref)
	}
	return strings.Join(refs, ",")
}
