#!/usr/bin/env bash
# What searching the attachments costs: full builds of the same generated
# archive without attachments and with one beside every tenth report (DOCX,
# XLSX, a PDF of Chinese text printed by Chromium, GBK text, in turn;
# bench/gen-corpus.py --attachments), alternating, median of RUNS runs each:
# wall time, peak memory, search index size, output size, and the ratios.
# A second build in one `dangan watch` session is not measured here: it
# reads no attachment again (tests/it/incremental.rs shows that).
#   bench/attachments.sh [N=10000] [RUNS=3] [DIR=/dev/shm/dangan-attachments]
# Needs python3, chromium and GNU time (/usr/bin/time). Run it under
# `flock /tmp/dangan-bench.lock` on a shared machine.
set -euo pipefail
N=${1:-10000}; RUNS=${2:-3}; DIR=${3:-/dev/shm/dangan-attachments}
HERE=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$HERE/Cargo.toml"
BIN="$HERE/target/release/dangan"
if [ ! -f "$DIR/.n-$N" ]; then
  rm -rf "$DIR"; mkdir -p "$DIR"
  # The PDF: sample text in a TrueType CJK font, printed as Word and WPS
  # print (CID fonts with ToUnicode maps).
  python3 - "$HERE/tests/fixtures/samples" "$DIR/attachment.html" <<'PY'
import os, sys, html
src = sorted(f for f in os.listdir(sys.argv[1]) if f.endswith(".txt"))[0]
lines = [l.strip() for l in open(os.path.join(sys.argv[1], src), encoding="utf-8") if l.strip()][:80]
body = "".join("<p>%s</p>" % html.escape(l) for l in lines)
open(sys.argv[2], "w", encoding="utf-8").write(
    '<!doctype html><meta charset="utf-8"><body style="font-family: \'WenQuanYi Micro Hei\', sans-serif">%s</body>' % body)
PY
  chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
    --print-to-pdf="$DIR/attachment.pdf" "file://$DIR/attachment.html" 2>/dev/null
  python3 "$HERE/bench/gen-corpus.py" "$N" "$DIR/without" >/dev/null
  python3 "$HERE/bench/gen-corpus.py" "$N" "$DIR/with" --attachments --pdf "$DIR/attachment.pdf"
  touch "$DIR/.n-$N"
fi
measure() { # label: prints "label seconds peak_kb output_bytes search_bytes"
  local label=$1 root=$DIR/$1
  rm -rf "$root/public"
  /usr/bin/time -f "%e %M" -o "$DIR/time.txt" "$BIN" --root "$root" build --quiet
  echo "$label $(cat "$DIR/time.txt") $(du -sb "$root/public" | cut -f1) $(du -sb "$root/public/_search" | cut -f1)"
}
results=()
for i in $(seq "$RUNS"); do
  results+=("$(measure without)")
  results+=("$(measure with)")
done
att=$(find "$DIR/with/content" -type f ! -name '*.md' -printf '%s\n' | awk '{s+=$1; n++} END {print n+0, s+0}')
printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
att_n, att_bytes = map(int, sys.argv[1:3])
rows = [l.split() for l in sys.stdin if l.strip()]
med = {}
for label in ("without", "with"):
    r = [x for x in rows if x[0] == label]
    t = [float(x[1]) for x in r]
    med[label] = (statistics.median(t), statistics.median(int(x[2]) for x in r), int(r[0][3]), int(r[0][4]))
    print(f"{label:8s} wall median {med[label][0]:6.2f} s (runs: {t})  peak {med[label][1]/1024:6.0f} MB  output {med[label][2]/2**20:7.1f} MB  search index {med[label][3]/2**20:6.1f} MB")
w, o = med["with"], med["without"]
print(f"{att_n} attachments, {att_bytes/2**20:.1f} MB")
print(f"attachments add {100*(w[0]/o[0]-1):.0f}% to the build time, {100*(w[3]/o[3]-1):.0f}% to the search index, {100*(w[1]/o[1]-1):.0f}% to peak memory")
' $att
