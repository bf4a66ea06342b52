//! The page state: which outputs the last good run wrote, with the
//! fingerprint of what each was made from, so that a later run renders only
//! the outputs whose inputs changed; and the pass that makes them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rayon::prelude::*;

use super::content::ContentCache;
use super::search::SearchFollower;
use super::warm;
use crate::cache::{Reader, Writer};
use crate::diag::Diagnostic;
use crate::load;
use crate::manifest::{self, Kind};
use crate::model::{Report, Site};
use crate::output::{self, OutFile, OutputError, Staging};
use crate::render::{self, Compiled, Job, MdFacts, Redo, Renderer};

#[derive(Default)]
pub(super) struct PageState {
    /// The outputs as last written, with their fingerprints.
    jobs: Vec<Job>,
    fingerprints: Vec<u64>,
    /// Site paths of those outputs.
    pub pages: BTreeSet<String>,
    /// Each page's kind and the outputs it links to, for the manifest.
    pub recorded: HashMap<String, (Kind, Vec<String>)>,
    /// A page's links changed since the manifest was last written.
    pub relinked: bool,
    /// The Markdown stamp of each report (in id order) when the
    /// fingerprints were made, and the site they were made from once it is
    /// back from the search index: a later run whose site is the same but
    /// for some bodies makes again only the fingerprints of the pages that
    /// show one of them ([`PageState::since`]).
    stamps: Vec<u64>,
    site: Option<Site>,
}

impl PageState {
    /// Forgets the fingerprints, so that every output is made again (a new
    /// theme, or an output folder that was emptied).
    pub(super) fn forget(&mut self) {
        self.fingerprints.clear();
    }

    /// Forgets everything written: every output is made again, wherever it goes.
    pub(super) fn forget_all(&mut self) {
        self.jobs.clear();
        self.fingerprints.clear();
        self.site = None;
    }

    /// The site of the last good run, back from the search index.
    pub(super) fn keep_site(&mut self, site: Site) {
        self.site = Some(site);
    }

    /// The site kept by [`keep_site`](Self::keep_site), if it is back.
    pub(super) fn site(&self) -> Option<&Site> {
        self.site.as_ref()
    }

