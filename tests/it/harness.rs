//! The harness checks itself: a secret written anywhere a command can write is caught.

use std::panic::{AssertUnwindSafe, catch_unwind};

use e2e::{SECRET, Workdir, assert_no_secret, assert_no_secret_in_dir};

#[test]
fn the_secret_check_finds_the_secret_in_output_and_in_nested_files() {
    assert_no_secret("clean", b"target: http://127.0.0.1:1 (key SK...xyz)");
    let leaked = format!("token signed with {SECRET}!");
    let caught = catch_unwind(|| assert_no_secret("stderr", leaked.as_bytes()));
    assert!(caught.is_err());

    let work = Workdir::new();
    work.write("plan.json", "{}");
    assert_no_secret_in_dir(work.path());
    work.write(".switchboard/deep/log.txt", &leaked);
    let caught = catch_unwind(AssertUnwindSafe(|| assert_no_secret_in_dir(work.path())));
    assert!(caught.is_err());
}

#[test]
fn commands_run_with_a_scrubbed_environment() {
    // Whatever the developer's shell exports, a command without `against` uses the sandbox.
    let work = Workdir::new();
    let out = work.switchboard(["export", "--out", "cc"]).run();
    out.assert_code(0);
    assert!(out.banner().starts_with("target: local sandbox"), "{out}");
    assert_eq!(
        out.stdout,
        "Exported the live project to cc: 1 spec file (an empty project).\n"
    );
}

/// The terminal check lets through workflow commands only from `--format github`, and only
/// escaped annotations: a forged or badly escaped one still fails.
#[test]
fn only_escaped_annotations_of_the_github_format_pass_the_terminal_check() {
    use e2e::{Output, annotation, assert_terminal_safe};
    let output = |args: &[&str], stdout: &str| Output {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        code: 1,
        stdout: stdout.to_owned(),
        stderr: String::new(),
    };
    let github = ["validate", "spec", "--format", "github"];
    let good = "::error file=a%2Cb.yaml,line=3,col=5,title=no-fallback::node `x:` 100%25%0Ahelp: y\n1 error, 0 warnings\n";
    assert_terminal_safe(&output(&github, good));
    let decoded = annotation(good.lines().next().unwrap()).unwrap();
    assert_eq!(decoded.property("file"), Some("a,b.yaml"));
    assert_eq!(decoded.message, "node `x:` 100%\nhelp: y");

    let refused = |args: &[&str], stdout: &str| {
        let out = output(args, stdout);
        catch_unwind(AssertUnwindSafe(|| assert_terminal_safe(&out))).is_err()
    };
    // The same line from any other command, or format.
    assert!(refused(&["validate", "spec"], good));
    assert!(refused(&["validate", "spec", "--format", "json"], good));
    for forged in [
        "::error::forged\n",        // no properties is fine, but...
        "::set-output name=x::y\n", // not an annotation
        "::error file=a:b.yaml::raw colon in a property\n",
        "::error file=a,b.yaml::raw comma splits the properties\n",
        "::error file=a.yaml,owner=x::unknown property\n",
        "::error file=a.yaml::100% unescaped\n",
        "::error file=a.yaml::carriage\rreturn\n",
        "::error file=a.yaml::\u{1b}[31mred\n",
        "::add-mask::x\n",
        "::error file=a.yaml::%3A is no escape of a message\n",
        " ::error file=a.yaml::padded\n",
    ] {
        let is_refused = refused(&github, forged);
        if forged == "::error::forged\n" {
            // Well formed: an annotation without properties.
            assert!(!is_refused, "{forged:?}");
        } else {
            assert!(is_refused, "{forged:?} passed");
        }
    }
}

