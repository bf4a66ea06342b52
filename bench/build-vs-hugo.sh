#!/usr/bin/env bash
# Full-build wall time and peak memory of dangan and Hugo on the same
# generated archive, alternating the two, median of RUNS runs each; and how
# dangan's time splits between the pages and the search index (DANGAN_TIMING).
#   bench/build-vs-hugo.sh [N=10000] [RUNS=3] [DIR=/dev/shm/dangan-bench]
# Needs: python3 and GNU time (/usr/bin/time); Hugo is installed from Debian's
# packages (hugo, 0.111 on bookworm) when it is missing.
# The reports come from bench/gen-corpus.py, once as dangan's archive in
# DIR/dangan and once, the same reports, as the Hugo site of bench/hugo-site/
# in DIR/hugo.
set -euo pipefail
N=${1:-10000}; RUNS=${2:-3}; DIR=${3:-/dev/shm/dangan-bench}
HERE=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v hugo >/dev/null; then
  echo "installing hugo from Debian's packages ..." >&2
  if [ "$(id -u)" = 0 ]; then apt=(env DEBIAN_FRONTEND=noninteractive apt-get); else apt=(sudo env DEBIAN_FRONTEND=noninteractive apt-get); fi
  "${apt[@]}" install -y -qq hugo >/dev/null || { "${apt[@]}" update -qq && "${apt[@]}" install -y -qq hugo >/dev/null; }
fi
cargo build --release --quiet --manifest-path "$HERE/Cargo.toml"
BIN="$HERE/target/release/dangan"
if [ ! -f "$DIR/.n-$N" ]; then
  rm -rf "$DIR"; mkdir -p "$DIR"
  python3 "$HERE/bench/gen-corpus.py" "$N" "$DIR/dangan" >/dev/null
  python3 "$HERE/bench/gen-corpus.py" "$N" "$DIR/hugo" --flavor hugo >/dev/null
  cp -r "$HERE/bench/hugo-site/." "$DIR/hugo/"
  touch "$DIR/.n-$N"
fi
measure() { # label, then the command; prints "label seconds peak_kb [pages_ms search_ms]"
  local label=$1; shift
  DANGAN_TIMING=1 /usr/bin/time -f "%e %M" -o "$DIR/time.txt" "$@" >/dev/null 2>"$DIR/laps.txt"
  local laps=""
  if [ "$label" = dangan ]; then # the last lap of each half: pages on disk, then search index and manifest
    laps="$(grep -E 'pages (written|staged)' "$DIR/laps.txt" | awk '{print $1}') $(grep -F 'search half done' "$DIR/laps.txt" | awk '{print $1}')"
  fi
  echo "$label $(cat "$DIR/time.txt") $laps"
}
results=()
for i in $(seq "$RUNS"); do
  rm -rf "$DIR/dangan/public" "$DIR/hugo-out"
  results+=("$(measure dangan "$BIN" --root "$DIR/dangan" build --quiet)")
  results+=("$(cd "$DIR/hugo" && measure hugo hugo --quiet -d "$DIR/hugo-out")")
done
printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
rows = [l.split() for l in sys.stdin if l.strip()]
med = {}
for tool in ("dangan", "hugo"):
    t = [float(r[1]) for r in rows if r[0] == tool]; m = [int(r[2]) for r in rows if r[0] == tool]
    med[tool] = (statistics.median(t), statistics.median(m))
    print(f"{tool:7s} wall median {med[tool][0]:6.2f} s  (runs: {t})  peak median {med[tool][1]/1024:7.0f} MB")
h, d = med["hugo"], med["dangan"]
print(f"dangan is {h[0]/d[0]:.1f}x faster than hugo and uses {h[1]/d[1]:.1f}x less memory")
pages = statistics.median(float(r[3]) for r in rows if r[0] == "dangan")
search = statistics.median(float(r[4]) for r in rows if r[0] == "dangan")
print(f"dangan pages on disk median {pages/1000:.2f} s, then the search index {search/1000:.2f} s: the index adds {100*search/pages:.0f}% to the build")
'
