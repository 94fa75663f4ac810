#!/usr/bin/env bash
# Interop with Respan's own gateway software: respan-gateway (PyPI, a native
# gateway in a Python wheel) in front of respan's offline gateway and of a
# fault-injecting upstream, all on 127.0.0.1.
#
#   bash scripts/interop.sh
#
# 1. a venv under target/ with respan-gateway==$RG_VERSION from PyPI (reused
#    while it holds that version); if pip cannot install it (no index, no
#    wheel for this platform) the script says so once and exits 0;
# 2. respan's offline gateway (`--example offline_gateway`), the fault
#    upstream (scripts/interop_upstream.py) and respan-gateway, each on a free
#    127.0.0.1 port; respan-gateway routes `echo*`/`fault-*` to the fault
#    upstream, `unreachable*` to a closed port, any other model to the offline
#    gateway, and requires a client key;
# 3. the support, prompts, respan_params, tools and streaming examples
#    through respan-gateway: each one's output must equal its output against the
#    offline gateway directly (the offline gateway echoes the Respan params
#    and prompt it received), except what respan-gateway is known to drop
#    (the X-Data-Respan-Params header);
# 4. `respan run` (streamed) of workflows/support.toml and respan_params.toml
#    through respan-gateway: stdout and stderr as they are directly;
# 5. tests/interop.rs (`#[ignore]`d, run here with --ignored): what reaches
#    the upstream, typed errors for upstream 429/5xx/400, an unreachable
#    upstream (502), a bad body (400), a wrong key (401), and streamed runs.
#
# Every wait is bounded and every process started here is stopped on exit.
# Nothing listens or connects beyond 127.0.0.1 (pip aside).
set -euo pipefail

RG_VERSION=0.3.0
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
VENV=$TARGET/interop/venv-$RG_VERSION
EXAMPLES=(support prompts respan_params tools streaming)
UPSTREAM_KEY=interop-upstream-key # must match tests/interop.rs
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
export CARGO_TERM_COLOR=never

