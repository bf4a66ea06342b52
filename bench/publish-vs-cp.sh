#!/usr/bin/env bash
# dangan publish on the built 10,000-report archive, against cp -r.
#   bench/publish-vs-cp.sh [N=10000] [RUNS=3] [DIR=/dev/shm/dangan-publish]
# 1. First publish into an empty folder vs `cp -r` of the same output,
#    alternating, median of RUNS each.
# 2. Republish after one report is edited (the output rebuilt first, as
#    `dangan watch` keeps it): median of 5 edits, with the files it changed.
set -euo pipefail
N=${1:-10000}; RUNS=${2:-3}; DIR=${3:-/dev/shm/dangan-publish}
HERE=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$HERE/Cargo.toml"
BIN="$HERE/target/release/dangan"
if [ ! -f "$DIR/.n-$N" ]; then
  rm -rf "$DIR"; mkdir -p "$DIR"
  python3 "$HERE/bench/gen-corpus.py" "$N" "$DIR/archive" >/dev/null
  touch "$DIR/.n-$N"
fi
"$BIN" --root "$DIR/archive" build --quiet
echo "output: $(du -sh "$DIR/archive/public" | cut -f1), $(find "$DIR/archive/public" -type f | wc -l) files"
secs() { local s=$EPOCHREALTIME; "$@" >/dev/null 2>&1; awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.3f", b - a}'; }
pub=(); cp=()
for i in $(seq "$RUNS"); do
  rm -rf "$DIR/dest" "$DIR/cp"; mkdir "$DIR/dest"
  pub+=("$(secs "$BIN" --root "$DIR/archive" publish "$DIR/dest" --no-build --quiet)")
  cp+=("$(secs cp -r "$DIR/archive/public" "$DIR/cp")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "first publish: median $(median "${pub[@]}") s (runs ${pub[*]})"
echo "cp -r:         median $(median "${cp[@]}") s (runs ${cp[*]})"
re=()
for i in 1 2 3 4 5; do
  f=$(find "$DIR/archive/content" -name "*.md" | sort | sed -n "$((i * N / 6 + 1))p")
  printf '\n修订%s\n' "$(date +%s%N)" >> "$f"
  "$BIN" --root "$DIR/archive" build --quiet
  s=$EPOCHREALTIME
  out=$("$BIN" --root "$DIR/archive" publish "$DIR/dest" --no-build 2>&1)
  re+=("$(awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.3f", b - a}')")
  echo "  $(echo "$out" | grep -o '[0-9]* added, [0-9]* changed, [0-9]* removed')"
done
echo "republish after one edit: median $(median "${re[@]}") s (runs ${re[*]})"
