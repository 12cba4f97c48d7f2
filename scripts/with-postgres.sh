#!/usr/bin/env bash
# with-postgres.sh — run a command against a throw-away PostgreSQL server.
#
# Usage: scripts/with-postgres.sh <command> [args...]
#   e.g. scripts/with-postgres.sh go test ./...
#
# What it does:
#   1. Installs Debian's `postgresql` package if no server binaries are found
#      under /usr/lib/postgresql/*/bin (needs root + network). If that is not
#      possible it prints "SKIP: PostgreSQL not available" to stderr and runs
#      the command WITHOUT DATABASE_URL, so database tests skip themselves.
#   2. Starts a private server (initdb + pg_ctl, run as the `postgres` user):
#      temporary data directory, a free port on 127.0.0.1, its own unix socket
#      directory, trust auth, superuser `postgres`, fsync on. Creates the
#      database `chatconsult`.
#   3. Runs the command with these variables exported:
#        DATABASE_URL=postgres://postgres@127.0.0.1:<port>/chatconsult?sslmode=disable
#        PGHOST=127.0.0.1 PGPORT=<port> PGUSER=postgres PGDATABASE=chatconsult
#        PG_BIN=<dir with pg_ctl, pgbench, psql, ... of the server version>
#               (not on PATH; symlinks to the real binaries except pg_ctl,
#               see below; PG_BIN_REAL is the real directory)
#        PG_DATA=<data directory>  PG_CTL_USER=<OS user owning the server>
#        PG_LOG=<server log file>  PG_SOCKET_DIR=<unix socket directory>
#   4. Always (success, failure, Ctrl-C) stops the server and deletes the
#      temporary directory; exits with the command's exit status. (Ctrl-C
#      reaches the whole process group at once; a TERM/HUP sent only to this
#      script takes effect, with cleanup, once the command has exited.)
#
# How a (fault-injection) test restarts the server:
#     runuser -u "$PG_CTL_USER" -- "$PG_BIN/pg_ctl" -D "$PG_DATA" restart -m fast -w
# (when the script did not run as root, PG_CTL_USER is the current user and
# runuser is not needed: "$PG_BIN/pg_ctl" -D "$PG_DATA" restart -m fast -w).
# Port, listen address and socket directory live in $PG_DATA/postgresql.conf
# (and are also passed via pg_ctl -o), so restart — and even a separate
# `pg_ctl stop` / `pg_ctl start` — brings the server back on the same port.
# $PG_BIN/pg_ctl is a tiny wrapper that adds `-l "$PG_LOG"` to start/restart:
# without -l the restarted server would inherit the caller's stdout/stderr and
# keep them open (a Go test using exec.Cmd.CombinedOutput would hang until the
# server exits). If you call $PG_BIN_REAL/pg_ctl directly, pass -l "$PG_LOG".
#
# Environment knobs (optional):
#   WITH_POSTGRES_ROOT   where to look for versions (default /usr/lib/postgresql)
#   WITH_POSTGRES_PORT   first port to try (default 54329)
#   WITH_POSTGRES_CONF   extra postgresql.conf lines, e.g. for evidence runs
#                        "shared_preload_libraries = 'pg_stat_statements'"
#                        (benchmarks compared with pgbench run without it)

set -euo pipefail

readonly PG_ROOT="${WITH_POSTGRES_ROOT:-/usr/lib/postgresql}"
readonly FIRST_PORT="${WITH_POSTGRES_PORT:-54329}"
readonly DB_NAME="chatconsult"
readonly START_TIMEOUT=60

log() { printf 'with-postgres: %s\n' "$*" >&2; }

if [ "$#" -eq 0 ]; then
    echo "usage: $0 <command> [args...]" >&2
    exit 2
fi

# --- 1. find (or install) the server binaries ------------------------------

find_pg_bin() {
    local candidates=() f
    for f in "$PG_ROOT"/*/bin/initdb; do
        [ -x "$f" ] && candidates+=("$(dirname "$f")")
    done
    [ "${#candidates[@]}" -gt 0 ] || return 1
    # highest major version wins
    printf '%s\n' "${candidates[@]}" | sort -V | tail -n 1
}

install_pg() {
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        log "cannot install postgresql (need root and apt-get)"
        return 1
    fi
    log "PostgreSQL server binaries not found; installing Debian package 'postgresql'..."
    # Keep the package's own 'main' cluster from being started by the
    # maintainer scripts (no stray server on 5432): temporary policy-rc.d.
    local policy=/usr/sbin/policy-rc.d created_policy=0 rc=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && created_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get update -qq >&2; then
        rc=1
    elif ! apt-get install -y -qq --no-install-recommends postgresql >&2; then
        rc=1
    fi
    if [ "$created_policy" -eq 1 ]; then rm -f "$policy"; fi
    return "$rc"
}

PG_BIN_DIR="$(find_pg_bin || true)"
if [ -z "$PG_BIN_DIR" ]; then
    if install_pg; then
        PG_BIN_DIR="$(find_pg_bin || true)"
    fi
fi
if [ -z "$PG_BIN_DIR" ]; then
    {
        echo "################################################################"
        echo "## SKIP: PostgreSQL not available"
        echo "## (no server binaries in $PG_ROOT/*/bin and installing them failed)."
        echo "## Running the command WITHOUT DATABASE_URL; DB tests will skip."
        echo "################################################################"
    } >&2
    unset DATABASE_URL
    status=0
    "$@" || status=$?
    exit "$status"
fi

# --- 2. start a throw-away server -------------------------------------------

