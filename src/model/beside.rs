//! Which files are a report's attachments, the one rule that its page, its
//! compilation and the search index (the attachments' text) all follow; and
//! which files only drafts use, which stay out of the site.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

use super::{ContentFile, Report, Site};

/// The site's files by folder (sorted by name) and by site path, and its
/// reports per folder: a report's files are found by a binary search for its
/// name, not by a scan of its folder (thousands of files at 100,000 reports,
/// looked at for every report on every run).
pub struct Beside<'a> {
    /// Published reports per folder.
    reports_per_dir: HashMap<&'a str, usize>,
    /// The file names (stems) of each folder's reports, published or not,
    /// and whether each is a draft's only.
    stems: HashMap<&'a str, HashMap<&'a str, Owner>>,
    files_per_dir: HashMap<&'a str, Vec<&'a ContentFile>>,
    by_site_path: HashMap<&'a str, &'a ContentFile>,
    site: &'a Site,
}

/// Whose name a file of a folder is named after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Published,
    Draft,
}

/// The folder of a path under `content/` (`""` at the top).
fn dir_of(id: &str) -> &str {
    id.rsplit_once('/').map_or("", |(d, _)| d)
}

/// A report's file name without its ending: the files named after it begin with it.
fn stem(id: &str) -> &str {
    std::path::Path::new(id)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
}

impl<'a> Beside<'a> {
    pub fn new(site: &'a Site) -> Self {
        let mut reports_per_dir = HashMap::new();
        let mut stems: HashMap<&str, HashMap<&str, Owner>> = HashMap::new();
        for id in &site.drafts {
            stems
                .entry(dir_of(id))
                .or_default()
                .insert(stem(id), Owner::Draft);
        }
        // After the drafts: a published report and a draft of the same name
        // (`甲.md`, `甲.markdown`) both have its files, which are then published.
        for r in site.reports.values() {
            *reports_per_dir.entry(r.dir()).or_insert(0) += 1;
            stems
                .entry(r.dir())
                .or_default()
                .insert(stem(&r.id), Owner::Published);
        }
        let mut files_per_dir: HashMap<&str, Vec<&ContentFile>> = HashMap::new();
        let mut by_site_path = HashMap::new();
        for f in site.files.values() {
            files_per_dir.entry(f.dir()).or_default().push(f);
            by_site_path.entry(f.site_path.as_str()).or_insert(f);
        }
        for files in files_per_dir.values_mut() {
            files.sort_by(|a, b| a.name().cmp(b.name()));
        }
        Beside {
            reports_per_dir,
            stems,
            files_per_dir,
            by_site_path,
            site,
        }
    }

    /// Whether the folder holds any file besides reports.
    pub fn has_files(&self, dir: &str) -> bool {
        self.files_per_dir.contains_key(dir)
    }

    fn published_in(&self, dir: &str) -> usize {
        self.reports_per_dir.get(dir).copied().unwrap_or(0)
    }

    /// The stem of the report of the file's folder that the file is named
    /// after, published or draft: the longest one its name begins with, so
    /// that `10-附件.pdf` is `10.md`'s and not also `1.md`'s, and `甲乙-附表.xlsx`
    /// is `甲乙.md`'s and not also `甲.md`'s.
    fn owner(&self, f: &ContentFile) -> Option<(&'a str, Owner)> {
        let stems = self.stems.get(f.dir())?;
        let name = f.name();
        // Each place a character ends, longest first: a file name has a few
        // dozen, the folder may have thousands of reports.
        std::iter::once(name.len())
            .chain(name.char_indices().rev().map(|(i, _)| i))
            .filter(|&end| end > 0)
            .find_map(|end| stems.get_key_value(&name[..end]))
            .map(|(s, o)| (*s, *o))
    }

    /// Whether a draft of the file's folder gives it its name.
    fn named_after_a_draft(&self, f: &ContentFile) -> bool {
        self.owner(f).is_some_and(|(_, o)| o == Owner::Draft)
    }

    /// Whether a published report of the file's folder gives it its name.
    fn named_after_a_published_report(&self, f: &ContentFile) -> bool {
        self.owner(f).is_some_and(|(_, o)| o == Owner::Published)
    }

