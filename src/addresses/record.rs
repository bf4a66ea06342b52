//! The address record file: one line per address, read leniently (a merge
//! of two offices' versions must not stop a build) and written atomically.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;

use super::{RECORD_FILE, check_address};
use crate::diag::Diagnostic;
use crate::model::SourceStamp;

/// What the record says about one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The report file (path under `content/`) the address shows or leads to.
    pub report: String,
    /// That report's key when last seen (`report_key`).
    pub key: u64,
    /// The address leads nowhere and the warning about it has been given.
    pub removed: bool,
    /// Line in the file (0 when not read from it), for messages.
    pub line: usize,
}

/// Every address a report was published at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Record {
    /// By address (a site path). More than one entry only where a merge of
    /// two versions kept both lines; the one that still leads somewhere wins.
    pub entries: BTreeMap<String, Vec<Entry>>,
    /// The file is not as dangan writes it (merge marks, lines out of
    /// order, another header): the next build writes it again.
    pub untidy: bool,
}

const HEADER: &str = "\
# dangan-addresses.txt: every address (page of the site) at which dangan published a report,
# so that old links keep working after reports move. `dangan build` keeps it up to date;
# keep it with the reports (in version control: add `dangan-addresses.txt merge=union` to
# .gitattributes). Each line: address, report file, key of its title/unit/date/type, and
# `removed` once the address leads nowhere. Delete a line to let its address go for good.
";

/// The lines git leaves in a file whose merge conflicted.
const CONFLICT_MARKERS: [&str; 4] = ["<<<<<<<", "|||||||", "=======", ">>>>>>>"];

impl Record {
    /// The record of the archive at `root`: empty when there is none yet.
    pub(crate) fn read(root: &Path) -> (Record, Vec<Diagnostic>) {
        let path = root.join(RECORD_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Record::parse(&text),
                Err(_) => (
                    Record::default(),
                    vec![
                        Diagnostic::error(RECORD_FILE, "the file is not UTF-8 text")
                            .hint(RESTORE_HINT),
                    ],
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Record::default(), Vec::new()),
            Err(e) => (
                Record::default(),
                vec![
                    Diagnostic::error(RECORD_FILE, format!("cannot be read: {e}"))
                        .hint("check that the file exists and that you may read it"),
                ],
            ),
        }
    }

