//! The files commands write go only where they should (docs/security.md, "Outputs"): `--out`
//! of `plan`, `report` and `export` replaces a regular file, and refuses a symbolic link (a
//! committed `report.html` pointing at something precious), a FIFO or a directory at its path,
//! or a path a link sends out of the working directory, leaving what is there untouched.

use std::path::Path;
use std::time::Duration;

use e2e::{Output, Pcc, Workdir};

const DEADLINE: Duration = Duration::from_secs(60);

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

#[cfg(unix)]
fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// A file outside the working directory that a link points at, and its content.
fn victim() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("precious.txt");
    std::fs::write(&file, "precious").unwrap();
    (dir, file)
}

#[track_caller]
fn refused(out: &Output, message: &str) {
    out.assert_code(1);
    assert_eq!(out.stderr.lines().last(), Some(message), "{out}");
}

#[cfg(unix)]
#[test]
fn plan_out_refuses_a_link_a_fifo_a_directory_and_a_linked_directory_before_any_request() {
    let pcc = Pcc::start();
    let work = Workdir::new();
    work.copy_example("hotline");
    let (far, precious) = victim();
    std::os::unix::fs::symlink(&precious, work.join("link.json")).unwrap();
    mkfifo(&work.join("fifo.json"));
    std::fs::create_dir(work.join("dir.json")).unwrap();
    std::os::unix::fs::symlink(far.path(), work.join("out")).unwrap();
    for (path, why) in [
        (
            "link.json",
            "it is a symbolic link, and switchboard never writes through one; remove it or \
             choose another path",
        ),
        ("fifo.json", "it is a FIFO (named pipe), not a regular file"),
        ("dir.json", "it is a directory, not a regular file"),
        (
            "out/plan.json",
            "it goes through a symbolic link to a place outside the working directory; name \
             that place itself if you mean it",
        ),
    ] {
        pcc.reset_stats();
        let out = work
            .switchboard(["plan", "hotline", "--out", path])
            .against(&pcc)
            .run_within(DEADLINE);
        refused(
            &out,
            &format!("error: cannot write the plan to `{path}`: {why}"),
        );
        assert_eq!(pcc.stats().reads, 0, "{out}");
    }
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "precious");
    assert!(is_link(&work.join("link.json")));
    assert!(work.join("dir.json").is_dir());
    assert!(!far.path().join("plan.json").exists());
    let fifo = std::fs::symlink_metadata(work.join("fifo.json")).unwrap();
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&fifo.file_type()));

    // A regular file is replaced whole, leaving nothing beside it.
    work.write("plan.json", "old");
    work.switchboard(["plan", "hotline", "--out", "plan.json"])
        .against(&pcc)
        .run()
        .assert_code(0);
    assert!(work.read("plan.json").starts_with('{'));
    let temporary: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(temporary.is_empty(), "{temporary:?}");
}

/// A repository that commits `report.html` as a link cannot make `report` write through it.
#[cfg(unix)]
#[test]
fn report_out_never_writes_through_a_committed_link() {
    let work = Workdir::new();
    work.copy_example("hotline");
    let (_far, precious) = victim();
    std::os::unix::fs::symlink(&precious, work.join("report.html")).unwrap();
    let out = work.switchboard(["report", "hotline"]).run_within(DEADLINE);
    refused(
        &out,
        "error: cannot write `report.html`: it is a symbolic link, and switchboard never writes \
         through one; remove it or choose another path",
    );
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "precious");
    assert!(is_link(&work.join("report.html")));

    mkfifo(&work.join("page.html"));
    let out = work
        .switchboard(["report", "hotline", "--out", "page.html"])
        .run_within(DEADLINE);
    refused(
        &out,
        "error: cannot write `page.html`: it is a FIFO (named pipe), not a regular file",
    );
}

/// `export --out DIR`: a DIR that is a link, and (with --force) a file in DIR that is a link,
/// are refused, and nothing is written anywhere.
#[cfg(unix)]
#[test]
fn export_out_never_writes_through_a_link_at_the_directory_or_in_it() {
    let pcc = Pcc::start();
    pcc.group("sales");
    let work = Workdir::new();
    let (far, precious) = victim();
    std::os::unix::fs::symlink(far.path(), work.join("cc")).unwrap();
    let out = work
        .switchboard(["export", "--out", "cc"])
        .against(&pcc)
        .run_within(DEADLINE);
    refused(
        &out,
        "error: cannot write to `cc`: it is a symbolic link, and switchboard never writes \
         through one; remove it or choose another path",
    );
    assert_eq!(pcc.stats().reads, 0, "{out}");
    assert_eq!(std::fs::read_dir(far.path()).unwrap().count(), 1);

    std::fs::create_dir(work.join("mine")).unwrap();
    std::os::unix::fs::symlink(&precious, work.join("mine/groups.yaml")).unwrap();
    let out = work
        .switchboard(["export", "--out", "mine", "--force"])
        .against(&pcc)
        .run_within(DEADLINE);
    refused(
        &out,
        "error: cannot write `mine/groups.yaml`: it is a symbolic link, and switchboard never \
         writes through one; remove it or choose another path",
    );
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "precious");
    // All or nothing: the other files were not written either.
    let names: Vec<_> = std::fs::read_dir(work.join("mine"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["groups.yaml"]);
}
