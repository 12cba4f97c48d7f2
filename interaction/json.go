package interaction

import (
	"encoding/json"
	"errors"
	"time"
)

// JSON documents (issue 16). A View, a Page, an Event and a Delta marshal
// to the documents described in docs/json-schema.md, each naming its
// schema in a "schema" field; their parts (PartyView, Message, Leg,
// Request, Notice, Target, Scope) marshal to the objects the documents
// are made of. Field names are chosen by meaning and written here, apart
// from the Go names, so renaming a Go field changes nothing on the wire.
// Every enum is its text name (text.go); times are RFC 3339 in UTC;
// arrays are never null. Decoding a document of another schema, an
// unknown name or a malformed document is an *Error of kind ErrBadInput.
//
// Within a version fields are only added; a change a reader of the
// version could misread gets a new version (the test
// TestJSONSchemaFingerprint pins each version's fields and goldens).
const (
	ViewSchema  = "chatconsult.view/v1"
	PageSchema  = "chatconsult.page/v1"
	EventSchema = "chatconsult.event/v2"
	DeltaSchema = "chatconsult.delta/v2"
)

func badJSON(op string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: ErrBadInput, Op: op, Detail: err.Error()}
}

func checkSchema(op, got, want string) error {
	if got != want {
		return &Error{Kind: ErrBadInput, Op: op, Detail: "schema is not " + want}
	}
	return nil
}

// timeOf is t for the wire: nil when zero, in UTC otherwise.
func timeOf(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func timeFrom(t *time.Time) time.Time {
	if t == nil || t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

type jsonTarget struct {
	Kind TargetKind `json:"kind"`
	ID   string     `json:"id"`
}

// MarshalJSON writes {"kind": "skill", "id": "billing"}.
func (t Target) MarshalJSON() ([]byte, error) { return json.Marshal(jsonTarget{t.Kind, t.ID}) }

// UnmarshalJSON reads what MarshalJSON writes.
func (t *Target) UnmarshalJSON(b []byte) error {
	var j jsonTarget
	if err := json.Unmarshal(b, &j); err != nil {
		return badJSON("decode target", err)
	}
	*t = Target{Kind: j.Kind, ID: j.ID}
	return nil
}

type jsonScope struct {
	Kind  ScopeKind    `json:"kind"`
	Leg   InvitationID `json:"leg,omitempty"` // Scope.Invitation
	Party PartyID      `json:"party,omitempty"`
}

// MarshalJSON writes {"kind": "leg", "leg": "L1"}; leg and party only when set.
func (s Scope) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonScope{s.Kind, s.Invitation, s.Party})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Scope) UnmarshalJSON(b []byte) error {
	var j jsonScope
	if err := json.Unmarshal(b, &j); err != nil {
		return badJSON("decode scope", err)
	}
	*s = Scope{Kind: j.Kind, Invitation: j.Leg, Party: j.Party}
	return nil
}

// noticeWhat names Notice.What on the wire: what was asked for.
var noticeWhat = []string{"consultation", "transfer", "conference"}

type jsonNotice struct {
	Code    NoticeCode `json:"code"`
	Parties []PartyID  `json:"parties"`
	What    string     `json:"what"`
	Target  *Target    `json:"target,omitempty"`
}

