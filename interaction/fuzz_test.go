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
	fuzzOpenID // Open{Contact: "contact2", Text: text} on the interaction named actor
	fuzzShapes
)

// FuzzCommandInput feeds arbitrary message text, party IDs and interaction
// IDs to the chat commands (R-X6). Its seed corpus (below) runs in every go
// test run; go test ./interaction -run '^$' -fuzz FuzzCommandInput
// searches further.
//
// Each input is judged by a small oracle written from the documented
// rules (input.go, DefaultLimits), not from the library's checks: text is
// at most 4096 bytes of valid UTF-8 with something visible in it; an ID is
// at most 256 bytes of valid UTF-8 with no whitespace, control or
// invisible character, and a party ID is not, and does not look like,
// "system"; the acting party is known; the interaction exists. Bad input
// must get its typed error and leave the version, the transcript and every
// subscriber untouched; good input must be accepted and seen, as written.
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

		// R-X6: text made only of invisible characters is blank.
		{fuzzPost, "agent1", "\u200b", false},                          // zero-width space
		{fuzzPost, "agent1", "\x00", false},                            // NUL
		{fuzzPost, "contact", "\u200b\u200c\u200d\u2060\ufeff", false}, // ZWSP, ZWNJ, ZWJ, word joiner, BOM
		{fuzzPost, "agent1", "\x1b\x7f\u0085", false},                  // ESC, DEL, a C1 control
		{fuzzPost, "agent1", " \x00\t\u200b\u3000", false},             // a mix
		{fuzzPost, "agent1", "\u202e\u2066", false},                    // bidi controls
		{fuzzPost, "agent1", "\u00ad", false},                          // soft hyphen
		{fuzzPost, "agent1", "\u3164\uffa0", false},                    // Hangul fillers
		{fuzzPost, "agent1", "\ufe0f", false},                          // a variation selector
		{fuzzPost, "agent1", "\u2800", false},                          // braille blank
		{fuzzNote, "agent1", "\u200b\u200b", false},
		{fuzzOpen, "contact2", "\u200b", false},
		// Control and invisible characters inside visible text are kept.
		{fuzzPost, "agent1", "a\x00b", false},
		{fuzzPost, "agent1", "bell\x07 and tab\t", false},
		{fuzzPost, "contact", "zero\u200bwidth", false},
		{fuzzPost, "contact", "👩\u200d💻", false},
		{fuzzPost, "agent1", "\u202eevil", false},

		// R-X6: party IDs (Assign's agent, Open's contact).
		{fuzzAssign, "\x8a", "", false}, // invalid UTF-8: the fuzzer's first find on the old oracle
		{fuzzAssign, "System", "", false},
		{fuzzAssign, "SYSTEM", "", false},
		{fuzzAssign, "ſystem", "", false},         // long s folds to s
		{fuzzAssign, "sys\u200btem", "", false},   // zero-width space inside
		{fuzzAssign, "ｓｙｓｔｅｍ", "", false},         // fullwidth
		{fuzzAssign, "ＳＹＳＴＥＭ", "", false},         // fullwidth capitals
		{fuzzAssign, "𝐬𝐲𝐬𝐭𝐞𝐦", "", false},         // mathematical bold
		{fuzzAssign, "ⓢⓨⓢⓣⓔⓜ", "", false},         // circled
		{fuzzAssign, "agent\x00", "", false},      // NUL
		{fuzzAssign, "agent\n2", "", false},       // newline
		{fuzzAssign, "\x1b[31magent2", "", false}, // ESC
		{fuzzAssign, "agent2\x7f", "", false},     // DEL
		{fuzzAssign, "agent2\u0085", "", false},   // C1
		{fuzzAssign, "agent\u200b2", "", false},   // zero-width space
		{fuzzAssign, "agent\u200d2", "", false},   // ZWJ
		{fuzzAssign, "\ufeffagent2", "", false},   // BOM
		{fuzzAssign, "\u202eagent2", "", false},   // bidi override
		{fuzzAssign, "agent2\ufe0f", "", false},   // variation selector
		{fuzzAssign, " ", "", false},              // whitespace only
		{fuzzAssign, "\t\u00a0\u3000", "", false}, // other whitespace only
		{fuzzAssign, " agent2", "", false},        // padded
		{fuzzAssign, "agent 2", "", false},        // whitespace inside
		{fuzzAssign, "\u2800", "", false},         // braille blank
		{fuzzAssign, "\u3164", "", false},         // Hangul filler
		{fuzzAssign, strings.Repeat("a", 257), "", false},
		{fuzzAssign, strings.Repeat("a", 256), "", false}, // at the limit: a fine ID
		{fuzzAssign, "systems", "", false},                // not System
		{fuzzAssign, "ѕуѕтем", "", false},                 // Cyrillic: no confusables check (documented)
		{fuzzOpen, "SYSTEM", "Hi", false},
		{fuzzOpen, "ｓｙｓｔｅｍ", "Hi", false},
		{fuzzOpen, "contact\u200b2", "Hi", false},
		{fuzzOpen, "contact\x00", "Hi", false},
		{fuzzOpen, "\t", "Hi", false},
		{fuzzPost, "Agent1", "Hello", false},       // IDs are exact: unknown party
		{fuzzPost, "agent1\u200b", "Hello", false}, // unknown party

		// R-X6: interaction IDs, checked when the interaction is opened.
		{fuzzOpenID, "chat-2", "Hi", false},
		{fuzzOpenID, "chat-2", "", false},
		{fuzzOpenID, "", "Hi", false},                       // no ID
		{fuzzOpenID, "id-1", "Hi", false},                   // exists: conflict
		{fuzzOpenID, "chat\x002", "Hi", false},              // NUL
		{fuzzOpenID, "chat\n2", "Hi", false},                // newline
		{fuzzOpenID, "chat\u200b2", "Hi", false},            // zero-width space
		{fuzzOpenID, "chat 2", "Hi", false},                 // whitespace
		{fuzzOpenID, "\u200b", "Hi", false},                 // invisible only
		{fuzzOpenID, "\xff", "Hi", false},                   // invalid UTF-8
		{fuzzOpenID, strings.Repeat("c", 257), "Hi", false}, // over the limit
		{fuzzOpenID, strings.Repeat("c", 256), "Hi", false}, // at the limit
		{fuzzOpenID, "chat\u200b2", "\u200b", false},        // both bad
		{fuzzOpenID, "system", "Hi", false},                 // an interaction may be called that
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
		case fuzzOpenID:
			cmd, target, by = interaction.Open{Contact: "contact2", Text: text}, interaction.ID(actor), "contact2"
		}
		_, err = svc.Do(ctx, target, by, cmd)

		opened := shape == fuzzOpen || shape == fuzzOpenID
		want := fuzzOracle(shape, actor, text, missing, string(id))
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
			if opened && target != "" && target != id {
				_, err := svc.State(ctx, target)
				assert.ErrorIs(t, err, interaction.ErrNotFound, "a refused open leaves no interaction")
			}
			return
		}
		require.NoError(t, err)
		if opened {
			st, err := svc.State(ctx, target)
			require.NoError(t, err)
			assert.Equal(t, target, st.ID)
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
// documented rules alone. existing is the ID of the interaction the
// commands other than Open run on.
func fuzzOracle(shape uint8, actor, text string, missing bool, existing string) error {
	goodText := len(text) <= interaction.DefaultLimits.MaxMessageBytes && utf8.ValidString(text) &&
		strings.ContainsFunc(text, func(r rune) bool { return !fuzzHidden(r) })
	known := actor == "contact" || actor == "agent1"
	switch shape {
	case fuzzOpenID:
		switch {
		case actor == "" || !fuzzGoodID(actor):
			return interaction.ErrBadInput
		case actor == existing:
			return interaction.ErrConflict
		case text != "" && !goodText:
			return interaction.ErrBadInput
		}
		return nil
	case fuzzOpen:
		if !fuzzGoodPartyID(actor) || (text != "" && !goodText) {
			return interaction.ErrBadInput
		}
		return nil
	case fuzzAssign:
		switch {
		case missing:
			return interaction.ErrNotFound
		case !fuzzGoodPartyID(actor):
			return interaction.ErrBadInput
		}
		// The chat is active: it is no longer offered to anyone.
		return interaction.ErrInvalidTransition
	}
	switch {
	case missing:
		return interaction.ErrNotFound
	case !goodText || !known:
		return interaction.ErrBadInput
	case shape == fuzzNote && actor == "contact":
		return interaction.ErrNotPermitted
	}
	return nil
}

// fuzzHidden: a character the input rules count as showing nothing:
// whitespace, a control (Cc), a format character (Cf), another
// default-ignorable code point, a variation selector, the braille blank.
func fuzzHidden(r rune) bool {
	switch {
	case unicode.IsSpace(r), unicode.IsControl(r), r == '\u2800':
		return true
	}
	for _, tab := range []*unicode.RangeTable{unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector} {
		if unicode.Is(tab, r) {
			return true
		}
	}
	return false
}

// fuzzGoodID: 1 to 256 bytes of valid UTF-8, nothing hidden.
func fuzzGoodID(id string) bool {
	return id != "" && len(id) <= 256 && utf8.ValidString(id) && !strings.ContainsFunc(id, fuzzHidden)
}

// fuzzGoodPartyID: a good ID that does not spell "system" in any case once
// fullwidth, mathematical and circled Latin letters are read as ASCII.
func fuzzGoodPartyID(p string) bool {
	if !fuzzGoodID(p) {
		return false
	}
	const lower = "abcdefghijklmnopqrstuvwxyz"
	var plain strings.Builder
	for _, r := range p {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r >= 0x1D400 && r <= 0x1D6A3:
			r = rune(lower[(r-0x1D400)%26])
		case r >= 0x24B6 && r <= 0x24CF:
			r = rune(lower[r-0x24B6])
		case r >= 0x24D0 && r <= 0x24E9:
			r = rune(lower[r-0x24D0])
		}
		if r == 'ſ' {
			r = 's'
		}
		plain.WriteRune(unicode.ToLower(r))
	}
	return plain.String() != "system"
}
