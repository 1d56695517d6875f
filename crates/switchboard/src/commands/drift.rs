//! `switchboard drift`: does the live project still match the spec? Object by object, what
//! changed outside git; exit 2 when anything did. Never writes to PCC.

use crate::Exit;
use crate::cli::{DriftArgs, Global};
use crate::pipeline;
use crate::target::Access;

pub fn run(global: &Global, args: DriftArgs) -> anyhow::Result<Exit> {
    pipeline::runtime()?.block_on(async {
        let planned = pipeline::plan(
            global,
            &args.connection,
            args.path.as_deref(),
            args.concurrency,
            Access::Read,
            &args.part,
        )
        .await?;
        let report = pipeline::naming_environment(
            pipeline::render_drift(
                &pipeline::for_display(&planned.plan),
                args.format,
                pipeline::color_stdout(global),
            ),
            args.format == crate::cli::DriftFormat::Json,
            args.format == crate::cli::DriftFormat::Markdown,
            planned.spec.environment.as_ref(),
        );
        planned.target.shutdown().await;
        pipeline::print_stdout(&report)?;
        Ok(if planned.plan.is_empty() {
            Exit::Ok
        } else {
            Exit::Changes
        })
    })
}
