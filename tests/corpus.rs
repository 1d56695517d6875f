//! The corpus of bad inputs: specs that must each be refused with exit 1, a message that
//! names the problem (and, where there is one, the file, line and column), and no request to
//! PCC. The committed cases are `tests/corpus/bad/` (each file says what it expects in
//! `# expect:` lines; a directory in an `EXPECT` file); [`generated`] makes the ones too big or
//! too odd to commit (huge files, deep nesting, alias bombs, invalid UTF-8, thousands of
//! files, symlink loops, and the hostile files of docs/security.md: links, `..` and absolute
//! paths out of the spec root, FIFOs, files over the ceilings). The suite runs them at
//! [`Scale::Suite`]; `bench reliability` at [`Scale::Soak`].

use std::path::{Path, PathBuf};

/// How big the generated cases are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Small enough for every test run (a 5 MB file, 2,000 files).
    Suite,
    /// The sizes of the reliability program (a 15 MB file, 20,000 files).
    Soak,
}

/// One bad input.
#[derive(Clone, Debug)]
pub struct Case {
    /// A short name.
    pub name: String,
    /// The directory to run the command in.
    pub dir: PathBuf,
    /// The spec path to give the command (relative to `dir`).
    pub arg: String,
    /// Text the command's standard error must hold, each piece verbatim.
    pub expect: Vec<String>,
    /// Text no output may hold: what a file outside the spec root holds.
    pub forbid: Vec<String>,
}

/// How long one command of a case may run: a command that hangs (on a FIFO, say) is killed
/// and fails its case instead of stalling the run.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(300);

/// The pieces of `case.expect` that `said` (a command's standard output and error) does not
/// hold. Diagnostics wrap at 100 columns and continue under a `│`, so both sides are compared
/// with every run of white space (and `│`) as one space.
pub fn missing(case: &Case, said: &str) -> Vec<String> {
    let flat = |text: &str| {
        text.replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let said = flat(said);
    case.expect
        .iter()
        .filter(|e| !said.contains(&flat(e)))
        .cloned()
        .collect()
}

/// `tests/corpus/bad`.
pub fn committed_dir() -> PathBuf {
    crate::repo().join("tests/corpus/bad")
}

/// The committed cases.
pub fn committed() -> Vec<Case> {
    let dir = committed_dir();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/corpus/bad exists")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    entries
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            let expectations = if path.is_dir() {
                path.join("EXPECT")
            } else {
                path.clone()
            };
            let text = std::fs::read(&expectations).expect("a corpus file reads");
            let expect: Vec<String> = String::from_utf8_lossy(&text)
                .lines()
                .filter_map(|l| l.strip_prefix("# expect: "))
                .map(str::to_owned)
                .collect();
            assert!(
                !expect.is_empty(),
                "{} has no `# expect:` line",
                path.display()
            );
            // `# forbid:` lines: text no output may hold (a credential the spec holds).
            let forbid: Vec<String> = String::from_utf8_lossy(&text)
                .lines()
                .filter_map(|l| l.strip_prefix("# forbid: "))
                .map(str::to_owned)
                .collect();
            Case {
                name: name.clone(),
                dir: dir.clone(),
                arg: name,
                expect,
                forbid,
            }
        })
        .collect()
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create directories");
    }
    std::fs::write(path, bytes).expect("write a corpus file");
}

fn case(root: &Path, name: &str, arg: &str, expect: &[&str]) -> Case {
    Case {
        name: name.to_owned(),
        dir: root.to_path_buf(),
        arg: arg.to_owned(),
        expect: expect.iter().map(|s| (*s).to_owned()).collect(),
        forbid: Vec::new(),
    }
}

/// What the files outside the spec roots hold; no output may show it.
pub const OUTSIDE: &str = "OUTSIDE-THE-SPEC-ROOT-7f3a";

