#!/usr/bin/env python3
"""Search latency of a built site's search page in headless Chromium, over file://.

    bench/search-latency.py SITE_DIR [--runs N] [--trace] [QUERY ...]
    bench/search-latency.py --corpus N [--dir DIR] [--runs N] [QUERY ...]

SITE_DIR is a built output folder (with search.html and _search/). With
--corpus N the script writes `bench/gen-corpus.py N` into DIR (default
/dev/shm/dangan-search-latency; kept between runs, regenerated when N changes),
builds it into DIR/public with target/release/dangan on every run (the binary
as it is: this script runs no cargo) and measures that. Without queries it measures the list of
examples/search_queries.rs. Needs Debian's Chromium and ChromeDriver
(apt-get install -y chromium chromium-driver); Python's standard library only.

Two times per query, each --runs times (default 5), each run in a new page:
  cold   open search.html?q=QUERY: from the start of the navigation until the
         page shows the results for QUERY (the entry _search/index.js, the
         leaves, lists and texts of the first 20 results, all rendered);
  typed  open search.html, wait until its entry (_search/index.js) is loaded, then put
         QUERY in the search box and send the `input` event typing sends: from
         just before that event until the results for QUERY are shown.

How the times are taken: inside the page, never by the Python clock, so
WebDriver round trips add nothing. search.js marks the end of a search on
#dg-status: data-state becomes "done" (or "empty" for a query with no words,
"error" for a missing file) and data-for holds the page's query string
("?q=..."). A MutationObserver on those two attributes records
performance.now() the moment they say "done for QUERY"; the observer runs as
a microtask right after the script that set them, before the next paint.
  - cold: the observer is installed with Chromium's
    Page.addScriptToEvaluateOnNewDocument (through ChromeDriver's CDP
    command), which runs in every new document before any of its own scripts,
    so the change cannot happen before the observer is there and no fallback
    is needed (resource timing would not do anyway: Chromium makes no
    resource timing entries for file:// scripts). performance.now() counts from
    the document's time origin, the start of its navigation, so the time
    includes the page's own load, search.js, the index files and the search. Each run
    starts from the site's 404.html, a small page of the same site, the way a
    reader comes from another page; the previous search page, its shards and
    its JavaScript heap are gone.
  - typed: the same observer, installed by the measuring script on
    #dg-status before it sets the input's value and dispatches the event;
    the clock starts with performance.now() just before dispatchEvent.
  The table's times end at that change of #dg-status. The time to the next
  animation frame (requestAnimationFrame after the change, close to when the
  results reach the screen) is printed below the table as an extra, and so is
  the longest task the typed search ran on the page's main thread (Chromium's
  Long Tasks API: tasks of 50 ms or more, during which the page cannot react
  to the next keystroke; none means every task was shorter).
  With --trace, the same longest task is also taken from a Chromium trace
  (ChromeDriver's performance log), in CPU time of the main thread as well
  as wall time: on a machine busy with other work a task's wall time grows
  with the time the thread waits for a core, its CPU time does not. The
  trace slows the page down, so the other times of a --trace run are not
  comparable with those of a run without it.

Caveats: the files are read by the browser, not over a network, and after the
first run they are in the operating system's file cache (on /dev/shm they
always are), so the times are of a warm disk; Chromium keeps no HTTP cache for
file://, and every run is a new document, so no shard is in the page's memory.
A single input event stands for typing the whole query at once (a paste, or an
input method committing a word); real typing sends one event per committed
character and search.js starts a search on each (there is no debounce), the
last one wins (a superseded search stops at its next ~12 ms slice). One untimed page load warms the browser up first.
Exits with 2 when Chromium, ChromeDriver or the site's search page is missing,
with 1 when a page reported an error or a search did not finish.
"""
import argparse, http.client, json, os, pathlib, shutil, signal, socket, statistics
import subprocess, sys, tempfile, time, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BIN = os.path.join(REPO, "target", "release", "dangan")
GEN = os.path.join(HERE, "gen-corpus.py")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
QUERIES = ["党建", "社区", "基层党建", "党员教育", "三会一课", "网格化管理", "2020", "1+N", "社区治理 工作总结"]
SLOW_MS = 300

