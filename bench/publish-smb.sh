#!/usr/bin/env bash
# dangan publish to a real SMB share (Samba on 127.0.0.1, mounted through
# smbnetfs, as scripts/smb-share.sh sets it up for the tests), N reports.
#   flock /tmp/dangan-bench.lock bench/publish-smb.sh [N=3000] [RUNS=5] [DIR=/dev/shm/dangan-publish-smb]
# (DIR keeps the generated archive for the next run: rm -rf it when done.)
# (DANGAN_BIN=path uses that release binary instead of building one.)
# Prints the first publish once, against `cp -r` of the same output to the
# share; then, each a median of RUNS with the runs themselves:
#   - nothing changed: the whole `dangan publish`, and its two parts apart
#     (`dangan build`, `dangan publish --no-build`), against listing every
#     folder of the site on the share (`find -type f`, one readdir a folder);
#   - one report edited: the same three.
# The build part stays as large as a whole build until the warm-build cache
# (issue #15) exists. Needs what the SMB tests need (root or sudo, samba,
# smbclient, smbnetfs: scripts/test.sh installs them).
set -euo pipefail
N=${1:-3000}; RUNS=${2:-5}; DIR=${3:-/dev/shm/dangan-publish-smb}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN=${DANGAN_BIN:-}
if [ -z "$BIN" ]; then
  cargo build --release --quiet --manifest-path "$HERE/Cargo.toml"
  BIN="$HERE/target/release/dangan"
fi
mkdir -p "$DIR"
if [ ! -f "$DIR/.n-$N" ]; then
  rm -rf "$DIR/archive" "$DIR"/.n-*
  python3 "$HERE/bench/gen-corpus.py" "$N" "$DIR/archive" >/dev/null
  touch "$DIR/.n-$N"
fi
ARCHIVE=$DIR/archive
"$BIN" --root "$ARCHIVE" build --quiet

STATE=$DIR/share
bash "$HERE/scripts/smb-share.sh" stop "$STATE" 2>/dev/null || true
rm -rf "$STATE"
eval "$(bash "$HERE/scripts/smb-share.sh" start "$STATE" --watch $$)"
trap 'bash "$HERE/scripts/smb-share.sh" stop "$STATE"; rm -rf "$STATE"' EXIT
DEST=$MOUNT1/site
echo "output: $(du -sh "$ARCHIVE/public" | cut -f1), $(find "$ARCHIVE/public" -type f | wc -l) files, $(find "$ARCHIVE/public" -type d | wc -l) folders"

secs() {
  local s=$EPOCHREALTIME
  "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.3f", b - a}'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
show() { local what=$1; shift; printf '%-34s median %7s s  (runs %s)\n' "$what" "$(median "$@")" "$*"; }
publish() { "$BIN" --root "$ARCHIVE" publish "$DEST" --quiet "$@"; }

mkdir "$DEST"
show "first publish" "$(secs publish --no-build)"
show "cp -r to the share" "$(secs cp -r "$ARCHIVE/public" "$MOUNT1/cp")"
rm -rf "$MOUNT1/cp"

whole=(); build=(); part=(); list=()
for i in $(seq "$RUNS"); do
  whole+=("$(secs publish)")
  build+=("$(secs "$BIN" --root "$ARCHIVE" build --quiet)")
  part+=("$(secs publish --no-build)")
  list+=("$(secs find "$DEST" -type f)")
done
echo "nothing changed:"
show "  dangan publish (whole command)" "${whole[@]}"
show "  of which dangan build" "${build[@]}"
show "  of which publish --no-build" "${part[@]}"
show "  find -type f on the share" "${list[@]}"

edit() {
  local f
  f=$(find "$ARCHIVE/content" -name '*.md' | sort | sed -n "$(( ($1 * 7919) % N + 1 ))p")
  printf '\n修订 %s\n' "$(date +%s%N)" >>"$f"
}
whole=(); build=(); part=()
for i in $(seq "$RUNS"); do
  edit "$i"
  whole+=("$(secs publish)")
  edit "$((i + RUNS))"
  build+=("$(secs "$BIN" --root "$ARCHIVE" build --quiet)")
  part+=("$(secs publish --no-build)")
done
echo "one report edited:"
show "  dangan publish (whole command)" "${whole[@]}"
show "  of which dangan build" "${build[@]}"
show "  of which publish --no-build" "${part[@]}"
edit 0
"$BIN" --root "$ARCHIVE" build --quiet
echo "what one edit sends: $("$BIN" --root "$ARCHIVE" publish "$DEST" --no-build 2>&1 | tail -1)"
