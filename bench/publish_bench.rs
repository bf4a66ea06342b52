//! Benchmark of `publish` on a site the size of the 10,000-report archive's output.
//!
//!     cargo run --release --example publish_bench -- [REPORTS] [DIR] [ROUNDS]
//!
//! Defaults: 10000 reports of about 20 KB, in /dev/shm/dangan-publish-bench, 3 rounds. Times
//! (1) a first publish to an empty folder against `cp -r` of the same tree, alternating, median
//! of ROUNDS; (2) a republish after one report page and three index pages changed, median of
//! ROUNDS + 2; (3) a republish with nothing changed, likewise. CPU time (user + system, all
//! threads) is printed beside the wall time of (1), as the machine may be shared.

#[path = "../tests/support/site.rs"]
mod site;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use publish::publish::{PublishOptions, publish};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let reports: usize = args
        .get(1)
        .map_or(10_000, |a| a.parse().expect("REPORTS is a number"));
    let dir = Path::new(
        args.get(2)
            .map_or("/dev/shm/dangan-publish-bench", String::as_str),
    )
    .to_path_buf();
    let rounds: usize = args
        .get(3)
        .map_or(3, |a| a.parse().expect("ROUNDS is a number"));
    let (site_dir, dest) = (dir.join("site"), dir.join("dest"));
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap();
    }
    fs::create_dir_all(&dir).unwrap();
    let model = site::SiteModel::generate(reports, 20_000);
    model.write(&site_dir);
    let (files, bytes) = size_of(&site_dir);
    println!(
        "site: {files} files, {:.1} MB in {}",
        bytes as f64 / 1e6,
        site_dir.display()
    );

    let opts = PublishOptions {
        quiet: true,
        ..Default::default()
    };
    let (mut first, mut copy) = (Vec::new(), Vec::new());
    let (mut first_cpu, mut copy_cpu) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        reset(&dest);
        let (t, cpu) = (Instant::now(), cpu_ms());
        let s = publish(&site_dir, &dest, &opts).unwrap();
        first.push(t.elapsed());
        first_cpu.push(cpu_ms().0 - cpu.0);
        assert_eq!(s.added.len() as u64, files - 1); // all but .dangan-manifest

        let copy_dest = dir.join(format!("cp-{round}"));
        let (t, cpu) = (Instant::now(), cpu_ms());
        let ok = Command::new("cp")
            .arg("-r")
            .arg(&site_dir)
            .arg(&copy_dest)
            .status()
            .unwrap();
        copy.push(t.elapsed());
        copy_cpu.push(cpu_ms().1 - cpu.1);
        assert!(ok.success());
        fs::remove_dir_all(&copy_dest).unwrap();
    }
    report("first publish to an empty folder", &mut first);
    report("cp -r of the same tree", &mut copy);
    first_cpu.sort_unstable();
    copy_cpu.sort_unstable();
    println!(
        "  CPU time (user+sys, median): publish {} ms, cp -r {} ms",
        first_cpu[rounds / 2],
        copy_cpu[rounds / 2]
    );

    let mut edit = Vec::new();
    let targets = edit_targets(&model);
    for round in 0..rounds + 2 {
        for rel in &targets {
            let p = site_dir.join(rel);
            let mut text = fs::read_to_string(&p).unwrap();
            text.push_str(&format!("<!-- edit {round} -->\n"));
            fs::write(&p, text).unwrap();
        }
        let t = Instant::now();
        let s = publish(&site_dir, &dest, &opts).unwrap();
        edit.push(t.elapsed());
        assert_eq!(s.changed.len(), targets.len(), "{s:?}");
        assert!(s.added.is_empty() && s.removed.is_empty());
    }
    report(
        "republish after 1 report + 3 index pages changed",
        &mut edit,
    );

    let mut same = Vec::new();
    for _ in 0..rounds + 2 {
        let t = Instant::now();
        let s = publish(&site_dir, &dest, &opts).unwrap();
        same.push(t.elapsed());
        assert_eq!(s.bytes_sent, 0);
    }
    report("republish with nothing changed", &mut same);
}

/// One report page, its unit and year pages, and the home page.
fn edit_targets(model: &site::SiteModel) -> Vec<String> {
    let (id, r) = model.reports.iter().nth(model.reports.len() / 2).unwrap();
    vec![
        format!("{id}.html"),
        format!("unit/{}.html", r.unit),
        format!("year/{}.html", r.year),
        "index.html".to_string(),
    ]
}

/// CPU time (user + system) used so far by this process, and by its waited-for children, in ms.
fn cpu_ms() -> (u64, u64) {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<u64> = after_name
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // Fields 14-17 of the line (utime, stime, cutime, cstime) in clock ticks, usually 100 a second.
    let tick = |i: usize| f.get(i).copied().unwrap_or(0) * 10;
    (tick(11) + tick(12), tick(13) + tick(14))
}

fn reset(dest: &Path) {
    if dest.exists() {
        fs::remove_dir_all(dest).unwrap();
    }
    fs::create_dir_all(dest).unwrap();
}

fn size_of(root: &Path) -> (u64, u64) {
    let mut n = (0, 0);
    for e in walkdir::WalkDir::new(root) {
        let e = e.unwrap();
        if e.file_type().is_file() {
            n = (n.0 + 1, n.1 + e.metadata().unwrap().len());
        }
    }
    n
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let ms: Vec<String> = times
        .iter()
        .map(|t| format!("{:.0}", t.as_secs_f64() * 1e3))
        .collect();
    let median = times[times.len() / 2].as_secs_f64() * 1e3;
    println!(
        "{what}: median {median:.0} ms (runs, sorted: {} ms)",
        ms.join(", ")
    );
}