# Runs in every new document before its own scripts: records when #dg-status
# first says a search for the page's ?q= is finished.
OBSERVE = r"""
(function () {
  if (!/\/search\.html$/.test(location.pathname)) return;
  var want = new URLSearchParams(location.search).get("q") || "";
  var rec = window.__dgBench = { want: want, t: null, frame: null, state: null, count: null, text: null, notify: null };
  function finish(force) { if (rec.notify) rec.notify(force); }
  var mo = new MutationObserver(function () {
    var st = document.getElementById("dg-status");
    if (!st || rec.t !== null) return;
    var s = st.getAttribute("data-state");
    if ((s === "done" || s === "empty" || s === "error") &&
        (new URLSearchParams(st.getAttribute("data-for") || "").get("q") || "") === want) {
      rec.t = performance.now();
      rec.state = s;
      rec.count = st.getAttribute("data-count");
      rec.text = st.textContent;
      mo.disconnect();
      requestAnimationFrame(function () { rec.frame = performance.now(); finish(); });
      setTimeout(function () { finish(true); }, 1000); // should no frame come: return without its time
      finish();
    }
  });
  mo.observe(document, { subtree: true, attributes: true, attributeFilter: ["data-state", "data-for"] });
})();
"""

# Waits for the record above (the search may still be running when WebDriver
# hands over after the load event) and returns it.
COLD_RESULT = r"""
var done = arguments[arguments.length - 1], rec = window.__dgBench;
if (!rec) return done({ error: "the observer is missing (not a search page?)" });
function out(force) {
  if (rec.t === null || (rec.frame === null && !force && performance.now() - rec.t < 1000)) return false;
  rec.notify = null;
  done({ t: rec.t, frame: rec.frame, state: rec.state, count: rec.count, text: rec.text });
  return true;
}
if (!out()) rec.notify = out;
"""

# On a search page whose index is loaded: types arguments[0] as one input event.
TYPED = r"""
var q = arguments[0], done = arguments[arguments.length - 1];
var st = document.getElementById("dg-status"), input = document.getElementById("dg-q");
if (!st || !input) return done({ error: "no #dg-status or #dg-q on the page" });
var rec = { t: null, frame: null, longest: 0 }, t0, sent = false;
var lt = new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) {
    if (e.startTime + e.duration >= t0) rec.longest = Math.max(rec.longest, e.duration);
  });
});
lt.observe({ type: "longtask" });
function send(force) {
  if (sent || rec.t === null || (rec.frame === null && !force)) return;
  sent = true;
  lt.takeRecords().forEach(function (e) { if (e.startTime + e.duration >= t0) rec.longest = Math.max(rec.longest, e.duration); });
  lt.disconnect();
  done(rec);
}
var mo = new MutationObserver(function () {
  var s = st.getAttribute("data-state");
  if (rec.t === null && (s === "done" || s === "empty" || s === "error") &&
      (new URLSearchParams(st.getAttribute("data-for") || "").get("q") || "") === q) {
    rec.t = performance.now() - t0;
    rec.state = s;
    rec.count = st.getAttribute("data-count");
    rec.text = st.textContent;
    mo.disconnect();
    requestAnimationFrame(function () { rec.frame = performance.now() - t0; send(); });
    setTimeout(function () { send(true); }, 1000); // should no frame come: return without its time
  }
});
mo.observe(st, { attributes: true, attributeFilter: ["data-state", "data-for"] });
t0 = performance.now();
input.value = q;
input.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: q }));
"""


def fail(msg):
    print("search-latency: " + msg, file=sys.stderr)
    sys.exit(2)


class WebDriverError(Exception):
    pass