say() { printf 'interop: %s\n' "$*"; }
fail() {
    printf 'interop: FAILED: %s\n' "$*" >&2
    exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/respan-interop.XXXXXX")
PIDS=()
stop() { # stop PID: TERM, then KILL after 5 s
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local status=$? pid log
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do stop "$pid"; done
    if ((status != 0)); then
        for log in "$WORK"/*.log; do
            [[ -s $log ]] || continue
            printf '\n--- %s (last 20 lines)\n' "${log##*/}" >&2
            tail -n 20 "$log" >&2
        done
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_for FILE REGEX SECONDS PID WHAT: until FILE has a line matching REGEX.
wait_for() {
    local file=$1 regex=$2 seconds=$3 pid=$4 what=$5 i
    for ((i = 0; i < seconds * 10; i++)); do
        grep -Eq "$regex" "$file" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || fail "$what exited before it was ready"
        sleep 0.1
    done
    fail "$what not ready within ${seconds} s"
}

START=$SECONDS

# --- 1. respan-gateway in a venv ------------------------------------------------
PY=$VENV/bin/python
RG=$VENV/bin/respan-gateway
if [[ -x $RG ]] && "$RG" --version 2>/dev/null | grep -qx "respan-gateway $RG_VERSION"; then
    say "respan-gateway $RG_VERSION already installed in $VENV"
else
    rm -rf "$VENV"
    mkdir -p "${VENV%/*}"
    python3 -m venv "$VENV" >"$WORK/venv.log" 2>&1 ||
        fail "python3 -m venv $VENV failed (install python3 and python3-venv): $(tail -n 3 "$WORK/venv.log")"
    say "installing respan-gateway==$RG_VERSION from PyPI into $VENV"
    if ! timeout 300 "$PY" -m pip install --disable-pip-version-check --no-input --quiet \
        --timeout 30 --only-binary respan-gateway "respan-gateway==$RG_VERSION" \
        >"$WORK/pip.out" 2>&1; then
        why=$(grep -E '^ERROR' "$WORK/pip.out" | tail -n 1 || true)
        [[ -n $why ]] || why=$(tail -n 1 "$WORK/pip.out")
        rm -rf "$VENV"
        say "SKIPPED: pip could not install respan-gateway==$RG_VERSION (no access to PyPI, or no wheel for $(uname -sm) with $(python3 -V 2>&1)): ${why:-pip failed}; nothing was checked"
        exit 0
    fi
    "$RG" --version 2>/dev/null | grep -qx "respan-gateway $RG_VERSION" ||
        fail "$RG --version does not say respan-gateway $RG_VERSION"
fi

# --- 2. builds, then the three servers -----------------------------------------
say "building the examples, tests/interop.rs and the respan CLI"
timeout 1800 cargo build -q --example offline_gateway "${EXAMPLES[@]/#/--example=}" --test interop ||
    fail "cargo build failed"
timeout 1800 cargo build -q -p respan-cli || fail "cargo build -p respan-cli failed"

# The fault upstream (stdlib Python), on a port of its choosing.
"$PY" scripts/interop_upstream.py "$WORK/upstream.port" 2>"$WORK/upstream.log" &
PIDS+=($!)
wait_for "$WORK/upstream.port" '^[0-9]+$' 10 "${PIDS[-1]}" "the fault upstream"
UPSTREAM_URL=http://127.0.0.1:$(<"$WORK/upstream.port")/v1

# respan's offline gateway as a server (the built example, so that its pid is the server's).
"$TARGET/debug/examples/offline_gateway" 127.0.0.1:0 >"$WORK/offline.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/offline.log" 'RESPAN_BASE_URL=http://127\.0\.0\.1:[0-9]+/api' 20 "${PIDS[-1]}" "the offline gateway"
OFFLINE_URL=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+/api' "$WORK/offline.log" | head -n 1)

# A port nothing listens on: bound, then closed.
CLOSED_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

CLIENT_KEY=interop-client-$$-$RANDOM$RANDOM
cat >"$WORK/gateway.toml" <<EOF
# respan-gateway for scripts/interop.sh: everything on 127.0.0.1.
listen = "127.0.0.1:0"
log = "text"
ui = false
shutdown_grace = "1s"
client_keys = ["$CLIENT_KEY"]

[network]
proxy = false

[providers.offline]
formats = { "openai-chat" = "$OFFLINE_URL" }
key = "$UPSTREAM_KEY"

[providers.faults]
formats = { "openai-chat" = "$UPSTREAM_URL" }
key = "$UPSTREAM_KEY"

[providers.closed]
formats = { "openai-chat" = "http://127.0.0.1:$CLOSED_PORT/v1" }
key = "$UPSTREAM_KEY"

[routes."echo*"]
to = "faults"

[routes."fault-*"]
to = "faults"

[routes."unreachable*"]
to = "closed"

[plugins.routing]
default = "offline"
listings = false
EOF

# A clean environment (no provider keys, proxies or RESPAN_* settings of the
# caller's), in a directory of its own (it reads the nearest .env file).
(cd "$WORK" && exec env -i PATH="$PATH" HOME="$WORK" LANG=C.UTF-8 \
    "$RG" --config gateway.toml --listen 127.0.0.1:0 --log text --color never) \
    >"$WORK/respan-gateway.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/respan-gateway.log" 'listening on 127\.0\.0\.1:[0-9]+' 30 "${PIDS[-1]}" "respan-gateway"
GW_PORT=$(grep -Eo 'listening on 127\.0\.0\.1:[0-9]+' "$WORK/respan-gateway.log" | head -n 1 | cut -d: -f2)
GW_URL=http://127.0.0.1:$GW_PORT/api
"$PY" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5).read()' \
    "http://127.0.0.1:$GW_PORT/healthz" || fail "respan-gateway's /healthz did not answer"
say "ready: respan-gateway $GW_URL -> offline gateway $OFFLINE_URL, fault upstream $UPSTREAM_URL, closed port $CLOSED_PORT"

# --- 3. the examples, directly and through respan-gateway -------------------------
run_example() { # run_example NAME BASE_URL KEY OUT
    RESPAN_BASE_URL=$2 RESPAN_API_KEY=$3 timeout 120 cargo run -q --example "$1" >"$4" 2>"$4.err" ||
        fail "example $1 against $2 failed: $(cat "$4.err" "$4")"
}
routed_before=$(grep -c ' → offline ' "$WORK/respan-gateway.log" || true)
for example in "${EXAMPLES[@]}"; do
    run_example "$example" "$OFFLINE_URL" direct "$WORK/$example.direct"
    run_example "$example" "$GW_URL" "$CLIENT_KEY" "$WORK/$example.via"
