//! What the figures were measured on, and how much memory a process used at its peak.

use serde::Serialize;

/// The machine, as far as Linux tells without privileges.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// `model name` from `/proc/cpuinfo`.
    pub cpu: String,
    /// Logical CPUs this process may use.
    pub cpus: usize,
    /// `MemTotal`, in MiB.
    pub memory_mib: u64,
    /// The kernel release.
    pub kernel: String,
    /// `rustc`'s target and profile the program was built with.
    pub build: String,
}

/// Describes this machine.
pub fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or_else(|| "unknown".to_owned(), |(_, v)| v.trim().to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_mib = field_kib(&meminfo, "MemTotal:").unwrap_or(0) / 1024;
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or_else(|_| "unknown".to_owned(), |s| s.trim().to_owned());
    Machine {
        cpu,
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        memory_mib,
        kernel,
        build: format!(
            "{} {}",
            std::env::consts::ARCH,
            if cfg!(debug_assertions) {
                "debug (figures are not representative: use --release)"
            } else {
                "release"
            }
        ),
    }
}

/// This process's peak resident memory (`VmHWM`), in KiB; 0 where `/proc` is missing.
pub fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    field_kib(&status, "VmHWM:").unwrap_or(0)
}

fn field_kib(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}
