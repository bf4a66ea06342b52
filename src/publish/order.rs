//! The order files are switched in and removed, so that readers never meet a broken link or a
//! search result whose page is missing.
//!
//! A new file cannot be reached before a page already in DEST links to it, and those pages
//! are all "changed" ones: so every new file goes first, then every changed one, each group
//! by rank (what the build's manifest says a file is: assets and attachments, then report
//! pages, then index pages, the home page last, for readers who open a page by its address).
//! The search index goes after all of them: it may name any page. Files of one rank and
//! newness are switched together, in parallel.

use crate::manifest::Kind;

/// The order of publishing. Removal goes the other way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Rank {
    /// Assets, attachments, search files that no entry names yet: anything that is no page.
    Asset,
    /// One page per report.
    Report,
    /// Index pages, the search and "not found" pages, redirects from old addresses, feeds.
    Index,
    /// The root `index.html`.
    Home,
    /// The search index's entry (or its whole folder), which makes a new index live.
    Search,
}

pub(crate) fn rank(kind: Kind) -> Rank {
    match kind {
        Kind::Asset | Kind::Attachment | Kind::SearchShard => Rank::Asset,
        Kind::Report => Rank::Report,
        Kind::Index | Kind::Page | Kind::Redirect | Kind::Feed => Rank::Index,
        Kind::Home => Rank::Home,
        Kind::SearchEntry => Rank::Search,
    }
}

/// One file (or new folder) to switch into place.
#[derive(Debug)]
pub(crate) struct Item<'a> {
    pub rel: &'a str,
    pub rank: Rank,
    /// Not in DEST yet (as opposed to changed).
    pub is_new: bool,
}

/// Indices into `items`, cut into waves to switch one after the other; the items of a wave
/// may be switched in any order, in parallel.
pub(crate) fn switch_waves(items: &[Item]) -> Vec<Vec<usize>> {
    let key = |it: &Item| (it.rank == Rank::Search, !it.is_new, it.rank);
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| (key(&items[i]), items[i].rel));
    let mut waves: Vec<Vec<usize>> = Vec::new();
    for i in order {
        match waves.last_mut() {
            Some(w) if key(&items[w[0]]) == key(&items[i]) => w.push(i),
            _ => waves.push(vec![i]),
        }
    }
    waves
}

/// Stale files (each with its rank, when known) in the order to remove them: the search
/// entry first (it names the rest), then the home page, index pages, report pages, and the
/// files pages link to last, so that a page goes before what it links to.
pub(crate) fn removal_order(stale: &mut [(String, Rank)]) {
    stale.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_of(spec: &[(&str, Kind, bool)]) -> Vec<Vec<&'static str>> {
        let items: Vec<Item> = spec
            .iter()
            .map(|(rel, kind, is_new)| Item {
                rel,
                rank: rank(*kind),
                is_new: *is_new,
            })
            .collect();
        switch_waves(&items)
            .into_iter()
            .map(|w| w.into_iter().map(|i| leak(items[i].rel)).collect())
            .collect()
    }

    fn leak(s: &str) -> &'static str {
        Box::leak(s.to_string().into_boxed_str())
    }

    #[test]
    fn new_files_go_first_then_changed_ones_each_by_rank_and_search_last() {
        let got = order_of(&[
            ("_search/meta.js", Kind::SearchEntry, false),
            ("index.html", Kind::Home, false),
            ("unit/a.html", Kind::Index, false),
            ("r/b.html", Kind::Report, false),
            ("unit/new.html", Kind::Index, true),
            ("r/a.html", Kind::Report, true),
            ("r/c.html", Kind::Report, true),
            ("r/a.pdf", Kind::Attachment, true),
            ("_search/p/1.js", Kind::SearchShard, true),
            ("_assets/s.css", Kind::Asset, false),
        ]);
        assert_eq!(
            got,
            [
                vec!["_search/p/1.js", "r/a.pdf"],
                vec!["r/a.html", "r/c.html"],
                vec!["unit/new.html"],
                vec!["_assets/s.css"],
                vec!["r/b.html"],
                vec!["unit/a.html"],
                vec!["index.html"],
                vec!["_search/meta.js"],
            ]
        );
    }

    #[test]
    fn a_changed_page_comes_after_the_new_page_it_links_to_whatever_their_ranks() {
        // A changed report links to a new unit page: the unit page must be there first.
        let got = order_of(&[
            ("r/a.html", Kind::Report, false),
            ("unit/new.html", Kind::Index, true),
        ]);
        assert_eq!(got, [vec!["unit/new.html"], vec!["r/a.html"]]);
    }

    #[test]
    fn removal_goes_from_the_search_entry_and_top_pages_down_to_assets() {
        let mut stale = vec![
            ("_assets/a.css".to_string(), Rank::Asset),
            ("r/a.html".to_string(), Rank::Report),
            ("_search/meta.js".to_string(), Rank::Search),
            ("unit/u.html".to_string(), Rank::Index),
            ("index.html".to_string(), Rank::Home),
        ];
        removal_order(&mut stale);
        let got: Vec<&str> = stale.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(
            got,
            [
                "_search/meta.js",
                "index.html",
                "unit/u.html",
                "r/a.html",
                "_assets/a.css"
            ]
        );
    }
}