class Browser:
    """Headless Chromium through ChromeDriver, spoken to in plain W3C WebDriver
    over HTTP, with the flags of tests/it/support/webdriver.rs."""

    def __init__(self, trace=False):
        self.trace = trace
        self.driver = None
        self.session = None
        self.profile = tempfile.mkdtemp(prefix="dangan-search-latency-profile-")
        try:
            self.start()
        except BaseException:
            self.close()
            raise

    def start(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        # A process group of its own: Ctrl-C reaches only this script, which
        # then ends the driver and the browser itself (see close()).
        self.driver = subprocess.Popen([CHROMEDRIVER, "--port=%d" % self.port], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, start_new_session=True)
        t0 = time.monotonic()
        while True:
            try:
                if self.call("GET", "/status", timeout=2).get("ready"):
                    break
            except (OSError, WebDriverError, ValueError):
                pass
            if self.driver.poll() is not None:
                raise WebDriverError("chromedriver exited with status %d" % self.driver.returncode)
            if time.monotonic() - t0 > 20:
                raise WebDriverError("chromedriver did not start within 20 s")
            time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--disable-dev-shm-usage", "--window-size=1200,900",
                         "--user-data-dir=" + self.profile],
            },
        }}}
        if self.trace:
            m = caps["capabilities"]["alwaysMatch"]
            m["goog:loggingPrefs"] = {"performance": "ALL"}
            m["goog:chromeOptions"]["perfLoggingPrefs"] = {
                "enableNetwork": False, "enablePage": False,
                "traceCategories": "toplevel,blink.user_timing,devtools.timeline,disabled-by-default-devtools.timeline"}
        v = self.call("POST", "/session", caps)
        self.session = v["sessionId"]
        self.version = v.get("capabilities", {}).get("browserVersion", "?")
        self.cmd("POST", "timeouts", {"script": 60000, "pageLoad": 60000})

    def call(self, method, path, body=None, timeout=120):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = None if body is None else json.dumps(body).encode()
            conn.request(method, path, body=data, headers={"Content-Type": "application/json; charset=utf-8"})
            raw = conn.getresponse().read()
        finally:
            conn.close()
        value = json.loads(raw.decode("utf-8"))["value"]
        if isinstance(value, dict) and "error" in value:
            raise WebDriverError("%s: %s" % (value["error"], (value.get("message") or "").split("\n")[0]))
        return value

    def cmd(self, method, what, body=None):
        return self.call(method, "/session/%s/%s" % (self.session, what), {} if body is None and method == "POST" else body)

    def goto(self, url):
        self.cmd("POST", "url", {"url": url})

    def eval(self, script, *args):
        return self.cmd("POST", "execute/sync", {"script": script, "args": list(args)})

    def eval_async(self, script, *args):
        return self.cmd("POST", "execute/async", {"script": script, "args": list(args)})

    def trace_tasks(self, mark):
        """The page's main-thread tasks since performance.mark(mark), from the
        trace ChromeDriver has gathered since the last call: [(cpu ms, wall ms)].
        The main thread is the one that ran the page's scripts."""
        entries = self.call("POST", "/session/%s/se/log" % self.session, {"type": "performance"})
        evs = []
        for e in entries:
            m = json.loads(e["message"])["message"]
            if m.get("method") == "Tracing.dataCollected":
                evs.append(m["params"])
        main = {(e["pid"], e["tid"]) for e in evs if e.get("name") in ("FunctionCall", "EvaluateScript", "EventDispatch")}
        t0 = max((e["ts"] for e in evs if e.get("name") == mark), default=None)
        if t0 is None:
            return None
        return [(e.get("tdur", 0) / 1000, e.get("dur", 0) / 1000) for e in evs
                if e.get("name") == "RunTask" and e.get("ph") == "X" and (e["pid"], e["tid"]) in main
                and e["ts"] + e.get("dur", 0) >= t0]

    def cdp(self, cmd, params):
        return self.cmd("POST", "goog/cdp/execute", {"cmd": cmd, "params": params})

    def close(self):
        """Ends the session (which quits Chromium), then ChromeDriver, then
        anything left in ChromeDriver's process group. Safe to call twice."""
        if self.session:
            session, self.session = self.session, None
            try:
                self.call("DELETE", "/session/" + session, timeout=10)
            except (OSError, WebDriverError, ValueError):
                pass
        if self.driver and self.driver.poll() is None:
            self.driver.terminate()
            try:
                self.driver.wait(5)
            except subprocess.TimeoutExpired:
                self.driver.kill()
                self.driver.wait()
        if self.driver:
            try:
                os.killpg(self.driver.pid, signal.SIGKILL)  # the group this script created
            except (ProcessLookupError, PermissionError):
                pass
            self.driver = None
        shutil.rmtree(self.profile, ignore_errors=True)


def prepare_corpus(n, work):
    if not os.path.exists(BIN):
        fail("%s is missing: build it first (cargo build --release)" % BIN)
    if not os.path.exists(GEN):
        fail("%s is missing" % GEN)
    mark = os.path.join(work, ".n-%d" % n)
    if not os.path.exists(mark):
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        print("generating %d reports in %s" % (n, work), flush=True)
        subprocess.run([sys.executable, GEN, str(n), work], check=True, stdout=subprocess.DEVNULL)
        open(mark, "w").close()
    public = os.path.join(work, "public")
    shutil.rmtree(public, ignore_errors=True)
    t0 = time.monotonic()
    subprocess.run([BIN, "build", "--root", work, "--out", public, "--quiet"], check=True)
    print("built with %s in %.1f s" % (BIN, time.monotonic() - t0), flush=True)
    return public


