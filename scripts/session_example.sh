#!/usr/bin/env bash
# `cargo run --example session` twice in a row continues one conversation from
# its SQLite file: the second run is turn 2 and sends the first run's messages.
set -euo pipefail
cd "$(dirname "$0")/.."
example() { env -u RESPAN_API_KEY cargo run -q --example session -- "$@"; }
example --reset >/dev/null
first=$(example)
second=$(example)
printf '%s\n---\n%s\n' "$first" "$second"
grep -q '^turn 1 (0 earlier message(s) in the session)$' <<<"$first"
grep -q '^turn 2 (2 earlier message(s) in the session)$' <<<"$second"
grep -q '^the session now holds 4 message(s)' <<<"$second"
echo "session example: the second run continued the first one's conversation"
