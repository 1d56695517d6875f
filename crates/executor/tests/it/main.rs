//! The executor against the real emulator: plans applied to empty and changed projects,
//! failures that skip only their dependents, lost answers looked up instead of resent, and a
//! fault soak on a generated project of more than 500 objects.

// The soak prints its figures (run with `--nocapture` to see them).
#![allow(clippy::print_stderr)]

mod converge;
mod failures;
mod faults;
mod generator;
mod lookups;
mod recovery;
mod renames;
mod routings;
mod scheduling;
mod support;
mod writers;