    /// When this run makes the same `jobs` (`same_jobs`) as the last good
    /// run, from the same site but for some reports' bodies and fields
    /// (`Site::changed_reports`): that run's fingerprints, and what to make
    /// them again for. Only the pages that show one of those bodies (a
    /// report's page and its compilations) or fields (those and its
    /// neighbours' pages, the lists) can differ; every other page's context
    /// is the same value.
    pub(super) fn since<'s>(
        &self,
        site: &'s Site,
        same_jobs: bool,
        markdown: &BTreeMap<String, MdFacts>,
    ) -> Option<(&[u64], Redo<'s>)> {
        let before = self.site.as_ref()?;
        if !same_jobs
            || self.fingerprints.len() != self.jobs.len()
            || self.stamps.len() != site.reports.len()
        {
            return None;
        }
        let changed = site.changed_reports(before)?;
        let rebodied = stamps(site, markdown)
            .zip(&self.stamps)
            .filter(|((_, now), stamp)| *now != Some(**stamp))
            .map(|((id, _), _)| id.as_str());
        let mut redo = Redo {
            listed: changed.clone(),
            ..Redo::default()
        };
        redo.compiled
            .extend(rebodied.chain(changed.iter().copied()));
        redo.reports.extend(redo.compiled.iter().copied());
        for id in changed {
            // A new title can move the report among those of its date: its
            // neighbours before and after.
            let (older, newer) = site.neighbours(id);
            let (was_older, was_newer) = before.neighbours(id);
            let before_ids = [was_older, was_newer]
                .into_iter()
                .flatten()
                .filter_map(|r| site.reports.get_key_value(&r.id).map(|(id, _)| id.as_str()));
            redo.reports.extend(
                older
                    .into_iter()
                    .chain(newer)
                    .map(|r| r.id.as_str())
                    .chain(before_ids),
            );
        }
        Some((&self.fingerprints, redo))
    }

    /// Whether `jobs` are the outputs last written.
    pub(super) fn same_jobs(&self, jobs: &[Job]) -> bool {
        jobs == self.jobs
    }

    /// The jobs whose fingerprint differs from what was last written.
    pub(super) fn outdated<'j>(
        &self,
        jobs: &'j [Job],
        fingerprints: &[u64],
        same_jobs: bool,
    ) -> Vec<&'j Job> {
        if same_jobs {
            // Usually the same outputs as last time: compare in place, no hashing.
            return jobs
                .iter()
                .zip(fingerprints)
                .enumerate()
                .filter(|(i, (_, fp))| self.fingerprints.get(*i) != Some(fp))
                .map(|(_, (j, _))| j)
                .collect();
        }
        let before: HashMap<&Job, u64> = self
            .jobs
            .iter()
            .zip(self.fingerprints.iter().copied())
            .collect();
        jobs.iter()
            .zip(fingerprints)
            .filter(|(j, fp)| before.get(j) != Some(fp))
            .map(|(j, _)| j)
            .collect()
    }

    /// What a later process needs to trust the pages in the output folder:
    /// each output with its fingerprint, and their paths. (What each links
    /// to is in the output folder's manifest.)
    pub(super) fn save(&self, w: &mut Writer) {
        w.u64(self.jobs.len() as u64);
        for (job, fp) in self.jobs.iter().zip(&self.fingerprints) {
            warm::job(w, job);
            w.u64(*fp);
        }
        warm::set(w, &self.pages);
    }

    /// The state [`save`](Self::save) wrote, with what each page links to
    /// as the output folder's `manifest` lists it; `None` unless it lists
    /// every page with its kind.
    pub(super) fn restore(r: &mut Reader, manifest: &manifest::Manifest) -> Option<PageState> {
        let n = r.u64()?;
        let mut jobs = Vec::new();
        let mut fingerprints = Vec::new();
        for _ in 0..n {
            jobs.push(warm::read_job(r)?);
            fingerprints.push(r.u64()?);
        }
        let pages = warm::read_set(r)?;
        let mut recorded = HashMap::with_capacity(pages.len());
        for page in &pages {
            let listed = manifest.get(page)?;
            let links = manifest.links_of(listed).map(String::from).collect();
            recorded.insert(page.clone(), (listed.kind?, links));
        }
        Some(PageState {
            jobs,
            fingerprints,
            pages,
            recorded,
            relinked: false,
            stamps: Vec::new(),
            site: None,
        })
    }

    /// Takes note of what a run wrote; `links`: what each page it made links
    /// to. `pages`: the site paths of `jobs`, `None` when the jobs and their
    /// pages are those last written. Returns the site of the run before, for
    /// the caller to let go of once the pages are on disk: freeing its
    /// indexes is a few milliseconds at 10,000 reports.
    pub(super) fn written(
        &mut self,
        site: &Site,
        (jobs, fingerprints): (Vec<Job>, Vec<u64>),
        pages: Option<BTreeSet<String>>,
        links: Vec<(String, Vec<String>)>,
        markdown: &BTreeMap<String, MdFacts>,
    ) -> Option<Site> {
        // The same jobs at the same pages: each page is of the kind it was
        // (the pages of reports can only trade places among themselves:
        // attachments, redirects and dangan's own pages keep theirs), and
        // only the pages just made can link elsewhere. A save in `watch`
        // then looks at its few pages, not at every page of the site.
        let same_pages = pages.is_none();
        let relinked = match same_pages && links.iter().all(|(p, _)| self.recorded.contains_key(p))
        {
            true => links.into_iter().fold(false, |changed, (path, new)| {
                let (_, old) = self.recorded.get_mut(&path).expect("looked up above");
                let differs = *old != new;
                if differs {
                    *old = new;
                }
                changed | differs
            }),
            false => record(
                &mut self.recorded,
                site,
                &jobs,
                pages.as_ref().unwrap_or(&self.pages),
                links.into_iter().collect(),
            ),
        };
        self.relinked |= relinked;
        // The site comes back from the search index (`keep_site`).
        let before = self.site.take();
        self.stamps = stamps(site, markdown)
            .map(|(_, s)| s.unwrap_or(0))
            .collect();
        self.jobs = jobs;
        self.fingerprints = fingerprints;
        if let Some(pages) = pages {
            self.pages = pages;
        }
        before
    }
}

