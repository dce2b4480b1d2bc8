//! ICMP and ICMPv6 echo for the demo, with round-trip times (packets
//! built and parsed by core's `netpkt`): through the tunnel's in-process
//! IP side (userspace demo), or from a raw ICMP/ICMPv6 socket opened
//! inside a network namespace (root demo, so no external `ping` is
//! needed).

use oncp_core::netpkt::{
    Ipv4Header, icmp_echo_request, icmpv6_echo_request, parse_icmp_echo_reply,
    parse_icmpv6_echo_reply,
};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::AsFd;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long to wait for each reply.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(2);
/// Pause between echoes.
pub const INTERVAL: Duration = Duration::from_millis(100);
/// Echo identifier used by the demo.
const IDENT: u16 = 0x6f6e; // "on"

/// The payload of echo number `i`.
fn payload(i: u32) -> Vec<u8> {
    format!("oncp demo {i}").into_bytes()
}

fn seq_of(i: u32) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

fn print_reply(dst: IpAddr, seq: u16, rtt: Duration) {
    println!(
        "    reply from {dst}: icmp_seq={seq} time={:.3} ms",
        rtt.as_secs_f64() * 1e3
    );
}

fn print_lost(seq: u16) {
    println!(
        "    icmp_seq={seq}: no reply within {} s",
        REPLY_TIMEOUT.as_secs()
    );
}

/// An echo request packet from `src` to `dst` (both of one family).
fn echo_request(src: IpAddr, dst: IpAddr, seq: u16, payload: &[u8]) -> Option<Vec<u8>> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => Some(icmp_echo_request(s, d, IDENT, seq, payload)),
        (IpAddr::V6(s), IpAddr::V6(d)) => icmpv6_echo_request(s, d, IDENT, seq, payload),
        _ => None,
    }
}

/// (identifier, sequence, data) of an ICMP or ICMPv6 echo reply packet.
fn echo_reply_fields(p: &[u8]) -> Option<(u16, u16, &[u8])> {
    match oncp_core::netpkt::version(p) {
        Some(6) => parse_icmpv6_echo_reply(p),
        _ => parse_icmp_echo_reply(p),
    }
}

/// Sends `count` echo requests from `src` to `dst` (IPv4 or IPv6), one at
/// a time, and prints each result; returns the RTTs of the answered ones.
pub async fn run(
    to_tunnel: &mpsc::Sender<Vec<u8>>,
    from_tunnel: &mut mpsc::Receiver<Vec<u8>>,
    src: IpAddr,
    dst: IpAddr,
    count: u32,
) -> Vec<Duration> {
    let mut rtts = Vec::new();
    for i in 1..=count {
        let seq = seq_of(i);
        let payload = payload(i);
        let sent = Instant::now();
        let Some(request) = echo_request(src, dst, seq, &payload) else {
            println!("    seq={seq}: cannot build an echo from {src} to {dst}");
            break;
        };
        if to_tunnel.send(request).await.is_err() {
            println!("    seq={seq}: tunnel closed");
            break;
        }
        match wait_reply(from_tunnel, seq, &payload, sent + REPLY_TIMEOUT).await {
            Some(at) => {
                let rtt = at - sent;
                print_reply(dst, seq, rtt);
                rtts.push(rtt);
            }
            None => print_lost(seq),
        }
        tokio::time::sleep(INTERVAL).await;
    }
    if let Some(summary) = summary(&rtts, count) {
        println!("{summary}");
    }
    rtts
}

async fn wait_reply(
    from_tunnel: &mut mpsc::Receiver<Vec<u8>>,
    seq: u16,
    payload: &[u8],
    deadline: Instant,
) -> Option<Instant> {
    while let Ok(Some(p)) = tokio::time::timeout_at(deadline, from_tunnel.recv()).await {
        if echo_reply_fields(&p) == Some((IDENT, seq, payload)) {
            return Some(Instant::now());
        }
    }
    None
}

