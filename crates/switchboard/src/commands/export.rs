//! `switchboard export`.

use crate::Exit;
use crate::cli::{ExportArgs, Global};

pub fn run(_global: &Global, _args: ExportArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`export` is not built yet (issue 4)")
}
