#!/usr/bin/env bash
# How a full build grows with the archive: wall time, CPU time, peak memory
# and output size of `dangan build` (search index included) at several sizes,
# with Hugo on the same reports at 10,000, every size and Hugo taking turns in
# each round so that the machine's load falls on all alike. Medians of RUNS
# rounds; the ratios are what to compare between machines, not the seconds.
# Then `dangan watch` on the same archives (bench/watch-latency.py): from an
# editor's save to the pages on disk, at 10,000 and 100,000 reports.
#   bench/scale.sh [SIZES="1000 10000 100000"] [RUNS=3] [DIR=/dev/shm/dangan-scale]
#                  [EDITS=15] [HUGO_SH]
# HUGO_SH: a script `HUGO_SH N DIR` that lays out the Hugo site in DIR/hugo
# (another Hugo site to compare with); without it the reports come from
# bench/gen-corpus.py --flavor hugo with the site of bench/hugo-site/.
# Checks the targets of issue #13: at 10,000 reports, peak <= 400 MB and
# wall <= 1/3 of Hugo's; at 100,000, peak <= 2 GB and wall <= 11x the 10,000
# one; in watch mode at 10,000, save -> pages on disk <= 100 ms median.
# Needs: python3, GNU time (/usr/bin/time); Hugo (installed from Debian's
# packages when missing) only when 10000 is among the sizes.
# Room: 100,000 reports are 1.4 GB of Markdown and about 5 GB of output in
# DIR (tmpfs by default, so RAM), and the build's temporary files (about
# 2 GB at 100,000) go to the system's temporary folder ($TMPDIR, else /tmp).
# DIR is deleted at the end unless KEEP=1 (then the archives serve the next
# run; the watch step puts back the reports it saves).
set -euo pipefail
SIZES=${1:-"1000 10000 100000"}; RUNS=${2:-3}; DIR=${3:-/dev/shm/dangan-scale}
EDITS=${4:-15}; HUGO_SH=${5:-}
HERE=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$HERE/Cargo.toml"
BIN="$HERE/target/release/dangan"
mkdir -p "$DIR"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$DIR"' EXIT
hugo_too=false
for n in $SIZES; do [ "$n" = 10000 ] && hugo_too=true; done
if $hugo_too && ! command -v hugo >/dev/null; then
  echo "installing hugo from Debian's packages ..." >&2
  if [ "$(id -u)" = 0 ]; then apt=(env DEBIAN_FRONTEND=noninteractive apt-get); else apt=(sudo env DEBIAN_FRONTEND=noninteractive apt-get); fi
  "${apt[@]}" install -y -qq hugo >/dev/null || { "${apt[@]}" update -qq && "${apt[@]}" install -y -qq hugo >/dev/null; }
fi
for n in $SIZES; do
  if [ ! -f "$DIR/$n/.done" ]; then
    echo "generating $n reports in $DIR/$n ..." >&2
    rm -rf "$DIR/$n"
    python3 "$HERE/bench/gen-corpus.py" "$n" "$DIR/$n" >/dev/null
    touch "$DIR/$n/.done" "$DIR/$n/.n-$n" # .n-N: watch-latency.py takes the archive as it is
  fi
done
if $hugo_too && [ ! -f "$DIR/hugo-10000/.done" ]; then
  rm -rf "$DIR/hugo-10000"
  if [ -n "$HUGO_SH" ]; then
    bash "$HUGO_SH" 10000 "$DIR/hugo-site-10000" >/dev/null
    mv "$DIR/hugo-site-10000/hugo" "$DIR/hugo-10000"; rm -rf "$DIR/hugo-site-10000"
  else
    python3 "$HERE/bench/gen-corpus.py" 10000 "$DIR/hugo-10000" --flavor hugo >/dev/null
    cp -r "$HERE/bench/hugo-site/." "$DIR/hugo-10000/"
  fi
  touch "$DIR/hugo-10000/.done"
fi

ROWS="$DIR/rows.txt"; : >"$ROWS"
# What a finished build left: "bytes files" of its output folder.
size_of() { find "$1" -type f -printf '%s\n' | awk '{s += $1; n++} END {printf "%.0f %d", s, n}'; }
# One measured build: "label wall_s user_s sys_s peak_kb pages_ms output_bytes output_files".
dangan() {
  local n=$1 out="$DIR/$1/public"
  # A cold build: no output and no build cache (a round after the first
  # would otherwise read the reports' facts from the last one's cache).
  rm -rf "$out" "$DIR/$n/.dangan-cache"
  if ! DANGAN_TIMING=1 /usr/bin/time -f "%e %U %S %M" -o "$DIR/time.txt" \
      "$BIN" --root "$DIR/$n" build --quiet >/dev/null 2>"$DIR/laps.txt"; then
    tail -n 20 "$DIR/laps.txt" >&2; echo "dangan build of $n reports failed" >&2; exit 1
  fi
  local pages
  pages=$(grep -E 'pages (written|staged)' "$DIR/laps.txt" | awk '{print $1}' | tail -n 1)
  echo "dangan-$n $(cat "$DIR/time.txt") $pages $(size_of "$out")" >>"$ROWS"
  cp "$DIR/laps.txt" "$DIR/laps-$n.txt"
  rm -rf "$out"
}
hugo_build() {
  rm -rf "$DIR/hugo-out"
  (cd "$DIR/hugo-10000" && /usr/bin/time -f "%e %U %S %M" -o "$DIR/time.txt" hugo --quiet -d "$DIR/hugo-out" >/dev/null)
  echo "hugo-10000 $(cat "$DIR/time.txt") 0 $(size_of "$DIR/hugo-out")" >>"$ROWS"
  rm -rf "$DIR/hugo-out"
}
for i in $(seq "$RUNS"); do
  for n in $SIZES; do
    echo "round $i: dangan, $n reports ..." >&2
    dangan "$n"
    if [ "$n" = 10000 ]; then echo "round $i: hugo, 10000 reports ..." >&2; hugo_build; fi
  done