// MarshalJSON writes {"code": "declined", "parties": [...], "what":
// "consultation"}, and the target of a not_placed notice.
func (n Notice) MarshalJSON() ([]byte, error) {
	if int(n.What) >= len(noticeWhat) {
		return nil, badValue("notice what")
	}
	j := jsonNotice{Code: n.Code, Parties: nonNil(n.Parties), What: noticeWhat[n.What]}
	if n.Target != (Target{}) {
		t := n.Target
		j.Target = &t
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (n *Notice) UnmarshalJSON(b []byte) error {
	var j jsonNotice
	if err := json.Unmarshal(b, &j); err != nil {
		return badJSON("decode notice", err)
	}
	out := Notice{Code: j.Code, Parties: nilIfEmpty(j.Parties)}
	what := -1
	for i, w := range noticeWhat {
		if w == j.What {
			what = i
		}
	}
	if what < 0 {
		return badText("notice what", []byte(j.What))
	}
	out.What = RequestKind(what)
	if j.Target != nil {
		out.Target = *j.Target
	}
	*n = out
	return nil
}

type jsonPartyView struct {
	ID         PartyID     `json:"id"`
	Name       string      `json:"name,omitempty"`
	Role       Role        `json:"role"`
	Membership MemberState `json:"membership"`
}

// MarshalJSON writes {"id", "name", "role", "membership"}.
func (p PartyView) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonPartyView(p))
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *PartyView) UnmarshalJSON(b []byte) error {
	var j jsonPartyView
	if err := json.Unmarshal(b, &j); err != nil {
		return badJSON("decode party", err)
	}
	*p = PartyView(j)
	return nil
}

type jsonMessage struct {
	Seq           uint32      `json:"seq"`
	StreamVersion uint64      `json:"stream_version,omitempty"`
	Time          time.Time   `json:"time"`
	Author        PartyID     `json:"author"`
	Kind          MessageKind `json:"kind"`
	Scope         Scope       `json:"scope"`
	Text          string      `json:"text"`
	Notice        *Notice     `json:"notice,omitempty"`
}

// MarshalJSON writes one message. In a party's view "seq" is its own
// message number and there is no "stream_version" (a stream version counts
// events the party may not see; it is written only for a State's message,
// the embedding service's bookkeeping).
func (m Message) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonMessage{Seq: m.Seq, StreamVersion: m.Version, Time: m.Time.UTC(), Author: m.Author, Kind: m.Kind, Scope: m.Scope, Text: m.Text, Notice: m.Notice})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *Message) UnmarshalJSON(b []byte) error {
	var j jsonMessage
	if err := json.Unmarshal(b, &j); err != nil {
		return badJSON("decode message", err)
	}
	*m = Message{Version: j.StreamVersion, Time: j.Time.UTC(), Author: j.Author, Text: j.Text, Scope: j.Scope, Seq: j.Seq, Kind: j.Kind, Notice: j.Notice}
	return nil
}

type jsonLeg struct {
	ID            LegID      `json:"id"`
	Owner         PartyID    `json:"owner"`
	Invitee       PartyID    `json:"invitee"`
	Target        Target     `json:"target"`
	Route         RouteID    `json:"route,omitempty"`
	Medium        Medium     `json:"medium"`
	State         LegState   `json:"state"`
	StreamVersion uint64     `json:"stream_version,omitempty"`
	Started       *time.Time `json:"started,omitempty"`
	Deadline      *time.Time `json:"deadline,omitempty"`
	Answered      *time.Time `json:"answered,omitempty"`
	Ended         *time.Time `json:"ended,omitempty"`
}

// MarshalJSON writes one consultation leg; times only when set.
func (l Leg) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonLeg{ID: l.ID, Owner: l.Owner, Invitee: l.Invitee, Target: l.Target, Route: l.Route, Medium: l.Medium, State: l.State, StreamVersion: l.Since,
		Started: timeOf(l.Started), Deadline: timeOf(l.Deadline), Answered: timeOf(l.Answered), Ended: timeOf(l.Ended)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Leg) UnmarshalJSON(b []byte) error {
	var j jsonLeg
	if err := json.Unmarshal(b, &j); err != nil {
		return badJSON("decode consultation", err)
	}
	*l = Leg{ID: j.ID, Owner: j.Owner, Invitee: j.Invitee, Target: j.Target, Route: j.Route, Medium: j.Medium, State: j.State, Since: j.StreamVersion,
		Started: timeFrom(j.Started), Deadline: timeFrom(j.Deadline), Answered: timeFrom(j.Answered), Ended: timeFrom(j.Ended)}
	return nil
}

