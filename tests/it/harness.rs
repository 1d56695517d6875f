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
