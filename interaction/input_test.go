package interaction_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
)

// badPartyIDs are the party IDs R-X6 refuses, by reason.
var badPartyIDs = []struct {
	name string
	id   interaction.PartyID
}{
	{"empty", ""},
	{"system", interaction.System},
	{"System", "System"},
	{"SYSTEM", "SYSTEM"},
	{"long s", "ſystem"},
	{"zero-width space inside system", "sys\u200btem"},
	{"fullwidth system", "ｓｙｓｔｅｍ"},
	{"fullwidth SYSTEM", "ＳＹＳＴＥＭ"},
	{"mathematical bold system", "𝐬𝐲𝐬𝐭𝐞𝐦"},
	{"mathematical monospace SYSTEM", "𝚂𝚈𝚂𝚃𝙴𝙼"},
	{"circled system", "ⓢⓨⓢⓣⓔⓜ"},
	{"NUL", "agent\x00"},
	{"newline", "agent\n2"},
	{"tab", "agent\t2"},
	{"ESC", "\x1b[31magent2"},
	{"DEL", "agent2\x7f"},
	{"C1 control", "agent2\u0085"},
	{"zero-width space", "agent\u200b2"},
	{"zero-width joiner", "agent\u200d2"},
	{"emoji ZWJ sequence", "👩\u200d💻"}, // fine in text, not in an ID: the ZWJ is invisible
	{"word joiner", "agent\u20602"},
	{"BOM", "\ufeffagent2"},
	{"soft hyphen", "agent\u00ad2"},
	{"bidi override", "\u202eagent2"},
	{"bidi isolate", "agent2\u2066"},
	{"variation selector", "agent2\ufe0f"},
	{"Hangul filler", "\u3164"},
	{"braille blank", "\u2800"},
	{"space", " "},
	{"whitespace only", " \t\u00a0\u3000"},
	{"padded", " agent2"},
	{"space inside", "agent 2"},
	{"no-break space inside", "agent\u00a02"},
	{"oversized", interaction.PartyID(strings.Repeat("a", interaction.MaxPartyIDBytes+1))},
	{"invalid UTF-8", "a\xffb"},
}

// goodPartyIDs are accepted: ordinary IDs, at the limit, and IDs that only
// resemble System in a way the documented fold does not cover.
var goodPartyIDs = []interaction.PartyID{
	"agent2", "agent.2@example.com", "Ａgent2", "systems", "my-system", "ѕуѕтем", // Cyrillic: no confusables check
	"Grüße", "🙂", interaction.PartyID(strings.Repeat("a", interaction.MaxPartyIDBytes)),
}

// R-X6: a party ID with a control, whitespace or invisible character, a
// blank one, or one that is or looks like System is bad input wherever it
// would be stored (Open's contact, Assign's agent, a new supervisor), and
// nothing is written: no interaction, no party, the version unchanged.
func TestRX6PartyIDRules(t *testing.T) {
	ctx := context.Background()
	for _, c := range badPartyIDs {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Do(ctx, "chat-new", c.id, interaction.Open{Contact: c.id, Text: "hi"})
			assertBadInput(t, err, "R-X6: open by %q", c.id)
			_, err = f.svc.State(ctx, "chat-new")
			assert.ErrorIs(t, err, interaction.ErrNotFound, "R-X6: a refused open writes nothing")

			id, err := f.svc.Open(ctx, "contact", "hi")
			require.NoError(t, err)
			before := f.version(t, id)
			assertBadInput(t, f.svc.Assign(ctx, id, interaction.System, c.id), "R-X6: assign %q", c.id)
			assert.Equal(t, before, f.version(t, id), "R-X6: nothing written")

			id = f.activeChat(t)
			before = f.version(t, id)
			if c.id != "" && c.id != interaction.System {
				// "" and System are refused as supervisors for their own reasons.
				assertBadInput(t, f.svc.Monitor(ctx, id, c.id, "agent1"), "R-X6: %q supervises", c.id)
				assertBadInput(t, f.svc.BargeIn(ctx, id, c.id), "R-X6: %q barges in", c.id)
			}
			assertBadInput(t, f.svc.Post(ctx, id, c.id, "hello"), "R-X6: %q is not a party", c.id)
			assert.Equal(t, before, f.version(t, id), "R-X6: nothing written")
		})
	}
	for _, p := range goodPartyIDs {
		f := newFixture(t)
		id, err := f.svc.Open(ctx, p, "hi")
		require.NoError(t, err, "R-X6: %q is a fine contact", p)
		require.NoError(t, f.svc.Assign(ctx, id, interaction.System, "agent1"))
		require.NoError(t, f.svc.Join(ctx, id, "agent1"))
		assert.NoError(t, f.svc.Post(ctx, id, p, "hello"), "R-X6: %q acts as itself", p)
	}
}

