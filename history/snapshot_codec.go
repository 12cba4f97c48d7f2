package history

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"time"

	"github.com/chatconsult/chatconsult/interaction"
)

// The snapshot encoding of events (see snapshot.go for the layout of a
// record and of a whole snapshot).
//
// An event is a field mask (uvarint) followed by the fields the mask
// names, in the order of the bits below. A field is in the mask exactly
// when it is not its zero value, so an event has one encoding only, and a
// decoder refuses a field it names with the zero value (decode, then
// encode again, gives back the same bytes: the fuzz oracle). Time, Actor
// and Cause are most often those of the previous event of the same
// sequence (the events of one command): a "same" bit says so instead, and
// the encoding is used exactly when it applies. Interaction is the
// record's; Version is implied for the events a record applied (1, 2, …)
// and written for the events it holds.
//
// Strings are a uvarint length and the bytes; enumerations are uvarints;
// a time is its zone (0 UTC, 1 Local, 2 a fixed zone: offset in seconds as
// a zigzag varint, then its name) followed by its Unix seconds (zigzag
// varint) and nanoseconds (uvarint, below 1e9). A time comes back as the
// same instant in the same zone (a named zone other than Local comes back
// as a fixed zone of the same name and offset); a monotonic clock reading
// is not kept, as no Store keeps it.

const (
	fPosition = 1 << iota
	fTime
	fTimeSame
	fActor
	fActorSame
	fCause
	fCauseSame
	fType
	fScopeKind
	fScopeLeg
	fScopeParty
	fParty
	fRole
	fFrom
	fTo
	fTrigger
	fLeg
	fVia
	fRoute
	fDeadline
	fTargetKind
	fTargetID
	fMedium
	fRequest
	fText
	fKind
	fSeq
	fFingerprint
	fSupervised
	fAttachments
	fAll = fAttachments<<1 - 1
)

// prevEvent is what the "same" bits compare with: the previous event of
// the sequence being encoded or decoded.
type prevEvent struct {
	ok    bool
	time  time.Time
	actor interaction.PartyID
	cause string
}

func (p *prevEvent) set(ev *interaction.Event) {
	p.ok, p.time, p.actor, p.cause = true, ev.Time, ev.Actor, ev.Cause
}

// sameTime reports whether a and b have the same encoding: the same
// instant (monotonic readings aside) in the same zone.
func sameTime(a, b time.Time) bool {
	if a.Unix() != b.Unix() || a.Nanosecond() != b.Nanosecond() {
		return false
	}
	za, zb := zoneOf(a), zoneOf(b)
	if za != zb {
		return false
	}
	if za != zoneFixed {
		return true
	}
	na, oa := a.Zone()
	nb, ob := b.Zone()
	return na == nb && oa == ob
}

// zeroTime reports whether t encodes as the zero time: not written.
func zeroTime(t time.Time) bool { return t.IsZero() && zoneOf(t) == zoneUTC }

func zoneOf(t time.Time) byte {
	switch t.Location() {
	case time.UTC:
		return zoneUTC
	case time.Local:
		return zoneLocal
	}
	return zoneFixed
}

