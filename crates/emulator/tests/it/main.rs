//! Integration tests: the emulator driven through a real HTTP client, as `crates/pcc` drives it.

mod account;
mod admin;
mod auth;
mod blacklist;
mod durability;
mod faults;
mod hosts;
mod limits;
mod references;
mod resources;
mod support;
