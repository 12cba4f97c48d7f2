package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// baseTime has nanoseconds and a zone other than UTC, so a store that
// rounds to microseconds or drops the instant's offset is caught.
var baseTime = time.Date(2026, 1, 5, 9, 0, 0, 123456789, time.FixedZone("CET", 3600))

// messages returns n message events for stream id, versions from+1…from+n,
// all caused by cause.
func messages(id interaction.ID, from uint64, n int, cause string) []interaction.Event {
	out := make([]interaction.Event, n)
	for i := range out {
		v := from + uint64(i) + 1
		out[i] = interaction.Event{
			Interaction: id, Version: v, Time: baseTime.Add(time.Duration(v) * time.Millisecond),
			Actor: "contact", Cause: cause, Type: interaction.EventMessage, Scope: interaction.Everyone,
			Text: fmt.Sprintf("message %d of %s", v, id), Seq: uint32(v),
		}
	}
	return out
}

// fullEvent sets every field of Event, by reflection, to a value other
// than its zero, so a field added to Event later and not persisted fails
// the round trip. n varies the values.
func fullEvent(t *testing.T, id interaction.ID, version uint64, n int) interaction.Event {
	t.Helper()
	var ev interaction.Event
	v := reflect.ValueOf(&ev).Elem()
	for i := 0; i < v.NumField(); i++ {
		setNonZero(t, v.Type().Field(i).Name, v.Field(i), n*100+i)
	}
	ev.Interaction, ev.Version, ev.Position = id, version, 0
	ev.Time = baseTime.Add(time.Duration(n) * time.Nanosecond)
	ev.Scope.Invitation = "scope-leg" // differs from ev.Leg: both must survive
	// An event names a leg or, a request event or a direct request's
	// agent's membership change only, a request (a store may keep them in
	// one place, Event.Invitation): here a request event, a leg event with
	// no request, or such a membership change (an owner's, in a scope of
	// kind ScopeLeg).
	switch {
	case n%3 == 0:
		ev.Type, ev.Role, ev.Scope.Kind, ev.Leg = interaction.EventMembership, interaction.RoleOwner, interaction.ScopeLeg, ""
	case n%2 == 0:
		ev.Type, ev.Leg = interaction.EventRequest, ""
	default:
		ev.Type, ev.RequestID = interaction.EventLeg, ""
	}
	// A long text of multi-byte runes, with the NUL and other control
	// characters that valid UTF-8 allows (CheckText lets them through).
	ev.Text = strings.Repeat("Grüße, 你好 👋 \x00\t\r\n", 150) + fmt.Sprint(n)
	return ev
}

func setNonZero(t *testing.T, name string, f reflect.Value, n int) {
	t.Helper()
	switch f.Kind() {
	case reflect.String:
		f.SetString(fmt.Sprintf("%s-%d", name, n))
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		f.SetUint(uint64(n%200 + 1))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f.SetInt(int64(n%100 + 1))
	case reflect.Bool:
		f.SetBool(true)
	case reflect.Struct:
		if f.Type() == reflect.TypeOf(time.Time{}) {
			f.Set(reflect.ValueOf(baseTime))
			return
		}
		if f.Type() == reflect.TypeOf(interaction.Files{}) {
			f.Set(reflect.ValueOf(interaction.NewFiles([]interaction.Attachment{
				{Name: name + "-1.pdf", MediaType: "application/pdf", Size: int64(n + 1), Ref: fmt.Sprintf("%s-ref-%d", name, n)},
				{Name: "Grüße 👋.png", MediaType: "image/png", Size: 1 << 20, Ref: fmt.Sprintf("%s-ref2-%d", name, n)},
			})))
			return
		}
		for i := 0; i < f.NumField(); i++ {
			setNonZero(t, name+"."+f.Type().Field(i).Name, f.Field(i), n*10+i)
		}
	default:
		t.Fatalf("Event field %s: kind %s not covered; extend storetest.setNonZero", name, f.Kind())
	}
}

// requireSameEvents checks that got holds exactly want: every field equal,
// Time and Deadline the same instant (a store may hand them back in another
// Location).
func requireSameEvents(t *testing.T, want, got []interaction.Event, msgAndArgs ...any) {
	t.Helper()
	require.Len(t, got, len(want), msgAndArgs...)
	for i := range want {
		w, g := want[i], got[i]
		require.Truef(t, w.Time.Equal(g.Time), "event %d: time %s, want %s", i, g.Time.Format(time.RFC3339Nano), w.Time.Format(time.RFC3339Nano))
		require.Truef(t, w.Deadline.Equal(g.Deadline) && w.Deadline.IsZero() == g.Deadline.IsZero(), "event %d: deadline %s, want %s", i, g.Deadline.Format(time.RFC3339Nano), w.Deadline.Format(time.RFC3339Nano))
		w.Time, g.Time = time.Time{}, time.Time{}
		w.Deadline, g.Deadline = time.Time{}, time.Time{}
		require.Equal(t, w, g, msgAndArgs...)
	}
}

// causes lists the Cause of each event.
func causes(events []interaction.Event) []string {
	out := make([]string, len(events))
	for i := range events {
		out[i] = events[i].Cause
	}
	return out
}
