//! Attachment text for search: what a report's DOCX, XLSX, PDF and plain-text
//! attachments say, read within limits (bytes unpacked, text kept, time
//! spent) so that no file stalls or swamps a build. An attachment that cannot
//! be read is a warning naming it, never an error: the build goes on.
//!
//! DOCX and plain text go through the importer's readers (`import::docx`,
//! `import::read::decode`: the same encoding detection), spreadsheets through
//! calamine ([`sheet`]), PDFs through lopdf ([`pdf`]). [`store`] keeps what was
//! read between the runs of a session, in a temporary file.

mod pdf;
mod sheet;
pub mod store;
mod texts;

pub use texts::AttachmentTexts;

use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// The kinds of attachment whose text is read, by file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Docx,
    Xlsx,
    Pdf,
    Text,
}

impl Kind {
    /// The kind of a file by its extension; `None` for files that hold no text
    /// dangan reads (images, archives, old .doc/.xls, …).
    pub fn of(name: &str) -> Option<Kind> {
        let (_, ext) = name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "docx" => Some(Kind::Docx),
            "xlsx" | "xlsm" => Some(Kind::Xlsx),
            "pdf" => Some(Kind::Pdf),
            "txt" | "csv" => Some(Kind::Text),
            _ => None,
        }
    }
}

/// How much one attachment may cost.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Bytes of text kept (UTF-8): the rest of a longer attachment is not searched.
    pub text: usize,
    /// The largest file opened at all.
    pub file: u64,
    /// What the parts of a DOCX or XLSX may unpack to, together; what one
    /// stream of a PDF may.
    pub unpacked: u64,
    /// Time spent reading one attachment; reading stops at the next page,
    /// sheet row or drawing operation after it.
    pub time: Duration,
}

/// The limits of a build: about 350,000 Chinese characters of text (some 500
/// dense pages), files up to 256 MB, 128 MB unpacked, 10 seconds.
pub const LIMITS: Limits = Limits {
    text: 1 << 20,
    file: 256 << 20,
    unpacked: 128 << 20,
    time: Duration::from_secs(10),
};

/// Files above this size are read one at a time (whatever the number of
/// threads), so that only one large file is in memory at once.
const LARGE: u64 = 16 << 20;

/// Text read from an attachment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Plain text, paragraphs (rows, lines) separated by "\n".
    pub text: String,
    /// Set when reading stopped before the end of the file.
    pub cut: Option<Cut>,
}

/// Why reading stopped before the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// The text passed [`Limits::text`].
    Text,
    /// Reading took longer than [`Limits::time`].
    Time,
}

/// Why an attachment gave no text, in plain words, and what would fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub message: String,
    pub hint: String,
}

impl Unreadable {
    fn new(message: impl Into<String>, hint: impl Into<String>) -> Unreadable {
        Unreadable {
            message: message.into(),
            hint: hint.into(),
        }
    }

    fn damaged(what: &str, detail: impl std::fmt::Display) -> Unreadable {
        Unreadable::new(
            format!("cannot be read as {what}: it looks damaged ({detail})"),
            format!("open it in the program that made it and save it again as {what}"),
        )
    }
}

/// One reading of a file: what it was when read, and what it gave.
#[derive(Clone, Debug)]
pub struct Reading {
    pub size: u64,
    pub modified: Option<SystemTime>,
    /// xxh3 of the bytes read (`None` when they could not be read).
    pub hash: Option<u128>,
    pub result: Result<Extracted, Unreadable>,
}

/// Reads the text of the attachment at `path` of kind `kind` within `limits`.
/// `large` is held while a large file is read (one [`Mutex`] per build).
pub fn extract(path: &Path, kind: Kind, limits: &Limits, large: &Mutex<()>) -> Reading {
    let mut reading = Reading {
        size: 0,
        modified: None,
        hash: None,
        result: Ok(Extracted::default()),
    };
    reading.result = read_file(path, kind, limits, large, &mut reading);
    reading
}

