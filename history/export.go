package history

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/chatconsult/chatconsult/interaction"
)

// SchemaV1 names the JSON form of an Export; docs/transcript-schema.md
// describes it. A change that a v1 reader could misread gets a new name.
const SchemaV1 = "chatconsult.transcript/v1"

// Export is one viewer's transcript of one interaction, with exactly the
// viewer's visibility (R-X8). Its JSON form is schema SchemaV1.
type Export struct {
	Schema        string          `json:"schema"`
	Interaction   interaction.ID  `json:"interaction"`
	Viewer        ExportParty     `json:"viewer"`
	Status        string          `json:"status"` // a state name; a v1 reader accepts names it does not know
	Version       uint64          `json:"version"`
	Opened        time.Time       `json:"opened"`
	Ended         *time.Time      `json:"ended,omitempty"`
	Parties       []ExportParty   `json:"parties"`
	Consultations []ExportConsult `json:"consultations"`
	Messages      []ExportMessage `json:"messages"`
}

// ExportParty is a party as the viewer sees it.
type ExportParty struct {
	ID interaction.PartyID `json:"id"`
	// Name is how the viewer is shown the party: for the contact, an
	// agent's contact-facing name (interaction.ContactNames).
	Name       string `json:"name,omitempty"`
	Role       string `json:"role"`
	Membership string `json:"membership"`
}

// ExportConsult is a consultation the viewer is one of the two agents of.
type ExportConsult struct {
	Leg      interaction.LegID   `json:"leg"`
	Owner    interaction.PartyID `json:"owner"`
	Invitee  interaction.PartyID `json:"invitee"`
	Target   string              `json:"target"`
	Medium   string              `json:"medium"`
	State    string              `json:"state"`
	Started  time.Time           `json:"started"`
	Answered *time.Time          `json:"answered,omitempty"`
	Ended    *time.Time          `json:"ended,omitempty"`
}

// UnmarshalJSON reads a consultation, also one written while its invitee
// was "agent" (an export of chatconsult.transcript/v1 from before the
// rename).
func (c *ExportConsult) UnmarshalJSON(b []byte) error {
	type plain ExportConsult
	var x struct {
		plain
		Agent interaction.PartyID `json:"agent"`
	}
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	*c = ExportConsult(x.plain)
	if c.Invitee == "" {
		c.Invitee = x.Agent
	}
	return nil
}

// ExportMessage is one line of the transcript.
type ExportMessage struct {
	Seq    uint32              `json:"seq"`
	Time   time.Time           `json:"time"`
	Author interaction.PartyID `json:"author"`
	Kind   string              `json:"kind"`
	Scope  string              `json:"scope"`
	Leg    interaction.LegID   `json:"leg,omitempty"`
	To     interaction.PartyID `json:"to,omitempty"`
	Text   string              `json:"text"`
	// Attachments are the message's files, exactly as the viewer's view
	// shows them (issue 17); absent without any.
	Attachments []ExportAttachment `json:"attachments,omitempty"`
}

// ExportAttachment is one file of a message: what the view shows of it.
type ExportAttachment struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	Ref       string `json:"ref"`
}

func exportAttachments(as []interaction.Attachment) []ExportAttachment {
	if len(as) == 0 {
		return nil
	}
	out := make([]ExportAttachment, len(as))
	for i, a := range as {
		out[i] = ExportAttachment(a)
	}
	return out
}

// NewExport exports st for viewer through st.ViewFor, so it holds exactly
// what the viewer may see: a party that was never in the interaction gets
// interaction.ErrNotPermitted (R-X6). Times are in UTC.
func NewExport(st *interaction.State, viewer interaction.PartyID) (Export, error) {
	v, err := st.ViewFor(viewer)
	if err != nil {
		return Export{}, err
	}
	x := exportHead(st, &v)
	x.Messages = make([]ExportMessage, 0, len(v.Messages))
	for i := range v.Messages {
		em := exportMessage(&v.Messages[i])
		em.Attachments = exportAttachments(v.Attachments[v.Messages[i].Seq])
		x.Messages = append(x.Messages, em)
	}
	return x, nil
}

