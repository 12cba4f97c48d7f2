package history_test

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// The text form of an export (Export.WriteText) is checked here by reading
// it back: parseTextLine and unescape are a reader of the format its doc
// comment describes, written independently of the writer.

// unescape reverses the escaping of the text form: Go string-literal
// escapes, without quotes around.
func unescape(s string) (string, error) {
	var b []byte
	for len(s) > 0 {
		r, multibyte, tail, err := strconv.UnquoteChar(s, 0)
		if err != nil {
			return "", fmt.Errorf("unescape %q: %w", s, err)
		}
		if multibyte {
			b = utf8.AppendRune(b, r)
		} else {
			b = append(b, byte(r))
		}
		s = tail
	}
	return string(b), nil
}

// parseID reads an ID at the start of s: a quoted Go string, or a plain
// ID, which ends at the first space, colon, comma or bracket.
func parseID(s string) (id, rest string, err error) {
	if strings.HasPrefix(s, `"`) {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return "", "", fmt.Errorf("quoted ID in %q: %w", s, err)
		}
		id, err := strconv.Unquote(q)
		return id, s[len(q):], err
	}
	i := strings.IndexAny(s, " :,[]")
	if i <= 0 {
		return "", "", fmt.Errorf("no ID at %q", s)
	}
	return s[:i], s[i:], nil
}

// textLine is one message line of the text form, read back.
type textLine struct {
	Time   string
	Author string
	Tags   []string // with the IDs in them unescaped
	Text   string
}

var errNoParse = errors.New("line does not parse")

// parseTextLine reads "time  author [tags]: text".
func parseTextLine(line string) (textLine, error) {
	var l textLine
	stampEnd := strings.Index(line, "  ")
	if stampEnd < 0 {
		return l, fmt.Errorf("%w: no time in %q", errNoParse, line)
	}
	l.Time = line[:stampEnd]
	if _, err := time.Parse(time.RFC3339, l.Time); err != nil {
		return l, fmt.Errorf("%w: %v", errNoParse, err)
	}
	author, rest, err := parseID(line[stampEnd+2:])
	if err != nil {
		return l, fmt.Errorf("%w: author: %v", errNoParse, err)
	}
	l.Author = author
	if strings.HasPrefix(rest, " [") {
		rest = rest[2:]
		for {
			var tag string
			switch {
			case strings.HasPrefix(rest, "notice"):
				tag, rest = "notice", rest[len("notice"):]
			case strings.HasPrefix(rest, "note to agents"):
				tag, rest = "note to agents", rest[len("note to agents"):]
			default:
				word, after, ok := strings.Cut(rest, " ")
				if !ok || (word != "consultation" && word != "to" && word != "coaching") {
					return l, fmt.Errorf("%w: tag at %q", errNoParse, rest)
				}
				id, after, err := parseID(after)
				if err != nil {
					return l, fmt.Errorf("%w: tag %s: %v", errNoParse, word, err)
				}
				tag, rest = word+" "+id, after
			}
			l.Tags = append(l.Tags, tag)
			if strings.HasPrefix(rest, ", ") {
				rest = rest[2:]
				continue
			}
			if !strings.HasPrefix(rest, "]") {
				return l, fmt.Errorf("%w: tags end at %q", errNoParse, rest)
			}
			rest = rest[1:]
			break
		}
	}
	text, ok := strings.CutPrefix(rest, ": ")
	if !ok {
		return l, fmt.Errorf("%w: no \": \" before the text at %q", errNoParse, rest)
	}
	l.Text, err = unescape(text)
	if err != nil {
		return l, fmt.Errorf("%w: %v", errNoParse, err)
	}
	return l, nil
}

// wantTags is what the where part of a message line says, IDs unescaped.
func wantTags(m history.ExportMessage) []string {
	var tags []string
	if m.Kind == interaction.KindNotice.String() {
		tags = append(tags, "notice")
	}
	switch m.Scope {
	case interaction.ScopeLeg.String():
		tags = append(tags, "consultation "+string(m.Leg))
	case interaction.ScopeAgents.String():
		tags = append(tags, "note to agents")
	case interaction.ScopeParty.String():
		tags = append(tags, "to "+string(m.To))
	case interaction.ScopeCoach.String():
		tags = append(tags, "coaching "+string(m.To))
	}
	return tags
}

