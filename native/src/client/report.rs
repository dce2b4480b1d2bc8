//! Human-readable lines about the session: the negotiated configuration
//! and the periodic status.

use oncp_core::oncp::session::{SessionStats, Transport};
use oncp_core::oncp::wire::config::{CipherCode, ConfigValues, MacCode, Route};

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

fn cipher_name(c: CipherCode) -> String {
    match c {
        CipherCode::AES128_CBC => "AES-128-CBC".into(),
        CipherCode::AES256_CBC => "AES-256-CBC".into(),
        CipherCode(other) => format!("cipher {other}"),
    }
}

fn mac_name(m: MacCode) -> String {
    match m {
        MacCode::HMAC_MD5_96 => "HMAC-MD5-96".into(),
        MacCode::HMAC_SHA1_96 => "HMAC-SHA1-96".into(),
        MacCode(other) => format!("MAC {other}"),
    }
}

fn routes(rs: &[Route]) -> String {
    rs.iter()
        .map(|r| match r.prefix_len() {
            Some(l) => format!("{}/{l}", r.addr),
            None => format!("{}/{}", r.addr, r.mask),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The configuration, one setting per line (DNS included: without a
/// vpnc-script nobody else tells the user about it).
pub fn describe_config(v: &ConfigValues, mtu: Option<u32>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = v.address {
        match v.netmask {
            Some(m) => out.push(format!("address {a} netmask {m}")),
            None => out.push(format!("address {a}")),
        }
    }
    if let Some(m) = mtu.or(v.mtu) {
        out.push(format!("MTU {m}"));
    }
    if !v.dns.is_empty() {
        let d: Vec<String> = v.dns.iter().map(ToString::to_string).collect();
        out.push(format!("DNS {}", d.join(" ")));
    }
    if let Some(d) = &v.search_domain {
        out.push(format!("search domain {d}"));
    }
    if !v.wins.is_empty() {
        let w: Vec<String> = v.wins.iter().map(ToString::to_string).collect();
        out.push(format!("WINS {}", w.join(" ")));
    }
    if v.split_include.is_empty() {
        out.push("routes: all traffic".into());
    } else {
        out.push(format!("routes: {}", routes(&v.split_include)));
    }
    if !v.split_exclude.is_empty() {
        out.push(format!("excluded: {}", routes(&v.split_exclude)));
    }
    let e = &v.esp;
    match (e.port, e.cipher, e.mac) {
        (Some(p), Some(c), Some(m)) => out.push(format!(
            "ESP: UDP port {p}, {} + {}{}{}",
            cipher_name(c),
            mac_name(m),
            if e.compression == Some(true) {
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
    use oncp_core::oncp::wire::config::EspSettings;

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
        let v = ConfigValues {
            address: Some("10.0.0.2".parse().unwrap()),
            netmask: Some("255.255.255.0".parse().unwrap()),
            dns: vec!["10.0.0.1".parse().unwrap()],
            search_domain: Some("corp".into()),
            split_include: vec![Route {
                addr: "10.1.0.0".parse().unwrap(),
                mask: "255.255.0.0".parse().unwrap(),
            }],
            mtu: Some(1400),
            esp: EspSettings {
                port: Some(4500),
                cipher: Some(CipherCode::AES128_CBC),
                mac: Some(MacCode::HMAC_SHA1_96),
                compression: Some(true),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            describe_config(&v, None),
            [
                "address 10.0.0.2 netmask 255.255.255.0",
                "MTU 1400",
                "DNS 10.0.0.1",
                "search domain corp",
                "routes: 10.1.0.0/16",
                "ESP: UDP port 4500, AES-128-CBC + HMAC-SHA1-96, LZO compression",
            ]
        );
        let bare = ConfigValues::default();
        assert_eq!(
            describe_config(&bare, Some(1300)),
            ["MTU 1300", "routes: all traffic", "ESP: not offered"]
        );
    }
}
