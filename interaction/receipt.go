package interaction

import (
	"slices"
	"strings"
	"time"
)

// Read receipts (issue 17). A party marks its transcript read up to one of
// its messages (MarkRead, in its own numbering); the receipt is a fact, an
// EventRead in the log, and follows visibility like every event: its scope
// is decided from the message read and the reader (receiptScope), so
//
//   - the contact's receipts of the shared transcript are told to everyone
//     in the chat: the agents see how far the contact read (R-C6);
//   - an engaged agent's receipt of a shared message is told to everyone,
//     so the contact sees that the agents read its messages; of a note, to
//     the agents; of a consultation message, to the leg's two agents only:
//     nobody else is ever told that anyone read a consultation message
//     (R-C5, R-X3);
//   - a consultation target's receipt of the shared transcript is told in
//     its leg (the contact does not know it is there, R-C5);
//   - a supervisor's receipt (monitoring or coaching) is told to nobody
//     but itself: neither the contact nor the agent it supervises learns
//     that it read (R-X7). One that barged in is a member and reads as one;
//   - a receipt of a notice to the reader alone, or of coaching, is the
//     reader's own.
//
// Each viewer is shown a receipt in its own numbering: "read up to my
// message n", n the last of its messages at or before the one read.
//
// Receipts change neither the transcript nor any count a party is shown
// of messages; they are events, so they count in View.Version. The
// pending-response reminder (R-C9, package signals) does not use them:
// reading is not answering, a pending response stays pending until the
// agent writes (signals/doc.go). History uses them neither: My History,
// contact history and the metrics follow the transcript, and an export is
// the transcript (history/doc.go).

// MarkRead marks the acting party's transcript read up to its message Seq
// (Message.Seq in its own view). A party in the chat marks what it may
// read; marking a message at or before one it marked already records
// nothing.
type MarkRead struct{ Seq uint32 }

func (c MarkRead) Decide(d *Decision) error {
	d.SetOp("mark read")
	p, err := d.fireChat(TriggerRead)
	if err != nil {
		return err
	}
	s := d.State()
	i, ok := p.sight.indexOf(c.Seq)
	if !ok || int(i) >= len(s.Messages) {
		return d.Refuse(ErrBadInput, "R-X6", "no such message")
	}
	if last, ok := s.lastRead(p.ID); ok && last >= i {
		return nil // read already
	}
	sc := receiptScope(s, p, &s.Messages[i])
	d.record(Event{Type: EventRead, Seq: i + 1, Scope: sc, Leg: LegID(sc.Invitation)})
	return nil
}

// receiptScope is who is told that reader read message m (see above).
//
// Decides R-X7: a supervisor's read receipts are told to nobody but itself.
func receiptScope(s *State, reader *Party, m *Message) Scope {
	switch {
	case reader.Role == RoleSupervisor, m.Scope.Kind == ScopeParty, m.Scope.Kind == ScopeCoach:
		return PartyScope(reader.ID)
	case m.Scope.Kind == ScopeLeg:
		return m.Scope
	case reader.Role == RoleConsultant:
		for i := len(s.Legs) - 1; i >= 0; i-- {
			if l := &s.Legs[i]; l.Invitee == reader.ID && l.State == LegActive {
				return LegScope(l.ID)
			}
		}
		return PartyScope(reader.ID)
	case reader.Role == RoleContact:
		return Everyone
	case reader.Role.Engaged():
		return m.Scope // everyone or agents
	}
	return PartyScope(reader.ID)
}

// receipt is one EventRead, compactly.
type receipt struct {
	version uint64
	time    time.Time
	reader  PartyID
	msg     uint32 // index in Messages of the last message read
	scope   Scope
}

func (s *State) addReceipt(ev *Event) {
	if s.extra == nil {
		s.extra = &extras{}
	}
	s.extra.receipts = append(s.extra.receipts, receipt{version: ev.Version, time: ev.Time, reader: ev.Actor, msg: ev.Seq - 1, scope: ev.Scope})
}

// lastRead is the index of the last message party marked read.
func (s *State) lastRead(party PartyID) (uint32, bool) {
	if s.extra == nil {
		return 0, false
	}
	rs := s.extra.receipts
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].reader == party {
			return rs[i].msg, true
		}
	}
	return 0, false
}

