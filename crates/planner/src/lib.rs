//! `plan(desired, live, policy)`: an ordered, reviewable plan of what will change in a PCC
//! project, its stale check, an in-memory applier, and its text, JSON, Markdown and Mermaid
//! renderings. Pure: no IO, no async; every output is deterministic.

mod apply;
mod error;
mod flows;
mod moves;
mod object;
mod order;
pub mod partial;
mod plan;
pub mod render;
mod safety;
pub mod saved;
mod sensitive;
mod stale;
pub mod wiring;

pub use apply::{apply_to, renamed};
pub use error::Error;
pub use flows::{
    Entry, FlowLimits, FlowReport, NumberPaths, Outcome, PathChange, Press, TestRun, flow_report,
};
pub use moves::rename_keys;
pub use object::{Object, changed_fields, fingerprint};
pub use partial::{Partial, Request, Selection, plan_partial, select};
pub use plan::{
    Action, Change, ChangeAction, Ignored, IgnoredBecause, Kept, KeptBecause, Plan, Replace,
    SetAside, Step, Summary, TreeChange, Warning, missing_audio, plan, plan_setting_aside,
};
pub use safety::{SafetyReport, Violation, recheck, recheck_known};
pub use sensitive::{Unfilled, all_known, fill_sensitive, revealed};
pub use stale::{Reads, StaleObject, StaleReason, already_applied, stale};
pub use wiring::{
    LiveUrls, LiveWiring, Rewire, UrlChange, Wired, Wiring, plan_wiring, stale_wiring,
};
