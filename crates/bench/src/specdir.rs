//! Reading a spec directory from disk the way `switchboard`'s `specfile::load` does (every
//! `*.yaml`/`*.yml` file below it, sorted, hidden directories skipped, audio hashed with
//! SHA-256 relative to the root), so that `validate` is timed on the real loader and real
//! files.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Loads the spec in `dir`.
pub fn load(dir: &Path) -> anyhow::Result<(spec::Loaded, usize)> {
    let mut paths = Vec::new();
    collect(dir, &mut paths)?;
    paths.sort();
    let files = paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read `{}`", path.display()))?;
            Ok(spec::Source {
                path: path.display().to_string(),
                text,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let hash = |relative: &str| -> Result<String, String> {
        let bytes = std::fs::read(dir.join(relative)).map_err(|e| e.to_string())?;
        Ok(spec::model::AudioDigest::of(&bytes))
    };
    Ok((spec::load(&files, &hash), files.len()))
}

/// Loads the spec in `dir` and fails unless it is valid.
pub fn load_valid(dir: &Path) -> anyhow::Result<spec::Spec> {
    let (loaded, _) = load(dir)?;
    let errors = loaded.errors();
    match loaded.spec {
        Some(spec) => Ok(spec),
        None => {
            let first = loaded
                .diagnostics
                .iter()
                .find(|d| d.is_error())
                .map(|d| d.message.clone())
                .unwrap_or_default();
            anyhow::bail!(
                "the spec in `{}` has {errors} errors, the first: {first}",
                dir.display()
            )
        }
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in
        std::fs::read_dir(dir).with_context(|| format!("cannot read `{}`", dir.display()))?
    {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            out.push(path);
        }
    }
    Ok(())
}
