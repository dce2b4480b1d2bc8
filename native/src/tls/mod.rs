//! TLS with rustls: the client's configuration, trust and certificate pins.

pub mod client;
pub mod pin;
pub mod server;
#[cfg(test)]
pub(crate) mod test_server;