type jsonRequest struct {
	ID       RequestID    `json:"id"`
	Kind     RequestKind  `json:"kind"`
	Owner    PartyID      `json:"owner"`
	Invitee  PartyID      `json:"invitee"`
	Target   Target       `json:"target"`
	Via      LegID        `json:"via,omitempty"`
	Route    RouteID      `json:"route,omitempty"`
	State    RequestState `json:"state"`
	Started  *time.Time   `json:"started,omitempty"`
	Deadline *time.Time   `json:"deadline,omitempty"`
	Answered *time.Time   `json:"answered,omitempty"`
}

// MarshalJSON writes one transfer or conference request.
func (r Request) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonRequest{ID: r.ID, Kind: r.Kind, Owner: r.Owner, Invitee: r.Invitee, Target: r.Target, Via: r.Via, Route: r.Route, State: r.State,
		Started: timeOf(r.Started), Deadline: timeOf(r.Deadline), Answered: timeOf(r.Answered)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Request) UnmarshalJSON(b []byte) error {
	var j jsonRequest
	if err := json.Unmarshal(b, &j); err != nil {
		return badJSON("decode request", err)
	}
	*r = Request{ID: j.ID, Kind: j.Kind, Owner: j.Owner, Invitee: j.Invitee, Target: j.Target, Via: j.Via, Route: j.Route, State: j.State,
		Started: timeFrom(j.Started), Deadline: timeFrom(j.Deadline), Answered: timeFrom(j.Answered)}
	return nil
}

type jsonView struct {
	Schema        string      `json:"schema"`
	Interaction   ID          `json:"interaction"`
	Viewer        PartyID     `json:"viewer"`
	Role          Role        `json:"role"`
	Membership    MemberState `json:"membership"`
	Status        Status      `json:"status"`
	Ended         *time.Time  `json:"ended,omitempty"`
	Version       uint64      `json:"version"`
	Parties       []PartyView `json:"parties"`
	Messages      []Message   `json:"messages"`
	Consultations []Leg       `json:"consultations"`
	Requests      []Request   `json:"requests"`
	// Attachments and Receipts are optional (issue 17): absent when the
	// view has none, so a v1 reader that does not know them reads on.
	Attachments []jsonViewAttachment `json:"attachments,omitempty"`
	Receipts    []jsonReceipt        `json:"receipts,omitempty"`
}

// jsonViewAttachment is one attachment of a view's message "seq".
type jsonViewAttachment struct {
	Seq uint32 `json:"seq"`
	jsonAttachment
}

type jsonAttachment struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	Ref       string `json:"ref"`
}

type jsonReceipt struct {
	Party PartyID   `json:"party"`
	Seq   uint32    `json:"seq"`
	Time  time.Time `json:"time"`
}

func attachmentsDoc(a []Attachment) []jsonAttachment {
	if len(a) == 0 {
		return nil
	}
	out := make([]jsonAttachment, len(a))
	for i, x := range a {
		out[i] = jsonAttachment(x)
	}
	return out
}

func attachmentsOf(j []jsonAttachment) []Attachment {
	if len(j) == 0 {
		return nil
	}
	out := make([]Attachment, len(j))
	for i, x := range j {
		out[i] = Attachment(x)
	}
	return out
}

func (v *View) doc(schema string) jsonView {
	j := jsonView{Schema: schema, Interaction: v.Interaction, Viewer: v.Viewer, Role: v.Role, Membership: v.Membership, Status: v.Status,
		Ended: timeOf(v.Ended), Version: v.Version, Parties: nonNil(v.Parties), Messages: nonNil(v.Messages), Consultations: nonNil(v.Legs), Requests: nonNil(v.Requests)}
	for _, m := range v.Messages { // in message order
		for _, a := range v.Attachments[m.Seq] {
			j.Attachments = append(j.Attachments, jsonViewAttachment{Seq: m.Seq, jsonAttachment: jsonAttachment(a)})
		}
	}
	for _, r := range v.Receipts {
		j.Receipts = append(j.Receipts, jsonReceipt{Party: r.Party, Seq: r.Seq, Time: r.Time.UTC()})
	}
	return j
}

