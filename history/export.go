package history

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

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
	Status        string          `json:"status"`
	Version       uint64          `json:"version"`
	Opened        time.Time       `json:"opened"`
	Ended         *time.Time      `json:"ended,omitempty"`
	Parties       []ExportParty   `json:"parties"`
	Consultations []ExportConsult `json:"consultations"`
	Messages      []ExportMessage `json:"messages"`
}

// ExportParty is a party as the viewer sees it.
type ExportParty struct {
	ID         interaction.PartyID `json:"id"`
	Role       string              `json:"role"`
	Membership string              `json:"membership"`
}

// ExportConsult is a consultation the viewer is one of the two agents of.
type ExportConsult struct {
	Leg      interaction.LegID   `json:"leg"`
	Owner    interaction.PartyID `json:"owner"`
	Agent    interaction.PartyID `json:"agent"`
	Target   string              `json:"target"`
	Medium   string              `json:"medium"`
	State    string              `json:"state"`
	Started  time.Time           `json:"started"`
	Answered *time.Time          `json:"answered,omitempty"`
	Ended    *time.Time          `json:"ended,omitempty"`
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
}

// NewExport exports st for viewer through st.ViewFor, so it holds exactly
// what the viewer may see: a party that was never in the interaction gets
// interaction.ErrNotPermitted (R-X6). Times are in UTC.
func NewExport(st *interaction.State, viewer interaction.PartyID) (Export, error) {
	v, err := st.ViewFor(viewer)
	if err != nil {
		return Export{}, err
	}
	x := Export{
		Schema:        SchemaV1,
		Interaction:   v.Interaction,
		Viewer:        ExportParty{ID: v.Viewer, Role: v.Role.String(), Membership: v.Membership},
		Status:        v.Status,
		Version:       v.Version,
		Opened:        st.Opened.UTC(),
		Ended:         optTime(st.Ended),
		Parties:       make([]ExportParty, 0, len(v.Parties)),
		Consultations: make([]ExportConsult, 0, len(v.Legs)),
		Messages:      make([]ExportMessage, 0, len(v.Messages)),
	}
	for _, q := range v.Parties {
		x.Parties = append(x.Parties, ExportParty{ID: q.ID, Role: q.Role.String(), Membership: q.Membership})
	}
	for _, l := range v.Legs {
		x.Consultations = append(x.Consultations, ExportConsult{
			Leg: l.ID, Owner: l.Owner, Agent: l.Agent, Target: l.Target.String(), Medium: l.Medium.String(),
			State: l.State, Started: l.Started.UTC(), Answered: optTime(l.Answered), Ended: optTime(l.Ended),
		})
	}
	for _, m := range v.Messages {
		em := ExportMessage{Seq: m.Seq, Time: m.Time.UTC(), Author: m.Author, Kind: m.Kind.String(), Scope: m.Scope.Kind.String(), Text: m.Text}
		switch m.Scope.Kind {
		case interaction.ScopeLeg:
			em.Leg = m.Scope.Leg
		case interaction.ScopeParty, interaction.ScopeCoach:
			em.To = m.Scope.Party
		}
		x.Messages = append(x.Messages, em)
	}
	return x, nil
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

// WriteText writes x for people: a header, then one line per message,
// "time  author [where]: text", with the lines of a multi-line message
// indented under it. Where says what is not the chat itself: a
// consultation, a note to the agents, a notice, a message to one party.
func (x Export) WriteText(w io.Writer) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "Transcript of interaction %s for %s (%s)\n", x.Interaction, x.Viewer.ID, x.Viewer.Role)
	fmt.Fprintf(b, "Status: %s. Opened %s", x.Status, stamp(x.Opened))
	if x.Ended != nil {
		fmt.Fprintf(b, ", ended %s", stamp(*x.Ended))
	}
	b.WriteString(".\n")
	for _, c := range x.Consultations {
		fmt.Fprintf(b, "Consultation %s: %s with %s (%s, %s), %s.\n", c.Leg, c.Owner, c.Agent, c.Target, c.Medium, c.State)
	}
	b.WriteString("\n")
	for _, m := range x.Messages {
		fmt.Fprintf(b, "%s  %s%s: %s\n", stamp(m.Time), m.Author, where(m), strings.ReplaceAll(m.Text, "\n", "\n    "))
	}
	return b.Flush()
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func where(m ExportMessage) string {
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
	if len(tags) == 0 {
		return ""
	}
	return " [" + strings.Join(tags, ", ") + "]"
}
