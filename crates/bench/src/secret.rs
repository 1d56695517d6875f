//! The API key the benchmark and the reliability program use, and the check that its secret
//! shows up nowhere: no child's output, no file a run leaves, no report.

use std::path::Path;

use anyhow::bail;

/// The SID the emulators accept: the suite's ([`e2e::SID`]).
pub const SID: &str = e2e::SID;

/// The secret: the suite's ([`e2e::SECRET`]), distinctive, so that a search for it cannot
/// match anything else.
pub const SECRET: &str = e2e::SECRET;

/// Where a phase child finds the secret.
pub const ENV: &str = "BENCH_API_SECRET";

/// The emulator key.
pub fn key() -> emulator::ApiKey {
    e2e::key()
}

/// Fails if `bytes` hold the secret; `what` names them (the message never repeats it).
pub fn assert_absent(what: &str, bytes: &[u8]) -> anyhow::Result<()> {
    if contains(bytes) {
        bail!("{what} contains the API secret");
    }
    Ok(())
}

fn contains(bytes: &[u8]) -> bool {
    bytes
        .windows(SECRET.len())
        .any(|window| window == SECRET.as_bytes())
}

/// Every file under `dir` (recursively, hidden ones included, symlinks not followed) checked
/// for the secret; answers how many files were read.
pub fn scan_dir(dir: &Path) -> anyhow::Result<u64> {
    let mut files = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => files += scan_dir(&path)?,
            Ok(kind) if kind.is_file() => {
                if let Ok(bytes) = std::fs::read(&path) {
                    assert_absent(&path.display().to_string(), &bytes)?;
                    files += 1;
                }
            }
            _ => {}
        }
    }
    Ok(files)
}
