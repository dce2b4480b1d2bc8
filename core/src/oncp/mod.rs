//! oNCP ("Network Connect"): Juniper's framing inside TLS and the client and
//! gateway state machines that speak it.
//!
//! - [`wire`]: the byte stream — records, KMP messages, configuration TLVs,
//!   the tunnel-opening HTTP exchange.
//! - [`session`]: the client and gateway state machines.

pub mod session;
pub mod wire;
