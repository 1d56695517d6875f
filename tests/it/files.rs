//! The files a spec makes switchboard read are hostile input (docs/security.md, "Files stay
//! inside the project"): audio and spec files that lead outside the spec root (links, `..`,
//! absolute paths), FIFOs, devices and oversize files. Each is refused where the spec names
//! it, with exit 1, no request to PCC, and nothing of what lies outside shown. Every command
//! here also runs through the harness's check that no output holds the API secret, which the
//! files outside hold.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use e2e::{Output, Pcc, Workdir};

/// Long enough for a slow machine, short enough that a hang fails the test instead of the
/// suite.
const DEADLINE: Duration = Duration::from_secs(60);

/// A spec whose one audio file is at `file`, in `<workdir>/cc`; the `file:` value is at
/// `cc/spec.yaml:2:18`.
fn spec_with_audio(work: &Workdir, file: &str) {
    work.write(
        "cc/spec.yaml",
        &format!(
            "audio:\n  hello: {{ file: {file} }}\nagents:\n  alice: {{ name: Alice }}\ngroups:\n  \
             sales: {{ agents: [alice] }}\nqueues:\n  sales:\n    routing: [ {{ group: sales, \
             primary: true }} ]\n    wait_greeting: hello\nnumbers:\n  \"842473082686\": {{ \
             queue: sales }}\n"
        ),
    );
    std::fs::create_dir_all(work.join("cc/audio")).unwrap();
}

/// A directory outside every working directory holding the API secret, as
/// `/proc/self/environ` or `~/.ssh` would: `secret.mp3`, `secret.yaml` (a spec file naming
/// it) and `team/queues.yaml`.
fn outside() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let line = format!("STRINGEE_API_KEY_SECRET={}", e2e::SECRET);
    std::fs::write(dir.path().join("secret.mp3"), &line).unwrap();
    std::fs::write(
        dir.path().join("secret.yaml"),
        format!("agents:\n  leak: {{ name: \"{line}\" }}\n  [unclosed\n"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("team")).unwrap();
    std::fs::write(
        dir.path().join("team/queues.yaml"),
        format!("queues:\n  leak: {{ get_list_agents_url: \"https://x/{line}\" }}\n  bad: [\n"),
    )
    .unwrap();
    dir
}

/// `to` written relative to `from` with `..` only (no link involved).
fn dotdot(from: &Path, to: &Path) -> String {
    let from = from.canonicalize().unwrap();
    let ups = from
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count();
    let mut path = PathBuf::new();
    for _ in 0..ups {
        path.push("..");
    }
    path.push(to.canonicalize().unwrap().strip_prefix("/").unwrap());
    path.to_str().unwrap().to_owned()
}

#[cfg(unix)]
fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

/// A sparse file of `len` bytes: no disk used, no time spent writing.
fn sparse(path: &Path, len: u64) {
    let file = std::fs::File::create(path).unwrap();
    file.set_len(len).unwrap();
}

