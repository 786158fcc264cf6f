//! The end-to-end tests: the real binary, real sockets, real files. One test binary with one
//! module per area, so a change to the library links one executable, not fifteen. Run one area
//! with `cargo test --test it relay::`, one test with `cargo test --test it -- --exact NAME`.

// Cargo.toml denies clippy::unwrap_used; clippy.toml's allow-unwrap-in-tests covers #[test]
// functions only, and the helpers here (spawning the binary, reading its output) are test code
// too: a panic is how a test fails.
#![allow(clippy::unwrap_used)]

mod common;

mod architecture;
mod backlog;
mod check;
mod cli_conventions;
mod compare;
mod dataspike_api;
mod dataspike_stand_in;
mod devsecret;
mod fixtures;
mod forward;
mod import;
mod listen;
mod mcp;
mod nats;
mod pipes;
mod providers;
mod proxy;
mod query;
mod redact;
mod relay;
mod relay_live;
mod reliability;
mod retries;
mod routes;
mod secrets;
mod shell;
mod snippets;
mod tui;
mod wait;
