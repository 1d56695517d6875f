//! `switchboard emulator`.

use crate::Exit;
use crate::cli::{EmulatorArgs, Global};

pub fn run(_global: &Global, _args: EmulatorArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`emulator` is not built yet (issue 3)")
}
