//! What the charts count: reports per year, per month, per type, per unit,
//! drawn as SVG by `chart`. The charts are part of the pages' contexts, so
//! fingerprints cover them as drawn.

use std::collections::BTreeMap;

use super::chart::{self, Bar};
use super::views::SiteView;
use crate::model::Site;

/// Reports per year among `ids`, oldest year first, with empty years between shown as 0.
pub fn years_chart(site: &Site, sv: &SiteView<'_>, id: &str, ids: &[String]) -> Option<String> {
    let mut per: BTreeMap<i32, usize> = BTreeMap::new();
    for r in ids {
        *per.entry(site.reports[r].date.year).or_default() += 1;
    }
    let (&first, &last) = (per.keys().next()?, per.keys().next_back()?);
    let bars: Vec<Bar> = (first..=last)
        .map(|y| Bar {
            label: format!("{y}年"),
            value: per.get(&y).copied().unwrap_or(0),
            // Only years with reports link: their pages exist whatever the rest of the site holds.
            url: per.contains_key(&y).then(|| sv.href(&Site::year_page(y))),
        })
        .collect();
    let title = if first == last {
        format!("{first}年报告数")
    } else {
        format!("{first}—{last}年各年报告数")
    };
    Some(chart::rows(id, &title, "篇", &bars, 16))
}

/// Reports per type among `ids`, most frequent first.
pub fn types_chart(site: &Site, sv: &SiteView<'_>, id: &str, ids: &[String]) -> Option<String> {
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for r in ids {
        *per.entry(site.reports[r].kind.as_str()).or_default() += 1;
    }
    if per.is_empty() {
        return None;
    }
    let mut counts: Vec<(&str, usize)> = per.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let bars: Vec<Bar> = counts
        .into_iter()
        .map(|(t, n)| Bar {
            label: t.to_string(),
            value: n,
            url: Some(sv.href(&site.type_pages[t])),
        })
        .collect();
    Some(chart::rows(id, "各类型报告数", "篇", &bars, 26))
}

/// Reports per month of one year: a timeline of twelve columns.
pub fn months_chart(site: &Site, year: i32, ids: &[String]) -> String {
    let mut per = [0usize; 12];
    for r in ids {
        per[usize::from(site.reports[r].date.month) - 1] += 1;
    }
    let bars: Vec<Bar> = per
        .iter()
        .enumerate()
        .map(|(m, &n)| Bar {
            label: format!("{}月", m + 1),
            value: n,
            url: (n > 0).then(|| format!("#m{:02}", m + 1)),
        })
        .collect();
    chart::columns("months", &format!("{year}年各月报告数"), "篇", &bars)
}

/// How many units the home page ranks.
pub const ACTIVE_UNITS: usize = 8;

/// The units with the most reports of their own, most first.
pub fn active_units_chart(site: &Site, sv: &SiteView<'_>) -> Option<String> {
    let mut units: Vec<_> = site
        .units
        .values()
        .filter(|u| !u.reports.is_empty())
        .collect();
    if units.is_empty() {
        return None;
    }
    units.sort_by(|a, b| {
        b.reports
            .len()
            .cmp(&a.reports.len())
            .then(a.name.cmp(&b.name))
    });
    let bars: Vec<Bar> = units
        .into_iter()
        .take(ACTIVE_UNITS)
        .map(|u| Bar {
            label: u.name.clone(),
            value: u.reports.len(),
            url: Some(sv.href(&u.page)),
        })
        .collect();
    Some(chart::rows(
        "units-chart",
        "报告最多的单位",
        "篇",
        &bars,
        40,
    ))
}

/// The reports of a unit and of all its sub-units (in no particular order).
pub fn subtree(site: &Site, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![name];
    while let Some(n) = todo.pop() {
        let u = &site.units[n];
        out.extend(u.reports.iter().cloned());
        todo.extend(u.children.iter().map(String::as_str));
    }
    out
}
