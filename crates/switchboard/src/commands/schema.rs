//! `switchboard schema`: prints the JSON Schema of spec files (generated from the raw spec
//! types; `schema/switchboard.schema.json` is this output, committed).

use std::io::Write;

use crate::Exit;
use crate::cli::{Global, SchemaArgs};

pub fn run(_global: &Global, _args: SchemaArgs) -> anyhow::Result<Exit> {
    std::io::stdout().write_all(spec::json_schema().as_bytes())?;
    Ok(Exit::Ok)
}
