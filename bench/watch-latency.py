#!/usr/bin/env python3
"""Save-to-disk latency of `dangan watch` on a generated archive.

    bench/watch-latency.py [N=10000] [EDITS=30] [DIR=/dev/shm/dangan-watch]

Starts `dangan watch` (release build) on `bench/gen-corpus.py N`, then saves reports
the way editors do (write a temporary file, rename it over the report) and
measures the time from the rename until every affected page is on disk:
  - a body edit: the report's page and its unit's compilation (汇编) of the year;
  - a title edit: those and the unit, year and type pages that list it.
Prints the median and 95th percentile of each. Times include the watcher's
debounce, the rebuild and the writes; they are read from file modification
times polled every 0.2 ms, so they are upper bounds by about that much.
Also prints when the search index followed: the time from the save until
dangan reports the index written (read from its output as it happens).
Each save waits until the previous rebuild, search index included, is done.
The reports saved are put back as they were when the script ends, so that an
archive kept for other benchmarks (bench/scale.sh) stays as generated.
"""
import os, queue, re, statistics, subprocess, sys, threading, time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
EDITS = int(sys.argv[2]) if len(sys.argv) > 2 else 30
DIR = sys.argv[3] if len(sys.argv) > 3 else "/dev/shm/dangan-watch"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BIN = os.path.join(REPO, "target", "release", "dangan")

subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path", os.path.join(REPO, "Cargo.toml")], check=True)
if not os.path.exists(os.path.join(DIR, f".n-{N}")):
    subprocess.run(["rm", "-rf", DIR], check=True)
    subprocess.run([sys.executable, os.path.join(HERE, "gen-corpus.py"), str(N), DIR], check=True, stdout=subprocess.DEVNULL)
    open(os.path.join(DIR, f".n-{N}"), "w").close()
content = os.path.join(DIR, "content")
public = os.path.join(DIR, "public")
reports = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(content) for f in fs if f.endswith(".md"))

proc = subprocess.Popen([BIN, "--root", DIR, "watch"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
RUN = str(time.time_ns())[-8:]  # markers unique to this run, so every save changes the text
for line in proc.stderr:
    if line.startswith("watching"):
        break
rebuilds = queue.Queue()  # when each search index update was reported
def read_stderr():
    for line in proc.stderr:
        if line.startswith("search index updated"):
            rebuilds.put(time.perf_counter())
threading.Thread(target=read_stderr, daemon=True).start()

def field(text, name):
    return re.search(r"^%s: \"?([^\"\n]*)\"?$" % name, text, re.M).group(1)

def save(path, text):  # an editor's atomic save
    tmp = os.path.join(os.path.dirname(path), ".%s.swp" % os.path.basename(path))
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)

def mtime(p):
    try:
        return os.stat(p).st_mtime_ns
    except FileNotFoundError:
        return 0

def wait(pages, before, marker, start, limit=60.0):
    pending = set(pages)
    while pending and time.perf_counter() - start < limit:
        for p in list(pending):
            if mtime(p) != before[p]:
                with open(p, encoding="utf-8") as f:
                    if marker in f.read():
                        pending.discard(p)
        time.sleep(0.0002)
    if pending:
        raise SystemExit("timed out waiting for %s" % pending)
    return (time.perf_counter() - start) * 1000

def measure():
    step = max(1, len(reports) // EDITS)
    for i, path in enumerate(reports[::step][:EDITS]):
        text = open(path, encoding="utf-8").read()
        originals.setdefault(path, text)
        rel = os.path.relpath(path, content)[:-3] + ".html"
        page = os.path.join(public, rel)
        unit, date, kind = field(text, "unit"), field(text, "date"), field(text, "type")
        lists = [os.path.join(public, "unit", unit + ".html"), os.path.join(public, "year", date[:4] + ".html"), os.path.join(public, "type", kind + ".html")]
        # The unit's compilation (汇编) of the year binds the report whole: every save rewrites it.
        compilation = os.path.join(public, "year", date[:4], unit + ".html")
        bound = [compilation] if os.path.exists(compilation) else []
        for what in ("body", "title"):
            marker = "标记%s%s%d" % (RUN, what, i)
            if what == "body":
                new, pages = text + "\n\n" + marker + "\n", [page] + bound
            else:
                new, pages = re.sub(r"^title: .*$", 'title: "%s"' % marker, text, count=1, flags=re.M), [page] + lists + bound
            before = {p: mtime(p) for p in pages}
            start = time.perf_counter()
            save(path, new)
            results[what].append(wait(pages, before, marker, start))
            # from the save until dangan reports the search index written; the
            # next save waits for it, so that each save is measured alone
            search_ms.append((rebuilds.get(timeout=300) - start) * 1000)
            text = new

results = {"body": [], "title": []}
search_ms = []
originals = {}  # path -> text before the first save
try:
    measure()
finally:
    proc.terminate()
    proc.wait()
    for path, text in originals.items():
        save(path, text)

results["any"] = results["body"] + results["title"]
results["search index follows"] = search_ms
for what, ms in results.items():
    ms.sort()
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    print("%-5s %s, %d saves: median %.1f ms, p95 %.1f ms, max %.1f ms" % (what, "" if "search" in what else "edit", len(ms), statistics.median(ms), p95, ms[-1]))
