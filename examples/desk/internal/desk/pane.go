package desk

import (
	"context"
	"errors"

	"github.com/chatconsult/chatconsult/interaction"
)

// Pane is what one party's pane shows: a page of its view of the
// interaction on the desk, the buttons it may press, and whether it owes
// an answer.
type Pane struct {
	// Seq orders panes: it is taken while the interaction is read, so a
	// pane with a higher Seq never shows an older state. The page drops a
	// pane that arrives after one with a higher Seq (an answer to a click
	// and an event stream race each other).
	Seq         uint64                  `json:"seq"`
	Party       interaction.PartyID     `json:"party"`
	Contact     bool                    `json:"contact"`
	Interaction interaction.ID          `json:"interaction,omitempty"`
	Status      interaction.Status      `json:"status,omitempty"` // "" when the party is not in a chat
	Role        string                  `json:"role,omitempty"`
	Membership  interaction.MemberState `json:"membership,omitempty"`
	Parties     []PaneParty             `json:"parties"`
	// Messages are the pane's transcript: its party's last PaneWindow
	// messages in a pane the page reads whole ("pane" on the event
	// stream), and only the new ones in an update ("delta"), which the
	// page appends.
	Messages []PaneMessage `json:"messages"`
	// Total is how many messages the party may read in all (the Seq of
	// its last).
	Total   uint32    `json:"total"`
	Legs    []PaneLeg `json:"consultations"`
	Actions []Action  `json:"actions"`
	// CanPost: the party may write in the chat with the contact (for the
	// contact with no chat going on: its message opens one).
	CanPost bool `json:"canPost"`
	// SayLeg is the active chat or IM consultation the party writes in.
	SayLeg interaction.LegID `json:"sayLeg,omitempty"`
	// Pending: the party owes an answer in the chat or a consultation
	// (R-C9, package signals).
	Pending bool `json:"pending"`
	// Reminders counts the reminders raised for the party's pending
	// responses in this chat (R-C9).
	Reminders int `json:"reminders"`
	// Receipts say how far the others read, as far as the party may know
	// (View.Receipts: the contact is never told that anyone read a
	// consultation message, nor that a consultation target read).
	Receipts []PaneReceipt `json:"receipts"`
}

// PaneReceipt is how far another party read, in the pane's numbering.
type PaneReceipt struct {
	Party interaction.PartyID `json:"party"`
	Name  string              `json:"name"`
	Seq   uint32              `json:"seq"`
}

// PaneAttachment is a file of a message as a pane shows it: a name and a
// size (the desk keeps no files; its reference is not sent to the page).
type PaneAttachment struct {
	Name      string `json:"name"`
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
}

// PaneTyping is one typing signal as the pane's party is told it (an SSE
// event "typing"): who (as the party knows it), where, and for how long.
type PaneTyping struct {
	Party        interaction.PartyID `json:"party"`
	Name         string              `json:"name"`
	Consultation bool                `json:"consultation"`
	Leg          interaction.LegID   `json:"leg,omitempty"`
	// ExpiresIn is how long the signal lasts from now (its Deadline), in
	// milliseconds; the page stops showing it then, or when the party's
	// message comes.
	ExpiresIn int64 `json:"expiresIn"`
}

// PaneParty is another party as the pane's party sees it.
type PaneParty struct {
	ID         interaction.PartyID     `json:"id"`
	Role       string                  `json:"role"`
	Membership interaction.MemberState `json:"membership"`
}

// PaneMessage is one line of the party's transcript.
type PaneMessage struct {
	Seq          uint32              `json:"seq"`
	Time         string              `json:"time"`
	Author       interaction.PartyID `json:"author"`
	Text         string              `json:"text"`
	Notice       bool                `json:"notice"`
	Consultation bool                `json:"consultation"` // a leg message (R-C5)
	OnlyYou      bool                `json:"onlyYou"`      // a notice for this party alone
	Attachments  []PaneAttachment    `json:"attachments,omitempty"`
}

// PaneLeg is one of the party's consultations.
type PaneLeg struct {
	ID     interaction.LegID    `json:"id"`
	Owner  interaction.PartyID  `json:"owner"`
	Agent  interaction.PartyID  `json:"agent"`
	Medium string               `json:"medium"`
	State  interaction.LegState `json:"state"`
}

// Action is one button: the ActRequest it sends, and its label.
type Action struct {
	Action string              `json:"action"`
	Label  string              `json:"label"`
	Leg    interaction.LegID   `json:"leg,omitempty"`
	Target interaction.PartyID `json:"target,omitempty"`
	// Medium: the button takes the medium chosen in the pane (consult).
	Medium bool `json:"medium,omitempty"`
	// Primary marks the answer the party is waiting to give.
	Primary bool `json:"primary,omitempty"`
}

// PaneWindow is how many of its latest messages a pane holds: the page it
// reads when it (re)connects, and what the page keeps when it grows.
const PaneWindow = 50

// Pane builds party's pane from the interaction on the desk: a page of its
// view (its last PaneWindow messages, interaction.State.Page), never the
// whole view.
func (s *Server) Pane(ctx context.Context, party interaction.PartyID) (Pane, error) {
	pane, _, err := s.readPane(ctx, party)
	return pane, err
}

