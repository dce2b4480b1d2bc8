//! Summaries of the IP packets carried inside the tunnel.

use alloc::string::String;

use super::text;
use crate::trace::event::{Event, Layer};
use crate::trace::net::ip::{self, protocol};

/// An `inner` event for one tunnelled IP packet; `via` says how it
/// travelled (`esp`, `esp+lzo`, `tls`).
pub(crate) fn summarize(packet: &[u8], via: &str) -> Event {
    let (h, payload) = match ip::parse(packet) {
        Ok(v) => v,
        Err(e) => {
            let mut ev = Event::from_error(Layer::Inner, e.into());
            ev.push("via", via);
            ev.push("length", packet.len());
            return ev;
        }
    };
    let ports = match h.protocol {
        protocol::TCP | protocol::UDP
            if payload.len() >= 4 && h.fragment.is_none_or(|f| f.offset == 0) =>
        {
            Some((
                u16::from_be_bytes([payload[0], payload[1]]),
                u16::from_be_bytes([payload[2], payload[3]]),
            ))
        }
        _ => None,
    };
    // "PROTO src[:port] -> dst[:port]", built without core::fmt (hot path).
    let mut summary = String::with_capacity(64);
    summary.push_str(protocol::name(h.protocol));
    summary.push(' ');
    text::push_ip(&mut summary, &h.src);
    if let Some((sp, _)) = ports {
        summary.push(':');
        text::push_u64(&mut summary, sp.into());
    }
    summary.push_str(" -> ");
    text::push_ip(&mut summary, &h.dst);
    if let Some((_, dp)) = ports {
        summary.push(':');
        text::push_u64(&mut summary, dp.into());
    }
    let mut e = Event::with_capacity(Layer::Inner, "", 12)
        .with("via", via)
        .with("version", h.version())
        .with("protocol", h.protocol)
        .with("src", text::ip(&h.src))
        .with("dst", text::ip(&h.dst))
        .with("length", packet.len());
    if let Some((sp, dp)) = ports {
        e.push("src_port", sp);
        e.push("dst_port", dp);
    }
    if let protocol::ICMP | protocol::ICMPV6 = h.protocol
        && payload.len() >= 2
    {
        let (t, code) = (payload[0], payload[1]);
        summary.push(' ');
        summary.push_str(icmp_name(h.protocol, t));
        e.push("icmp_type", t);
        e.push("icmp_code", code);
        if matches!(
            (h.protocol, t),
            (protocol::ICMP, 0 | 8) | (protocol::ICMPV6, 128 | 129)
        ) && payload.len() >= 8
        {
            let id = u16::from_be_bytes([payload[4], payload[5]]);
            let seq = u16::from_be_bytes([payload[6], payload[7]]);
            summary.push_str(" id=");
            text::push_u64(&mut summary, id.into());
            summary.push_str(" seq=");
            text::push_u64(&mut summary, seq.into());
            e.push("icmp_id", id);
            e.push("icmp_seq", seq);
        }
    }
    summary.push_str(" len=");
    text::push_u64(&mut summary, packet.len() as u64);
    e.summary = summary;
    e
}

fn icmp_name(proto: u8, t: u8) -> &'static str {
    match (proto, t) {
        (protocol::ICMP, 0) | (protocol::ICMPV6, 129) => "echo reply",
        (protocol::ICMP, 8) | (protocol::ICMPV6, 128) => "echo request",
        (protocol::ICMP, 3) | (protocol::ICMPV6, 1) => "destination unreachable",
        (protocol::ICMP, 11) | (protocol::ICMPV6, 3) => "time exceeded",
        (protocol::ICMPV6, 2) => "packet too big",
        (protocol::ICMPV6, 133) => "router solicitation",
        (protocol::ICMPV6, 134) => "router advertisement",
        (protocol::ICMPV6, 135) => "neighbor solicitation",
        (protocol::ICMPV6, 136) => "neighbor advertisement",
        _ => "message",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Value;

    #[test]
    fn icmp_echo_and_udp() {
        let mut icmp = alloc::vec![8, 0, 0, 0, 0x12, 0x34, 0, 7];
        icmp.extend_from_slice(b"payload");
        let p = ip::build::v4([10, 77, 0, 2], [10, 77, 0, 1], 1, 1, 0, &icmp);
        let e = summarize(&p, "esp");
        assert_eq!(
            e.summary,
            "ICMP 10.77.0.2 -> 10.77.0.1 echo request id=4660 seq=7 len=35"
        );
        assert_eq!(e.field("via"), Some(&Value::Text("esp".into())));
        let u = ip::build::v4(
            [10, 77, 0, 2],
            [10, 77, 0, 1],
            17,
            1,
            0,
            &[0, 53, 0x30, 0x39, 0, 8, 0, 0],
        );
        assert_eq!(
            summarize(&u, "tls").summary,
            "UDP 10.77.0.2:53 -> 10.77.0.1:12345 len=28"
        );
        assert!(summarize(&[0x45, 0], "tls").is_error());
    }
}
