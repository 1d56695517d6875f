//! `switchboard graph`.

use crate::Exit;
use crate::cli::{Global, GraphArgs};

pub fn run(_global: &Global, _args: GraphArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`graph` is not built yet (issue 7)")
}