if [ "$(id -u)" -eq 0 ]; then
    PG_OS_USER=postgres
    if ! id "$PG_OS_USER" >/dev/null 2>&1; then
        log "running as root but OS user 'postgres' does not exist"
        exit 1
    fi
    as_pg() { runuser -u "$PG_OS_USER" -- "$@"; }
else
    PG_OS_USER="$(id -un)"
    as_pg() { "$@"; }
fi

TMP_DIR="$(mktemp -d "${TMPDIR:-/tmp}/with-postgres.XXXXXX")"
DATA_DIR="$TMP_DIR/data"
SOCK_DIR="$TMP_DIR/sock"
BIN_DIR="$TMP_DIR/bin"
LOG_FILE="$TMP_DIR/server.log"      # server output (pg_ctl -l), owned by postgres
STARTUP_LOG="$TMP_DIR/startup.log"  # initdb/pg_ctl/createdb output (written by us)

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [ -f "$DATA_DIR/postmaster.pid" ]; then
        if ! as_pg "$PG_BIN_DIR/pg_ctl" -D "$DATA_DIR" stop -m fast -w -t 30 >/dev/null 2>&1; then
            as_pg "$PG_BIN_DIR/pg_ctl" -D "$DATA_DIR" stop -m immediate -w -t 30 >/dev/null 2>&1 || {
                # last resort: kill the postmaster by pid
                local pid
                pid="$(head -n 1 "$DATA_DIR/postmaster.pid" 2>/dev/null || true)"
                if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
            }
        fi
    fi
    rm -rf "$TMP_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

mkdir -p "$SOCK_DIR" "$BIN_DIR"
chmod 755 "$TMP_DIR"
# PG_BIN for tests: symlinks to the real binaries, plus a pg_ctl wrapper that
# always logs to $LOG_FILE on start/restart (see header comment).
for f in "$PG_BIN_DIR"/*; do
    ln -s "$f" "$BIN_DIR/$(basename "$f")"
done
rm -f "$BIN_DIR/pg_ctl"
cat >"$BIN_DIR/pg_ctl" <<EOF
#!/bin/sh
# generated by scripts/with-postgres.sh: add -l for start/restart (a later -l wins)
for a in "\$@"; do
    case "\$a" in
    start | restart) exec '$PG_BIN_DIR/pg_ctl' -l '$LOG_FILE' "\$@" ;;
    esac
done
exec '$PG_BIN_DIR/pg_ctl' "\$@"
EOF
chmod 755 "$BIN_DIR/pg_ctl"
if [ "$(id -u)" -eq 0 ]; then
    chown -R "$PG_OS_USER:" "$TMP_DIR"
fi

dump_logs() {
    local f
    for f in "$STARTUP_LOG" "$LOG_FILE"; do
        [ -s "$f" ] || continue
        echo "----- $f -----" >&2
        cat "$f" >&2
    done
}

port_in_use() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Htanl "sport = :$port" 2>/dev/null)" ]
    else
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

pick_port() {
    local port
    for ((port = FIRST_PORT; port < FIRST_PORT + 500; port++)); do
        if ! port_in_use "$port"; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

if ! as_pg "$PG_BIN_DIR/initdb" -D "$DATA_DIR" -U postgres --auth=trust \
    -E UTF8 --locale=C --no-instructions >"$STARTUP_LOG" 2>&1; then
    log "initdb failed"
    dump_logs
    exit 1
fi

started=0
for attempt in 1 2 3; do
    PORT="$(pick_port)" || { log "no free port found from $FIRST_PORT"; exit 1; }
    # Settings in postgresql.conf survive restart and stop/start done by tests.
    cat >>"$DATA_DIR/postgresql.conf" <<EOF

# --- added by scripts/with-postgres.sh (later lines win) ---
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK_DIR'
fsync = on
${WITH_POSTGRES_CONF:-}
EOF
    if as_pg "$PG_BIN_DIR/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t "$START_TIMEOUT" \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k '$SOCK_DIR'" start >>"$STARTUP_LOG" 2>&1; then
        started=1
        break
    fi
    log "server start on port $PORT failed (attempt $attempt)"
    # stop anything half-started before retrying
    as_pg "$PG_BIN_DIR/pg_ctl" -D "$DATA_DIR" stop -m immediate -w >/dev/null 2>&1 || true
done
if [ "$started" -ne 1 ]; then
    log "could not start PostgreSQL"
    dump_logs
    exit 1
fi

ready=0
for ((i = 0; i < START_TIMEOUT * 2; i++)); do
    if "$PG_BIN_DIR/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres; then
        ready=1
        break
    fi
    sleep 0.5
done
if [ "$ready" -ne 1 ]; then
    log "server did not become ready within ${START_TIMEOUT}s"
    dump_logs
    exit 1
fi

if ! "$PG_BIN_DIR/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB_NAME" >>"$STARTUP_LOG" 2>&1; then
    log "createdb $DB_NAME failed"
    dump_logs
    exit 1
fi

# --- 3. run the command -------------------------------------------------------

export DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/$DB_NAME?sslmode=disable"
export PGHOST=127.0.0.1
export PGPORT="$PORT"
export PGUSER=postgres
export PGDATABASE="$DB_NAME"
export PG_BIN="$BIN_DIR"
export PG_BIN_REAL="$PG_BIN_DIR"
export PG_DATA="$DATA_DIR"
export PG_CTL_USER="$PG_OS_USER"
export PG_LOG="$LOG_FILE"
export PG_SOCKET_DIR="$SOCK_DIR"
unset PGPASSWORD PGSERVICE PGSSLMODE PGHOSTADDR

log "PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}') ready: $DATABASE_URL (data $PG_DATA)"

# --- 4. cleanup happens in the EXIT trap ----------------------------------------
status=0
"$@" || status=$?
exit "$status"