    /// The files of folder `dir` named after the report of stem `stem`
    /// ([`owner`](Self::owner)).
    fn named_after(&self, dir: &str, stem: &str) -> Vec<&'a ContentFile> {
        let here: &[&ContentFile] = self.files_per_dir.get(dir).map_or(&[], Vec::as_slice);
        // Names that start with the stem sort together, from the stem on.
        let from = here.partition_point(|f| f.name() < stem);
        let to = from + here[from..].partition_point(|f| f.name().starts_with(stem));
        here[from..to]
            .iter()
            .filter(|f| self.owner(f).is_some_and(|(s, _)| s == stem))
            .copied()
            .collect()
    }

    /// Files beside published report `id`: those named after it, and when
    /// it is its folder's only published report every other file of the
    /// folder but those named after a draft there; plus every file it links
    /// to (`linked`: their site paths). Sorted by name.
    pub fn files(&self, id: &str, linked: &[String]) -> Vec<&'a ContentFile> {
        let r = &self.site.reports[id];
        let stem = stem(&r.id);
        let mut out: Vec<&ContentFile> = if self.published_in(r.dir()) == 1 {
            let here: &[&ContentFile] = self.files_per_dir.get(r.dir()).map_or(&[], Vec::as_slice);
            here.iter()
                .filter(|f| !self.named_after_a_draft(f))
                .copied()
                .collect()
        } else {
            self.named_after(r.dir(), stem)
        };
        out.extend(
            linked
                .iter()
                .filter_map(|l| self.by_site_path.get(l.as_str()).copied()),
        );
        out.sort_by(|a, b| a.name().cmp(b.name()).then(a.rel.cmp(&b.rel)));
        out.dedup_by(|a, b| a.rel == b.rel);
        out
    }

    /// The files (paths under `content/`) that only `drafts` use, as far as
    /// the model can tell: those named after a draft, those of a folder whose
    /// reports are all drafts, those under a folder named after a draft beside
    /// it (`d/` beside `d.md`), and those a draft links to; but none that a
    /// published report has beside it by [`files`](Self::files). (A file a
    /// published report links to is published too; that is known once its
    /// Markdown is rendered: `render::withheld`.)
    pub fn drafts_only(&self, drafts: &[&Report]) -> BTreeSet<String> {
        let site = self.site;
        let mut used: BTreeMap<&str, &ContentFile> = BTreeMap::new();
        for d in drafts {
            let beside: Vec<&ContentFile> = if self.published_in(d.dir()) == 0 {
                self.files_per_dir.get(d.dir()).cloned().unwrap_or_default()
            } else {
                self.named_after(d.dir(), stem(&d.id))
            };
            let linked = d.links.iter().filter_map(|l| site.files.get(l));
            // The folder named after the draft beside it (`d/` beside `d.md`), at any depth.
            let folder = match d.dir() {
                "" => format!("{}/", stem(&d.id)),
                dir => format!("{dir}/{}/", stem(&d.id)),
            };
            let under = site
                .files
                .range::<str, _>((Bound::Included(folder.as_str()), Bound::Unbounded))
                .take_while(|(rel, _)| rel.starts_with(&folder))
                .map(|(_, f)| f);
            used.extend(
                beside
                    .iter()
                    .copied()
                    .chain(linked)
                    .chain(under)
                    .map(|f| (f.rel.as_str(), f)),
            );
        }
        if used.is_empty() {
            return BTreeSet::new();
        }
        // Not those a published report has beside it (`files`).
        used.into_values()
            .filter(|f| {
                !(self.named_after_a_published_report(f)
                    || self.published_in(f.dir()) == 1 && !self.named_after_a_draft(f))
            })
            .map(|f| f.rel.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::Config;
    use crate::model::Report;

    fn report(id: &str) -> Arc<Report> {
        Arc::new(Report::sample(id))
    }

    fn file(rel: &str) -> ContentFile {
        ContentFile {
            rel: rel.into(),
            source: Default::default(),
            size: 1,
            modified: None,
            site_path: rel.into(),
            markup: false,
        }
    }

    #[test]
    fn files_named_after_a_report_or_all_of_its_own_folder_or_linked() {
        let site = Site::new(
            Config::default(),
            [
                "共/甲.md",
                "共/乙.md",
                "共/甲乙.md",
                "独/丙.md",
                "号/1.md",
                "号/10.md",
            ]
            .map(report),
            [
                "号/1-附件.pdf",
                "号/10-附件.pdf",
                "号/100-附件.pdf",
                "共/甲-附件1.pdf",
                "共/甲乙-附表.xlsx",
                "共/乙附表.xlsx",
                "共/其他.docx",
                "共/丁.txt",
                "独/任何.pdf",
                "独/子/不算.pdf",
            ]
            .map(file),
        );
        let beside = Beside::new(&site);
        let names = |id: &str, linked: &[&str]| -> Vec<String> {
            let linked: Vec<String> = linked.iter().map(|s| s.to_string()).collect();
            beside
                .files(id, &linked)
                .iter()
                .map(|f| f.rel.clone())
                .collect()
        };
        // A file named after two reports is the one's with the longer name.
        assert_eq!(names("共/甲.md", &[]), ["共/甲-附件1.pdf"]);
        assert_eq!(names("共/甲乙.md", &[]), ["共/甲乙-附表.xlsx"]);
        assert_eq!(names("号/1.md", &[]), ["号/1-附件.pdf"]);
        assert_eq!(
            names("号/10.md", &[]),
            ["号/10-附件.pdf", "号/100-附件.pdf"]
        );
        assert_eq!(
            names("共/乙.md", &["共/丁.txt"]),
            ["共/丁.txt", "共/乙附表.xlsx"]
        );
        assert_eq!(names("独/丙.md", &["缺.pdf"]), ["独/任何.pdf"]);
        assert!(beside.has_files("共") && !beside.has_files("无"));
        assert!(site.drafts_only.is_empty());
    }

    fn draft(id: &str, links: &[&str]) -> Arc<Report> {
        Arc::new(Report {
            draft: true,
            links: links.iter().map(|l| l.to_string()).collect(),
            ..Report::sample(id)
        })
    }

    #[test]
    fn files_only_drafts_use_are_theirs_and_no_published_reports() {
        let site = Site::new(
            Config::default(),
            [
                report("共/甲.md"),
                draft("共/甲草.md", &[]),
                report("共/乙.md"),
                draft(
                    "共/丁.md",
                    &["共享/只给草稿.pdf", "共享/共用.pdf", "独/任何.pdf"],
                ),
                report("独/丙.md"),
                draft("独/戊.md", &[]),
                draft("草稿箱/己.md", &[]),
                draft("草稿箱/庚.md", &["缺.pdf"]),
                report("独/戊/报告.md"),
            ],
            [
                "共/甲-附件.pdf",
                "共/甲草-附件.pdf",
                "共/丁-附件.pdf",
                "共/其他.pdf",
                "独/任何.pdf",
                "独/戊-附件.pdf",
                "独/丙戊.pdf",
                "草稿箱/材料.pdf",
                "草稿箱/子/不算.pdf",
                "共享/只给草稿.pdf",
                "共享/共用.pdf",
                "共/丁/图/照片.pdf",
                "共/丁子/不算.pdf",
                "独/戊/附表.pdf",
            ]
            .map(file),
        );
        // Named after a draft, in a folder of drafts only, under a folder
        // named after a draft, or linked from a draft; never a file a
        // published report has beside it (独/任何.pdf: the only published
        // report of its folder; 独/丙戊.pdf: named after 丙; 独/戊/附表.pdf:
        // beside 独/戊/报告.md).
        assert_eq!(
            site.drafts_only.iter().collect::<Vec<_>>(),
            [
                "共/丁-附件.pdf",
                "共/丁/图/照片.pdf",
                "共/甲草-附件.pdf",
                "共享/共用.pdf",
                "共享/只给草稿.pdf",
                "独/戊-附件.pdf",
                "草稿箱/材料.pdf"
            ]
        );
        // The only published report of its folder has every file of it but
        // those named after a draft there.
        let beside = Beside::new(&site);
        let names: Vec<&str> = beside
            .files("独/丙.md", &[])
            .iter()
            .map(|f| f.rel.as_str())
            .collect();
        assert_eq!(names, ["独/丙戊.pdf", "独/任何.pdf"]);
    }
}