done
routed=$(($(grep -c ' → offline ' "$WORK/respan-gateway.log" || true) - routed_before))
((routed >= ${#EXAMPLES[@]})) ||
    fail "respan-gateway logged $routed requests to the offline gateway, expected one per example at least"

# What each example must show (directly), so that the comparison below means something.
expect() { # expect EXAMPLE TEXT
    grep -qF -- "$2" "$WORK/$1.direct" || fail "example $1 did not print: $2"$'\n'"$(cat "$WORK/$1.direct")"
}
PROMPT='{"prompt_id":"YOUR_PROMPT_ID","schema_version":2,"variables":{"task":"answer questions concisely"}}'
HEADER_ECHO=" Received prompt in the X-Data-Respan-Params header: $PROMPT."
expect support "Handoff: Triage Agent -> Technical Agent"
expect support "[respan offline gateway · model gpt-4o · agent Technical Agent]"
expect prompts "Received prompt in the body: $PROMPT."
expect prompts "Received Respan params in respan_params: customer_identifier=\"user_123\"; prompt in respan_params: $PROMPT."
expect prompts "$HEADER_ECHO"
expect respan_params 'Received Respan params in respan_params: customer_identifier="user_123", metadata={"env":"production"}.'
expect tools '⚙ lookup_invoice {"invoice_id":"INV-42"}'
expect tools "Handled by: Billing Agent"
expect streaming "→ Technical Agent"
expect streaming "[respan offline gateway · model gpt-4o · agent Technical Agent]"
expect streaming "Technical Agent: 1 request(s), "

for example in "${EXAMPLES[@]}"; do
    expected=$WORK/$example.direct
    if [[ $example == prompts ]]; then
        # respan-gateway does not forward the X-Data-Respan-Params header, so the
        # offline gateway does not see the prompt sent there.
        expected=$WORK/prompts.expected
        HEADER_ECHO=$HEADER_ECHO "$PY" -c 'import os, sys; sys.stdout.write(sys.stdin.read().replace(os.environ["HEADER_ECHO"], ""))' \
            <"$WORK/prompts.direct" >"$expected"
    fi
    diff -u "$expected" "$WORK/$example.via" >"$WORK/$example.diff" ||
        fail "example $example: through respan-gateway the output differs:"$'\n'"$(cat "$WORK/$example.diff")"
    say "ok: $example through respan-gateway prints what it prints directly$([[ $example == prompts ]] && echo ', minus the X-Data-Respan-Params prompt (header dropped)')"
done

# --- 4. `respan run` (the CLI streams the answer), directly and through respan-gateway
# Each run's stdout (the streamed text) and stderr (handoffs, usage) must be the same.
run_cli() { # run_cli NAME BASE_URL KEY OUT FILE INPUT
    RESPAN_BASE_URL=$2 RESPAN_API_KEY=$3 timeout 120 \
        cargo run -q -p respan-cli -- run --color never "$5" "$6" >"$4" 2>"$4.err" ||
        fail "respan run $5 against $2 failed: $(cat "$4.err" "$4")"
}
CLI_RUNS=(
    "support|workflows/support.toml|I'm having trouble connecting to the API."
    "params|workflows/respan_params.toml|Hello! Which customer am I?"
)
for spec in "${CLI_RUNS[@]}"; do
    IFS='|' read -r name file input <<<"$spec"
    run_cli "$name" "$OFFLINE_URL" direct "$WORK/run-$name.direct" "$file" "$input"
    run_cli "$name" "$GW_URL" "$CLIENT_KEY" "$WORK/run-$name.via" "$file" "$input"
    for stream in "" .err; do
        diff -u "$WORK/run-$name.direct$stream" "$WORK/run-$name.via$stream" >"$WORK/run-$name.diff" ||
            fail "respan run $file: through respan-gateway the output differs:"$'\n'"$(cat "$WORK/run-$name.diff")"
    done
done
grep -qF "[respan offline gateway · model gpt-4o · agent Technical Agent]" "$WORK/run-support.via" ||
    fail "respan run workflows/support.toml did not print the technical agent's answer: $(cat "$WORK/run-support.via")"
grep -qxF "→ Technical Agent" "$WORK/run-support.via.err" ||
    fail "respan run workflows/support.toml did not report the handoff: $(cat "$WORK/run-support.via.err")"
grep -qF 'Received Respan params in respan_params: customer_identifier="user_123", metadata={"env":"production"}.' "$WORK/run-params.via" ||
    fail "respan run workflows/respan_params.toml: the params did not reach the offline gateway: $(cat "$WORK/run-params.via")"
say "ok: respan run (streamed) of support.toml and respan_params.toml through respan-gateway prints what it prints directly"

# --- 5. tests/interop.rs: what reaches the upstream, typed errors, streaming -------
say "running tests/interop.rs (ignored tests) through respan-gateway"
if ! RESPAN_INTEROP_URL=$GW_URL RESPAN_INTEROP_KEY=$CLIENT_KEY RESPAN_INTEROP_UPSTREAM=$UPSTREAM_URL \
    timeout 300 cargo test -q --test interop -- --ignored >"$WORK/tests.out" 2>&1; then
    cat "$WORK/tests.out" >&2
    fail "tests/interop.rs"
fi
grep -E '^test result:' "$WORK/tests.out" | sed 's/^/interop: /'

say "all checks passed in $((SECONDS - START)) s"