/// `validate`, `plan` and `apply` of `arg` each exit 1 within the deadline, say every piece of
/// `expect`, and send PCC nothing.
#[track_caller]
fn refused_everywhere(work: &Workdir, pcc: &Pcc, arg: &str, expect: &[&str]) -> Vec<Output> {
    let mut outs = Vec::new();
    for command in [&["validate"][..], &["plan"], &["apply", "--auto-approve"]] {
        pcc.reset_stats();
        let args: Vec<&str> = command.iter().copied().chain([arg]).collect();
        let out = work.switchboard(args).against(pcc).run_within(DEADLINE);
        out.assert_code(1);
        // Diagnostics wrap at 100 columns, continuing under a `│`.
        let flat = |text: &str| {
            text.replace('│', " ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let said = flat(&format!("{}{}", out.stdout, out.stderr));
        for piece in expect {
            assert!(said.contains(&flat(piece)), "no `{piece}` in: {out}");
        }
        let stats = pcc.stats();
        assert_eq!(stats.reads + stats.writes, 0, "requests were sent: {out}");
        outs.push(out);
    }
    outs
}

const LINK_OUT: &str = "it is a symbolic link (or goes through one) to a place outside the spec \
                        root `cc`; switchboard reads only files inside the spec root";

#[cfg(unix)]
#[test]
fn audio_linked_outside_the_spec_root_is_refused_at_its_line_with_no_request() {
    let pcc = Pcc::start();
    let far = outside();
    // A link to the file, and a link to its directory with the file named through it.
    for (file, make) in [
        ("audio/hello.mp3", far.path().join("secret.mp3")),
        ("audio/far/secret.mp3", far.path().to_path_buf()),
        ("audio/zero.mp3", PathBuf::from("/dev/zero")),
        ("audio/environ.mp3", PathBuf::from("/proc/self/environ")),
    ] {
        let work = Workdir::new();
        spec_with_audio(&work, file);
        let link = work.join("cc").join(file);
        let link = if file.contains("/far/") {
            link.parent().unwrap().to_path_buf()
        } else {
            link
        };
        symlink(&make, &link);
        refused_everywhere(
            &work,
            &pcc,
            "cc",
            &[
                "cc/spec.yaml:2:18",
                &format!("cannot read audio file `{file}`: {LINK_OUT}"),
            ],
        );
    }
}

#[test]
fn audio_written_outside_the_spec_root_is_refused_at_its_line_with_no_request() {
    let pcc = Pcc::start();
    let far = outside();
    let work = Workdir::new();
    let absolute = far.path().join("secret.mp3");
    spec_with_audio(&work, absolute.to_str().unwrap());
    refused_everywhere(
        &work,
        &pcc,
        "cc",
        &[
            "cc/spec.yaml:2:18",
            "it is an absolute path; paths in a spec are relative to the spec root `cc`",
        ],
    );

    let work = Workdir::new();
    std::fs::create_dir(work.join("cc")).unwrap();
    spec_with_audio(&work, &dotdot(&work.join("cc"), &absolute));
    refused_everywhere(
        &work,
        &pcc,
        "cc",
        &[
            "cc/spec.yaml:2:18",
            "it leads outside the spec root `cc`; switchboard reads only files inside the spec \
             root",
        ],
    );
}

#[cfg(unix)]
#[test]
fn audio_that_is_a_fifo_a_device_a_directory_or_too_big_is_refused_without_hanging() {
    let pcc = Pcc::start();
    for (file, what) in [
        (
            "audio/pipe.mp3",
            "it is a FIFO (named pipe), not a regular file",
        ),
        ("audio/dir.mp3", "it is a directory, not a regular file"),
        (
            "audio/big.mp3",
            "it is larger than 50 MiB, the limit for an audio file",
        ),
    ] {
        let work = Workdir::new();
        spec_with_audio(&work, file);
        let path = work.join("cc").join(file);
        match file {
            "audio/pipe.mp3" => mkfifo(&path),
            "audio/dir.mp3" => std::fs::create_dir(&path).unwrap(),
            _ => sparse(&path, (50 << 20) + 1),
        }
        refused_everywhere(
            &work,
            &pcc,
            "cc",
            &[
                "cc/spec.yaml:2:18",
                &format!("cannot read audio file `{file}`: {what}"),
            ],
        );
    }
}

/// A spec file given by a path that leads outside the spec root, or a spec file that is a
/// FIFO or too big, is refused by name; nothing of what it holds is drawn.
#[cfg(unix)]
#[test]
fn a_spec_file_outside_the_root_a_fifo_or_too_big_is_refused_by_name() {
    let pcc = Pcc::start();
    let far = outside();
    let work = Workdir::new();
    std::fs::create_dir(work.join("cc")).unwrap();
    symlink(far.path().join("secret.yaml"), work.join("cc/link.yaml"));
    mkfifo(&work.join("cc/pipe.yaml"));
    sparse(&work.join("cc/big.yaml"), (16 << 20) + 1);
    refused_everywhere(
        &work,
        &pcc,
        "cc/link.yaml",
        &[&format!("error: cannot read `cc/link.yaml`: {LINK_OUT}")],
    );
    refused_everywhere(
        &work,
        &pcc,
        "cc/pipe.yaml",
        &["error: cannot read `cc/pipe.yaml`: it is a FIFO (named pipe), not a regular file"],
    );
    refused_everywhere(
        &work,
        &pcc,
        "cc/big.yaml",
        &["error: cannot read `cc/big.yaml`: it is larger than 16 MiB, the limit for a spec file"],
    );
    // In a directory, the FIFO and the oversize file fail the load too (skipping them would
    // plan the deletion of what they hold); the link out is skipped first, with a note.
    std::fs::write(
        work.join("cc/main.yaml"),
        "agents: { alice: { name: A } }\n",
    )
    .unwrap();
    refused_everywhere(
        &work,
        &pcc,
        "cc",
        &["error: cannot read `cc/big.yaml`: it is larger than 16 MiB"],
    );
    std::fs::remove_file(work.join("cc/big.yaml")).unwrap();
    refused_everywhere(
        &work,
        &pcc,
        "cc",
        &["error: cannot read `cc/pipe.yaml`: it is a FIFO (named pipe), not a regular file"],
    );
}

/// A spec directory whose links lead outside it: the links are left out with a note, and what
/// they lead to (which holds the secret, and YAML errors that would draw it) is never read.
#[cfg(unix)]
#[test]
fn links_out_of_a_spec_directory_are_skipped_with_a_note_and_never_read() {
    let pcc = Pcc::start();
    let far = outside();
    let work = Workdir::new();
    work.write(
        "cc/main.yaml",
        "agents:\n  alice: { name: Alice }\ngroups:\n  sales: { agents: [alice] }\n",
    );
    symlink(far.path().join("team"), work.join("cc/team"));
    symlink(far.path().join("secret.yaml"), work.join("cc/agents.yaml"));
    symlink("/", work.join("cc/root"));
    let note = |path: &str| {
        format!(
            "note: skipped `{path}`: a symbolic link to a place outside the spec root, which \
             switchboard does not read\n"
        )
    };
    let expected_notes = format!(
        "{}{}{}",
        note("cc/agents.yaml"),
        note("cc/root"),
        note("cc/team")
    );
    let out = work.switchboard(["validate", "cc"]).run_within(DEADLINE);
    out.assert_code(0);
    assert_eq!(out.stderr, expected_notes, "{out}");
    assert!(out.stdout.contains("is valid: 0 numbers"), "{out}");

    let out = work
        .switchboard(["plan", "cc"])
        .against(&pcc)
        .run_within(DEADLINE);
    out.assert_code(0);
    assert!(out.stderr.contains(&expected_notes), "{out}");
    assert!(!out.stdout.contains("leak"), "{out}");
    assert_eq!(pcc.stats().writes, 0);
}

/// A spec path the command line names inside the working directory (what a CI template
/// names) that a committed link turns into a place elsewhere is refused: otherwise a pull
/// request could make `contact-center` a link to `/`, the whole machine its spec root.
#[cfg(unix)]
#[test]
fn a_spec_directory_that_is_a_link_out_of_the_working_directory_is_refused() {
    let pcc = Pcc::start();
    let far = outside();
    let work = Workdir::new();
    symlink(far.path(), work.join("cc"));
    refused_everywhere(
        &work,
        &pcc,
        "cc",
        &[
            "error: cannot read `cc`: it goes through a symbolic link to a place outside the \
           working directory; name that place itself if you mean it",
        ],
    );
}

/// A hidden file inside the spec root is not part of the spec, and is where secrets live:
/// `.git/config` holds the checkout's token on many CI runners (`actions/checkout` persists
/// it there by default), `.env` local ones. When the spec root is the repository (no path
/// given, run at the top), a pull request could otherwise commit `audio/welcome.mp3 ->
/// ../.git/config`, whose plan shows only `file = "audio/welcome.mp3"`, and have `apply`
/// upload the token to PCC; or a spec file linked there, drawn in diagnostics. Audio that is,
/// or links to, a hidden file is refused at its line with no request; a spec file linked to
/// one is skipped with a note, and nothing of it is read.
#[cfg(unix)]
#[test]
fn hidden_files_in_the_spec_root_are_never_read_through_a_spec() {
    let pcc = Pcc::start();
    // The harness fails a test whose working directory holds the API secret: a marker of
    // our own stands for what the hidden files hold.
    let token = format!("AUTHORIZATION: basic {HIDDEN}");
    for (file, link) in [
        ("audio/welcome.mp3", Some("../.git/config")),
        (".git/config", None),
        ("audio/env.mp3", Some("../.env")),
    ] {
        let work = Workdir::new();
        spec_with_audio(&work, file);
        work.write(
            "cc/.git/config",
            &format!("[http \"https://github.com/\"]\n\textraheader = {token}\n"),
        );
        work.write("cc/.env", &format!("STRINGEE_API_KEY_SECRET={HIDDEN}\n"));
        if let Some(link) = link {
            symlink(link, work.join("cc").join(file));
        }
        let outs = refused_everywhere(
            &work,
            &pcc,
            "cc",
            &[
                "cc/spec.yaml:2:18",
                &format!(
                    "cannot read audio file `{file}`: it is in a hidden file or directory of \
                     the spec root (a name starting with `.`, such as `.git` or `.env`), or a \
                     symbolic link to one"
                ),
            ],
        );
        for out in outs {
            assert!(!format!("{out}").contains(HIDDEN), "{out}");
        }
    }

    // Spec files linked into hidden places are skipped with a note, and never drawn.
    let work = Workdir::new();
    work.write(
        "cc/main.yaml",
        "agents:\n  alice: { name: Alice }\ngroups:\n  sales: { agents: [alice] }\n",
    );
    work.write("cc/.env", &format!("{HIDDEN}\n  [unclosed\n"));
    work.write(
        "cc/.private/team.yaml",
        &format!("agents:\n  leak: {{ name: {HIDDEN} }}\n"),
    );
    symlink(".env", work.join("cc/env.yaml"));
    symlink(".private", work.join("cc/team"));
    let out = work.switchboard(["validate", "cc"]).run_within(DEADLINE);
    out.assert_code(0);
    assert_eq!(
        out.stderr,
        "note: skipped `cc/env.yaml`: a symbolic link to a hidden file or directory (a name \
         starting with `.`), which switchboard does not read\n\
         note: skipped `cc/team`: a symbolic link to a hidden file or directory (a name \
         starting with `.`), which switchboard does not read\n",
        "{out}"
    );
    assert!(out.stdout.contains("1 agent"), "{out}");
    assert!(!format!("{out}").contains(HIDDEN), "{out}");
}

/// What the hidden files of [`hidden_files_in_the_spec_root_are_never_read_through_a_spec`]
/// hold: no output may show it.
const HIDDEN: &str = "hidden-7c1d-checkout-token";
