package consult_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
)

// FuzzPrivacyStory plays random multi-party stories — consultations,
// notes, transfers, conferences, removals, supervision, endings — and after
// every step checks every read path of the contact and of a stranger
// (issue 12; R-C5, R-X6, R-X7, R-X8). Its oracle needs no model: every
// text the contact may never read carries the marker "SECRET", and the
// internal agent IDs are known, so the contact's view, events and exports
// must hold neither; its numbers must run 1, 2, 3, …; the stranger reads
// nothing at all. go test ./consult -run '^$' -fuzz FuzzPrivacyStory
// searches further.
func FuzzPrivacyStory(f *testing.F) {
	for _, seed := range []string{
		"\x00\x03\x04\x05\x05\x00\x02\x01",
		"\x03\x01\x04\x01\x05\x02\x06\x01\x00\x00\x01\x02",
		"\x03\x01\x04\x01\x07\x01\x08\x01\x09\x02\x0a\x03\x0b\x01",
		"\x09\x00\x09\x01\x03\x02\x04\x02\x05\x03\x07\x02\x08\x02\x0c\x00\x0b\x00\x0b\x02",
		"\x02\x00\x0c\x01\x03\x00\x04\x00\x06\x00\x01\x01\x0b\x01\x0d\x00\x0d\x01",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 120 {
			script = script[:120]
		}
		p := newPrivacyStory(t)
		for i := 0; i+1 < len(script); i += 2 {
			p.step(i/2, script[i], script[i+1])
			p.check(i / 2)
		}
	})
}

var storyAgents = []interaction.PartyID{"emp-101", "emp-202", "emp-303"}

const storyLead = interaction.PartyID("lead-9")

type privacyStory struct {
	t        *testing.T
	ctx      context.Context
	chats    *interaction.Service
	desk     *consult.Service
	id       interaction.ID
	contact  *interaction.Subscription
	stranger *interaction.Subscription
	version  uint64
}

func newPrivacyStory(t *testing.T) *privacyStory {
	notes := interaction.NewMemoryNotifier()
	lead := interaction.SupervisionPolicyFunc(func(_ interaction.ID, sup, _ interaction.PartyID) bool { return sup == storyLead })
	chats := interaction.NewService(interaction.WithNotifier(notes), interaction.WithClock(chatconsulttest.NewManualClock()),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("fz-")), interaction.WithSupervision(lead))
	p := &privacyStory{t: t, ctx: context.Background(), chats: chats, desk: consult.New(chats, consult.WithInviteTimeout(time.Minute)),
		contact: notes.Subscribe("contact"), stranger: notes.Subscribe("stranger")}
	t.Cleanup(func() { p.contact.Close(); p.stranger.Close() })
	id, err := chats.Open(p.ctx, "contact", "Hello")
	if err != nil {
		t.Fatal(err)
	}
	p.id = id
	if err := chats.Assign(p.ctx, id, interaction.System, storyAgents[0]); err != nil {
		t.Fatal(err)
	}
	if err := chats.Join(p.ctx, id, storyAgents[0]); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *privacyStory) state() *interaction.State {
	st, err := p.chats.State(p.ctx, p.id)
	if err != nil {
		p.t.Fatal(err)
	}
	return st
}

// step runs one command; refusals are fine, but no error text may carry
// a secret.
func (p *privacyStory) step(n int, op, arg byte) {
	st := p.state()
	agent := storyAgents[int(arg)%len(storyAgents)]
	other := storyAgents[(int(arg)+1)%len(storyAgents)]
	owner := agent
	if o := st.Owner(); o != nil {
		owner = o.ID
	}
	var leg interaction.LegID
	var req interaction.RequestID
	if len(st.Legs) > 0 {
		leg = st.Legs[int(arg)%len(st.Legs)].ID
	}
	if len(st.Requests) > 0 {
		req = st.Requests[int(arg)%len(st.Requests)].ID
	}
	secret := "SECRET " + strconv.Itoa(n)
	var err error
	switch op % 14 {
	case 0:
		err = p.chats.Post(p.ctx, p.id, "contact", "question "+strconv.Itoa(n))
	case 1:
		err = p.chats.Post(p.ctx, p.id, agent, "answer "+strconv.Itoa(n))
	case 2:
		_, err = p.chats.Do(p.ctx, p.id, agent, interaction.Note{Text: secret + " note"})
	case 3:
		_, err = p.desk.Start(p.ctx, p.id, owner, interaction.Target{Kind: interaction.TargetAgent, ID: string(other)}, interaction.Medium(arg%3))
	case 4:
		if l := st.Leg(leg); l != nil {
			err = p.desk.Accept(p.ctx, p.id, l.Invitee, leg)
		}
	case 5:
		if l := st.Leg(leg); l != nil {
			who := l.Owner
			if arg%2 == 1 {
				who = l.Invitee
			}
			err = p.desk.Say(p.ctx, p.id, who, leg, secret+" in the consultation")
		}
	case 6:
		err = p.desk.Transfer(p.ctx, p.id, owner, leg)
	case 7:
		_, err = p.desk.Conference(p.ctx, p.id, owner, leg)
	case 8:
		if r := st.Request(req); r != nil {
			if arg%3 == 0 {
				err = p.desk.DeclineRequest(p.ctx, p.id, r.Invitee, req)
			} else {
				err = p.desk.AcceptRequest(p.ctx, p.id, r.Invitee, req)
			}
		}
	case 9:
		if arg%2 == 0 {
			err = p.chats.Monitor(p.ctx, p.id, storyLead, agent)
		} else {
			err = p.chats.Coach(p.ctx, p.id, storyLead, agent, secret+" coaching")
		}
	case 10:
		if l := st.Leg(leg); l != nil {
			err = p.desk.EndConsultation(p.ctx, p.id, l.Owner, leg)
		} else {
			err = p.desk.Remove(p.ctx, p.id, owner, agent)
		}
	case 11:
		if arg%2 == 0 {
			err = p.chats.EndSession(p.ctx, p.id, agent)
		} else {
			err = p.chats.Leave(p.ctx, p.id, agent)
		}
	case 12:
		if arg%2 == 0 {
			_, err = p.desk.TransferTo(p.ctx, p.id, owner, interaction.Target{Kind: interaction.TargetAgent, ID: string(other)})
		} else {
			_, err = p.desk.ConferenceWith(p.ctx, p.id, owner, interaction.Target{Kind: interaction.TargetAgent, ID: string(other)})
		}
	case 13:
		err = p.chats.MarkDone(p.ctx, p.id, agent)
	}
	if err != nil {
		if strings.Contains(err.Error(), "SECRET") {
			p.t.Fatalf("step %d: an error carries a secret: %v", n, err)
		}
		var e *interaction.Error
		if !errors.As(err, &e) {
			p.t.Fatalf("step %d: an untyped error: %v", n, err)
		}
	}
}