/// Writes the generated cases under `root` (an empty directory), and the oversize ones in
/// `<root>-over-the-ceilings` beside it, and answers them.
pub fn generated(root: &Path, scale: Scale) -> Vec<Case> {
    let (huge, nesting, files, nodes) = match scale {
        Scale::Suite => (5_000_000, 10_000, 2_000, 260_000),
        // Under the 16 MiB ceiling of a spec file, so that the parser's work is what is tested
        // (the ceiling has cases of its own, below).
        Scale::Soak => (15_000_000, 1_000_000, 20_000, 1_000_000),
    };
    let mut cases = Vec::new();

    // A huge scalar, then a dangling reference: the error must still point at its line.
    let mut text = b"agents:\n  alice: { name: \"".to_vec();
    text.extend(std::iter::repeat_n(b'x', huge));
    text.extend_from_slice(b"\" }\ngroups:\n  g: { agents: [alice, ghost] }\n");
    write(&root.join("huge-scalar.yaml"), &text);
    cases.push(case(
        root,
        "huge scalar",
        "huge-scalar.yaml",
        &["agent `ghost` does not exist", "huge-scalar.yaml:4:24"],
    ));

    let mut text = b"#".to_vec();
    text.extend(std::iter::repeat_n(b'x', huge));
    text.extend_from_slice(b"\nagents:\n  alice: { name: A }\nqueus: {}\n");
    write(&root.join("huge-comment.yaml"), &text);
    cases.push(case(
        root,
        "huge comment",
        "huge-comment.yaml",
        &["unknown key `queus`", "huge-comment.yaml:4:1"],
    ));

    // Too many YAML nodes for one file: the parser's budget refuses it.
    let mut text = String::from("agents:\n");
    for i in 0..nodes / 4 + 1 {
        text.push_str(&format!("  agent-{i:07}: {{ name: Agent {i} }}\n"));
    }
    write(&root.join("many-nodes.yaml"), text.as_bytes());
    cases.push(case(
        root,
        "too many nodes",
        "many-nodes.yaml",
        &[
            "too large for one YAML document",
            "split the spec into several files",
            "many-nodes.yaml:",
        ],
    ));

    let mut text = b"agents: ".to_vec();
    text.extend(std::iter::repeat_n(b'[', nesting));
    text.extend(std::iter::repeat_n(b']', nesting));
    text.push(b'\n');
    write(&root.join("deep-lists.yaml"), &text);
    cases.push(case(
        root,
        "deeply nested lists",
        "deep-lists.yaml",
        &["expected a mapping", "deep-lists.yaml:1:9"],
    ));

    let mut text = b"agents: ".to_vec();
    for _ in 0..nesting {
        text.extend_from_slice(b"{a: ");
    }
    text.push(b'1');
    text.extend(std::iter::repeat_n(b'}', nesting));
    text.push(b'\n');
    write(&root.join("deep-maps.yaml"), &text);
    cases.push(case(
        root,
        "deeply nested mappings",
        "deep-maps.yaml",
        &["deep-maps.yaml:1:"],
    ));

    // "Billion laughs": each anchor is ten of the one before (10^9 strings at the end).
    let mut text = String::from("agents:\n  lol: { name: &a0 lol }\ngroups:\n");
    for level in 1..=9 {
        let refs = vec![format!("*a{}", level - 1); 10].join(", ");
        text.push_str(&format!("  g{level}: {{ agents: &a{level} [{refs}] }}\n"));
    }
    text.push_str("  g10: { agents: *a9 }\n");
    write(&root.join("alias-bomb.yaml"), text.as_bytes());
    cases.push(case(
        root,
        "alias bomb",
        "alias-bomb.yaml",
        &["expected a single value", "alias-bomb.yaml:5:"],
    ));

    write(
        &root.join("invalid-utf8.yaml"),
        b"agents:\n  alice: { name: \"Al\xff\xfeice\" }\n",
    );
    cases.push(case(
        root,
        "invalid UTF-8",
        "invalid-utf8.yaml",
        &["cannot read `invalid-utf8.yaml`", "valid UTF-8"],
    ));

    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let binary: Vec<u8> = (0..65_536)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng >> 24) as u8
        })
        .chain([0xff])
        .collect();
    write(&root.join("binary.yaml"), &binary);
    cases.push(case(
        root,
        "binary file",
        "binary.yaml",
        &["cannot read `binary.yaml`", "valid UTF-8"],
    ));

    write(
        &root.join("nul-byte.yaml"),
        b"agents:\n  alice: { name: \"Al\0ice\" }\n",
    );
    cases.push(case(
        root,
        "NUL byte",
        "nul-byte.yaml",
        &["unexpected character", "nul-byte.yaml:2:"],
    ));

    // Thousands of files, one of them wrong.
    let many = root.join("many-files");
    for i in 0..files {
        let text = if i == files / 2 {
            format!("groups:\n  g{i}: {{ agents: [agent-{i}, ghost] }}\n")
        } else {
            format!("agents:\n  agent-{i}: {{ name: Agent {i} }}\n")
        };
        write(&many.join(format!("team-{i:05}.yaml")), text.as_bytes());
    }
    let broken = format!("many-files/team-{:05}.yaml:2:", files / 2);
    cases.push(case(
        root,
        "thousands of files",
        "many-files",
        &["agent `ghost` does not exist", &broken],
    ));

    // A spec file that is a symlink loop must not be skipped silently.
    let looped = root.join("symlink-loop");
    write(
        &looped.join("agents.yaml"),
        b"agents:\n  alice: { name: Alice }\n",
    );
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("queues.yaml", looped.join("queues.yaml"))
            .expect("make a symlink");
        std::os::unix::fs::symlink(".", looped.join("again")).expect("make a symlink");
        cases.push(case(
            root,
            "symlink loop",
            "symlink-loop",
            &["cannot read `symlink-loop/queues.yaml`"],
        ));
        let dangling = root.join("dangling-symlink");
        write(
            &dangling.join("agents.yaml"),
            b"agents:\n  alice: { name: Alice }\n",
        );
        std::os::unix::fs::symlink("gone.yaml", dangling.join("queues.yaml"))
            .expect("make a symlink");
        cases.push(case(
            root,
            "dangling symlink",
            "dangling-symlink",
            &["cannot read `dangling-symlink/queues.yaml`"],
        ));
        std::os::unix::fs::symlink("self.yaml", root.join("self.yaml")).expect("make a symlink");
        cases.push(case(
            root,
            "spec path is a symlink loop",
            "self.yaml",
            &["cannot read `self.yaml`"],
        ));
    }

    cases.extend(hostile_files(root));
    cases.extend(long_names_and_line_endings(root));

    std::fs::create_dir_all(root.join("empty-dir")).expect("create a directory");
    cases.push(case(
        root,
        "empty directory",
        "empty-dir",
        &["no spec files in `empty-dir`"],
    ));
    cases.push(case(
        root,
        "missing path",
        "not-there.yaml",
        &["cannot read `not-there.yaml`"],
    ));
    cases
}

