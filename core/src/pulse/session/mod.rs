//! The sans-IO Pulse IF-T/TLS session state machines (spec/pulse.md),
//! siblings of oNCP's in [`crate::oncp::session`] behind the same
//! protocol-neutral traits of [`crate::tunnel`]: the gateway side
//! ([`gateway`]) and the client side ([`ClientSession`], which behaves
//! on the wire like OpenConnect 9.01 `--protocol=pulse`). Both share the
//! ESP link of the neutral layer and the codecs of [`crate::pulse`].
//!
//! Each session counts its own IF-T message identifiers (spec §3.1) and
//! sends every message as its own TLS output, so that each goes out in a
//! TLS record of its own, as OpenConnect 9.01 needs during the login and
//! the configuration (§3.6).

mod client;
mod client_auth;
mod client_options;
mod config_out;
pub mod gateway;
mod gateway_auth;
mod tunnel_config;

pub use client::{ClientSession, MAX_LOGIN_ROUNDS, SETUP_TIMEOUT};
pub use client_options::{ClientOptions, OPENCONNECT_USER_AGENT};
pub use config_out::{EspOffer, MAX_ROUTES, OfferError, esp_offer, pulse_config};
pub use gateway::GatewaySession;
pub use tunnel_config::tunnel_config;

/// Counts IF-T message identifiers of one direction on one TLS
/// connection (spec §3.1: nobody is known to check them; a new TLS
/// connection starts over).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IdCounter(u32);

impl IdCounter {
    /// A counter whose first identifier is `first`.
    pub const fn starting_at(first: u32) -> Self {
        IdCounter(first)
    }
    /// The next identifier (wrapping after 2^32 - 1).
    pub fn next_id(&mut self) -> u32 {
        let id = self.0;
        self.0 = self.0.wrapping_add(1);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_count_up_and_wrap() {
        let mut c = IdCounter::starting_at(u32::MAX - 1);
        assert_eq!(c.next_id(), u32::MAX - 1);
        assert_eq!(c.next_id(), u32::MAX);
        assert_eq!(c.next_id(), 0);
        assert_eq!(IdCounter::default().next_id(), 0);
    }
}
