#!/usr/bin/env bash
# Durable runs on a real Restate server (TESTING.md, "Durable runs on Restate").
#
#   bash scripts/restate.sh
#
# 1. @restatedev/restate-server@$RESTATE_VERSION from npm into target/ (reused
#    while it holds that version; the server is a binary inside the package);
#    if npm cannot install it, the script says so once and exits 0;
# 2. respan-restate's tests/restate.rs with RESTATE_SERVER_BIN set: it starts
#    the server on free 127.0.0.1 ports with a temporary data dir, starts the
#    service (the support_tools workflow) and registers it, starts a run through
#    the ingress, kills the service in the middle of a tool call, restarts it,
#    and checks the run completes with a plain run's answer, each model request
#    sent once, and a completed tool call not run again.
#
# The test runs in its own network namespace when `unshare` can make one (as
# root in CI): only a loopback interface, so nothing, the server's own release
# check included, reaches beyond 127.0.0.1; and in its own PID namespace, so
# every process it started ends with it. Bounded: the test waits at most 60 s
# for each step, the whole at most $TIMEOUT s.
set -euo pipefail

RESTATE_VERSION=1.7.12
TIMEOUT=300
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
PREFIX=$TARGET/restate-server-$RESTATE_VERSION
SERVER=$PREFIX/node_modules/@restatedev/restate-server-linux-x64/bin/restate-server
export CARGO_TERM_COLOR=never

say() { printf 'restate: %s\n' "$*"; }

if [[ $(uname -sm) != "Linux x86_64" ]]; then
    say "skipped: the script installs the linux-x64 server package; on $(uname -sm) run tests/restate.rs with RESTATE_SERVER_BIN=<restate-server>"
    exit 0
fi
if [[ ! -x $SERVER ]]; then
    mkdir -p "$PREFIX"
    # SCARF_ANALYTICS: the package's install-time analytics stay off.
    if ! (cd "$PREFIX" && SCARF_ANALYTICS=false timeout 300 npm install --no-audit --no-fund \
        --no-save --loglevel=error "@restatedev/restate-server@$RESTATE_VERSION" >npm.log 2>&1) ||
        [[ ! -x $SERVER ]]; then
        say "skipped: npm could not install @restatedev/restate-server@$RESTATE_VERSION (see $PREFIX/npm.log)"
        exit 0
    fi
fi
say "server: $("$SERVER" --version)"

# Build first (cargo may need the registry), then run the test binary alone.
BUILD_LOG=$(mktemp)
trap 'rm -f "$BUILD_LOG"' EXIT
cargo test -p respan-restate --test restate --no-run 2>&1 | tee "$BUILD_LOG" >&2
TEST_BIN=$(sed -n 's/.*Executable tests\/restate\.rs (\(.*\))$/\1/p' "$BUILD_LOG" | tail -1)
case $TEST_BIN in /*) ;; *) TEST_BIN=$ROOT/$TEST_BIN ;; esac
[[ -x $TEST_BIN ]] || { say "FAILED: no test binary in cargo's output"; exit 1; }

export RESTATE_SERVER_BIN=$SERVER
# RESPAN_RESTATE_UNSHARE=0 runs without namespaces (as a user who cannot make them).
if [[ ${RESPAN_RESTATE_UNSHARE:-1} != 0 ]] && unshare --net --pid --fork --kill-child true 2>/dev/null; then
    say "in a network namespace of its own (loopback only)"
    timeout --kill-after=10 "$TIMEOUT" unshare --net --pid --fork --kill-child \
        sh -c 'ip link set lo up 2>/dev/null || ifconfig lo up; exec "$0"' "$TEST_BIN"
else
    say "without namespaces: the server's release check may try the network"
    # A process group of its own (the test, the server, the services), stopped
    # on exit whatever happens, and after $TIMEOUT s at the latest.
    setsid "$TEST_BIN" &
    PID=$!
    trap 'kill -KILL -- -"$PID" 2>/dev/null || true; rm -f "$BUILD_LOG"' EXIT
    (sleep "$TIMEOUT" && kill -TERM -- -"$PID" 2>/dev/null) &
    WATCHDOG=$!
    STATUS=0
    wait "$PID" || STATUS=$?
    kill "$WATCHDOG" 2>/dev/null || true
    exit "$STATUS"
fi