func (j *jsonView) view() View {
	v := View{Interaction: j.Interaction, Viewer: j.Viewer, Role: j.Role, Membership: j.Membership, Status: j.Status, Ended: timeFrom(j.Ended),
		Version: j.Version, Parties: nilIfEmpty(j.Parties), Messages: nilIfEmpty(j.Messages), Legs: nilIfEmpty(j.Consultations), Requests: nilIfEmpty(j.Requests)}
	for _, a := range j.Attachments {
		if v.Attachments == nil {
			v.Attachments = map[uint32][]Attachment{}
		}
		v.Attachments[a.Seq] = append(v.Attachments[a.Seq], Attachment(a.jsonAttachment))
	}
	for _, r := range j.Receipts {
		v.Receipts = append(v.Receipts, Receipt{Party: r.Party, Seq: r.Seq, Time: r.Time.UTC()})
	}
	return v
}

// MarshalJSON writes the view as a document of schema ViewSchema.
func (v View) MarshalJSON() ([]byte, error) { return json.Marshal(v.doc(ViewSchema)) }

// UnmarshalJSON reads a document of schema ViewSchema.
func (v *View) UnmarshalJSON(b []byte) error {
	var j jsonView
	if err := json.Unmarshal(b, &j); err != nil {
		return badJSON("decode view", err)
	}
	if err := checkSchema("decode view", j.Schema, ViewSchema); err != nil {
		return err
	}
	*v = j.view()
	return nil
}

type jsonPage struct {
	jsonView
	Total   uint32 `json:"total"`
	Changes uint64 `json:"changes"`
}

// MarshalJSON writes the page as a document of schema PageSchema: a view
// document whose messages are the window, with the viewer's message count
// (total) and its count of view changes (changes).
func (pg Page) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonPage{jsonView: pg.View.doc(PageSchema), Total: pg.Total, Changes: pg.Changes})
}

// UnmarshalJSON reads a document of schema PageSchema.
func (pg *Page) UnmarshalJSON(b []byte) error {
	var j jsonPage
	if err := json.Unmarshal(b, &j); err != nil {
		return badJSON("decode page", err)
	}
	if err := checkSchema("decode page", j.Schema, PageSchema); err != nil {
		return err
	}
	*pg = Page{View: j.view(), Total: j.Total, Changes: j.Changes}
	return nil
}

type jsonEvent struct {
	Schema      string    `json:"schema"`
	Interaction ID        `json:"interaction"`
	Version     uint64    `json:"version"`
	Position    uint64    `json:"position,omitempty"`
	Time        time.Time `json:"time"`
	Type        EventType `json:"type"`
	Actor       PartyID   `json:"actor,omitempty"`
	Cause       string    `json:"cause,omitempty"`
	Scope       Scope     `json:"scope"`
	Party       PartyID   `json:"party,omitempty"`
	Role        *Role     `json:"role,omitempty"`
	From        string    `json:"from,omitempty"`
	To          string    `json:"to,omitempty"`
	Trigger     Trigger   `json:"trigger,omitempty"`
	// Leg: the leg the event names, and a membership change's leg or
	// direct request (its scope's, as v2 always wrote it: the role says
	// which, Event.SetInvitation); Request: a request event's request (v2;
	// v1 had it in "leg").
	Leg         InvitationID `json:"leg,omitempty"`
	Request     RequestID    `json:"request,omitempty"`
	Via         LegID        `json:"via,omitempty"`
	Route       RouteID      `json:"route,omitempty"`
	Deadline    *time.Time   `json:"deadline,omitempty"`
	Target      *Target      `json:"target,omitempty"`
	Supervised  PartyID      `json:"supervised,omitempty"`
	Medium      *Medium      `json:"medium,omitempty"`
	RequestKind *RequestKind `json:"request_kind,omitempty"`
	Kind        *MessageKind `json:"kind,omitempty"`
	Text        string       `json:"text,omitempty"`
	Seq         uint32       `json:"seq,omitempty"`
	Notice      *Notice      `json:"notice,omitempty"`
	// Attachments: a message's files (issue 17), absent without any.
	Attachments []jsonAttachment `json:"attachments,omitempty"`
}

