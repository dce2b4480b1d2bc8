//! ICMP echo for the demo, with round-trip times (packets built and parsed
//! by core's `netpkt`): through the tunnel's in-process IP side
//! (userspace demo), or from a raw ICMP socket opened inside a network
//! namespace (root demo, so no external `ping` is needed).

use oncp_core::netpkt::{Ipv4Header, icmp_echo_request, parse_icmp_echo_reply};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddrV4};
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

fn print_reply(dst: Ipv4Addr, seq: u16, rtt: Duration) {
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

/// Sends `count` echo requests from `src` to `dst`, one at a time, and
/// prints each result; returns the RTTs of the answered ones.
pub async fn run(
    to_tunnel: &mpsc::Sender<Vec<u8>>,
    from_tunnel: &mut mpsc::Receiver<Vec<u8>>,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    count: u32,
) -> Vec<Duration> {
    let mut rtts = Vec::new();
    for i in 1..=count {
        let seq = seq_of(i);
        let payload = payload(i);
        let sent = Instant::now();
        if to_tunnel
            .send(icmp_echo_request(src, dst, IDENT, seq, &payload))
            .await
            .is_err()
        {
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
        if parse_icmp_echo_reply(&p) == Some((IDENT, seq, payload)) {
            return Some(Instant::now());
        }
    }
    None
}

/// A raw ICMP socket created inside the network namespace bound at
/// `netns` (e.g. `/run/netns/NAME`, as `ip netns add` makes). Only the
/// helper thread enters the namespace; the socket stays bound to it.
pub fn raw_socket_in(netns: &Path) -> anyhow::Result<Socket> {
    let netns = netns.to_path_buf();
    std::thread::spawn(move || -> anyhow::Result<Socket> {
        let ns = std::fs::File::open(&netns)
            .map_err(|e| anyhow::anyhow!("opening {}: {e}", netns.display()))?;
        rustix::thread::move_into_link_name_space(
            ns.as_fd(),
            Some(rustix::thread::LinkNameSpaceType::Network),
        )
        .map_err(|e| anyhow::anyhow!("entering network namespace {}: {e}", netns.display()))?;
        Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)).map_err(|e| {
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

/// Sends `count` echo requests to `dst` from `sock` (a raw ICMP socket,
/// see [`raw_socket_in`]), one at a time, waiting for each reply (same
/// identifier, sequence and payload, from `dst`); prints each result and
/// the summary. Blocking: run it off the async runtime.
pub fn run_socket(sock: &Socket, dst: Ipv4Addr, count: u32) -> PingOutcome {
    let mut out = PingOutcome::default();
    let to = SockAddr::from(SocketAddrV4::new(dst, 0));
    let note = |out: &mut PingOutcome, why: String| {
        if !out.problems.contains(&why) {
            out.problems.push(why);
        }
    };
    for i in 1..=count {
        let seq = seq_of(i);
        let payload = payload(i);
        let request = icmp_echo_request(Ipv4Addr::UNSPECIFIED, dst, IDENT, seq, &payload);
        let sent = std::time::Instant::now();
        if let Err(e) = sock.send_to(icmp_message(&request), &to) {
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
    from: Ipv4Addr,
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
        if is_reply(&buf[..n], from, seq, payload) {
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
        let e = raw_socket_in(Path::new("/nonexistent/oncp-netns")).unwrap_err();
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
        let rtts = run(&to_tunnel, &mut from_tunnel, me, gw, 3).await;
        assert_eq!(rtts.len(), 3);
    }
}
