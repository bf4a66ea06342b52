#!/usr/bin/env python3
"""Write an archive of N generated Chinese reports for benchmarks and large tests.

    bench/gen-corpus.py N DIR [--seed S] [--flavor dangan|hugo] [--with-config]
                        [--attachments [--pdf FILE]]

The reports go under DIR/content/reports/<year>/. Their text is cut from the
sample reports in tests/fixtures/samples/ (junk lines of the web pages they
came from left out), so sentence length, punctuation and outline numbering
are those of real reports:

- body size: median about 9 KB, about 3 in 100 reports over 100 KB;
  10,000 reports are about 140 MB of Markdown;
- outline headings (## 一、 / ### （一）), a numbered list in about 4 reports
  of 10, a table in about 1 of 4;
- 72 units in a tree (three cities, each with its committee, its organs and
  two districts with their organs, streets and towns), 15 years (2011-2025),
  7 types with the weights an office sees, 0-3 tags;
- about 70% of the file names ASCII, the rest the report's Chinese title.

Report i depends only on the seed and i: the same N and seed give the same
files byte for byte, and a smaller N gives a prefix of a larger one.
The archive has no dangan.toml (the defaults must serve) unless
--with-config asks for one that declares the units with their parents.

--attachments puts an attachment beside every tenth report (reports 0, 10,
20, …), named after it (`<report>-附件1.docx`), of the four kinds whose text
search reads in turn: a DOCX of paragraphs, an XLSX of a sheet of rows, a
PDF (a copy of --pdf FILE, e.g. one printed by Chromium; without it that
turn is a DOCX) and a GBK text file; each holds 2-12 KB of sample text.

Flavor hugo adds the taxonomy lists units/years/types to the front matter,
for the Hugo site in bench/hugo-site/ (bench/build-vs-hugo.sh).
"""
import argparse
import calendar
import io
import math
import os
import random
import re
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "tests", "fixtures", "samples")

# --- the organisation: (name, parent) -------------------------------------

CITIES = [  # city, its two districts, the streets and towns of each district
    ("江城市", [("滨江区", ["东门街道", "南湖街道", "沙河镇", "白石镇"]),
              ("城南区", ["桂园街道", "新桥街道", "柳林镇", "石门镇"])]),
    ("临川市", [("文昌区", ["西关街道", "北塘街道", "望江镇", "青山镇"]),
              ("东湖区", ["湖心街道", "花园街道", "长岭镇", "梅岭镇"])]),
    ("北岭市", [("云台区", ["中山街道", "解放街道", "龙泉镇", "高桥镇"]),
              ("青石区", ["河口街道", "白沙街道", "新村镇", "马坊镇"])]),
]
CITY_ORGANS = ["委办公室", "委组织部", "委宣传部", "直机关工委", "发展改革委", "民政局", "纪委监委"]
DISTRICT_ORGANS = ["委组织部", "直机关工委", "政府办公室"]


def unit_tree():
    """72 units: per city 1 + 7 organs + 2 × (1 + 3 organs + 4 streets)."""
    units = []
    for city, districts in CITIES:
        top = city + "委"
        units.append((top, None))
        units += [(city + organ, top) for organ in CITY_ORGANS]
        for district, streets in districts:
            head = district + "委"
            units.append((head, top))
            units += [(district + organ, head) for organ in DISTRICT_ORGANS]
            units += [(district + s + ("党工委" if s.endswith("街道") else "党委"), head)
                      for s in streets]
    return units


def place_of(unit):
    """The place a unit stands for, put where the samples blank names out (×镇, XX区)."""
    m = re.match(r"^(.+?(?:街道|镇))", unit) or re.match(r"^(.+?[区市])", unit)
    return m.group(1) if m else unit


# --- what the reports are about --------------------------------------------

TYPES = [("调研报告", 30), ("工作总结", 20), ("汇报提纲", 15), ("汇报材料", 12),
         ("工作计划", 10), ("讲话稿", 8), ("情况通报", 5)]
TOPICS = ["基层党建工作", "社区治理", "党员教育管理", "机关党建与业务融合", "非公企业党建",
          "党群服务中心建设", "“两新”组织党建", "网格化服务管理", "干部队伍建设",
          "重大风险化解", "主要经济指标完成情况", "作风建设", "乡村振兴", "营商环境优化"]
TAGS = ["党建", "基层治理", "社区服务", "队伍建设", "作风建设", "党风廉政", "乡村振兴",
        "营商环境", "信访稳定", "主题教育", "安全生产", "民生保障", "招商引资"]