fn read_file(
    path: &Path,
    kind: Kind,
    limits: &Limits,
    large: &Mutex<()>,
    seen: &mut Reading,
) -> Result<Extracted, Unreadable> {
    let cannot = |e: std::io::Error| {
        Unreadable::new(
            format!("cannot be read: {e}"),
            "check that the file exists and that you may read it",
        )
    };
    // Opened without following a link and measured as opened: a file that
    // became a link (to a secret outside the archive) after the walk found
    // it is not read into the search index (#12 item 9).
    let file =
        crate::load::discover::open_regular(path).map_err(
            |e| match std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) {
                true => Unreadable::new(
                    "has become a symbolic link; dangan does not follow links, so it is not read",
                    "put a copy of the file here instead of a link",
                ),
                false => cannot(e),
            },
        )?;
    let meta = file.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(Unreadable::new(
            "is not a regular file (a pipe, socket or device), so it is not read",
            "only files and folders belong in content/",
        ));
    }
    let size = meta.len();
    (seen.size, seen.modified) = (size, meta.modified().ok());
    if size > limits.file {
        return Err(Unreadable::new(
            format!(
                "is {}, more than the {} read for search; its text is not searched",
                crate::human::byte_size(size),
                crate::human::byte_size(limits.file)
            ),
            "attach a smaller file (a PDF saved without images, or the document itself)",
        ));
    }
    let _one_at_a_time = (size > LARGE).then(|| large.lock().unwrap_or_else(|e| e.into_inner()));
    // Plain text is read only as far as its text can go.
    let cap = match kind {
        Kind::Text => (limits.text as u64).saturating_mul(4),
        _ => limits.file,
    };
    let mut bytes = Vec::with_capacity(size.min(cap) as usize);
    file.take(cap).read_to_end(&mut bytes).map_err(cannot)?;
    seen.hash = Some(xxhash_rust::xxh3::xxh3_128(&bytes));
    let truncated = size > cap;
    // A damaged file must not take the build down with it: a panic in a
    // reader (ours or a crate's) is a damaged file.
    std::panic::catch_unwind(|| extract_bytes(&bytes, kind, limits, truncated)).unwrap_or_else(
        |_| {
            Err(Unreadable::damaged(
                kind_name(kind),
                "the reader stopped on it",
            ))
        },
    )
}

/// [`extract`] on a file's bytes; `truncated`: the file goes on past them.
pub fn extract_bytes(
    bytes: &[u8],
    kind: Kind,
    limits: &Limits,
    truncated: bool,
) -> Result<Extracted, Unreadable> {
    let mut out = Text::new(limits);
    sniff(bytes, kind)?;
    match kind {
        Kind::Docx => {
            zip_within(bytes, limits.unpacked, "Word document")?;
            let lines = crate::import::docx::read_docx(std::io::Cursor::new(bytes))
                .map_err(|e| Unreadable::damaged("a Word document (.docx)", e))?;
            for l in lines {
                if !out.push(&l.text) {
                    break;
                }
                out.newline();
            }
        }
        Kind::Xlsx => {
            zip_within(bytes, limits.unpacked, "spreadsheet")?;
            sheet::read(bytes, &mut out)?;
        }
        Kind::Pdf => pdf::read(bytes, limits, &mut out)?,
        Kind::Text => {
            let (text, _) = crate::import::read::decode(bytes).map_err(|why| {
                Unreadable::new(
                    format!("is not readable text: {why}"),
                    "save it as plain text (UTF-8 or GBK), or remove the .txt/.csv ending if it is not text",
                )
            })?;
            out.push(&text);
            if truncated && out.cut.is_none() {
                out.cut = Some(Cut::Text);
            }
        }
    }
    out.finish(kind)
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Docx => "a Word document (.docx)",
        Kind::Xlsx => "an Excel workbook (.xlsx)",
        Kind::Pdf => "a PDF",
        Kind::Text => "text",
    }
}

/// The file is what its name says: a ZIP for DOCX and XLSX, a PDF for .pdf.
fn sniff(bytes: &[u8], kind: Kind) -> Result<(), Unreadable> {
    let ole = bytes.starts_with(b"\xD0\xCF\x11\xE0");
    match kind {
        Kind::Docx | Kind::Xlsx if ole => Err(Unreadable::new(
            "is password-protected, or an old-format (.doc/.xls) file renamed; its text is not searched",
            format!(
                "open it, remove the password (or save it as {}), and save it again",
                if kind == Kind::Docx { ".docx" } else { ".xlsx" }
            ),
        )),
        Kind::Docx | Kind::Xlsx if !bytes.starts_with(b"PK\x03\x04") => Err(Unreadable::new(
            format!("is not {} (its first bytes say otherwise)", kind_name(kind)),
            "open it in the program that made it and save it again, or correct its file name ending",
        )),
        // The header may follow some junk (PDF 32000-1 allows 1,024 bytes of it).
        Kind::Pdf
            if !bytes[..bytes.len().min(1024)]
                .windows(5)
                .any(|w| w == b"%PDF-") =>
        {
            Err(Unreadable::new(
                "is not a PDF (its first bytes say otherwise)",
                "open it in the program that made it and save it again as PDF, or correct its file name ending",
            ))
        }
        _ => Ok(()),
    }
}

