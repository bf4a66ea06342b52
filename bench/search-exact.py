#!/usr/bin/env python3
"""Checks a built site's search page in headless Chromium against a brute-force
substring scan of the archive's reports, at any size (#14: "still exact").

    bench/search-exact.py SITE_DIR ARCHIVE_DIR [--random N] [--seed S] [QUERY ...]

ARCHIVE_DIR is an archive written by bench/gen-corpus.py (without
--attachments) and SITE_DIR its `dangan build` output. Each report's text is
made from its Markdown the way the index sees it (headings, list items, table
cells and paragraphs one block each; then summary and tags), normalized as
src/search/normalize.rs does (line breaks between Chinese characters vanish,
NFKC, lower case); a report matches a query when each of its terms is in the
title or in that text. Then, for the typical queries of
examples/search_queries.rs, the given ones and N random phrases cut from
random reports (2 to 8 Chinese characters, each found in at most 300 reports;
the long ones go through the page's check of candidates on their texts),
search.html?q=... is opened from file:// and, once the page says it is done:

  - every result on the first page must be a report that contains the query
    (no false positives);
  - the count shown must equal the scan's, when the page says it is exact
    ("找到 N 篇报告"); an estimate ("找到约 N") is printed, not compared;
  - when the scan finds at most --list reports (default 300), "more" is pressed
    until every result is listed, and the listed reports must be exactly the
    scan's (every report that contains the query can be reached).

Prints one line per query and exits 1 on any difference. Needs Debian's
Chromium and ChromeDriver; Python's standard library only.
"""
import argparse, importlib.util, os, random, re, sys, time, unicodedata, urllib.parse, pathlib

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("search_latency", os.path.join(HERE, "search-latency.py"))
latency = importlib.util.module_from_spec(spec)
spec.loader.exec_module(latency)

WIDE = [(0x1100, 0x115F), (0x2E80, 0x303E), (0x3041, 0x33FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
        (0xA000, 0xA4CF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFF60),
        (0xFFE0, 0xFFE6), (0x20000, 0x3FFFD)]
WIDE_ONE = {0x00B7, 0x2014, 0x2015, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026}


def is_space(c):
    o = ord(c)
    if o < 0x80:
        return o <= 0x20 or o == 0x7F
    if 0x4E00 <= o <= 0x9FFF:
        return False
    return c.isspace() or unicodedata.category(c) == "Cc" or o in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)


def is_wide(c):
    o = ord(c)
    return o in WIDE_ONE or any(a <= o <= b for a, b in WIDE)


def display_text(s):
    """normalize.rs display_text: a run of spaces goes, or becomes one space
    between two characters that are not wide."""
    out, i, n = [], 0, len(s)
    while i < n:
        c = s[i]
        if not is_space(c):
            out.append(c)
            i += 1
            continue
        j = i
        while j < n and is_space(s[j]):
            j += 1
        if j < n and out and not is_wide(out[-1]) and not is_wide(s[j]):
            out.append(" ")
        i = j
    return "".join(out)


def normalize(s):
    t = unicodedata.normalize("NFKC", s).lower()
    return "".join(" " if is_space(c) else c for c in t)


def for_match(s):
    return normalize(display_text(s))


def query_terms(q):
    terms = []
    for t in normalize(q).split(" "):
        if t and t not in terms:
            terms.append(t)
    return terms


FIELD = re.compile(r'^(title|summary|tags|draft): (.*)$')


