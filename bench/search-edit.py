#!/usr/bin/env python3
"""How much of the search index one edited report changes.

    bench/search-edit.py N [--dir DIR] [--reports K]

Writes `bench/gen-corpus.py N` into DIR (default /dev/shm/dangan-search-edit-N,
kept between runs), builds it with target/release/dangan, then for K reports
spread over the archive (default 5) makes each of these edits in turn, builds
again after each, and compares the files under public/_search/ before and
after (by name: every index file but the entry is named by the hash of its
bytes, so a changed file is a new name):

  append    a line at the end of the report (a sentence of another report);
  word      two characters in the middle of the report replaced;
  paragraph a paragraph of another report inserted in the middle;
  title     one character of the title changed.

For each edit it prints the files written (new names, plus the entry), the
bytes written, and their share of the index's files and bytes; the target of
issue #14 is at most 1% of the files and at most 1 MB. Each edit is undone
(and the archive built again) before the next. No timing: run it anywhere.
"""
import argparse, hashlib, os, pathlib, re, shutil, statistics, subprocess, sys

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
BIN = REPO / "target" / "release" / "dangan"


def index_files(public):
    """path under _search → size, for every file of the index."""
    root = public / "_search"
    out = {}
    for p in root.rglob("*"):
        if p.is_file():
            out[str(p.relative_to(root))] = p.stat().st_size
    return out


def entry_digest(public):
    return hashlib.sha256((public / "_search" / "index.js").read_bytes()).hexdigest()


def build(root):
    r = subprocess.run([str(BIN), "--root", str(root), "build", "--quiet"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"dangan build failed:\n{r.stderr}")


def split(text):
    """Front matter and body of a report."""
    m = re.match(r"(---\n.*?\n---\n)(.*)", text, re.S)
    return (m.group(1), m.group(2)) if m else ("", text)


def edits(text, other):
    """(name, edited text) for each edit of one report; `other` is another report's body."""
    fm, body = split(text)
    lines = [l for l in split(other)[1].splitlines() if len(l) > 20 and not l.startswith(("#", "|", "-", "1."))]
    sentence = lines[len(lines) // 2] if lines else "新增的一句话，说明下一步工作安排。"
    paragraphs = body.split("\n\n")
    mid = len(body) // 2
    # Two characters of a run of Chinese text near the middle.
    at = next((i for i in range(mid, len(body) - 2) if all("\u4e00" <= c <= "\u9fff" for c in body[i:i + 2])), mid)
    word = body[:at] + "改动" + body[at + 2:]
    half = len(paragraphs) // 2
    para = "\n\n".join(paragraphs[:half] + [sentence * 3] + paragraphs[half:])
    title = re.sub(r"(title: \"?)(.)", lambda m: m.group(1) + ("新" if m.group(2) != "新" else "旧"), fm, count=1)
    return [
        ("append", fm + body.rstrip("\n") + "\n\n" + sentence + "\n"),
        ("word", fm + word),
        ("paragraph", fm + para),
        ("title", title + body),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--dir")
    ap.add_argument("--reports", type=int, default=5)
    a = ap.parse_args()
    if not BIN.exists():
        sys.exit("build target/release/dangan first (cargo build --release)")
    d = pathlib.Path(a.dir or f"/dev/shm/dangan-search-edit-{a.n}")
    if not (d / "content").is_dir():
        d.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(HERE / "gen-corpus.py"), str(a.n), str(d)], check=True, stdout=subprocess.DEVNULL)
    public = d / "public"
    build(d)
    reports = sorted((d / "content").rglob("*.md"))
    picks = [reports[(i * len(reports)) // a.reports + len(reports) // (2 * a.reports)] for i in range(a.reports)]
    before = index_files(public)
    total_files, total_bytes = len(before), sum(before.values())
    print(f"{a.n} reports: the index has {total_files} files, {total_bytes / 1e6:.1f} MB")
    print(f"{'edit':<10} {'report':<40} {'files':>6} {'share':>7} {'bytes':>10}")
    rows = {}
    for k, path in enumerate(picks):
        original = path.read_text(encoding="utf-8")
        other = picks[(k + 1) % len(picks)].read_text(encoding="utf-8")
        for name, text in edits(original, other):
            old, old_entry = index_files(public), entry_digest(public)
            path.write_text(text, encoding="utf-8")
            build(d)
            new, new_entry = index_files(public), entry_digest(public)
            written = {f: s for f, s in new.items() if f not in old}
            if new_entry != old_entry:
                written["index.js"] = new["index.js"]
            files, size = len(written), sum(written.values())
            rows.setdefault(name, []).append((files, size))
            rel = str(path.relative_to(d / "content"))
            print(f"{name:<10} {rel[-40:]:<40} {files:>6} {100 * files / len(new):>6.2f}% {size / 1e3:>8.1f} KB")
            path.write_text(original, encoding="utf-8")
            build(d)
    print()
    for name, r in rows.items():
        f = [x[0] for x in r]
        b = [x[1] for x in r]
        print(f"{name:<10} median {statistics.median(f):>5.0f} files ({100 * statistics.median(f) / total_files:.2f}%), "
              f"max {max(f)} ({100 * max(f) / total_files:.2f}%); median {statistics.median(b) / 1e3:.0f} KB, max {max(b) / 1e3:.0f} KB")


if __name__ == "__main__":
    main()
