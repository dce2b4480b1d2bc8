//! Names and value renderings of the oNCP configuration TLVs
//! (spec/oncp.md §4.2, §5, §6), for fields people read.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

/// The name of TLV `group`/`attr`, when it is known.
pub(crate) const fn name(group: u16, attr: u16) -> Option<&'static str> {
    Some(match (group, attr) {
        (1, 1) => "address",
        (1, 2) => "netmask",
        (1, 3) => "internal gateway",
        (2, 1) => "DNS server",
        (2, 2) => "search domain",
        (3, 3) => "split include",
        (3, 4) => "split exclude",
        (4, 1) => "WINS server",
        (6, 1) => "ESP on/off",
        (6, 2) => "MTU",
        (7, 1) => "ESP SPI",
        (7, 2) => "ESP secrets",
        (8, 1) => "ESP cipher",
        (8, 2) => "ESP HMAC",
        (8, 3) => "compression",
        (8, 4) => "ESP port",
        (8, 5) => "key lifetime (bytes)",
        (8, 6) => "key lifetime (seconds)",
        (8, 9) => "ESP to SSL fallback (seconds)",
        (8, 10) => "replay protection",
        _ => return None,
    })
}

/// `G/A name` for a field.
pub(crate) fn label(group: u16, attr: u16) -> String {
    match name(group, attr) {
        Some(n) => format!("{group}/{attr} {n}"),
        None => format!("{group}/{attr} (unknown)"),
    }
}

/// The bytes as lowercase hex pairs separated by spaces.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn ip(v: &[u8]) -> Option<Ipv4Addr> {
    let b: [u8; 4] = v.try_into().ok()?;
    Some(Ipv4Addr::from(b))
}

fn be32(v: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(v.try_into().ok()?))
}

/// A route's text: `10.0.0.0/8`, or `addr/mask` for a mask that is not
/// a prefix.
pub(crate) fn route_text(addr: Ipv4Addr, mask: Ipv4Addr) -> String {
    let m = u32::from(mask);
    let ones = m.leading_ones();
    if m.checked_shl(ones).unwrap_or(0) == 0 {
        format!("{addr}/{ones}")
    } else {
        format!("{addr}/{mask}")
    }
}

/// The value of TLV `group`/`attr` as text, and a note when its length is
/// not the one the TLV must have. Secrets are shown only with `show`.
pub(crate) fn value(group: u16, attr: u16, v: &[u8], show: bool) -> (String, Option<String>) {
    let wrong = |expected: usize| {
        (
            hex(v),
            Some(format!(
                "length {} but {group}/{attr} must have {expected}: OpenConnect rejects the whole message",
                v.len()
            )),
        )
    };
    match (group, attr) {
        (1, 1..=3) | (2, 1) | (4, 1) => match ip(v) {
            Some(a) => (format!("{a}"), None),
            None => wrong(4),
        },
        (2, 2) => (format!("{:?}", String::from_utf8_lossy(v)), None),
        (3, 3) | (3, 4) => {
            if v.len() != 8 {
                return wrong(8);
            }
            let (a, m) = (ip(&v[..4]), ip(&v[4..]));
            match (a, m) {
                (Some(a), Some(m)) => (route_text(a, m), None),
                _ => wrong(8),
            }
        }
        (6, 1) | (8, 1) | (8, 2) | (8, 3) => {
            if v.len() != 1 {
                return wrong(1);
            }
            let b = v[0];
            let text = match (group, attr, b) {
                (6, 1, 0) => String::from("0 (disable)"),
                (6, 1, 1) => String::from("1 (enable)"),
                (8, 1, 2) => String::from("2 (AES-128-CBC)"),
                (8, 1, 5) => String::from("5 (AES-256-CBC)"),
                (8, 2, 1) => String::from("1 (HMAC-MD5-96)"),
                (8, 2, 2) => String::from("2 (HMAC-SHA1-96)"),
                (8, 2, 3) => String::from("3 (HMAC-SHA-256-128, Pulse only)"),
                (8, 3, 0) => String::from("0 (off)"),
                (8, 3, _) => format!("{b} (LZO)"),
                _ => format!("{b} (unknown)"),
            };
            (text, None)
        }
        (8, 4) => match <[u8; 2]>::try_from(v) {
            Ok(p) => (format!("{}", u16::from_be_bytes(p)), None),
            Err(_) => wrong(2),
        },
        (6, 2) | (8, 5) | (8, 6) | (8, 9) | (8, 10) => match be32(v) {
            Some(n) => (format!("{n}"), None),
            None => wrong(4),
        },
        (7, 1) => match be32(v) {
            Some(n) => (format!("{n:#010x}"), None),
            None => wrong(4),
        },
        (7, 2) => {
            let text = if show {
                hex(v)
            } else {
                format!("<{} bytes redacted>", v.len())
            };
            if v.len() == 64 {
                (text, None)
            } else {
                (text, wrong(64).1)
            }
        }
        _ => {
            let mut text = hex(&v[..v.len().min(64)]);
            if v.len() > 64 {
                text.push_str(&format!(" … ({} bytes)", v.len()));
            }
            let printable: Vec<u8> = v
                .iter()
                .copied()
                .filter(|b| (0x20..0x7f).contains(b))
                .collect();
            let note = if !v.is_empty() && printable.len() == v.len() {
                Some(format!(
                    "unknown TLV, kept raw; as text: {:?}",
                    String::from_utf8_lossy(v)
                ))
            } else {
                Some(String::from("unknown TLV, kept raw"))
            };
            (text, note)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(value(1, 1, &[10, 0, 0, 2], false).0, "10.0.0.2");
        assert_eq!(value(3, 3, &[0, 0, 0, 0, 0, 0, 0, 0], false).0, "0.0.0.0/0");
        assert_eq!(
            value(3, 3, &[10, 0, 0, 0, 255, 0, 255, 0], false).0,
            "10.0.0.0/255.0.255.0"
        );
        assert!(
            value(3, 3, &[1, 2, 3], false)
                .1
                .unwrap()
                .contains("must have 8")
        );
        assert_eq!(value(7, 2, &[0; 64], false).0, "<64 bytes redacted>");
        assert_eq!(value(7, 2, &[0xab; 64], true).0.len(), 64 * 3 - 1);
        assert_eq!(value(8, 4, &[0x11, 0x94], false).0, "4500");
        assert!(value(9, 9, b"abc", false).1.unwrap().contains("\"abc\""));
        assert_eq!(label(3, 3), "3/3 split include");
        assert_eq!(label(3, 2), "3/2 (unknown)");
    }
}
