package pgstore_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/consult"
	"github.com/chatconsult/chatconsult/history"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/pgstore"
)

// historyDesk is one process of a contact center on PostgreSQL: it plays
// stories whose history the tests follow.
type historyDesk struct {
	t     testing.TB
	clock *chatconsulttest.ManualClock
	chats *interaction.Service
	svc   *consult.Service
	n     int
}

// newHistoryDesk: prefix keeps the IDs of each process apart (a restarted
// process numbers its interactions anew).
func newHistoryDesk(t testing.TB, st *pgstore.Store, prefix string) *historyDesk {
	d := &historyDesk{t: t, clock: chatconsulttest.NewManualClock()}
	d.chats = interaction.NewService(interaction.WithStore(st), interaction.WithClock(d.clock),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs(prefix)), interaction.WithNotifier(interaction.NopNotifier{}))
	d.svc = consult.New(d.chats, consult.WithInviteTimeout(30*time.Second))
	return d
}

var (
	historyAgents   = []interaction.PartyID{"agent1", "agent2", "agent3"}
	historyContacts = []interaction.PartyID{"c0", "c1", "c2"}
)

// story plays one interaction: the contact is with an owner, who consults
// another agent (R-C1) and turns it into a conference (R-F1), a transfer
// (R-T1), or ends it (R-C4); then the chat ends and everyone marks done
// (R-C8), except every fourth story, which is left going.
func (d *historyDesk) story() interaction.ID {
	t := d.t
	t.Helper()
	i := d.n
	d.n++
	contact := historyContacts[i%len(historyContacts)]
	owner, target := historyAgents[i%3], historyAgents[(i+1)%3]
	id, err := d.chats.Open(ctx, contact, fmt.Sprintf("Hello %d", i))
	require.NoError(t, err)
	d.clock.Advance(3 * time.Second)
	require.NoError(t, d.chats.Assign(ctx, id, interaction.System, owner))
	require.NoError(t, d.chats.Join(ctx, id, owner))
	require.NoError(t, d.chats.Post(ctx, id, owner, "How can I help?"))
	leg, err := d.svc.Start(ctx, id, owner, interaction.Target{Kind: interaction.TargetAgent, ID: string(target)}, interaction.MediumChat)
	require.NoError(t, err)
	d.clock.Advance(4 * time.Second)
	require.NoError(t, d.svc.Accept(ctx, id, target, leg))
	require.NoError(t, d.svc.Say(ctx, id, owner, leg, "consultation: refund?"))
	require.NoError(t, d.svc.Say(ctx, id, target, leg, "consultation: yes"))
	d.clock.Advance(10 * time.Second)
	agents := []interaction.PartyID{owner}
	switch i % 3 {
	case 0:
		req, err := d.svc.Conference(ctx, id, owner, leg)
		require.NoError(t, err)
		require.NoError(t, d.svc.AcceptRequest(ctx, id, target, req))
		require.NoError(t, d.chats.Post(ctx, id, target, "I can refund you"))
		agents = append(agents, target)
	case 1:
		require.NoError(t, d.svc.Transfer(ctx, id, owner, leg))
		require.NoError(t, d.chats.Post(ctx, id, target, "I took over"))
		agents = []interaction.PartyID{target, owner}
	default:
		require.NoError(t, d.svc.EndConsultation(ctx, id, target, leg))
		agents = append(agents, target)
	}
	if i%4 == 3 {
		return id
	}
	d.clock.Advance(20 * time.Second)
	require.NoError(t, d.chats.EndSession(ctx, id, contact))
	d.clock.Advance(15 * time.Second)
	for _, a := range agents {
		require.NoError(t, d.chats.MarkDone(ctx, id, a))
	}
	return id
}

// historyAnswers is everything a Projection answers about the test's
// parties, to compare two Projections.
type historyAnswers struct {
	My, Contacts map[interaction.PartyID][]history.Entry
	Activity     []history.Activity
	Totals       history.Totals
	Agents       map[interaction.PartyID]history.AgentMetrics
	Metrics      map[interaction.ID]history.InteractionMetrics
	Exports      map[string]history.Export
}

