#!/usr/bin/env bash
# Runs every test of the project, the way CI does: bash scripts/test.sh
# It installs what the tests need when it is missing (Debian's chromium for
# the browser test, PostgreSQL for the pgstore adapter; you need root and
# network for that) and skips those parts loudly where it cannot.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "gofmt"
unformatted=$(gofmt -l . | grep -v '^vendor/' || true)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "go test -race (core module: every package, example, fuzz seed corpus, >=1000 model stories)"
go test -race -count=1 ./...

step "memory budget: an idle interaction with 10 messages holds at most 8 KiB (skipped under -race above)"
go test -count=1 -run '^TestIdleInteractionHeap$' -v ./interaction | grep -E '^(---|ok|FAIL)|heap per'

step "consultation model test over 10,000 random stories (issue 3)"
go test -count=1 ./consult -run '^TestModel$' -rapid.checks=10000

step "two instances on one Store with restarts and time-outs, 1,000 random stories: no fork, no double winner, no lost deadline (issue 13)"
go test -count=1 ./chatconsulttest -run '^TestSimulatorMultiInstanceRX1$' -v | grep -E '^(---|ok|FAIL|PASS)'

step "privacy property over 10,000 random stories: every read path of every party (issue 12)"
go test -count=1 ./chatconsulttest -run '^TestPrivacyProperty$' -v | grep -E '^(---|ok|FAIL|PASS)'

step "OpenTelemetry metrics adapter (otelmetrics module), read back through the SDK's ManualReader"
(cd otelmetrics && go vet ./... && go test -race -count=1 ./...)

step "browser agent desk in headless Chromium"
if ! command -v chromium >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "!! could not install chromium: the desk browser test will SKIP"
fi
(cd examples/desk/e2e && go vet ./... && go test -count=1 -v ./...)

step "PostgreSQL Store and Notifier (pgstore module) against a throw-away server"
# with-postgres.sh installs PostgreSQL from Debian when missing, starts a server on a loopback
# port with a temporary data directory, runs the command, and stops it; without PostgreSQL the
# database tests skip with a SKIP: message. pgstore/examples/server is vetted and built there.
# BenchmarkAppendFloor runs a few iterations too, so that the statements it weighs stay accepted.
bash scripts/with-postgres.sh bash -c 'cd pgstore && go vet ./... && go test -race -count=1 ./... && go test -count=1 -run "^$" -bench "^BenchmarkAppendFloor$" -benchtime 20x .'
