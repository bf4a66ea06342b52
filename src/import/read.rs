//! Reading inputs: recognises the file kind (text, DOCX, binary), detects the
//! text encoding (UTF-8 with or without BOM, UTF-16, GBK/GB18030 and others via
//! chardetng) and splits CRLF, CR and LF lines into numbered lines.

use std::path::Path;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

use super::docx;

/// One line (paragraph) of an input, numbered from 1 as in the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub no: usize,
    pub text: String,
    pub kind: LineKind,
}

/// What a line is, when the source says so (DOCX styles); plain text is all `Text`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LineKind {
    Text,
    /// DOCX "Title" style.
    DocTitle,
    /// DOCX heading style level 1–3 (Heading N, 标题 N, outline level).
    Heading(u8),
    /// DOCX numbered or bulleted paragraph; `marker` is the generated number text.
    ListItem {
        ordered: bool,
        depth: u8,
        marker: String,
    },
    /// DOCX table: rows of cell texts; `text` holds the cells joined.
    Table(Vec<Vec<String>>),
}

impl Line {
    pub(crate) fn text(no: usize, text: impl Into<String>) -> Line {
        Line {
            no,
            text: text.into(),
            kind: LineKind::Text,
        }
    }
}

/// A readable input.
#[derive(Debug)]
pub(crate) struct Document {
    pub lines: Vec<Line>,
    /// "UTF-8", "GBK", "UTF-16LE", "DOCX", …
    pub format: String,
}

/// The largest text file read: about 20 million Chinese characters, far
/// more than any report (a folder may hold a video or a disk image too).
const MAX_TEXT: u64 = 64 << 20;

/// Reads `path`; `Err` is the reason the file is skipped.
pub(crate) fn read_path(path: &Path) -> Result<Document, String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("cannot read the file: {e}");
    let mut f = std::fs::File::open(path).map_err(cannot)?;
    let size = f.metadata().map_err(cannot)?.len();
    let mut magic = [0u8; 4];
    let n = f.read(&mut magic).map_err(cannot)?;
    if magic[..n] == *b"PK\x03\x04" {
        // A DOCX is read in place: only the parts needed are unpacked.
        let lines = docx::read_docx(std::io::BufReader::new(f))?;
        return non_empty(Document {
            lines: without_controls(lines),
            format: "DOCX".into(),
        });
    }
    if size > MAX_TEXT {
        return Err(format!(
            "{} MB, far larger than any report; not a text or Word file",
            size >> 20
        ));
    }
    let mut bytes = magic[..n].to_vec();
    f.take(MAX_TEXT).read_to_end(&mut bytes).map_err(cannot)?;
    read_bytes(&bytes)
}

/// Reads the bytes of a file; `Err` is the reason the file is skipped.
pub(crate) fn read_bytes(bytes: &[u8]) -> Result<Document, String> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("empty file".into());
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let lines = docx::read_docx(std::io::Cursor::new(bytes))?;
        return non_empty(Document {
            lines: without_controls(lines),
            format: "DOCX".into(),
        });
    }
    if let Some(reason) = unsupported_kind(bytes) {
        return Err(reason.into());
    }
    let (text, format) = decode(bytes)?;
    if looks_binary(&text) {
        return Err("binary file (control characters or undecodable bytes)".into());
    }
    non_empty(Document {
        lines: without_controls(split_lines(&text)),
        format,
    })
}

/// Control characters never reach a report (nor, through it, any page).
fn without_controls(mut lines: Vec<Line>) -> Vec<Line> {
    for l in &mut lines {
        if let std::borrow::Cow::Owned(clean) = crate::text::clean_text(&l.text) {
            l.text = clean;
        }
    }
    lines
}

fn non_empty(doc: Document) -> Result<Document, String> {
    if doc
        .lines
        .iter()
        .all(|l| super::text::trim_ws(&l.text).is_empty())
    {
        Err("empty file (no text)".into())
    } else {
        Ok(doc)
    }
}

/// Formats recognised by their first bytes that import cannot read.
fn unsupported_kind(bytes: &[u8]) -> Option<&'static str> {
    let magic: &[(&[u8], &str)] = &[
        (
            b"%PDF",
            "PDF file: copy its text into a .txt file, or save it as .docx",
        ),
        (
            b"\xD0\xCF\x11\xE0",
            "old Word .doc (OLE) file: open it in Word and save it as .docx",
        ),
        (b"{\\rtf", "RTF file: save it as .docx or plain text"),
        (b"\x89PNG", "image file (PNG)"),
        (b"\xFF\xD8\xFF", "image file (JPEG)"),
        (b"GIF8", "image file (GIF)"),
        (b"\x1F\x8B", "compressed file (gzip)"),
        (b"7z\xBC\xAF", "compressed file (7z)"),
        (b"Rar!", "compressed file (RAR)"),
    ];
    magic
        .iter()
        .find(|(m, _)| bytes.starts_with(m))
        .map(|(_, r)| *r)
}

