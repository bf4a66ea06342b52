//! One report as the site sees it: its validated front matter, and where its
//! Markdown body is in its file. The body itself is not kept: it is read
//! again when the report's page is made, so that an archive of any size fits
//! in memory.

use std::path::PathBuf;

use super::ReportDate;

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Path of the `.md` file under `content/`, with `/` separators; the stable id.
    pub id: String,
    /// The file on disk.
    pub source: PathBuf,
    pub title: String,
    pub unit: String,
    pub date: ReportDate,
    pub kind: String,
    pub tags: Vec<String>,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub draft: bool,
    /// Site path of the report's page (`2020/报告.html`).
    pub page: String,
    /// The file's bytes as they were read, to tell whether it changed since.
    pub stamp: SourceStamp,
    /// Where the Markdown starts in the body as loaded (the text after the
    /// front matter, control characters taken out), in bytes: after the `#`
    /// title line when that line gave the title.
    pub body_start: usize,
    /// Line of the source file where the body starts.
    pub body_line: usize,
    /// What tells this report apart when it moves: a hash of its title, unit,
    /// date and type (see `addresses::report_key`).
    pub key: u64,
    /// Old addresses that lead to this report (`aliases:`).
    pub aliases: Vec<Alias>,
    /// A draft's links: the paths under `content/` its Markdown links to,
    /// read with its front matter (a draft is never rendered), so that the
    /// files only drafts use stay out of the site. Empty for a published
    /// report, whose links are known from its rendering.
    pub links: Vec<String>,
}

/// One entry of a report's `aliases:`, checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Alias {
    pub target: AliasTarget,
    /// As written, for messages.
    pub text: String,
    /// Line of the report file it is written on.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AliasTarget {
    /// An old report file under `content/` (`2019/旧报告.md`): the addresses it had.
    Report(String),
    /// An old address of the site (`2019/旧报告.html`).
    Page(String),
}

/// The length and a 128-bit hash (xxh3) of a file's bytes: equal stamps mean
/// the same bytes (with odds of a clash of about 2^-128).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceStamp {
    pub len: u64,
    pub hash: u128,
}

impl SourceStamp {
    pub fn of(bytes: &[u8]) -> SourceStamp {
        SourceStamp {
            len: bytes.len() as u64,
            hash: xxhash_rust::xxh3::xxh3_128(bytes),
        }
    }
}

#[cfg(test)]
impl Report {
    /// A report of the unit 单位, type 总结, dated 2020-01-01, titled by its
    /// id and published at the id's `.html`: tests change what they need.
    pub(crate) fn sample(id: &str) -> Report {
        Report {
            id: id.into(),
            source: Default::default(),
            title: id.into(),
            unit: "单位".into(),
            date: super::ReportDate {
                year: 2020,
                month: 1,
                day: Some(1),
            },
            kind: "总结".into(),
            tags: Vec::new(),
            summary: None,
            author: None,
            draft: false,
            page: id.replace(".md", ".html"),
            stamp: SourceStamp::of(b""),
            body_start: 0,
            body_line: 1,
            key: 0,
            aliases: Vec::new(),
            links: Vec::new(),
        }
    }
}

impl Report {
    /// The folder of the report under `content/` (`""` at the top).
    pub fn dir(&self) -> &str {
        self.id.rsplit_once('/').map_or("", |(d, _)| d)
    }

    /// Whether `other` is this report with, at most, another body: every
    /// field but where the body is and its stamp is the same. A body edit
    /// leaves every page but the report's own and its compilations' as they
    /// are. (No `..` below: a field added to `Report` must be placed here.)
    pub fn same_but_body(&self, other: &Report) -> bool {
        let Report {
            id,
            source,
            title,
            unit,
            date,
            kind,
            tags,
            summary,
            author,
            draft,
            page,
            stamp: _,
            body_start: _,
            body_line: _,
            key,
            aliases,
            links,
        } = self;
        *id == other.id
            && *source == other.source
            && *title == other.title
            && *unit == other.unit
            && *date == other.date
            && *kind == other.kind
            && *tags == other.tags
            && *summary == other.summary
            && *author == other.author
            && *draft == other.draft
            && *page == other.page
            && *key == other.key
            && *aliases == other.aliases
            && *links == other.links
    }

