//! From the record and the site as it is now: where each old address leads,
//! what is wrong, and the record as this build leaves it.
//!
//! An old address (one the record lists that no output of this build has)
//! leads to, in this order: the report whose `aliases:` name it; the report
//! still in the file it names (its slug changed); the one report with its key
//! (moved or renamed). Several reports with that key are told apart by the
//! one at an address the record does not know yet (the one that moved), then
//! by the file name. Comparisons of addresses ignore case, as Windows shares do.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use super::record::{Entry, Record};
use super::{RECORD_FILE, check_address};
use crate::diag::Diagnostic;
use crate::model::{Alias, AliasTarget, ContentFile, Report, Site};
use crate::paths::safe_path;

/// What the record and the aliases make of this build's site.
#[derive(Debug, Default, Clone)]
pub(crate) struct Resolution {
    /// Old address -> id of the report it leads to.
    pub redirects: BTreeMap<String, String>,
    pub diags: Vec<Diagnostic>,
    /// The record as a successful build leaves it; `None` when that is the
    /// record as it is (most runs of `watch` change no address).
    pub record: Option<Record>,
}

/// Resolves the old addresses of `record` against `site`. `present(id)` says
/// whether a report file with that id exists at all (a draft, or one with
/// errors, is present but not in `site.reports`). With `rewrites` (a build,
/// not a check) warnings about the record name the lines of the record as
/// this build will leave it, which is the file the reader then opens.
pub(crate) fn resolve(
    record: &Record,
    site: &Site,
    present: impl Fn(&str) -> bool,
    rewrites: bool,
) -> Resolution {
    let cx = Cx::new(record, site, &present);
    let mut out = Resolution::default();
    // Old addresses given a redirect so far (the outputs' are `cx.taken`).
    let mut assigned: HashSet<Cow<str>> = HashSet::new();
    cx.alias_redirects(&mut out, &mut assigned);
    let (kept, warned) = cx.record_redirects(&mut out, &mut assigned);
    cx.taken_addresses(&mut out);
    out.record = cx.next_record(&out.redirects, kept);
    if rewrites && let Some(next) = &out.record {
        let lines = next.lines();
        for (i, address) in warned {
            out.diags[i].line = lines.get(address).copied();
        }
    }
    out
}

/// What [`resolve`] makes of `record` and `site`, from `before`, its result
/// for the same record and a site that differed only in the key of the
/// published `report` (it was `was`): a new title, the commonest save in
/// `watch` that changes the record, costs a few entries instead of every
/// address resolved again. `None` when that is not sure to be the same
/// result: `before` had messages (whose lines the new record could move),
/// or an entry of another report has either key (it could lead to this
/// report now, or no longer).
///
/// Otherwise every entry leads where it did: the entries with either key
/// name `report`, which is published, and lead to it by its file whatever
/// its key; every other key finds the same reports as before. And no
/// address is taken or given up. Only the entries that show or lead to
/// `report` change, to its new key.
pub(crate) fn rekeyed(
    before: &Resolution,
    record: &Record,
    site: &Site,
    report: &Report,
    was: u64,
) -> Option<Resolution> {
    let keys = [was, report.key];
    let entries = record.entries.values().flatten();
    let others = entries
        .filter(|e| keys.contains(&e.key))
        .any(|e| e.report != report.id);
    if !before.diags.is_empty() || others || !site.reports.contains_key(&report.id) {
        return None;
    }
    // `before.record` is `None` when the record was already as it left it.
    let mut next = before.record.clone().unwrap_or_else(|| record.clone());
    let entry = vec![Entry {
        report: report.id.clone(),
        key: report.key,
        removed: false,
        line: 0,
    }];
    let redirects = before.redirects.iter().filter(|(_, id)| **id == report.id);
    for address in std::iter::once(&report.page).chain(redirects.map(|(a, _)| a)) {
        next.entries.insert(address.clone(), entry.clone());
    }
    let unchanged = !record.untidy && next.same(record);
    Some(Resolution {
        redirects: before.redirects.clone(),
        diags: Vec::new(),
        record: (!unchanged).then_some(next),
    })
}