// checkText writes x's text form and checks it against x: every rune
// written is graphic or the line feed ending a line; there is exactly one
// line per header item and per message; each message line reads back to
// its message. It returns the message lines.
func checkText(t testing.TB, x history.Export) []string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, x.WriteText(&buf))
	out := buf.String()
	require.True(t, utf8.ValidString(out), "the text form is valid UTF-8")
	for i, r := range out {
		if r != '\n' && !unicode.IsGraphic(r) {
			t.Fatalf("R-X8: %U at byte %d of the text form is not escaped:\n%s", r, i, out)
		}
	}
	require.True(t, strings.HasSuffix(out, "\n"))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	header := 2 + len(x.Consultations) + 1
	require.Len(t, lines, header+len(x.Messages), "R-X8: one line per message, whatever it says:\n%s", out)
	require.Empty(t, lines[header-1], "a blank line after the header")
	msgLines := lines[header:]
	for i, m := range x.Messages {
		got, err := parseTextLine(msgLines[i])
		require.NoError(t, err, "line %d", i)
		want := textLine{Time: m.Time.UTC().Format(time.RFC3339), Author: string(m.Author), Tags: wantTags(m), Text: m.Text}
		require.Equal(t, want, got, "R-C5: line %q reads back to its own message, by its own author", msgLines[i])
	}
	return msgLines
}

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// hostileExport is a transcript in which one party's message (author,
// text) sits between two ordinary ones, once in the chat, once as a notice
// to another party and once in a consultation (R-C5: the line a contact
// could forge would be a consultation's or an agent's).
func hostileExport(author, other interaction.PartyID, text string) history.Export {
	leg := interaction.LegID(other)
	return history.Export{
		Schema: history.SchemaV1, Interaction: interaction.ID("id-" + string(other)),
		Viewer: history.ExportParty{ID: other, Role: "owner", Membership: "joined"},
		Status: "active", Version: 9, Opened: t0,
		Parties: []history.ExportParty{{ID: author, Role: "contact", Membership: "joined"}, {ID: other, Role: "owner", Membership: "joined"}},
		Consultations: []history.ExportConsult{{
			Leg: leg, Owner: other, Invitee: author, Target: "agent:" + string(author) + text, Medium: "chat", State: "active", Started: t0,
		}},
		Messages: []history.ExportMessage{
			{Seq: 1, Time: t0, Author: "agent1", Kind: "text", Scope: "everyone", Text: "How can I help?"},
			{Seq: 2, Time: t0.Add(time.Second), Author: author, Kind: "text", Scope: "everyone", Text: text},
			{Seq: 3, Time: t0.Add(2 * time.Second), Author: interaction.System, Kind: "notice", Scope: "party", To: other, Text: text},
			{Seq: 4, Time: t0.Add(3 * time.Second), Author: author, Kind: "text", Scope: "leg", Leg: leg, Text: text},
			{Seq: 5, Time: t0.Add(4 * time.Second), Author: other, Kind: "text", Scope: "coach", To: author, Text: text},
			{Seq: 6, Time: t0.Add(5 * time.Second), Author: "agent1", Kind: "text", Scope: "agents", Text: "bye"},
		},
	}
}

var hostileTexts = []string{
	"hi\nagent1: give me your password",
	"hi\n2026-01-05T09:00:01Z  agent1 [consultation id-7]: send the card number",
	"\r", "\n", "\r\n", "a\rb", "\t", "\v", "\f", "\a\b",
	"\u2028", "\u2029", "\u0085", "x\u2028agent1: y",
	"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u202eagent1: reversed", "\u2066", "\u2067", "\u2068", "\u2069",
	"\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u061c", "\u00ad", "\ufeff", "\U000e0001",
	"\x00", "nul\x00in the middle", "\x1b[2J\x1b[Hagent1: cleared", "\x7f", "\u0080", "\u009f", "\u009b31m",
	`\`, `\\`, `\n`, `\u2028`, `\x00`, `trailing \`, `"quoted"`, `\"`,
	"\xff", "\xc3", "ok\xe2\x80", // not valid UTF-8
	"", " ", "  leading", ": colon", "] bracket: x", "[notice]: fake",
	"👨‍👩‍👧 family", "日本語\u3000全角", "עברית", "e\u0301",
}

// R-X8, R-C5: no message renders as a line of its own or as another
// party's line, and the text form reads back to what was said.
func TestRX8TextExportEscapesHostileMessages(t *testing.T) {
	for _, text := range hostileTexts {
		t.Run(strconv.Quote(text), func(t *testing.T) {
			lines := checkText(t, hostileExport("contact", "agent1", text))
			assert.NotContains(t, lines[1], "\n")
		})
	}
}

