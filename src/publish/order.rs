//! The order files are switched in and removed, so that readers never meet a broken link.
//!
//! Files are ranked by what they are (from their path, per LAYOUT.md): assets, search shards and
//! attachments first, then report pages, then index pages, the home page last; within a rank,
//! new files before changed ones. On top of that rank, a page is switched only after every new
//! file it links to, and after every new file those link to in turn: pages that link to each
//! other (a new report and its new unit page, previous/next) are switched one right after the
//! other, and nothing already reachable links to them until all of them are in place. Files
//! of the same rank that do not link to each other are switched together, in parallel.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// What a file is, by its path. The order of the variants is the order of publishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rank {
    /// `_assets/`, `_search/`, attachments: anything that is not a page.
    Asset,
    /// One page per report.
    Report,
    /// `unit/`, `year/`, `type/`, `search.html`, `404.html`, any `index.html` below the root.
    Index,
    /// The root `index.html`.
    Home,
}

pub(crate) fn rank(rel: &str) -> Rank {
    if rel == "index.html" {
        return Rank::Home;
    }
    if rel.starts_with("_assets/") || rel.starts_with("_search/") || !super::content::is_html(rel) {
        return Rank::Asset;
    }
    let top = rel.split('/').next().unwrap_or(rel);
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let index_page = matches!(top, "unit" | "year" | "type") && rel.contains('/')
        || matches!(rel, "search.html" | "404.html")
        || name == "index.html";
    if index_page {
        Rank::Index
    } else {
        Rank::Report
    }
}

/// One file (or new folder) to switch into place, or to remove.
#[derive(Debug)]
pub(crate) struct Item<'a> {
    pub rel: &'a str,
    pub rank: Rank,
    /// Not in DEST yet (as opposed to changed).
    pub is_new: bool,
    /// Site paths its content links to (only pages are read for links).
    pub links: &'a [String],
}

/// Indices into `items`, in the order to switch them, cut into waves: the files of one wave
/// have the same rank and newness and none links to another, so a wave may be switched in any
/// order (in parallel), as long as the waves go one after the other.
pub(crate) fn switch_waves(items: &[Item]) -> Vec<Vec<usize>> {
    // Priority: a smaller position in `by_rank` goes first when nothing else constrains it.
    let key = |i: usize| (items[i].rank, !items[i].is_new);
    let mut by_rank: Vec<usize> = (0..items.len()).collect();
    by_rank.sort_by_key(|&i| (key(i), items[i].rel));
    let mut prio = vec![0; items.len()];
    for (p, &i) in by_rank.iter().enumerate() {
        prio[i] = p;
    }
    let deps = dependencies(items);
    let scc = strongly_connected(&deps);
    let order = condensed_order(&deps, &scc, &prio);
    let mut waves: Vec<Vec<usize>> = Vec::new();
    let mut wave_of = vec![usize::MAX; items.len()];
    for i in order {
        let current = waves.len().checked_sub(1);
        let same_key = waves.last().is_some_and(|w| key(w[0]) == key(i));
        let linked = current.is_some_and(|c| deps[i].iter().any(|&j| wave_of[j] == c));
        if !same_key || linked {
            waves.push(Vec::new());
        }
        wave_of[i] = waves.len() - 1;
        waves.last_mut().expect("pushed above").push(i);
    }
    waves
}

/// Stale files (`Item::links` as their pages in DEST have them), in the order to remove them:
/// top pages first, and a file only after every stale page that links to it, so that even a
/// page no reader can reach any more keeps working links until it goes.
pub(crate) fn removal_order(items: &[Item]) -> Vec<usize> {
    let mut by_rank: Vec<usize> = (0..items.len()).collect();
    by_rank.sort_by_key(|&i| (Reverse(items[i].rank), items[i].rel));
    let mut prio = vec![0; items.len()];
    for (p, &i) in by_rank.iter().enumerate() {
        prio[i] = p;
    }
    let index: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.rel, i))
        .collect();
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); items.len()];
    for (i, it) in items.iter().enumerate() {
        for j in it
            .links
            .iter()
            .filter_map(|l| index.get(l.as_str()).copied())
        {
            if j != i {
                deps[j].push(i); // the linking page goes first
            }
        }
    }
    let scc = strongly_connected(&deps);
    condensed_order(&deps, &scc, &prio)
}