def index_size(site):
    n = size = 0
    for dp, _, fs in os.walk(os.path.join(site, "_search")):
        for f in fs:
            n += 1
            size += os.path.getsize(os.path.join(dp, f))
    return n, size


def measure(b, search, start, queries, runs):
    """Returns {query: {"cold": [ms], "typed": [ms], "frame": [ms], "longest": [ms], "count": set, "errors": [..]}}."""
    res = {q: {"cold": [], "typed": [], "frame": [], "longest": [], "cpu": [], "wall": [], "count": set(), "errors": []}
           for q in queries}

    def record(q, kind, r):
        if r.get("error"):
            res[q]["errors"].append("%s: %s" % (kind, r["error"]))
            return
        if r["state"] == "error":
            res[q]["errors"].append("%s: the page says %r" % (kind, r["text"]))
            return
        res[q][kind].append(r["t"])
        if r.get("frame") is not None:
            res[q]["frame"].append(r["frame"] - r["t"])
        if r.get("longest") is not None:
            res[q]["longest"].append(r["longest"])
        res[q]["count"].add(int(r["count"] or 0))

    # Warm-up, untimed: the browser's first page load starts its renderer.
    b.goto(start)
    b.goto(search + "?q=" + urllib.parse.quote(queries[0], safe=""))
    b.eval_async(COLD_RESULT)
    for run in range(runs):
        for q in queries:
            # cold: a new search page with the query in its URL
            b.goto(start)
            try:
                b.goto(search + "?q=" + urllib.parse.quote(q, safe=""))
                record(q, "cold", b.eval_async(COLD_RESULT))
            except WebDriverError as e:
                res[q]["errors"].append("cold: %s" % e)
            # typed: a new search page without a query, then the query typed in
            b.goto(start)
            try:
                b.goto(search)
                ready = b.eval_async(COLD_RESULT)  # the "empty" state: index loaded, input listened to
                if ready.get("error") or ready.get("state") != "empty":
                    res[q]["errors"].append("typed: the empty search page did not get ready: %r" % ready)
                    continue
                if b.trace:
                    b.eval("performance.mark('dg-typed');")
                record(q, "typed", b.eval_async(TYPED, q))
                if b.trace:
                    time.sleep(1)  # for the page's trace to reach ChromeDriver
                    tasks = b.trace_tasks("dg-typed")
                    if tasks is None:
                        res[q]["untraced"] = res[q].get("untraced", 0) + 1
                    elif tasks:
                        res[q]["cpu"].append(max(c for c, _ in tasks))
                        res[q]["wall"].append(max(w for _, w in tasks))
            except WebDriverError as e:
                res[q]["errors"].append("typed: %s" % e)
        print("  run %d of %d done" % (run + 1, runs), file=sys.stderr, flush=True)
    return res


def fmt(ms):
    return "%.0f" % ms


