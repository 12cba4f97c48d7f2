package narrate

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// The "seen by" line lists exactly the parties the Notifier told (R-C5:
// the contact is not told of a consultation invitation).
func TestSeenByListsThePartiesTheNotifierTold(t *testing.T) {
	var out bytes.Buffer
	s := New(&out, []PartyID{"contact", "agent1", "agent2"})
	s.Open("contact", "Hi")
	s.Connect("agent1")
	s.Consult("agent1", "agent2", interaction.MediumChat)
	require.NoError(t, s.Err())
	assert.Contains(t, out.String(), "agent1 invites agent2 to a chat consultation\n          seen by agent1, agent2; not by contact\n")
}

// A story stops at its first failed step and reports it; later steps are
// skipped and print nothing.
func TestFirstErrorStopsTheStory(t *testing.T) {
	var out bytes.Buffer
	s := New(&out, []PartyID{"contact", "agent1"})
	s.Open("contact", "Hi")
	s.Post("agent1", "I am not in this chat") // agent1 never joined: refused
	before := out.Len()
	s.Post("contact", "Hello?")
	require.Error(t, s.Err())
	assert.True(t, errors.Is(s.Err(), interaction.ErrBadInput), "the library's error is kept: %v", s.Err())
	assert.Equal(t, before, out.Len(), "nothing is printed after the failure")
}

// Refused fails the story when the command was not refused (R-X6 stories
// cannot silently pass).
func TestRefusedFailsWhenTheCommandIsDone(t *testing.T) {
	var out bytes.Buffer
	s := New(&out, []PartyID{"contact"})
	s.Open("contact", "Hi")
	s.Refused("contact", "write", func() error { return s.Chats.Post(s.Context(), s.ID, "contact", "ok") })
	require.Error(t, s.Err())
	assert.Contains(t, s.Err().Error(), "expected a refusal")
}
