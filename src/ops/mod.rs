//! The use cases, one home each: replay, send, check, import, export, wait, retries and the
//! Dataspike account (register, rotate, webhooks, history). Each takes checked
//! settings and returns typed outcomes, with typed refusals that carry a [`crate::hint::Hint`];
//! the CLI (`commands/`) and the TUI (`session::effects`) both call them and word the results
//! in their own terms. Must not parse flags, print, or name a flag.

pub mod check;
pub mod dataspike;
pub mod export;
pub mod import;
pub mod replay;
pub mod retries;
pub mod send;
pub mod wait;
