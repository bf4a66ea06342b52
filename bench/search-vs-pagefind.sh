#!/usr/bin/env bash
# dangan's own search index against Pagefind 1.x on the same built pages:
# time, peak memory and size of the index, median of RUNS runs each.
#   bench/search-vs-pagefind.sh [N=10000] [RUNS=3] [DIR=/dev/shm/dangan-pagefind]
#
# Each run, one after the other (never at the same time):
#   1. dangan: a fresh full build (public/ removed first) with DANGAN_TIMING=1,
#      under GNU time: whole-build wall and peak memory, plus the search-index
#      phase from the laps (the `search half done` lap: the index built and
#      written, stale files removed).
#   2. Pagefind on the public/ that build just wrote (its output removed
#      first), under GNU time: wall and peak memory of the whole process.
#      Its index goes to DIR/pagefind-out, outside public/.
# Then the apparent size (sum of file sizes) and file count of
# public/_search/ and of Pagefind's output.
#
# How Pagefind is run: its platform binary (pagefind_extended, the build with
# Chinese and Japanese word segmentation, the one the npm wrapper picks) as
#   pagefind_extended --site DIR/dangan/public --output-path DIR/pagefind-out
# with Pagefind's defaults, as a user would run it on the site. dangan's pages carry no
# data-pagefind-* attributes, so Pagefind indexes the whole <body> of every
# HTML file under public/: the reports and also the home, search, 404 and the
# unit/year/type listing pages (N + about 100 pages), header and navigation
# included. The pages say lang="zh-CN", so Pagefind segments them as zh-cn.
# dangan's index covers the N reports only. To index only the reports with
# Pagefind, set PAGEFIND_GLOB='reports/**/*.html' (passed as --glob).
# Pagefind reads and parses the HTML files, dangan indexes its documents in
# memory; both write their index to disk (tmpfs by default).
#
# Pagefind comes from the npm registry into a cache folder, installed only
# when not there yet:
#   PAGEFIND_TOOLS  cache folder  (default /dev/shm/dangan-pagefind-tools)
#   PAGEFIND_SPEC   npm spec      (default pagefind@1: the newest 1.x)
# dangan is the binary as it is, target/release/dangan (or DANGAN_BIN): this
# script runs no cargo, so run `cargo build --release` first.
#
# Needs: python3, GNU time (/usr/bin/time), npm (Debian's nodejs and npm).
# Memory: on 10,000 reports Pagefind has peaked at about 14 GB; the archive,
# both outputs and the tools also sit in DIR and the cache (tmpfs by default).
set -euo pipefail
N=${1:-10000}; RUNS=${2:-3}; DIR=${3:-/dev/shm/dangan-pagefind}
HERE=$(cd "$(dirname "$0")/.." && pwd); GEN="$HERE/bench/gen-corpus.py"
TOOLS=${PAGEFIND_TOOLS:-/dev/shm/dangan-pagefind-tools}
SPEC=${PAGEFIND_SPEC:-pagefind@1}
GLOB=${PAGEFIND_GLOB:-}
BIN=${DANGAN_BIN:-$HERE/target/release/dangan}
die() { echo "search-vs-pagefind: $*" >&2; exit 1; }

case "$N$RUNS" in *[!0-9]*) die "N and RUNS must be whole numbers (got N=$N RUNS=$RUNS)";; esac
[ "$N" -gt 0 ] && [ "$RUNS" -gt 0 ] || die "N and RUNS must be at least 1"
[ -x /usr/bin/time ] || die "GNU time is missing: apt-get install -y time"
command -v python3 >/dev/null || die "python3 is missing"
[ -x "$BIN" ] || die "no dangan binary at $BIN: run 'cargo build --release' first (or set DANGAN_BIN)"
if [ -n "$(find "$HERE/src" "$HERE/Cargo.toml" -newer "$BIN" -print -quit 2>/dev/null)" ]; then
  echo "warning: $BIN is older than the sources; run 'cargo build --release' to time the current code" >&2
fi