func answers(t testing.TB, p *history.Projection) historyAnswers {
	t.Helper()
	all := history.Query{Limit: history.MaxLimit}
	a := historyAnswers{My: map[interaction.PartyID][]history.Entry{}, Contacts: map[interaction.PartyID][]history.Entry{},
		Agents: map[interaction.PartyID]history.AgentMetrics{}, Metrics: map[interaction.ID]history.InteractionMetrics{},
		Exports: map[string]history.Export{}}
	for _, agent := range historyAgents {
		pg, err := p.MyHistory(ctx, agent, all)
		require.NoError(t, err)
		a.My[agent] = pg.Items
		a.Agents[agent], err = p.AgentMetrics(ctx, agent, history.Query{})
		require.NoError(t, err)
	}
	for _, c := range historyContacts {
		pg, err := p.ContactHistory(ctx, c, all)
		require.NoError(t, err)
		a.Contacts[c] = pg.Items
	}
	act, err := p.Activity(ctx, all)
	require.NoError(t, err)
	a.Activity = act.Items
	a.Totals, err = p.Totals(ctx, history.Query{})
	require.NoError(t, err)
	for _, e := range a.Activity {
		a.Metrics[e.Interaction], err = p.InteractionMetrics(ctx, e.Interaction)
		require.NoError(t, err)
		for _, party := range append(append([]interaction.PartyID{"stranger"}, historyAgents...), historyContacts...) {
			x, err := p.Export(ctx, e.Interaction, party)
			if err != nil {
				require.ErrorIs(t, err, interaction.ErrNotPermitted)
				continue
			}
			a.Exports[string(e.Interaction)+"/"+string(party)] = x
		}
	}
	return a
}

// catchUpHistory steps f until it has read the whole log.
func catchUpHistory(t testing.TB, f *pgstore.HistoryFollower) {
	t.Helper()
	for i := 0; ; i++ {
		require.Less(t, i, 100000)
		n, err := f.Step(ctx)
		require.NoError(t, err)
		if n == 0 {
			return
		}
	}
}

// logEnd is the position of the log's last event (positions need not be
// dense: they are the Store's, in commit order).
func logEnd(t testing.TB, st *pgstore.Store) uint64 {
	t.Helper()
	events, err := st.ReadAll(ctx, 0, 0)
	require.NoError(t, err)
	if len(events) == 0 {
		return 0
	}
	return events[len(events)-1].Position
}

func logLength(t testing.TB, st *pgstore.Store, after uint64) int {
	t.Helper()
	events, err := st.ReadAll(ctx, after, 0)
	require.NoError(t, err)
	return len(events)
}

// Issue 13, R-X5: the history read model is stored with its position
// (LoadHistory/SaveHistory, chatconsult_history and
// chatconsult_checkpoints, in one transaction). A process follows the log
// and saves every 25 events and on demand; it writes more and dies. The
// restarted process restores the read model from the database and reads
// exactly the events written since the saved position, not the whole
// log, and then answers every history query (My History R-H3, contact
// history R-H2, activity R-H1, metrics, exports R-X8) as a Projection
// replayed from position 0.
func TestHistoryReadModelResumesFromItsCheckpoint(t *testing.T) {
	s := newSchema(t)
	pool1 := s.pool(t, nil)
	st1 := newStore(t, pool1)
	d1 := newHistoryDesk(t, st1, "p1-")
	for range 12 {
		d1.story()
	}
	f1, err := st1.FollowHistory(ctx, "history", pgstore.SaveEvery(25))
	require.NoError(t, err)
	catchUpHistory(t, f1)
	whole := logLength(t, st1, 0)
	assert.EqualValues(t, whole, f1.Read(), "a new read model reads the whole log")
	stepped, err := pgstore.LoadCheckpoint(ctx, pool1, "history")
	require.NoError(t, err)
	assert.Positive(t, stepped, "Step saved every 25 events")
	require.NoError(t, f1.Save(ctx))
	saved, err := pgstore.LoadCheckpoint(ctx, pool1, "history")
	require.NoError(t, err)
	assert.Equal(t, f1.Projection().Checkpoint(), saved)
	assert.Equal(t, logEnd(t, st1), saved, "saved at the log's end")

	// More is written after the save; the process dies before it saves
	// again.
	for range 3 {
		d1.story()
	}
	st1.Close()
	pool1.Close()

	pool2 := s.pool(t, nil)
	st2 := newStore(t, pool2)
	d2 := newHistoryDesk(t, st2, "p2-")
	d2.story()
	since := logLength(t, st2, saved)
	f2, err := st2.FollowHistory(ctx, "history", pgstore.SaveEvery(25))
	require.NoError(t, err)
	assert.Equal(t, saved, f2.Projection().Checkpoint(), "restored at the saved position")
	catchUpHistory(t, f2)
	total := logLength(t, st2, 0)
	assert.EqualValues(t, since, f2.Read(), "on restart it reads the events written since its checkpoint")
	assert.Less(t, since, total)
	t.Logf("restart: read %d events of a log of %d", f2.Read(), total)

	replayed, err := history.Rebuild(ctx, st2)
	require.NoError(t, err)
	assert.Equal(t, answers(t, replayed), answers(t, f2.Projection()), "restored and replayed from 0 disagree")

	// A third process restarted right after a save reads nothing.
	require.NoError(t, f2.Save(ctx))
	f3, err := st2.FollowHistory(ctx, "history")
	require.NoError(t, err)
	catchUpHistory(t, f3)
	assert.Zero(t, f3.Read())
	assert.Equal(t, answers(t, replayed), answers(t, f3.Projection()))
}

