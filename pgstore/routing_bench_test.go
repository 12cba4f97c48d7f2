package pgstore_test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatconsult/chatconsult/interaction"
	"github.com/chatconsult/chatconsult/routing"
)

// BenchmarkRoutingPickHold: Directory.Pick on the PostgreSQL routing
// store (issue 14), from 1, 8 and 64 concurrent callers of one Directory:
// each pick ranks the cached agents in memory and takes its unit with the
// Store's one conditional UPDATE (a commit); ns/op is per pick, picks/s
// the throughput. Next to it, in the same run, pgbench's simple-update at
// the same client counts (tps). 1,000 agents with the skill, capacity
// large enough never to refuse. Run with
//
//	bash scripts/with-postgres.sh bash -c 'cd pgstore && go test -run "^$" -bench RoutingPickHold -benchtime 2000x'
func BenchmarkRoutingPickHold(b *testing.B) {
	for _, clients := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("pick-hold/clients=%d", clients), func(b *testing.B) { benchPickHold(b, clients) })
		b.Run(fmt.Sprintf("pgbench-simple-update/clients=%d", clients), func(b *testing.B) { benchPgbenchClients(b, clients) })
	}
}

func benchPickHold(b *testing.B, clients int) {
	s := newSchema(b)
	cfg := s.config(b)
	cfg.MaxConns = int32(min(clients, 32))
	pool := s.pool(b, cfg)
	rs, err := newRoutingStoreOn(pool)
	require.NoError(b, err)
	dir := routing.NewDirectory(routing.WithStore(rs), routing.WithHoldTTL(time.Hour))
	for i := range 1000 {
		id := interaction.PartyID(fmt.Sprintf("agent%04d", i))
		require.NoError(b, dir.PutContext(ctx, routing.Agent{ID: id, Skills: map[string]int{"billing": 1},
			Capacity: routing.Capacity{interaction.MediumChat: 1 << 30}}))
		require.NoError(b, dir.SetPresence(ctx, id, routing.Ready))
	}
	target := interaction.Target{Kind: interaction.TargetSkill, ID: "billing"}
	var next atomic.Int64
	errs := make(chan error, clients)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := dir.Pick(ctx, target, interaction.MediumChat, nil); err != nil {
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
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "picks/s")
}

// benchPgbenchClients is pgbench -N with clients clients, b.N transactions.
func benchPgbenchClients(b *testing.B, clients int) {
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
	perClient := (b.N + clients - 1) / clients
	b.StartTimer()
	out := run("-n", "-N", "-c", strconv.Itoa(clients), "-j", "2", "-t", strconv.Itoa(perClient))
	b.StopTimer()
	m := tpsLine.FindStringSubmatch(out)
	require.NotNil(b, m, "no tps in pgbench output: %s", out)
	tps, err := strconv.ParseFloat(m[1], 64)
	require.NoError(b, err)
	b.ReportMetric(tps, "tps")
}
