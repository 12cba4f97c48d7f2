package pgstore

import (
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/chatconsult/chatconsult/interaction"
)

// An Event is stored as typed columns, one per field (chatconsult_events),
// so that the log can be queried with plain SQL. Enumerations are their
// numbers; the time is seconds and nanoseconds since the Unix epoch, so
// it comes back as the same instant to the nanosecond (in UTC); the
// message text is bytea, so any text the core accepts comes back
// unchanged. Identifiers are text: PostgreSQL's text holds neither NUL
// nor invalid UTF-8, so Append refuses those as bad input.

const eventColumns = `interaction, version, position, time_s, time_ns, actor, cause, type,
	scope_kind, scope_leg, scope_party, party, role, from_state, to_state, trigger,
	leg, via, target_kind, target_id, medium, request, body, kind, seq, fingerprint, route,
	deadline_s, deadline_ns, supervised, attachments`

// zeroTimeSeconds is time.Time{}.Unix(): the zero time is stored as
// itself and read back as time.Time{}.
var zeroTimeSeconds = time.Time{}.Unix()

// columns holds events column by column, as chatconsult_append takes them.
type columns struct {
	interaction, actor, cause, command, scopeLeg, scopeParty, party []string
	from, to, trigger, leg, via, route, targetID, supervised        []string
	version, timeS, seq, fingerprint, deadlineS                     []int64
	timeNS, deadlineNS                                              []int32
	typ, scopeKind, role, targetKind, medium, request, kind         []int16
	body, attachments                                               [][]byte
}

// grow makes room for n more events in every column: one allocation per
// column per batch, not a few per event (the Go side of an append is on
// the path of every command, issue 15).
func (c *columns) grow(n int) {
	for _, col := range []*[]string{&c.interaction, &c.actor, &c.cause, &c.command, &c.scopeLeg, &c.scopeParty, &c.party,
		&c.from, &c.to, &c.trigger, &c.leg, &c.via, &c.route, &c.targetID, &c.supervised} {
		*col = slices.Grow(*col, n)
	}
	for _, col := range []*[]int64{&c.version, &c.timeS, &c.seq, &c.fingerprint, &c.deadlineS} {
		*col = slices.Grow(*col, n)
	}
	c.timeNS, c.deadlineNS = slices.Grow(c.timeNS, n), slices.Grow(c.deadlineNS, n)
	for _, col := range []*[]int16{&c.typ, &c.scopeKind, &c.role, &c.targetKind, &c.medium, &c.request, &c.kind} {
		*col = slices.Grow(*col, n)
	}
	c.body, c.attachments = slices.Grow(c.body, n), slices.Grow(c.attachments, n)
}

// eventRow is one event as a row of chatconsult_events holds it: how
// each field is stored is decided here alone, for the column arrays and
// the scalar parameters alike.
type eventRow struct {
	interaction, actor, cause, command, scopeLeg, scopeParty, party string
	from, to, trigger, leg, via, route, targetID, supervised        string
	version, timeS, seq, fingerprint, deadlineS                     int64
	timeNS, deadlineNS                                              int32
	typ, scopeKind, role, targetKind, medium, request, kind         int16
	body, attachments                                               []byte
}

// rowOf is ev's row; command is the command ID it carries ("" but for an
// append's first event).
func rowOf(ev *interaction.Event, command string) eventRow {
	return eventRow{
		interaction: string(ev.Interaction), version: int64(ev.Version),
		timeS: ev.Time.Unix(), timeNS: int32(ev.Time.Nanosecond()),
		actor: string(ev.Actor), cause: ev.Cause, command: command,
		typ: int16(ev.Type), scopeKind: int16(ev.Scope.Kind),
		scopeLeg: string(ev.Scope.Invitation), scopeParty: string(ev.Scope.Party),
		party: string(ev.Party), role: int16(ev.Role),
		from: ev.From, to: ev.To, trigger: string(ev.Trigger),
		leg: legColumn(ev), via: string(ev.Via), route: string(ev.Route),
		deadlineS: ev.Deadline.Unix(), deadlineNS: int32(ev.Deadline.Nanosecond()),
		targetKind: int16(ev.Target.Kind), targetID: ev.Target.ID,
		supervised: string(ev.Supervised), attachments: encodeAttachments(ev.Attachments),
		medium: int16(ev.Medium), request: int16(ev.RequestKind),
		body: []byte(ev.Text), kind: int16(ev.Kind), seq: int64(ev.Seq), fingerprint: int64(ev.Fingerprint),
	}
}

