//! The project's own docs point only at things that exist: every relative link and every
//! backticked path into the repository (`docs/…`, `crates/…`, `examples/…`, `README.md`…)
//! names a file or directory that is there, and nothing points into `../shared` (notes for
//! the developers, not part of the project) or at files that are not in the repository.

use std::path::Path;

use crate::root;

/// README.md, ARCHITECTURE.md and every page under docs/.
fn pages() -> Vec<(String, String)> {
    let root = root();
    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
        .into_iter()
        .map(|path| {
            let name = path.strip_prefix(&root).unwrap().display().to_string();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect()
}

const TOP: [&str; 8] = [
    "docs/",
    "crates/",
    "examples/",
    "schema/",
    "scripts/",
    "tests/",
    "fuzz/",
    ".ci/",
];

/// The paths a page refers to: relative Markdown link targets, and backticked words that
/// start with a top-level directory of the repository or are a top-level `*.md`.
fn references(page: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("](") {
        let rest = &text[i + 2..];
        let target = &rest[..rest.find(')').unwrap_or(rest.len())];
        let target = target.split('#').next().unwrap_or("");
        if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
            let dir = Path::new(page).parent().unwrap_or(Path::new(""));
            out.push(dir.join(target).display().to_string());
        }
    }
    for (n, piece) in text.split('`').enumerate() {
        // Odd pieces are inside backticks.
        if n % 2 == 0 || piece.contains(char::is_whitespace) || piece.contains(['*', '<', '$']) {
            continue;
        }
        let path = piece.trim_end_matches([',', '.', ':']);
        let top_md = !path.contains('/')
            && path.ends_with(".md")
            && path == path.to_uppercase().replace(".MD", ".md");
        if TOP.iter().any(|t| path.starts_with(t)) || top_md {
            // `file.rs:12` and `docs/x.md#anchor` name the file.
            let path = path.split([':', '#']).next().unwrap_or(path);
            out.push(path.to_owned());
        }
    }
    out
}

#[test]
fn docs_point_only_at_what_exists() {
    let root = root();
    let mut dangling = Vec::new();
    for (page, text) in pages() {
        for forbidden in ["../shared", "shared/reference", "DESIGN.md", "STYLE.md"] {
            if text.contains(forbidden) {
                dangling.push(format!(
                    "{page}: refers to `{forbidden}`, which is not in the repository"
                ));
            }
        }
        for path in references(&page, &text) {
            let normal =
                Path::new(&path)
                    .components()
                    .fold(std::path::PathBuf::new(), |mut p, c| {
                        match c {
                            std::path::Component::ParentDir => {
                                p.pop();
                            }
                            std::path::Component::CurDir => {}
                            c => p.push(c),
                        }
                        p
                    });
            if !root.join(&normal).exists() {
                dangling.push(format!("{page}: `{path}` does not exist"));
            }
        }
    }
    assert!(
        dangling.is_empty(),
        "dangling references:\n{}",
        dangling.join("\n")
    );
}

/// True when `.gitignore` (its simple forms: `/name`, `/dir/`, `name`, `*.ext`) ignores the
/// relative path `path`.
fn ignored(gitignore: &str, path: &str) -> bool {
    let first = path
        .trim_start_matches("./")
        .split('/')
        .next()
        .unwrap_or("");
    gitignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|pattern| {
            let name = pattern.trim_start_matches('/').trim_end_matches('/');
            match name.strip_prefix('*') {
                Some(ext) => path.ends_with(ext),
                None => name == first || name == path,
            }
        })
}

/// Following the README in a clone leaves nothing untracked: every file or directory its
/// commands write in the working directory (`--out`, `--state`) is ignored by git.
#[test]
fn what_the_readme_writes_is_ignored_by_git() {
    let root = root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let gitignore = std::fs::read_to_string(root.join(".gitignore")).unwrap();
    let mut written = Vec::new();
    for block in readme.split("```").skip(1).step_by(2) {
        let words: Vec<&str> = block.split_whitespace().collect();
        for pair in words.windows(2) {
            if ["--out", "--state"].contains(&pair[0]) && !pair[1].starts_with(['$', '/', '"']) {
                written.push(pair[1].to_owned());
            }
        }
    }
    assert!(written.iter().any(|w| w == "plan.json"), "{written:?}");
    let untracked: Vec<&String> = written.iter().filter(|w| !ignored(&gitignore, w)).collect();
    assert!(
        untracked.is_empty(),
        "the README's commands leave these untracked: {untracked:?}"
    );
}
