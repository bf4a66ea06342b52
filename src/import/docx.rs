//! DOCX reading: paragraphs, heading styles (Heading 1–3, 标题 1–3, outline
//! levels), numbered and bulleted lists (numbering.xml) and tables, as lines.

use std::collections::HashMap;
use std::io::{Read, Seek};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::read::{Line, LineKind};

/// The most one part of a DOCX may unpack to. The document.xml of a
/// 300-page report is about 10 MB; a "zip bomb" packs gigabytes of
/// repeated bytes into a small file to exhaust the reader's memory.
const MAX_PART: u64 = 64 << 20;
/// The most all the parts read may unpack to together.
const MAX_TOTAL: u64 = 128 << 20;

/// Reads a DOCX file's body as lines; `Err` is the reason it is skipped.
pub(crate) fn read_docx(reader: impl Read + Seek) -> Result<Vec<Line>, String> {
    let mut zip =
        zip::ZipArchive::new(reader).map_err(|e| format!("damaged ZIP/DOCX file: {e}"))?;
    let mut budget = MAX_TOTAL;
    let document = part(&mut zip, "word/document.xml", &mut budget)?
        .ok_or("a ZIP archive that is not a Word document (no word/document.xml)")?;
    let styles = part(&mut zip, "word/styles.xml", &mut budget)?
        .map(|s| parse_styles(&s))
        .unwrap_or_default();
    let numbering = part(&mut zip, "word/numbering.xml", &mut budget)?
        .map(|s| parse_numbering(&s))
        .unwrap_or_default();
    let mut body = Body::new(&styles, &numbering);
    body.parse(&document)
        .map_err(|e| format!("damaged DOCX document.xml: {e}"))?;
    Ok(body.lines)
}

/// One part, unpacked up to the limits: the size a part declares may lie,
/// so reading stops at the limit whatever it says.
fn part<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
    budget: &mut u64,
) -> Result<Option<String>, String> {
    let Ok(f) = zip.by_name(name) else {
        return Ok(None);
    };
    let limit = MAX_PART.min(*budget);
    let too_big = || {
        format!(
            "{name} inside the DOCX unpacks to more than {} MB, far more than any report \
             (a damaged file, or a \"zip bomb\" made to exhaust memory); the file was not read",
            limit >> 20
        )
    };
    if f.size() > limit {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    f.take(limit + 1).read_to_end(&mut bytes).map_err(|e| {
        // The ZIP reader stops where a part grows past the size its header
        // declares: the mark of a bomb that lies about its size.
        if e.to_string().contains("declared") {
            format!(
                "{name} inside the DOCX unpacks to more than its header says \
                 (a damaged file, or a \"zip bomb\" made to exhaust memory); the file was not read"
            )
        } else {
            format!("cannot read {name} inside the DOCX ({e}): open it in Word and save it again")
        }
    })?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    *budget -= bytes.len() as u64;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| format!("damaged DOCX: {name} is not UTF-8 XML"))
}

/// `w:val` (or another attribute by local name) of an element.
fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let key: &str = a.key.as_ref();
        let name = key.rsplit(':').next().unwrap_or(key);
        (name == local).then(|| unescape(&a.value))
    })
}

fn unescape(s: &str) -> String {
    quick_xml::escape::unescape(s)
        .map(|c| c.into_owned())
        .unwrap_or_else(|_| s.to_string())
}

fn local(e: &BytesStart<'_>) -> String {
    let n = e.local_name();
    let s: &str = n.as_ref();
    s.to_string()
}

#[derive(Debug, Default, Clone)]
struct Style {
    name: String,
    based_on: Option<String>,
    outline: Option<u8>,
    num: Option<(String, u8)>,
}