// R-X6: text with nothing visible in it (only whitespace, control and
// invisible characters) is blank, bad input for every command that
// writes text, and nothing is written.
func TestRX6InvisibleOnlyTextIsBlank(t *testing.T) {
	ctx := context.Background()
	for name, text := range map[string]string{
		"zero-width space":   "\u200b",
		"NUL":                "\x00",
		"NULs and newlines":  "\x00\n\x00\r\n",
		"ESC and DEL":        "\x1b\x7f",
		"C1 controls":        "\u0085\u009b",
		"joiners and BOM":    "\u200c\u200d\u2060\ufeff",
		"bidi controls":      "\u202a\u202e\u2066\u2069",
		"soft hyphen":        "\u00ad",
		"Hangul fillers":     "\u115f\u1160\u3164\uffa0",
		"variation selector": "\ufe0f",
		"braille blank":      "\u2800",
		"tag characters":     "\U000e0041\U000e007f",
		"a mix":              " \t\x00\u200b\u3000\ufeff ",
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Open(ctx, "contact", text)
			assertBadInput(t, err, "R-X6: open with %q", text)

			id := f.activeChat(t)
			before := f.version(t, id)
			assertBadInput(t, f.svc.Post(ctx, id, "agent1", text), "R-X6: post %q", text)
			assertBadInput(t, f.svc.Post(ctx, id, "contact", text), "R-X6: post %q", text)
			_, err = f.svc.Do(ctx, id, "agent1", interaction.Note{Text: text})
			assertBadInput(t, err, "R-X6: note %q", text)
			assertBadInput(t, f.svc.Coach(ctx, id, "super1", "agent1", text), "R-X6: coach %q", text)
			assert.Equal(t, before, f.version(t, id), "R-X6: nothing written")
		})
	}
}

// R-X6 (decision): control and invisible characters inside text that has
// something visible are kept: the text is stored exactly as written.
func TestRX6ControlCharactersInsideTextAreKept(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	id := f.activeChat(t)
	for _, text := range []string{"a\x00b", "tab\there\r\n", "bell\x07", "\x1b[1mbold\x1b[0m", "zero\u200bwidth", "👩\u200d💻", "\u202eevil", " \u200bx"} {
		require.NoError(t, f.svc.Post(ctx, id, "agent1", text), "R-X6: %q has something visible", text)
		st, err := f.svc.State(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, text, st.Messages[len(st.Messages)-1].Text, "R-X6: nothing lost or changed")
	}
}

// R-X6: an interaction ID with a control, whitespace or invisible
// character, an oversized or invalid UTF-8 one, is refused when the
// interaction is opened, and nothing is written.
func TestRX6InteractionIDRules(t *testing.T) {
	ctx := context.Background()
	for name, id := range map[string]interaction.ID{
		"empty":            "",
		"NUL":              "chat\x002",
		"newline":          "chat\n2",
		"space":            "chat 2",
		"zero-width space": "chat\u200b2",
		"BOM":              "\ufeffchat2",
		"invisible only":   "\u200b",
		"oversized":        interaction.ID(strings.Repeat("c", interaction.MaxIDBytes+1)),
		"invalid UTF-8":    "chat\xff",
	} {
		f := newFixture(t)
		_, err := f.svc.Do(ctx, id, "contact", interaction.Open{Contact: "contact", Text: "hi"})
		assertBadInput(t, err, "R-X6: open %s interaction ID %q", name, id)
		if id != "" {
			_, err = f.svc.State(ctx, id)
			assert.ErrorIs(t, err, interaction.ErrNotFound, "R-X6: nothing written (%s)", name)
		}
	}
	f := newFixture(t)
	for _, id := range []interaction.ID{"chat-2", interaction.ID(strings.Repeat("c", interaction.MaxIDBytes)), "b7f8bf4e-5d1c-4c54-9a51-0e3f1c0b2a11"} {
		_, err := f.svc.Do(ctx, id, "contact", interaction.Open{Contact: "contact", Text: "hi"})
		assert.NoError(t, err, "R-X6: %q is a fine interaction ID", id)
	}
}

