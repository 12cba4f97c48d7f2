package chatconsulttest

import (
	"slices"
	"strings"

	"github.com/chatconsult/chatconsult/interaction"
)

// What a party may know of the interaction, in the model's own terms
// (docs/visibility.md). The model builds no view: it selects, from its
// items and who may see each (model_sight.go), the facts a party's view
// must show, and Compare reads the library's View against them
// (CompareView). The facts, for party p:
//
//   - messages: the messages whose item p may see, in the order they were
//     written; p's number of each is its place among them (1, 2, …), its
//     author as p is shown that party, its text (a notice rendered with
//     p's names) and its attachments: an attachment is part of its message;
//   - parties: every party one of whose changes p may see, as the latest
//     such change (its role and membership then), and p itself as it is
//     now (RoleNone once out of the chat);
//   - consultations: the legs p is one of the two agents of, as they are;
//     and the legs whose invitation p may see through a supervision
//     window, as of the last of their changes p may see;
//   - requests: those p made or was asked, as they are;
//   - receipts: per reader, the last of its read items p may see, counted
//     in p's numbering, when p knows the reader and it covers one of p's
//     messages;
//   - the header: the number of items p was shown, the status as p was
//     last told it (the current one while in the chat; an active chat it
//     took part in and left reads as ended), whether it was told the
//     session ended.
//
// A party that was never in the interaction may know nothing of it (R-X6).

// sight is what party p may know, as references into the model's own
// records: nothing in it is a library type built to look like a view.
type sight struct {
	p          *mParty
	role       interaction.Role // what it is now
	membership interaction.MemberState
	status     interaction.Status // as it was last told
	shown      int                // items it was shown
	endTold    bool               // told that the session ended
	parties    []seenParty        // in the order the parties came
	messages   []int              // indexes in Model.messages
	legs       []seenLeg
	requests   []*mRequest
	receipts   []seenReceipt // ordered by the reader as shown to p
}

// seenParty is party q as p may know it: as change, the latest of q's
// changes p may see (nil for p itself: as it is now).
type seenParty struct {
	q      *mParty
	change *mItem
}

// seenLeg is leg l as p last saw it.
type seenLeg struct {
	l     *mLeg
	state interaction.LegState
}

// seenReceipt: reader read up to p's message number upTo.
type seenReceipt struct {
	reader *mParty
	upTo   uint32
}

// sightOf returns what viewer may know, and false for a party that was
// never in the interaction.
func (m *Model) sightOf(viewer interaction.PartyID) (sight, bool) {
	p := m.party(viewer)
	if p == nil || !m.exists {
		return sight{}, false
	}
	s := sight{p: p, membership: p.membership, shown: p.shown, endTold: m.endedKnown(p)}
	// Its header: what it is now, and the status as it was last told.
	s.role, s.status = p.role, m.status
	if !inChat(p) {
		s.role = interaction.RoleNone
	}
	if !p.present() {
		s.status = p.lastStatus // an invitee is told nothing of the chat until it joins
		if p.membership != interaction.MemberInvited && p.tookPart && (s.status == interaction.StatusWaiting || s.status == interaction.StatusActive) {
			s.status = interaction.StatusEnded // its session with the contact is over
		}
	}
	for _, q := range m.parties {
		if q == p {
			s.parties = append(s.parties, seenParty{q: p})
		} else if c := m.latestChange(p, q); c != nil {
			s.parties = append(s.parties, seenParty{q: q, change: c})
		}
	}
	for i := range m.messages {
		if m.sees(p, m.messages[i].item) {
			s.messages = append(s.messages, i)
		}
	}
	for _, l := range m.legs {
		switch {
		case l.owner == p.id || l.agent == p.id:
			s.legs = append(s.legs, seenLeg{l: l, state: l.state})
		case m.sees(p, m.items[l.since-1]):
			// Through a window: as of the last of its changes it saw.
			seen := seenLeg{l: l, state: l.state}
			for _, it := range m.items[l.since-1:] {
				if it.typ == interaction.EventLeg && it.leg == l && m.sees(p, it) {
					seen.state = interaction.LegState(it.to)
				}
			}
			s.legs = append(s.legs, seen)
		}
	}
	for _, r := range m.requests {
		if r.from == p.id || r.agent == p.id {
			s.requests = append(s.requests, r)
		}
	}
	s.receipts = m.receiptsSeen(p)
	return s, true
}

// namedLeg is leg id as a command by actor may name it: nil when there is
// none, and also when actor is not shown it (R-X6, privacy covers
// metadata: a party naming an invitation it cannot see gets not-found,
// exactly as for one that does not exist). A party is shown the legs it
// is one of the two agents of and those whose invitation it may see
// through a supervision window, as its sight has them; System, every leg.
func (m *Model) namedLeg(actor interaction.PartyID, id interaction.LegID) *mLeg {
	l := m.leg(id)
	if l == nil || actor == interaction.System || l.owner == actor || l.agent == actor {
		return l
	}
	if p := m.party(actor); p != nil && m.sees(p, m.items[l.since-1]) {
		return l
	}
	return nil
}

// namedRequest is namedLeg for a request: shown to the owner who asked
// and the agent asked only (and System).
func (m *Model) namedRequest(actor interaction.PartyID, id interaction.RequestID) *mRequest {
	r := m.request(id)
	if r == nil || actor == interaction.System || r.from == actor || r.agent == actor {
		return r
	}
	return nil
}

// receiptsSeen: per reader, the latest read item p sees, in p's
// numbering, ordered by the reader's ID as shown to p.
func (m *Model) receiptsSeen(p *mParty) []seenReceipt {
	var out []seenReceipt
	var done uint64
	for k := len(m.items) - 1; k >= 0; k-- {
		it := m.items[k]
		if it.typ != interaction.EventRead || (!m.sees(p, it) && it.actor != p.id) { // a reader knows what it read
			continue
		}
		r := m.party(it.actor)
		if r == nil || done&bit(r.idx) != 0 {
			continue
		}
		n := m.seenUpTo(p, it.read)
		if n == 0 || !m.knows(p, it.actor) {
			continue
		}
		done |= bit(r.idx)
		out = append(out, seenReceipt{reader: r, upTo: n})
	}
	slices.SortFunc(out, func(a, b seenReceipt) int {
		return strings.Compare(string(m.shownID(p, a.reader.id)), string(m.shownID(p, b.reader.id)))
	})
	return out
}

// shownText is the text of message i as viewer reads it: a notice
// rendered with the viewer's names.
func (m *Model) shownText(viewer *mParty, i int) string {
	mm := &m.messages[i]
	if mm.notice == nil {
		return mm.text
	}
	return mm.notice.render(func(id interaction.PartyID) string { return m.shownName(viewer, id) })
}

// partyFacts is seen party sp as p is shown it: its ID and name, its role
// and membership.
func (m *Model) partyFacts(s *sight, sp seenParty) (interaction.PartyID, string, interaction.Role, interaction.MemberState) {
	if sp.change == nil {
		return s.p.id, string(s.p.id), s.role, s.membership
	}
	return m.shownID(s.p, sp.q.id), m.shownName(s.p, sp.q.id), sp.change.role, sp.change.membership
}

// showsParty reports whether p's view lists q: itself, or a party one of
// whose changes p may see (as the view above).
func (m *Model) showsParty(p, q *mParty) bool {
	return p != nil && (p == q || m.latestChange(p, q) != nil)
}
