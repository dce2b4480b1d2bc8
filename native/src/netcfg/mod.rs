//! Network setup for the tunnel: a vpnc-script with OpenConnect's
//! environment, or the built-in setup through netlink.

pub mod netlink;
pub mod routes;
pub mod script;