def main():
    ap = argparse.ArgumentParser(description="Search latency of a built dangan site in headless Chromium (file://).")
    ap.add_argument("site", nargs="?", help="a built output folder (with search.html and _search/)")
    ap.add_argument("queries", nargs="*", help="queries (default: those of examples/search_queries.rs)")
    ap.add_argument("--runs", type=int, default=5, help="runs per query and measurement (default 5)")
    ap.add_argument("--trace", action="store_true",
                    help="also the longest main-thread task of a typed search in CPU time, from a trace")
    ap.add_argument("--corpus", type=int, metavar="N", help="generate N reports, build them and measure that site")
    ap.add_argument("--dir", "--out", dest="dir", default="/dev/shm/dangan-search-latency",
                    help="work folder of --corpus (default /dev/shm/dangan-search-latency)")
    args = ap.parse_intermixed_args()
    if args.runs < 1:
        fail("--runs must be at least 1")
    queries = list(args.queries)
    if args.corpus is not None:
        if args.site:  # with --corpus every positional is a query
            queries.insert(0, args.site)
        site = None
    elif not args.site:
        ap.print_usage(sys.stderr)
        fail("give a built site folder, or --corpus N")
    else:
        site = args.site
    queries = queries or QUERIES
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not os.access(binary, os.X_OK):
            fail("%s not found: this benchmark needs Debian's Chromium and ChromeDriver "
                 "(apt-get install -y chromium chromium-driver)" % binary)
    if site is None:
        site = prepare_corpus(args.corpus, os.path.abspath(args.dir))
    site = os.path.abspath(site)
    search_html = os.path.join(site, "search.html")
    if not os.path.isfile(search_html):
        fail("%s has no search.html: is it a built dangan site?" % site)
    if not os.path.isfile(os.path.join(site, "_search", "index.js")):
        fail("%s has no _search/index.js: the site was built without its search index" % site)
    start = os.path.join(site, "404.html")
    if not os.path.isfile(start):
        start = os.path.join(site, "index.html")
    search = pathlib.Path(search_html).as_uri()
    start = pathlib.Path(start).as_uri()

    # Ctrl-C raises KeyboardInterrupt; make SIGTERM and SIGHUP unwind the same way.
    def stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)

    b = None
    try:
        b = Browser(trace=args.trace)
        b.cdp("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVE})
        files, size = index_size(site)
        print("site %s: search index %d files, %.1f MB" % (site, files, size / 1e6))
        print("Chromium %s, headless, file://; %d runs per query, each in a new page" % (b.version, args.runs))
        res = measure(b, search, start, queries, args.runs)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
    except WebDriverError as e:
        fail("WebDriver: %s" % e)
    finally:
        if b:
            b.close()

    w = max(12, max(len(q) * 2 + 2 for q in queries))  # CJK characters are two columns wide
    def pad(q):
        q = q if q == q.strip() else '"%s"' % q  # show blank or padded queries
        return q + " " * max(1, w - sum(2 if ord(c) > 0x2e7f else 1 for c in q))
    print()
    print("%s %8s  %14s  %14s" % (pad("query"), "results", "cold ms", "typed ms"))
    print("%s %8s  %6s %7s  %6s %7s" % (pad(""), "", "median", "max", "median", "max"))
    cold_all, typed_all, frames, longest, errors = [], [], [], [], []
    for q in queries:
        r = res[q]
        cold_all += r["cold"]
        typed_all += r["typed"]
        frames += r["frame"]
        longest += [(t, q) for t in r["longest"]]
        errors += ["%s: %s" % (q, e) for e in r["errors"]]
        count = "/".join(str(c) for c in sorted(r["count"])) or "?"
        print("%s %8s  %6s %7s  %6s %7s" % (
            pad(q), count,
            fmt(statistics.median(r["cold"])) if r["cold"] else "-", fmt(max(r["cold"])) if r["cold"] else "-",
            fmt(statistics.median(r["typed"])) if r["typed"] else "-", fmt(max(r["typed"])) if r["typed"] else "-"))
    print()
    for name, ms in (("cold ", cold_all), ("typed", typed_all)):
        if ms:
            over = sum(1 for t in ms if t > SLOW_MS)
            print("%s all queries: median %.0f ms, max %.0f ms; %d of %d runs over %d ms" % (
                name, statistics.median(ms), max(ms), over, len(ms), SLOW_MS))
    slow = [q for q in queries if res[q]["cold"] and statistics.median(res[q]["cold"]) > SLOW_MS
            or res[q]["typed"] and statistics.median(res[q]["typed"]) > SLOW_MS]
    print("queries with a median over %d ms (cold or typed): %d of %d%s" % (
        SLOW_MS, len(slow), len(queries), (" (" + ", ".join(slow) + ")") if slow else ""))
    if frames:
        print("the next animation frame came a median %.0f ms (max %.0f ms) after the results were in the page"
              % (statistics.median(frames), max(frames)))
    if longest:
        top, top_q = max(longest)
        print("longest main-thread task of a typed search: median %.0f ms, max %.0f ms (%s)%s" % (
            statistics.median(t for t, _ in longest), top, top_q,
            "" if top else "; no task reached 50 ms"))
    if args.trace:
        cpu = [(t, q) for q in queries for t in res[q]["cpu"]]
        wall = [t for q in queries for t in res[q]["wall"]]
        if cpu:
            top, top_q = max(cpu)
            print("longest main-thread task of a typed search, traced: CPU time median %.1f ms, max %.1f ms (%s); "
                  "wall time max %.1f ms" % (statistics.median(t for t, _ in cpu), top, top_q, max(wall)))
        missed = sum(res[q].get("untraced", 0) for q in queries)
        if missed:
            print("(%d typed runs left out: their trace came without the start mark)" % missed)
    print("results: reports found, as the page reports them (#dg-status data-count).")
    print("cold: from the start of navigation to the results shown; typed: from the input event to the results "
          "shown, on a loaded page. Files come from the OS file cache (warm), none from the page's memory.")
    if errors:
        print("\nerrors:", file=sys.stderr)
        for e in errors:
            print("  " + e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
