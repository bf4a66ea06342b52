//! Which files are a report's attachments, the one rule that its page, its
//! compilation and the search index (the attachments' text) all follow.

use std::collections::HashMap;

use super::{ContentFile, Site};

/// The site's files by folder (sorted by name) and by site path, and its
/// reports per folder: a report's files are found by a binary search for its
/// name, not by a scan of its folder (thousands of files at 100,000 reports,
/// looked at for every report on every run).
pub struct Beside<'a> {
    reports_per_dir: HashMap<&'a str, usize>,
    files_per_dir: HashMap<&'a str, Vec<&'a ContentFile>>,
    by_site_path: HashMap<&'a str, &'a ContentFile>,
    site: &'a Site,
}

impl<'a> Beside<'a> {
    pub fn new(site: &'a Site) -> Self {
        let mut reports_per_dir = HashMap::new();
        for r in site.reports.values() {
            *reports_per_dir.entry(r.dir()).or_insert(0) += 1;
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
            files_per_dir,
            by_site_path,
            site,
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
        let here: &[&ContentFile] = self.files_per_dir.get(r.dir()).map_or(&[], Vec::as_slice);
        let mut out: Vec<&ContentFile> = if alone {
            here.to_vec()
        } else {
            // Names that start with the stem sort together, from the stem on.
            let from = here.partition_point(|f| f.name() < stem.as_str());
            here[from..]
                .iter()
                .take_while(|f| f.name().starts_with(&stem))
                .copied()
                .collect()
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
            ["共/甲.md", "共/乙.md", "共/甲乙.md", "独/丙.md"].map(report),
            [
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
        assert_eq!(
            names("共/甲.md", &[]),
            ["共/甲-附件1.pdf", "共/甲乙-附表.xlsx"]
        );
        assert_eq!(names("共/甲乙.md", &[]), ["共/甲乙-附表.xlsx"]);
        assert_eq!(
            names("共/乙.md", &["共/丁.txt"]),
            ["共/丁.txt", "共/乙附表.xlsx"]
        );
        assert_eq!(names("独/丙.md", &["缺.pdf"]), ["独/任何.pdf"]);
        assert!(beside.has_files("共") && !beside.has_files("无"));
    }
}