INDICATORS = ["党员发展", "组织生活会", "走访群众", "项目落地", "固定资产投资", "税收收入",
              "矛盾化解", "志愿服务", "培训覆盖", "阵地建设"]

# --- sample text ------------------------------------------------------------

# Lines and sentences of the web pages the samples were saved from, not of the reports.
JUNK = ("http", "www", ".com", "QQ", "会员", "订阅", "下载", "文档", "欢迎访问", "当前位置",
        "本文标题", "链接地址", "导读", "仅供学习", "禁止外传", "倒卖", "网友", "酷乐", "自建平台",
        "不断迭代", "喜欢就")
OUTLINE = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、是]|[（(][一二三四五六七八九十]+[）)]|"
                     r"\d+\s*[.、．]|[①②③④⑤⑥⑦⑧⑨⑩]|问题[一二三四五六七八九十]+[：:])\s*")
ENDS = "。！？；!?;"
SENTENCE = re.compile(r"[^。！？；!?;]+[。！？；!?;]")
# Blanked-out names and numbers in the samples: ×, XX, ****, ____, a lone x, 如题.
BLANK = re.compile(r"如题|×+|X{2,}|x{2,}|\*{2,}|_{2,}|(?<![A-Za-z])x(?![A-Za-z])")
COUNTER = "次人个件份户名处项元%万家条场"
PLACE = "\x00"  # stands for the report's own place until a report uses the sentence


def paragraphs(path):
    """The sample's paragraphs: hard-wrapped lines joined, short lines (titles, signatures) left out."""
    with open(path, encoding="utf-8") as f:
        lines = [l.strip() for l in f]
    buf = ""
    for line in lines + [""]:
        if not line or any(j in line for j in JUNK) or re.match(r"^第.{1,3}篇", line):
            if buf:
                yield buf
            buf = ""
            continue
        if OUTLINE.match(line):
            if buf:
                yield buf
                buf = ""
            if len(line) < 30 and line[-1] not in ENDS:
                yield line  # a heading on a line of its own
                continue
        if line[-1] in ENDS:
            yield buf + line
            buf = ""
        elif buf or len(line) >= 30 or OUTLINE.match(line):
            buf += line  # wrapped mid-sentence: the paragraph goes on
    if buf:
        yield buf


def fill_blanks(text, rng):
    """A number where the blank counts something (×次, ×%), the report's place elsewhere."""
    def one(m):
        after = text[m.end():m.end() + 1]
        if after and after in COUNTER:
            return str(rng.randint(2, 60))
        return PLACE
    return BLANK.sub(one, text)


def load_samples():
    """Sentences and headings of the samples, in a fixed order."""
    rng = random.Random("blanks")
    sentences, headings = {}, {}
    files = sorted(f for f in os.listdir(SAMPLES) if f.endswith(".txt")) if os.path.isdir(SAMPLES) else []
    for name in files:
        for para in paragraphs(os.path.join(SAMPLES, name)):
            para = fill_blanks(para, rng)
            m = OUTLINE.match(para)
            if m:
                rest = para[m.end():].lstrip("、是 ")
                head = re.split(r"[。；;：:\s]", rest, maxsplit=1)[0]
                if not 4 <= len(head) <= 26:
                    head = re.split(r"[，,]", rest, maxsplit=1)[0]
                if 4 <= len(head) <= 26 and PLACE not in head and head.count("“") == head.count("”"):
                    headings[head.rstrip("，,、")] = None
                para = rest
            for s in SENTENCE.findall(para):
                # Nothing that Markdown would read as a block (#, >, -, 1.) or as emphasis.
                s = OUTLINE.sub("", s).lstrip("#>-+*| \t").replace("*", "").replace("_", "")
                if 6 <= len(s) <= 300 and not any(j in s for j in JUNK):
                    sentences[s] = None
    if len(sentences) < 100 or len(headings) < 20:
        sys.exit("gen-corpus: too little sample text in %s (%d sentences, %d headings)"
                 % (SAMPLES, len(sentences), len(headings)))
    return [(s, len(s.encode())) for s in sentences], list(headings)


# --- one report -------------------------------------------------------------

CN = "零一二三四五六七八九十"


