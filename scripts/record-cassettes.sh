#!/usr/bin/env bash
# Records tests/cassettes/<example>.jsonl: each example of the Respan guide's
# scenarios run once with RESPAN_RECORD, against the offline gateway (no key).
# tests/cassettes.rs replays them. Run it after changing what an example sends:
#
#   bash scripts/record-cassettes.sh            # every example
#   bash scripts/record-cassettes.sh support    # one
set -euo pipefail
cd "$(dirname "$0")/.."

examples=("$@")
if [ ${#examples[@]} -eq 0 ]; then
    examples=(support streaming prompts respan_params tools quickstart structured_output switch_models agents_in_rust)
fi
cargo build --quiet --examples
for example in "${examples[@]}"; do
    cassette="tests/cassettes/$example.jsonl"
    rm -f "$cassette"
    # No key and no replay from the environment: the offline gateway answers.
    env -u RESPAN_API_KEY -u RESPAN_REPLAY -u RESPAN_PROMPT_ID RESPAN_RECORD="$cassette" \
        cargo run --quiet --example "$example" >/dev/null
    echo "$cassette: $(wc -l <"$cassette") exchange(s)"
done
