package interaction

import "strings"

// NoticeCode says what a system notice tells, so that a service can render
// and localise it; the English Text a notice carries is one rendering.
type NoticeCode uint8

const (
	NoticeNone NoticeCode = iota
	// NoticeDeclined: Parties[0] declined the consultation or request (R-C3, R-F4).
	NoticeDeclined
	// NoticeNoAnswer: Parties[0] did not answer in time (R-X1).
	NoticeNoAnswer
	// NoticeUnavailable: Parties[0] is no longer available: its offer was rescinded (R-X1).
	NoticeUnavailable
	// NoticeNotPlaced: nobody of Target is available; the invitation was not placed (R-X1).
	NoticeNotPlaced
	// NoticeTransferred: Parties[0] transferred the chat to Parties[1] (R-T2).
	NoticeTransferred
	// NoticeJoined: Parties[0] joined the conference (R-F2, R-X7).
	NoticeJoined
	// NoticeRemoved: Parties[0] was removed from the conference (R-F5).
	NoticeRemoved
)

var noticeCodeNames = [...]string{"", "declined", "no_answer", "unavailable", "not_placed", "transferred", "joined", "removed"}

func (c NoticeCode) String() string {
	if int(c) < len(noticeCodeNames) {
		return noticeCodeNames[c]
	}
	return "unknown"
}

func noticeCodeNamed(name string) NoticeCode {
	for i, n := range noticeCodeNames {
		if i > 0 && n == name {
			return NoticeCode(i)
		}
	}
	return NoticeNone
}

// Notice is the structure of a system notice: what it tells (Code), about
// whom (Parties), and for which kind of invitation (What) or Target.
type Notice struct {
	Code    NoticeCode
	Parties []PartyID
	What    RequestKind // RequestNoKind: a consultation
	Target  Target      // NoticeNotPlaced: the group, skill or queue
}

// Render writes the notice in English, naming each party with name.
func (n *Notice) Render(name func(PartyID) string) string {
	party := func(i int) string {
		if i < len(n.Parties) {
			return name(n.Parties[i])
		}
		return "someone"
	}
	what := "consultation"
	if n.What != RequestNoKind {
		what = n.What.String()
	}
	var b strings.Builder
	switch n.Code {
	case NoticeDeclined:
		b.WriteString(party(0) + " declined the " + what)
	case NoticeNoAnswer:
		b.WriteString(party(0) + " did not answer the " + what)
	case NoticeUnavailable:
		b.WriteString(party(0) + " is no longer available for the " + what)
	case NoticeNotPlaced:
		b.WriteString("no other agent of " + n.Target.String() + " is available: the " + what + " was not placed")
	case NoticeTransferred:
		b.WriteString(party(0) + " transferred the chat to " + party(1))
	case NoticeJoined:
		b.WriteString(party(0) + " joined the conference")
	case NoticeRemoved:
		b.WriteString(party(0) + " was removed from the conference")
	}
	return b.String()
}

// noticeEvent encodes n into a message event's fields: Trigger is the
// code, Party the first party, Target the second party (as an agent
// target) or the routing target, Request what was asked.
func noticeEvent(n *Notice, ev *Event) {
	ev.Trigger, ev.RequestKind = Trigger(n.Code.String()), n.What
	if len(n.Parties) > 0 {
		ev.Party = n.Parties[0]
	}
	switch {
	case len(n.Parties) > 1:
		ev.Target = Target{Kind: TargetAgent, ID: string(n.Parties[1])}
	case n.Code == NoticeNotPlaced:
		ev.Target = n.Target
	}
}

// noticeOf decodes a message event's notice, or nil.
func noticeOf(ev *Event) *Notice {
	if ev.Kind != KindNotice || ev.Trigger == "" {
		return nil
	}
	n := &Notice{Code: noticeCodeNamed(string(ev.Trigger)), What: ev.RequestKind}
	if ev.Party != "" {
		n.Parties = append(n.Parties, ev.Party)
	}
	if n.Code == NoticeTransferred && ev.Target.ID != "" {
		n.Parties = append(n.Parties, PartyID(ev.Target.ID))
	}
	if n.Code == NoticeNotPlaced {
		n.Target = ev.Target
	}
	return n
}

// NoticeOf records a structured system notice (actor System), with its
// English rendering (internal party IDs) as the Text.
func (d *Decision) NoticeOf(n Notice, sc Scope) {
	ev := Event{Type: EventMessage, Actor: System, Text: n.Render(func(p PartyID) string { return string(p) }), Kind: KindNotice, Scope: sc, Leg: LegID(sc.Invitation), Seq: d.State().MessageCount() + 1}
	noticeEvent(&n, &ev)
	d.record(ev)
}
