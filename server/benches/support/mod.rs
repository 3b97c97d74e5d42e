//! What the benchmarks share: the nearest-rank percentile they report, a process's resident
//! memory ([`Memory`]), and writing a report to `target/bench/<name>.md` (and stdout).

use std::path::Path;

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A process's resident memory, in KiB: all of it (VmRSS), and the anonymous part
/// (RssAnon: its heap and stacks, its own). The rest is mostly the binary's pages, mapped
/// from the page cache (shared, reclaimable; how many are mapped depends on what the kernel
/// has cached and maps around each fault).
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub rss_kib: u64,
    pub anon_kib: u64,
}

impl Memory {
    pub fn of(pid: u32) -> Memory {
        let status =
            std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status");
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
        };
        Memory {
            rss_kib: field("VmRSS:"),
            anon_kib: field("RssAnon:"),
        }
    }
}

impl std::fmt::Display for Memory {
    /// "31.3 MB RSS (3.9 MB anonymous)"
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mb = |kib: u64| kib as f64 / 1024.0;
        write!(
            f,
            "{:.1} MB RSS ({:.1} MB anonymous)",
            mb(self.rss_kib),
            mb(self.anon_kib)
        )
    }
}

/// Prints a report and writes it to `target/bench/<name>.md` in this workspace.
pub fn write_report(name: &str, md: &str) {
    println!("{md}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join(format!("{name}.md")), md);
    eprintln!("written to target/bench/{name}.md");
}