fn parse_styles(xml: &str) -> HashMap<String, Style> {
    let mut styles = HashMap::new();
    let mut r = Reader::from_str(xml);
    let mut cur: Option<(String, Style)> = None;
    let mut num_id: Option<String> = None;
    let mut ilvl = 0u8;
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match local(&e).as_str() {
                "style" => cur = attr(&e, "styleId").map(|id| (id, Style::default())),
                "name" => set(&mut cur, |s| s.name = attr(&e, "val").unwrap_or_default()),
                "basedOn" => set(&mut cur, |s| s.based_on = attr(&e, "val")),
                "outlineLvl" => set(&mut cur, |s| {
                    s.outline = attr(&e, "val").and_then(|v| v.parse().ok())
                }),
                "numId" => num_id = attr(&e, "val"),
                "ilvl" => ilvl = attr(&e, "val").and_then(|v| v.parse().ok()).unwrap_or(0),
                _ => {}
            },
            Ok(Event::End(e)) if e.local_name().as_ref() == "style" => {
                if let Some((id, mut s)) = cur.take() {
                    s.num = num_id.take().map(|n| (n, ilvl));
                    styles.insert(id, s);
                }
                ilvl = 0;
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    styles
}

fn set(cur: &mut Option<(String, Style)>, f: impl FnOnce(&mut Style)) {
    if let Some((_, s)) = cur {
        f(s);
    }
}

#[derive(Debug, Default, Clone)]
struct Level {
    fmt: String,
    text: String,
    start: u32,
}

#[derive(Debug, Default)]
struct Numbering {
    abstracts: HashMap<String, HashMap<u8, Level>>,
    nums: HashMap<String, String>,
}

fn parse_numbering(xml: &str) -> Numbering {
    let mut st = NumberingState::default();
    let mut r = Reader::from_str(xml);
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => st.start(&e),
            Ok(Event::End(e)) => st.end(e.local_name().as_ref()),
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    st.n
}

/// Where the numbering.xml reader is.
#[derive(Default)]
struct NumberingState {
    n: Numbering,
    abs: Option<String>,
    num: Option<String>,
    lvl: Option<(u8, Level)>,
}

impl NumberingState {
    fn start(&mut self, e: &BytesStart<'_>) {
        let val = || attr(e, "val");
        match local(e).as_str() {
            "abstractNum" => self.abs = attr(e, "abstractNumId"),
            "num" => self.num = attr(e, "numId"),
            "abstractNumId" => {
                if let (Some(id), Some(a)) = (self.num.clone(), val()) {
                    self.n.nums.insert(id, a);
                }
            }
            "lvl" => {
                let i = attr(e, "ilvl").and_then(|v| v.parse().ok()).unwrap_or(0);
                self.lvl = Some((
                    i,
                    Level {
                        start: 1,
                        ..Level::default()
                    },
                ));
            }
            "numFmt" => self.level(|l| l.fmt = val().unwrap_or_default()),
            "lvlText" => self.level(|l| l.text = val().unwrap_or_default()),
            "start" => self.level(|l| l.start = val().and_then(|v| v.parse().ok()).unwrap_or(1)),
            _ => {}
        }
    }

    fn level(&mut self, f: impl FnOnce(&mut Level)) {
        if let Some((_, l)) = &mut self.lvl {
            f(l);
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "lvl" => {
                if let (Some(a), Some((i, l))) = (self.abs.clone(), self.lvl.take()) {
                    self.n.abstracts.entry(a).or_default().insert(i, l);
                }
            }
            "abstractNum" => self.abs = None,
            "num" => self.num = None,
            _ => {}
        }
    }
}

/// Formats one counter in a Word number format.
fn format_number(fmt: &str, n: u32) -> String {
    const CIRCLED: &str = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳";
    const GAN: &str = "甲乙丙丁戊己庚辛壬癸";
    let letter = |base: u8| {
        let i = (n.max(1) - 1) % 26;
        char::from(base + i as u8).to_string()
    };
    match fmt {
        "chineseCounting" | "chineseCountingThousand" | "taiwaneseCounting" => {
            super::text::to_chinese_number(n)
        }
        "ideographTraditional" => GAN
            .chars()
            .nth((n.max(1) as usize - 1) % 10)
            .unwrap_or('甲')
            .to_string(),
        "decimalEnclosedCircle" | "decimalEnclosedCircleChinese" if (1..=20).contains(&n) => {
            CIRCLED
                .chars()
                .nth(n as usize - 1)
                .unwrap_or('①')
                .to_string()
        }
        "lowerLetter" => letter(b'a'),
        "upperLetter" => letter(b'A'),
        // Roman numerals past 3999 would be a run of thousands of Ms.
        "lowerRoman" if n < 4000 => roman(n).to_lowercase(),
        "upperRoman" if n < 4000 => roman(n),
        "decimalZero" => format!("{n:02}"),
        "none" => String::new(),
        _ => n.to_string(),
    }
}

fn roman(mut n: u32) -> String {
    let table = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut s = String::new();
    for (v, r) in table {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}

/// The paragraph being read.
#[derive(Default)]
struct Para {
    style: Option<String>,
    outline: Option<u8>,
    num: Option<(String, u8)>,
    text: String,
}

/// Word's own limit on the columns of a table.
const MAX_COLUMNS: usize = 63;

/// Walks document.xml and collects lines.
struct Body<'a> {
    styles: &'a HashMap<String, Style>,
    numbering: &'a Numbering,
    counters: HashMap<String, [u32; 9]>,
    lines: Vec<Line>,
    para: Option<Para>,
    in_text: bool,
    num_id: Option<String>,
    ilvl: u8,
    tables: Vec<Table>,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    cell: Option<String>,
    span: usize,
}

impl<'a> Body<'a> {
    fn new(styles: &'a HashMap<String, Style>, numbering: &'a Numbering) -> Self {
        Body {
            styles,
            numbering,
            counters: HashMap::new(),
            lines: Vec::new(),
            para: None,
            in_text: false,
            num_id: None,
            ilvl: 0,
            tables: Vec::new(),
        }
    }

    fn parse(&mut self, xml: &str) -> Result<(), quick_xml::Error> {
        let mut r = Reader::from_str(xml);
        loop {
            match r.read_event()? {
                Event::Start(e) => self.start(&e, false),
                Event::Empty(e) => self.start(&e, true),
                Event::End(e) => self.end(e.local_name().as_ref()),
                Event::Text(t) if self.in_text => self.push_text(&t.xml10_content()),
                Event::CData(t) if self.in_text => self.push_text(&t),
                Event::GeneralRef(r) if self.in_text => {
                    let s = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => unescape(&format!("&{};", &*r.xml10_content())),
                    };
                    self.push_text(&s);
                }
                Event::Eof => return Ok(()),
                _ => {}
            }
        }
    }

    fn push_text(&mut self, s: &str) {
        if let Some(p) = &mut self.para {
            p.text.push_str(s);
        }
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool) {
        let val = || attr(e, "val");
        match local(e).as_str() {
            "p" if !empty => self.para = Some(Para::default()),
            "pStyle" => self.para.iter_mut().for_each(|p| p.style = val()),
            "outlineLvl" => self
                .para
                .iter_mut()
                .for_each(|p| p.outline = val().and_then(|v| v.parse().ok())),
            "numId" => self.num_id = val(),
            "ilvl" => self.ilvl = val().and_then(|v| v.parse().ok()).unwrap_or(0),
            "t" if !empty => self.in_text = true,
            "tab" => self.push_text("\t"),
            "br" | "cr" => self.push_text(" "),
            "tbl" if !empty => self.tables.push(Table::default()),
            "tr" if !empty => self
                .tables
                .last_mut()
                .iter_mut()
                .for_each(|t| t.rows.push(Vec::new())),
            "tc" if !empty => self.tables.last_mut().iter_mut().for_each(|t| {
                t.cell = Some(String::new());
                t.span = 1;
            }),
            "gridSpan" => {
                // Word tables have at most 63 columns; a larger span is damage
                // (or an attempt to make the reader allocate billions of cells).
                let n = val()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1)
                    .min(MAX_COLUMNS);
                self.tables.last_mut().iter_mut().for_each(|t| t.span = n);
            }
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "t" => self.in_text = false,
            "numPr" => {
                if let (Some(p), Some(id)) = (&mut self.para, self.num_id.take()) {
                    p.num = Some((id, self.ilvl));
                }
                self.ilvl = 0;
            }
            "p" => self.end_paragraph(),
            "tc" => self.end_cell(),
            "tbl" => self.end_table(),
            _ => {}
        }
    }

    fn end_paragraph(&mut self) {
        let Some(p) = self.para.take() else { return };
        let (kind, text) = self.classify(&p);
        if let Some(t) = self.tables.last_mut() {
            if let Some(cell) = &mut t.cell {
                let text = text.trim();
                if !cell.is_empty() && !text.is_empty() {
                    cell.push(' ');
                }
                cell.push_str(text);
            }
            return;
        }
        let no = self.lines.len() + 1;
        self.lines.push(Line { no, text, kind });
    }

    fn end_cell(&mut self) {
        if let Some(t) = self.tables.last_mut() {
            let cell = t.cell.take().unwrap_or_default();
            let span = t.span.max(1);
            if let Some(row) = t.rows.last_mut() {
                row.push(cell);
                row.extend(std::iter::repeat_n(String::new(), span - 1));
            }
        }
    }

    fn end_table(&mut self) {
        let Some(t) = self.tables.pop() else { return };
        let rows: Vec<Vec<String>> = t.rows.into_iter().filter(|r| !r.is_empty()).collect();
        let text = rows
            .iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(outer) = self.tables.last_mut() {
            // A table inside a table cell: its text joins the cell.
            if let Some(cell) = &mut outer.cell {
                cell.push_str(&text);
            }
            return;
        }
        if !rows.is_empty() {
            let no = self.lines.len() + 1;
            self.lines.push(Line {
                no,
                text,
                kind: LineKind::Table(rows),
            });
        }
    }

    /// Kind of a paragraph from its style and numbering; numbering text is prepended.
    fn classify(&mut self, p: &Para) -> (LineKind, String) {
        let style = self.resolve_style(p.style.as_deref());
        let heading = p
            .outline
            .filter(|&l| l < 3)
            .map(|l| l + 1)
            .or(style.heading);
        let num = p
            .num
            .clone()
            .or(style.num.clone())
            .filter(|(id, _)| id != "0");
        let text = p.text.clone();
        let Some((id, ilvl)) = num else {
            return match (style.title, heading) {
                (true, _) => (LineKind::DocTitle, text),
                (_, Some(l)) => (LineKind::Heading(l), text),
                _ => (LineKind::Text, text),
            };
        };
        let Some((marker, fmt)) = self.next_marker(&id, ilvl) else {
            return (heading.map_or(LineKind::Text, LineKind::Heading), text);
        };
        let chinese = fmt.starts_with("chinese") || fmt.starts_with("ideograph");
        match heading {
            Some(l) => (LineKind::Heading(l), format!("{marker}{text}")),
            None if chinese => (LineKind::Text, format!("{marker}{text}")),
            None => {
                let ordered = fmt != "bullet";
                let marker = if ordered { marker } else { String::new() };
                (
                    LineKind::ListItem {
                        ordered,
                        depth: ilvl,
                        marker,
                    },
                    text,
                )
            }
        }
    }

    /// Advances the counters of list `id` at `ilvl`; returns the marker text and format.
    fn next_marker(&mut self, id: &str, ilvl: u8) -> Option<(String, String)> {
        let abs = self.numbering.nums.get(id)?;
        let levels = self.numbering.abstracts.get(abs)?;
        let level = levels.get(&ilvl)?;
        let i = usize::from(ilvl.min(8));
        let counters = self.counters.entry(abs.clone()).or_insert([0; 9]);
        counters[i] = if counters[i] == 0 {
            level.start
        } else {
            counters[i].saturating_add(1)
        };
        counters.iter_mut().skip(i + 1).for_each(|c| *c = 0);
        let mut marker = level.text.clone();
        for (k, c) in counters.iter().enumerate().take(i + 1) {
            let fmt = levels.get(&(k as u8)).map_or("decimal", |l| l.fmt.as_str());
            let start = levels.get(&(k as u8)).map_or(1, |l| l.start);
            marker = marker.replace(&format!("%{}", k + 1), &format_number(fmt, (*c).max(start)));
        }
        Some((marker, level.fmt.clone()))
    }

    /// Heading level, title flag and numbering of a style, following `basedOn`.
    fn resolve_style(&self, id: Option<&str>) -> ResolvedStyle {
        let mut out = ResolvedStyle::default();
        if id.is_some_and(|i| !self.styles.contains_key(i)) {
            out.heading = id_heading_level(id);
            return out;
        }
        let mut id = id.map(str::to_string);
        for _ in 0..6 {
            let Some(s) = id.as_deref().and_then(|i| self.styles.get(i)) else {
                break;
            };
            let name = s.name.to_lowercase().replace(' ', "");
            if out.heading.is_none() {
                out.heading = heading_level(&name).or(s.outline.filter(|&l| l < 3).map(|l| l + 1));
            }
            out.title |= name == "title" || name == "标题";
            if out.num.is_none() {
                out.num = s.num.clone();
            }
            id = s.based_on.clone();
        }
        out
    }
}