done

# Watch mode: EDITS reports saved twice each (body, then title), at 10,000
# and 100,000 reports; the lines say the median and p95 of each.
WATCH="$DIR/watch.txt"; : >"$WATCH"
for n in $SIZES; do
  [ "$n" -ge 10000 ] || continue
  echo "watch, $n reports, $EDITS reports saved twice ..." >&2
  echo "$n" >>"$WATCH"
  python3 "$HERE/bench/watch-latency.py" "$n" "$EDITS" "$DIR/$n" >>"$WATCH" || echo "  (the watch step failed)" >>"$WATCH"
  rm -rf "$DIR/$n/public"
done

echo "laps of the last build of each size (DANGAN_TIMING):"
for n in $SIZES; do echo "$n reports:"; cat "$DIR/laps-$n.txt"; done
echo
SIZES="$SIZES" python3 - "$ROWS" "$WATCH" <<'EOF'
import os, re, statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def med(label, col, conv=float):
    v = [conv(r[col]) for r in rows if r[0] == label]
    return statistics.median(v) if v else None
def cpu(label):
    v = [float(r[2]) + float(r[3]) for r in rows if r[0] == label]
    return statistics.median(v) if v else None
sizes = [int(n) for n in os.environ["SIZES"].split()]
print(f"{'reports':>8} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'pages s':>8} {'output MB':>10} {'files':>8}  runs (wall s)")
for n in sizes:
    l = f"dangan-{n}"
    runs = [float(r[1]) for r in rows if r[0] == l]
    print(f"{n:>8} {med(l, 1):>8.2f} {cpu(l):>8.2f} {med(l, 4, int) / 1024:>8.0f} {med(l, 5) / 1000:>8.2f} "
          f"{med(l, 6, int) / 1e6:>10.0f} {med(l, 7, int):>8.0f}  {runs}")
h = "hugo-10000"
if med(h, 1) is not None:
    runs = [float(r[1]) for r in rows if r[0] == h]
    print(f"{'hugo 10k':>8} {med(h, 1):>8.2f} {cpu(h):>8.2f} {med(h, 4, int) / 1024:>8.0f} {'':>8} "
          f"{med(h, 6, int) / 1e6:>10.0f} {med(h, 7, int):>8.0f}  {runs}")
for a, b in zip(sizes, sizes[1:]):
    print(f"{b} / {a} reports: wall x{med(f'dangan-{b}', 1) / med(f'dangan-{a}', 1):.1f}, "
          f"cpu x{cpu(f'dangan-{b}') / cpu(f'dangan-{a}'):.1f}, "
          f"peak x{med(f'dangan-{b}', 4, int) / med(f'dangan-{a}', 4, int):.1f} for x{b / a:.0f} the reports")
watch, n = {}, None
for line in open(sys.argv[2]):
    if line.strip().isdigit():
        n = int(line); print(f"watch, {n} reports:"); continue
    print("  " + line.rstrip())
    m = re.match(r"any\s+edit, \d+ saves: median ([\d.]+) ms, p95 ([\d.]+) ms", line)
    if m:
        watch[n] = (float(m.group(1)), float(m.group(2)))
checks = []
if 10000 in sizes:
    peak = med("dangan-10000", 4, int) / 1024
    checks.append((f"10,000 reports: peak {peak:.0f} MB <= 400 MB", peak <= 400))
    if med(h, 1) is not None:
        r = med("dangan-10000", 1) / med(h, 1)
        checks.append((f"10,000 reports: wall {r:.2f} of Hugo's <= 1/3", r <= 1 / 3))
    if 10000 in watch:
        m, p95 = watch[10000]
        checks.append((f"10,000 reports, watch: save -> pages on disk median {m:.0f} ms <= 100 ms (p95 {p95:.0f} ms)", m <= 100))
if 100000 in sizes:
    peak = med("dangan-100000", 4, int) / 1024
    checks.append((f"100,000 reports: peak {peak:.0f} MB <= 2048 MB", peak <= 2048))
    if 10000 in sizes:
        r = med("dangan-100000", 1) / med("dangan-10000", 1)
        checks.append((f"100,000 reports: wall x{r:.1f} the 10,000 wall <= x11", r <= 11))
    if 100000 in watch:
        m, p95 = watch[100000]
        checks.append((f"100,000 reports, watch: save -> pages on disk median {m:.0f} ms (p95 {p95:.0f} ms; no target)", True))
for what, ok in checks:
    print(("met     " if ok else "NOT MET ") + what)
EOF
