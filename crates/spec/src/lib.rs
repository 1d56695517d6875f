//! The desired state of a Stringee PCC project: YAML loading, validation, diagnostics, the IVR
//! graph, call-flow walking and writing a model back as YAML. Pure: no IO, no async; callers
//! hand in file contents (and a function that hashes audio files).
//!
//! - [`Address`], [`Kind`]: how every crate names an object; [`Pattern`]: an `ignore:` glob
//!   over addresses.
//! - [`load`]: YAML sources → [`Spec`] (a validated [`Model`], flow tests, [`Policy`]) plus
//!   every [`Diagnostic`].
//! - [`load_with`]: the same for one of the spec's `environments:` (its `vars:` and
//!   `include:` files), with `${env.NAME}` and `${secret.NAME}` from the process environment;
//!   [`environments`]: each environment's `include:` paths, for the caller to read.
//! - [`flow::walk`]: where a caller who dials a number and presses keys ends up.
//! - [`emit`]: a [`Model`] → spec YAML files, which load back to the same model.
//! - [`json_schema`]: the JSON Schema of a spec file.
//! - [`text`]: the one sanitiser for everything printed, a function per sink; [`sensitive`]:
//!   credentials inside values, and how they are redacted.
//! - [`foreign_keys`]: whether a YAML file is clearly not a spec (a CI workflow, say).

pub mod address;
pub mod diagnostic;
pub mod emit;
pub mod flow;
mod graph;
mod load;
pub mod model;
pub mod policy;
mod raw;
pub mod sensitive;
mod sniff;
pub mod text;
pub mod valid;

pub use address::{Address, Kind, Pattern};
pub use diagnostic::{Diagnostic, Label, Severity};
pub use emit::emit;
pub use load::{
    Declaration, ENV_VAR_PREFIX, Environment, Expect, FlowTest, Loaded, Location, MAX_NAME_CHARS,
    PinnedProject, ProcessEnv, SECRET_VAR_PREFIX, Secret, Selected, Source, Spec, TestOutcome,
    TestRun, declared, env_variable, environments, include_problem, load, load_with, loose_names,
    secret_variable, unclear_name,
};
pub use model::Model;
pub use policy::Policy;
pub use raw::json_schema;
pub use sniff::{SECTIONS, foreign_keys};

#[cfg(test)]
mod tests;
