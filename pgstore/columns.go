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

// add appends one append's events; the first carries the command.
func (c *columns) add(events []interaction.Event) {
	for i := range events {
		ev := &events[i]
		command := ""
		if i == 0 {
			command = ev.Cause
		}
		c.interaction = append(c.interaction, string(ev.Interaction))
		c.version = append(c.version, int64(ev.Version))
		c.timeS = append(c.timeS, ev.Time.Unix())
		c.timeNS = append(c.timeNS, int32(ev.Time.Nanosecond()))
		c.actor = append(c.actor, string(ev.Actor))
		c.cause = append(c.cause, ev.Cause)
		c.command = append(c.command, command)
		c.typ = append(c.typ, int16(ev.Type))
		c.scopeKind = append(c.scopeKind, int16(ev.Scope.Kind))
		c.scopeLeg = append(c.scopeLeg, string(ev.Scope.Invitation))
		c.scopeParty = append(c.scopeParty, string(ev.Scope.Party))
		c.party = append(c.party, string(ev.Party))
		c.role = append(c.role, int16(ev.Role))
		c.from = append(c.from, ev.From)
		c.to = append(c.to, ev.To)
		c.trigger = append(c.trigger, string(ev.Trigger))
		c.leg = append(c.leg, legColumn(ev))
		c.via = append(c.via, string(ev.Via))
		c.route = append(c.route, string(ev.Route))
		c.deadlineS = append(c.deadlineS, ev.Deadline.Unix())
		c.deadlineNS = append(c.deadlineNS, int32(ev.Deadline.Nanosecond()))
		c.targetKind = append(c.targetKind, int16(ev.Target.Kind))
		c.targetID = append(c.targetID, ev.Target.ID)
		c.supervised = append(c.supervised, string(ev.Supervised))
		c.attachments = append(c.attachments, encodeAttachments(ev.Attachments))
		c.medium = append(c.medium, int16(ev.Medium))
		c.request = append(c.request, int16(ev.RequestKind))
		c.body = append(c.body, []byte(ev.Text))
		c.kind = append(c.kind, int16(ev.Kind))
		c.seq = append(c.seq, int64(ev.Seq))
		c.fingerprint = append(c.fingerprint, int64(ev.Fingerprint))
	}
}

func (c *columns) len() int { return len(c.interaction) }

// appendEventArgs appends the columns of the first event of an append, as
// scalars in the order of columns.args (append_one.go's evSingle).
func appendEventArgs(args []any, ev *interaction.Event) []any {
	return append(args, string(ev.Interaction), int64(ev.Version), ev.Time.Unix(), int32(ev.Time.Nanosecond()),
		string(ev.Actor), ev.Cause, ev.Cause, int16(ev.Type), int16(ev.Scope.Kind), string(ev.Scope.Invitation),
		string(ev.Scope.Party), string(ev.Party), int16(ev.Role), ev.From, ev.To, string(ev.Trigger),
		legColumn(ev), string(ev.Via), int16(ev.Target.Kind), ev.Target.ID, int16(ev.Medium), int16(ev.RequestKind),
		[]byte(ev.Text), int16(ev.Kind), int64(ev.Seq), int64(ev.Fingerprint), string(ev.Route),
		ev.Deadline.Unix(), int32(ev.Deadline.Nanosecond()), string(ev.Supervised), encodeAttachments(ev.Attachments))
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