    pub(crate) fn parse(text: &str) -> (Record, Vec<Diagnostic>) {
        let mut record = Record::default();
        let mut diags = Vec::new();
        let mut conflict_line = None;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim_end_matches('\r');
            if l.trim().is_empty() || l.starts_with('#') {
                continue;
            }
            if CONFLICT_MARKERS.iter().any(|m| l.starts_with(m)) {
                conflict_line.get_or_insert(line);
                continue;
            }
            match parse_line(l) {
                Ok((address, mut entry)) => {
                    entry.line = line;
                    let entries = record.entries.entry(address).or_default();
                    if !entries.contains(&entry) {
                        entries.push(entry);
                    }
                }
                Err(why) => diags.push(
                    Diagnostic::error(RECORD_FILE, why)
                        .line(line)
                        .hint(RESTORE_HINT),
                ),
            }
        }
        for entries in record.entries.values_mut() {
            // Entries that still lead somewhere are tried first; then a stable order.
            entries
                .sort_by(|a, b| (a.removed, &a.report, a.key).cmp(&(b.removed, &b.report, b.key)));
        }
        record.untidy = record.to_text() != text;
        if let Some(line) = conflict_line {
            diags.push(
                Diagnostic::warning(RECORD_FILE, "holds the marks of a merge conflict (<<<<<<< … >>>>>>>); the lines of both versions are kept")
                    .line(line)
                    .hint("nothing to do: the next build writes the file again without the marks; to avoid them, add `dangan-addresses.txt merge=union` to .gitattributes"),
            );
        }
        (record, diags)
    }

    /// Says the same as `other` (lines in the file aside).
    pub(crate) fn same(&self, other: &Record) -> bool {
        fn strip(e: &Entry) -> (&str, u64, bool) {
            (&e.report, e.key, e.removed)
        }
        self.entries.len() == other.entries.len()
            && self
                .entries
                .iter()
                .zip(&other.entries)
                .all(|((a, x), (b, y))| {
                    a == b && x.len() == y.len() && x.iter().map(strip).eq(y.iter().map(strip))
                })
    }

    /// The line of each address in `to_text`.
    pub(crate) fn lines(&self) -> HashMap<&str, usize> {
        let mut line = HEADER.lines().count();
        let mut out = HashMap::with_capacity(self.entries.len());
        for (address, entries) in &self.entries {
            out.insert(address.as_str(), line + 1);
            line += entries.len();
        }
        out
    }

    /// The file's text: the header, then one line per address, sorted.
    pub(crate) fn to_text(&self) -> String {
        let mut s = String::from(HEADER);
        for (address, entries) in &self.entries {
            for e in entries {
                s.push_str(&escape(address));
                s.push('\t');
                s.push_str(&escape(&e.report));
                s.push('\t');
                s.push_str(&format!("{:016x}", e.key));
                if e.removed {
                    s.push_str("\tremoved");
                }
                s.push('\n');
            }
        }
        s
    }

    /// Writes the record at `root` whole or not at all.
    #[cfg(test)]
    pub(crate) fn write(&self, root: &Path) -> std::io::Result<()> {
        self.stage(root)?.commit()
    }

    /// Writes the record under a temporary name beside its place, synced, to
    /// be renamed over the old one by `commit` (dropped, it is removed): a
    /// build stages it before its pages go into place, so that a record that
    /// cannot be written stops the build before anything changed.
    pub(crate) fn stage(&self, root: &Path) -> std::io::Result<StagedRecord> {
        let text = self.to_text();
        let staged = StagedRecord {
            tmp: root.join(crate::output::temp_name(RECORD_FILE)),
            target: root.join(RECORD_FILE),
            stamp: SourceStamp::of(text.as_bytes()),
        };
        let mut f = fs_err::File::create(&staged.tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        Ok(staged)
    }

    /// This record as [`parse`](Self::parse) reads back the file
    /// [`to_text`](Self::to_text) writes of it, without writing or reading
    /// any text (at 100,000 reports that is megabytes, twice, per save in
    /// `watch`): each entry with its line, each address's entries in the
    /// order `parse` gives them, untidy if that is not the written order.
    pub(crate) fn read_back(mut self) -> Record {
        let mut line = HEADER.lines().count();
        self.untidy = false;
        for entries in self.entries.values_mut() {
            for e in entries.iter_mut() {
                line += 1;
                e.line = line;
            }
            let written = entries.clone();
            entries
                .sort_by(|a, b| (a.removed, &a.report, a.key).cmp(&(b.removed, &b.report, b.key)));
            self.untidy |= *entries != written;
        }
        self
    }
}

/// A record written under its temporary name, not yet in place.
#[derive(Debug)]
pub(crate) struct StagedRecord {
    tmp: PathBuf,
    target: PathBuf,
    /// Of the text written: the file as this record leaves it.
    pub stamp: SourceStamp,
}

impl StagedRecord {
    pub(crate) fn commit(self) -> std::io::Result<()> {
        fs_err::rename(&self.tmp, &self.target)
        // `drop` then finds no temporary left to remove.
    }
}