/// Decodes text, detecting the encoding. Returns the text and the encoding's name.
pub(crate) fn decode(bytes: &[u8]) -> Result<(String, String), String> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return decode_with(enc, &bytes[bom_len..], &format!("{} with BOM", enc.name()));
    }
    if let Some(enc) = utf16_without_bom(bytes) {
        return decode_with(enc, bytes, enc.name());
    }
    if bytes.contains(&0) {
        return Err("binary file (contains NUL bytes)".into());
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), "UTF-8".into()));
    }
    // UTF-8 but for a few damaged bytes stays UTF-8: detection would take it
    // for another encoding and garble every character.
    if let Some(r) = crate::text::repair_utf8(bytes) {
        let lines = crate::text::list_lines(&r.lines);
        return Ok((
            r.text,
            format!(
                "UTF-8; {} damaged byte sequence(s) replaced with \u{fffd} on line {lines}: check the text there",
                r.bad
            ),
        ));
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let enc = det.guess(None, chardetng::Utf8Detection::Allow);
    decode_with(enc, bytes, &format!("{} (detected)", enc.name()))
}

fn decode_with(
    enc: &'static Encoding,
    bytes: &[u8],
    name: &str,
) -> Result<(String, String), String> {
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    if had_errors {
        let bad = text.chars().filter(|&c| c == '\u{FFFD}').count();
        let total = text.chars().count().max(1);
        if bad * 100 > total || enc == UTF_8 && bad > 0 {
            return Err(format!(
                "binary file or unknown encoding ({bad} undecodable characters as {})",
                enc.name()
            ));
        }
    }
    Ok((text.into_owned(), name.to_string()))
}

/// UTF-16 without a BOM shows as NUL bytes in every other position.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    if bytes.len() < 4 || !bytes.len().is_multiple_of(2) {
        return None;
    }
    let zero_even = bytes.iter().step_by(2).filter(|&&b| b == 0).count();
    let zero_odd = bytes.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    // ASCII characters (line ends, digits) put a NUL in their high byte; a few
    // CJK characters (一 is U+4E00) put one in the low byte.
    if zero_odd > 3 * zero_even && decodes_cleanly(UTF_16LE, bytes) {
        Some(UTF_16LE)
    } else if zero_even > 3 * zero_odd && decodes_cleanly(UTF_16BE, bytes) {
        Some(UTF_16BE)
    } else {
        None
    }
}

fn decodes_cleanly(enc: &'static Encoding, bytes: &[u8]) -> bool {
    let (text, errors) = enc.decode_without_bom_handling(bytes);
    !errors && !looks_binary(&text)
}

/// Control characters other than tab, line ends and form feed mean a binary file.
fn looks_binary(text: &str) -> bool {
    let total = text.chars().count().max(1);
    let control = text
        .chars()
        .filter(|&c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0b' | '\x0c'))
        .count();
    control * 50 > total || text.contains('\0')
}

/// Splits on CRLF, CR, LF (and form feed, a page break in text copied from PDF).
pub(crate) fn split_lines(text: &str) -> Vec<Line> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' | '\n' | '\x0c' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(Line::text(lines.len() + 1, std::mem::take(&mut cur)));
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        lines.push(Line::text(lines.len() + 1, cur));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(d: &Document) -> Vec<&str> {
        d.lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn line_ends_of_all_kinds() {
        let d = read_bytes("一\r\n二\r三\n四".as_bytes()).unwrap();
        assert_eq!(texts(&d), ["一", "二", "三", "四"]);
        assert_eq!(d.lines[3].no, 4);
        let d = read_bytes("一\r\n\r\n二\r\n".as_bytes()).unwrap();
        assert_eq!(texts(&d), ["一", "", "二"]);
    }

    #[test]
    fn utf8_bom_is_dropped() {
        let d = read_bytes("\u{feff}标题\n正文".as_bytes()).unwrap();
        assert_eq!(texts(&d), ["标题", "正文"]);
        assert!(d.format.contains("UTF-8"));
    }

    #[test]
    fn gbk_is_detected() {
        let s = "关于加强基层党建工作的调研报告\n为深入了解基层党组织建设情况，我们开展了专题调研。现将有关情况报告如下：\n";
        let (bytes, _, _) = encoding_rs::GBK.encode(s);
        let d = read_bytes(&bytes).unwrap();
        assert_eq!(texts(&d)[0], "关于加强基层党建工作的调研报告");
        assert!(
            d.format.starts_with("GBK") || d.format.starts_with("gb18030"),
            "{}",
            d.format
        );
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let s = "工作总结\r\n今年以来，我们认真落实各项工作。";
        let le: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let with_bom = [&[0xFF, 0xFE][..], &le].concat();
        assert_eq!(texts(&read_bytes(&with_bom).unwrap())[0], "工作总结");
        assert_eq!(texts(&read_bytes(&le).unwrap())[0], "工作总结");
        assert_eq!(
            texts(&read_bytes(&be).unwrap())[1],
            "今年以来，我们认真落实各项工作。"
        );
    }

    #[test]
    fn empty_and_binary_files_are_refused() {
        assert!(read_bytes(b"").unwrap_err().contains("empty"));
        assert!(read_bytes(b" \r\n\t").unwrap_err().contains("empty"));
        assert!(read_bytes(b"%PDF-1.4 ...").unwrap_err().contains("PDF"));
        let junk: Vec<u8> = (0..=255u8).cycle().take(4000).collect();
        assert!(read_bytes(&junk).is_err());
    }
}
