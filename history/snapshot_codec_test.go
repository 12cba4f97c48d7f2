package history

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
)

// setNonZero gives field f (of any kind an Event has) a value other than
// its zero, different for each n, so that two fields never hold one value.
func setNonZero(t *testing.T, name string, f reflect.Value, n int) {
	t.Helper()
	if f.Type() == reflect.TypeOf(time.Time{}) {
		f.Set(reflect.ValueOf(time.Date(2026, 1, 5, 9, 0, n, 1000+n, time.UTC)))
		return
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(name + "-value")
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		f.SetUint(uint64(n%3 + 1))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f.SetInt(int64(n%3 + 1))
	case reflect.Bool:
		f.SetBool(true)
	case reflect.Struct:
		if f.Type() == reflect.TypeOf(interaction.Files{}) {
			f.Set(reflect.ValueOf(interaction.NewFiles([]interaction.Attachment{
				{Name: name + ".pdf", MediaType: "application/pdf", Size: int64(n + 1), Ref: name + "-ref"},
				{Name: "b.png", MediaType: "image/png", Size: -1, Ref: ""}})))
			return
		}
		for i := 0; i < f.NumField(); i++ {
			setNonZero(t, name+"."+f.Type().Field(i).Name, f.Field(i), n+i)
		}
	default:
		t.Fatalf("Event field %s of kind %s: teach snapshot_codec.go (and this test) to keep it", name, f.Kind())
	}
}

func roundTrip(t *testing.T, events []interaction.Event, withVersion bool) []interaction.Event {
	t.Helper()
	var b []byte
	var prev prevEvent
	for i := range events {
		b = appendEvent(b, &events[i], &prev, withVersion)
	}
	d := &decoder{buf: b}
	prev = prevEvent{}
	out := make([]interaction.Event, len(events))
	for i := range events {
		v := events[i].Version
		if withVersion {
			v = 0
		}
		out[i] = d.event(events[i].Interaction, v, &prev)
		require.NoError(t, d.err)
	}
	require.Zero(t, d.remaining())
	var again []byte
	prev = prevEvent{}
	for i := range out {
		again = appendEvent(again, &out[i], &prev, withVersion)
	}
	require.Equal(t, b, again, "decoded events encode to the same bytes")
	return out
}

// Every field of an Event survives the snapshot encoding, each one alone
// and all together (a field added to Event and not to snapshot_codec.go
// fails here): a restored Projection folds the very events it was given
// (R-X5).
func TestSnapshotCodecKeepsEveryEventField(t *testing.T) {
	var all interaction.Event
	v := reflect.ValueOf(&all).Elem()
	var one []interaction.Event
	for i := 0; i < v.NumField(); i++ {
		name := v.Type().Field(i).Name
		setNonZero(t, name, v.Field(i), i)
		var ev interaction.Event
		setNonZero(t, name, reflect.ValueOf(&ev).Elem().Field(i), i)
		ev.Interaction, ev.Version = "chat-1", uint64(i+1)
		if ev.RequestID != "" {
			ev.Type = interaction.EventRequest // only a request event names a request
		}
		one = append(one, ev)
	}
	all.Interaction, all.Version = "chat-1", 1
	all.Scope.Invitation = "scope-leg" // differs from Leg: both must survive
	// An event names a leg or, a request event or a direct request's
	// agent's membership change only, a request: all the fields but
	// RequestID, and as a request event or such a membership change (an
	// owner's in a scope of kind ScopeLeg), all but Leg.
	all.Type = interaction.EventLeg
	request := all
	all.RequestID = ""
	request.Version, request.Type, request.Leg = 4, interaction.EventRequest, ""
	member := request
	member.Version, member.Type, member.Role, member.Scope.Kind = 5, interaction.EventMembership, interaction.RoleOwner, interaction.ScopeLeg
	zoned := all
	zoned.Version, zoned.Time = 2, time.Date(2026, 3, 1, 12, 0, 0, 5, time.FixedZone("CET", 3600))
	zoned.Deadline = zoned.Time.In(time.Local)
	same := zoned // the same time, actor and cause: written as "same"
	same.Version, same.Text = 3, "another"
	events := []interaction.Event{all, zoned, same, request, member}
	for _, withVersion := range []bool{false, true} {
		assert.Equal(t, events, roundTrip(t, events, withVersion))
		assert.Equal(t, one, roundTrip(t, one, withVersion))
	}
	got := roundTrip(t, events, false)
	name, offset := got[1].Time.Zone()
	assert.Equal(t, "CET", name)
	assert.Equal(t, 3600, offset)
	assert.Equal(t, time.Local, got[1].Deadline.Location())
}

// A direct request's agent's membership change names the request in
// RequestID; in a snapshot written when it named it in Leg, the bytes are
// the same (roundTrip: they encode again to the same), and it reads as
// written now, as a consultation target's stays in Leg (R-X5).
func TestSnapshotCodecReadsARequestMembershipInLegAsWrittenNow(t *testing.T) {
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	old := []interaction.Event{
		{Interaction: "chat-1", Version: 1, Time: at, Actor: "agent1", Type: interaction.EventMembership, Scope: interaction.RequestScope("R1"),
			Party: "agent2", Role: interaction.RoleOwner, From: "none", To: "invited", Trigger: "invite", Leg: "R1"},
		{Interaction: "chat-1", Version: 2, Time: at, Actor: "agent1", Type: interaction.EventMembership, Scope: interaction.LegScope("L1"),
			Party: "agent3", Role: interaction.RoleConsultant, From: "none", To: "invited", Trigger: "invite", Leg: "L1"},
	}
	want := append([]interaction.Event(nil), old...)
	want[0].Leg, want[0].RequestID = "", "R1"
	for _, withVersion := range []bool{false, true} {
		assert.Equal(t, want, roundTrip(t, old, withVersion))
		assert.Equal(t, want, roundTrip(t, want, withVersion))
	}
}

// A time keeps its instant and its zone, not a monotonic reading.
func TestSnapshotCodecTimes(t *testing.T) {
	now := time.Now() // with a monotonic reading
	for _, tm := range []time.Time{
		{}, time.Unix(0, 0), time.Unix(-1, 999_999_999).UTC(), now, now.UTC(),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.FixedZone("", -5*3600)),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
	} {
		ev := interaction.Event{Interaction: "chat-1", Version: 1, Time: tm, Deadline: tm}
		got := roundTrip(t, []interaction.Event{ev}, false)[0]
		assert.True(t, tm.Equal(got.Time), "%v", tm)
		assert.Equal(t, tm.Round(0), got.Time)
		assert.Equal(t, tm.Round(0), got.Deadline)
	}
}
