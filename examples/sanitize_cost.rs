//! What the final allow-list pass over every rendered body (#12 item 1)
//! costs: each report of an archive is rendered with the pass and without it
//! (`allow_html = true` skips it), in parallel as a build does, alternating,
//! and the medians are compared.
//!
//!     cargo run --release --example sanitize_cost -- CONTENT_DIR [ROUNDS=5]
//!
//! bench/sanitize-cost.sh runs it on a generated archive beside full builds.

use std::path::PathBuf;
use std::time::Instant;

use dangan::markdown::{LinkContext, Target, render};
use rayon::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: sanitize_cost CONTENT_DIR [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args
        .get(1)
        .map_or(5, |r| r.parse().expect("ROUNDS is a number"));
    let bodies: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.expect("readable folder").into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .map(|p: PathBuf| body_of(&std::fs::read_to_string(&p).expect("UTF-8 report")))
        .collect();
    let bytes: usize = bodies.iter().map(String::len).sum();
    println!(
        "{} reports, {:.0} MB of Markdown",
        bodies.len(),
        bytes as f64 / 1e6
    );
    let resolve = |_: &str| Target::Missing;
    let links = LinkContext {
        dir: "reports",
        page: "reports/r.html",
        resolve: &resolve,
    };
    let run = |allow_html: bool| {
        let start = Instant::now();
        let out: usize = bodies
            .par_iter()
            .map(|b| render(b, &links, allow_html).html.len())
            .sum();
        (start.elapsed().as_secs_f64(), out)
    };
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (t, a) = run(false);
        with.push(t);
        let (t, b) = run(true);
        without.push(t);
        // The corpus has no raw HTML: the pass removes nothing, only costs.
        assert!(
            a.abs_diff(b) * 100 <= b,
            "the pass changed the pages: {a} vs {b} bytes"
        );
    }
    let (w, wo) = (median(&mut with), median(&mut without));
    println!("render with the pass    median {w:.3} s  (runs: {with:.3?})");
    println!("render without the pass median {wo:.3} s  (runs: {without:.3?})");
    println!(
        "the pass costs {:.3} s, {:.0}% of rendering the Markdown",
        w - wo,
        100.0 * (w - wo) / wo
    );
}

/// The report without its front matter.
fn body_of(text: &str) -> String {
    text.strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(text, |(_, body)| body)
        .to_string()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