/// The parts of a ZIP (DOCX, XLSX) unpack to at most `limit` bytes together.
/// Checked on the sizes the archive declares: the ZIP reader refuses to
/// unpack a part past its declared size, so a "zip bomb" that lies about its
/// sizes fails there instead.
fn zip_within(bytes: &[u8], limit: u64, what: &str) -> Result<(), Unreadable> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Unreadable::damaged(&format!("a {what}"), e))?;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let size = zip
            .by_index_raw(i)
            .map_err(|e| Unreadable::damaged(&format!("a {what}"), e))?
            .size();
        total = total.saturating_add(size);
    }
    match total {
        n if n <= limit => Ok(()),
        _ => Err(Unreadable::new(
            format!(
                "unpacks to more than {}, far more than any {what} (a damaged file, or a \"zip bomb\" made to exhaust memory); its text is not searched",
                crate::human::byte_size(limit)
            ),
            format!("open it and save it again as a new {what}"),
        )),
    }
}

/// The text read so far, within the limits of text and time.
pub(crate) struct Text {
    out: String,
    max: usize,
    deadline: Instant,
    cut: Option<Cut>,
    /// Calls since the clock was last read.
    ticks: u32,
    /// Characters that could not be decoded (PDF glyphs without a Unicode value).
    undecodable: usize,
}

impl Text {
    fn new(limits: &Limits) -> Text {
        Text {
            out: String::new(),
            max: limits.text,
            deadline: Instant::now() + limits.time,
            cut: None,
            ticks: 0,
            undecodable: 0,
        }
    }

    /// Whether reading may go on: not full, not past the deadline.
    pub(crate) fn go_on(&mut self) -> bool {
        if self.cut.is_some() {
            return false;
        }
        self.ticks += 1;
        if self.ticks >= 256 {
            self.ticks = 0;
            if Instant::now() > self.deadline {
                self.cut = Some(Cut::Time);
            }
        }
        self.cut.is_none()
    }

    /// Appends `s`, control and other unwanted characters as spaces and undecodable characters
    /// (U+FFFD) left out; `false` once the text is full.
    pub(crate) fn push(&mut self, s: &str) -> bool {
        if self.cut.is_some() {
            return false;
        }
        for c in s.chars() {
            let c = match c {
                '\u{FFFD}' => {
                    self.undecodable += 1;
                    continue;
                }
                '\n' | '\t' => c,
                // What no output may hold (crate::text), e.g. U+2028 or U+FFFE from a PDF.
                c if c.is_control() || crate::text::is_unwanted(c) => ' ',
                c => c,
            };
            if self.out.len() + c.len_utf8() > self.max {
                self.cut = Some(Cut::Text);
                return false;
            }
            self.out.push(c);
        }
        true
    }

    /// Ends a line (paragraph, row), unless one just ended.
    pub(crate) fn newline(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.push("\n");
        }
    }

    pub(crate) fn not_decoded(&mut self, n: usize) {
        self.undecodable += n;
    }

    fn finish(self, kind: Kind) -> Result<Extracted, Unreadable> {
        let decoded = self.out.chars().filter(|c| !c.is_whitespace()).count();
        if decoded == 0 || self.undecodable > decoded {
            return Err(match kind {
                Kind::Pdf if self.undecodable > decoded => Unreadable::new(
                    "has text in fonts that do not say which characters they draw; its text is not searched",
                    "save it again as PDF from the program that made it (in Word or WPS: Save As, PDF), or attach the document itself",
                ),
                Kind::Pdf => Unreadable::new(
                    "has no text layer (a scanned image?); its text is not searched",
                    "attach the document it was scanned from (.docx, or a PDF saved from Word or WPS), or its text as a .txt file",
                ),
                _ => Unreadable::new(
                    "holds no text; nothing of it is searched",
                    "if this is not what you expected, open the file and check it",
                ),
            });
        }
        let mut text = self.out;
        text.truncate(text.trim_end().len());
        Ok(Extracted {
            text,
            cut: self.cut,
        })
    }
}

#[cfg(test)]
mod tests;
