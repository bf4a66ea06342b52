#!/usr/bin/env bash
# Warm builds (#15): what a new `dangan` process costs with the build cache
# of the last one (.dangan-cache/), against a cold build, on one generated
# archive (an attachment beside every tenth report). In each of RUNS rounds:
#   cold       no output folder, no cache (`build --no-cache`, what a first build pays)
#   unchanged  `build` again, nothing changed
#   one edit   `build` after one report is edited
#   publish    `publish DEST` (a local folder) after one report is edited
#   serve      `serve` on the unchanged archive until index.html answers
# Medians, and each as a ratio of the cold build of the same run; the
# targets of #15 are one edit <= 0.10, publish <= 0.15, serve <= 0.5 s.
#   bench/warm.sh [N=10000] [RUNS=3] [DIR=/dev/shm/dangan-warm]
# Run it under `flock /tmp/dangan-bench.lock` on a shared machine; it
# removes DIR when done (KEEP=1 keeps it).
set -euo pipefail
N=${1:-10000}; RUNS=${2:-3}; DIR=${3:-/dev/shm/dangan-warm}
HERE=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$HERE/Cargo.toml"
BIN="$HERE/target/release/dangan"
rm -rf "$DIR"; mkdir -p "$DIR"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$DIR"' EXIT
python3 "$HERE/bench/gen-corpus.py" "$N" "$DIR/archive" --attachments --with-config >/dev/null
A=$DIR/archive
secs() { local s=$EPOCHREALTIME; "$@" >/dev/null 2>&1; awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.3f", b - a}'; }
# One report, edited differently each time (its body gains a line).
victim=$(find "$A/content" -name '*.md' | sort | sed -n "$((N / 2 + 1))p")
edit() { printf '\n补充说明第%s条。\n' "$1" >>"$victim"; }
serve_secs() { # until index.html answers, then stopped
  local port=$((20000 + RANDOM % 20000)) s=$EPOCHREALTIME
  "$BIN" --root "$A" serve --port "$port" --quiet >/dev/null 2>&1 &
  local pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$port/index.html"; do sleep 0.02; done
  awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.3f", b - a}'
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
cold=(); unchanged=(); one=(); pub=(); srv=()
for i in $(seq "$RUNS"); do
  rm -rf "$A/public" "$A/.dangan-cache" "$DIR/dest"; mkdir "$DIR/dest"
  cold+=("$(secs "$BIN" --root "$A" build --no-cache --quiet)")
  "$BIN" --root "$A" build --quiet # writes the cache
  "$BIN" --root "$A" publish "$DIR/dest" --quiet >/dev/null
  unchanged+=("$(secs "$BIN" --root "$A" build --quiet)")
  edit "a$i"; one+=("$(secs "$BIN" --root "$A" build --quiet)")
  edit "b$i"; pub+=("$(secs "$BIN" --root "$A" publish "$DIR/dest" --quiet)")
  srv+=("$(serve_secs)")
done
echo "$N reports; cache $(du -sh "$A/.dangan-cache" 2>/dev/null | cut -f1 || echo none), Markdown $(find "$A/content" -name '*.md' -printf '%s\n' | awk '{s+=$1} END {printf "%.1f MB", s/2^20}')"
python3 - "${cold[*]}" "${unchanged[*]}" "${one[*]}" "${pub[*]}" "${srv[*]}" <<'PY'
import statistics, sys
names = ["cold build", "unchanged build", "build, one edit", "publish, one edit", "serve, unchanged"]
runs = [[float(x) for x in a.split()] for a in sys.argv[1:]]
cold = statistics.median(runs[0])
for name, r in zip(names, runs):
    ratios = [x / c for x, c in zip(r, runs[0])]
    print(f"{name:18s} median {statistics.median(r):7.3f} s  ratio to cold {statistics.median(ratios):5.2f}  (runs {r})")
PY