// Receipt is how far a party read, as a viewer is shown it.
type Receipt struct {
	// Party is the reader, as the viewer is shown it (the contact sees
	// agents as agent-1, agent-2, …).
	Party PartyID
	// Seq is the viewer's own number of the last of its messages the
	// reader read (Message.Seq).
	Seq  uint32
	Time time.Time
}

// receiptsFor are the receipts p is shown: per reader, the latest receipt
// p may see, in its numbering; the readers in the order of Parties.
func (s *State) receiptsFor(p *Party, l lens, out []Receipt) []Receipt {
	if s.extra == nil || len(s.extra.receipts) == 0 {
		return nil
	}
	rs := s.extra.receipts
	found := make(map[PartyID]Receipt, 2)
	hops := len(s.Parties)
	for i := len(rs) - 1; i >= 0 && len(found) < len(s.Parties); i-- {
		r := &rs[i]
		if _, ok := found[r.reader]; ok {
			continue
		}
		if r.reader != p.ID && !s.sees(p, r.reader, r.scope, r.version, hops) {
			continue
		}
		if rc, ok := s.receiptShown(p, l, r); ok {
			found[r.reader] = rc
		}
	}
	out = out[:0]
	for _, rc := range found {
		out = append(out, rc)
	}
	sortReceipts(out)
	return out
}

func sortReceipts(rs []Receipt) {
	slices.SortFunc(rs, func(a, b Receipt) int { return strings.Compare(string(a.Party), string(b.Party)) })
}

// receiptShown is r as p is shown it: false when p is shown no message at
// or before the one read, or may not know the reader.
func (s *State) receiptShown(p *Party, l lens, r *receipt) (Receipt, bool) {
	n, _ := p.sight.seqUpTo(r.msg)
	id := l.actor(r.reader)
	if n == 0 || id == "" {
		return Receipt{}, false
	}
	return Receipt{Party: id, Seq: n, Time: r.time}, true
}

// validateRead: MarkRead, by a party in the chat, of a message it may read,
// past its last receipt, told to whom receiptScope says.
func (s *State) validateRead(ev *Event, p *Party) error {
	if p == nil || !p.Present() {
		return refuse(ev, "R-X6", checkParty, "%s marks read but is not in the chat", ev.Actor)
	}
	if ev.Seq < 1 || ev.Seq > s.MessageCount() {
		return refuse(ev, "R-X6", checkNumbering, "read up to message %d of %d", ev.Seq, s.MessageCount())
	}
	if ev.Text != "" || ev.Party != "" || ev.Attachments.Len() > 0 || InvitationID(ev.Leg) != ev.Scope.Invitation {
		return refuse(ev, "R-X6", checkInput, "a read receipt carries nothing but the message read")
	}
	i := ev.Seq - 1
	if last, ok := s.lastRead(p.ID); ok && last >= i {
		return refuse(ev, "R-X6", checkNumbering, "%s read up to message %d after %d", ev.Actor, ev.Seq, last+1)
	}
	if int(i) >= len(s.Messages) {
		return nil // a Decision's working copy: the message is the base's, checked there
	}
	m := &s.Messages[i]
	if !s.sees(p, m.Author, m.Scope, m.Version, len(s.Parties)) {
		return refuse(ev, "R-C5", checkScope, "%s marks read message %d, which it may not read", ev.Actor, ev.Seq)
	}
	if want := receiptScope(s, p, m); ev.Scope != want {
		rule := "R-C5"
		if p.Role == RoleSupervisor {
			rule = "R-X7"
		}
		return refuse(ev, rule, checkScope, "receipt of %s told to %s, not %s", ev.Actor, scopeName(ev.Scope), scopeName(want))
	}
	return nil
}

// extras are what only some chats have: attachments and read receipts.
type extras struct {
	attachments []msgAttachments // by message index, ascending
	receipts    []receipt        // in stream order
}

func (e *extras) clone() *extras {
	if e == nil {
		return nil
	}
	c := &extras{receipts: append([]receipt(nil), e.receipts...)}
	c.attachments = make([]msgAttachments, len(e.attachments))
	for i, a := range e.attachments {
		c.attachments[i] = msgAttachments{at: a.at, list: append([]Attachment(nil), a.list...)}
	}
	return c
}

func (s *State) addAttachments(i uint32, atts []Attachment) {
	if s.extra == nil {
		s.extra = &extras{}
	}
	s.extra.attachments = append(s.extra.attachments, msgAttachments{at: i, list: append([]Attachment(nil), atts...)})
}
