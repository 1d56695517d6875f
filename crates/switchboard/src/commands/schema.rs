//! `switchboard schema`.

use crate::Exit;
use crate::cli::{Global, SchemaArgs};

pub fn run(_global: &Global, _args: SchemaArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`schema` is not built yet (issue 2)")
}
