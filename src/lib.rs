//! hookscope: capture, verify, store, forward, replay and export Dataspike webhooks.

pub mod capture;
pub mod fixture;
pub mod report;
pub mod sample;
pub mod sign_mode;
pub mod signature;
pub mod store;