/// A raw ICMP socket (ICMPv6 with `v6`) created inside the network
/// namespace bound at `netns` (e.g. `/run/netns/NAME`, as `ip netns add`
/// makes). Only the helper thread enters the namespace; the socket stays
/// bound to it.
pub fn raw_socket_in(netns: &Path, v6: bool) -> anyhow::Result<Socket> {
    let netns = netns.to_path_buf();
    std::thread::spawn(move || -> anyhow::Result<Socket> {
        let ns = std::fs::File::open(&netns)
            .map_err(|e| anyhow::anyhow!("opening {}: {e}", netns.display()))?;
        rustix::thread::move_into_link_name_space(
            ns.as_fd(),
            Some(rustix::thread::LinkNameSpaceType::Network),
        )
        .map_err(|e| anyhow::anyhow!("entering network namespace {}: {e}", netns.display()))?;
        let (domain, proto) = if v6 {
            (Domain::IPV6, Protocol::ICMPV6)
        } else {
            (Domain::IPV4, Protocol::ICMPV4)
        };
        Socket::new(domain, Type::RAW, Some(proto)).map_err(|e| {
            anyhow::anyhow!(
                "opening a raw ICMP socket in {} (needs root or CAP_NET_RAW): {e}",
                netns.display()
            )
        })
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the namespace helper thread panicked"))?
}

/// What a socket ping run saw.
#[derive(Debug, Clone, Default)]
pub struct PingOutcome {
    /// Round-trip times of the answered echoes.
    pub rtts: Vec<Duration>,
    /// Why echoes failed, one line per distinct reason (empty when all
    /// came back).
    pub problems: Vec<String>,
}

/// The ICMP message inside `request` (an IPv4 packet from core): the raw
/// socket sends the message and the kernel adds the IP header.
fn icmp_message(request: &[u8]) -> &[u8] {
    match Ipv4Header::parse(request) {
        Some(h) => &request[h.header_len..h.total_len],
        None => request,
    }
}

/// The ICMPv6 echo request message for a raw ICMPv6 socket: the kernel
/// adds the IPv6 header and fills in the checksum (RFC 3542 §3.1).
fn icmpv6_message(seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut m = vec![128, 0, 0, 0];
    m.extend_from_slice(&IDENT.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(payload);
    m
}

/// Sends `count` echo requests to `dst` from `sock` (a raw ICMP socket
/// of `dst`'s family, see [`raw_socket_in`]), one at a time, waiting for
/// each reply (same identifier, sequence and payload, from `dst`); prints
/// each result and the summary. Blocking: run it off the async runtime.
pub fn run_socket(sock: &Socket, dst: IpAddr, count: u32) -> PingOutcome {
    let mut out = PingOutcome::default();
    let to = SockAddr::from(SocketAddr::new(dst, 0));
    let note = |out: &mut PingOutcome, why: String| {
        if !out.problems.contains(&why) {
            out.problems.push(why);
        }
    };
    for i in 1..=count {
        let seq = seq_of(i);
        let payload = payload(i);
        let message = match dst {
            IpAddr::V4(d) => {
                let request = icmp_echo_request(Ipv4Addr::UNSPECIFIED, d, IDENT, seq, &payload);
                icmp_message(&request).to_vec()
            }
            IpAddr::V6(_) => icmpv6_message(seq, &payload),
        };
        let sent = std::time::Instant::now();
        if let Err(e) = sock.send_to(&message, &to) {
            println!("    icmp_seq={seq}: sending failed: {e}");
            note(&mut out, format!("sending an echo request to {dst}: {e}"));
            std::thread::sleep(INTERVAL);
            continue;
        }
        match wait_socket_reply(sock, dst, seq, &payload, sent + REPLY_TIMEOUT) {
            Ok(Some(at)) => {
                let rtt = at - sent;
                print_reply(dst, seq, rtt);
                out.rtts.push(rtt);
            }
            Ok(None) => {
                print_lost(seq);
                note(
                    &mut out,
                    format!(
                        "no echo reply from {dst} within {} s",
                        REPLY_TIMEOUT.as_secs()
                    ),
                );
            }
            Err(e) => {
                println!("    icmp_seq={seq}: receiving failed: {e}");
                note(&mut out, format!("receiving echo replies: {e}"));
            }
        }
        std::thread::sleep(INTERVAL);
    }
    if let Some(summary) = summary(&out.rtts, count) {
        println!("{summary}");
    }
    out
}

/// Reads packets until the matching reply or `deadline`.
fn wait_socket_reply(
    mut sock: &Socket,
    from: IpAddr,
    seq: u16,
    payload: &[u8],
    deadline: std::time::Instant,
) -> std::io::Result<Option<std::time::Instant>> {
    let mut buf = vec![0u8; 2048];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        sock.set_read_timeout(Some(left))?;
        let n = match sock.read(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(None);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let hit = match from {
            IpAddr::V4(f) => is_reply(&buf[..n], f, seq, payload),
            // A raw ICMPv6 socket reads the message without the IPv6
            // header; only the gateway answers our identifier.
            IpAddr::V6(_) => is_reply6(&buf[..n], seq, payload),
        };
        if hit {
            return Ok(Some(std::time::Instant::now()));
        }
    }
}

/// Whether `packet` (IPv4, as a raw socket reads it) is the echo reply
/// from `from` to our request `seq` with `payload`.
fn is_reply(packet: &[u8], from: Ipv4Addr, seq: u16, payload: &[u8]) -> bool {
    Ipv4Header::parse(packet).is_some_and(|h| h.src == from)
        && parse_icmp_echo_reply(packet) == Some((IDENT, seq, payload))
}

/// Whether `message` (ICMPv6, as a raw ICMPv6 socket reads it) is the
/// echo reply to our request `seq` with `payload`.
fn is_reply6(message: &[u8], seq: u16, payload: &[u8]) -> bool {
    message.len() >= 8
        && message[0] == 129
        && message[4..6] == IDENT.to_be_bytes()
        && message[6..8] == seq.to_be_bytes()
        && &message[8..] == payload
}

/// `ping`-style summary: received/sent and min/avg/max RTT.
pub fn summary(rtts: &[Duration], sent: u32) -> Option<String> {
    if sent == 0 {
        return None;
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut s = format!("{}/{} replies", rtts.len(), sent);
    if let (Some(min), Some(max)) = (rtts.iter().min(), rtts.iter().max()) {
        let avg = rtts.iter().map(|d| ms(*d)).sum::<f64>() / rtts.len() as f64;
        s.push_str(&format!(
            ", rtt min/avg/max = {:.3}/{:.3}/{:.3} ms",
            ms(*min),
            avg,
            ms(*max)
        ));
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    #[test]
    fn summary_reports_losses_and_extremes() {
        let r = [Duration::from_micros(500), Duration::from_micros(1500)];
        assert_eq!(
            summary(&r, 3).unwrap(),
            "2/3 replies, rtt min/avg/max = 0.500/1.000/1.500 ms"
        );
        assert_eq!(summary(&[], 2).unwrap(), "0/2 replies");
        assert_eq!(summary(&[], 0), None);
    }

    #[test]
    fn socket_replies_are_checked_for_source_identifier_sequence_and_payload() {
        let me = Ipv4Addr::new(10, 0, 0, 2);
        let gw = Ipv4Addr::new(10, 0, 0, 1);
        let reply = |ident, seq, data: &[u8], from| {
            let req = icmp_echo_request(me, from, ident, seq, data);
            oncp_core::netpkt::echo_reply(&req, from).unwrap()
        };
        assert!(is_reply(
            &reply(IDENT, 3, b"oncp demo 3", gw),
            gw,
            3,
            b"oncp demo 3"
        ));
        assert!(!is_reply(
            &reply(IDENT + 1, 3, b"oncp demo 3", gw),
            gw,
            3,
            b"oncp demo 3"
        ));
        assert!(!is_reply(
            &reply(IDENT, 4, b"oncp demo 3", gw),
            gw,
            3,
            b"oncp demo 3"
        ));
        assert!(!is_reply(
            &reply(IDENT, 3, b"oncp demo 4", gw),
            gw,
            3,
            b"oncp demo 3"
        ));
        let other = Ipv4Addr::new(10, 0, 0, 9);
        assert!(!is_reply(
            &reply(IDENT, 3, b"oncp demo 3", other),
            gw,
            3,
            b"oncp demo 3"
        ));
        // A request (type 8) is not a reply.
        let req = icmp_echo_request(gw, me, IDENT, 3, b"oncp demo 3");
        assert!(!is_reply(&req, gw, 3, b"oncp demo 3"));
    }

    #[test]
    fn the_raw_socket_gets_the_icmp_message_without_the_ip_header() {
        let req = icmp_echo_request(Ipv4Addr::UNSPECIFIED, Ipv4Addr::LOCALHOST, IDENT, 1, b"x");
        let m = icmp_message(&req);
        assert_eq!(m.len(), 8 + 1);
        assert_eq!(m[0], 8);
        assert_eq!(oncp_core::netpkt::checksum(m), 0);
    }

    #[test]
    fn a_missing_namespace_is_a_clear_error() {
        let e = raw_socket_in(Path::new("/nonexistent/oncp-netns"), false).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/oncp-netns"), "{e}");
    }

    #[tokio::test]
    async fn replies_are_matched_by_sequence_and_payload() {
        let (to_tunnel, mut from_user) = mpsc::channel::<Vec<u8>>(8);
        let (to_user, mut from_tunnel) = mpsc::channel(8);
        let me = Ipv4Addr::new(10, 0, 0, 2);
        let gw = Ipv4Addr::new(10, 0, 0, 1);
        // A fake far end: answers every request with core's echo responder,
        // preceded by a stale reply that must be ignored.
        tokio::spawn(async move {
            while let Some(req) = from_user.recv().await {
                let stale = icmp_echo_request(me, gw, IDENT, 999, b"old");
                let _ = to_user
                    .send(oncp_core::netpkt::echo_reply(&stale, gw).unwrap())
                    .await;
                let _ = to_user
                    .send(oncp_core::netpkt::echo_reply(&req, gw).unwrap())
                    .await;
            }
        });
        let rtts = run(&to_tunnel, &mut from_tunnel, me.into(), gw.into(), 3).await;
        assert_eq!(rtts.len(), 3);
    }

    #[tokio::test]
    async fn ipv6_echoes_through_the_channel() {
        let (to_tunnel, mut from_user) = mpsc::channel::<Vec<u8>>(8);
        let (to_user, mut from_tunnel) = mpsc::channel(8);
        let me: Ipv6Addr = "fd00:10:1::2".parse().unwrap();
        let gw: Ipv6Addr = "fd00:10:1::1".parse().unwrap();
        tokio::spawn(async move {
            while let Some(req) = from_user.recv().await {
                if let Some(r) = oncp_core::netpkt::echo_reply_v6(&req, gw) {
                    let _ = to_user.send(r).await;
                }
            }
        });
        let rtts = run(&to_tunnel, &mut from_tunnel, me.into(), gw.into(), 2).await;
        assert_eq!(rtts.len(), 2);
        // Families mixed: nothing sent.
        let rtts = run(
            &to_tunnel,
            &mut from_tunnel,
            me.into(),
            Ipv4Addr::LOCALHOST.into(),
            1,
        )
        .await;
        assert!(rtts.is_empty());
    }

    #[test]
    fn icmpv6_socket_replies_are_matched() {
        let mut m = icmpv6_message(3, b"oncp demo 3");
        assert!(!is_reply6(&m, 3, b"oncp demo 3"), "a request");
        m[0] = 129;
        assert!(is_reply6(&m, 3, b"oncp demo 3"));
        assert!(!is_reply6(&m, 4, b"oncp demo 3"));
        assert!(!is_reply6(&m, 3, b"oncp demo 4"));
        assert!(!is_reply6(&m[..7], 3, b""));
    }
}
