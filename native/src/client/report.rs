//! Human-readable lines about the session: the negotiated configuration
//! and the periodic status, from the protocol-neutral configuration.

use oncp_core::esp::{Cipher, Integrity};
use oncp_core::tunnel::{SessionStats, Transport, TunnelConfig};
use std::fmt::Display;

/// The name of a transport as users see it.
pub fn transport_name(t: Transport) -> &'static str {
    match t {
        Transport::Esp => "ESP",
        Transport::Tls => "TLS",
    }
}

/// The one-line status: transport, packets and bytes each way.
pub fn status_line(t: Transport, s: &SessionStats) -> String {
    format!(
        "transport {}; out {} packets {} bytes (ESP {}, TLS {}); in {} packets {} bytes (ESP {}, TLS {}); ESP dropped {}",
        transport_name(t),
        s.esp_packets_out + s.tls_packets_out,
        s.esp_bytes_out + s.tls_bytes_out,
        s.esp_packets_out,
        s.tls_packets_out,
        s.esp_packets_in + s.tls_packets_in,
        s.esp_bytes_in + s.tls_bytes_in,
        s.esp_packets_in,
        s.tls_packets_in,
        s.esp_dropped,
    )
}

fn joined<T: Display>(items: impl IntoIterator<Item = T>, sep: &str) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(sep)
}

fn routes(c: &TunnelConfig, include: bool) -> Vec<String> {
    let (v4, v6) = if include {
        (&c.include_v4, &c.include_v6)
    } else {
        (&c.exclude_v4, &c.exclude_v6)
    };
    let v4 = v4.iter().map(|p| format!("{}/{}", p.addr, p.len));
    v4.chain(v6.iter().map(|p| format!("{}/{}", p.addr, p.len)))
        .collect()
}

/// The configuration, one setting per line (DNS included: without a
/// vpnc-script nobody else tells the user about it).
pub fn describe_config(c: &TunnelConfig, mtu: Option<u32>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = c.ipv4 {
        match a.prefix_len {
            Some(len) => out.push(format!(
                "address {} netmask {}",
                a.addr,
                oncp_core::tunnel::Prefix { addr: a.addr, len }.netmask()
            )),
            None => out.push(format!("address {}", a.addr)),
        }
    }
    if let Some(a) = c.ipv6 {
        match a.prefix_len {
            Some(len) => out.push(format!("IPv6 address {}/{len}", a.addr)),
            None => out.push(format!("IPv6 address {}", a.addr)),
        }
    }
    if let Some(m) = mtu.or(c.mtu) {
        out.push(format!("MTU {m}"));
    }
    if !c.dns.is_empty() {
        out.push(format!("DNS {}", joined(&c.dns, " ")));
    }
    if !c.search_domains.is_empty() {
        out.push(format!("search domain {}", c.search_domains.join(" ")));
    }
    if !c.wins.is_empty() {
        out.push(format!("WINS {}", joined(&c.wins, " ")));
    }
    let include = routes(c, true);
    if include.is_empty() {
        out.push("routes: all traffic".into());
    } else {
        out.push(format!("routes: {}", include.join(", ")));
    }
    let exclude = routes(c, false);
    if !exclude.is_empty() {
        out.push(format!("excluded: {}", exclude.join(", ")));
    }
    let e = &c.esp;
    match (e.port, e.cipher, e.integrity) {
        (Some(p), Some(cipher), Some(mac)) => out.push(format!(
            "ESP: UDP port {p}, {} + {}{}{}",
            Cipher::from_code(cipher)
                .map(|c| c.name().to_string())
                .unwrap_or_else(|_| format!("cipher {}", cipher.0)),
            Integrity::from_code(mac)
                .map(|m| m.name().to_string())
                .unwrap_or_else(|_| format!("MAC {}", mac.0)),
            if e.compression {
                ", LZO compression"
            } else {
                ""
            },
            e.lifetime_secs
                .map(|s| format!(", rekey every {s} s"))
                .unwrap_or_default(),
        )),
        _ => out.push("ESP: not offered".into()),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncp_core::esp::{CipherCode, MacCode};
    use oncp_core::tunnel::{EspConfig, IfAddr, Prefix};

    #[test]
    fn status_line_sums_both_transports() {
        let s = SessionStats {
            esp_packets_out: 3,
            esp_bytes_out: 300,
            tls_packets_out: 1,
            tls_bytes_out: 84,
            esp_packets_in: 2,
            esp_bytes_in: 200,
            ..Default::default()
        };
        assert_eq!(
            status_line(Transport::Esp, &s),
            "transport ESP; out 4 packets 384 bytes (ESP 3, TLS 1); in 2 packets 200 bytes (ESP 2, TLS 0); ESP dropped 0"
        );
    }

    #[test]
    fn config_lines_name_every_setting() {
        let c = TunnelConfig {
            ipv4: Some(IfAddr {
                addr: "10.0.0.2".parse().unwrap(),
                prefix_len: Some(24),
            }),
            dns: vec!["10.0.0.1".parse().unwrap()],
            search_domains: vec!["corp".into()],
            include_v4: vec![Prefix {
                addr: "10.1.0.0".parse().unwrap(),
                len: 16,
            }],
            exclude_v4: vec![Prefix {
                addr: "10.1.9.0".parse().unwrap(),
                len: 24,
            }],
            mtu: Some(1400),
            esp: EspConfig {
                port: Some(4500),
                cipher: Some(CipherCode::AES128_CBC),
                integrity: Some(MacCode::HMAC_SHA1_96),
                compression: true,
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            describe_config(&c, None),
            [
                "address 10.0.0.2 netmask 255.255.255.0",
                "MTU 1400",
                "DNS 10.0.0.1",
                "search domain corp",
                "routes: 10.1.0.0/16",
                "excluded: 10.1.9.0/24",
                "ESP: UDP port 4500, AES-128-CBC + HMAC-SHA1-96, LZO compression",
            ]
        );
        let bare = TunnelConfig::default();
        assert_eq!(
            describe_config(&bare, Some(1300)),
            ["MTU 1300", "routes: all traffic", "ESP: not offered"]
        );
        let odd = TunnelConfig {
            esp: EspConfig {
                port: Some(1),
                cipher: Some(CipherCode(9)),
                integrity: Some(MacCode(3)),
                lifetime_secs: Some(60),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            describe_config(&odd, None).last().unwrap(),
            "ESP: UDP port 1, cipher 9 + MAC 3, rekey every 60 s"
        );
    }
}
