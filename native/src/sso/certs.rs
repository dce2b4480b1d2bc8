//! The gateway certificate rule in the browser, the same as the tunnel's.
//!
//! Before the browser starts, oncp connects to the gateway with the
//! tunnel's own TLS settings (system trust, `--cafile`, `--servercert`
//! pins). A certificate that rule refuses fails the sign-in there, before
//! any page is loaded. When the rule is `--cafile` or a pin — which the
//! browser does not know — the browser is told to accept exactly the key
//! of the certificate just checked (Chromium's SPKI allow-list, the
//! SHA-256 of the SubjectPublicKeyInfo in base64, which is what
//! `pin-sha256:` pins hold); with system trust alone the browser checks
//! the certificate itself.

use crate::tls::client::{TlsClient, TlsOptions};

/// What the browser is to accept for the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserTrust {
    /// Its own (system) trust.
    System,
    /// Also this key (base64 SHA-256 of the SubjectPublicKeyInfo).
    Spki(String),
}

impl BrowserTrust {
    /// The browser command-line switches (name without `--`, value) for
    /// this rule.
    pub fn args(&self) -> Vec<(String, String)> {
        match self {
            BrowserTrust::System => Vec::new(),
            BrowserTrust::Spki(hash) => {
                vec![("ignore-certificate-errors-spki-list".into(), hash.clone())]
            }
        }
    }
}

/// Checks the gateway's certificate with the tunnel's rule and returns
/// the browser's.
pub async fn check_gateway(
    tls: &TlsClient,
    opts: &TlsOptions,
    host: &str,
    port: u16,
) -> anyhow::Result<BrowserTrust> {
    let stream = tls.connect(host, port).await?;
    drop(stream);
    if opts.pins.is_empty() && opts.cafile.is_none() {
        return Ok(BrowserTrust::System);
    }
    let pin = tls
        .last_pin()
        .ok_or_else(|| anyhow::anyhow!("the gateway's certificate was not recorded"))?;
    let hash = pin
        .strip_prefix("pin-sha256:")
        .ok_or_else(|| anyhow::anyhow!("unexpected certificate pin form {pin:?}"))?;
    Ok(BrowserTrust::Spki(hash.to_string()))
}

/// Chromium's `--host-resolver-rules` switch (name, value) for
/// `--resolve HOST:IP`.
pub fn resolve_args(resolve: &[(String, std::net::IpAddr)]) -> Vec<(String, String)> {
    if resolve.is_empty() {
        return Vec::new();
    }
    let rules: Vec<String> = resolve
        .iter()
        .map(|(h, ip)| match ip {
            std::net::IpAddr::V6(v6) => format!("MAP {h} [{v6}]"),
            std::net::IpAddr::V4(v4) => format!("MAP {h} {v4}"),
        })
        .collect();
    vec![("host-resolver-rules".into(), rules.join(","))]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_arguments() {
        assert!(BrowserTrust::System.args().is_empty());
        assert_eq!(
            BrowserTrust::Spki("AAA=".into()).args(),
            [(
                "ignore-certificate-errors-spki-list".to_string(),
                "AAA=".to_string()
            )]
        );
        let r = vec![
            ("vpn.example".to_string(), "192.0.2.1".parse().unwrap()),
            ("v6.example".to_string(), "2001:db8::1".parse().unwrap()),
        ];
        assert_eq!(
            resolve_args(&r),
            [(
                "host-resolver-rules".to_string(),
                "MAP vpn.example 192.0.2.1,MAP v6.example [2001:db8::1]".to_string()
            )]
        );
        assert!(resolve_args(&[]).is_empty());
    }
}
