package history

import (
	"encoding/json"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// HistorySchema names the JSON form of a page of history (My History,
// contact history, activity history), docs/json-schema.md. Field names are
// written here, apart from the Go names.
const HistorySchema = "chatconsult.history/v1"

func timeOf(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

type jsonEntry struct {
	Interaction   interaction.ID        `json:"interaction"`
	Contact       interaction.PartyID   `json:"contact"`
	Agents        []interaction.PartyID `json:"agents"`
	Status        interaction.Status    `json:"status"`
	Opened        *time.Time            `json:"opened,omitempty"`
	Ended         *time.Time            `json:"ended,omitempty"`
	Closed        *time.Time            `json:"closed,omitempty"`
	Transcript    []interaction.Message `json:"transcript"`
	Consultations []Consultation        `json:"consultations,omitempty"`
}

func entryDoc(e *Entry) jsonEntry {
	j := jsonEntry{Interaction: e.Interaction, Contact: e.Contact, Agents: e.Agents, Status: e.Status, Opened: timeOf(e.Opened), Ended: timeOf(e.Ended),
		Closed: timeOf(e.Closed), Transcript: e.Transcript}
	if j.Agents == nil {
		j.Agents = []interaction.PartyID{}
	}
	if j.Transcript == nil {
		j.Transcript = []interaction.Message{}
	}
	return j
}

// MarshalJSON writes one history entry: the interaction, its contact, the
// agents engaged with the contact (R-H3), status and times, and the
// viewer's history transcript (never a consultation message, R-H2).
func (e Entry) MarshalJSON() ([]byte, error) { return json.Marshal(entryDoc(&e)) }

// MarshalJSON writes an activity entry: an entry with its consultations
// (R-H1), each without what was said in it.
func (a Activity) MarshalJSON() ([]byte, error) {
	j := entryDoc(&a.Entry)
	j.Consultations = a.Consultations
	if j.Consultations == nil {
		j.Consultations = []Consultation{}
	}
	return json.Marshal(j)
}

type jsonConsultation struct {
	Leg      interaction.LegID    `json:"leg"`
	Owner    interaction.PartyID  `json:"owner"`
	Invitee  interaction.PartyID  `json:"invitee"`
	Target   interaction.Target   `json:"target"`
	Medium   interaction.Medium   `json:"medium"`
	State    interaction.LegState `json:"state"`
	Started  *time.Time           `json:"started,omitempty"`
	Answered *time.Time           `json:"answered,omitempty"`
	Ended    *time.Time           `json:"ended,omitempty"`
}

// MarshalJSON writes a consultation as the activity history shows it.
func (c Consultation) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonConsultation{Leg: c.Leg, Owner: c.Owner, Invitee: c.Invitee, Target: c.Target, Medium: c.Medium, State: c.State,
		Started: timeOf(c.Started), Answered: timeOf(c.Answered), Ended: timeOf(c.Ended)})
}

type jsonPage[T any] struct {
	Schema string `json:"schema"`
	Items  []T    `json:"items"`
	Next   string `json:"next,omitempty"`
}

// MarshalJSON writes the page as a document of schema HistorySchema:
// {"schema", "items", "next"}; next is the cursor of the following page.
func (p Page[T]) MarshalJSON() ([]byte, error) {
	items := p.Items
	if items == nil {
		items = []T{}
	}
	return json.Marshal(jsonPage[T]{Schema: HistorySchema, Items: items, Next: p.Next})
}
