//! Fast text for the fields every packet carries (addresses, numbers):
//! `core::fmt` for an `Ipv4Addr` costs more than decrypting a small ESP
//! packet, and a busy capture prints several per packet. The output is
//! exactly what `Display` prints.

use alloc::string::String;
use core::net::{IpAddr, SocketAddr};

/// `n` in decimal, written at the end of `digits`.
pub(crate) fn decimal(mut n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &digits[i..]
}

/// Appends `n` in decimal.
pub(crate) fn push_u64(out: &mut String, n: u64) {
    for &d in decimal(n, &mut [0; 20]) {
        out.push(char::from(d));
    }
}

/// `n` as `format!("{n:#010x}")` prints it: `0x` and 8 lowercase hex
/// digits.
pub(crate) fn hex32(n: u32) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(10);
    s.push_str("0x");
    for shift in (0..8).rev() {
        s.push(char::from(HEX[(n >> (shift * 4)) as usize & 0xf]));
    }
    s
}

/// Appends `ip` as `Display` prints it (dotted quad for IPv4).
pub(crate) fn push_ip(out: &mut String, ip: &IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_u64(out, octet.into());
            }
        }
        IpAddr::V6(v6) => {
            use core::fmt::Write;
            let _ = write!(out, "{v6}");
        }
    }
}

/// `ip` as `Display` prints it.
pub(crate) fn ip(ip: &IpAddr) -> String {
    let mut s = String::with_capacity(15);
    push_ip(&mut s, ip);
    s
}

/// Appends `addr` as `Display` prints it (`[v6]:port` for IPv6).
pub(crate) fn push_socket(out: &mut String, addr: &SocketAddr) {
    match addr {
        SocketAddr::V4(_) => push_ip(out, &addr.ip()),
        SocketAddr::V6(v6) => {
            use core::fmt::Write;
            let _ = write!(out, "[{}]", v6.ip());
        }
    }
    out.push(':');
    push_u64(out, addr.port().into());
}

/// `addr` as `Display` prints it.
pub(crate) fn socket(addr: &SocketAddr) -> String {
    let mut s = String::with_capacity(21);
    push_socket(&mut s, addr);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;

    #[test]
    fn same_text_as_display() {
        for n in [0u64, 7, 10, 255, 65_535, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
        for a in [
            "0.0.0.0",
            "10.77.0.2",
            "255.255.255.255",
            "192.168.1.10",
            "::1",
            "fe80::8b8:d353:25d9:169e",
        ] {
            let addr: IpAddr = a.parse().unwrap();
            assert_eq!(ip(&addr), format!("{addr}"));
        }
        for n in [0u32, 7, 0x35381382, 0xdeadbeef, u32::MAX] {
            assert_eq!(hex32(n), format!("{n:#010x}"));
        }
        for a in ["10.0.0.1:4500", "1.2.3.4:0", "[::1]:443", "[fe80::1]:65535"] {
            let addr: SocketAddr = a.parse().unwrap();
            assert_eq!(socket(&addr), format!("{addr}"));
        }
    }
}