def unquote(v):
    v = v.strip()
    if v.startswith('"'):
        return v[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return v


def body_text(md):
    """The blocks of gen-corpus Markdown as plain_text in src/markdown.rs
    gives them: one line each, table cells apart, the markup gone."""
    blocks = []
    for line in md.split("\n"):
        line = line.strip()
        if not line:
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if all(re.fullmatch(r":?-+:?", c) for c in cells):
                continue
            blocks += cells
            continue
        line = re.sub(r"^#{1,6}\s+", "", line)
        line = re.sub(r"^\d+\.\s+", "", line)
        blocks.append(line)
    return "\n".join(blocks)


def load_reports(archive):
    """[(url, title, text)] of the archive's published reports, normalized."""
    docs = []
    content = pathlib.Path(archive, "content")
    for p in sorted(content.rglob("*.md")):
        raw = p.read_text(encoding="utf-8")
        if not raw.startswith("---\n"):
            continue
        head, _, body = raw[4:].partition("\n---\n")
        meta = {}
        for line in head.split("\n"):
            m = FIELD.match(line)
            if m:
                meta[m.group(1)] = m.group(2)
        if meta.get("draft", "false").strip() == "true":
            continue
        extra = []
        if "summary" in meta:
            extra.append(unquote(meta["summary"]))
        if "tags" in meta:
            tags = [unquote(t) for t in re.findall(r'"(?:[^"\\]|\\.)*"', meta["tags"])]
            if tags:
                extra.append(" ".join(tags))
        text = "\n".join([body_text(body)] + extra)
        url = p.relative_to(content).with_suffix(".html").as_posix()
        docs.append((url, for_match(unquote(meta.get("title", ""))), for_match(text)))
    return docs


def scan(docs, q):
    terms = query_terms(q)
    if not terms:
        return set()
    return {u for u, t, b in docs if all(x in t or x in b for x in terms)}


def random_phrases(docs, n, seed, most):
    """n phrases of 2-8 Chinese characters from random reports, each in at most `most` reports."""
    rng = random.Random(seed)
    out, tries = [], 0
    while len(out) < n and tries < 50 * n:
        tries += 1
        _, _, b = rng.choice(docs)
        k = rng.choice((2, 3, 4, 5, 6, 8))
        if len(b) <= k:
            continue
        at = rng.randrange(len(b) - k)
        p = b[at:at + k]
        if not all(0x4E00 <= ord(c) <= 0x9FFF for c in p) or p in out:
            continue
        if len(scan(docs, p)) <= most:
            out.append(p)
    return out


DONE = """var s = document.getElementById('dg-status');
  if (!s) return null;
  var st = s.getAttribute('data-state');
  if (st !== 'done' && st !== 'empty' && st !== 'error') return null;
  if ((new URLSearchParams(s.getAttribute('data-for') || '').get('q') || '') !== arguments[0]) return null;
  return [st, s.getAttribute('data-count'), s.textContent];"""

LISTED = """return Array.from(document.querySelectorAll('#dg-results li a.dg-title'))
  .map(function (a) { return a.getAttribute('href'); });"""

MORE = """var m = document.getElementById('dg-more');
  if (!m || m.hidden) return -1;
  var n = document.querySelectorAll('#dg-results li').length; m.click(); return n;"""


def wait(b, script, args, what, timeout=120):
    t0 = time.monotonic()
    while True:
        v = b.eval(script, *args)
        if v is not None and v is not False:
            return v
        if time.monotonic() - t0 > timeout:
            raise RuntimeError("timed out waiting for " + what)
        time.sleep(0.05)


def hrefs(b):
    return [urllib.parse.unquote(h.split("#")[0]) for h in b.eval(LISTED)]


def check(b, search, docs, q, list_up_to):
    want = scan(docs, q)
    b.goto(search.as_uri() + "?q=" + urllib.parse.quote(q))
    state, count, text = wait(b, DONE, [q], "the results for " + q)
    problems = []
    if state == "error":
        return want, (text, None), ["page error: " + text]
    first = hrefs(b)
    wrong = [h for h in first if h not in want]
    if wrong:
        problems.append("%d of the first %d results do not contain it: %s" % (len(wrong), len(first), wrong[:3]))
    if not want and first:
        problems.append("results for a query no report contains")
    if count is not None and int(count) != len(want):
        problems.append("count shown %s, scan %d" % (count, len(want)))
    listed = None
    if len(want) <= list_up_to:
        for _ in range(list_up_to // 20 + 2):
            n = b.eval(MORE)
            if n < 0:
                break
            wait(b, "return document.querySelectorAll('#dg-results li').length > arguments[0] || null;",
                 [n], "more results for " + q, 60)
        got = hrefs(b)
        listed = len(got)
        if len(set(got)) != len(got):
            problems.append("a report listed twice")
        if set(got) != want:
            missing, extra = sorted(want - set(got)), sorted(set(got) - want)
            problems.append("listed differ from the scan: %d missing %s, %d extra %s"
                            % (len(missing), missing[:3], len(extra), extra[:3]))
    return want, (text, listed), problems


def main():
    ap = argparse.ArgumentParser(description="The search page against a brute-force scan of the reports.")
    ap.add_argument("site")
    ap.add_argument("archive")
    ap.add_argument("queries", nargs="*")
    ap.add_argument("--random", type=int, default=12, help="random phrases to check (default 12)")
    ap.add_argument("--seed", default="exact", help="seed of the random phrases")
    ap.add_argument("--list", type=int, default=300, dest="list_up_to",
                    help="list every result when the scan finds at most this many (default 300)")
    args = ap.parse_intermixed_args()
    search = pathlib.Path(args.site, "search.html").resolve()
    if not search.exists():
        latency.fail("%s is missing: build the site first" % search)
    t0 = time.monotonic()
    docs = load_reports(args.archive)
    print("%d reports read from %s in %.0f s" % (len(docs), args.archive, time.monotonic() - t0), flush=True)
    queries = (args.queries or latency.QUERIES) + random_phrases(docs, args.random, args.seed, args.list_up_to)
    b = latency.Browser()
    bad = 0
    try:
        print("%-22s %8s  %-26s %s" % ("query", "scan", "page says", "listed"))
        for q in queries:
            want, (text, listed), problems = check(b, search, docs, q, args.list_up_to)
            print("%-22s %8d  %-26s %s" % (q, len(want), text.strip()[:26],
                                             "-" if listed is None else "all %d" % listed), flush=True)
            for p in problems:
                print("    DIFFERS: " + p, flush=True)
            bad += bool(problems)
    finally:
        b.close()
    print("%d of %d queries differ from the scan" % (bad, len(queries)))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
