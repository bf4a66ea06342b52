//! `DANGAN_TIMING`: the phase laps of a build (and of a publish) on stderr, with the CPU time
//! and memory of the process so far, for benchmarks and for finding where a
//! slow build spends its time. Nothing here changes what a build does.

use std::time::Instant;

/// Prints, when `DANGAN_TIMING` is set, a line per lap: milliseconds since
/// `start` (the first field, which the benchmarks read), CPU milliseconds of
/// the process, its resident and peak memory, and what was just done.
pub fn lap_timer(start: Instant) -> impl Fn(&str) {
    let timing = std::env::var_os("DANGAN_TIMING").is_some();
    move |what| {
        if timing {
            let (rss, peak) = memory_mb().unwrap_or_default();
            eprintln!(
                "  {:>7.1} ms  {:>7} ms cpu  {rss:>5} MB rss  {peak:>5} MB peak  {what}",
                start.elapsed().as_secs_f64() * 1000.0,
                cpu_ms().map_or("?".into(), |ms| ms.to_string()),
            );
        }
    }
}

/// CPU time of the process so far (user and system, all threads), where /proc says it.
fn cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces), from field 3 on.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 10) // USER_HZ is 100 on Linux
}

/// Resident and peak resident memory of the process in MB, where /proc says them.
fn memory_mb() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = |field: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(field))?;
        line[field.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((kb("VmRSS:")? / 1024, kb("VmHWM:")? / 1024))
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn reads_cpu_and_memory_from_proc() {
        let (rss, peak) = super::memory_mb().expect("Linux has /proc/self/status");
        assert!(rss > 0 && peak >= rss, "rss {rss} MB, peak {peak} MB");
        assert!(super::cpu_ms().is_some());
    }
}