// savesLog has the test's schema record every move of a checkpoint that
// commits (a trigger on chatconsult_checkpoints), so that a test can see
// which stretches of the log were saved, and by how many saves.
func savesLog(t *testing.T, s *schema) {
	s.exec(t, `CREATE TABLE `+pgx.Identifier{s.name, "test_saves"}.Sanitize()+` (n bigserial, name text, old bigint, new bigint)`)
	s.exec(t, `CREATE FUNCTION `+pgx.Identifier{s.name, "test_log_save"}.Sanitize()+`() RETURNS trigger AS $$
		BEGIN
			INSERT INTO test_saves (name, old, new) VALUES (NEW.name, CASE WHEN TG_OP = 'UPDATE' THEN OLD.position ELSE 0 END, NEW.position);
			RETURN NEW;
		END $$ LANGUAGE plpgsql`)
	s.exec(t, `CREATE TRIGGER test_log_save AFTER INSERT OR UPDATE ON `+pgx.Identifier{s.name, "chatconsult_checkpoints"}.Sanitize()+
		` FOR EACH ROW EXECUTE FUNCTION `+pgx.Identifier{s.name, "test_log_save"}.Sanitize()+`()`)
}

// savedStretches returns the stretches (old, new] of the log that saves of
// read model name committed, in order.
func savedStretches(t *testing.T, pool *pgxpool.Pool, name string) [][2]uint64 {
	rows, err := pool.Query(ctx, `SELECT old, new FROM test_saves WHERE name = $1 AND new > old ORDER BY n`, name)
	require.NoError(t, err)
	var out [][2]uint64
	var from, to int64
	_, err = pgx.ForEachRow(rows, []any{&from, &to}, func() error {
		out = append(out, [2]uint64{uint64(from), uint64(to)})
		return nil
	})
	require.NoError(t, err)
	return out
}

// requireTiles checks that the stretches follow one another from 0 to
// end: each stretch of the log was saved once, none twice, none skipped.
func requireTiles(t *testing.T, stretches [][2]uint64, end uint64) {
	t.Helper()
	at := uint64(0)
	for _, s := range stretches {
		require.Equal(t, at, s[0], "a save from %d while the read model was at %d: %v", s[0], at, stretches)
		at = s[1]
	}
	require.Equal(t, end, at)
}

type savedRow struct {
	version int64
	data    string
}

func historyRows(t *testing.T, pool *pgxpool.Pool, name string) map[string]savedRow {
	rows, err := pool.Query(ctx, `SELECT interaction, version, md5(data) FROM chatconsult_history WHERE name = $1`, name)
	require.NoError(t, err)
	out := map[string]savedRow{}
	var id string
	var r savedRow
	_, err = pgx.ForEachRow(rows, []any{&id, &r.version, &r.data}, func() error { out[id] = r; return nil })
	require.NoError(t, err)
	return out
}

// Two followers of one read model (two instances) take turns: a save that
// another's save overtook is refused with ErrConflict and writes nothing,
// neither position nor records; the refused follower takes the other's
// position and saves after it the next time. Every stretch of the log is
// saved by exactly one save, and the saved read model restores to
// answers equal to a replay from 0 (R-X5).
func TestHistoryFollowersTakeTurns(t *testing.T) {
	s := newSchema(t)
	pool := s.pool(t, nil)
	savesLog(t, s)
	st := newStore(t, pool)
	d := newHistoryDesk(t, st, "w-")
	for range 4 {
		d.story()
	}
	a, err := st.FollowHistory(ctx, "history", pgstore.SaveEvery(0))
	require.NoError(t, err)
	b, err := newStore(t, s.pool(t, nil)).FollowHistory(ctx, "history", pgstore.SaveEvery(0))
	require.NoError(t, err)
	catchUpHistory(t, a)
	catchUpHistory(t, b)
	require.NoError(t, a.Save(ctx))
	position, err := pgstore.LoadCheckpoint(ctx, pool, "history")
	require.NoError(t, err)
	rows := historyRows(t, pool, "history")
	require.NotEmpty(t, rows)

	d.story() // b's records change, so b has something to write
	catchUpHistory(t, b)
	require.ErrorIs(t, b.Save(ctx), interaction.ErrConflict, "a's save overtook b's")
	after, err := pgstore.LoadCheckpoint(ctx, pool, "history")
	require.NoError(t, err)
	assert.Equal(t, position, after, "the refused save moved no position")
	assert.Equal(t, rows, historyRows(t, pool, "history"), "nor wrote any record")

	require.NoError(t, b.Save(ctx), "b saves after a's position")
	require.ErrorIs(t, a.Save(ctx), interaction.ErrConflict, "now a is behind")
	d.story()
	catchUpHistory(t, a)
	require.NoError(t, a.Save(ctx))
	end := logEnd(t, st)
	requireTiles(t, savedStretches(t, pool, "history"), end)

	// Both run at once while a third instance writes: saves every 7 events.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	conflicts := 0
	var mu sync.Mutex
	for _, f := range []*pgstore.HistoryFollower{a, b} {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := f.Step(ctx); !assert.NoError(t, err) {
					return
				}
				if err := f.Save(ctx); err != nil {
					if !assert.ErrorIs(t, err, interaction.ErrConflict) {
						return
					}
					mu.Lock()
					conflicts++
					mu.Unlock()
				}
			}
		})
	}
	writer := newHistoryDesk(t, newStore(t, s.pool(t, nil)), "x-")
	for range 10 {
		writer.story()
	}
	close(stop)
	wg.Wait()
	for _, f := range []*pgstore.HistoryFollower{a, b} {
		catchUpHistory(t, f)
		if err := f.Save(ctx); err != nil {
			require.ErrorIs(t, err, interaction.ErrConflict)
			require.NoError(t, f.Save(ctx))
		}
	}
	end = logEnd(t, st)
	stretches := savedStretches(t, pool, "history")
	requireTiles(t, stretches, end)
	t.Logf("%d saves moved the position, %d were refused", len(stretches), conflicts)

	restored, err := st.LoadHistory(ctx, "history")
	require.NoError(t, err)
	assert.EqualValues(t, end, restored.Checkpoint())
	replayed, err := history.Rebuild(ctx, st)
	require.NoError(t, err)
	want := answers(t, replayed)
	assert.Equal(t, want, answers(t, restored), "restored and replayed from 0 disagree")
	assert.Equal(t, want, answers(t, a.Projection()))
	assert.Equal(t, want, answers(t, b.Projection()))
}

