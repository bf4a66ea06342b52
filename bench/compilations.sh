#!/usr/bin/env bash
# What the compilations (汇编) cost: full builds of one generated archive with
# `compilations = false` and with them (the default), alternating, median of
# RUNS runs each: wall time, peak memory, output size, and the ratios.
#   bench/compilations.sh [N=10000] [RUNS=3] [DIR=/dev/shm/dangan-compilations]
# Needs python3 and GNU time (/usr/bin/time). Run it under
# `flock /tmp/dangan-bench.lock` on a shared machine.
set -euo pipefail
N=${1:-10000}; RUNS=${2:-3}; DIR=${3:-/dev/shm/dangan-compilations}
HERE=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$HERE/Cargo.toml"
BIN="$HERE/target/release/dangan"
if [ ! -f "$DIR/.n-$N" ]; then
  rm -rf "$DIR"; mkdir -p "$DIR"
  python3 "$HERE/bench/gen-corpus.py" "$N" "$DIR" >/dev/null
  touch "$DIR/.n-$N"
fi
measure() { # label: prints "label seconds peak_kb output_bytes compilation_bytes compilations"
  local label=$1
  rm -rf "$DIR/public"
  /usr/bin/time -f "%e %M" -o "$DIR/time.txt" "$BIN" --root "$DIR" build --quiet
  # Compilations are the pages one folder down under year/ (year/<year>/…).
  local comp
  comp=$(find "$DIR/public/year" -mindepth 2 -type f -name '*.html' -printf '%s\n' | awk '{s+=$1; n++} END {print s+0, n+0}')
  echo "$label $(cat "$DIR/time.txt") $(du -sb "$DIR/public" | cut -f1) $comp"
}
results=()
for i in $(seq "$RUNS"); do
  echo 'compilations = false' > "$DIR/dangan.toml"
  results+=("$(measure without)")
  echo 'compilations = true' > "$DIR/dangan.toml"
  results+=("$(measure with)")
done
rm -f "$DIR/dangan.toml"
printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
rows = [l.split() for l in sys.stdin if l.strip()]
med = {}
for label in ("without", "with"):
    r = [x for x in rows if x[0] == label]
    t = [float(x[1]) for x in r]
    med[label] = (statistics.median(t), statistics.median(int(x[2]) for x in r), int(r[0][3]), int(r[0][4]), int(r[0][5]))
    print(f"{label:8s} wall median {med[label][0]:6.2f} s (runs: {t})  peak {med[label][1]/1024:6.0f} MB  output {med[label][2]/2**20:7.1f} MB")
w, o = med["with"], med["without"]
print(f"{w[4]} compilations, {w[3]/2**20:.1f} MB ({w[3]/max(w[4],1)/1024:.0f} KB each on average)")
print(f"compilations add {100*(w[0]/o[0]-1):.0f}% to the build time, {100*(w[2]/o[2]-1):.0f}% to the output size, {100*(w[1]/o[1]-1):.0f}% to peak memory")
'
