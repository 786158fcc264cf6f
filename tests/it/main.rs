//! The end-to-end tests: the real binary, real sockets, real files. One test binary with one
//! module per area, so a change to the library links one executable, not fifteen. Run one area
//! with `cargo test --test it relay::`, one test with `cargo test --test it -- --exact NAME`.

mod common;

mod backlog;
mod check;
mod cli_conventions;
mod compare;
mod devsecret;
mod fixtures;
mod forward;
mod import;
mod listen;
mod pipes;
mod providers;
mod query;
mod relay;
mod reliability;
mod routes;
mod secrets;
mod tui;
