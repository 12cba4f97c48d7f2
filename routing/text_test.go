package routing_test

import (
	"errors"
	"testing"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

func TestPresenceText(t *testing.T) {
	for _, p := range []routing.Presence{routing.LoggedOut, routing.Ready, routing.NotReady, routing.Away} {
		b, err := p.MarshalText()
		if err != nil || string(b) != p.String() {
			t.Fatalf("%v: %q %v", p, b, err)
		}
		var q routing.Presence
		if err := q.UnmarshalText(b); err != nil || q != p {
			t.Fatalf("%q: %v %v", b, q, err)
		}
	}
	var p routing.Presence
	if err := p.UnmarshalText([]byte("busy")); !errors.Is(err, interaction.ErrBadInput) {
		t.Fatalf("busy: %v", err)
	}
	if _, err := routing.Presence(9).MarshalText(); !errors.Is(err, interaction.ErrBadInput) {
		t.Fatalf("9: %v", err)
	}
	for _, k := range []routing.InvitationKind{routing.InviteChat, routing.InviteConsultation, routing.InviteTransfer, routing.InviteConference} {
		b, _ := k.MarshalText()
		var q routing.InvitationKind
		if err := q.UnmarshalText(b); err != nil || q != k {
			t.Fatalf("%q: %v", b, err)
		}
	}
	var s routing.InvitationState
	if err := s.UnmarshalText([]byte("rescinded")); err != nil || s != routing.InvitationRescinded {
		t.Fatal(s, err)
	}
	if err := s.UnmarshalText([]byte("lost")); !errors.Is(err, interaction.ErrBadInput) {
		t.Fatal(err)
	}
	for _, n := range []routing.Need{routing.NeedReady, routing.NeedReachable, routing.NeedAny} {
		b, _ := n.MarshalText()
		var q routing.Need
		if err := q.UnmarshalText(b); err != nil || q != n {
			t.Fatalf("%q: %v", b, err)
		}
	}
}