/// A repository laid out like this one, every file written at `at`: the binary's package with
/// a build script and an included file, a library it depends on with a unit-test module, a
/// package it only tests with, and one it does not use.
fn fake_repo(at: std::time::SystemTime) -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    let files = [
        (
            "crates/switchboard/Cargo.toml",
            "[package]\nname = \"switchboard\"\n\n[dependencies]\nspec.workspace = true\n\
             miette = { workspace = true, features = [\n  \"fancy\",\n] }\n\n\
             [dev-dependencies]\ntesting.workspace = true\n",
        ),
        ("crates/switchboard/build.rs", "fn main() {}\n"),
        (
            "crates/switchboard/src/main.rs",
            "mod codes;\nfn main() {}\n",
        ),
        (
            "crates/switchboard/src/codes.rs",
            "const CODES: &str = include_str!(\"../../../docs/codes.md\");\n",
        ),
        ("docs/codes.md", "# Codes\n"),
        ("crates/spec/Cargo.toml", "[package]\nname = \"spec\"\n"),
        (
            "crates/spec/src/lib.rs",
            "pub mod load;\n#[cfg(test)]\nmod tests;\n",
        ),
        (
            "crates/spec/src/load.rs",
            "#[cfg(test)]\n#[allow(dead_code)]\nmod cases;\n",
        ),
        ("crates/spec/src/load/cases.rs", "#[test]\nfn t() {}\n"),
        ("crates/spec/src/tests.rs", "mod deep;\n"),
        ("crates/spec/src/tests/deep.rs", "#[test]\nfn t() {}\n"),
        (
            "crates/testing/Cargo.toml",
            "[package]\nname = \"testing\"\n",
        ),
        ("crates/testing/src/lib.rs", "\n"),
        ("crates/bench/Cargo.toml", "[package]\nname = \"bench\"\n"),
        ("crates/bench/src/main.rs", "fn main() {}\n"),
        ("target/debug/switchboard", "binary"),
    ];
    for (path, text) in files {
        let path = repo.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        touch(&path, at);
    }
    repo
}

fn touch(path: &std::path::Path, at: std::time::SystemTime) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(at).unwrap();
}

/// `cargo test -p e2e` alone does not rebuild the binary: one older than a file it is built
/// from is refused, naming the file and the command; a change it is not built from (a unit
/// test, a test-only dependency, another package) is not counted.
#[test]
fn a_binary_older_than_its_sources_is_refused() {
    use std::time::{Duration, SystemTime};
    let then = SystemTime::now() - Duration::from_secs(3600);
    let repo = fake_repo(then);
    let exe = repo.path().join("target/debug/deps/e2e-0123abcd");
    let binary = repo.path().join("target/debug/switchboard");
    touch(&binary, then + Duration::from_secs(60));
    let later = then + Duration::from_secs(120);
    assert_eq!(e2e::fresh::check(&exe, repo.path()), Ok(binary.clone()));

    for unused in [
        "crates/spec/src/tests.rs",
        "crates/spec/src/tests/deep.rs",
        "crates/spec/src/load/cases.rs",
        "crates/testing/src/lib.rs",
        "crates/bench/src/main.rs",
        "crates/switchboard/Cargo.toml",
    ] {
        touch(&repo.path().join(unused), later);
    }
    assert_eq!(e2e::fresh::check(&exe, repo.path()), Ok(binary.clone()));

    for used in [
        "crates/switchboard/src/main.rs",
        "crates/switchboard/src/codes.rs",
        "crates/switchboard/build.rs",
        "docs/codes.md",
        "crates/spec/src/lib.rs",
        "crates/spec/src/load.rs",
    ] {
        let path = repo.path().join(used);
        touch(&path, later);
        let why = e2e::fresh::check(&exe, repo.path()).expect_err(used);
        assert!(
            why.contains(&format!("older than its sources ({used} changed"))
                && why.contains("`cargo test -p switchboard -p e2e`"),
            "{why}"
        );
        touch(&path, then);
    }

    std::fs::remove_file(&binary).unwrap();
    let why = e2e::fresh::check(&exe, repo.path()).unwrap_err();
    assert!(
        why.starts_with("the switchboard binary is not built"),
        "{why}"
    );
}
