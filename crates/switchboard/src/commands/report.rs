//! `switchboard report`.

use crate::Exit;
use crate::cli::{Global, ReportArgs};

pub fn run(_global: &Global, _args: ReportArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`report` is not built yet (issue 7)")
}
