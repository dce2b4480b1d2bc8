//! `oncp connect`: the pieces around core's client session — the gateway
//! target, the cookie, reconnect pacing and the tokio driver.

pub mod backoff;
pub mod cookie;
pub mod logout;
pub mod target;
