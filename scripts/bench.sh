#!/usr/bin/env bash
# Benchmarks (issue #10; BENCHMARKS.md says what each figure means).
#
#   scripts/bench.sh           the run-time figures (~10 min on 2 cores once built): release
#                              builds, the fake gateway at 0 / 1 / 50 ms, respan vs the raw
#                              reqwest + serde_json loop vs the Python Agents SDK and raw `openai`
#                              client (a venv under the target dir, from PyPI), 10 000 concurrent
#                              runs, startup; then writes BENCHMARKS.md (with the build figures
#                              last measured by --build).
#   scripts/bench.sh --build   the build figures: the minimal app's clean build (--timings),
#                              incremental rebuild, release size (several minutes: a clean build).
#   scripts/bench.sh --quick   a smoke test of a few seconds (debug build, tiny counts, no
#                              Python, no build timing, BENCHMARKS.md untouched): .ci/run runs it.
#
# Raw results: $CARGO_TARGET_DIR/bench/results.jsonl (one JSON object per figure);
# respan-bench/report.py turns them into BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-full}"
case "$MODE" in full | --quick | --build) ;; *)
  echo "usage: scripts/bench.sh [--quick|--build]" >&2
  exit 2
  ;;
esac
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_TARGET_DIR="$TARGET"
OUT="$TARGET/bench"
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
# Build figures are kept across runs (one line per TLS provider measured; the latest wins).
BUILD_RESULTS="$OUT/build.jsonl"

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# Starts fakegw with a latency (ms); sets GW to its base URL.
start_gateway() {
  local url_file="$OUT/gateway-$1.url"
  : >"$url_file"
  "$BIN/fakegw" --latency-ms "$1" >"$url_file" &
  PIDS+=($!)
  for _ in $(seq 100); do
    [[ -s "$url_file" ]] && break
    sleep 0.05
  done
  GW="$(head -1 "$url_file")"
  [[ -n "$GW" ]] || { echo "fakegw did not start" >&2; exit 1; }
}

machine() {
  local cpu load
  cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  printf '{"kind":"machine","nproc":%s,"cpu":"%s","date":"%s","load":"%s","rustc":"%s","mode":"%s","commit":"%s"}\n' \
    "$(nproc)" "$cpu" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$load" "$(rustc --version)" "$1" \
    "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" >>"$RESULTS"
}

# The minimal app (respan default features): clean build, incremental rebuild
# after editing its workflow file, release binary size. User + system CPU too:
# other builds may load the machine.
build_figures() {
  local app=respan-bench/minimal-app dir="$OUT/minimal-app-target"
  rm -rf "$dir"
  # The workspace's versions (cargo adjusts the copy); fetch first, so the timing is compiling only.
  cp Cargo.lock "$app/Cargo.lock"
  (cd "$app" && CARGO_TARGET_DIR="$dir" cargo fetch -q)
  local load
  load="$(cut -d' ' -f1 /proc/loadavg)"
  /usr/bin/time -f '%e %U %S' -o "$OUT/clean.time" \
    env CARGO_TARGET_DIR="$dir" cargo build -q --manifest-path "$app/Cargo.toml" --timings
  local tls
  tls="$(grep -q 'rustls-no-provider' Cargo.toml && echo ring || echo aws-lc-rs)"
  cp "$dir"/cargo-timings/cargo-timing.html "$OUT/minimal-app-timing-$tls.html"
  # The slowest units of the clean build, from the --timings report's data.
  local top
  top="$(python3 - "$OUT/minimal-app-timing-$tls.html" <<'PY'
import json, re, sys
html = open(sys.argv[1]).read()
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);", html, re.S).group(1))
units.sort(key=lambda u: -u["duration"])
print(json.dumps([[u["name"] + ("" if u.get("target", "").strip() in ("", "(lib)") else u["target"]), round(u["duration"], 1)] for u in units[:6]]))
PY
)"
  touch "$app/workflows/app.toml"
  /usr/bin/time -f '%e %U %S' -o "$OUT/incr.time" \
    env CARGO_TARGET_DIR="$dir" cargo build -q --manifest-path "$app/Cargo.toml"
  env CARGO_TARGET_DIR="$dir" cargo build -q --release --manifest-path "$app/Cargo.toml"
  local size
  size="$(stat -c %s "$dir/release/respan-minimal-app")"
  read -r cw cu cs <"$OUT/clean.time"
  read -r iw iu is <"$OUT/incr.time"
  printf '{"kind":"build","tls":"%s","clean_wall_s":%s,"clean_user_s":%s,"clean_sys_s":%s,"incr_wall_s":%s,"incr_user_s":%s,"incr_sys_s":%s,"release_bytes":%s,"load_at_start":"%s","date":"%s","slowest_units_s":%s}\n' \
    "$tls" "$cw" "$cu" "$cs" "$iw" "$iu" "$is" "$size" "$load" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$top" >>"$BUILD_RESULTS"
  rm -rf "$dir"
}

if [[ "$MODE" == --build ]]; then
  build_figures
  exit 0
fi

if [[ "$MODE" == --quick ]]; then
  RESULTS="$OUT/quick.jsonl" # never the full run's results
  : >"$RESULTS"
  machine quick
  cargo build -q -p respan-bench --bins
  BIN="$TARGET/debug"
  start_gateway 0
  "$BIN/respan-bench" cpu --url "$GW" --runs 5 --rounds 1 --procs 1 >>"$RESULTS"
  "$BIN/respan-bench" growth --url "$GW" --runs 1 >>"$RESULTS"
  "$BIN/respan-bench" stream --url "$GW" --runs 3 >>"$RESULTS"
  start_gateway 50
  "$BIN/respan-bench" concurrent --url "$GW" --runs 200 >>"$RESULTS"
  python3 respan-bench/report.py "$RESULTS" --check
  exit 0
fi

: >"$RESULTS"
machine full
cargo build -q --release -p respan-bench --bins
cargo build -q --release --example support
BIN="$TARGET/release"

# The Python side: openai-agents (and the openai client it brings) from PyPI.
VENV="$TARGET/bench-venv"
if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q "openai-agents==0.24.0"

start_gateway 0
"$BIN/respan-bench" cpu --url "$GW" >>"$RESULTS"
"$VENV/bin/python" respan-bench/python/sdk_bench.py "${GW##*:}" cpu 100 >>"$RESULTS"
"$BIN/respan-bench" growth --url "$GW" --runs 20 >>"$RESULTS"
"$BIN/respan-bench" stream --url "$GW" --runs 500 >>"$RESULTS"
"$BIN/respan-bench" startup --url "$GW" --support "$BIN/examples/support" \
  --python "$VENV/bin/python" --script respan-bench/python/sdk_bench.py --runs 5 >>"$RESULTS"
# At 1 ms the client CPU per run should not change (only the wall time).
start_gateway 1
"$BIN/respan-bench" cpu --url "$GW" --scenario handoff |
  sed 's/"kind":"cpu"/"kind":"cpu-1ms"/' >>"$RESULTS"
start_gateway 50
"$BIN/respan-bench" concurrent --url "$GW" --runs 10000 >>"$RESULTS"
cleanup
PIDS=()
# Tracing on against off: the runtime's own bench (release), its JSON line.
cargo bench -q -p respan-runtime --bench tracing -- 2000 --json | grep '^{"kind":"tracing"' >>"$RESULTS"
cleanup
PIDS=()
python3 respan-bench/report.py "$RESULTS" "$BUILD_RESULTS" >BENCHMARKS.md
echo "wrote BENCHMARKS.md from $RESULTS"
