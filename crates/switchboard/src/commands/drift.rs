//! `switchboard drift`.

use crate::Exit;
use crate::cli::{DriftArgs, Global};

pub fn run(_global: &Global, _args: DriftArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`drift` is not built yet (issue 5)")
}
