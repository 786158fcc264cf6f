//! Dataspike, the provider hookscope is built around, for the developer's own app: what its
//! side of a delivery must do. Pure; no I/O.

pub mod snippet;
