package pgstore_test

// BenchmarkPostgres measures issue 7's target on the real server: durable
// commands per second of the consultation story (the consult issue's
// story, 19 commands, run by Service.Do), against pgbench's simple-update
// transactions per second on the same server in the same run. Target:
// story ≥ 0.5 × pgbench. Figures and the exact command: BENCHMARKS.md.
//
// Every command is durable when Do returns: its transaction has committed
// with fsync on (scripts/with-postgres.sh), synchronous_commit on. The
// Store group-commits: the appends of concurrent commands (on different
// interactions) share one transaction. pgbench runs 8 clients, each
// transaction its own commit; the story runs many clients (agents on many
// chats), as a contact center does, on one Service.

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/chatconsulttest"
	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/internal/benchstory"
	"github.com/chatconsult/chatconsult/pgstore"
)

func BenchmarkPostgres(b *testing.B) {
	databaseURL(b)
	b.Run("pgbench-simple-update", benchPgbench)
	for _, v := range []struct {
		name    string
		clients int
		opts    []pgstore.Option
		relay   bool
	}{
		{"story-grouped-256clients", 256, nil, false},
		{"story-grouped-64clients", 64, nil, false},
		{"story-grouped-64clients-relay", 64, nil, true},
		{"story-grouped-8clients", 8, nil, false},
		{"story-grouped-1client", 1, nil, false},
		{"story-unbatched-64clients", 64, []pgstore.Option{pgstore.WithMaxBatch(1), pgstore.WithWriters(8)}, false},
	} {
		b.Run(v.name, func(b *testing.B) { benchStory(b, v.clients, v.relay, v.opts...) })
	}
	// Again at the end: the machine's load may have changed meanwhile.
	b.Run("pgbench-simple-update-again", benchPgbench)
}

// benchStory runs consultation stories from clients goroutines on one
// Service until b.N commands have run; ns/op is per command.
func benchStory(b *testing.B, clients int, relay bool, opts ...pgstore.Option) {
	s := newSchema(b)
	cfg := s.config(b)
	cfg.MaxConns = 16
	st := newStore(b, s.pool(b, cfg), opts...)
	listener := st.Listen()
	b.Cleanup(listener.Close)
	if relay {
		// Every event also goes to this instance's party notifier, as a
		// deployment with subscribers runs it.
		r := pgstore.NewRelay(listener, st, interaction.NewMemoryNotifier(), 0)
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = r.Run(runCtx) }()
		b.Cleanup(func() { cancel(); <-done })
	}
	svc := interaction.NewService(interaction.WithStore(st), interaction.WithNotifier(listener),
		interaction.WithIDs(chatconsulttest.NewSequentialIDs("b")))
	stories := (b.N + benchstory.Commands - 1) / benchstory.Commands
	var next atomic.Int64
	errs := make(chan error, clients)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(stories) {
				if _, err := benchstory.Consultation(ctx, svc); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(stories*benchstory.Commands)/elapsed.Seconds(), "cmds/s")
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// benchPgbench runs pgbench's simple-update script (-N) with 8 clients
// for b.N transactions against the same server; ns/op is per transaction.
func benchPgbench(b *testing.B) {
	bin := os.Getenv("PG_BIN")
	if bin == "" {
		b.Skip("SKIP: PG_BIN is not set (run through scripts/with-postgres.sh): no pgbench")
	}
	cfg := newSchema(b).config(b).ConnConfig
	env := append(os.Environ(), "PGHOST="+cfg.Host, "PGPORT="+strconv.Itoa(int(cfg.Port)), "PGUSER="+cfg.User, "PGDATABASE="+cfg.Database)
	run := func(args ...string) string {
		cmd := exec.Command(bin+"/pgbench", args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(b, err, "pgbench %v: %s", args, out)
		return string(out)
	}
	b.StopTimer()
	run("-i", "-q", "-s", "1")
	const clients = 8
	perClient := (b.N + clients - 1) / clients
	b.StartTimer()
	out := run("-n", "-N", "-c", strconv.Itoa(clients), "-j", "2", "-t", strconv.Itoa(perClient))
	b.StopTimer()
	m := tpsLine.FindStringSubmatch(out)
	require.NotNil(b, m, "no tps in pgbench output: %s", out)
	tps, err := strconv.ParseFloat(m[1], 64)
	require.NoError(b, err)
	b.ReportMetric(tps, "tps")
	b.ReportMetric(float64(clients*perClient)/float64(b.N), "txns/op")
}