// readPane reads party's page of the interaction on the desk and builds
// its pane; the page is nil when the party has no chat on the desk. It
// is the only place the desk reads a page (pageReads counts them).
func (s *Server) readPane(ctx context.Context, party interaction.PartyID) (Pane, *interaction.Page, error) {
	id := s.interaction()
	if id == "" {
		pane := Pane{Party: party, Contact: party == Contact, Seq: s.paneSeq.Add(1)}
		pane.CanPost = pane.Contact
		return pane, nil, nil
	}
	var pg interaction.Page
	var pane Pane
	err := s.chats.Read(ctx, id, func(st *interaction.State) error {
		var err error
		if pg, err = st.Page(party, interaction.PageRequest{Last: PaneWindow}, nil); err != nil {
			return err
		}
		s.pageReads.Add(1)
		pane = s.paneFrom(st, id, &pg, pg.Messages)
		return nil
	})
	if errors.Is(err, interaction.ErrNotPermitted) {
		// Not in the chat on the desk.
		pane = Pane{Party: party, Contact: party == Contact, Seq: s.paneSeq.Add(1)}
		pane.CanPost = pane.Contact
		return pane, nil, nil
	}
	if err != nil {
		return Pane{Party: party}, nil, err
	}
	if pane.Interaction == "" {
		return pane, nil, nil // outside: nothing to keep current
	}
	return pane, &pg, nil
}

// deltaPane builds party's pane from its page pg, kept current by deltas,
// with only the messages fresh (those the deltas added): the header,
// buttons and marks of the pane, and what to append to its transcript.
// It reads no page and no view: the buttons come from the state (its
// parties, legs and requests), the rest from pg.
func (s *Server) deltaPane(ctx context.Context, party interaction.PartyID, id interaction.ID, pg *interaction.Page, fresh []interaction.Message) (Pane, error) {
	var pane Pane
	err := s.chats.Read(ctx, id, func(st *interaction.State) error {
		pane = s.paneFrom(st, id, pg, fresh)
		return nil
	})
	return pane, err
}

// paneFrom builds the pane of pg's viewer from pg (its header, parties and
// consultations) and the state (its buttons), with the messages msgs.
// Called under the interaction's lock, so Seq orders panes.
func (s *Server) paneFrom(st *interaction.State, id interaction.ID, pg *interaction.Page, msgs []interaction.Message) Pane {
	party := pg.Viewer
	pane := Pane{Party: party, Contact: party == Contact, Seq: s.paneSeq.Add(1)}
	// A party that declined or whose invitation was withdrawn never took
	// part: the chat is not on its desk (and it is told nothing more of
	// it, so a pane kept open would go stale).
	if me := st.Party(party); me == nil || (!me.TookPart && me.Membership != interaction.MemberInvited) {
		pane.CanPost = pane.Contact
		return pane
	}
	view := &pg.View
	pane.Interaction, pane.Status = id, view.Status
	pane.Role, pane.Membership = view.Role.String(), view.Membership
	pane.Total = pg.Total
	pane.Actions = actionsFor(st, party)
	for _, p := range s.tracker.Pending(party) {
		pane.Pending = pane.Pending || p.Interaction == id
	}
	s.mu.Lock()
	pane.Reminders = s.reminders[party]
	s.mu.Unlock()
	for _, q := range view.Parties {
		pane.Parties = append(pane.Parties, PaneParty{ID: q.ID, Role: q.Role.String(), Membership: q.Membership})
	}
	for _, r := range view.Receipts {
		if r.Party != party {
			pane.Receipts = append(pane.Receipts, PaneReceipt{Party: r.Party, Name: nameIn(view, r.Party), Seq: r.Seq})
		}
	}
	for _, m := range msgs {
		pane.Messages = append(pane.Messages, PaneMessage{
			Seq:          m.Seq,
			Time:         m.Time.Format("15:04:05"),
			Author:       m.Author,
			Text:         m.Text,
			Notice:       m.Kind == interaction.KindNotice,
			Consultation: m.Scope.Kind == interaction.ScopeLeg,
			OnlyYou:      m.Scope.Kind == interaction.ScopeParty,
			Attachments:  paneAttachments(view.Attachments[m.Seq]),
		})
	}
	for _, l := range view.Legs {
		pane.Legs = append(pane.Legs, PaneLeg{ID: l.ID, Owner: l.Owner, Agent: l.Invitee, Medium: l.Medium.String(), State: l.State})
		if l.State == interaction.LegActive && l.Medium != interaction.MediumVoice && pane.SayLeg == "" {
			pane.SayLeg = l.ID
		}
	}
	live := view.Status == interaction.StatusWaiting || view.Status == interaction.StatusActive
	present := view.Membership == interaction.MemberJoined
	switch {
	case pane.Contact:
		pane.CanPost = !live || present
	default:
		pane.CanPost = present && view.Role.Engaged() && view.Status == interaction.StatusActive
	}
	return pane
}

// nameIn is how the view's party names p: its name when the view gives
// one (the contact's "Agent 1"), else its ID.
func nameIn(view *interaction.View, p interaction.PartyID) string {
	for _, q := range view.Parties {
		if q.ID == p && q.Name != "" {
			return q.Name
		}
	}
	return string(p)
}

func paneAttachments(as []interaction.Attachment) []PaneAttachment {
	var out []PaneAttachment
	for _, a := range as {
		out = append(out, PaneAttachment{Name: a.Name, MediaType: a.MediaType, Size: a.Size})
	}
	return out
}