// exportHead is NewExport without the messages (an empty list), from v.
func exportHead(st *interaction.State, v *interaction.View) Export {
	x := Export{
		Schema:        SchemaV1,
		Interaction:   v.Interaction,
		Viewer:        ExportParty{ID: v.Viewer, Role: v.Role.String(), Membership: string(v.Membership)},
		Status:        string(v.Status),
		Version:       v.Version,
		Opened:        st.Opened.UTC(),
		Ended:         optTime(v.Ended),
		Parties:       make([]ExportParty, 0, len(v.Parties)),
		Consultations: make([]ExportConsult, 0, len(v.Legs)),
		Messages:      []ExportMessage{},
	}
	for _, q := range v.Parties {
		x.Parties = append(x.Parties, ExportParty{ID: q.ID, Name: q.Name, Role: q.Role.String(), Membership: string(q.Membership)})
	}
	for _, l := range v.Legs {
		x.Consultations = append(x.Consultations, ExportConsult{
			Leg: l.ID, Owner: l.Owner, Invitee: l.Invitee, Target: l.Target.String(), Medium: l.Medium.String(),
			State: string(l.State), Started: l.Started.UTC(), Answered: optTime(l.Answered), Ended: optTime(l.Ended),
		})
	}
	return x
}

// exportMessage is one message of a view as an export holds it.
func exportMessage(m *interaction.Message) ExportMessage {
	em := ExportMessage{Seq: m.Seq, Time: m.Time.UTC(), Author: m.Author, Kind: m.Kind.String(), Scope: m.Scope.Kind.String(), Text: m.Text}
	switch m.Scope.Kind {
	case interaction.ScopeLeg:
		em.Leg = interaction.LegID(m.Scope.Invitation)
	case interaction.ScopeParty, interaction.ScopeCoach:
		em.To = m.Scope.Party
	}
	return em
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// Export exports interaction id for viewer (see NewExport).
func (p *Projection) Export(ctx context.Context, id interaction.ID, viewer interaction.PartyID) (Export, error) {
	if err := ctx.Err(); err != nil {
		return Export{}, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	rec, err := p.lookup("export", id)
	if err != nil {
		return Export{}, err
	}
	return NewExport(rec.st, viewer)
}

// WriteJSON writes x as indented JSON (schema SchemaV1).
func (x Export) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(x)
}

// ReadExport decodes the JSON form of an Export and checks its schema.
func ReadExport(r io.Reader) (Export, error) {
	var x Export
	if err := json.NewDecoder(r).Decode(&x); err != nil {
		return Export{}, &interaction.Error{Kind: interaction.ErrBadInput, Op: "read export", Detail: err.Error()}
	}
	if x.Schema != SchemaV1 {
		return Export{}, &interaction.Error{Kind: interaction.ErrBadInput, Op: "read export", Detail: fmt.Sprintf("schema %q, want %q", x.Schema, SchemaV1)}
	}
	return x, nil
}

// WriteText writes x for people: a header, a blank line, then exactly one
// line per message, "time  author [where]: text". Where says what is not
// the chat itself: a consultation, a note to the agents, a notice, a
// message to one party.
//
// Nothing a party writes can make a line of its own or pass for another
// party's line (R-X8, R-C5): every field is escaped, and the header and
// each message line end at the only line breaks written. The escapes are
// those of a Go string literal (strconv.UnquoteChar reads them back):
//
//   - a backslash is written \\;
//   - \a \b \t \n \v \f \r stand for those controls, \xHH for any other
//     control below U+0080 (NUL is \x00, DEL \x7f) and for a byte that is
//     not valid UTF-8;
//   - every other character that is not graphic (unicode.IsGraphic: letters,
//     marks, numbers, punctuation, symbols and spaces) is written \uHHHH or
//     \UHHHHHHHH: the C1 controls (NEL is \u0085), the line and paragraph
//     separators \u2028 and \u2029, the bidirectional controls (\u202a to
//     \u202e, \u2066 to \u2069) and every other format character
//     (category Cf, such as the zero-width space \u200b and the zero-width
//     joiner \u200d of emoji sequences), private-use and unassigned code
//     points.
//
// Everything else, quotes included, is written as it is. An ID (of the
// interaction, a party or a consultation) that is empty, or has a space,
// a character that is not graphic, or one of \ " : [ ] , is written as a
// quoted Go string ("agent 1", escaped as above, with \" for a quote), so
// the author and the where part of a line are never in doubt. The JSON
// form (WriteJSON) is the one for programs.
func (x Export) WriteText(w io.Writer) error {
	b := bufio.NewWriter(w)
	x.writeTextHead(b)
	for i := range x.Messages {
		writeTextLine(b, &x.Messages[i])
	}
	return b.Flush()
}

// writeTextHead writes the header of the text form and the blank line
// after it (see WriteText).
func (x *Export) writeTextHead(b *bufio.Writer) {
	fmt.Fprintf(b, "Transcript of interaction %s for %s (%s)\n", textID(string(x.Interaction)), textID(string(x.Viewer.ID)), escapeText(x.Viewer.Role))
	fmt.Fprintf(b, "Status: %s. Opened %s", escapeText(string(x.Status)), stamp(x.Opened))
	if x.Ended != nil {
		fmt.Fprintf(b, ", ended %s", stamp(*x.Ended))
	}
	b.WriteString(".\n")
	for _, c := range x.Consultations {
		fmt.Fprintf(b, "Consultation %s: %s with %s (%s, %s), %s.\n", textID(string(c.Leg)), textID(string(c.Owner)), textID(string(c.Invitee)),
			escapeText(c.Target), escapeText(c.Medium), escapeText(string(c.State)))
	}
	b.WriteString("\n")
}

// writeTextLine writes one message line of the text form.
func writeTextLine(b *bufio.Writer, m *ExportMessage) {
	fmt.Fprintf(b, "%s  %s%s: %s", stamp(m.Time), textID(string(m.Author)), where(*m), escapeText(m.Text))
	for _, a := range m.Attachments {
		// Attachments follow the text on its line: [attached name (type, n bytes) ref].
		fmt.Fprintf(b, " [attached %s (%s, %d bytes) %s]", textID(a.Name), escapeText(a.MediaType), a.Size, textID(a.Ref))
	}
	b.WriteString("\n")
}

// escapeText escapes s for one line of WriteText (see there).
func escapeText(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' {
			return string(appendEscaped(make([]byte, 0, len(s)+8), s, 0))
		}
	}
	return s // printable ASCII, the common case
}

