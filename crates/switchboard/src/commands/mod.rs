//! One module per command; each has `run(&Global, Args) -> anyhow::Result<Exit>`.

pub mod apply;
pub mod drift;
pub mod emulator;
pub mod export;
pub mod export_env;
pub mod graph;
pub mod plan;
pub mod render;
pub mod report;
pub mod schema;
pub mod simulate;
pub mod validate;
