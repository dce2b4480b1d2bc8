//! The HTTP entry of the Pulse tunnel (spec/pulse.md §2): the client's
//! `GET /<path>` with `Upgrade: IF-T/TLS 1.0`, the gateway's 101, and the
//! HTTP logout used when the tunnel is already gone (§7.4). Heads are
//! parsed with the oNCP HTTP parser.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::secret::Secret;
use crate::oncp::wire::http::{LOGOUT_PATH, RequestHead};

/// The `Upgrade` value that asks for IF-T/TLS.
pub const UPGRADE: &str = "IF-T/TLS 1.0";

/// The gateway's answer to an upgrade request (OpenConnect needs no
/// headers; these are the ones a Pulse gateway emulation sends).
pub const SWITCHING_PROTOCOLS: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
Content-Type: application/octet-stream\r\nPragma: no-cache\r\nUpgrade: IF-T/TLS 1.0\r\n\
Connection: Keep-Alive\r\nKeep-Alive: timeout=15\r\n\r\n";

/// The client's upgrade request. `Debug` hides the cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct UpgradeRequest {
    /// Gateway host name.
    pub host: String,
    /// Gateway port (443 is left out of `Host`).
    pub port: u16,
    /// The path of the server URL, without the leading `/`.
    pub path: String,
    /// `User-Agent` value.
    pub user_agent: String,
    /// The DSID cookie to put in a `Cookie` header, if any.
    pub dsid: Option<Secret>,
}

impl core::fmt::Debug for UpgradeRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UpgradeRequest")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("path", &self.path)
            .field("dsid", &self.dsid)
            .finish_non_exhaustive()
    }
}

impl UpgradeRequest {
    fn host_header(&self) -> String {
        let bracket = self.host.contains(':') && !self.host.starts_with('[');
        let host = if bracket {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 443 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The request bytes in OpenConnect 9.01's header order (§2.1).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = format!(
            "GET /{} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\n",
            self.path.trim_start_matches('/'),
            self.host_header(),
            self.user_agent
        );
        if let Some(d) = &self.dsid {
            s.push_str(&format!("Cookie: DSID={}\r\n", d.expose()));
        }
        s.push_str("Content-Type: EAP\r\nUpgrade: IF-T/TLS 1.0\r\nContent-Length: 0\r\n\r\n");
        s.into_bytes()
    }

    /// The HTTP logout request (oNCP's, without `NCP-Version`), for when
    /// the tunnel connection is gone; `None` without a cookie.
    pub fn logout_bytes(&self) -> Option<Vec<u8>> {
        let d = self.dsid.as_ref()?;
        Some(
            format!(
                "GET {LOGOUT_PATH} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nCookie: DSID={}\r\n\r\n",
                self.host_header(),
                self.user_agent,
                d.expose()
            )
            .into_bytes(),
        )
    }
}

/// Whether a request head asks for the IF-T/TLS upgrade (a `GET` with
/// `Upgrade: IF-T/TLS…`), as a gateway tells Pulse from oNCP (§2.3).
pub fn is_upgrade_request(head: &RequestHead) -> bool {
    head.method == "GET"
        && head
            .header("upgrade")
            .is_some_and(|u| u.trim().to_ascii_uppercase().starts_with("IF-T/TLS"))
}
