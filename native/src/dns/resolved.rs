//! systemd-resolved's `org.freedesktop.resolve1.Manager` on the system
//! bus: per-link DNS servers (IPv4 and IPv6), domains, and whether the
//! link is a default DNS route. A split tunnel gets its domains as
//! routing-only (`~corp.example`: only names under them go to the VPN's
//! servers, the host's search list is untouched) and is no default route;
//! a full tunnel gets them as search domains plus `~.` and is the default
//! route (as is a split tunnel without domains, whose servers would
//! otherwise get no queries). `RevertLink` undoes it all.

use super::DnsConfig;

/// The resolve1 manager's methods that oncp calls.
#[zbus::proxy(
    interface = "org.freedesktop.resolve1.Manager",
    default_service = "org.freedesktop.resolve1",
    default_path = "/org/freedesktop/resolve1",
    gen_blocking = false
)]
pub trait Resolve1Manager {
    /// Sets the link's DNS servers: (address family, address bytes).
    #[zbus(name = "SetLinkDNS")]
    fn set_link_dns(&self, ifindex: i32, addresses: &[(i32, Vec<u8>)]) -> zbus::Result<()>;
    /// Sets the link's domains: (domain, routing only).
    #[zbus(name = "SetLinkDomains")]
    fn set_link_domains(&self, ifindex: i32, domains: &[(&str, bool)]) -> zbus::Result<()>;
    /// Whether the link is used for names no link's domain matches.
    #[zbus(name = "SetLinkDefaultRoute")]
    fn set_link_default_route(&self, ifindex: i32, enable: bool) -> zbus::Result<()>;
    /// Drops every per-link setting made over D-Bus.
    #[zbus(name = "RevertLink")]
    fn revert_link(&self, ifindex: i32) -> zbus::Result<()>;
}

/// The well-known bus name of systemd-resolved.
pub const SERVICE: &str = "org.freedesktop.resolve1";
/// Linux's address family numbers, as resolve1 takes them.
const AF_INET: i32 = 2;
const AF_INET6: i32 = 10;

/// The (family, bytes) pairs of `SetLinkDNS`.
pub fn addresses(cfg: &DnsConfig) -> Vec<(i32, Vec<u8>)> {
    cfg.servers
        .iter()
        .map(|a| match a {
            std::net::IpAddr::V4(v4) => (AF_INET, v4.octets().to_vec()),
            std::net::IpAddr::V6(v6) => (AF_INET6, v6.octets().to_vec()),
        })
        .collect()
}

/// The (domain, routing-only) pairs of `SetLinkDomains`.
pub fn domains(cfg: &DnsConfig) -> Vec<(String, bool)> {
    let mut v: Vec<(String, bool)> = cfg
        .search
        .iter()
        .map(|d| (d.trim_end_matches('.').to_string(), !cfg.full_tunnel))
        .collect();
    if cfg.full_tunnel {
        v.push((".".into(), true));
    }
    v
}

/// Whether the link answers names no link's domain matches: for a full
/// tunnel, and for a split tunnel without domains (its servers would
/// otherwise get no queries at all).
pub fn default_route(cfg: &DnsConfig) -> bool {
    cfg.full_tunnel || cfg.search.is_empty()
}

/// The system bus, if it can be reached and systemd-resolved is on it.
pub async fn manager() -> Result<Resolve1ManagerProxy<'static>, String> {
    let conn = zbus::Connection::system()
        .await
        .map_err(|e| format!("the system D-Bus cannot be reached: {e}"))?;
    let dbus = zbus::fdo::DBusProxy::new(&conn)
        .await
        .map_err(|e| format!("D-Bus: {e}"))?;
    let name = zbus::names::BusName::try_from(SERVICE).map_err(|e| e.to_string())?;
    let owned = dbus
        .name_has_owner(name)
        .await
        .map_err(|e| format!("D-Bus: {e}"))?;
    if !owned {
        return Err(
            "systemd-resolved is not running (no org.freedesktop.resolve1 on the system bus)"
                .into(),
        );
    }
    Resolve1ManagerProxy::new(&conn)
        .await
        .map_err(|e| format!("D-Bus: {e}"))
}

