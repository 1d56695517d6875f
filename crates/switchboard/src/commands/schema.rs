//! `switchboard schema`: prints the JSON Schema of spec files (generated from the raw spec
//! types; `schema/switchboard.schema.json` is this output, committed).

use crate::Exit;
use crate::cli::{Global, SchemaArgs};

pub fn run(_global: &Global, _args: SchemaArgs) -> anyhow::Result<Exit> {
    crate::output::print(&spec::json_schema())?;
    Ok(Exit::Ok)
}