#[derive(Default)]
struct ResolvedStyle {
    heading: Option<u8>,
    title: bool,
    num: Option<(String, u8)>,
}

/// "heading1" / "标题1" (spaces removed, lower-case) → 1.
fn heading_level(name: &str) -> Option<u8> {
    let rest = name
        .strip_prefix("heading")
        .or_else(|| name.strip_prefix("标题"))?;
    let n: u8 = rest.parse().ok()?;
    (1..=6).contains(&n).then_some(n)
}

/// Style ids without a styles.xml entry ("Heading1").
fn id_heading_level(id: Option<&str>) -> Option<u8> {
    heading_level(&id?.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(format_number("chineseCounting", 3), "三");
        assert_eq!(format_number("decimal", 12), "12");
        assert_eq!(format_number("decimalEnclosedCircle", 2), "②");
        assert_eq!(format_number("upperRoman", 14), "XIV");
        assert_eq!(format_number("lowerLetter", 2), "b");
        assert_eq!(format_number("ideographTraditional", 2), "乙");
    }

    /// Issue #12 item 5: numbers in the XML must not make the reader build
    /// huge output from a small file.
    #[test]
    fn spans_and_list_numbers_from_the_file_stay_bounded() {
        let numbering = parse_numbering(
            r#"<w:numbering xmlns:w="w"><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="4294967295"/><w:numFmt w:val="upperRoman"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>"#,
        );
        let styles = HashMap::new();
        let mut body = Body::new(&styles, &numbering);
        let item = r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>项</w:t></w:r></w:p>"#;
        let cell = r#"<w:tc><w:tcPr><w:gridSpan w:val="4000000000"/></w:tcPr><w:p><w:r><w:t>格</w:t></w:r></w:p></w:tc>"#;
        body.parse(&format!(
            r#"<w:document xmlns:w="w"><w:body>{item}{item}<w:tbl><w:tr>{cell}</w:tr></w:tbl></w:body></w:document>"#
        ))
        .unwrap();
        let markers: Vec<&str> = body
            .lines
            .iter()
            .filter_map(|l| match &l.kind {
                LineKind::ListItem { marker, .. } => Some(marker.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(markers, ["4294967295.", "4294967295."]);
        match &body.lines[2].kind {
            LineKind::Table(rows) => assert_eq!(rows[0].len(), MAX_COLUMNS),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn heading_names() {
        assert_eq!(heading_level("heading2"), Some(2));
        assert_eq!(heading_level("标题3"), Some(3));
        assert_eq!(heading_level("标题"), None);
        assert_eq!(heading_level("normal"), None);
    }
}