// textID writes an ID as it is when it is plain, else as a quoted Go
// string (see WriteText).
func textID(s string) string {
	if plainID(s) {
		return s
	}
	b := append(make([]byte, 0, len(s)+8), '"')
	b = appendEscaped(b, s, '"')
	return string(append(b, '"'))
}

func plainID(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsGraphic(r) || unicode.IsSpace(r) || strings.ContainsRune(`\":[],`, r) {
			return false
		}
	}
	return true
}

const lowerHex = "0123456789abcdef"

// appendEscaped appends s to dst with Go string-literal escapes for a
// backslash, quote (when not 0) and every character that is not graphic.
func appendEscaped(dst []byte, s string, quote byte) []byte {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, '\\', 'x', lowerHex[s[i]>>4], lowerHex[s[i]&0xf])
			i++
			continue
		}
		i += n
		switch {
		case r == '\\' || (quote != 0 && r == rune(quote)):
			dst = append(dst, '\\', byte(r))
		case unicode.IsGraphic(r):
			dst = utf8.AppendRune(dst, r)
		default:
			dst = appendEscape(dst, r)
		}
	}
	return dst
}

// appendEscape appends the escape of one character that is not graphic.
func appendEscape(dst []byte, r rune) []byte {
	switch r {
	case '\a':
		return append(dst, `\a`...)
	case '\b':
		return append(dst, `\b`...)
	case '\t':
		return append(dst, `\t`...)
	case '\n':
		return append(dst, `\n`...)
	case '\v':
		return append(dst, `\v`...)
	case '\f':
		return append(dst, `\f`...)
	case '\r':
		return append(dst, `\r`...)
	}
	switch {
	case r < utf8.RuneSelf:
		return append(dst, '\\', 'x', lowerHex[r>>4], lowerHex[r&0xf])
	case r <= 0xffff:
		dst = append(dst, '\\', 'u')
		for s := 12; s >= 0; s -= 4 {
			dst = append(dst, lowerHex[r>>uint(s)&0xf])
		}
		return dst
	default:
		dst = append(dst, '\\', 'U')
		for s := 28; s >= 0; s -= 4 {
			dst = append(dst, lowerHex[r>>uint(s)&0xf])
		}
		return dst
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func where(m ExportMessage) string {
	var tags []string
	if m.Kind == interaction.KindNotice.String() {
		tags = append(tags, "notice")
	}
	switch m.Scope {
	case interaction.ScopeLeg.String():
		tags = append(tags, "consultation "+textID(string(m.Leg)))
	case interaction.ScopeAgents.String():
		tags = append(tags, "note to agents")
	case interaction.ScopeParty.String():
		tags = append(tags, "to "+textID(string(m.To)))
	case interaction.ScopeCoach.String():
		tags = append(tags, "coaching "+textID(string(m.To)))
	}
	if len(tags) == 0 {
		return ""
	}
	return " [" + strings.Join(tags, ", ") + "]"
}
