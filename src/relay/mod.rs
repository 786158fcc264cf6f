//! `hookscope relay`: a small public server that stores every webhook delivery durably before it
//! answers the sender, and streams each channel to `hookscope listen --relay` subscribers, who
//! resume where they left off. See docs/relay.md for the protocol and the threat model.
//!
//! - [`protocol`]: the wire format (SSE events), pure;
//! - `channel`: channel ids and tokens (hashing, constant-time checks), pure;
//! - `limit`: rate limits, pure;
//! - `store`: the relay's SQLite file and its group-commit writer thread;
//! - `server`: the hyper server (ingest, stream, ack; HTTP/1.1 and HTTP/2), TLS optional;
//! - `certs`: the served certificate, swapped in place (file reloads, ACME renewals);
//! - `acme`: `--acme`, certificates obtained and renewed from an ACME CA;
//! - [`proxy_addr`]: the client's address behind trusted proxies (`Forwarded`, PROXY protocol);
//! - `admin`: the remote channel API; [`remote`]: the laptop's client of it;
//! - [`client`]: the laptop side: connect, resume, hand deliveries over, ack, reconnect;
//! - `feed`: `listen --relay`: the client's deliveries through the same intake as local ones.

pub(crate) mod acme;
pub(crate) mod admin;
pub(crate) mod certs;
pub(crate) mod channel;
pub mod client;
pub(crate) mod feed;
pub(crate) mod limit;
pub mod protocol;
pub mod proxy_addr;
pub mod remote;
pub(crate) mod server;
pub(crate) mod store;
