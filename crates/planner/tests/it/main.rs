//! The planner's integration tests: snapshot cases over `test_data/`, explicit ordering
//! checks, property tests against a reference-checking in-memory PCC, saved plans and stale
//! checks, and the renderers' limits.

mod cases;
mod fixture;
mod flows;
mod hostile;
mod ordering;
mod partial;
mod props;
mod render;
mod saved;
mod sensitive;
mod store;
