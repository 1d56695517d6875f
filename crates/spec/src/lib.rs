//! The desired state of a Stringee PCC project: YAML loading, validation, diagnostics and the
//! IVR graph. Pure: no IO, no async; callers hand in file contents.

pub mod model;
pub mod policy;

pub use model::Model;
pub use policy::Policy;