// appendEvent appends the encoding of ev (without its Interaction, and
// without its Version unless withVersion) to b and moves prev to it.
func appendEvent(b []byte, ev *interaction.Event, prev *prevEvent, withVersion bool) []byte {
	var m uint64
	set := func(bit uint64, on bool) {
		if on {
			m |= bit
		}
	}
	set(fPosition, ev.Position != 0)
	if prev.ok && sameTime(ev.Time, prev.time) {
		m |= fTimeSame
	} else {
		set(fTime, !zeroTime(ev.Time))
	}
	if prev.ok && ev.Actor == prev.actor && ev.Actor != "" {
		m |= fActorSame
	} else {
		set(fActor, ev.Actor != "")
	}
	if prev.ok && ev.Cause == prev.cause && ev.Cause != "" {
		m |= fCauseSame
	} else {
		set(fCause, ev.Cause != "")
	}
	set(fType, ev.Type != 0)
	set(fScopeKind, ev.Scope.Kind != 0)
	set(fScopeLeg, ev.Scope.Invitation != "")
	set(fScopeParty, ev.Scope.Party != "")
	set(fParty, ev.Party != "")
	set(fRole, ev.Role != 0)
	set(fFrom, ev.From != "")
	set(fTo, ev.To != "")
	set(fTrigger, ev.Trigger != "")
	set(fLeg, legSlot(ev) != "")
	set(fVia, ev.Via != "")
	set(fRoute, ev.Route != "")
	set(fDeadline, !zeroTime(ev.Deadline))
	set(fTargetKind, ev.Target.Kind != 0)
	set(fTargetID, ev.Target.ID != "")
	set(fMedium, ev.Medium != 0)
	set(fRequest, ev.RequestKind != 0)
	set(fText, ev.Text != "")
	set(fKind, ev.Kind != 0)
	set(fSeq, ev.Seq != 0)
	set(fFingerprint, ev.Fingerprint != 0)
	set(fSupervised, ev.Supervised != "")
	set(fAttachments, ev.Attachments.Len() > 0)

	if withVersion {
		b = binary.AppendUvarint(b, ev.Version)
	}
	b = binary.AppendUvarint(b, m)
	if m&fPosition != 0 {
		b = binary.AppendUvarint(b, ev.Position)
	}
	if m&fTime != 0 {
		b = appendTime(b, ev.Time)
	}
	if m&fActor != 0 {
		b = appendString(b, ev.Actor)
	}
	if m&fCause != 0 {
		b = appendString(b, ev.Cause)
	}
	if m&fType != 0 {
		b = binary.AppendUvarint(b, uint64(ev.Type))
	}
	if m&fScopeKind != 0 {
		b = binary.AppendUvarint(b, uint64(ev.Scope.Kind))
	}
	if m&fScopeLeg != 0 {
		b = appendString(b, ev.Scope.Invitation)
	}
	if m&fScopeParty != 0 {
		b = appendString(b, ev.Scope.Party)
	}
	if m&fParty != 0 {
		b = appendString(b, ev.Party)
	}
	if m&fRole != 0 {
		b = binary.AppendUvarint(b, uint64(ev.Role))
	}
	if m&fFrom != 0 {
		b = appendString(b, ev.From)
	}
	if m&fTo != 0 {
		b = appendString(b, ev.To)
	}
	if m&fTrigger != 0 {
		b = appendString(b, ev.Trigger)
	}
	if m&fLeg != 0 {
		b = appendString(b, legSlot(ev))
	}
	if m&fVia != 0 {
		b = appendString(b, ev.Via)
	}
	if m&fRoute != 0 {
		b = appendString(b, ev.Route)
	}
	if m&fDeadline != 0 {
		b = appendTime(b, ev.Deadline)
	}
	if m&fTargetKind != 0 {
		b = binary.AppendUvarint(b, uint64(ev.Target.Kind))
	}
	if m&fTargetID != 0 {
		b = appendString(b, ev.Target.ID)
	}
	if m&fMedium != 0 {
		b = binary.AppendUvarint(b, uint64(ev.Medium))
	}
	if m&fRequest != 0 {
		b = binary.AppendUvarint(b, uint64(ev.RequestKind))
	}
	if m&fText != 0 {
		b = appendString(b, ev.Text)
	}
	if m&fKind != 0 {
		b = binary.AppendUvarint(b, uint64(ev.Kind))
	}
	if m&fSeq != 0 {
		b = binary.AppendUvarint(b, uint64(ev.Seq))
	}
	if m&fFingerprint != 0 {
		b = binary.AppendUvarint(b, ev.Fingerprint)
	}
	if m&fSupervised != 0 {
		b = appendString(b, ev.Supervised)
	}
	if m&fAttachments != 0 {
		list := ev.Attachments.List()
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, a := range list {
			b = appendString(b, a.Name)
			b = appendString(b, a.MediaType)
			b = appendString(b, a.Ref)
			b = binary.AppendVarint(b, a.Size)
		}
	}
	prev.set(ev)
	return b
}

func appendString[S ~string](b []byte, s S) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

const (
	zoneUTC = iota
	zoneLocal
	zoneFixed
)

func appendTime(b []byte, t time.Time) []byte {
	switch zoneOf(t) {
	case zoneUTC:
		b = append(b, zoneUTC)
	case zoneLocal:
		b = append(b, zoneLocal)
	default:
		name, offset := t.Zone()
		b = append(b, zoneFixed)
		b = binary.AppendVarint(b, int64(offset))
		b = appendString(b, name)
	}
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// decoder reads the snapshot encoding from buf; the first error sticks,
// and every read after it returns zero values.
type decoder struct {
	buf []byte
	off int
	err error
	// names holds the identifiers and state names decoded so far, so that
	// each is one string however often it comes (nil: no interning).
	names map[string]string
}

// fail records the first error: the snapshot is corrupt (it wraps
// interaction.ErrCorruptLog).
func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("history: snapshot corrupt at byte %d: %s: %w", d.off, fmt.Sprintf(format, args...), interaction.ErrCorruptLog)
	}
}

