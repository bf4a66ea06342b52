//! Which files are a report's attachments, the one rule that its page, its
//! compilation and the search index (the attachments' text) all follow.

use std::collections::HashMap;

use super::{ContentFile, Site};

/// The site's files by folder, and its reports per folder.
pub struct Beside<'a> {
    site: &'a Site,
    reports_per_dir: HashMap<&'a str, usize>,
    files_per_dir: HashMap<&'a str, Vec<&'a ContentFile>>,
}

impl<'a> Beside<'a> {
    pub fn new(site: &'a Site) -> Self {
        let mut reports_per_dir = HashMap::new();
        for r in site.reports.values() {
            *reports_per_dir.entry(r.dir()).or_insert(0) += 1;
        }
        let mut files_per_dir: HashMap<&str, Vec<&ContentFile>> = HashMap::new();
        for f in site.files.values() {
            files_per_dir.entry(f.dir()).or_default().push(f);
        }
        Beside {
            site,
            reports_per_dir,
            files_per_dir,
        }
    }

    /// Whether the folder holds any file besides reports.
    pub fn has_files(&self, dir: &str) -> bool {
        self.files_per_dir.contains_key(dir)
    }

    /// Files beside report `id`: all files of its folder when it is the
    /// folder's only report, else those named after it; plus every file it
    /// links to (`linked`: their site paths). Sorted by name.
    pub fn files(&self, id: &str, linked: &[String]) -> Vec<&'a ContentFile> {
        let site = self.site;
        let r = &site.reports[id];
        let alone = self.reports_per_dir.get(r.dir()).copied().unwrap_or(0) == 1;
        let stem = std::path::Path::new(&r.id)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let beside = self
            .files_per_dir
            .get(r.dir())
            .into_iter()
            .flatten()
            .copied();
        let mut out: Vec<&ContentFile> = beside
            .filter(|f| alone || f.name().starts_with(&stem))
            .collect();
        for linked in linked {
            out.extend(site.files.values().filter(|f| &f.site_path == linked));
        }
        out.sort_by(|a, b| a.name().cmp(b.name()).then(a.rel.cmp(&b.rel)));
        out.dedup_by(|a, b| a.rel == b.rel);
        out
    }
}