// add appends one append's events; the first carries the command.
func (c *columns) add(events []interaction.Event) {
	for i := range events {
		command := ""
		if i == 0 {
			command = events[i].Cause
		}
		r := rowOf(&events[i], command)
		c.interaction = append(c.interaction, r.interaction)
		c.version = append(c.version, r.version)
		c.timeS, c.timeNS = append(c.timeS, r.timeS), append(c.timeNS, r.timeNS)
		c.actor, c.cause, c.command = append(c.actor, r.actor), append(c.cause, r.cause), append(c.command, r.command)
		c.typ, c.scopeKind = append(c.typ, r.typ), append(c.scopeKind, r.scopeKind)
		c.scopeLeg, c.scopeParty = append(c.scopeLeg, r.scopeLeg), append(c.scopeParty, r.scopeParty)
		c.party, c.role = append(c.party, r.party), append(c.role, r.role)
		c.from, c.to, c.trigger = append(c.from, r.from), append(c.to, r.to), append(c.trigger, r.trigger)
		c.leg, c.via, c.route = append(c.leg, r.leg), append(c.via, r.via), append(c.route, r.route)
		c.deadlineS, c.deadlineNS = append(c.deadlineS, r.deadlineS), append(c.deadlineNS, r.deadlineNS)
		c.targetKind, c.targetID = append(c.targetKind, r.targetKind), append(c.targetID, r.targetID)
		c.supervised, c.attachments = append(c.supervised, r.supervised), append(c.attachments, r.attachments)
		c.medium, c.request = append(c.medium, r.medium), append(c.request, r.request)
		c.body, c.kind = append(c.body, r.body), append(c.kind, r.kind)
		c.seq, c.fingerprint = append(c.seq, r.seq), append(c.fingerprint, r.fingerprint)
	}
}

func (c *columns) len() int { return len(c.interaction) }

// appendRowArgs appends the columns of an event's row as scalars, in the
// order of columns.args (append_one.go's appendScalarEvents).
func appendRowArgs(args []any, r eventRow) []any {
	return append(args, r.interaction, r.version, r.timeS, r.timeNS, r.actor, r.cause, r.command,
		r.typ, r.scopeKind, r.scopeLeg, r.scopeParty, r.party, r.role, r.from, r.to, r.trigger,
		r.leg, r.via, r.targetKind, r.targetID, r.medium, r.request, r.body, r.kind, r.seq, r.fingerprint,
		r.route, r.deadlineS, r.deadlineNS, r.supervised, r.attachments)
}

// args are chatconsult_append's event arguments (e_interaction … e_deadline_ns, e_supervised, e_attachments).
func (c *columns) args() []any {
	return []any{c.interaction, c.version, c.timeS, c.timeNS, c.actor, c.cause, c.command,
		c.typ, c.scopeKind, c.scopeLeg, c.scopeParty, c.party, c.role, c.from, c.to, c.trigger,
		c.leg, c.via, c.targetKind, c.targetID, c.medium, c.request, c.body, c.kind, c.seq, c.fingerprint,
		c.route, c.deadlineS, c.deadlineNS, c.supervised, c.attachments}
}