func (d *decoder) remaining() int { return len(d.buf) - d.off }

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf[d.off:])
	if n <= 0 {
		d.fail("truncated or overlong number")
		return 0
	}
	if n != uvarintLen(v) {
		d.fail("number not in its shortest form")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1) // zigzag, as binary.AppendVarint
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if d.remaining() < 1 {
		d.fail("truncated")
		return 0
	}
	c := d.buf[d.off]
	d.off++
	return c
}

func (d *decoder) bytes(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(d.remaining()) {
		d.fail("truncated: %d bytes announced, %d left", n, d.remaining())
		return nil
	}
	b := d.buf[d.off : d.off+int(n)]
	d.off += int(n)
	return b
}

func (d *decoder) str() string { return string(d.bytes(d.uvarint())) }

// name is str for an identifier or a state name: interned.
func (d *decoder) name() string {
	b := d.bytes(d.uvarint())
	if d.names == nil {
		return string(b)
	}
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	s := string(b)
	d.names[s] = s
	return s
}

// nonEmpty reads an identifier or state name the field mask says is
// there: never empty.
func nonEmpty[S ~string](d *decoder, p *S, field string) {
	s := d.name()
	if d.err == nil && s == "" {
		d.fail("%s present but empty", field)
	}
	*p = S(s)
}

// nonEmptyText is nonEmpty for a text most often seen once (a message, a
// command ID): not interned.
func nonEmptyText(d *decoder, p *string, field string) {
	*p = d.str()
	if d.err == nil && *p == "" {
		d.fail("%s present but empty", field)
	}
}

// small reads an enumeration the mask says is there: not zero, and within
// its type.
func small[T ~uint8 | ~uint32](d *decoder, p *T, max uint64, field string) {
	v := d.uvarint()
	if d.err == nil && (v == 0 || v > max) {
		d.fail("%s %d out of range", field, v)
	}
	*p = T(v)
}

func (d *decoder) time(field string) time.Time {
	zone := d.byte()
	var loc *time.Location
	switch zone {
	case zoneUTC:
		loc = time.UTC
	case zoneLocal:
		loc = time.Local
	case zoneFixed:
		offset := d.varint()
		name := d.str()
		loc = time.FixedZone(name, int(offset))
	default:
		d.fail("%s: unknown zone %d", field, zone)
	}
	sec := d.varint()
	nsec := d.uvarint()
	if d.err != nil {
		return time.Time{}
	}
	if nsec >= 1e9 {
		d.fail("%s: %d nanoseconds", field, nsec)
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).In(loc)
}

