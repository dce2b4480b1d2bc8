//! Settings of client and gateway sessions.

use alloc::string::String;

use crate::esp::{Cipher, Integrity};
use crate::oncp::wire::ConfigValues;
use crate::time::Duration;
use crate::tunnel::TunnelConfig;

/// How a [`super::ClientSession`] connects. The cookie is a credential:
/// `Debug` shows only its length and it is wiped from memory on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Gateway host name (for the `Host` header).
    pub host: String,
    /// Gateway TCP port.
    pub port: u16,
    /// The `Cookie` header value, e.g. `DSID=…` (see
    /// [`crate::oncp::wire::http::normalize_cookie`]).
    pub cookie: String,
    /// User agent string.
    pub user_agent: String,
    /// Host name sent in the hostname packet.
    pub local_hostname: String,
    /// Use ESP when the gateway offers it (`--no-dtls` turns it off).
    pub esp: bool,
    /// LZO-compress packets we send over ESP when the gateway enabled
    /// compression (OpenConnect never does; off by default).
    pub compress_outbound: bool,
    /// Overrides the ESP dead-peer-detection interval (TLV 8/9).
    pub force_dpd: Option<Duration>,
}

impl ClientOptions {
    /// Options with OpenConnect 9.01's defaults for `host` and `cookie`.
    pub fn new(host: &str, cookie: &str) -> Self {
        ClientOptions {
            host: host.into(),
            port: 443,
            cookie: cookie.into(),
            user_agent: crate::oncp::wire::http::OPENCONNECT_USER_AGENT.into(),
            local_hostname: "localhost".into(),
            esp: true,
            compress_outbound: false,
            force_dpd: None,
        }
    }
}

impl core::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("cookie", &format_args!("<{} bytes>", self.cookie.len()))
            .field("user_agent", &self.user_agent)
            .field("local_hostname", &self.local_hostname)
            .field("esp", &self.esp)
            .field("compress_outbound", &self.compress_outbound)
            .field("force_dpd", &self.force_dpd)
            .finish()
    }
}

impl Drop for ClientOptions {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.cookie);
    }
}

/// What a [`super::GatewaySession`] offers its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewaySessionConfig {
    /// The configuration sent in the 301: address, netmask, routes, DNS,
    /// WINS, domain, MTU, unknown TLVs. Its ESP settings are filled in by
    /// the session (SPI, keys, algorithms, port, compression, lifetime).
    pub values: ConfigValues,
    /// ESP encryption.
    pub cipher: Cipher,
    /// ESP integrity.
    pub integrity: Integrity,
    /// UDP port of our ESP endpoint; `None` disables ESP.
    pub esp_port: Option<u16>,
    /// LZO-compress what we send over ESP (TLV 8/3).
    pub compression: bool,
    /// Rekey this often (also announced as the 8/6 lifetime).
    pub rekey_after: Option<Duration>,
    /// The ESP-to-SSL fallback / DPD interval announced (8/9).
    pub dpd: Option<Duration>,
    /// Enforce the replay window (8/10).
    pub replay_protection: bool,
}

impl Default for GatewaySessionConfig {
    /// An empty configuration and no ESP (`esp_port` `None`; once a port
    /// is set: AES-128-CBC with HMAC-SHA1-96, no compression), no periodic
    /// rekey, no DPD interval announced, replay window enforced.
    fn default() -> Self {
        GatewaySessionConfig {
            values: ConfigValues::default(),
            cipher: Cipher::Aes128Cbc,
            integrity: Integrity::HmacSha1_96,
            esp_port: None,
            compression: false,
            rekey_after: None,
            dpd: None,
            replay_protection: true,
        }
    }
}

impl GatewaySessionConfig {
    /// The oNCP offer for a neutral configuration: its values through
    /// [`super::config_values`], its ESP part as the offer (no port, or an
    /// algorithm code oNCP cannot use: no ESP; no algorithms given:
    /// AES-128-CBC with HMAC-SHA1-96; replay protection unless refused).
    pub fn from_tunnel(t: &TunnelConfig) -> GatewaySessionConfig {
        let e = &t.esp;
        let cipher = e.cipher.map(Cipher::from_code).transpose();
        let integrity = e.integrity.map(Integrity::from_code).transpose();
        let (esp_port, cipher, integrity) = match (cipher, integrity) {
            (Ok(c), Ok(i)) => (
                e.port,
                c.unwrap_or(Cipher::Aes128Cbc),
                i.unwrap_or(Integrity::HmacSha1_96),
            ),
            _ => (None, Cipher::Aes128Cbc, Integrity::HmacSha1_96),
        };
        let secs = |s: Option<u32>| s.map(|s| Duration::from_secs(u64::from(s)));
        GatewaySessionConfig {
            values: super::config_values(t),
            cipher,
            integrity,
            esp_port,
            compression: e.compression,
            rekey_after: secs(e.lifetime_secs),
            dpd: secs(e.dpd_secs),
            replay_protection: e.replay_protection.unwrap_or(true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_cookie_length_only() {
        let opts = ClientOptions::new("vpn.example.com", "DSID=0123456789abcdef");
        let text = alloc::format!("{opts:?}");
        assert!(!text.contains("0123456789abcdef"), "{text}");
        assert!(text.contains("cookie: <21 bytes>"), "{text}");
        assert!(text.contains("vpn.example.com"), "{text}");
    }

    #[test]
    fn offer_from_a_neutral_configuration() {
        use crate::esp::{CipherCode, MacCode};
        use crate::tunnel::EspConfig;
        let mut t = TunnelConfig {
            mtu: Some(1300),
            esp: EspConfig {
                port: Some(4500),
                cipher: Some(CipherCode::AES256_CBC),
                integrity: Some(MacCode::HMAC_MD5_96),
                compression: true,
                lifetime_secs: Some(60),
                dpd_secs: Some(5),
                replay_protection: Some(false),
                ..EspConfig::default()
            },
            ..TunnelConfig::default()
        };
        let g = GatewaySessionConfig::from_tunnel(&t);
        assert_eq!(g.values.mtu, Some(1300));
        assert_eq!(g.esp_port, Some(4500));
        assert_eq!(
            (g.cipher, g.integrity),
            (Cipher::Aes256Cbc, Integrity::HmacMd5_96)
        );
        assert!(g.compression && !g.replay_protection);
        assert_eq!(g.rekey_after, Some(Duration::from_secs(60)));
        assert_eq!(g.dpd, Some(Duration::from_secs(5)));
        t.esp.integrity = Some(MacCode::HMAC_SHA256_128);
        assert_eq!(GatewaySessionConfig::from_tunnel(&t).esp_port, None);
        t.esp = EspConfig::default();
        let d = GatewaySessionConfig::from_tunnel(&t);
        assert_eq!((d.esp_port, d.replay_protection), (None, true));
    }
}
