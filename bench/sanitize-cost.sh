#!/usr/bin/env bash
# What the allow-list pass over every rendered body costs (#12 item 1): the
# Markdown of a generated archive rendered with and without it (median of
# ROUNDS), beside the median wall time of RUNS full builds of that archive.
#   bench/sanitize-cost.sh [N=10000] [RUNS=3] [ROUNDS=5] [DIR=/dev/shm/dangan-sanitize]
# Run it under `flock /tmp/dangan-bench.lock` on a shared machine; DIR is
# removed at the end.
set -euo pipefail
N=${1:-10000}; RUNS=${2:-3}; ROUNDS=${3:-5}; DIR=${4:-/dev/shm/dangan-sanitize}
HERE=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$HERE/Cargo.toml" --bin dangan --example sanitize_cost
BIN="$HERE/target/release/dangan"
rm -rf "$DIR"; mkdir -p "$DIR"
trap 'rm -rf "$DIR"' EXIT
python3 "$HERE/bench/gen-corpus.py" "$N" "$DIR" >/dev/null
times=()
for _ in $(seq "$RUNS"); do
  rm -rf "$DIR/public"
  start=$(date +%s.%N)
  "$BIN" --root "$DIR" build --quiet
  times+=("$(echo "$(date +%s.%N) - $start" | bc)")
done
build=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
echo "full build median ${build} s  (runs: ${times[*]})"
"$HERE/target/release/examples/sanitize_cost" "$DIR/content" "$ROUNDS" | tee "$DIR/cost.txt"
cost=$(sed -n 's/^the pass costs \([0-9.]*\) s.*/\1/p' "$DIR/cost.txt")
echo "the pass adds $(echo "scale=1; 100 * $cost / ($build - $cost)" | bc)% to a full build of $N reports"