    /// Sort key for lists: newest first, then by title and id for stability.
    pub fn newest_first_key(&self) -> (std::cmp::Reverse<ReportDate>, &str, &str) {
        (std::cmp::Reverse(self.date), &self.title, &self.id)
    }
}

/// A file under `content/` that is not a report (an attachment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentFile {
    /// Path under `content/`, `/`-separated.
    pub rel: String,
    pub source: PathBuf,
    pub size: u64,
    /// When the file last changed, as far as the file system says.
    pub modified: Option<std::time::SystemTime>,
    /// Site path it is copied to.
    pub site_path: String,
    /// Its first bytes are HTML or XML markup, though its name does not say
    /// so (see `load::starts_as_markup`).
    pub markup: bool,
}

impl ContentFile {
    pub fn dir(&self) -> &str {
        self.rel.rsplit_once('/').map_or("", |(d, _)| d)
    }

    pub fn name(&self) -> &str {
        self.rel
            .rsplit_once('/')
            .map_or(self.rel.as_str(), |(_, n)| n)
    }
}

/// Why an attachment is a risk to the people who open it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentRisk {
    /// A browser shows it as a page and runs its scripts (HTML, SVG, XML …).
    Page,
    /// A web server runs it, or reads it as its own settings (ASP, PHP, web.config …).
    Server,
    /// A program or script that runs with the reader's rights when opened.
    Program,
}

/// Extensions (lower case) a browser opens as a page that may run scripts:
/// HTML, SVG, and XML of any kind, since Chromium and Firefox run the XHTML
/// `<script>` inside any document they take for XML. Over file:// Chromium
/// does so for .rss, .atom, .xsd, .xbl and .xhtm as for .xml (tried: an
/// XHTML page saved under each name set its title); .rdf, .xul, .mml and
/// .xaml are XML types of Firefox or of Windows' own list, which Edge reads.
const PAGE_EXTENSIONS: &[&str] = &[
    "html", "htm", "xhtml", "xhtm", "xht", "shtml", "shtm", "mht", "mhtml", "svg", "svgz", "xml",
    "xsl", "xslt", "xsd", "xbl", "rss", "atom", "rdf", "xul", "mml", "xaml", "hta",
];

/// Extensions a web server may run instead of sending.
const SERVER_EXTENSIONS: &[&str] = &[
    "asp", "aspx", "ashx", "asmx", "cshtml", "php", "php3", "php4", "php5", "phtml", "jsp", "jspx",
    "cgi", "pl",
];

/// Names a web server reads as its own settings.
const SERVER_NAMES: &[&str] = &["web.config"];

const PROGRAM_EXTENSIONS: &[&str] = &[
    "exe", "com", "scr", "pif", "cpl", "msi", "msp", "bat", "cmd", "ps1", "vbs", "vbe", "js",
    "jse", "wsf", "wsh", "lnk", "reg", "jar", "dll",
];

impl AttachmentRisk {
    /// The risk of a file named `name`, if any.
    pub fn of(name: &str) -> Option<AttachmentRisk> {
        let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
        // As published: Windows drops the dots and spaces a name ends with, and so does the
        // build (`paths::safe_component`), so `页.htm..` is the page `页.htm` on the site.
        let name = name.trim_end_matches(['.', ' ']);
        let lower = name.to_lowercase();
        let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
        if PAGE_EXTENSIONS.contains(&ext) {
            Some(AttachmentRisk::Page)
        } else if SERVER_EXTENSIONS.contains(&ext) || SERVER_NAMES.contains(&lower.as_str()) {
            Some(AttachmentRisk::Server)
        } else if PROGRAM_EXTENSIONS.contains(&ext) {
            Some(AttachmentRisk::Program)
        } else {
            None
        }
    }

    /// Published under a name no browser or web server runs: the original
    /// name with `.txt` added, so that opening it shows its text.
    pub fn renamed(self) -> bool {
        matches!(self, AttachmentRisk::Page | AttachmentRisk::Server)
    }
}

impl ContentFile {
    /// The risk its name says, or else a page's if its bytes are markup.
    pub fn risk(&self) -> Option<AttachmentRisk> {
        AttachmentRisk::of(self.name()).or(self.markup.then_some(AttachmentRisk::Page))
    }
}