/// `deps[i]`: the items that must be in place before item `i` (new files it links to).
fn dependencies(items: &[Item]) -> Vec<Vec<usize>> {
    let new_files: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .filter(|(_, it)| it.is_new)
        .map(|(i, it)| (it.rel, i))
        .collect();
    items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            it.links
                .iter()
                .filter_map(|l| new_files.get(l.as_str()).copied())
                .filter(|&j| j != i)
                .collect()
        })
        .collect()
}

/// Tarjan's algorithm without recursion (a first publish chains thousands of pages).
/// Returns the component number of each node.
fn strongly_connected(deps: &[Vec<usize>]) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    let n = deps.len();
    let (mut index, mut low, mut comp) = (vec![UNSEEN; n], vec![0; n], vec![UNSEEN; n]);
    let (mut on_stack, mut stack) = (vec![false; n], Vec::new());
    let (mut next_index, mut next_comp) = (0, 0);
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut edge)) = call.last_mut() {
            if *edge == 0 {
                index[v] = next_index;
                low[v] = next_index;
                next_index += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = deps[v].get(*edge) {
                *edge += 1;
                if index[w] == UNSEEN {
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp[w] = next_comp;
                    if w == v {
                        break;
                    }
                }
                next_comp += 1;
            }
        }
    }
    comp
}