/// A spec that uploads one audio file, `file`, from `<root>/<dir>/spec.yaml`: the `file:`
/// value is at `<dir>/spec.yaml:2:18`.
fn audio_spec(root: &Path, dir: &str, file: &str) {
    write(
        &root.join(dir).join("spec.yaml"),
        format!(
            "audio:\n  hello: {{ file: {file} }}\nagents:\n  alice: {{ name: Alice }}\ngroups:\n  \
             sales: {{ agents: [alice] }}\nqueues:\n  sales:\n    routing: [ {{ group: sales, \
             primary: true }} ]\n    wait_greeting: hello\n"
        )
        .as_bytes(),
    );
    std::fs::create_dir_all(root.join(dir).join("audio")).expect("create a directory");
}

/// A sparse file of `len` bytes.
fn sparse(path: &Path, len: u64) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create directories");
    }
    std::fs::File::create(path)
        .and_then(|f| f.set_len(len))
        .expect("a sparse file");
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create directories");
    }
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Files a spec makes switchboard read that it must refuse (docs/security.md, "Files stay
/// inside the project"): audio and spec files leading outside the spec root (links, `..`,
/// absolute paths), FIFOs, devices, files over the ceilings, and a spec directory that a link
/// sends out of the working directory. What lies outside holds [`OUTSIDE`], which no output may
/// show.
fn hostile_files(root: &Path) -> Vec<Case> {
    let outside = root.join("outside");
    write(
        &outside.join("secret.mp3"),
        format!("STRINGEE_API_KEY_SECRET={OUTSIDE}\n").as_bytes(),
    );
    write(
        &outside.join("secret.yaml"),
        format!("agents:\n  leak: {{ name: \"{OUTSIDE}\" }}\n  [broken\n").as_bytes(),
    );
    let absolute = outside.join("secret.mp3");
    let mut cases = Vec::new();
    let mut audio = |name: &str, dir: &str, file: &str, why: &str| {
        let mut case = case(
            root,
            name,
            dir,
            &[
                &format!("{dir}/spec.yaml:2:18"),
                &format!("cannot read audio file `{file}`: {why}"),
            ],
        );
        case.forbid.push(OUTSIDE.to_owned());
        cases.push(case);
    };
    const LINK_OUT: &str =
        "it is a symbolic link (or goes through one) to a place outside the spec";
    audio_spec(root, "audio-dotdot", "../outside/secret.mp3");
    audio(
        "audio path out of the root with ..",
        "audio-dotdot",
        "../outside/secret.mp3",
        "it leads outside the spec root `audio-dotdot`",
    );
    let written = absolute.to_str().expect("a UTF-8 temporary path");
    audio_spec(root, "audio-absolute", written);
    audio(
        "audio path absolute",
        "audio-absolute",
        written,
        "it is an absolute path; paths in a spec are relative to the spec root",
    );
    #[cfg(unix)]
    {
        audio_spec(root, "audio-link", "audio/hello.mp3");
        std::os::unix::fs::symlink(
            "../../outside/secret.mp3",
            root.join("audio-link/audio/hello.mp3"),
        )
        .expect("make a symlink");
        audio(
            "audio linked out of the root",
            "audio-link",
            "audio/hello.mp3",
            LINK_OUT,
        );
        audio_spec(root, "audio-dir-link", "audio/far/secret.mp3");
        std::os::unix::fs::symlink("../../outside", root.join("audio-dir-link/audio/far"))
            .expect("make a symlink");
        audio(
            "audio through a directory linked out of the root",
            "audio-dir-link",
            "audio/far/secret.mp3",
            LINK_OUT,
        );
        audio_spec(root, "audio-zero", "audio/zero.mp3");
        std::os::unix::fs::symlink("/dev/zero", root.join("audio-zero/audio/zero.mp3"))
            .expect("make a symlink");
        audio(
            "audio linked to /dev/zero",
            "audio-zero",
            "audio/zero.mp3",
            LINK_OUT,
        );
        audio_spec(root, "audio-fifo", "audio/pipe.mp3");
        mkfifo(&root.join("audio-fifo/audio/pipe.mp3"));
        audio(
            "audio that is a FIFO",
            "audio-fifo",
            "audio/pipe.mp3",
            "it is a FIFO (named pipe), not a regular file",
        );

        std::fs::create_dir_all(root.join("link-out")).expect("create a directory");
        std::os::unix::fs::symlink("../outside/secret.yaml", root.join("link-out/spec.yaml"))
            .expect("make a symlink");
        let mut linked = case(
            root,
            "spec file linked out of its directory",
            "link-out/spec.yaml",
            &[
                "error: cannot read `link-out/spec.yaml`: it is a symbolic link (or goes through \
               one) to a place outside the spec root",
            ],
        );
        linked.forbid.push(OUTSIDE.to_owned());
        cases.push(linked);
        mkfifo(&root.join("pipe.yaml"));
        cases.push(case(
            root,
            "spec file that is a FIFO",
            "pipe.yaml",
            &["error: cannot read `pipe.yaml`: it is a FIFO (named pipe), not a regular file"],
        ));
        write(
            &root.join("fifo-dir/main.yaml"),
            b"agents: { alice: { name: A } }\n",
        );
        mkfifo(&root.join("fifo-dir/queues.yaml"));
        cases.push(case(
            root,
            "a FIFO among a directory's spec files",
            "fifo-dir",
            &[
                "error: cannot read `fifo-dir/queues.yaml`: it is a FIFO (named pipe), not a \
               regular file",
            ],
        ));
        // The spec directory a CI template names, made a link out of the working directory.
        std::os::unix::fs::symlink("..", root.join("linked-dir")).expect("make a symlink");
        cases.push(case(
            root,
            "spec directory linked out of the working directory",
            "linked-dir",
            &[
                "error: cannot read `linked-dir`: it goes through a symbolic link to a place \
               outside the working directory",
            ],
        ));
    }
    // Beside `root`, not in it: the harness reads every file under a command's directory
    // before and after each command, and 66 MB for each of the other cases' runs would triple
    // the corpus's time.
    let mut name = root.file_name().unwrap_or_default().to_owned();
    name.push("-over-the-ceilings");
    let big = root.with_file_name(name);
    sparse(&big.join("big.yaml"), (16 << 20) + 1);
    cases.push(case(
        &big,
        "spec file over 16 MiB",
        "big.yaml",
        &["error: cannot read `big.yaml`: it is larger than 16 MiB, the limit for a spec file"],
    ));
    audio_spec(&big, "audio-big", "audio/big.mp3");
    sparse(&big.join("audio-big/audio/big.mp3"), (50 << 20) + 1);
    cases.push(case(
        &big,
        "audio over 50 MiB",
        "audio-big",
        &[
            "audio-big/spec.yaml:2:18",
            "cannot read audio file `audio/big.mp3`: it is larger than 50 MiB, the limit for an \
             audio file",
        ],
    ));
    cases
}

/// A name longer than YAML lets a key be, and a file whose lines end in a lone carriage
/// return: each error says what it is, at the right line.
fn long_names_and_line_endings(root: &Path) -> Vec<Case> {
    let long = "n".repeat(1100);
    write(
        &root.join("long-name.yaml"),
        format!("groups:\n  sales: {{}}\n  {long}: {{}}\n").as_bytes(),
    );
    write(
        &root.join("cr-only.yaml"),
        b"version: 1\rgroups:\r  sales: { agents: [nobody] }\r",
    );
    vec![
        case(
            root,
            "a name over 1,024 characters",
            "long-name.yaml",
            &[
                "this key is 1100 characters long: YAML keys, and so names, are at most 1,024 \
                 characters",
                "long-name.yaml:3:3",
            ],
        ),
        case(
            root,
            "lines that end in a lone carriage return",
            "cr-only.yaml",
            &["agent `nobody` does not exist", "cr-only.yaml:3:21"],
        ),
    ]
}