/// Each of `site`'s reports in id order with the stamp of its Markdown,
/// if rendered. Both maps are sorted by id: they are walked side by side,
/// not searched once per report at every save.
fn stamps<'s, 'm>(
    site: &'s Site,
    markdown: &'m BTreeMap<String, MdFacts>,
) -> impl Iterator<Item = (&'s String, Option<u64>)> + use<'s, 'm> {
    let mut md = markdown.iter().peekable();
    site.reports.keys().map(move |id| {
        while md.next_if(|(k, _)| *k < id).is_some() {}
        let stamp = md.next_if(|(k, _)| *k == id).map(|(_, f)| f.stamp);
        (id, stamp)
    })
}

/// Why an output could not be made.
pub(super) enum Failed {
    /// The theme's templates failed.
    Template(Diagnostic),
    Output(OutputError),
    /// The report's file changed since it was read: read it again and start over.
    Moved(String),
}

/// One output made.
#[derive(Default)]
struct Made {
    /// The report's Markdown, when it was rendered because it was new or stale.
    facts: Option<(String, MdFacts)>,
    /// The output's site path and what it links to, when it was staged.
    links: Option<(String, Vec<String>)>,
}

/// What a batch of outputs came to.
#[derive(Default)]
pub(super) struct Batch {
    pub facts: Vec<(String, MdFacts)>,
    /// Of each output staged or found unchanged, its site path and links.
    pub links: Vec<(String, Vec<String>)>,
    /// Outputs made, staged or not (same bytes as on disk, or nothing written).
    pub made: usize,
    pub templates: Vec<Diagnostic>,
    pub errors: Vec<OutputError>,
    pub moved: Vec<String>,
}

/// Makes outputs in parallel: each report's file is read again, its
/// Markdown rendered, its page made and staged, and its body dropped, so
/// that memory holds one report per thread, whatever the archive's size.
pub(super) struct Pass<'a> {
    pub site: &'a Site,
    /// `None`: the site has errors, only the reports' Markdown is rendered
    /// (for the problems in it).
    pub renderer: Option<&'a Renderer<'a>>,
    /// Where this run's writes wait; `None`: nothing is written (`check`).
    pub staging: Option<&'a Staging>,
    /// Where the reports' rendered HTML is kept, for compilations.
    pub content: &'a ContentCache,
    pub search: &'a SearchFollower,
}