// MarshalJSON writes the event as a document of schema EventSchema. Type
// says which fields mean something (docs/json-schema.md); a field at its
// zero value is left out, except "role" on membership and role events,
// "medium" on leg events and "kind" on message events. A system notice's
// structure is its "notice" (not trigger, party and target, which encode
// it in Event). Fingerprint is not on the wire.
func (e Event) MarshalJSON() ([]byte, error) {
	j := jsonEvent{Schema: EventSchema, Interaction: e.Interaction, Version: e.Version, Position: e.Position, Time: e.Time.UTC(), Type: e.Type,
		Actor: e.Actor, Cause: e.Cause, Scope: e.Scope, Party: e.Party, From: e.From, To: e.To, Trigger: e.Trigger, Leg: InvitationID(e.Leg), Request: e.RequestID, Via: e.Via,
		Route: e.Route, Deadline: timeOf(e.Deadline), Text: e.Text, Seq: e.Seq, Supervised: e.Supervised, Attachments: attachmentsDoc(e.Attachments.all())}
	if e.Type == EventMembership {
		j.Leg, j.Request = e.Invitation(), ""
	}
	if e.Role != RoleNone || e.Type == EventMembership || e.Type == EventRole {
		r := e.Role
		j.Role = &r
	}
	if e.Target != (Target{}) {
		t := e.Target
		j.Target = &t
	}
	if e.Medium != MediumChat || e.Type == EventLeg {
		m := e.Medium
		j.Medium = &m
	}
	if e.RequestKind != RequestNoKind {
		k := e.RequestKind
		j.RequestKind = &k
	}
	if e.Kind != KindText || e.Type == EventMessage {
		k := e.Kind
		j.Kind = &k
	}
	if e.Type == EventMessage {
		if n := noticeOf(&e); n != nil {
			j.Notice, j.Trigger, j.Party, j.Target, j.RequestKind = n, "", "", nil, nil
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a document of schema EventSchema.
func (e *Event) UnmarshalJSON(b []byte) error {
	var j jsonEvent
	if err := json.Unmarshal(b, &j); err != nil {
		return badJSON("decode event", err)
	}
	if err := checkSchema("decode event", j.Schema, EventSchema); err != nil {
		return err
	}
	out := Event{Interaction: j.Interaction, Version: j.Version, Position: j.Position, Time: j.Time.UTC(), Type: j.Type, Actor: j.Actor, Cause: j.Cause,
		Scope: j.Scope, Party: j.Party, From: j.From, To: j.To, Trigger: j.Trigger, Leg: LegID(j.Leg), RequestID: j.Request, Via: j.Via, Route: j.Route,
		Deadline: timeFrom(j.Deadline), Text: j.Text, Seq: j.Seq, Supervised: j.Supervised, Attachments: NewFiles(attachmentsOf(j.Attachments))}
	if j.Role != nil {
		out.Role = *j.Role
	}
	if j.Target != nil {
		out.Target = *j.Target
	}
	if j.Medium != nil {
		out.Medium = *j.Medium
	}
	if j.RequestKind != nil {
		out.RequestKind = *j.RequestKind
	}
	if j.Kind != nil {
		out.Kind = *j.Kind
	}
	if out.Type == 0 {
		return &Error{Kind: ErrBadInput, Op: "decode event", Detail: "no event type"}
	}
	if out.Type == EventMembership && j.Request == "" {
		out.SetInvitation(j.Leg) // a direct request's agent's: in RequestID
	}
	if j.Notice != nil {
		if out.Kind != KindNotice || out.Type != EventMessage || j.Notice.Code == NoticeNone {
			return &Error{Kind: ErrBadInput, Op: "decode event", Detail: "a notice belongs to a notice message"}
		}
		out.Party, out.Target = "", Target{}
		noticeEvent(j.Notice, &out)
		// The notice must be one an event can hold: the parties and
		// target its code carries, no more.
		if back := noticeOf(&out); back == nil || !sameNotice(back, j.Notice) {
			return &Error{Kind: ErrBadInput, Op: "decode event", Detail: "notice " + j.Notice.Code.String() + " does not carry these parties or this target"}
		}
	} else if out.Type == EventMessage && out.Kind == KindNotice && out.Trigger != "" {
		return &Error{Kind: ErrBadInput, Op: "decode event", Detail: "a notice message with a trigger carries its notice"}
	}
	*e = out
	return nil
}

type jsonDelta struct {
	Schema       string       `json:"schema"`
	Interaction  ID           `json:"interaction"`
	Event        *Event       `json:"event,omitempty"`
	Version      uint64       `json:"version"`
	Changes      uint64       `json:"changes"`
	Total        uint32       `json:"total"`
	Role         Role         `json:"role"`
	Membership   MemberState  `json:"membership"`
	Status       Status       `json:"status"`
	Ended        *time.Time   `json:"ended,omitempty"`
	Message      *Message     `json:"message,omitempty"`
	Party        *PartyView   `json:"party,omitempty"`
	PartyAt      int          `json:"party_at,omitempty"`
	Consultation *Leg         `json:"consultation,omitempty"`
	Request      *Request     `json:"request,omitempty"`
	Receipt      *jsonReceipt `json:"receipt,omitempty"`
	Reset        bool         `json:"reset,omitempty"`
}

// MarshalJSON writes the delta as a document of schema DeltaSchema; its
// event, when it has one, is an event document.
func (d Delta) MarshalJSON() ([]byte, error) {
	j := jsonDelta{Schema: DeltaSchema, Interaction: d.Interaction, Version: d.Version, Changes: d.Changes, Total: d.Total, Role: d.Role,
		Membership: d.Membership, Status: d.Status, Ended: timeOf(d.Ended), Message: d.Message, Party: d.Party, PartyAt: d.PartyAt,
		Consultation: d.Leg, Request: d.Request, Reset: d.Reset}
	if d.Receipt != nil {
		j.Receipt = &jsonReceipt{Party: d.Receipt.Party, Seq: d.Receipt.Seq, Time: d.Receipt.Time.UTC()}
	}
	if d.Event.Type != 0 {
		ev := d.Event
		j.Event = &ev
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a document of schema DeltaSchema.
func (d *Delta) UnmarshalJSON(b []byte) error {
	var j jsonDelta
	if err := json.Unmarshal(b, &j); err != nil {
		return badJSON("decode delta", err)
	}
	if err := checkSchema("decode delta", j.Schema, DeltaSchema); err != nil {
		return err
	}
	out := Delta{Interaction: j.Interaction, Version: j.Version, Changes: j.Changes, Total: j.Total, Role: j.Role, Membership: j.Membership,
		Status: j.Status, Ended: timeFrom(j.Ended), Message: j.Message, Party: j.Party, PartyAt: j.PartyAt, Leg: j.Consultation, Request: j.Request, Reset: j.Reset}
	if j.Event != nil {
		out.Event = *j.Event
	}
	if j.Receipt != nil {
		out.Receipt = &Receipt{Party: j.Receipt.Party, Seq: j.Receipt.Seq, Time: j.Receipt.Time.UTC()}
	}
	*d = out
	return nil
}

// DecodeJSON is json.Unmarshal with every failure an *Error of kind
// ErrBadInput, also the syntax errors encoding/json reports before any
// UnmarshalJSON method runs.
func DecodeJSON(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return badJSON("decode json", err)
	}
	return nil
}

func sameNotice(a, b *Notice) bool {
	if a.Code != b.Code || a.What != b.What || a.Target != b.Target || len(a.Parties) != len(b.Parties) {
		return false
	}
	for i := range a.Parties {
		if a.Parties[i] != b.Parties[i] {
			return false
		}
	}
	return true
}
