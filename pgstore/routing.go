package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// RoutingStore is a routing.Store on PostgreSQL (issue 14, migration
// 0008): the agents, their presence, capacity, load, reservations and
// holds, shared by the Directories of every instance on the schema.
//
// A hold is one statement: an UPDATE of the agent's row guarded by
// registered, presence and load + reserved + held < cap, which adds the
// hold row (with its deadline, expires) and the change row in the same
// statement. PostgreSQL re-checks the guard on the row version it locks
// (READ COMMITTED re-evaluates the WHERE of an UPDATE that waited for a
// row lock), so no interleaving of holds and counts takes an agent past
// its capacity. Counts, expiries and releases lock hold rows before agent
// rows, and agent rows in agent order, so they do not deadlock one another;
// a deadlock or serialization failure is retried.
//
// The change feed: every write that changes an agent inserts a row
// (xid, seq, agent) into chatconsult_routing_changes in its transaction
// and runs pg_notify on the schema's routing channel. Changes reads the
// rows after a position in (xid, seq) order, only those of transactions
// older than the oldest one still running (pg_snapshot_xmin): a
// transaction that commits late has an xid not below that bound, so it is
// read on a later call, never skipped (the bigserial trap of PRIOR-ART.md),
// without serialising the writers on one row. Changes gives each agent
// changed once, as its row is now.
type RoutingStore struct {
	pool    *pgxpool.Pool
	channel string
}

var _ routing.Store = (*RoutingStore)(nil)

// NewRoutingStore returns the routing store of pool's schema, which
// Migrate must have brought to SchemaVersion.
func NewRoutingStore(ctx context.Context, pool *pgxpool.Pool) (*RoutingStore, error) {
	var schema string
	var version *int
	err := pool.QueryRow(ctx, `SELECT current_schema(), (SELECT max(version) FROM chatconsult_migrations)`).Scan(&schema, &version)
	if err != nil {
		return nil, fmt.Errorf("pgstore: reading the schema version (did Migrate run?): %w", err)
	}
	if version == nil || *version < 8 {
		return nil, fmt.Errorf("pgstore: schema %s is at version %v, routing needs 8: run pgstore.Migrate", schema, version)
	}
	c := "chatconsult_routing." + schema
	if len(c) > 63 {
		c = c[:63]
	}
	return &RoutingStore{pool: pool, channel: c}, nil
}

// Channel is the LISTEN/NOTIFY channel of the routing store's changes.
func (s *RoutingStore) Channel() string { return s.channel }

const agentCols = `agent, registered, name, skill_names, skill_levels, groups, queues, capacity, presence,
	presence_since, idle_since, load, reserved, held, seq, rev`

// recordCols selects a Record from alias a, with its earliest hold's expiry.
func recordCols(a string) string {
	return a + `.agent, ` + a + `.registered, ` + a + `.name, ` + a + `.skill_names, ` + a + `.skill_levels, ` + a + `.groups, ` +
		a + `.queues, ` + a + `.capacity, ` + a + `.presence, ` + a + `.presence_since, ` + a + `.idle_since, ` + a + `.load, ` +
		a + `.reserved, ` + a + `.held, ` + a + `.seq, ` + a + `.rev`
}

func expiryOf(a string) string {
	return `(SELECT min(h.expires) FROM chatconsult_routing_holds h WHERE h.agent = ` + a + `.agent)`
}