impl Pass<'_> {
    /// The Markdown (and pages) of reports whose Markdown is new or stale;
    /// their search texts are kept for the search index.
    pub(super) fn stale_reports(&self, reports: &[Arc<Report>]) -> Batch {
        self.batch(reports, |r| self.report(r, true))
    }

    /// The outputs of `jobs`; report pages from Markdown already known.
    pub(super) fn jobs(&self, jobs: &[&Job]) -> Batch {
        self.batch(jobs, |job| {
            let renderer = self
                .renderer
                .expect("pages are made only for a site without errors");
            let f = match job {
                Job::Report(id) => return self.report(&self.site.reports[id], false),
                Job::Compilation(..) => {
                    let markdown = self.content.markdown();
                    let bodies = renderer
                        .compiled(job)
                        .into_iter()
                        .map(|id| {
                            Ok(Compiled {
                                html: self.html(id)?,
                                linked_files: &markdown[id].linked_files,
                            })
                        })
                        .collect::<Result<Vec<_>, Failed>>()?;
                    renderer.compilation(job, &bodies)
                }
                _ => renderer.run(job),
            };
            let links = self.stage(&f.map_err(Failed::Template)?)?;
            Ok(Made { facts: None, links })
        })
    }

    fn batch<T: Sync>(
        &self,
        items: &[T],
        each: impl Fn(&T) -> Result<Made, Failed> + Sync,
    ) -> Batch {
        let results: Vec<Result<Made, Failed>> = items.par_iter().map(&each).collect();
        let mut b = Batch::default();
        for r in results {
            match r {
                Ok(m) => {
                    b.made += 1;
                    b.facts.extend(m.facts);
                    b.links.extend(m.links);
                }
                Err(Failed::Template(d)) => b.templates.push(d),
                Err(Failed::Output(e)) => b.errors.push(e),
                Err(Failed::Moved(id)) => b.moved.push(id),
            }
        }
        b.templates.dedup();
        b
    }

    /// Reads the report's body again and renders it; `fresh`: its Markdown is
    /// new or stale, so what later runs need of it and its search text are kept.
    fn report(&self, r: &Report, fresh: bool) -> Result<Made, Failed> {
        let body = load::read_body(r).ok_or_else(|| Failed::Moved(r.id.clone()))?;
        let (md, diags) = render::markdown_one(self.site, r, body.as_str());
        drop(body);
        let facts = fresh.then(|| (r.id.clone(), MdFacts::new(r, &md, diags, 0)));
        if fresh {
            self.content
                .keep_html(&r.id, &md.html)
                .and_then(|()| self.search.keep_text(r, &md.text))
                .map_err(Failed::Output)?;
        }
        let links = match self.renderer {
            Some(renderer) => {
                let page = renderer.report_page(&r.id, &md).map_err(Failed::Template)?;
                self.stage(&page)?
            }
            None => None,
        };
        Ok(Made { facts, links })
    }

    /// The HTML of a report's Markdown, as rendered in this process, else
    /// (its facts came from the build cache) rendered again from its file.
    fn html(&self, id: &str) -> Result<String, Failed> {
        if let Some(html) = self.content.html(id).map_err(Failed::Output)? {
            return Ok(html);
        }
        let r = &self.site.reports[id];
        let body = load::read_body(r).ok_or_else(|| Failed::Moved(r.id.clone()))?;
        let (md, _) = render::markdown_one(self.site, r, body.as_str());
        self.content
            .keep_html(id, &md.html)
            .map_err(Failed::Output)?;
        Ok(md.html)
    }

    /// Stages `f` unless nothing is written; its site path and links.
    fn stage(&self, f: &OutFile) -> Result<Option<(String, Vec<String>)>, Failed> {
        let Some(s) = self.staging else {
            return Ok(None);
        };
        s.stage(f).map_err(Failed::Output)?;
        Ok(Some((f.path.clone(), links_of(f))))
    }
}

impl Batch {
    pub(super) fn add(&mut self, other: Batch) {
        self.facts.extend(other.facts);
        self.links.extend(other.links);
        self.made += other.made;
        self.templates.extend(other.templates);
        self.errors.extend(other.errors);
        self.moved.extend(other.moved);
    }
}

fn record(
    recorded: &mut HashMap<String, (Kind, Vec<String>)>,
    site: &Site,
    jobs: &[Job],
    pages: &BTreeSet<String>,
    mut links: HashMap<String, Vec<String>>,
) -> bool {
    let before = recorded.len();
    recorded.retain(|p, _| pages.contains(p));
    let mut changed = recorded.len() != before;
    for job in jobs {
        let path = render::job_path(site, job);
        let fresh = links.remove(&path);
        let kind = job.kind();
        match recorded.get_mut(&path) {
            Some((k, old)) => {
                if let Some(new) = fresh.filter(|l| l != old) {
                    *old = new;
                    changed = true;
                }
                if *k != kind {
                    *k = kind;
                    changed = true;
                }
            }
            None => {
                recorded.insert(path, (kind, fresh.unwrap_or_default()));
                changed = true;
            }
        }
    }
    changed
}
fn links_of(f: &output::OutFile) -> Vec<String> {
    let is_page = f.path.ends_with(".html") || f.path.ends_with(".xml");
    match &f.content {
        output::Content::Bytes(b) if is_page => manifest::page_links(&f.path, b),
        _ => Vec::new(),
    }
}