def cn_number(n):
    """1..99 in Chinese numerals, as outline headings count."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return CN[ones]
    return ("" if tens == 1 else CN[tens]) + "十" + (CN[ones] if ones else "")


def body_size(rng):
    """Bytes of body to write: log-normal around 6.8 KB (the sections round it up to about 9), and a few reports over 100 KB."""
    if rng.random() < 0.028:
        return rng.randint(100_000, 160_000)
    return int(min(max(rng.lognormvariate(math.log(6_800), 0.55), 2_000), 60_000))


def paragraph(rng, sentences, lo=2, hi=6):
    return "".join(rng.choice(sentences)[0] for _ in range(rng.randint(lo, hi)))


def numbered_list(rng, sentences):
    return "\n".join("%d. %s" % (k, rng.choice(sentences)[0]) for k in range(1, rng.randint(3, 6)))


def table(rng, year):
    rows = ["| 指标 | %d年目标 | 完成 | 完成率 |" % year, "|---|---:|---:|---:|"]
    for name in rng.sample(INDICATORS, rng.randint(3, 6)):
        goal = rng.randint(10, 500)
        done = int(goal * rng.uniform(0.6, 1.3))
        rows.append("| %s | %d | %d | %.1f%% |" % (name, goal, done, 100 * done / goal))
    return "\n".join(rows)


def body(rng, sentences, headings, year):
    target = body_size(rng)
    blocks = [paragraph(rng, sentences, 2, 4)]
    size = sum(len(b.encode()) for b in blocks)
    section = 0
    while size < target and section < 99:
        section += 1
        part = ["## %s、%s" % (cn_number(section), rng.choice(headings))]
        subs = rng.choice((0, 0, 1, 2, 3))
        for sub in range(1, subs + 1):
            part.append("### （%s）%s" % (cn_number(sub), rng.choice(headings)))
            part += [paragraph(rng, sentences) for _ in range(rng.randint(1, 3))]
        if not subs:
            part += [paragraph(rng, sentences) for _ in range(rng.randint(1, 3))]
        blocks += part
        size += sum(len(b.encode()) + 2 for b in part)
    # A list or a table goes after a paragraph, never between a heading and its text.
    extras = []
    if rng.random() < 0.40:
        extras.append(numbered_list(rng, sentences))
    if rng.random() < 0.24:
        extras.append(table(rng, year))
    for extra in extras:
        spots = [i + 1 for i, b in enumerate(blocks) if not b.startswith("#")]
        blocks.insert(rng.choice(spots), extra)
    return "\n\n".join(blocks) + "\n"


def title_of(rng, unit, topic, kind, year):
    form = rng.random()
    if form < 0.35:
        return "关于%s的%s" % (topic, kind)
    if form < 0.65:
        return "%s关于%s的%s" % (unit, topic, kind)
    if form < 0.85:
        return "%s%d年%s%s" % (unit, year, topic, kind)
    return "%s%s" % (topic, kind)


def quoted(s):
    """A YAML double-quoted scalar."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def report(i, seed, text, units, flavor):
    """(relative path, file text) of report i."""
    sentences, headings = text
    rng = random.Random("%d/%d" % (seed, i))
    unit = rng.choice(units)
    year = rng.randint(2011, 2025)
    month = rng.randint(1, 12)
    day = rng.randint(1, calendar.monthrange(year, month)[1])
    kind = rng.choices([t for t, _ in TYPES], [w for _, w in TYPES])[0]
    topic = rng.choice(TOPICS)
    title = title_of(rng, unit, topic, kind, year)
    tags = rng.sample(TAGS, rng.randint(0, 3))
    summary = paragraph(rng, sentences, 1, 1) if rng.random() < 0.1 else None
    text = body(rng, sentences, headings, year).replace(PLACE, place_of(unit))
    fm = ["---", "title: " + quoted(title), "unit: " + quoted(unit),
          "date: %04d-%02d-%02d" % (year, month, day), "type: " + quoted(kind)]
    if tags:
        fm.append("tags: [%s]" % ", ".join(quoted(t) for t in tags))
    if summary:
        fm.append("summary: " + quoted(summary.replace(PLACE, place_of(unit))))
    if flavor == "hugo":
        fm += ["units: [%s]" % quoted(unit), 'years: ["%d"]' % year, "types: [%s]" % quoted(kind)]
    fm.append("---")
    if rng.random() < 0.7:
        name = "%04d%02d%02d-%06d.md" % (year, month, day, i)
    else:
        name = "%s-%d.md" % (title, i)
    return os.path.join("content", "reports", str(year), name), "\n".join(fm) + "\n\n" + text


# --- attachments --------------------------------------------------------------

def xml_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def zipped(parts):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            z.writestr(name, data)
    return buf.getvalue()


RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="%s"/></Relationships>')
TYPES_XML = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
             '2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
             'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>')


