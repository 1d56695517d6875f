//! Whether the built `switchboard` binary is older than the sources it is built from. `cargo
//! test -p e2e` alone builds the e2e crate and its dependencies but not the binary, which
//! another package owns; the tests would then run an old binary and pass or fail for the
//! wrong reasons. [`crate::binary`] refuses such a binary, naming a changed file and the
//! command that rebuilds it.
//!
//! The sources are what cargo would rebuild the binary for: the Rust files of the `switchboard`
//! package and of the workspace crates it depends on (`[dependencies]` and
//! `[build-dependencies]`, transitively), their build scripts, and the files they take in with
//! `include_str!` or `include_bytes!`. Unit-test modules (`#[cfg(test)] mod tests;`) are left
//! out: they are not in the binary, so a change to one does not rebuild it, and counting them
//! would fail every run until some other file changed.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

/// The package whose binary the tests run.
const PACKAGE: &str = "switchboard";

/// `binary`, next to the test program `exe` (`target/<profile>/deps/…`), when it is built and
/// no source under `repo` changed after it was; else why not, with the command to run.
pub fn check(exe: &Path, repo: &Path) -> Result<PathBuf, String> {
    let dir = exe
        .parent()
        .ok_or("the test program is not in a directory")?;
    let profile = if dir.ends_with("deps") {
        dir.parent()
            .ok_or("deps/ is not inside a profile directory")?
    } else {
        dir
    };
    let binary = profile.join(format!("{PACKAGE}{}", std::env::consts::EXE_SUFFIX));
    let rebuild = "Run the end-to-end tests with `cargo test --workspace` or `cargo test -p \
                   switchboard -p e2e`, which build it (`cargo test -p e2e` alone does not); \
                   for `bench`, `cargo build --release -p switchboard -p bench` first";
    let built = match std::fs::metadata(&binary).and_then(|m| m.modified()) {
        Ok(built) if binary.is_file() => built,
        _ => {
            return Err(format!(
                "the switchboard binary is not built: expected {}. {rebuild}",
                binary.display()
            ));
        }
    };
    let newer = newer_sources(repo, built);
    if let Some(first) = newer.first() {
        let more = match newer.len() - 1 {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        return Err(format!(
            "the switchboard binary {} is older than its sources ({}{more} changed after it was \
             built), so the tests would run old code. {rebuild}",
            binary.display(),
            first.strip_prefix(repo).unwrap_or(first).display(),
        ));
    }
    Ok(binary)
}

/// The sources of the binary (see the module docs) under `repo` modified after `built`, in
/// path order.
pub fn newer_sources(repo: &Path, built: SystemTime) -> Vec<PathBuf> {
    sources(repo)
        .into_iter()
        .filter(|path| {
            std::fs::metadata(path)
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified > built)
        })
        .collect()
}

/// Every source of the binary under `repo`.
fn sources(repo: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for package in packages(repo) {
        let root = repo.join("crates").join(&package);
        let build = root.join("build.rs");
        if build.is_file() {
            out.insert(build);
        }
        let mut rust = BTreeSet::new();
        let mut tests = BTreeSet::new();
        walk(&root.join("src"), &mut rust);
        for file in &rust {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            tests.extend(test_modules(file, &text));
        }
        for file in rust {
            if tests.iter().any(|t| file.starts_with(t)) {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(&file) {
                let dir = file.parent().unwrap_or(repo);
                out.extend(included(&text).map(|path| lexical(&dir.join(path))));
            }
            out.insert(file);
        }
    }
    out
}

/// The workspace packages (`crates/<name>`) the binary is built from: [`PACKAGE`] and its
/// dependencies and build dependencies among them, transitively.
fn packages(repo: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut todo = vec![PACKAGE.to_owned()];
    while let Some(name) = todo.pop() {
        let manifest = repo.join("crates").join(&name).join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        if !found.insert(name) {
            continue;
        }
        todo.extend(dependencies(&text));
    }
    found
}

/// The names in a manifest's `[dependencies]` and `[build-dependencies]` tables (those of a
/// `[target.….dependencies]` too), never its `[dev-dependencies]`.
fn dependencies(manifest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut counted = false;
    for line in manifest.lines().map(str::trim) {
        if let Some(table) = line.strip_prefix('[') {
            let table = table.trim_end_matches(']');
            counted = (table.ends_with("dependencies") && !table.ends_with("dev-dependencies"))
                || table == "build-dependencies";
            continue;
        }
        if !counted || line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        if !name.is_empty() {
            out.push(name);
        }
    }
    out
}

/// `path` with its `..` resolved against what precedes them, as messages show it.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir if out.pop() => {}
            part => out.push(part),
        }
    }
    out
}

/// Every `.rs` file under `dir`.
fn walk(dir: &Path, out: &mut BTreeSet<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.insert(path);
        }
    }
}

/// The files and directories of the modules `file` declares under `#[cfg(test)]`
/// (`#[cfg(test)] mod tests;` is `tests.rs` and `tests/` beside a `lib.rs`, `main.rs` or
/// `mod.rs`, else in the directory named after the file).
fn test_modules(file: &Path, text: &str) -> Vec<PathBuf> {
    let Some(parent) = file.parent() else {
        return Vec::new();
    };
    let dir = match file.file_name().and_then(|n| n.to_str()) {
        Some("lib.rs" | "main.rs" | "mod.rs") => parent.to_path_buf(),
        _ => parent.join(file.file_stem().unwrap_or_default()),
    };
    let mut out = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line != "#[cfg(test)]" {
            continue;
        }
        let Some(next) = lines.by_ref().find(|l| !l.starts_with("#[")) else {
            break;
        };
        let declared = next
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub ")
            .strip_prefix("mod ")
            .and_then(|rest| rest.strip_suffix(';'));
        if let Some(name) = declared {
            out.push(dir.join(format!("{name}.rs")));
            out.push(dir.join(name));
        }
    }
    out
}

/// The paths, as written, of the `include_str!` and `include_bytes!` calls in `text` that
/// name a string literal.
fn included(text: &str) -> impl Iterator<Item = &str> {
    ["include_str!(\"", "include_bytes!(\""]
        .into_iter()
        .flat_map(move |call| text.split(call).skip(1))
        .filter_map(|rest| rest.split_once('"').map(|(path, _)| path))
}
