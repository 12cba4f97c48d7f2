package interaction_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

// Command shapes the fuzz target sends.
const (
	fuzzPost uint8 = iota
	fuzzNote
	fuzzAssign
	fuzzOpen
	fuzzShapes
)

// FuzzCommandInput feeds arbitrary message text and party IDs to the chat
// commands (R-X6). Its seed corpus (below) runs in every go test run; go
// test ./interaction -run '^$' -fuzz FuzzCommandInput searches further.
//
// Each input is judged by a small oracle written from the documented
// rules (DefaultLimits: at most 4096 bytes of valid UTF-8, not blank; a
// known acting party; an existing interaction). Bad input must get its
// typed error and leave the version, the transcript and every subscriber
// untouched; good input must be accepted and seen.
func FuzzCommandInput(f *testing.F) {
	for _, c := range []struct {
		shape   uint8
		actor   string
		text    string
		missing bool
	}{
		{fuzzPost, "agent1", "Hello", false},
		{fuzzPost, "contact", "Grüße 🙂", false},
		{fuzzPost, "agent1", "", false},                                // empty
		{fuzzPost, "agent1", " \t\n\u00a0", false},                     // whitespace only
		{fuzzPost, "agent1", strings.Repeat("x", 4097), false},         // over the limit
		{fuzzPost, "agent1", strings.Repeat("é", 2048), false},         // exactly at the limit
		{fuzzPost, "agent1", "a\xffb", false},                          // invalid UTF-8
		{fuzzPost, "stranger", "Hello", false},                         // unknown party
		{fuzzPost, "", "Hello", false},                                 // no party
		{fuzzPost, "system", "Hello", false},                           // the reserved System party
		{fuzzPost, "agent1", "Hello", true},                            // no such interaction
		{fuzzNote, "contact", "a note", false},                         // the contact writes no notes
		{fuzzNote, "agent1", "\xc3\x28", false},                        // invalid UTF-8
		{fuzzAssign, "", "", false},                                    // no agent
		{fuzzAssign, "agent2", "", false},                              // chat is not waiting
		{fuzzAssign, "agent2", "", true},                               // no such interaction
		{fuzzOpen, "contact2", "Hi", false},                            // a new chat
		{fuzzOpen, "", "Hi", false},                                    // no contact
		{fuzzOpen, "system", "Hi", false},                              // reserved
		{fuzzOpen, "contact2", "   ", false},                           // blank first message
		{fuzzOpen, "contact2", "", false},                              // no first message is fine
		{fuzzOpen, "contact2", "\xed\xa0\x80", false},                  // a surrogate: invalid UTF-8
		{fuzzOpen, "contact2", strings.Repeat("y", 4096) + "z", false}, // over the limit
	} {
		f.Add(c.shape, c.actor, c.text, c.missing)
	}
	f.Fuzz(func(t *testing.T, shape uint8, actor, text string, missing bool) {
		shape %= fuzzShapes
		ctx := context.Background()
		notes := interaction.NewMemoryNotifier()
		svc := interaction.NewService(interaction.WithNotifier(notes), interaction.WithClock(chatconsulttest.NewManualClock()),
			interaction.WithIDs(chatconsulttest.NewSequentialIDs("id-")))
		id, err := svc.Open(ctx, "contact", "Hello")
		require.NoError(t, err)
		require.NoError(t, svc.Assign(ctx, id, interaction.System, "agent1"))
		require.NoError(t, svc.Join(ctx, id, "agent1"))
		subs := map[string]*interaction.Subscription{
			"all": notes.SubscribeAll(), "contact": notes.Subscribe("contact"), "agent1": notes.Subscribe("agent1"),
		}
		if actor != "" {
			subs["actor"] = notes.Subscribe(interaction.PartyID(actor))
		}
		before, err := svc.State(ctx, id)
		require.NoError(t, err)

		target, by := id, interaction.PartyID(actor)
		if missing {
			target = "no-such-chat"
		}
		var cmd interaction.Command
		switch shape {
		case fuzzPost:
			cmd = interaction.Post{Text: text}
		case fuzzNote:
			cmd = interaction.Note{Text: text}
		case fuzzAssign:
			cmd, by = interaction.Assign{Agent: interaction.PartyID(actor)}, interaction.System
		case fuzzOpen:
			cmd, target = interaction.Open{Contact: interaction.PartyID(actor), Text: text}, "new-chat"
		}
		_, err = svc.Do(ctx, target, by, cmd)

		want := fuzzOracle(shape, actor, text, missing)
		if want != nil {
			require.Error(t, err)
			assert.ErrorIs(t, err, want, "R-X6: the typed error for this input")
			var e *interaction.Error
			assert.True(t, errors.As(err, &e), "every refusal is an *interaction.Error")
			after, err := svc.State(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, before.Version, after.Version, "a refused command leaves the version")
			assert.Equal(t, before.Messages, after.Messages, "a refused command leaves the transcript")
			for name, sub := range subs {
				assert.Empty(t, sub.Drain(), "a refused command notifies nobody (%s)", name)
			}
			if shape == fuzzOpen {
				_, err := svc.State(ctx, "new-chat")
				assert.ErrorIs(t, err, interaction.ErrNotFound, "a refused open leaves no interaction")
			}
			return
		}
		require.NoError(t, err)
		if shape == fuzzOpen {
			st, err := svc.State(ctx, "new-chat")
			require.NoError(t, err)
			if text != "" {
				require.Len(t, st.Messages, 1)
				assert.Equal(t, text, st.Messages[0].Text, "nothing lost")
			}
			return
		}
		after, err := svc.State(ctx, id)
		require.NoError(t, err)
		require.Len(t, after.Messages, len(before.Messages)+1, "exactly one message more")
		assert.Equal(t, text, after.Messages[len(after.Messages)-1].Text, "the text as written")
		assert.NotEmpty(t, subs["all"].Drain(), "an accepted command is notified")
	})
}

// fuzzOracle says which error an input deserves, nil for none, from the
// documented rules alone.
func fuzzOracle(shape uint8, actor, text string, missing bool) error {
	validText := len(text) <= interaction.DefaultLimits.MaxMessageBytes && utf8.ValidString(text) &&
		strings.TrimFunc(text, unicode.IsSpace) != ""
	known := actor == "contact" || actor == "agent1"
	switch shape {
	case fuzzOpen:
		if actor == "" || actor == string(interaction.System) || (text != "" && !validText) {
			return interaction.ErrBadInput
		}
		return nil
	case fuzzAssign:
		switch {
		case missing:
			return interaction.ErrNotFound
		case actor == "" || actor == string(interaction.System):
			return interaction.ErrBadInput
		}
		// The chat is active: it is no longer offered to anyone.
		return interaction.ErrInvalidTransition
	}
	switch {
	case missing:
		return interaction.ErrNotFound
	case !validText || !known:
		return interaction.ErrBadInput
	case shape == fuzzNote && actor == "contact":
		return interaction.ErrNotPermitted
	}
	return nil
}