// R-X6: the exported checks answer with an *interaction.Error of kind
// ErrBadInput and rule R-X6, the same answer every time, for every store
// (they depend on their input alone).
func TestRX6ExportedChecks(t *testing.T) {
	for _, c := range badPartyIDs {
		err := interaction.CheckPartyID(c.id)
		var e *interaction.Error
		require.True(t, errors.As(err, &e), "R-X6: %s", c.name)
		assert.ErrorIs(t, err, interaction.ErrBadInput)
		assert.Equal(t, "R-X6", e.Rule)
		assert.Equal(t, err.Error(), interaction.CheckPartyID(c.id).Error(), "R-X6: the same answer again")
		// Inside a command, on any interaction, the same verdict.
		for _, st := range []*interaction.State{{ID: "chat-1", Version: 3}, {ID: "other", Version: 9}} {
			d := interaction.NewDecision(st, "agent1", chatconsulttest.Epoch, "c", interaction.DefaultLimits, nil)
			assert.ErrorIs(t, d.CheckPartyID(c.id), interaction.ErrBadInput, "R-X6: %s", c.name)
		}
	}
	for _, p := range goodPartyIDs {
		assert.NoError(t, interaction.CheckPartyID(p), "R-X6: %q", p)
	}
	for name, id := range map[string]string{
		"empty": "", "NUL": "l\x00", "newline": "l\n", "space": "l 1", "zero-width space": "l\u200b1", "BOM": "\ufeff",
		"bidi": "\u202el", "oversized": strings.Repeat("l", interaction.MaxIDBytes+1), "invalid UTF-8": "\xff",
	} {
		err := interaction.CheckID("leg", id)
		var e *interaction.Error
		require.True(t, errors.As(err, &e), "R-X6: %s", name)
		assert.ErrorIs(t, err, interaction.ErrBadInput, "R-X6: %s", name)
		assert.Equal(t, "R-X6", e.Rule)
		assert.Contains(t, e.Detail, "leg ID")
	}
	for _, id := range []string{"leg1", "system", "550e8400-e29b-41d4-a716-446655440000", strings.Repeat("l", interaction.MaxIDBytes)} {
		assert.NoError(t, interaction.CheckID("leg", id), "R-X6: %q", id)
	}
	for _, tg := range []interaction.Target{
		{Kind: interaction.TargetQueue + 1, ID: "billing"}, {Kind: 255, ID: "vip"}, {Kind: interaction.TargetGroup},
		{Kind: interaction.TargetSkill, ID: "bill\u200bing"}, {Kind: interaction.TargetAgent, ID: "agent\n"},
	} {
		assert.ErrorIs(t, interaction.CheckTarget(tg), interaction.ErrBadInput, "R-X6: %v", tg)
	}
	for k := interaction.TargetAgent; k <= interaction.TargetQueue; k++ {
		assert.NoError(t, interaction.CheckTarget(interaction.Target{Kind: k, ID: "billing"}), "R-X6: %v", k)
	}
}

func assertBadInput(t *testing.T, err error, msgAndArgs ...any) {
	t.Helper()
	assert.ErrorIs(t, err, interaction.ErrBadInput, msgAndArgs...)
	var e *interaction.Error
	if assert.True(t, errors.As(err, &e), msgAndArgs...) && e.Detail != "no interaction ID" {
		assert.Equal(t, "R-X6", e.Rule, msgAndArgs...)
	}
}

func (f *fixture) version(t *testing.T, id interaction.ID) uint64 {
	t.Helper()
	st, err := f.svc.State(context.Background(), id)
	require.NoError(t, err)
	return st.Version
}