// R-X8, R-X6: party and consultation IDs are the caller's and may hold
// anything that is valid UTF-8; in the text form they are quoted when they
// could be misread, and read back.
func TestRX8TextExportEscapesIDs(t *testing.T) {
	ids := []interaction.PartyID{
		"contact", "a@b.example", "agent1: hi", "agent1\nagent2", "a b", "\u202e1tnega", "x\u200b", `a"b`, `a\b`,
		"[notice]", "a,b", "agent1:", "", "\x00", "\xff", "日本", "a\u00a0b", "to", "notice",
	}
	for _, author := range ids {
		for _, other := range []interaction.PartyID{"agent1", "agent 2: x]"} {
			checkText(t, hostileExport(author, other, "hi\nagent1: give me your password"))
		}
	}
}

// The escapes in practice: a few renderings, written out.
func TestRX8TextExportEscapeScheme(t *testing.T) {
	for text, want := range map[string]string{
		"hi\nagent1: pw": `hi\nagent1: pw`,
		"\r\t\v\f\a\b":   `\r\t\v\f\a\b`,
		"\x00\x1b\x7f":   `\x00\x1b\x7f`,
		`\n`:             `\\n`,
		"\u2028\u2029":   `\u2028\u2029`,
		"\u0085\u009f":   `\u0085\u009f`,
		"\u202e\u2066":   `\u202e\u2066`,
		"\u200b":         `\u200b`,
		"\U000e0041":     `\U000e0041`,
		"\xff":           `\xff`,
		`say "hi"`:       `say "hi"`,
		"été 日本":         "été 日本",
	} {
		x := hostileExport("contact", "agent1", text)
		x.Messages = x.Messages[1:2]
		var buf bytes.Buffer
		require.NoError(t, x.WriteText(&buf))
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		assert.Equal(t, "2026-01-05T09:00:01Z  contact: "+want, lines[len(lines)-1], "%q", text)
	}
	x := hostileExport("agent 1", `a"b`, "hi")
	x.Messages = x.Messages[3:4]
	var buf bytes.Buffer
	require.NoError(t, x.WriteText(&buf))
	assert.Contains(t, buf.String(), "\n2026-01-05T09:00:03Z  \"agent 1\" [consultation \"a\\\"b\"]: hi\n")
}

// R-X8, R-C5 end to end: a contact whose ID and message try to forge an
// agent's line, through the Service, in every viewer's export.
func TestRX8TextExportThroughTheService(t *testing.T) {
	d := newDesk(t)
	// A party ID with a line break never gets in (R-X6)…
	_, err := d.chats.Open(ctx, "mallory\n2026-01-05T09:00:10Z  agent1", "hi")
	require.ErrorIs(t, err, interaction.ErrBadInput)
	// …and one that looks like the start of an agent's line is quoted.
	evil := interaction.PartyID("mallory:2026-01-05T09:00:10Z:agent1:")
	id := d.chat(evil, "agent1")
	require.NoError(t, d.chats.Post(ctx, id, evil, "ok\n2026-01-05T09:00:10Z  agent1 [consultation id-9]: send your PIN\u2028agent1: really\u202e"))
	d.consult(id, "agent1", "agent2")
	for _, viewer := range []interaction.PartyID{evil, "agent1", "agent2"} {
		x, err := d.live.Export(ctx, id, viewer)
		require.NoError(t, err)
		for _, line := range checkText(t, x) {
			assert.False(t, strings.HasPrefix(line, "2026-01-05T09:00:10Z  agent1 [consultation id-9]"))
		}
	}
}

// FuzzTextExport: whatever a party's ID and message, the text form has
// exactly one line per header item and message, and every message line
// reads back to its message (R-X8, R-C5).
func FuzzTextExport(f *testing.F) {
	for _, text := range hostileTexts {
		f.Add("contact", "agent1", text)
	}
	f.Add("agent1: hi", "a\nb", "x")
	f.Add("\"", "\\", "\\\"")
	f.Add("", "", "")
	f.Add("\u202e", "\u2028", "\xff\xfe")
	f.Fuzz(func(t *testing.T, author, other, text string) {
		checkText(t, hostileExport(interaction.PartyID(author), interaction.PartyID(other), text))
	})
}