// scanEvents reads rows of eventColumns.
func scanEvents(rows pgx.Rows) ([]interaction.Event, error) {
	defer rows.Close()
	var out []interaction.Event
	var (
		id, actor, scopeLeg, scopeParty, party, leg, via string
		route, supervised                                string
		version, position, timeS, seq, fingerprint       int64
		deadlineS                                        int64
		timeNS, deadlineNS                               int32
		typ, scopeKind, role, targetKind, medium, req    int16
		kind                                             int16
		body, attachments                                []byte
	)
	for rows.Next() {
		var ev interaction.Event
		if err := rows.Scan(&id, &version, &position, &timeS, &timeNS, &actor, &ev.Cause, &typ,
			&scopeKind, &scopeLeg, &scopeParty, &party, &role, &ev.From, &ev.To, &ev.Trigger,
			&leg, &via, &targetKind, &ev.Target.ID, &medium, &req, &body, &kind, &seq, &fingerprint, &route,
			&deadlineS, &deadlineNS, &supervised, &attachments); err != nil {
			return nil, err
		}
		ev.Interaction, ev.Version, ev.Position = interaction.ID(id), uint64(version), uint64(position)
		if timeS != zeroTimeSeconds || timeNS != 0 {
			ev.Time = time.Unix(timeS, int64(timeNS)).UTC()
		}
		ev.Actor, ev.Type = interaction.PartyID(actor), interaction.EventType(typ)
		ev.Scope = interaction.Scope{Kind: interaction.ScopeKind(scopeKind), Invitation: interaction.InvitationID(scopeLeg), Party: interaction.PartyID(scopeParty)}
		ev.Party, ev.Role = interaction.PartyID(party), interaction.Role(role)
		ev.SetInvitation(interaction.InvitationID(leg)) // see legColumn
		ev.Via, ev.Route = interaction.LegID(via), interaction.RouteID(route)
		ev.Target.Kind, ev.Medium, ev.RequestKind = interaction.TargetKind(targetKind), interaction.Medium(medium), interaction.RequestKind(req)
		ev.Text, ev.Kind, ev.Seq = string(body), interaction.MessageKind(kind), uint32(seq)
		ev.Fingerprint, ev.Supervised = uint64(fingerprint), interaction.PartyID(supervised)
		files, err := decodeAttachments(attachments)
		if err != nil {
			return nil, err
		}
		ev.Attachments = files
		if deadlineS != zeroTimeSeconds || deadlineNS != 0 {
			ev.Deadline = time.Unix(deadlineS, int64(deadlineNS)).UTC()
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// checkEvents refuses what Append cannot store as given: events out of
// sequence, or text fields that PostgreSQL's text type cannot hold.
func checkEvents(id interaction.ID, expected uint64, events []interaction.Event) error {
	if expected > math.MaxInt64-uint64(len(events)) {
		return &interaction.Error{Kind: interaction.ErrBadInput, Op: "append", Interaction: id, Detail: "version out of range"}
	}
	for i := range events {
		ev := &events[i]
		if ev.Version != expected+uint64(i)+1 || ev.Interaction != id {
			return &interaction.Error{Kind: interaction.ErrBadInput, Op: "append", Interaction: id, Detail: "events out of sequence"}
		}
		if !ev.Deadline.IsZero() && (ev.Deadline.Before(minDeadline) || ev.Deadline.After(maxDeadline)) {
			return &interaction.Error{Kind: interaction.ErrBadInput, Op: "append", Interaction: id,
				Detail: "a deadline outside the years 1678 to 2262, which the table of deadlines cannot hold"}
		}
		for _, s := range [...]string{string(ev.Interaction), string(ev.Actor), ev.Cause, string(ev.Scope.Invitation),
			string(ev.Scope.Party), string(ev.Party), ev.From, ev.To, string(ev.Trigger), legColumn(ev), string(ev.Via), string(ev.Route), ev.Target.ID, string(ev.Supervised)} {
			if !storableText(s) {
				return &interaction.Error{Kind: interaction.ErrBadInput, Op: "append", Interaction: id,
					Detail: "an identifier holds NUL or invalid UTF-8, which PostgreSQL text cannot store"}
			}
		}
	}
	return nil
}

// The deadlines table keeps Unix nanoseconds (an int64).
var (
	minDeadline = time.Unix(0, math.MinInt64)
	maxDeadline = time.Unix(0, math.MaxInt64)
)

func storableText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// legColumn is what the leg column holds: the leg or request an event
// names (Event.Invitation: its Leg, or the RequestID of a request event or
// of a direct request's membership change; an event never names both),
// read back with Event.SetInvitation. Rows written when a request event's
// or such a membership change's request was its Leg read back the same
// as those written now.
func legColumn(ev *interaction.Event) string {
	return string(ev.Invitation())
}
