//! `switchboard simulate`.

use crate::Exit;
use crate::cli::{Global, SimulateArgs};

pub fn run(_global: &Global, _args: SimulateArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`simulate` is not built yet (issue 7)")
}