def docx(paras):
    body = "".join("<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % xml_text(p) for p in paras)
    doc = ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
           'wordprocessingml/2006/main"><w:body>%s</w:body></w:document>' % body)
    return zipped([("[Content_Types].xml", TYPES_XML), ("_rels/.rels", RELS % "word/document.xml"),
                   ("word/document.xml", doc)])


def xlsx(sheet, rows):
    data = []
    for r, row in enumerate(rows, 1):
        cells = "".join('<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>' % ("ABCDEFGH"[c], r, xml_text(v))
                        for c, v in enumerate(row))
        data.append('<row r="%d">%s</row>' % (r, cells))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    book = ('<?xml version="1.0" encoding="UTF-8"?><workbook %s xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="%s" sheetId="1" r:id="rId1"/></sheets>'
            '</workbook>' % (ns, xml_text(sheet)))
    book_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                 'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    ws = '<?xml version="1.0" encoding="UTF-8"?><worksheet %s><sheetData>%s</sheetData></worksheet>' % (ns, "".join(data))
    return zipped([("[Content_Types].xml", TYPES_XML), ("_rels/.rels", RELS % "xl/workbook.xml"),
                   ("xl/workbook.xml", book), ("xl/_rels/workbook.xml.rels", book_rels),
                   ("xl/worksheets/sheet1.xml", ws)])


def attachment(i, seed, text, report_rel, pdf):
    """(relative path, bytes) of the attachment beside report i."""
    sentences, _ = text
    rng = random.Random("attachment %d/%d" % (seed, i))
    paras, size = [], rng.randint(2_000, 12_000)
    while sum(len(p.encode()) for p in paras) < size:
        paras.append(paragraph(rng, sentences, 1, 3).replace(PLACE, "本地"))
    stem = os.path.splitext(report_rel)[0]
    kind = ("docx", "xlsx", "pdf", "txt")[(i // 10) % 4]
    if kind == "pdf" and pdf is None:
        kind = "docx"
    if kind == "docx":
        return stem + "-附件1-情况说明.docx", docx(paras)
    if kind == "xlsx":
        rows = [["序号", "事项", "数量"]] + [[str(k + 1), p, str(rng.randint(1, 500))] for k, p in enumerate(paras)]
        return stem + "-附表-统计.xlsx", xlsx("统计表", rows)
    if kind == "pdf":
        return stem + "-附件-材料.pdf", pdf
    return stem + "-附件-名单.txt", "\r\n".join(paras).encode("gbk", errors="replace")


def config(units):
    out = ['title = "生成的报告档案"', ""]
    for name, parent in units:
        out.append('[[units]]\nname = "%s"' % name)
        if parent:
            out.append('parent = "%s"' % parent)
        out.append("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", metavar="N", type=int, help="how many reports")
    ap.add_argument("dir", metavar="DIR", help="the archive folder (reports go to DIR/content/reports)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--flavor", choices=["dangan", "hugo"], default="dangan")
    ap.add_argument("--attachments", action="store_true",
                    help="an attachment beside every tenth report (DOCX, XLSX, PDF, TXT in turn)")
    ap.add_argument("--pdf", metavar="FILE", help="the PDF copied for the PDF attachments")
    ap.add_argument("--with-config", action="store_true",
                    help="also write DIR/dangan.toml declaring the units and their parents")
    a = ap.parse_args()
    if a.n < 0:
        ap.error("N must be 0 or more")
    text = load_samples()
    tree = unit_tree()
    names = [name for name, _ in tree]
    made = set()
    total = 0
    pdf = None
    if a.pdf:
        with open(a.pdf, "rb") as f:
            pdf = f.read()
    attached = 0
    for i in range(a.n):
        rel, md = report(i, a.seed, text, names, a.flavor)
        path = os.path.join(a.dir, rel)
        folder = os.path.dirname(path)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        data = md.encode()
        with open(path, "wb") as f:
            f.write(data)
        total += len(data)
        if a.attachments and i % 10 == 0:
            arel, adata = attachment(i, a.seed, text, rel, pdf)
            with open(os.path.join(a.dir, arel), "wb") as f:
                f.write(adata)
            attached += len(adata)
    if a.with_config:
        with open(os.path.join(a.dir, "dangan.toml"), "w", encoding="utf-8") as f:
            f.write(config(tree))
    print("wrote %d reports (%.1f MB, %d units) under %s"
          % (a.n, total / 1e6, len(tree), os.path.join(a.dir, "content", "reports")))
    if a.attachments:
        print("and %d attachments (%.1f MB)" % ((a.n + 9) // 10, attached / 1e6))


if __name__ == "__main__":
    main()