/// An output of this build at an address.
#[derive(Clone, Copy)]
enum Owner<'a> {
    Report(&'a Report),
    File(&'a ContentFile),
}

/// Where the entries of an old address lead now.
enum Successor<'a> {
    To(&'a Report),
    Ambiguous(Vec<&'a Report>),
    Draft,
    /// The report file is there but has errors: this build writes nothing anyway.
    Unreadable,
    Gone,
}

struct Claim<'a> {
    address: String,
    report: &'a Report,
    alias: &'a Alias,
    /// A claim the report's author made outright; a `.md` alias's guessed
    /// address (without a slug) gives way silently instead.
    hard: bool,
}

struct Cx<'a, P> {
    record: &'a Record,
    site: &'a Site,
    present: &'a P,
    /// Outputs of this build by lower-cased address.
    taken: HashMap<Cow<'a, str>, Owner<'a>>,
    /// Record addresses by lower-cased address.
    recorded: HashMap<Cow<'a, str>, &'a str>,
    by_key: HashMap<u64, Vec<&'a Report>>,
    /// Record addresses by the report file their entries name.
    by_file: HashMap<&'a str, Vec<&'a str>>,
    /// The folders of the site's outputs, lower-cased, with their spelling.
    folders: HashMap<Cow<'a, str>, &'a str>,
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_uppercase) {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

fn shown(id: &str) -> String {
    format!("content/{id}")
}

fn file_name(id: &str) -> &str {
    id.rsplit_once('/').map_or(id, |(_, n)| n)
}

/// The address the report file `id` has without a `slug:`.
fn default_page(id: &str) -> String {
    let stem = &id[..id.len() - ".md".len()];
    safe_path(&format!("{stem}.html"))
}

impl<'a, P: Fn(&str) -> bool> Cx<'a, P> {
    fn new(record: &'a Record, site: &'a Site, present: &'a P) -> Self {
        let mut taken = HashMap::with_capacity(site.reports.len() + site.files.len());
        for r in site.reports.values() {
            taken.insert(lower(&r.page), Owner::Report(r));
        }
        for f in site.files.values() {
            taken.insert(lower(&f.site_path), Owner::File(f));
        }
        let mut recorded = HashMap::with_capacity(record.entries.len());
        let mut by_file: HashMap<&str, Vec<&str>> = HashMap::new();
        for (address, entries) in &record.entries {
            recorded.entry(lower(address)).or_insert(address.as_str());
            for e in entries {
                by_file.entry(e.report.as_str()).or_default().push(address);
            }
        }
        let mut folders = HashMap::new();
        let paths = site.reports.values().map(|r| r.page.as_str());
        let mut last_dir = None;
        for path in paths.chain(site.files.values().map(|f| f.site_path.as_str())) {
            let Some((dir, _)) = path.rsplit_once('/') else {
                continue;
            };
            // Outputs come sorted by source, so most share the folder of the one before.
            if last_dir == Some(dir) {
                continue;
            }
            last_dir = Some(dir);
            for (end, _) in path.match_indices('/') {
                folders.entry(lower(&path[..end])).or_insert(&path[..end]);
            }
        }
        let mut by_key: HashMap<u64, Vec<&Report>> = HashMap::new();
        for r in site.reports.values() {
            by_key.entry(r.key).or_default().push(r);
        }
        Cx {
            record,
            site,
            present,
            taken,
            recorded,
            by_key,
            by_file,
            folders,
        }
    }

    fn entries(&self, lower_address: &str) -> Option<(&'a str, &'a [Entry])> {
        let address = *self.recorded.get(lower_address)?;
        Some((address, &self.record.entries[address]))
    }

    fn successor(&self, entries: &[Entry]) -> Successor<'a> {
        let mut ambiguous = None;
        for e in entries {
            if let Some(r) = self.site.reports.get(&e.report) {
                return Successor::To(r);
            }
            if let Some(candidates) = self.by_key.get(&e.key) {
                match self.narrow(candidates, e) {
                    Ok(r) => return Successor::To(r),
                    Err(several) => {
                        ambiguous.get_or_insert(several);
                    }
                }
            }
        }
        if let Some(several) = ambiguous {
            Successor::Ambiguous(several)
        } else if entries.iter().any(|e| self.site.drafts.contains(&e.report)) {
            Successor::Draft
        } else if entries.iter().any(|e| (self.present)(&e.report)) {
            Successor::Unreadable
        } else {
            Successor::Gone
        }
    }

    /// The one report among several with the same key that `e` is about.
    fn narrow(&self, candidates: &[&'a Report], e: &Entry) -> Result<&'a Report, Vec<&'a Report>> {
        if let [one] = candidates {
            return Ok(one);
        }
        let moved: Vec<&Report> = candidates
            .iter()
            .copied()
            .filter(|r| !self.recorded.contains_key(&lower(&r.page)))
            .collect();
        if let [one] = moved[..] {
            return Ok(one);
        }
        let pool = if moved.is_empty() {
            candidates.to_vec()
        } else {
            moved
        };
        let same_name: Vec<&Report> = pool
            .iter()
            .copied()
            .filter(|r| file_name(&r.id) == file_name(&e.report))
            .collect();
        match same_name[..] {
            [one] => Ok(one),
            _ => Err(pool),
        }
    }

    /// The addresses each report's aliases claim, checked; the redirects they give.
    fn alias_redirects(&self, out: &mut Resolution, assigned: &mut HashSet<Cow<'a, str>>) {
        let mut claims: BTreeMap<String, Vec<Claim>> = BTreeMap::new();
        for r in self.site.reports.values() {
            for alias in &r.aliases {
                for (address, hard) in self.claimed(r, alias, &mut out.diags) {
                    self.claim(r, alias, address, hard, &mut claims, &mut out.diags);
                }
            }
        }
        for (l, group) in claims {
            // One claim per report and address (see `claim`).
            let hard: Vec<&Claim> = group.iter().filter(|c| c.hard).collect();
            let winner = match &hard[..] {
                [one] => *one,
                [] => match &group[..] {
                    [one] => one,
                    _ => continue, // guesses of several reports: none is sure
                },
                several => {
                    for c in several {
                        let others: Vec<String> = several
                            .iter()
                            .filter(|o| o.report.id != c.report.id)
                            .map(|o| shown(&o.report.id))
                            .collect();
                        out.diags.push(
                            alias_error(
                                c,
                                format!(
                                    "leads from {}, which {} also names in its aliases",
                                    c.address,
                                    others.join(" and ")
                                ),
                            )
                            .hint("keep this old address in the aliases of one report only"),
                        );
                    }
                    continue;
                }
            };
            let mut address: &str = &winner.address;
            if let Some((recorded, entries)) = self.entries(&l) {
                address = recorded;
                if let Successor::To(other) = self.successor(entries)
                    && other.id != winner.report.id
                {
                    if winner.hard {
                        out.diags.push(
                            alias_error(winner, format!(
                                "leads from {address}, but old links to that address lead to {} (now at {})",
                                shown(&other.id),
                                other.page
                            ))
                            .hint(format!(
                                "remove this alias; or, if {address} should lead to this report, delete line {} of {RECORD_FILE}",
                                entries[0].line
                            )),
                        );
                    }
                    continue;
                }
            }
            if let Err(why) = self.fits(address) {
                if winner.hard {
                    out.diags.push(
                        alias_error(winner, format!("leads from {address}, but {why}"))
                            .hint("an alias names an old address that no page or folder of the site uses now"),
                    );
                }
                continue;
            }
            assigned.insert(Cow::Owned(l));
            out.redirects
                .insert(address.to_string(), winner.report.id.clone());
        }
    }

    /// The addresses an alias claims, each `true` when the claim is sure: a
    /// page named outright, the addresses the record knows for a `.md` file,
    /// and that file's address without a slug. That last one is only a guess
    /// when the record knows the file or a report's address already leads
    /// here (as it will once a first build has followed the alias), and a
    /// guess gives way without a word.
    fn claimed(
        &self,
        r: &Report,
        alias: &Alias,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<(String, bool)> {
        let file = match &alias.target {
            AliasTarget::Page(a) => return vec![(a.clone(), true)],
            AliasTarget::Report(file) => file,
        };
        if file == &r.id {
            diags.push(
                alias_error_at(r, alias, "names this report's own file")
                    .hint("an alias names an old place of this report; remove this one"),
            );
            return Vec::new();
        }
        let known = self.by_file.get(file.as_str());
        // The old file's address may be this report's still (a file renamed,
        // its slug kept): nothing to lead there, and nothing wrong either.
        let mut out: Vec<(String, bool)> = known
            .into_iter()
            .flatten()
            .filter(|a| lower(a) != lower(&r.page))
            .map(|a| (a.to_string(), true))
            .collect();
        let page = default_page(file);
        if lower(&page) == lower(&r.page) || out.iter().any(|(a, _)| lower(a) == lower(&page)) {
            return out;
        }
        let leads_here = self
            .by_file
            .get(r.id.as_str())
            .is_some_and(|k| k.iter().any(|a| lower(a) != lower(&r.page)));
        let sure = known.is_none() && !leads_here;
        match check_address(&page) {
            Ok(()) => out.push((page, sure)),
            Err(p) if sure => diags.push(
                alias_error_at(
                    r,
                    alias,
                    format!("would lead from {page}, which {}", p.message),
                )
                .hint(p.hint),
            ),
            Err(_) => {}
        }
        out
    }

    fn claim(
        &self,
        r: &'a Report,
        alias: &'a Alias,
        address: String,
        hard: bool,
        claims: &mut BTreeMap<String, Vec<Claim<'a>>>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let l = lower(&address).into_owned();
        if l == lower(&r.page) {
            if hard {
                diags.push(
                    alias_error_at(
                        r,
                        alias,
                        format!("is this report's own address ({address})"),
                    )
                    .hint("an alias names an old address of this report; remove this one"),
                );
            }
            return;
        }
        if let Some(owner) = self.taken.get(l.as_str()) {
            if hard {
                let whose = match owner {
                    Owner::Report(o) => format!("the page of {}", shown(&o.id)),
                    Owner::File(f) => format!("the file {}", shown(&f.rel)),
                };
                diags.push(
                    alias_error_at(r, alias, format!("leads from {address}, which is {whose}"))
                        .hint("an alias names an old address that no page uses now; remove it, or move that report or file away first"),
                );
            }
            return;
        }
        let group = claims.entry(l).or_default();
        match group.iter_mut().find(|c| c.report.id == r.id) {
            Some(c) if hard && !c.hard => {
                *c = Claim {
                    address,
                    report: r,
                    alias,
                    hard,
                }
            }
            Some(_) => {}
            None => group.push(Claim {
                address,
                report: r,
                alias,
                hard,
            }),
        }
    }

    /// A redirect page at `address` must fit among the site's outputs on a
    /// Windows share: not where the site has a folder, not inside a folder
    /// that is a file of the site, nor in one the site spells otherwise.
    fn fits(&self, address: &str) -> Result<(), String> {
        for (end, _) in address.match_indices('/') {
            let folder = &address[..end];
            let folded = lower(folder);
            if let Some(owner) = self.taken.get(&folded) {
                let what = match owner {
                    Owner::Report(r) => shown(&r.id),
                    Owner::File(f) => shown(&f.rel),
                };
                return Err(format!(
                    "{folder} is a file of the site ({what}), not a folder"
                ));
            }
            if let Some(spelled) = self.folders.get(&folded)
                && *spelled != folder
            {
                return Err(format!(
                    "the site spells the folder {spelled}, and a Windows share keeps one spelling"
                ));
            }
        }
        if self.folders.contains_key(&lower(address)) {
            return Err(format!("the site has a folder {address}"));
        }
        Ok(())
    }
}

impl<'a, P: Fn(&str) -> bool> Cx<'a, P> {
    /// Old addresses that no output and no alias has: where they lead, or
    /// the warning that they lead nowhere (returned: which diagnostic is about which address).
    fn record_redirects(
        &self,
        out: &mut Resolution,
        assigned: &mut HashSet<Cow<'a, str>>,
    ) -> (Record, Vec<(usize, &'a str)>) {
        let mut kept = Record::default();
        let mut warned = Vec::new();
        for (address, entries) in &self.record.entries {
            let l = lower(address);
            if self.taken.contains_key(&l) || assigned.contains(&l) {
                continue;
            }
            let first = &entries[0];
            let mut warn = |out: &mut Resolution, message: String, hint: String| {
                if !first.removed {
                    warned.push((out.diags.len(), address.as_str()));
                    out.diags.push(
                        Diagnostic::warning(RECORD_FILE, message)
                            .line(first.line)
                            .hint(hint),
                    );
                }
            };
            let removed = || {
                vec![Entry {
                    removed: true,
                    ..first.clone()
                }]
            };
            match self.successor(entries) {
                Successor::To(r) => {
                    if self.fits(address).is_err() {
                        // The site's own folders stand there now; kept for when they go.
                        kept.entries.insert(address.clone(), entries.clone());
                        continue;
                    }
                    assigned.insert(l);
                    out.redirects.insert(address.clone(), r.id.clone());
                }
                Successor::Ambiguous(several) => {
                    let names: Vec<String> = several.iter().map(|r| shown(&r.id)).collect();
                    warn(
                        out,
                        format!(
                            "the old address {address} of {} now leads nowhere: {} have its title, unit, date and type, and dangan cannot tell which it is",
                            shown(&first.report),
                            names.join(" and ")
                        ),
                        format!(
                            "add `aliases: [\"{address}\"]` to the front matter of the report it should lead to; this warning is given once"
                        ),
                    );
                    kept.entries.insert(address.clone(), removed());
                }
                Successor::Draft => {
                    warn(out, format!(
                        "the old address {address} now leads nowhere: {} is a draft, and drafts are not published",
                        shown(&first.report)
                    ), "remove `draft: true` to publish it again at this address; this warning is given once".into());
                    kept.entries.insert(address.clone(), removed());
                }
                Successor::Unreadable => {
                    kept.entries.insert(address.clone(), entries.clone());
                }
                Successor::Gone => {
                    warn(
                        out,
                        format!(
                            "the old address {address} of {} now leads nowhere: no report has that file, or the same title, unit, date and type, any more",
                            shown(&first.report)
                        ),
                        format!(
                            "if the report moved and changed, add `aliases: [\"{address}\"]` to its front matter so that old links lead to it; if it was removed for good, nothing needs doing: this warning is given once"
                        ),
                    );
                    kept.entries.insert(address.clone(), removed());
                }
            }
        }
        (kept, warned)
    }

    /// Errors for outputs of this build at addresses where old links lead to another report.
    fn taken_addresses(&self, out: &mut Resolution) {
        for (address, entries) in &self.record.entries {
            let Some(owner) = self.taken.get(&lower(address)) else {
                continue;
            };
            if entries.iter().all(|e| e.removed) {
                continue;
            }
            let (path, verb, id) = match owner {
                Owner::Report(r) => {
                    if entries.iter().any(|e| e.report == r.id || e.key == r.key) {
                        continue; // the same report, back or still there
                    }
                    (&r.id, "would be published at", Some(&r.id))
                }
                Owner::File(f) => (&f.rel, "would be copied to", None),
            };
            let Successor::To(other) = self.successor(entries) else {
                continue;
            };
            if Some(&other.id) == id {
                continue;
            }
            let what = match owner {
                Owner::Report(_) => "give this report another file name or `slug:`",
                Owner::File(_) => "rename this file",
            };
            out.diags.push(
                Diagnostic::error(shown(path), format!(
                    "{verb} {address}, but old links to that address lead to {} (now at {})",
                    shown(&other.id),
                    other.page
                ))
                .hint(format!(
                    "{what}; or, if {address} should show it from now on, delete line {} of {RECORD_FILE}",
                    entries[0].line
                )),
            );
        }
    }

    /// The record after this build: every report at its page, every old
    /// address with the report it leads to, and the addresses kept as they
    /// were; `None` when that is the record as it is, found by looking each
    /// up rather than by building the new one.
    fn next_record(&self, redirects: &BTreeMap<String, String>, kept: Record) -> Option<Record> {
        let old = &self.record.entries;
        let shows = |address: &str, r: &Report| {
            matches!(old.get(address).map(Vec::as_slice),
                Some([e]) if !e.removed && e.report == r.id && e.key == r.key)
        };
        let same_entries = |a: &[Entry], b: &[Entry]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| (&x.report, x.key, x.removed) == (&y.report, y.key, y.removed))
        };
        // The three kinds of address are apart: the counts then say there is nothing else.
        let unchanged = !self.record.untidy
            && old.len() == self.site.reports.len() + redirects.len() + kept.entries.len()
            && self.site.reports.values().all(|r| shows(&r.page, r))
            && redirects
                .iter()
                .all(|(a, id)| shows(a, &self.site.reports[id]))
            && kept
                .entries
                .iter()
                .all(|(a, es)| old.get(a).is_some_and(|o| same_entries(o, es)));
        if unchanged {
            return None;
        }
        let mut next = kept;
        let entry = |r: &Report| Entry {
            report: r.id.clone(),
            key: r.key,
            removed: false,
            line: 0,
        };
        for (address, id) in redirects {
            next.entries
                .insert(address.clone(), vec![entry(&self.site.reports[id])]);
        }
        for r in self.site.reports.values() {
            next.entries.insert(r.page.clone(), vec![entry(r)]);
        }
        Some(next)
    }
}

fn alias_error(c: &Claim, message: String) -> Diagnostic {
    alias_error_at(c.report, c.alias, message)
}

fn alias_error_at(r: &Report, alias: &Alias, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(
        shown(&r.id),
        format!("\"{}\" {}", alias.text, message.into()),
    )
    .line(alias.line)
    .field("aliases")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::Config;

    fn report(id: &str, page: &str, key: u64, draft: bool) -> Arc<Report> {
        Arc::new(Report {
            page: page.into(),
            key,
            draft,
            ..Report::sample(id)
        })
    }

    /// Reports as (id, page, key); a page of `None` makes a draft.
    fn run(record: &str, reports: &[(&str, Option<&str>, u64)]) -> Resolution {
        run_with_broken(record, reports, &[])
    }

    /// Also with report files that are there but have errors.
    fn run_with_broken(
        record: &str,
        reports: &[(&str, Option<&str>, u64)],
        broken: &[&str],
    ) -> Resolution {
        let (record, diags) = Record::parse(record);
        assert!(diags.is_empty(), "{diags:?}");
        let reports: Vec<Arc<Report>> = reports
            .iter()
            .map(|(id, page, key)| report(id, page.unwrap_or("draft.html"), *key, page.is_none()))
            .collect();
        let mut ids: Vec<String> = reports.iter().map(|r| r.id.clone()).collect();
        ids.extend(broken.iter().map(|b| b.to_string()));
        let site = Site::new(Config::default(), reports, []);
        resolve(&record, &site, |id| ids.iter().any(|i| i == id), true)
    }

    fn redirects(r: &Resolution) -> Vec<(&str, &str)> {
        r.redirects
            .iter()
            .map(|(a, id)| (a.as_str(), id.as_str()))
            .collect()
    }

    const K: &str = "000000000000000a";

    #[test]
    fn of_reports_sharing_a_key_the_one_at_a_new_address_is_the_one_that_moved() {
        let r = run(
            &format!("a.html\ta.md\t{K}\nb.html\tb.md\t{K}\n"),
            &[
                ("b.md", Some("b.html"), 10),
                ("c/a2.md", Some("c/a2.html"), 10),
            ],
        );
        assert_eq!(redirects(&r), [("a.html", "c/a2.md")]);
        assert!(r.diags.is_empty(), "{:?}", r.diags);
    }

    #[test]
    fn then_the_one_with_the_same_file_name() {
        let r = run(
            &format!("x/a.html\tx/a.md\t{K}\nx/b.html\tx/b.md\t{K}\n"),
            &[
                ("y/a.md", Some("y/a.html"), 10),
                ("y/b.md", Some("y/b.html"), 10),
            ],
        );
        assert_eq!(
            redirects(&r),
            [("x/a.html", "y/a.md"), ("x/b.html", "y/b.md")]
        );
    }

    #[test]
    fn otherwise_the_address_is_warned_about_once_naming_the_candidates() {
        let record = format!("a.html\ta.md\t{K}\n");
        let reports = [("p.md", Some("p.html"), 10), ("q.md", Some("q.html"), 10)];
        let r = run(&record, &reports);
        assert!(r.redirects.is_empty());
        assert_eq!(r.diags.len(), 1);
        let d = &r.diags[0];
        assert!(
            !d.is_error() && d.message.contains("content/p.md and content/q.md"),
            "{d:?}"
        );
        let next = r.record.as_ref().expect("a new record");
        assert!(next.entries["a.html"][0].removed);
        let again = run(&next.to_text(), &reports);
        assert!(again.record.is_none(), "nothing changes the second time");
        assert!(again.diags.is_empty() && again.redirects.is_empty());
    }

    #[test]
    fn addresses_differing_only_in_case_are_one_file_on_a_share() {
        let r = run(
            &format!("A.html\tA.md\t{K}\n"),
            &[("a.md", Some("a.html"), 10)],
        );
        assert!(
            r.redirects.is_empty() && r.diags.is_empty(),
            "{:?}",
            r.diags
        );
        let next = r.record.expect("a new record");
        assert_eq!(next.entries.keys().collect::<Vec<_>>(), ["a.html"]);
    }

    #[test]
    fn no_redirect_page_lands_in_a_folder_the_site_spells_otherwise_or_where_a_folder_is() {
        let record = format!("Reports/a.html\ta.md\t{K}\nx.html\tx.md\t000000000000000b\n");
        let reports = [
            ("reports/r.md", Some("reports/r.html"), 1),
            ("b.md", Some("b.html"), 10),
            ("x.html/y.md", Some("x.html/y.html"), 2),
            ("x2.md", Some("x2.html"), 11),
        ];
        let r = run(&record, &reports);
        assert!(r.redirects.is_empty(), "{:?}", r.redirects);
        assert!(r.diags.is_empty(), "{:?}", r.diags);
        // Kept, for when the site's folders are gone.
        let text = r.record.expect("a new record").to_text();
        assert!(
            text.contains(&format!("\nReports/a.html\ta.md\t{K}\n")),
            "{text}"
        );
        assert!(
            text.contains("\nx.html\tx.md\t000000000000000b\n"),
            "{text}"
        );
    }

    #[test]
    fn an_alias_naming_the_old_file_of_a_report_still_at_its_address_is_no_mistake() {
        let (record, _) = Record::parse(&format!("x.html\ta.md\t{K}\n"));
        let mut r = report("b.md", "x.html", 99, false);
        Arc::make_mut(&mut r).aliases = vec![Alias {
            target: AliasTarget::Report("a.md".into()),
            text: "a.md".into(),
            line: 6,
        }];
        let site = Site::new(Config::default(), [r], []);
        let got = resolve(&record, &site, |id| id == "b.md", true);
        assert!(got.diags.is_empty(), "{:?}", got.diags);
        // The address the file had without a slug leads to the report.
        assert_eq!(redirects(&got), [("a.html", "b.md")]);
    }

    #[test]
    fn a_report_with_errors_keeps_its_addresses_without_a_word_and_a_draft_is_named() {
        let r = run_with_broken(
            &format!("a.html\ta.md\t{K}\nd.html\td.md\t{K}\n"),
            &[("d.md", None, 11)],
            &["a.md"],
        );
        let text = r.record.expect("a new record").to_text();
        assert!(text.contains(&format!("\na.html\ta.md\t{K}\n")), "{text}");
        assert!(
            text.contains(&format!("\nd.html\td.md\t{K}\tremoved\n")),
            "{text}"
        );
        assert_eq!(r.diags.len(), 1);
        assert!(
            r.diags[0].message.contains("content/d.md is a draft"),
            "{:?}",
            r.diags
        );
    }
}
