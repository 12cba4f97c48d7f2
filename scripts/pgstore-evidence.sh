#!/usr/bin/env bash
# pgstore-evidence.sh — where an append's time goes on PostgreSQL (issue 15).
#
# Usage: bash scripts/pgstore-evidence.sh [bench regexp] [benchtime]
#   default: 'BenchmarkPostgres/clients=(1|8)$' 5000x
#
# Starts a throw-away server (scripts/with-postgres.sh) with
# pg_stat_statements loaded and track_wal_io_timing on, runs the benchmark
# in pgstore/, and samples pg_stat_activity every 5 ms meanwhile. Prints:
# the wait events of the active client backends (what they were doing when
# sampled: CPU, waiting for a lock, for the WAL flush, for the client), the
# statements by total execution time on the server, and pg_stat_wal.
# These settings cost a little; the figures in BENCHMARKS.md come from
# runs without them.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH="${1:-BenchmarkPostgres/clients=(1|8)\$}"
TIME="${2:-5000x}"
export WITH_POSTGRES_CONF="shared_preload_libraries = 'pg_stat_statements'
track_wal_io_timing = on
pg_stat_statements.track = all"
export BENCH TIME
exec bash scripts/with-postgres.sh bash -c '
set -euo pipefail
PSQL="$PG_BIN/psql -X -q -At"
$PSQL -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
out=$(mktemp)
printf "%s\n" "SELECT coalesce(wait_event_type, '\''CPU'\'') || '\'':'\'' || coalesce(wait_event, '\''-'\'') FROM pg_stat_activity WHERE backend_type = '\''client backend'\'' AND state = '\''active'\'' AND pid <> pg_backend_pid() AND query NOT LIKE '\''LISTEN%'\''" "\\watch 0.005" | $PSQL >"$out" 2>/dev/null &
sampler=$!
$PSQL -c "SELECT pg_stat_statements_reset(), pg_stat_reset_shared('\''wal'\'')" >/dev/null
(cd pgstore && go test -run "^\$" -bench "$BENCH" -benchtime "$TIME" -count 1 .)
kill $sampler 2>/dev/null || true
wait $sampler 2>/dev/null || true
echo "== wait events of active client backends (5 ms samples; pgbench and story together) =="
grep -v "^\$" "$out" | sort | uniq -c | sort -rn | head -20
echo "== statements by total server time =="
$PSQL -F " | " -c "SELECT calls, round(mean_exec_time::numeric, 3) AS mean_ms, round(total_exec_time::numeric) AS total_ms, rows, left(regexp_replace(query, '\''\s+'\'', '\'' '\'', '\''g'\''), 110) FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 16"
echo "== pg_stat_wal =="
$PSQL -F " | " -c "SELECT wal_records, wal_fpi, wal_bytes, wal_write, wal_sync, round(wal_sync_time::numeric) AS wal_sync_ms FROM pg_stat_wal"
'