func scanRecord(row pgx.Row) (routing.Record, error) {
	var (
		rec                    routing.Record
		id, name               string
		skillNames, groups, qs []string
		skillLevels, capacity  []int32
		load, reserved, held   []int32
		presence               int16
		since, idle, seq, rev  int64
		expires                *int64
	)
	err := row.Scan(&id, &rec.Registered, &name, &skillNames, &skillLevels, &groups, &qs, &capacity, &presence,
		&since, &idle, &load, &reserved, &held, &seq, &rev, &expires)
	if err != nil {
		return rec, err
	}
	rec.Agent = routing.Agent{ID: interaction.PartyID(id), Name: name, Groups: groups, Queues: qs}
	if len(rec.Agent.Groups) == 0 {
		rec.Agent.Groups = nil
	}
	if len(rec.Agent.Queues) == 0 {
		rec.Agent.Queues = nil
	}
	if len(skillNames) > 0 {
		rec.Agent.Skills = make(map[string]int, len(skillNames))
		for i, n := range skillNames {
			rec.Agent.Skills[n] = int(skillLevels[i])
		}
	}
	if capacity != nil {
		rec.Agent.Capacity = routing.Capacity{}
		for m, n := range capacity {
			if n > 0 {
				rec.Agent.Capacity[interaction.Medium(m)] = int(n)
			}
		}
	}
	rec.Presence = routing.Presence(presence)
	rec.PresenceSince, rec.IdleSince = time.Unix(0, since).UTC(), time.Unix(0, idle).UTC()
	for m := range 3 {
		rec.Load[m], rec.Reserved[m], rec.Held[m] = int(load[m]), int(reserved[m]), int(held[m])
	}
	if expires != nil {
		rec.HoldsExpire = time.Unix(0, *expires).UTC()
	}
	rec.Seq, rec.Rev = uint64(seq), uint64(rev)
	return rec, nil
}

// changed wraps a data-modifying statement that returns agent rows (as
// RETURNING *) into one that also logs the change and notifies, and
// returns the Records (expiry: the SQL of each record's hold expiry over u).
func (s *RoutingStore) changed(stmt, expiry string) string {
	return `WITH u AS (` + stmt + `),
		c AS (INSERT INTO chatconsult_routing_changes (agent) SELECT agent FROM u)
		SELECT ` + recordCols("u") + `, ` + expiry + ` FROM u, LATERAL (SELECT pg_notify('` + s.channel + `', '')) n`
}

