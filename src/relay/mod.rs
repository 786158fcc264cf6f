//! `hookscope relay`: a small public server that stores every webhook delivery durably before it
//! answers the sender, and streams each channel to `hookscope listen --relay` subscribers, who
//! resume where they left off. See docs/relay.md for the protocol and the threat model.
//!
//! - [`protocol`]: the wire format (SSE events), pure;
//! - `channel`: channel ids and tokens (hashing, constant-time checks), pure;
//! - `limit`: rate limits, pure;
//! - `log`: the storage seam, `DeliveryLog`, which the server talks to; [`spec`] where the
//!   log is (`sqlite:PATH` or NATS servers), parsed;
//! - `store`: the relay's SQLite file and its group-commit writer thread; `sqlite_log` the
//!   `DeliveryLog` over it (the default);
//! - `jetstream`: the `DeliveryLog` on NATS JetStream, for several relays sharing one log;
//!   [`record`] its message format;
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
pub(crate) mod jetstream;
pub(crate) mod limit;
pub(crate) mod log;
pub mod protocol;
pub mod proxy_addr;
pub mod record;
pub mod remote;
pub(crate) mod server;
pub mod spec;
pub(crate) mod sqlite_log;
pub(crate) mod store;