# Pagefind: install into the cache only when its binary is not there yet.
find_pagefind() { # the platform binary, extended build preferred, as the npm wrapper does
  local b
  for name in pagefind_extended pagefind; do
    b=$(find "$TOOLS/node_modules/@pagefind" -type f -name "$name" -perm -u+x 2>/dev/null | head -n 1)
    if [ -n "$b" ]; then echo "$b"; return 0; fi
  done
  return 1
}
if ! PF=$(find_pagefind); then
  command -v npm >/dev/null || die "npm is missing (apt-get install -y nodejs npm); it installs Pagefind"
  echo "installing $SPEC into $TOOLS ..." >&2
  mkdir -p "$TOOLS"
  if ! npm install --prefix "$TOOLS" --no-audit --no-fund --no-save "$SPEC" >"$TOOLS/npm-install.log" 2>&1; then
    tail -n 20 "$TOOLS/npm-install.log" >&2
    die "npm could not fetch $SPEC from the npm registry (log: $TOOLS/npm-install.log)"
  fi
  PF=$(find_pagefind) || die "npm installed $SPEC but no Pagefind binary for this platform ($(uname -sm)) came with it; look under $TOOLS/node_modules/@pagefind"
fi
PF_VERSION=$("$PF" --version) || die "the Pagefind binary $PF does not run"
case "$PF_VERSION" in *" 1."*) ;; *) die "expected Pagefind 1.x, $PF says '$PF_VERSION' (clear $TOOLS or set PAGEFIND_SPEC)";; esac
case "$PF" in *pagefind_extended) ;; *) echo "warning: $PF is not the extended build: Chinese is indexed without word segmentation" >&2;; esac
echo "$PF_VERSION (extended: $PF)"

# The archive, once per N; then one build so that the pages exist and the caches are warm.
if [ ! -f "$DIR/.n-$N" ]; then
  rm -rf "$DIR"; mkdir -p "$DIR"
  python3 "$GEN" "$N" "$DIR/dangan" >/dev/null || die "bench/gen-corpus.py $N failed"
  touch "$DIR/.n-$N"
fi
PUBLIC="$DIR/dangan/public"; OUT="$DIR/pagefind-out"
rm -rf "$PUBLIC" "$OUT"
"$BIN" --root "$DIR/dangan" build --quiet || die "the first dangan build of $DIR/dangan failed"
[ -d "$PUBLIC/_search" ] || die "dangan built no search index at $PUBLIC/_search"
HTML=$(find "$PUBLIC" -type f -name '*.html' | wc -l)
echo "archive: $N reports; dangan's pages: $HTML HTML files in $PUBLIC"

PF_ARGS=(--site "$PUBLIC" --output-path "$OUT")
[ -n "$GLOB" ] && PF_ARGS+=(--glob "$GLOB")
echo "pagefind command: $PF ${PF_ARGS[*]}"

size_of() { # apparent size in bytes and file count of a folder
  find "$1" -type f -printf '%s\n' | awk '{s += $1; n++} END {printf "%d %d", s, n}'
}
ROWS="$DIR/results.txt"; : >"$ROWS"
for i in $(seq "$RUNS"); do
  # (a) dangan, a fresh build: "dangan seconds peak_kb search_ms index_bytes index_files"
  rm -rf "$PUBLIC"
  if ! DANGAN_TIMING=1 /usr/bin/time -f "%e %M" -o "$DIR/time.txt" \
      "$BIN" --root "$DIR/dangan" build --quiet >/dev/null 2>"$DIR/laps.txt"; then
    tail -n 20 "$DIR/laps.txt" >&2; die "dangan build failed in run $i"
  fi
  search_ms=$(grep -F 'search half done' "$DIR/laps.txt" | awk '{print $1}' | tail -n 1)
  [ -n "$search_ms" ] || die "no 'search half done' lap in dangan's DANGAN_TIMING output ($DIR/laps.txt)"
  echo "dangan $(cat "$DIR/time.txt") $search_ms $(size_of "$PUBLIC/_search")" >>"$ROWS"
  # (b) Pagefind on the pages that build wrote: "pagefind seconds peak_kb - index_bytes index_files"
  rm -rf "$OUT"
  if ! /usr/bin/time -f "%e %M" -o "$DIR/time.txt" "$PF" "${PF_ARGS[@]}" >"$DIR/pagefind.log" 2>&1; then
    tail -n 30 "$DIR/pagefind.log" >&2; die "Pagefind failed in run $i (log: $DIR/pagefind.log, time: $(cat "$DIR/time.txt"))"
  fi
  [ -d "$OUT" ] || die "Pagefind wrote nothing to $OUT (log: $DIR/pagefind.log)"
  echo "pagefind $(cat "$DIR/time.txt") - $(size_of "$OUT")" >>"$ROWS"
  echo "run $i/$RUNS done: $(tail -n 2 "$ROWS" | tr '\n' ';')" >&2
