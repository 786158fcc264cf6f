//! Dataspike, the provider hookscope is built around, for the developer's own app: what its
//! side of a delivery must do (`snippet`), and its management API (`api`: pure parsing, and
//! the client that calls it over the egress client).

pub mod api;
pub mod snippet;
