#!/usr/bin/env bash
# What the address record (old links kept working, #19) costs: the "old
# addresses" step of DANGAN_TIMING (the record read against the site, the
# redirects and the next record worked out) beside the whole run, median of
# RUNS runs, in four cases on one generated archive:
#   first    full build with no record yet
#   again    full build with the record of every report
#   moved    full build after one year's reports (about a 15th) moved to
#            another folder and back, turn about: that many redirect pages
#   watch    one report's text edited in `dangan watch` (pages of the save)
#   bench/addresses.sh [N=10000] [RUNS=5] [DIR=/dev/shm/dangan-addresses]
# Needs python3 and GNU time. Run it under `flock /tmp/dangan-bench.lock`.
set -euo pipefail
N=${1:-10000}; RUNS=${2:-5}; DIR=${3:-/dev/shm/dangan-addresses}
HERE=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$HERE/Cargo.toml"
BIN="$HERE/target/release/dangan"
if [ ! -f "$DIR/.n-$N" ]; then
  rm -rf "$DIR"; mkdir -p "$DIR"
  python3 "$HERE/bench/gen-corpus.py" "$N" "$DIR" >/dev/null
  touch "$DIR/.n-$N"
fi
LAPS="$DIR/laps"; rm -rf "$LAPS"; mkdir -p "$LAPS"
full() { # case run: a full build, its laps and wall time kept
  rm -rf "$DIR/public"
  DANGAN_TIMING=1 /usr/bin/time -f "wall %e" "$BIN" --root "$DIR" build --quiet 2>"$LAPS/$1-$2.txt"
}
YEAR=$(ls "$DIR/content/reports" | sort | sed -n 5p)
for i in $(seq "$RUNS"); do
  rm -f "$DIR/dangan-addresses.txt"
  full first "$i"
  full again "$i"
  if [ -d "$DIR/content/reports/$YEAR" ]; then
    mkdir -p "$DIR/content/moved"; mv "$DIR/content/reports/$YEAR" "$DIR/content/moved/$YEAR"
  else
    mv "$DIR/content/moved/$YEAR" "$DIR/content/reports/$YEAR"
  fi
  full moved "$i"
done
[ -d "$DIR/content/moved/$YEAR" ] && mv "$DIR/content/moved/$YEAR" "$DIR/content/reports/$YEAR"
redirects=$(grep -c 'http-equiv="refresh"' -r "$DIR/public" --include='*.html' | awk -F: '{s+=$2} END {print s}')

# Watch: edit one report's text RUNS times, a second apart.
"$BIN" --root "$DIR" build --quiet
REPORT=$(find "$DIR/content/reports" -name '*.md' | sort | sed -n 1p)
cp "$REPORT" "$DIR/report.bak"
DANGAN_TIMING=1 "$BIN" --root "$DIR" watch --quiet 2>"$LAPS/watch.txt" &
WATCH=$!
trap 'kill "$WATCH" 2>/dev/null || true' EXIT
# Waits (up to a minute) until the watch's laps name $1 at least $2 times: a loaded machine
# may take longer than any fixed sleep over the first build or a save.
laps_seen() {
  for _ in $(seq 600); do
    [ "$(grep -c "$1" "$LAPS/watch.txt" || true)" -ge "$2" ] && return 0
    sleep 0.1
  done
  echo "bench/addresses.sh: watch did not report '$1' in time" >&2; return 1
}
laps_seen "search index staged" 1
for i in $(seq "$RUNS"); do
  printf '\n补充第%s段。\n' "$i" >>"$REPORT"
  laps_seen "pages written" "$i"
  sleep 0.5
done
kill "$WATCH"; wait "$WATCH" 2>/dev/null || true
cp "$DIR/report.bak" "$REPORT"

python3 - "$LAPS" "$RUNS" "$redirects" <<'EOF'
import glob, os, re, statistics, sys
laps, runs, redirects = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def parse(path):
    """Runs of laps in a file: each a dict lap -> ms since the run started, plus 'wall'."""
    out, cur = [], None
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r"\s*([\d.]+) ms\s+\S+ ms cpu\s+(.*)", line)
        if m:
            ms, name = float(m.group(1)), m.group(2).strip()
            if name == "site model":
                cur = {}
                out.append(cur)
            if cur is not None:
                cur.setdefault(name, ms)
        elif line.startswith("wall ") and out:
            out[-1]["wall"] = float(line.split()[1]) * 1000
    return out

def show(label, rows, whole, whole_name):
    step = [r["old addresses"] - r["site model"] for r in rows]
    tot = [r[whole] for r in rows]
    s, t = statistics.median(step), statistics.median(tot)
    print(f"{label:6s} old addresses median {s:7.1f} ms of {whole_name} {t:8.1f} ms ({100*s/t:4.1f}%)  runs: {[round(x,1) for x in step]}")

for case in ("first", "again", "moved"):
    rows = [parse(f)[0] for f in sorted(glob.glob(os.path.join(laps, f"{case}-*.txt")))]
    show(case, rows, "wall", "the build's")
watch = [r for r in parse(os.path.join(laps, "watch.txt"))[1:] if "pages written" in r]
show("watch", watch, "pages written", "the save's pages")
print(f"(the moved case has {redirects} redirect pages)")
EOF
