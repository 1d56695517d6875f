//! `switchboard validate`.

use crate::Exit;
use crate::cli::{Global, ValidateArgs};

pub fn run(_global: &Global, _args: ValidateArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`validate` is not built yet (issue 2)")
}
