//! Hostile paths against the checked reads and writes; each test fails when its check is
//! removed.

use super::*;

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn put(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_file_inside_the_root_is_read() {
    let d = dir();
    put(&d.path().join("spec/audio/a.mp3"), "sound");
    let root = Root::new(&d.path().join("spec")).unwrap();
    assert_eq!(
        root.read("audio/a.mp3", Limit::AUDIO_FILE).unwrap(),
        b"sound"
    );
    // `..` that stays inside is fine.
    assert_eq!(
        root.read("audio/../audio/a.mp3", Limit::AUDIO_FILE)
            .unwrap(),
        b"sound"
    );
}

#[test]
fn absolute_and_parent_paths_leaving_the_root_are_refused() {
    let d = dir();
    put(&d.path().join("secret.txt"), "s3cret");
    put(&d.path().join("spec/x.yaml"), "");
    let root = Root::new(&d.path().join("spec")).unwrap();
    let absolute = d.path().join("secret.txt");
    assert!(matches!(
        root.read(absolute.to_str().unwrap(), Limit::AUDIO_FILE),
        Err(Error::Absolute { .. })
    ));
    let err = root.read("../secret.txt", Limit::AUDIO_FILE).unwrap_err();
    assert!(matches!(err, Error::Outside { .. }), "{err:?}");
    assert!(!err.to_string().contains("s3cret"));
}

#[cfg(unix)]
#[test]
fn links_leaving_the_root_are_refused_and_links_inside_are_followed() {
    let d = dir();
    put(&d.path().join("outside/secret.txt"), "s3cret");
    put(&d.path().join("spec/audio/real.mp3"), "sound");
    let spec = d.path().join("spec");
    std::os::unix::fs::symlink(d.path().join("outside/secret.txt"), spec.join("file-link"))
        .unwrap();
    std::os::unix::fs::symlink(d.path().join("outside"), spec.join("dir-link")).unwrap();
    std::os::unix::fs::symlink("audio/real.mp3", spec.join("inside-link")).unwrap();
    let root = Root::new(&spec).unwrap();
    for written in ["file-link", "dir-link/secret.txt"] {
        let err = root.read(written, Limit::AUDIO_FILE).unwrap_err();
        assert!(
            matches!(err, Error::LinkOutside { .. }),
            "{written}: {err:?}"
        );
        assert!(!err.to_string().contains("s3cret"));
    }
    assert_eq!(
        root.read("inside-link", Limit::AUDIO_FILE).unwrap(),
        b"sound"
    );
    // The same for files found by walking the directory.
    assert!(matches!(
        root.open_found(&spec.join("file-link"), Limit::SPEC_FILE),
        Err(Error::LinkOutside { .. })
    ));
}

/// A hidden file or directory inside the root (`.git/config` holds the checkout's token on
/// many CI runners, `.env` local secrets) is not part of the spec: a spec cannot name one, and
/// a link, found or named, cannot lead into one. A hidden file named on the command line is
/// what the operator asked for.
#[cfg(unix)]
#[test]
fn hidden_files_inside_the_root_are_refused_however_they_are_reached() {
    let d = dir();
    let spec = d.path().join("spec");
    put(
        &spec.join(".git/config"),
        "extraheader = AUTHORIZATION: basic s3cret",
    );
    put(&spec.join(".env"), "API_KEY=s3cret");
    put(&spec.join("audio/real.mp3"), "sound");
    put(&spec.join(".hidden.yaml"), "agents: {}");
    std::os::unix::fs::symlink("../.git/config", spec.join("audio/welcome.mp3")).unwrap();
    std::os::unix::fs::symlink(".git", spec.join("team")).unwrap();
    std::os::unix::fs::symlink(".env", spec.join("env.yaml")).unwrap();
    let root = Root::new(&spec).unwrap();
    for written in [
        ".git/config",
        ".env",
        "audio/welcome.mp3",
        "team/config",
        "audio/../.env",
        "./.git/config",
    ] {
        let err = root.read(written, Limit::AUDIO_FILE).unwrap_err();
        assert!(matches!(err, Error::Hidden), "{written}: {err:?}");
        assert!(!err.to_string().contains("s3cret"));
    }
    for found in ["env.yaml", "team/config"] {
        let err = root
            .open_found(&spec.join(found), Limit::SPEC_FILE)
            .unwrap_err();
        assert!(matches!(err, Error::Hidden), "{found}: {err:?}");
    }
    // Files that are not hidden, and a hidden file named as itself, are read.
    assert_eq!(
        root.read("audio/real.mp3", Limit::AUDIO_FILE).unwrap(),
        b"sound"
    );
    assert!(
        root.open_found(&spec.join(".hidden.yaml"), Limit::SPEC_FILE)
            .is_ok()
    );
    // Only what is below the root counts: a root that is itself in a hidden directory is fine.
    put(&d.path().join(".config/cc/audio/a.mp3"), "sound");
    let root = Root::new(&d.path().join(".config/cc")).unwrap();
    assert_eq!(
        root.read("audio/a.mp3", Limit::AUDIO_FILE).unwrap(),
        b"sound"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking() {
    let d = dir();
    std::fs::create_dir(d.path().join("spec")).unwrap();
    mkfifo(&d.path().join("spec/pipe.mp3"));
    let root = Root::new(&d.path().join("spec")).unwrap();
    // Opening a FIFO that has no writer blocks for ever: this returns at once.
    let err = root.read("pipe.mp3", Limit::AUDIO_FILE).unwrap_err();
    assert_eq!(
        err.to_string(),
        "it is a FIFO (named pipe), not a regular file"
    );
    // Even when the type check before opening is skipped (a FIFO swapped in after it), the
    // open does not block and the open file is refused.
    let mut options = OpenOptions::new();
    use std::os::unix::fs::OpenOptionsExt as _;
    options
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
    let file = options.open(d.path().join("spec/pipe.mp3")).unwrap();
    assert!(matches!(
        check_regular(&file.metadata().unwrap(), Limit::AUDIO_FILE),
        Err(Error::NotRegular { .. })
    ));
}

#[cfg(unix)]
#[test]
fn devices_and_directories_are_refused() {
    let err = open_regular(Path::new("/dev/zero"), Limit::AUDIO_FILE).unwrap_err();
    assert_eq!(
        err.to_string(),
        "it is a character device, not a regular file"
    );
    let d = dir();
    std::fs::create_dir_all(d.path().join("spec/sub")).unwrap();
    let root = Root::new(&d.path().join("spec")).unwrap();
    let err = root.read("sub", Limit::AUDIO_FILE).unwrap_err();
    assert_eq!(err.to_string(), "it is a directory, not a regular file");
}

#[test]
fn a_file_over_the_limit_is_refused_before_reading() {
    let d = dir();
    put(&d.path().join("big.yaml"), "");
    // Sparse: 17 MiB that take no disk.
    let file = File::options()
        .write(true)
        .open(d.path().join("big.yaml"))
        .unwrap();
    file.set_len(Limit::SPEC_FILE.bytes + 1).unwrap();
    let root = Root::new(d.path()).unwrap();
    let err = root
        .open_found(&d.path().join("big.yaml"), Limit::SPEC_FILE)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "it is larger than 16 MiB, the limit for a spec file"
    );
    // At the limit exactly is fine.
    file.set_len(Limit::SPEC_FILE.bytes).unwrap();
    let read = root
        .open_found(&d.path().join("big.yaml"), Limit::SPEC_FILE)
        .unwrap()
        .bytes()
        .unwrap();
    assert_eq!(read.len() as u64, Limit::SPEC_FILE.bytes);
}

#[test]
fn a_file_that_grows_past_the_limit_while_read_stops_at_the_limit() {
    let d = dir();
    let path = d.path().join("growing.mp3");
    put(&path, "small");
    let limit = Limit {
        bytes: 1000,
        what: "a test file",
    };
    let reader = open_regular(&path, limit).unwrap();
    // Grows after the checks, before the read.
    std::fs::write(&path, vec![b'x'; 200_000]).unwrap();
    let mut seen = 0;
    let err = reader.chunks(|c| seen += c.len()).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    assert!(seen <= 1000, "{seen} bytes handed on");
}

#[test]
fn a_write_replaces_a_regular_file_whole_and_leaves_no_temporary_file() {
    let d = dir();
    let path = d.path().join("plan.json");
    write(&path, b"one").unwrap();
    write(&path, b"two").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"two");
    assert_eq!(names(d.path()), ["plan.json"]);
    // Staged and dropped: nothing written, nothing left.
    drop(stage(&path, b"three").unwrap());
    assert_eq!(std::fs::read(&path).unwrap(), b"two");
    assert_eq!(names(d.path()), ["plan.json"]);
}

#[cfg(unix)]
#[test]
fn a_write_never_goes_through_a_link_nor_onto_a_fifo_or_a_directory() {
    let d = dir();
    let target = d.path().join("victim.txt");
    put(&target, "precious");
    let link = d.path().join("report.html");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let err = write(&link, b"page").unwrap_err();
    assert!(matches!(err, Error::Link), "{err:?}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    let fifo = d.path().join("plan.json");
    mkfifo(&fifo);
    let err = write(&fifo, b"plan").unwrap_err();
    assert_eq!(
        err.to_string(),
        "it is a FIFO (named pipe), not a regular file"
    );
    let dir_path = d.path().join("out");
    std::fs::create_dir(&dir_path).unwrap();
    let err = write(&dir_path, b"plan").unwrap_err();
    assert_eq!(err.to_string(), "it is a directory, not a regular file");
    assert_eq!(
        names(d.path()),
        ["out", "plan.json", "report.html", "victim.txt"]
    );
}

#[cfg(unix)]
#[test]
fn a_directory_to_write_in_is_never_a_link() {
    let d = dir();
    std::fs::create_dir(d.path().join("elsewhere")).unwrap();
    std::os::unix::fs::symlink(d.path().join("elsewhere"), d.path().join("export")).unwrap();
    assert!(matches!(
        ensure_dir(&d.path().join("export")),
        Err(Error::Link)
    ));
    put(&d.path().join("file"), "");
    assert_eq!(
        ensure_dir(&d.path().join("file")).unwrap_err().to_string(),
        "it is a regular file, not a directory"
    );
    ensure_dir(&d.path().join("new/deeper")).unwrap();
    assert!(d.path().join("new/deeper").is_dir());
}
