//! `switchboard plan`: the ordered plan from the live project to the spec, in text, JSON or
//! Markdown; `--out` saves it for `apply`. Never writes to PCC.

use anyhow::Context as _;

use crate::Exit;
use crate::cli::{Global, PlanArgs};
use crate::pipeline::{self, Planned};
use crate::target::Access;

pub fn run(global: &Global, args: PlanArgs) -> anyhow::Result<Exit> {
    // Refused before any work: a link, a FIFO or a directory at --out is never written.
    if let Some(out) = &args.out {
        files::writable(out)
            .with_context(|| format!("cannot write the plan to `{}`", out.display()))?;
    }
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
        let result = show(global, &args, &planned);
        planned.target.shutdown().await;
        result
    })
}

fn show(global: &Global, args: &PlanArgs, planned: &Planned) -> anyhow::Result<Exit> {
    let plan = &planned.plan;
    if let Some(out) = &args.out {
        pipeline::write_saved(out, planned)?;
    }
    pipeline::print_stdout(&pipeline::naming_environment(
        pipeline::render_plan(
            &pipeline::for_display(plan),
            Some(&planned.flows),
            args.format,
            pipeline::color_stdout(global),
        ),
        args.format == crate::cli::PlanFormat::Json,
        args.format == crate::cli::PlanFormat::Markdown,
        planned.spec.environment.as_ref(),
    ))?;
    if let Some(notice) = pipeline::refusal_notice(plan, pipeline::color_stderr(global)) {
        crate::output::eprintln(notice);
    }
    if let Some(out) = &args.out {
        crate::output::eprintln(format_args!(
            "saved the plan to {}; apply exactly these changes with `switchboard apply {}`",
            out.display(),
            out.display()
        ));
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        Exit::Changes
    } else {
        Exit::Ok
    })
}
