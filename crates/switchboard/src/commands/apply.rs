//! `switchboard apply`.

use crate::Exit;
use crate::cli::{ApplyArgs, Global};

pub fn run(_global: &Global, _args: ApplyArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`apply` is not built yet (issue 6)")
}
