//! What typical queries load from a built site's search index, the way
//! search.js loads it: meta.js, the postings shards a query needs, and the
//! text shards (with their dictionaries) of the first 20 results shown.
//!
//!     cargo run --release --example search_queries -- public/ [QUERY ...]

use std::collections::BTreeSet;
use std::path::Path;

use dangan::search::reader::Reader;

const TYPICAL: &[&str] = &[
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
const SHOWN: usize = 20;

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
    println!("index: {} files, {:.1} MB", files.len(), total as f64 / 1e6);
    let reader = Reader::new(&files).expect("a dangan search index");
    let queries: Vec<&str> = if args.len() > 1 {
        args[1..].iter().map(String::as_str).collect()
    } else {
        TYPICAL.to_vec()
    };
    println!("{:<20} {:>8} {:>10}", "query", "results", "loaded");
    for q in queries {
        let out = reader.search(q);
        let mut loaded: BTreeSet<String> = out.loaded.clone();
        loaded.insert("_search/meta.js".to_string());
        for hit in out.hits.iter().take(SHOWN) {
            loaded.insert(reader.snippet_file(hit));
            loaded.insert(reader.dict_file(hit));
        }
        let bytes: usize = loaded.iter().map(|p| reader.file_size(p)).sum();
        println!(
            "{:<20} {:>8} {:>7.2} MB",
            q,
            out.hits.len(),
            bytes as f64 / 1e6
        );
    }
}
