//! Finds the outside programs that some integration tests drive (Chromium for the HTML report,
//! actionlint, check-jsonschema, node and jq for the CI templates), and the SARIF 2.1.0 JSON
//! Schema that `validate --format sarif` is checked against, and tells the tests where they
//! are.
//!
//! A test whose program is missing is compiled with `#[ignore = "…why…"]` through a `cfg`, so
//! that the test harness reports it as ignored with its reason: a runtime early `return` would
//! be reported as passed. `scripts/test` installs the programs when they are missing.
//!
//! Each program is looked up as `$VAR` (an explicit path), else by name on `PATH`. The script
//! runs again when those variables change, when a program it found changes or disappears, and
//! when a directory of `PATH` changes (a program installed after the first build is seen).

use std::env;
use std::path::{Path, PathBuf};

/// (cfg set when missing, environment variable with an explicit path, names on `PATH`, the
/// variable the tests read the path from).
const TOOLS: [(&str, &str, &[&str], &str); 6] = [
    (
        "no_chromium",
        "CHROMIUM",
        &["chromium", "chromium-browser"],
        "SWITCHBOARD_TEST_CHROMIUM",
    ),
    (
        "no_actionlint",
        "ACTIONLINT",
        &["actionlint"],
        "SWITCHBOARD_TEST_ACTIONLINT",
    ),
    (
        "no_check_jsonschema",
        "CHECK_JSONSCHEMA",
        &["check-jsonschema"],
        "SWITCHBOARD_TEST_CHECK_JSONSCHEMA",
    ),
    // The CI templates' comment scripts: github-script's JavaScript, GitLab's jq.
    (
        "no_node",
        "NODE",
        &["node", "nodejs"],
        "SWITCHBOARD_TEST_NODE",
    ),
    ("no_jq", "JQ", &["jq"], "SWITCHBOARD_TEST_JQ"),
    // A file, not a program: scripts/test-tools.sh sets $SARIF_SCHEMA.
    (
        "no_sarif_schema",
        "SARIF_SCHEMA",
        &["sarif-schema-2.1.0.json"],
        "SWITCHBOARD_TEST_SARIF_SCHEMA",
    ),
];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    let path = env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = env::split_paths(&path)
        .filter(|dir| dir.is_absolute() && dir.is_dir())
        .collect();
    // A directory that changes (a program installed in it) makes the lookup run again. A path
    // that does not exist would make cargo run this script on every build, so only existing
    // directories are watched.
    for dir in &dirs {
        println!("cargo::rerun-if-changed={}", dir.display());
    }
    for (cfg, var, names, found_var) in TOOLS {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={var}");
        match find(var, names, &dirs) {
            Some(found) => {
                println!("cargo::rerun-if-changed={}", found.display());
                println!("cargo::rustc-env={found_var}={}", found.display());
            }
            None => {
                println!("cargo::rustc-cfg={cfg}");
                // The tests name the variable in their message; it stays empty here.
                println!("cargo::rustc-env={found_var}=");
            }
        }
    }
}

/// `$var` when set to an existing file, else the first of `names` in `dirs`.
fn find(var: &str, names: &[&str], dirs: &[PathBuf]) -> Option<PathBuf> {
    if let Some(explicit) = env::var_os(var).filter(|v| !v.is_empty()) {
        let explicit = PathBuf::from(explicit);
        return explicit.is_file().then_some(explicit);
    }
    dirs.iter()
        .flat_map(|dir| names.iter().map(move |name| executable(dir, name)))
        .find(|candidate| candidate.is_file())
}

fn executable(dir: &Path, name: &str) -> PathBuf {
    let file = dir.join(name);
    if cfg!(windows) {
        file.with_extension("exe")
    } else {
        file
    }
}
