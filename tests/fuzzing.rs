//! Fuzzing the spec loader without a fuzzing engine: seeded mutations of real spec files
//! (bit flips, cuts, repeats, splices, YAML tokens, raw bytes) fed to `spec::load`, which must
//! answer every one of them (a spec or diagnostics) without panicking. The suite runs a few
//! thousand (`tests/it/fuzz.rs`), `bench reliability` runs it for minutes, and `fuzz/` holds
//! the same target for cargo-fuzz.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// YAML fragments that reach the parser's and the loader's corners.
const TOKENS: [&str; 40] = [
    ": ",
    "- ",
    "{",
    "}",
    "[",
    "]",
    ", ",
    "\n",
    "\n  ",
    "\t",
    "&a ",
    "*a",
    "<<: ",
    "!!str ",
    "!!binary ",
    "? ",
    "|\n  ",
    ">-\n  ",
    "\"",
    "'",
    "#",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "~",
    "null",
    "true",
    "0x1F",
    "1e999",
    "-0",
    ".nan",
    "9999999999999999999999",
    "goto: ",
    "queue: ",
    "back: true",
    "timeout: ",
    "agents: [",
    "ivr:\n  t:\n    start: n\n",
    "\u{feff}",
    "\\u0000",
];

/// Real spec files to start from: the examples and the bad-input corpus.
pub fn seeds() -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    let mut dirs = vec![
        crate::repo().join("examples"),
        crate::corpus::committed_dir(),
    ];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
                && let Ok(bytes) = std::fs::read(&path)
            {
                files.push(bytes);
            }
        }
    }
    files.sort();
    files
}

/// One mutation of a seed (sometimes several stacked).
pub fn mutate(rng: &mut fastrand::Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = seeds[rng.usize(..seeds.len())].clone();
    for _ in 0..rng.usize(1..4) {
        let len = bytes.len();
        let at = rng.usize(..=len);
        match rng.u8(0..8) {
            0 if len > 0 => {
                let i = rng.usize(..len);
                bytes[i] ^= 1 << rng.u8(0..8);
            }
            1 if len > 0 => {
                let end = (at + rng.usize(0..64)).min(len);
                bytes.drain(at..end);
            }
            2 if len > 0 => {
                let start = rng.usize(..len);
                let end = (start + rng.usize(1..128)).min(len);
                let piece = bytes[start..end].to_vec();
                for _ in 0..rng.usize(1..4) {
                    bytes.splice(at..at, piece.iter().copied());
                }
            }
            3 => {
                let token = TOKENS[rng.usize(..TOKENS.len())];
                bytes.splice(at..at, token.bytes());
            }
            4 => {
                let other = &seeds[rng.usize(..seeds.len())];
                let from = rng.usize(..=other.len());
                bytes.truncate(at);
                bytes.extend_from_slice(&other[from..]);
            }
            5 => bytes.truncate(at),
            6 => {
                let n = rng.usize(1..16);
                let noise: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
                bytes.splice(at..at, noise);
            }
            _ => {
                // Indentation shifts: the commonest hand-editing mistake.
                let line_start = bytes[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                if rng.bool() {
                    bytes.splice(line_start..line_start, *b"  ");
                } else if bytes[line_start..].starts_with(b"  ") {
                    bytes.drain(line_start..line_start + 2);
                }
            }
        }
    }
    bytes
}

/// Loads `bytes` as one spec file (invalid UTF-8 replaced, as a caller that read it lossily
/// would) and answers the panic message if the loader panicked.
pub fn load_catching_panics(bytes: &[u8]) -> Result<(), String> {
    let source = spec::Source {
        path: "fuzz.yaml".to_owned(),
        text: String::from_utf8_lossy(bytes).into_owned(),
    };
    let audio = |_: &str| Ok("0".repeat(64));
    catch_unwind(AssertUnwindSafe(|| {
        let loaded = spec::load(std::slice::from_ref(&source), &audio);
        // Rendering-independent checks a caller relies on: every diagnostic points into
        // the file, and a spec comes back exactly when there is no error.
        for diagnostic in &loaded.diagnostics {
            for label in &diagnostic.labels {
                assert!(
                    label.span.end <= source.text.len(),
                    "a label points past the end of the file"
                );
            }
        }
        assert_eq!(loaded.spec.is_some(), loaded.errors() == 0);
    }))
    .map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "a panic without a message".to_owned())
    })
}