// leaks reports what the contact may never read in s.
func leaks(s string) string {
	if strings.Contains(s, "SECRET") {
		return "a private text"
	}
	for _, a := range append(storyAgents, storyLead) {
		if strings.Contains(s, string(a)) {
			return "the internal ID " + string(a)
		}
	}
	return ""
}

func (p *privacyStory) check(n int) {
	t := p.t
	st := p.state()
	v, err := p.chats.View(p.ctx, p.id, "contact")
	if err != nil {
		t.Fatalf("step %d: contact view: %v", n, err)
	}
	for i, m := range v.Messages {
		if m.Seq != uint32(i+1) {
			t.Fatalf("step %d: the contact's message %d is numbered %d (R-X6)", n, i+1, m.Seq)
		}
		if l := leaks(string(m.Author) + " " + m.Text); l != "" {
			t.Fatalf("step %d: the contact's view shows %s: %s: %s (R-C5, R-X8)", n, l, m.Author, m.Text)
		}
	}
	for _, q := range v.Parties {
		if l := leaks(string(q.ID) + " " + q.Name); l != "" {
			t.Fatalf("step %d: the contact's parties show %s (R-X8)", n, l)
		}
		if q.Role == interaction.RoleConsultant || q.Role == interaction.RoleSupervisor || q.Membership == interaction.MemberInvited {
			t.Fatalf("step %d: the contact is shown a %s %s (R-C5, R-X7)", n, q.Role, q.Membership)
		}
	}
	if len(v.Legs) > 0 || len(v.Requests) > 0 {
		t.Fatalf("step %d: the contact is shown consultations or requests (R-C5)", n)
	}
	for _, ev := range p.contact.Drain() {
		p.version++
		if ev.Version != p.version {
			t.Fatalf("step %d: the contact's event numbered %d after %d (R-X6)", n, ev.Version, p.version-1)
		}
		if ev.Position != 0 || (ev.Cause != "" && ev.Actor != "contact") {
			t.Fatalf("step %d: the contact is told a position or another party's cause (R-X6)", n)
		}
		if l := leaks(string(ev.Actor) + " " + string(ev.Party) + " " + ev.Text + " " + ev.Target.ID + " " + string(ev.Scope.Party)); l != "" {
			t.Fatalf("step %d: an event to the contact shows %s: %+v", n, l, ev)
		}
		if ev.Type == interaction.EventLeg || ev.Type == interaction.EventRequest || ev.Scope.Kind == interaction.ScopeLeg {
			t.Fatalf("step %d: the contact is told of a consultation (R-C5)", n)
		}
	}
	if v.Version != p.version {
		t.Fatalf("step %d: the contact's view is at %d, its events at %d", n, v.Version, p.version)
	}
	x, err := history.NewExport(st, "contact")
	if err != nil {
		t.Fatalf("step %d: export: %v", n, err)
	}
	var text, js strings.Builder
	if err := x.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := x.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if l := leaks(text.String()); l != "" {
		t.Fatalf("step %d: the contact's text export shows %s (R-X8)", n, l)
	}
	if l := leaks(js.String()); l != "" {
		t.Fatalf("step %d: the contact's JSON export shows %s (R-X8)", n, l)
	}
	// The stranger: no view, no export, no event (R-X6).
	if _, err := p.chats.View(p.ctx, p.id, "stranger"); !errors.Is(err, interaction.ErrNotPermitted) {
		t.Fatalf("step %d: a stranger reads the chat: %v", n, err)
	}
	if _, err := history.NewExport(st, "stranger"); !errors.Is(err, interaction.ErrNotPermitted) {
		t.Fatalf("step %d: a stranger exports the chat: %v", n, err)
	}
	if evs := p.stranger.Drain(); len(evs) > 0 {
		t.Fatalf("step %d: a stranger is told %d events", n, len(evs))
	}
	if err := p.chats.Post(p.ctx, p.id, "stranger", "let me in"); !errors.Is(err, interaction.ErrBadInput) {
		t.Fatalf("step %d: a stranger posts: %v", n, err)
	}
	if err := p.chats.Monitor(p.ctx, p.id, "stranger", storyAgents[0]); !errors.Is(err, interaction.ErrNotPermitted) {
		t.Fatalf("step %d: a stranger supervises: %v", n, err)
	}
}