/// Sets the link's servers, domains and default-route flag.
pub async fn set(
    m: &Resolve1ManagerProxy<'_>,
    ifindex: u32,
    cfg: &DnsConfig,
) -> Result<(), String> {
    let idx = i32::try_from(ifindex).map_err(|_| format!("interface index {ifindex}"))?;
    m.set_link_dns(idx, &addresses(cfg))
        .await
        .map_err(|e| format!("systemd-resolved refused SetLinkDNS: {e}"))?;
    let doms = domains(cfg);
    let doms: Vec<(&str, bool)> = doms.iter().map(|(d, r)| (d.as_str(), *r)).collect();
    m.set_link_domains(idx, &doms)
        .await
        .map_err(|e| format!("systemd-resolved refused SetLinkDomains: {e}"))?;
    m.set_link_default_route(idx, default_route(cfg))
        .await
        .map_err(|e| format!("systemd-resolved refused SetLinkDefaultRoute: {e}"))?;
    Ok(())
}

/// What the set-up line says about the domains.
pub fn describe_domains(cfg: &DnsConfig) -> String {
    let doms: Vec<String> = domains(cfg)
        .into_iter()
        .map(|(d, routing)| if routing { format!("~{d}") } else { d })
        .collect();
    if cfg.full_tunnel {
        format!(
            "domains {} (full tunnel: default DNS route)",
            doms.join(" ")
        )
    } else if doms.is_empty() {
        "no domains (split tunnel without domains: default DNS route)".into()
    } else {
        format!(
            "routing-only domains {} (split tunnel: only those names use these servers)",
            doms.join(" ")
        )
    }
}

/// `RevertLink` for the link, if `ifindex` still names `ifname` (after a
/// crash the TUN device is gone and resolved has already forgotten it).
pub async fn revert(ifindex: u32, ifname: &str) -> Result<String, String> {
    if super::ifindex_of(ifname) != Some(ifindex) {
        return Ok(format!(
            "systemd-resolved: link {ifname} (index {ifindex}) is gone, nothing to revert"
        ));
    }
    let m = manager().await?;
    let idx = i32::try_from(ifindex).map_err(|_| format!("interface index {ifindex}"))?;
    m.revert_link(idx)
        .await
        .map_err(|e| format!("systemd-resolved refused RevertLink for {ifname}: {e}"))?;
    Ok(format!("systemd-resolved: reverted link {ifname}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(full: bool) -> DnsConfig {
        DnsConfig {
            servers: vec!["10.0.0.53".parse().unwrap(), "fd00::53".parse().unwrap()],
            search: vec!["corp.example".into()],
            full_tunnel: full,
        }
    }

    #[test]
    fn both_families_are_sent_with_their_numbers() {
        let a = addresses(&cfg(false));
        assert_eq!(a[0], (2, vec![10, 0, 0, 53]));
        assert_eq!(a[1].0, 10);
        assert_eq!(a[1].1.len(), 16);
        assert_eq!(a[1].1[0], 0xfd);
        assert_eq!(a[1].1[15], 0x53);
    }

    #[test]
    fn split_tunnels_get_routing_only_domains_and_full_ones_the_root() {
        assert_eq!(domains(&cfg(false)), vec![("corp.example".into(), true)]);
        assert_eq!(
            domains(&cfg(true)),
            vec![("corp.example".into(), false), (".".into(), true)]
        );
        assert!(describe_domains(&cfg(false)).contains("~corp.example"));
        assert!(describe_domains(&cfg(true)).contains("~."));
        assert!(!default_route(&cfg(false)));
        assert!(default_route(&cfg(true)));
        let mut bare = cfg(false);
        bare.search.clear();
        assert!(default_route(&bare));
    }
}
