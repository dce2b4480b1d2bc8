//! How a Pulse client session connects.

use alloc::string::String;

use crate::pulse::secret::Secret;
use crate::time::Duration;

/// OpenConnect 9.01's user agent, also sent as the client version (AVP
/// 0xd70, spec §4.6).
pub const OPENCONNECT_USER_AGENT: &str = "Open AnyConnect VPN Agent v9.01";

/// Settings of a [`super::ClientSession`]. The cookie is a credential:
/// `Debug` shows only its length and it is wiped on drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Gateway host name (for the `Host` header).
    pub host: String,
    /// Gateway TCP port.
    pub port: u16,
    /// The path of the server URL (spec §2.1: kept in the upgrade GET).
    pub path: String,
    /// User agent and client version string.
    pub user_agent: String,
    /// Host name sent in the client information (0x88).
    pub local_hostname: String,
    /// Local address of the TLS socket for `clientIp`, if known.
    pub local_ip: Option<String>,
    /// A DSID value to sign in with (`-C`, or from an oNCP web login).
    pub cookie: Option<Secret>,
    /// Use ESP when the gateway offers it (`--no-dtls` turns it off).
    pub esp: bool,
    /// The outer connection runs over IPv6: packets of the other family
    /// go over TLS unless the gateway allows both on ESP (spec §6.5).
    pub outer_ipv6: bool,
    /// Overrides the ESP dead-peer-detection interval (0x4017).
    pub force_dpd: Option<Duration>,
}

impl ClientOptions {
    /// Options with OpenConnect 9.01's defaults for `host`.
    pub fn new(host: &str) -> Self {
        ClientOptions {
            host: host.into(),
            port: 443,
            path: String::new(),
            user_agent: OPENCONNECT_USER_AGENT.into(),
            local_hostname: "localhost".into(),
            local_ip: None,
            cookie: None,
            esp: true,
            outer_ipv6: false,
            force_dpd: None,
        }
    }
}
