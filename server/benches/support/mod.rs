//! What the benchmarks share: the nearest-rank percentile they report, a process's resident
//! memory, and writing a report to `target/bench/<name>.md` (and stdout).

use std::path::Path;

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Resident memory (VmRSS) of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Prints a report and writes it to `target/bench/<name>.md` in this workspace.
pub fn write_report(name: &str, md: &str) {
    println!("{md}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join(format!("{name}.md")), md);
    eprintln!("written to target/bench/{name}.md");
}