done
# Pagefind's index proper, without its fixed UI bundle (pagefind*.js/css, wasm): fragment/, index/, *.pf_meta, entry json
PF_DATA=$(find "$OUT" -type f \( -path "$OUT/fragment/*" -o -path "$OUT/index/*" -o -path "$OUT/filter/*" \
  -o -name '*.pf_meta' -o -name 'pagefind-entry.json' \) -printf '%s\n' | awk '{s += $1; n++} END {printf "%d %d", s, n}')

python3 - "$ROWS" "$DIR/pagefind.log" "$N" "$HTML" "$PF_DATA" <<'PY'
import re, statistics, sys
rows_file, log_file, n, html, pf_data = sys.argv[1:]
rows = [l.split() for l in open(rows_file) if l.strip()]
def col(tool, i, conv=float):
    return [conv(r[i]) for r in rows if r[0] == tool]
med = lambda xs: statistics.median(xs)
MB = 1000 * 1000  # sizes in MB of 10^6 bytes, as examples/search_queries.rs gives them
d_wall, d_peak, d_search = col("dangan", 1), col("dangan", 2), col("dangan", 3)
d_size, d_files = col("dangan", 4), col("dangan", 5)
p_wall, p_peak = col("pagefind", 1), col("pagefind", 2)
p_size, p_files = col("pagefind", 4), col("pagefind", 5)
ds, dw, dp = med(d_search) / 1000, med(d_wall), med(d_peak) / 1024
pw, pp = med(p_wall), med(p_peak) / 1024
dsz, psz = med(d_size), med(p_size)
data_bytes, data_files = (int(x) for x in pf_data.split())
print(f"dangan   search index phase median {ds:7.2f} s  (runs: {[round(x / 1000, 2) for x in d_search]})")
print(f"dangan   whole build wall median   {dw:7.2f} s  (runs: {d_wall})  peak median {dp:7.0f} MB")
print(f"pagefind wall median               {pw:7.2f} s  (runs: {p_wall})  peak median {pp:7.0f} MB")
print(f"index size: dangan public/_search {dsz / MB:7.1f} MB in {med(d_files):.0f} files; "
      f"Pagefind {psz / MB:7.1f} MB in {med(p_files):.0f} files "
      f"(of which the index proper {data_bytes / MB:.1f} MB in {data_files} files, the rest its JS/CSS/wasm)")
print(f"Pagefind takes {pw / ds:.1f}x the time of dangan's search index phase "
      f"({pw / dw:.1f}x dangan's whole build), peaks at {pp / dp:.1f}x dangan's whole-build memory, "
      f"and its index is {psz / dsz:.2f}x the size of dangan's ({data_bytes / dsz:.2f}x counting its index proper only)")
log = open(log_file, encoding="utf-8", errors="replace").read()
def grab(pat):
    m = re.search(pat, log)
    return m.group(1) if m else "?"
pages, words = grab(r"Indexed (\d+) pages?"), grab(r"Indexed (\d+) words?")
langs = grab(r"Discovered \d+ languages?: (.*)")
print(f"Pagefind indexed {pages} pages ({html} HTML files in public/, {n} reports), {words} words; languages: {langs}")
notes = [l.strip() for l in log.splitlines()
         if re.search(r"warn|error|did not|↳|skipp|unknown|missing", l, re.I)]
for l in notes:
    print(f"  pagefind said: {l}")
PY
