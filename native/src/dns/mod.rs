//! The tunnel's DNS without a vpnc-script: systemd-resolved over D-Bus
//! (per-link servers and domains), else `resolvconf`, else
//! `/etc/resolv.conf` rewritten with a backup. Every change is recorded
//! under `/run/oncp/` (see [`crate::runstate`]) before it is made, so it
//! is undone on exit and, after a crash, by the next `oncp connect` or
//! `oncp cleanup`. Failures are warnings: the tunnel stays usable.
//!
//! The input is this module's own [`DnsConfig`], independent of the
//! protocol's configuration types.

pub mod file;
pub mod resolvconf;
pub mod resolved;
pub mod setup;

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// What the tunnel asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DnsConfig {
    /// Name servers, IPv4 and IPv6.
    pub servers: Vec<IpAddr>,
    /// Search domains (`corp.example`), without a leading `~`.
    pub search: Vec<String>,
    /// Whether everything goes through the tunnel (the VPN's servers
    /// answer every name) rather than only the split-include networks.
    pub full_tunnel: bool,
}

impl DnsConfig {
    /// Whether there is anything to set.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }
}

/// `--dns`: how oncp sets DNS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DnsMode {
    /// systemd-resolved if it answers on the system bus, else
    /// resolvconf if installed, else /etc/resolv.conf.
    #[default]
    Auto,
    /// systemd-resolved over D-Bus only.
    Resolved,
    /// The `resolvconf` program only.
    Resolvconf,
    /// Rewrite /etc/resolv.conf (backup kept, restored on exit).
    File,
    /// Leave DNS alone (print what the gateway sent).
    None,
}

/// What was changed, enough to undo it (also after a crash: it is
/// stored in the state file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "lowercase")]
pub enum DnsChange {
    /// systemd-resolved holds per-link settings for this interface.
    Resolved {
        /// The link's index when set.
        ifindex: u32,
        /// The link's name (an index is only reverted while it still
        /// names this link).
        ifname: String,
    },
    /// `resolvconf -a RECORD` was run.
    Resolvconf {
        /// The record name (`-d RECORD` removes it).
        record: String,
    },
    /// The resolver file was rewritten.
    File(file::FileChange),
}

impl DnsChange {
    /// Undoes the change; a warning for whatever could not be undone.
    pub async fn revert(&self) -> Result<String, String> {
        match self {
            DnsChange::Resolved { ifindex, ifname } => resolved::revert(*ifindex, ifname).await,
            DnsChange::Resolvconf { record } => resolvconf::revert(record).await,
            DnsChange::File(f) => f.restore(),
        }
    }
}

/// The index of network interface `ifname` (from sysfs), if it exists.
pub fn ifindex_of(ifname: &str) -> Option<u32> {
    if ifname.is_empty() || ifname.contains('/') || ifname.starts_with('.') {
        return None;
    }
    std::fs::read_to_string(format!("/sys/class/net/{ifname}/ifindex"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Where a DNS method tells what it is about to change, before changing
/// it (the crash-safety record under `/run/oncp/`).
pub trait Journal: Send {
    /// Records `change` durably; an error stops the method from changing
    /// anything.
    fn before(&mut self, change: &DnsChange) -> std::io::Result<()>;
    /// The change is undone or was never made.
    fn cleared(&mut self);
}

/// The one line that says what `--dns none` (or no method) leaves alone.
pub fn describe_unset(cfg: &DnsConfig) -> String {
    format!("DNS left unchanged (--dns none): {}", describe(cfg))
}

/// Servers and domains, for messages.
pub fn describe(cfg: &DnsConfig) -> String {
    let servers: Vec<String> = cfg.servers.iter().map(ToString::to_string).collect();
    let mut s = format!("servers {}", servers.join(" "));
    if !cfg.search.is_empty() {
        s.push_str(&format!(", domains {}", cfg.search.join(" ")));
    }
    s
}

/// Whether `name` is a DNS name we can hand to a resolver (letters,
/// digits, `-`, `_` and dots; no spaces or control characters that could
/// break a resolv.conf line).
pub fn valid_domain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !name.starts_with('.')
        && !name.contains("..")
}

/// The configuration with unusable domains dropped (each with a warning).
pub fn sanitized(mut cfg: DnsConfig) -> DnsConfig {
    cfg.search.retain(|d| {
        let ok = valid_domain(d);
        if !ok {
            tracing::warn!("ignoring search domain {d:?} from the gateway: not a DNS name");
        }
        ok
    });
    cfg.search.dedup();
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_that_could_break_a_resolver_file_are_refused() {
        assert!(valid_domain("corp.example"));
        assert!(valid_domain("a-b_c.example."));
        for bad in ["", "a b", "a\nnameserver 1.2.3.4", ".x", "a..b", "x;y"] {
            assert!(!valid_domain(bad), "{bad:?}");
        }
        let cfg = sanitized(DnsConfig {
            servers: vec!["10.0.0.1".parse().unwrap()],
            search: vec!["ok.example".into(), "bad\nline".into(), "ok.example".into()],
            full_tunnel: false,
        });
        assert_eq!(cfg.search, vec!["ok.example".to_string()]);
    }

    #[test]
    fn the_change_record_round_trips_through_json() {
        let c = DnsChange::Resolved {
            ifindex: 7,
            ifname: "tun0".into(),
        };
        let j = serde_json::to_string(&c).unwrap();
        assert_eq!(j, r#"{"method":"resolved","ifindex":7,"ifname":"tun0"}"#);
        assert_eq!(serde_json::from_str::<DnsChange>(&j).unwrap(), c);
    }
}