/// Emit whole components, a component only after all it depends on, the most urgent first.
fn condensed_order(deps: &[Vec<usize>], comp: &[usize], prio: &[usize]) -> Vec<usize> {
    let count = comp.iter().map(|&c| c + 1).max().unwrap_or(0);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut waiting = vec![0usize; count];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (i, ds) in deps.iter().enumerate() {
        members[comp[i]].push(i);
        for &j in ds {
            if comp[j] != comp[i] {
                waiting[comp[i]] += 1;
                dependents[comp[j]].push(comp[i]);
            }
        }
    }
    for m in &mut members {
        m.sort_by_key(|&i| prio[i]);
    }
    let key = |c: usize| Reverse((prio[members[c][0]], c));
    let mut ready: BinaryHeap<_> = (0..count).filter(|&c| waiting[c] == 0).map(key).collect();
    let mut out = Vec::with_capacity(deps.len());
    while let Some(Reverse((_, c))) = ready.pop() {
        out.extend(&members[c]);
        for &d in &dependents[c] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.push(key(d));
            }
        }
    }
    debug_assert_eq!(out.len(), deps.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_the_layout() {
        assert_eq!(rank("index.html"), Rank::Home);
        for p in [
            "unit/市委.html",
            "unit/index.html",
            "year/2020.html",
            "type/x.html",
            "search.html",
            "404.html",
            "reports/index.html",
        ] {
            assert_eq!(rank(p), Rank::Index, "{p}");
        }
        for p in ["reports/2020/r1.html", "unit.html", "r.htm"] {
            assert_eq!(rank(p), Rank::Report, "{p}");
        }
        for p in [
            "_assets/style.css",
            "_search/0.js",
            "_assets/x.html",
            "reports/2020/a.pdf",
        ] {
            assert_eq!(rank(p), Rank::Asset, "{p}");
        }
    }

    /// Items for `rels`, each new or not and with its links, ranked by path.
    fn items<'a, R: AsRef<str>>(
        rels: &'a [R],
        is_new: impl Fn(usize) -> bool,
        links: &'a [Vec<String>],
    ) -> Vec<Item<'a>> {
        rels.iter()
            .zip(links)
            .enumerate()
            .map(|(i, (rel, links))| Item {
                rel: rel.as_ref(),
                rank: rank(rel.as_ref()),
                is_new: is_new(i),
                links,
            })
            .collect()
    }

    fn order_of(spec: &[(&str, bool, &[&str])]) -> Vec<String> {
        let rels: Vec<&str> = spec.iter().map(|(rel, _, _)| *rel).collect();
        let links: Vec<Vec<String>> = spec
            .iter()
            .map(|(_, _, l)| l.iter().map(|s| s.to_string()).collect())
            .collect();
        let items = items(&rels, |i| spec[i].1, &links);
        switch_waves(&items)
            .into_iter()
            .flatten()
            .map(|i| items[i].rel.to_string())
            .collect()
    }

    #[test]
    fn without_links_rank_then_newness_decides() {
        let got = order_of(&[
            ("index.html", false, &[]),
            ("unit/a.html", false, &[]),
            ("r/b.html", false, &[]),
            ("r/a.html", true, &[]),
            ("_assets/s.css", false, &[]),
        ]);
        assert_eq!(
            got,
            [
                "_assets/s.css",
                "r/a.html",
                "r/b.html",
                "unit/a.html",
                "index.html"
            ]
        );
    }

    #[test]
    fn waves_keep_ranks_apart_and_linked_files_in_sequence() {
        let links = [vec![], vec![], vec!["r/b.html".to_string()], vec![], vec![]];
        let rels = [
            "r/a.html",
            "r/b.html",
            "r/c.html",
            "unit/u.html",
            "index.html",
        ];
        let items = items(&rels, |_| true, &links);
        let waves: Vec<Vec<&str>> = switch_waves(&items)
            .into_iter()
            .map(|w| w.into_iter().map(|i| rels[i]).collect())
            .collect();
        assert_eq!(
            waves,
            [
                vec!["r/a.html", "r/b.html"],
                vec!["r/c.html"],
                vec!["unit/u.html"],
                vec!["index.html"]
            ]
        );
    }

    #[test]
    fn a_page_waits_for_the_new_files_it_links_to() {
        // A changed report links to a new unit page: the unit page must be there first.
        let got = order_of(&[
            ("r/a.html", false, &["unit/new.html"]),
            ("unit/new.html", true, &[]),
        ]);
        assert_eq!(got, ["unit/new.html", "r/a.html"]);
    }

    #[test]
    fn pages_linking_each_other_go_as_one_run_before_their_readers() {
        // New report n links to new unit u, u back to n; the changed unit index links to u, and
        // an unrelated report r ranks between them. r may go anywhere, but the index only
        // after both n and u.
        let got = order_of(&[
            ("unit/index.html", false, &["unit/u.html"]),
            ("unit/u.html", true, &["r/n.html"]),
            ("r/n.html", true, &["unit/u.html"]),
            ("r/r.html", false, &[]),
        ]);
        assert_eq!(
            got,
            ["r/n.html", "unit/u.html", "r/r.html", "unit/index.html"]
        );
    }

    #[test]
    fn long_chains_do_not_overflow_the_stack() {
        let names: Vec<String> = (0..50_000).map(|i| format!("r/{i:05}.html")).collect();
        let links: Vec<Vec<String>> = (0..names.len())
            .map(|i| names.get(i + 1).cloned().into_iter().collect())
            .collect();
        let items = items(&names, |_| true, &links);
        let waves = switch_waves(&items);
        assert_eq!(
            waves.len(),
            names.len(),
            "each page waits for the one it links to"
        );
        assert_eq!(waves.first(), Some(&vec![names.len() - 1]));
        assert_eq!(waves.last(), Some(&vec![0]));
    }

    #[test]
    fn removal_goes_from_the_top_pages_down_to_assets() {
        let rels = ["_assets/a.css", "r/a.html", "unit/u.html"];
        let links = vec![Vec::new(); rels.len()];
        let items = items(&rels, |_| false, &links);
        let got: Vec<&str> = removal_order(&items).into_iter().map(|i| rels[i]).collect();
        assert_eq!(got, ["unit/u.html", "r/a.html", "_assets/a.css"]);
    }

    #[test]
    fn a_stale_page_goes_before_the_stale_pages_it_links_to() {
        let links = [vec!["year/2011.html".to_string()], vec![]];
        let rels = ["r/a.html", "year/2011.html"];
        let items: Vec<Item> = rels
            .iter()
            .zip(&links)
            .map(|(rel, links)| Item {
                rel,
                rank: rank(rel),
                is_new: false,
                links,
            })
            .collect();
        let got: Vec<&str> = removal_order(&items).into_iter().map(|i| rels[i]).collect();
        assert_eq!(got, ["r/a.html", "year/2011.html"]);
    }
}
