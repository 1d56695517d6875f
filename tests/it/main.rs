//! End-to-end tests: the real `switchboard` binary against the real emulator (helpers in
//! `tests/lib.rs`). One module per command; `brownfield` builds a project through the REST API
//! the way another tool (or a person in the dashboard) would; `writers` runs two applies at
//! once, and a re-run right after a kill while writes land late.

mod apply;
mod audio;
mod blacklist;
mod brownfield;
mod ci_formats;
mod corpus;
mod crash;
mod drift;
mod environments;
mod export;
mod fields;
mod files;
mod fuzz;
mod harness;
mod hostile;
mod hostile_pcc;
mod moved;
mod outputs;
mod partial;
mod plan;
mod reliability;
mod saved;
mod sensitive;
mod target;
mod wiring;
mod writers;
