//! `switchboard plan`.

use crate::Exit;
use crate::cli::{Global, PlanArgs};

pub fn run(_global: &Global, _args: PlanArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`plan` is not built yet (issue 5)")
}
