//! TLS with rustls: the client's configuration, trust and certificate pins.

pub mod client;
pub mod pin;
#[cfg(test)]
pub(crate) mod test_server;
