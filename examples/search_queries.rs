//! What typical queries load from a built site's search index, the way
//! search.js loads it: for the first page of results (the search page with its
//! script and style sheets, the entry, leaves, lists, length classes, text
//! names and the texts of the results), and in all once the count and the
//! filters' counts are exact (facets, positions).
//!
//!     cargo run --release --example search_queries -- public/ [QUERY ...]

use std::path::Path;

use dangan::search::reader::Reader;

pub const TYPICAL: &[&str] = &[
    "党建",
    "社区",
    "基层党建",
    "党员教育",
    "三会一课",
    "网格化管理",
    "2020",
    "1+N",
    "社区治理 工作总结",
];

/// What the browser loads before any index file: the page and its assets.
const PAGE_FILES: &[&str] = &[
    "search.html",
    "_assets/search.js",
    "_assets/search.css",
    "_assets/style.css",
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(site) = args.first() else {
        eprintln!("usage: search_queries PUBLIC_DIR [QUERY ...]");
        std::process::exit(2);
    };
    let root = Path::new(site);
    let mut files = Vec::new();
    for e in walkdir::WalkDir::new(root.join("_search"))
        .into_iter()
        .flatten()
    {
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.push((rel, std::fs::read(e.path()).unwrap()));
        }
    }
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    let page: u64 = PAGE_FILES
        .iter()
        .map(|p| std::fs::metadata(root.join(p)).map_or(0, |m| m.len()))
        .sum();
    let reader = Reader::new(&files).expect("a dangan search index");
    println!(
        "{} reports; index: {} files, {:.1} MB; page and assets: {:.0} KB",
        reader.count(),
        files.len(),
        total as f64 / 1e6,
        page as f64 / 1e3
    );
    let queries: Vec<&str> = if args.len() > 1 {
        args[1..].iter().map(String::as_str).collect()
    } else {
        TYPICAL.to_vec()
    };
    println!(
        "{:<20} {:>8} {:>12} {:>8} {:>12} {:>8}",
        "query", "results", "first page", "files", "exact count", "files"
    );
    for q in queries {
        let out = reader.search(q);
        let bytes = |set: &std::collections::BTreeSet<String>| -> f64 {
            let b: usize = set.iter().map(|p| reader.file_size(p)).sum();
            (b as u64 + page) as f64 / 1e6
        };
        println!(
            "{:<20} {:>8} {:>9.3} MB {:>8} {:>9.3} MB {:>8}",
            q,
            out.hits.len(),
            bytes(&out.first),
            out.first.len(),
            bytes(&out.exact),
            out.exact.len()
        );
    }
}