// A saved record is never silently wrong: altered data, a record under
// another interaction's key or with another version is an error wrapping
// ErrCorruptLog when the read model is loaded. A Projection made without
// history.WithSnapshots cannot be saved (ErrBadInput), nor can a name or
// an interaction ID that PostgreSQL text cannot hold.
func TestHistoryReadModelRefusesWhatDoesNotReadBack(t *testing.T) {
	s := newSchema(t)
	pool := s.pool(t, nil)
	st := newStore(t, pool)
	d := newHistoryDesk(t, st, "h-")
	first, second := d.story(), d.story()
	f, err := st.FollowHistory(ctx, "history")
	require.NoError(t, err)
	catchUpHistory(t, f)
	require.NoError(t, f.Save(ctx))
	_, err = st.LoadHistory(ctx, "history")
	require.NoError(t, err)

	for _, alter := range []string{
		`UPDATE chatconsult_history SET data = set_byte(data, 20, get_byte(data, 20) # 1) WHERE interaction = $1`,
		`UPDATE chatconsult_history SET data = substr(data, 1, length(data) - 1) WHERE interaction = $1`,
		`UPDATE chatconsult_history SET version = version + 1 WHERE interaction = $1`,
		`UPDATE chatconsult_history h SET data = (SELECT data FROM chatconsult_history WHERE interaction = '` + string(second) + `') WHERE interaction = $1`,
	} {
		_, err := pool.Exec(ctx, alter, string(first))
		require.NoError(t, err)
		_, err = st.LoadHistory(ctx, "history")
		require.ErrorIs(t, err, interaction.ErrCorruptLog, alter)
		_, err = st.FollowHistory(ctx, "history")
		require.ErrorIs(t, err, interaction.ErrCorruptLog, alter)
		// Put it right: save it again from position 0.
		_, err = pool.Exec(ctx, `DELETE FROM chatconsult_history; DELETE FROM chatconsult_checkpoints`)
		require.NoError(t, err)
		f, err = st.FollowHistory(ctx, "history")
		require.NoError(t, err)
		catchUpHistory(t, f)
		require.NoError(t, f.Save(ctx))
	}

	plain := history.New()
	_, _, err = st.SaveHistory(ctx, "plain", plain, 0, 0)
	require.ErrorIs(t, err, interaction.ErrBadInput)
	_, err = st.FollowHistory(ctx, "bad\x00name")
	require.ErrorIs(t, err, interaction.ErrBadInput)
	odd := history.New(history.WithSnapshots())
	_ = odd.Apply(interaction.Event{Interaction: "bad\xffid", Version: 1, Type: interaction.EventOpened, Party: "c0", Actor: "c0", Time: chatconsulttest.Epoch})
	_, _, err = st.SaveHistory(ctx, "odd", odd, 0, 0)
	require.ErrorIs(t, err, interaction.ErrBadInput)
	ids := []string{}
	for id := range historyRows(t, pool, "history") {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	assert.Equal(t, []string{string(first), string(second)}, ids)
}