impl Drop for StagedRecord {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

const RESTORE_HINT: &str = "dangan writes this file itself: take it back from version control or a copy, or delete the line (its address then no longer leads anywhere)";

fn parse_line(l: &str) -> Result<(String, Entry), String> {
    let fields: Vec<&str> = l.split('\t').collect();
    let (address, report, key, state) = match fields[..] {
        [a, r, k] => (a, r, k, None),
        [a, r, k, s] => (a, r, k, Some(s)),
        _ => {
            return Err(format!(
                "the line \"{}\" is not an address, a report file and a key separated by tabs",
                shorten(l)
            ));
        }
    };
    let address = unescape(address)?;
    check_address(&address)
        .map_err(|p| format!("\"{address}\" is not an address of the site: {}", p.message))?;
    let report = unescape(report)?;
    if report.is_empty() {
        return Err(format!("the address {address} names no report file"));
    }
    let key = match key.len() {
        16 => u64::from_str_radix(key, 16).ok(),
        _ => None,
    }
    .ok_or_else(|| format!("\"{key}\" is not a key (16 hexadecimal digits)"))?;
    let removed = match state {
        None | Some("") => false,
        Some("removed") => true,
        Some(other) => return Err(format!("\"{other}\" is not `removed`")),
    };
    Ok((
        address,
        Entry {
            report,
            key,
            removed,
            line: 0,
        },
    ))
}

fn shorten(l: &str) -> String {
    let mut s: String = l.chars().take(80).collect();
    if s.len() < l.len() {
        s.push('…');
    }
    s.replace('\t', " ")
}

/// `%` and control characters (tabs, line breaks) as `%XX`, the rest as it
/// is: percent-encoding crates escape every non-ASCII byte, which would make
/// Chinese names unreadable in the file.
fn escape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    for c in field.chars() {
        if c == '%' || c.is_control() {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn unescape(field: &str) -> Result<String, String> {
    if !field.contains('%') {
        return Ok(field.to_string());
    }
    percent_decode_str(field)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| format!("\"{field}\" is not UTF-8 once its %-escapes are decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(report: &str, key: u64, removed: bool) -> Entry {
        Entry {
            report: report.into(),
            key,
            removed,
            line: 0,
        }
    }

    /// What a run keeps of the record it wrote is what reading the file back gives.
    #[test]
    fn a_record_kept_as_written_is_the_file_read_back() {
        let mut r = Record::default();
        r.entries.insert(
            "a.html".into(),
            vec![entry("z.md", 1, false), entry("b.md", 2, true)],
        );
        r.entries.insert(
            "c.html".into(),
            vec![
                entry("y.md", 3, true),
                entry("x.md", 4, false),
                entry("w.md", 5, false),
            ],
        );
        r.entries
            .insert("b%.html".into(), vec![entry("q.md", 6, false)]);
        let (back, diags) = Record::parse(&r.to_text());
        assert!(diags.is_empty(), "{diags:?}");
        assert!(back.untidy, "entries out of order");
        assert_eq!(r.clone().read_back(), back);
        let tidy = back.clone().read_back();
        assert_eq!(Record::parse(&tidy.to_text()).0, tidy);
        assert!(!tidy.untidy);
    }

    #[test]
    fn text_round_trips_with_odd_names_escaped() {
        let mut r = Record::default();
        r.entries.insert(
            "2020/调研报告.html".into(),
            vec![entry("2020/调研报告.md", 0x0123_4567_89ab_cdef, false)],
        );
        r.entries
            .insert("100%.html".into(), vec![entry("a\tb\nc%.md", 7, true)]);
        let text = r.to_text();
        assert!(text.contains("100%25.html\ta%09b%0Ac%25.md\t0000000000000007\tremoved\n"));
        assert!(text.contains("2020/调研报告.html\t2020/调研报告.md\t0123456789abcdef\n"));
        let (back, diags) = Record::parse(&text);
        assert!(diags.is_empty(), "{diags:?}");
        let strip = |r: &Record| {
            r.entries
                .iter()
                .map(|(a, es)| {
                    (
                        a.clone(),
                        es.iter()
                            .map(|e| (e.report.clone(), e.key, e.removed))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&back), strip(&r));
        assert_eq!(back.to_text(), text, "the same bytes again");
    }

    #[test]
    fn both_sides_of_a_merge_conflict_are_kept_with_a_warning() {
        let text = "<<<<<<< HEAD\na.html\ta.md\t0000000000000001\n=======\na.html\tb.md\t0000000000000002\n>>>>>>> other\n";
        let (r, diags) = Record::parse(text);
        assert_eq!(r.entries["a.html"].len(), 2);
        assert_eq!(diags.len(), 1);
        assert!(!diags[0].is_error());
        assert_eq!(diags[0].line, Some(1));
    }

    #[test]
    fn bad_lines_are_errors_naming_the_line() {
        let text = "# header\nok.html\tok.md\t0000000000000001\n../../etc/x.html\tx.md\t0000000000000001\nshort.html\tx.md\nk.html\tk.md\tnothex\nr.html\tr.md\t0000000000000001\tgone\n";
        let (r, diags) = Record::parse(text);
        assert_eq!(r.entries.len(), 1);
        let lines: Vec<Option<usize>> = diags.iter().map(|d| d.line).collect();
        assert_eq!(lines, [Some(3), Some(4), Some(5), Some(6)]);
        assert!(diags.iter().all(|d| d.is_error() && d.path == RECORD_FILE));
        assert!(
            diags[0].message.contains("not an address of the site"),
            "{}",
            diags[0].message
        );
    }

    #[test]
    fn written_whole_with_no_temporary_left() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Record::default();
        r.entries
            .insert("a.html".into(), vec![entry("a.md", 1, false)]);
        r.write(dir.path()).unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [RECORD_FILE]);
        assert_eq!(Record::read(dir.path()).0.to_text(), r.to_text());
    }
}
