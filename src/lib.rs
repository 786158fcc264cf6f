//! hookscope: capture, verify, store, forward, replay and export Dataspike webhooks.

pub mod capture;
pub mod report;
pub mod signature;
pub mod store;
pub mod tui;
