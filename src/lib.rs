//! hookscope: capture, verify, store, forward, replay and export Dataspike webhooks.

pub mod capture;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod devsecret;
pub mod diff;
pub mod expect;
pub mod export;
pub mod fixture;
pub mod forward;
pub mod headers;
pub mod intake;
pub mod listener;
pub mod output;
pub mod query;
pub mod relay;
pub mod report;
pub mod sample;
pub mod session;
pub mod sign_mode;
pub mod signature;
pub mod stats;
pub mod store;
pub mod tls;
pub mod tui;
