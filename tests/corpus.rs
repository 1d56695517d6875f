//! The corpus of bad inputs: specs that must each be refused with exit 1, a message that
//! names the problem (and, where there is one, the file, line and column), and no request to
//! PCC. The committed cases are `tests/corpus/bad/` (each file says what it expects in
//! `# expect:` lines; a directory in an `EXPECT` file); [`generated`] makes the ones too big or
//! too odd to commit (huge files, deep nesting, alias bombs, invalid UTF-8, thousands of
//! files, symlink loops). The suite runs them at [`Scale::Suite`]; `bench reliability` at
//! [`Scale::Soak`].

use std::path::{Path, PathBuf};

/// How big the generated cases are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Small enough for every test run (a 5 MB file, 2,000 files).
    Suite,
    /// The sizes of the reliability program (a 50 MB file, 20,000 files).
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
            Case {
                name: name.clone(),
                dir: dir.clone(),
                arg: name,
                expect,
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
    }
}

/// Writes the generated cases under `root` (an empty directory) and answers them.
pub fn generated(root: &Path, scale: Scale) -> Vec<Case> {
    let (huge, nesting, files, nodes) = match scale {
        Scale::Suite => (5_000_000, 10_000, 2_000, 260_000),
        Scale::Soak => (50_000_000, 1_000_000, 20_000, 1_000_000),
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