func (s *RoutingStore) current(ctx context.Context, q querier, id interaction.PartyID) (routing.Record, bool, error) {
	rec, err := scanRecord(q.QueryRow(ctx, `SELECT `+recordCols("a")+`, `+expiryOf("a")+` FROM chatconsult_routing_agents a WHERE a.agent = $1`, string(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return routing.Record{}, false, nil
	}
	return rec, err == nil, err
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func refusal(kind error, op, detail string) error {
	return &interaction.Error{Kind: kind, Op: op, Rule: "R-X1", Detail: detail}
}

func wrapErr(op string, err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "40001", "40P01", "23505":
			return fmt.Errorf("pgstore: %s: %w (%w)", op, interaction.ErrConflict, err)
		}
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}

func checkText(op string, ss ...string) error {
	for _, x := range ss {
		if err := textOK(x); err != nil {
			return refusal(interaction.ErrBadInput, op, "text PostgreSQL cannot store (NUL or invalid UTF-8)")
		}
	}
	return nil
}

func textOK(x string) error {
	for i := 0; i < len(x); i++ {
		if x[i] == 0 {
			return errors.New("NUL")
		}
	}
	if !utf8.ValidString(x) {
		return errors.New("UTF-8")
	}
	return nil
}

// Put implements routing.Store.
func (s *RoutingStore) Put(ctx context.Context, a routing.Agent, now time.Time) (routing.Record, error) {
	if err := routing.CheckAgent(a); err != nil {
		return routing.Record{}, err
	}
	names := make([]string, 0, len(a.Skills))
	for n := range a.Skills {
		names = append(names, n)
	}
	slices.Sort(names)
	levels := make([]int32, len(names))
	for i, n := range names {
		levels[i] = int32(a.Skills[n])
	}
	if err := checkText("put agent", append(append(append([]string{string(a.ID), a.Name}, names...), a.Groups...), a.Queues...)...); err != nil {
		return routing.Record{}, err
	}
	var capacity []int32
	if a.Capacity != nil {
		capacity = make([]int32, 3)
		for m, n := range a.Capacity {
			capacity[m] = int32(n)
		}
	}
	lim := (&routing.Record{Agent: a}).Limit()
	capArr := []int32{int32(lim[0]), int32(lim[1]), int32(lim[2])}
	groups, queues := nonNil(a.Groups), nonNil(a.Queues)
	stmt := `INSERT INTO chatconsult_routing_agents AS a (agent, registered, name, skill_names, skill_levels, groups, queues, capacity, cap,
			presence, presence_since, idle_since, seq, rev)
		VALUES ($1, true, $2, $3, $4, $5, $6, $7, $8, 0, $9, $9, nextval('chatconsult_routing_seq'), 1)
		ON CONFLICT (agent) DO UPDATE SET registered = true, name = excluded.name, skill_names = excluded.skill_names,
			skill_levels = excluded.skill_levels, groups = excluded.groups, queues = excluded.queues,
			capacity = excluded.capacity, cap = excluded.cap,
			presence = CASE WHEN a.registered THEN a.presence ELSE 0 END,
			presence_since = CASE WHEN a.registered THEN a.presence_since ELSE excluded.presence_since END,
			idle_since = CASE WHEN a.registered THEN a.idle_since ELSE excluded.idle_since END,
			seq = CASE WHEN a.registered THEN a.seq ELSE excluded.seq END,
			rev = a.rev + 1
		RETURNING *`
	rec, err := scanRecord(s.pool.QueryRow(ctx, s.changed(stmt, expiryOf("u")), string(a.ID), a.Name, names, levels, groups, queues,
		capacity, capArr, now.UnixNano()))
	if err != nil {
		return rec, wrapErr("put agent", err)
	}
	return rec, nil
}

func nonNil(x []string) []string {
	if x == nil {
		return []string{}
	}
	return x
}

// Remove implements routing.Store.
func (s *RoutingStore) Remove(ctx context.Context, id interaction.PartyID) (routing.Record, error) {
	stmt := `UPDATE chatconsult_routing_agents SET registered = false, presence = 0, held = '{0,0,0}', rev = rev + 1
		WHERE agent = $1 AND registered RETURNING *`
	q := `WITH d AS (DELETE FROM chatconsult_routing_holds WHERE agent = $1 AND EXISTS
			(SELECT 1 FROM chatconsult_routing_agents WHERE agent = $1 AND registered)), ` + s.changed(stmt, "NULL::bigint")[len("WITH "):]
	rec, err := scanRecord(s.pool.QueryRow(ctx, q, string(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return routing.Record{}, refusal(interaction.ErrNotFound, "remove agent", "no agent "+string(id))
	}
	if err != nil {
		return rec, wrapErr("remove agent", err)
	}
	return rec, nil
}

// SetPresence implements routing.Store.
func (s *RoutingStore) SetPresence(ctx context.Context, id interaction.PartyID, p routing.Presence, now time.Time) (routing.Record, error) {
	if p > routing.Away {
		return routing.Record{}, refusal(interaction.ErrBadInput, "set presence", "unknown presence")
	}
	stmt := `UPDATE chatconsult_routing_agents SET presence = $2, presence_since = $3,
			idle_since = CASE WHEN $2 = 1 THEN $3 ELSE idle_since END, rev = rev + 1
		WHERE agent = $1 AND registered AND presence <> $2 RETURNING *`
	rec, err := scanRecord(s.pool.QueryRow(ctx, s.changed(stmt, expiryOf("u")), string(id), int16(p), now.UnixNano()))
	if err == nil {
		return rec, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return rec, wrapErr("set presence", err)
	}
	rec, ok, err := s.current(ctx, s.pool, id)
	if err != nil {
		return rec, wrapErr("set presence", err)
	}
	if !ok || !rec.Registered {
		return routing.Record{}, refusal(interaction.ErrNotFound, "set presence", "no agent "+string(id))
	}
	return rec, nil // unchanged
}

// needPresences is the presences a hold's need accepts.
func needPresences(n routing.Need) []int16 {
	switch n {
	case routing.NeedReady:
		return []int16{int16(routing.Ready)}
	case routing.NeedReachable:
		return []int16{int16(routing.Ready), int16(routing.NotReady)}
	}
	return []int16{int16(routing.LoggedOut), int16(routing.Ready), int16(routing.NotReady), int16(routing.Away)}
}

// holdNotifySQL notifies the routing channel, after a COMMIT in the same
// pipeline, as a transaction of its own that waits for no WAL flush, when
// the session's last hold committed (the session setting
// chatconsult.routing_notify survives only a commit, as chatconsult_notify's
// does). NOTIFY holds a lock shared by every notifying transaction through
// its commit: inside the hold's transaction it would serialise every
// hold's WAL flush, whichever agent it is for.
const holdNotifySQL = `SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, ''),
	set_config('chatconsult.routing_notify', '', false)
	WHERE current_setting('chatconsult.routing_notify', true) = '1'`

// Hold implements routing.Store: one conditional statement. With NoWait
// the statement locks the agent's row FOR UPDATE SKIP LOCKED first: a row
// that another transaction is writing is refused at once (ErrConflict,
// with the Record as last committed) instead of waited for.
func (s *RoutingStore) Hold(ctx context.Context, h routing.HoldRequest) (routing.Record, error) {
	if int(h.Medium) >= 3 || h.ID == "" {
		return routing.Record{}, refusal(interaction.ErrBadInput, "hold", "a hold needs an ID and a known medium")
	}
	if err := checkText("hold", h.ID, h.Holder, string(h.Agent)); err != nil {
		return routing.Record{}, err
	}
	m := int(h.Medium) + 1
	stmt := `UPDATE chatconsult_routing_agents SET held[$2] = held[$2] + 1, idle_since = $4, rev = rev + 1
		WHERE agent = $1 AND registered AND presence = ANY($3) AND load[$2] + reserved[$2] + held[$2] < cap[$2]
		RETURNING *`
	lock := ``
	if h.NoWait {
		// The row is locked first, skipping it when another transaction
		// has it; the UPDATE then finds it only when this one locked it,
		// and checks its guard on the row as locked.
		stmt = `UPDATE chatconsult_routing_agents SET held[$2] = held[$2] + 1, idle_since = $4, rev = rev + 1
		WHERE agent = (SELECT agent FROM l) AND registered AND presence = ANY($3) AND load[$2] + reserved[$2] + held[$2] < cap[$2]
		RETURNING *`
		lock = `l AS (SELECT agent FROM chatconsult_routing_agents WHERE agent = $1 FOR UPDATE SKIP LOCKED), `
	}
	q := `WITH ` + lock + `u AS (` + stmt + `),
		h AS (INSERT INTO chatconsult_routing_holds (id, holder, agent, medium, expires) SELECT $5, $6, agent, $2 - 1, $7 FROM u),
		c AS (INSERT INTO chatconsult_routing_changes (agent) SELECT agent FROM u)
		SELECT ` + recordCols("u") + `, LEAST(` + expiryOf("u") + `, $7) FROM u,
			LATERAL (SELECT set_config('chatconsult.routing_notify', '1', false)) n`
	// One pipeline: the hold in a transaction of its own, then the
	// notification in another (holdNotifySQL), so that holds of different
	// agents do not serialise their commits on NOTIFY's lock.
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(q, string(h.Agent), m, needPresences(h.Need), h.At.UnixNano(), h.ID, h.Holder, h.Expires.UnixNano())
	b.Queue(`COMMIT`)
	b.Queue(holdNotifySQL, s.channel)
	rec, err := func() (routing.Record, error) {
		br := s.pool.SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return routing.Record{}, err
		}
		rec, err := scanRecord(br.QueryRow())
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return rec, err
		}
		if _, cerr := br.Exec(); cerr != nil {
			return routing.Record{}, cerr
		}
		_, _ = br.Exec() // the notification: a lost one costs a delay (RoutingListener)
		return rec, err
	}()
	if err == nil {
		return rec, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return routing.Record{}, wrapErr("hold", err)
	}
	rec, ok, err := s.current(ctx, s.pool, h.Agent)
	if err != nil {
		return rec, wrapErr("hold", err)
	}
	if !ok || !rec.Registered {
		return rec, refusal(interaction.ErrNotFound, "hold", "agent "+string(h.Agent)+" is not in the directory")
	}
	if h.NoWait && rec.CanHold(h.Medium, h.Need) {
		return rec, refusal(interaction.ErrConflict, "hold", "agent "+string(h.Agent)+" is being written by another transaction")
	}
	return rec, refusal(interaction.ErrConflict, "hold", "agent "+string(h.Agent)+" is not available for "+h.Medium.String())
}

// Release implements routing.Store.
func (s *RoutingStore) Release(ctx context.Context, id string) (routing.Record, bool, error) {
	if err := checkText("release", id); err != nil {
		return routing.Record{}, false, err
	}
	q := `WITH d AS (DELETE FROM chatconsult_routing_holds WHERE id = $1 RETURNING agent, medium), ` +
		s.changed(`UPDATE chatconsult_routing_agents a SET held[d.medium + 1] = a.held[d.medium + 1] - 1, rev = a.rev + 1
			FROM d WHERE a.agent = d.agent RETURNING a.*`,
			`(SELECT min(h.expires) FROM chatconsult_routing_holds h WHERE h.agent = u.agent AND h.id <> $1)`)[len("WITH "):]
	rec, err := scanRecord(s.pool.QueryRow(ctx, q, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return routing.Record{}, false, nil
	}
	if err != nil {
		return rec, false, wrapErr("release", err)
	}
	return rec, true, nil
}

// retry runs f in a transaction, again after a deadlock or serialization
// failure.
func (s *RoutingStore) retry(ctx context.Context, op string, f func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := pgx.BeginFunc(ctx, s.pool, f)
		var pg *pgconn.PgError
		if err != nil && errors.As(err, &pg) && (pg.Code == "40P01" || pg.Code == "40001") && attempt < 8 {
			continue
		}
		if err != nil {
			var ie *interaction.Error
			if errors.As(err, &ie) {
				return err
			}
			return wrapErr(op, err)
		}
		return nil
	}
}

// touch logs the changes of agents (sorted) and returns their Records, in
// transaction tx.
func (s *RoutingStore) touch(ctx context.Context, tx pgx.Tx, agents []string) ([]routing.Record, error) {
	if len(agents) == 0 {
		return nil, nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO chatconsult_routing_changes (agent) SELECT unnest($1::text[])`, agents); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, s.channel); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT `+recordCols("a")+`, `+expiryOf("a")+` FROM chatconsult_routing_agents a
		WHERE a.agent = ANY($1) ORDER BY a.agent`, agents)
	if err != nil {
		return nil, err
	}
	return collectRecords(rows)
}

func collectRecords(rows pgx.Rows) ([]routing.Record, error) {
	defer rows.Close()
	var out []routing.Record
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

// Expire implements routing.Store.
func (s *RoutingStore) Expire(ctx context.Context, now time.Time) ([]routing.Record, time.Time, error) {
	var out []routing.Record
	var next time.Time
	err := s.retry(ctx, "expire holds", func(tx pgx.Tx) error {
		out, next = nil, time.Time{}
		rows, err := tx.Query(ctx, `DELETE FROM chatconsult_routing_holds WHERE id IN (
			SELECT id FROM chatconsult_routing_holds WHERE expires <= $1 ORDER BY id FOR UPDATE SKIP LOCKED)
			RETURNING agent, medium`, now.UnixNano())
		if err != nil {
			return err
		}
		gone := map[string]*[3]int32{}
		for rows.Next() {
			var agent string
			var m int16
			if err := rows.Scan(&agent, &m); err != nil {
				rows.Close()
				return err
			}
			if gone[agent] == nil {
				gone[agent] = new([3]int32)
			}
			gone[agent][m]++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		agents := sortedKeys(gone)
		for _, a := range agents {
			g := gone[a]
			if _, err := tx.Exec(ctx, `UPDATE chatconsult_routing_agents SET held = ARRAY[held[1] - $2, held[2] - $3, held[3] - $4],
				rev = rev + 1 WHERE agent = $1`, a, g[0], g[1], g[2]); err != nil {
				return err
			}
		}
		if out, err = s.touch(ctx, tx, agents); err != nil {
			return err
		}
		var at *int64
		if err := tx.QueryRow(ctx, `SELECT min(expires) FROM chatconsult_routing_holds`).Scan(&at); err != nil {
			return err
		}
		if at != nil {
			next = time.Unix(0, *at).UTC()
		}
		return nil
	})
	return out, next, err
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func clampVersion(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// Count implements routing.Store, in one transaction: the interaction's
// counted row is locked and its version compared, the holder's holds that
// became reservations are deleted, the agents' rows move by the
// differences (in agent order), the work rows are replaced.
func (s *RoutingStore) Count(ctx context.Context, c routing.CountRequest) (routing.CountResult, error) {
	if err := checkText("count", string(c.Interaction), c.Holder); err != nil {
		return routing.CountResult{}, err
	}
	for p, ids := range c.Offers {
		if err := checkText("count", string(p)); err != nil {
			return routing.CountResult{}, err
		}
		for _, id := range ids {
			if err := checkText("count", string(id)); err != nil {
				return routing.CountResult{}, err
			}
		}
	}
	var res routing.CountResult
	err := s.retry(ctx, "count", func(tx pgx.Tx) error {
		res = routing.CountResult{}
		id := string(c.Interaction)
		// Created or locked in one statement, so that Prune cannot drop
		// the row between the two.
		var version int64
		if err := tx.QueryRow(ctx, `INSERT INTO chatconsult_routing_counted AS c (interaction, version) VALUES ($1, -1)
			ON CONFLICT (interaction) DO UPDATE SET version = c.version RETURNING version`, id).Scan(&version); err != nil {
			return err
		}
		v := clampVersion(c.Version)
		if v <= version {
			return nil
		}
		old := map[string]routing.Holding{}
		rows, err := tx.Query(ctx, `SELECT agent, load, reserved FROM chatconsult_routing_work WHERE interaction = $1`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var agent string
			var load, reserved []int32
			if err := rows.Scan(&agent, &load, &reserved); err != nil {
				rows.Close()
				return err
			}
			var h routing.Holding
			for m := range 3 {
				h.Load[m], h.Reserved[m] = int(load[m]), int(reserved[m])
			}
			old[agent] = h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		diff := map[string]bool{}
		for p, h := range c.Holdings {
			if old[string(p)] != h {
				diff[string(p)] = true
			}
		}
		for p, h := range old {
			if c.Holdings[interaction.PartyID(p)] != h {
				diff[p] = true
			}
		}
		agents := sortedKeys(diff)
		// Holds first (the lock order of Expire and Release), then agents.
		consumed := map[string]*[3]int32{}
		if c.Holder != "" {
			for _, a := range agents {
				o, h := old[a], c.Holdings[interaction.PartyID(a)]
				for m := range 3 {
					grew := h.Busy(interaction.Medium(m)) - o.Busy(interaction.Medium(m))
					if grew <= 0 {
						continue
					}
					rows, err := tx.Query(ctx, `DELETE FROM chatconsult_routing_holds WHERE id IN (
						SELECT id FROM chatconsult_routing_holds WHERE agent = $1 AND medium = $2 AND holder = $3
						ORDER BY expires, id LIMIT $4 FOR UPDATE) RETURNING id`, a, m, c.Holder, grew)
					if err != nil {
						return err
					}
					for rows.Next() {
						var hid string
						if err := rows.Scan(&hid); err != nil {
							rows.Close()
							return err
						}
						res.Consumed = append(res.Consumed, hid)
						if consumed[a] == nil {
							consumed[a] = new([3]int32)
						}
						consumed[a][m]++
					}
					rows.Close()
					if err := rows.Err(); err != nil {
						return err
					}
				}
			}
		}
		for _, a := range agents {
			o, h := old[a], c.Holdings[interaction.PartyID(a)]
			var d [9]int32
			for m := range 3 {
				d[m] = int32(h.Load[m] - o.Load[m])
				d[3+m] = int32(h.Reserved[m] - o.Reserved[m])
				if g := consumed[a]; g != nil {
					d[6+m] = g[m]
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO chatconsult_routing_agents AS a (agent, load, reserved, idle_since, rev)
				VALUES ($1, ARRAY[$2::int, $3::int, $4::int], ARRAY[$5::int, $6::int, $7::int], $11, 1)
				ON CONFLICT (agent) DO UPDATE SET
					load = ARRAY[a.load[1] + $2, a.load[2] + $3, a.load[3] + $4],
					reserved = ARRAY[a.reserved[1] + $5, a.reserved[2] + $6, a.reserved[3] + $7],
					held = ARRAY[a.held[1] - $8, a.held[2] - $9, a.held[3] - $10],
					idle_since = $11, rev = a.rev + 1`,
				a, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], c.At.UnixNano()); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM chatconsult_routing_work WHERE interaction = $1`, id); err != nil {
			return err
		}
		var ps []string
		var loads, reserveds [][]int32
		var offers [][]string
		for p, h := range c.Holdings {
			if h == (routing.Holding{}) {
				continue
			}
			if err := checkText("count", string(p)); err != nil {
				return err
			}
			ps = append(ps, string(p))
			loads = append(loads, []int32{int32(h.Load[0]), int32(h.Load[1]), int32(h.Load[2])})
			reserveds = append(reserveds, []int32{int32(h.Reserved[0]), int32(h.Reserved[1]), int32(h.Reserved[2])})
			offers = append(offers, invitationIDs(c.Offers[p]))
		}
		if len(ps) > 0 {
			for i := range ps {
				if _, err := tx.Exec(ctx, `INSERT INTO chatconsult_routing_work (interaction, agent, load, reserved, offers)
					VALUES ($1, $2, $3, $4, $5)`, id, ps[i], loads[i], reserveds[i], offers[i]); err != nil {
					return err
				}
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE chatconsult_routing_counted SET version = $2, counted_at = $3 WHERE interaction = $1`,
			id, v, c.At.UnixNano()); err != nil {
			return err
		}
		res.Applied = true
		res.Changed, err = s.touch(ctx, tx, agents)
		return err
	})
	if !res.Applied {
		res.Consumed, res.Changed = nil, nil
	}
	return res, err
}

// invitationIDs is ids as text, never nil.
func invitationIDs(ids []interaction.InvitationID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// Offers implements routing.Store.
func (s *RoutingStore) Offers(ctx context.Context, agent interaction.PartyID) ([]routing.Offer, error) {
	rows, err := s.pool.Query(ctx, `SELECT interaction, unnest(offers) AS o FROM chatconsult_routing_work
		WHERE agent = $1 ORDER BY 1, 2`, string(agent))
	if err != nil {
		return nil, wrapErr("offers", err)
	}
	defer rows.Close()
	var out []routing.Offer
	for rows.Next() {
		var id, inv string
		if err := rows.Scan(&id, &inv); err != nil {
			return nil, wrapErr("offers", err)
		}
		out = append(out, routing.Offer{Interaction: interaction.ID(id), Invitation: interaction.InvitationID(inv)})
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("offers", err)
	}
	return out, nil
}

// Counted implements routing.Store.
func (s *RoutingStore) Counted(ctx context.Context, after interaction.ID, limit int) ([]interaction.ID, error) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT interaction FROM chatconsult_routing_work WHERE interaction > $1
		ORDER BY 1 LIMIT $2`, string(after), limit)
	if err != nil {
		return nil, wrapErr("counted", err)
	}
	defer rows.Close()
	var out []interaction.ID
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrapErr("counted", err)
		}
		out = append(out, interaction.ID(id))
	}
	return out, wrapErrIf("counted", rows.Err())
}

func wrapErrIf(op string, err error) error {
	if err == nil {
		return nil
	}
	return wrapErr(op, err)
}

// Changes implements routing.Store: change rows after the position, of
// transactions older than every one still running, each agent once.
func (s *RoutingStore) Changes(ctx context.Context, after routing.Position, limit int) ([]routing.Record, routing.Position, error) {
	if limit <= 0 {
		limit = 1 << 20
	}
	rows, err := s.pool.Query(ctx, `SELECT xid::text, seq, agent FROM chatconsult_routing_changes
		WHERE (xid, seq) > ($1::text::xid8, $2) AND xid < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY xid, seq LIMIT $3`, strconv.FormatUint(after.Txn, 10), int64(after.Seq), 4*limit)
	if err != nil {
		return nil, after, wrapErr("changes", err)
	}
	next := after
	seen := map[string]bool{}
	var agents []string
	for rows.Next() {
		var xid string
		var seq int64
		var agent string
		if err := rows.Scan(&xid, &seq, &agent); err != nil {
			rows.Close()
			return nil, after, wrapErr("changes", err)
		}
		if !seen[agent] {
			if len(agents) >= limit {
				break
			}
			seen[agent] = true
			agents = append(agents, agent)
		}
		x, _ := strconv.ParseUint(xid, 10, 64)
		next = routing.Position{Txn: x, Seq: uint64(seq)}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, after, wrapErr("changes", err)
	}
	if len(agents) == 0 {
		return nil, next, nil
	}
	recs, err := s.records(ctx, s.pool, agents)
	if err != nil {
		return nil, after, wrapErr("changes", err)
	}
	return recs, next, nil
}

func (s *RoutingStore) records(ctx context.Context, q querier, agents []string) ([]routing.Record, error) {
	rows, err := q.Query(ctx, `SELECT `+recordCols("a")+`, `+expiryOf("a")+` FROM chatconsult_routing_agents a
		WHERE a.agent = ANY($1) ORDER BY a.agent`, agents)
	if err != nil {
		return nil, err
	}
	return collectRecords(rows)
}

// Snapshot implements routing.Store: every agent, in one REPEATABLE READ
// transaction with the position of its snapshot.
func (s *RoutingStore) Snapshot(ctx context.Context) ([]routing.Record, routing.Position, error) {
	var out []routing.Record
	var pos routing.Position
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var xmin string
		if err := tx.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text`).Scan(&xmin); err != nil {
			return err
		}
		x, _ := strconv.ParseUint(xmin, 10, 64)
		// Every change of a transaction below xmin is in the rows read
		// here; from (xmin, 0) on, Changes reads the rest (some again).
		pos = routing.Position{Txn: x, Seq: 0}
		rows, err := tx.Query(ctx, `SELECT `+recordCols("a")+`, `+expiryOf("a")+` FROM chatconsult_routing_agents a ORDER BY a.agent`)
		if err != nil {
			return err
		}
		out, err = collectRecords(rows)
		return err
	})
	if err != nil {
		return nil, routing.Position{}, wrapErr("snapshot", err)
	}
	return out, pos, nil
}

var _ routing.Pruner = (*RoutingStore)(nil)

// Prune implements routing.Pruner (migration 0014), in batches of 10,000
// rows, each its own transaction. A change row is dropped only when a
// later row of the same agent is below the horizon (its transaction and
// every older one have ended): a reader that has not read that later row
// yet reads it as soon as it would have read the dropped one. A counted
// row is dropped only when the interaction has no work rows (it holds
// nothing) and counted_at is before countedBefore; the row is locked
// first, skipping one that a Count is writing.
func (s *RoutingStore) Prune(ctx context.Context, countedBefore time.Time) (routing.PruneResult, error) {
	var res routing.PruneResult
	const batch = 10000
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM chatconsult_routing_changes WHERE (xid, seq) IN (
			SELECT c.xid, c.seq FROM chatconsult_routing_changes c
			WHERE EXISTS (SELECT 1 FROM chatconsult_routing_changes l WHERE l.agent = c.agent
				AND (l.xid, l.seq) > (c.xid, c.seq) AND l.xid < pg_snapshot_xmin(pg_current_snapshot()))
			LIMIT $1)`, batch)
		if err != nil {
			return res, wrapErr("prune changes", err)
		}
		res.Changes += int(tag.RowsAffected())
		if tag.RowsAffected() < batch {
			break
		}
	}
	for {
		tag, err := s.pool.Exec(ctx, `DELETE FROM chatconsult_routing_counted WHERE interaction IN (
			SELECT c.interaction FROM chatconsult_routing_counted c
			WHERE c.counted_at < $1 AND NOT EXISTS (SELECT 1 FROM chatconsult_routing_work w WHERE w.interaction = c.interaction)
			LIMIT $2 FOR UPDATE SKIP LOCKED)
			AND NOT EXISTS (SELECT 1 FROM chatconsult_routing_work w WHERE w.interaction = chatconsult_routing_counted.interaction)`,
			countedBefore.UnixNano(), batch)
		if err != nil {
			return res, wrapErr("prune counted", err)
		}
		res.Counted += int(tag.RowsAffected())
		if tag.RowsAffected() < batch {
			break
		}
	}
	return res, nil
}
