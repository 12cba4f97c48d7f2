package desk

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// nextTyping reads the pane's stream up to its next "typing" event.
func nextTyping(t *testing.T, r *bufio.Reader) PaneTyping {
	t.Helper()
	var kind string
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimRight(line, "\n")
		if k, ok := strings.CutPrefix(line, "event: "); ok {
			kind = k
		}
		if d, ok := strings.CutPrefix(line, "data: "); ok && kind == "typing" {
			var ty PaneTyping
			require.NoError(t, json.Unmarshal([]byte(d), &ty))
			return ty
		}
	}
}

// Issue 17 on the desk: typing goes to the panes of whom a message there
// would reach — typing in the consultation to agent2's and never the
// contact's (R-C5), typing in the chat to the contact's by the agent's
// contact-facing name — and lasts until its deadline.
func TestTypingReachesOnlyThePanesThatWouldSeeTheMessage(t *testing.T) {
	w := newWeb(t)
	s := w.s
	act(t, s, ActRequest{Party: Contact, Action: "post", Text: "Hello"})
	press(t, s, Agent1, "accept-chat")
	press(t, s, Agent1, "consult")
	press(t, s, Agent2, "accept")
	leg := pane(t, s, Agent2).SayLeg
	require.NotEmpty(t, leg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	contact := w.stream(ctx, w.login(Contact))
	agent2 := w.stream(ctx, w.login(Agent2))
	for _, r := range []*bufio.Reader{contact, agent2} {
		kind, _ := nextEvent(t, r)
		require.Equal(t, "pane", kind)
	}

	act(t, s, ActRequest{Party: Agent1, Action: "typing", Leg: leg})
	ty := nextTyping(t, agent2)
	assert.Equal(t, PaneTyping{Party: Agent1, Name: "agent1", Consultation: true, Leg: leg, ExpiresIn: interaction.TypingExpiry.Milliseconds()}, ty)
	// Then in the chat: the contact's stream keeps the order, so the first
	// typing it carries must be this one, not the consultation's.
	act(t, s, ActRequest{Party: Agent1, Action: "typing"})
	ty = nextTyping(t, contact)
	assert.Equal(t, PaneTyping{Party: interaction.ContactAgentID(1), Name: "Agent 1", ExpiresIn: interaction.TypingExpiry.Milliseconds()}, ty,
		"R-C5: the contact is told of typing in the chat only, by the agent's contact-facing name")
	// Refused where the message would be: the contact types in no leg.
	require.Error(t, s.Act(context.Background(), ActRequest{Party: Contact, Action: "typing", Leg: leg}))
}

// Read receipts and attachments on the desk's panes (issue 17): the
// contact sees that agent1 read, never that agent2 read the chat or the
// consultation (R-C5); an attachment shows its name and size where its
// message shows, and a consultation's is never on the contact's pane.
func TestPanesShowReceiptsAndAttachments(t *testing.T) {
	s := newDesk(t)
	act(t, s, ActRequest{Party: Contact, Action: "post", Text: "Hello"})
	press(t, s, Agent1, "accept-chat")
	act(t, s, ActRequest{Party: Agent1, Action: "post", Text: "See the invoice", Attachments: []PaneAttachment{{Name: "invoice.pdf", MediaType: "application/pdf", Size: 2048}}})
	act(t, s, ActRequest{Party: Agent1, Action: "read", Seq: 1})
	act(t, s, ActRequest{Party: Contact, Action: "read", Seq: 2})
	press(t, s, Agent1, "consult")
	press(t, s, Agent2, "accept")
	p2 := pane(t, s, Agent2)
	act(t, s, ActRequest{Party: Agent2, Action: "say", Leg: p2.SayLeg, Text: "The ledger", Attachments: []PaneAttachment{{Name: "ledger.xlsx", MediaType: "application/vnd.ms-excel", Size: 4096}}})
	p2 = pane(t, s, Agent2)
	act(t, s, ActRequest{Party: Agent2, Action: "read", Seq: p2.Total})
	p1 := pane(t, s, Agent1)
	act(t, s, ActRequest{Party: Agent1, Action: "read", Seq: p1.Total})

	c := pane(t, s, Contact)
	assert.Equal(t, []PaneReceipt{{Party: interaction.ContactAgentID(1), Name: "Agent 1", Seq: 1}}, c.Receipts,
		"the contact sees agent1 read its message, not that anyone read the consultation or that agent2 read (R-C5)")
	var files []PaneAttachment
	for _, m := range c.Messages {
		files = append(files, m.Attachments...)
	}
	assert.Equal(t, []PaneAttachment{{Name: "invoice.pdf", MediaType: "application/pdf", Size: 2048}}, files, "R-C5: the contact sees the chat's attachment only")
	last := pane(t, s, Agent1).Messages
	assert.Equal(t, []PaneAttachment{{Name: "ledger.xlsx", MediaType: "application/vnd.ms-excel", Size: 4096}}, last[len(last)-1].Attachments)
	var readers []interaction.PartyID
	for _, r := range pane(t, s, Agent1).Receipts {
		readers = append(readers, r.Party)
	}
	assert.ElementsMatch(t, []interaction.PartyID{Contact, Agent2}, readers, "agent1 sees how far the contact and agent2 read")

	// A bad attachment is the library's to refuse, and writes nothing.
	before := pane(t, s, Agent1).Total
	err := s.Act(context.Background(), ActRequest{Party: Agent1, Action: "post", Text: "x", Attachments: []PaneAttachment{{Name: "a/b", MediaType: "text/plain", Size: 1}}})
	assert.ErrorIs(t, err, interaction.ErrBadInput)
	err = s.Act(context.Background(), ActRequest{Party: Agent1, Action: "post", Text: "x", Attachments: []PaneAttachment{{Name: "a.txt", MediaType: "text/plain", Size: 0}}})
	assert.ErrorIs(t, err, interaction.ErrBadInput)
	assert.Equal(t, before, pane(t, s, Agent1).Total)
}
