#!/usr/bin/env bash
# Editor support under the real taplo, the TOML toolkit VS Code's Even Better
# TOML runs: the shipped schema (schema/respan-workflow.schema.json) flags a
# misspelt or mistyped key in a copy of workflows/support.toml, through the
# file's `#:schema` line and through taplo.toml, and passes every file in
# workflows/.
#
#   bash scripts/taplo.sh
#
# 1. @taplo/cli@$TAPLO_VERSION from npm into target/taplo/ (reused while it
#    holds that version); if node or npm is missing or cannot install it, the
#    script says so once and exits 0;
# 2. the #[ignore]d taplo tests of respan-cli/tests/schema.rs, run with
#    --ignored and TAPLO naming the binary.
#
# Nothing is fetched but the npm package: taplo reads the schema from the
# repository (no schema catalogs, no network).
set -euo pipefail

TAPLO_VERSION=0.7.0
cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
DIR=$TARGET/taplo/cli-$TAPLO_VERSION
TAPLO=$DIR/node_modules/.bin/taplo
export CARGO_TERM_COLOR=never

say() { printf 'taplo: %s\n' "$*"; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    say "SKIPPED: node and npm are needed to install @taplo/cli (apt-get install nodejs npm)"
    exit 0
fi
if [ ! -x "$TAPLO" ]; then
    mkdir -p "$DIR"
    say "installing @taplo/cli@$TAPLO_VERSION into $DIR"
    if ! npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error \
        "@taplo/cli@$TAPLO_VERSION" >"$DIR/npm.log" 2>&1; then
        say "SKIPPED: npm could not install @taplo/cli@$TAPLO_VERSION (see $DIR/npm.log)"
        exit 0
    fi
fi
say "$("$TAPLO" --version)"
TAPLO=$TAPLO cargo test -p respan-cli --test schema -- --ignored