// event decodes one event of interaction id (see appendEvent); version is
// its Version when the encoding does not carry it (0: it does).
func (d *decoder) event(id interaction.ID, version uint64, prev *prevEvent) interaction.Event {
	ev := interaction.Event{Interaction: id, Version: version}
	if version == 0 {
		ev.Version = d.uvarint()
		if d.err == nil && ev.Version == 0 {
			d.fail("event version 0")
		}
	}
	m := d.uvarint()
	if d.err != nil {
		return ev
	}
	if m&^fAll != 0 {
		d.fail("unknown event fields %#x", m&^fAll)
		return ev
	}
	if m&fTime != 0 && m&fTimeSame != 0 || m&fActor != 0 && m&fActorSame != 0 || m&fCause != 0 && m&fCauseSame != 0 {
		d.fail("a field both given and the same as before")
		return ev
	}
	if !prev.ok && m&(fTimeSame|fActorSame|fCauseSame) != 0 {
		d.fail("the same as a previous event that is not there")
		return ev
	}
	if m&fPosition != 0 {
		ev.Position = d.uvarint()
		if d.err == nil && ev.Position == 0 {
			d.fail("position present but 0")
		}
	}
	switch {
	case m&fTime != 0:
		ev.Time = d.time("time")
		if d.err == nil && (zeroTime(ev.Time) || prev.ok && sameTime(ev.Time, prev.time)) {
			d.fail("time given but zero or the same as before")
		}
	case m&fTimeSame != 0:
		ev.Time = prev.time
	}
	switch {
	case m&fActor != 0:
		nonEmpty(d, &ev.Actor, "actor")
		if d.err == nil && prev.ok && ev.Actor == prev.actor {
			d.fail("actor given but the same as before")
		}
	case m&fActorSame != 0:
		ev.Actor = prev.actor
		if ev.Actor == "" {
			d.fail("actor the same as an empty one")
		}
	}
	switch {
	case m&fCause != 0:
		nonEmptyText(d, &ev.Cause, "cause")
		if d.err == nil && prev.ok && ev.Cause == prev.cause {
			d.fail("cause given but the same as before")
		}
	case m&fCauseSame != 0:
		ev.Cause = prev.cause
		if ev.Cause == "" {
			d.fail("cause the same as an empty one")
		}
	}
	if m&fType != 0 {
		small(d, &ev.Type, math.MaxUint8, "type")
	}
	if m&fScopeKind != 0 {
		small(d, &ev.Scope.Kind, math.MaxUint8, "scope kind")
	}
	if m&fScopeLeg != 0 {
		nonEmpty(d, &ev.Scope.Invitation, "scope leg")
	}
	if m&fScopeParty != 0 {
		nonEmpty(d, &ev.Scope.Party, "scope party")
	}
	if m&fParty != 0 {
		nonEmpty(d, &ev.Party, "party")
	}
	if m&fRole != 0 {
		small(d, &ev.Role, math.MaxUint8, "role")
	}
	if m&fFrom != 0 {
		nonEmpty(d, &ev.From, "from")
	}
	if m&fTo != 0 {
		nonEmpty(d, &ev.To, "to")
	}
	if m&fTrigger != 0 {
		nonEmpty(d, &ev.Trigger, "trigger")
	}
	if m&fLeg != 0 {
		var inv interaction.InvitationID
		nonEmpty(d, &inv, "leg")
		ev.SetInvitation(inv) // see legSlot
	}
	if m&fVia != 0 {
		nonEmpty(d, &ev.Via, "via")
	}
	if m&fRoute != 0 {
		nonEmpty(d, &ev.Route, "route")
	}
	if m&fDeadline != 0 {
		ev.Deadline = d.time("deadline")
		if d.err == nil && zeroTime(ev.Deadline) {
			d.fail("deadline given but zero")
		}
	}
	if m&fTargetKind != 0 {
		small(d, &ev.Target.Kind, math.MaxUint8, "target kind")
	}
	if m&fTargetID != 0 {
		nonEmpty(d, &ev.Target.ID, "target")
	}
	if m&fMedium != 0 {
		small(d, &ev.Medium, math.MaxUint8, "medium")
	}
	if m&fRequest != 0 {
		small(d, &ev.RequestKind, math.MaxUint8, "request kind")
	}
	if m&fText != 0 {
		nonEmptyText(d, &ev.Text, "text")
	}
	if m&fKind != 0 {
		small(d, &ev.Kind, math.MaxUint8, "message kind")
	}
	if m&fSeq != 0 {
		small(d, &ev.Seq, math.MaxUint32, "seq")
	}
	if m&fFingerprint != 0 {
		ev.Fingerprint = d.uvarint()
		if d.err == nil && ev.Fingerprint == 0 {
			d.fail("fingerprint present but 0")
		}
	}
	if m&fSupervised != 0 {
		nonEmpty(d, &ev.Supervised, "supervised")
	}
	if m&fAttachments != 0 {
		n := d.uvarint()
		if d.err == nil && (n == 0 || n > uint64(d.remaining())) {
			d.fail("attachments present but %d", n)
		}
		var list []interaction.Attachment
		for i := uint64(0); i < n && d.err == nil; i++ {
			a := interaction.Attachment{Name: d.str(), MediaType: d.str(), Ref: d.str(), Size: d.varint()}
			list = append(list, a)
		}
		ev.Attachments = interaction.NewFiles(list)
	}
	prev.set(&ev)
	return ev
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// legSlot is what the leg field of the format holds: the leg or request
// an event names (Event.Invitation: its Leg, or the RequestID of a request
// event or of a direct request's membership change; an event never names
// both), read back with Event.SetInvitation. The format is the same as
// when those requests' IDs were their events' Leg, and such snapshots read
// as written now.
func legSlot(ev *interaction.Event) interaction.InvitationID {
	return ev.Invitation()
}
