//! ICMP echo through the tunnel's in-process IP side, with round-trip
//! times (packets built and parsed by core's `netpkt`).

use oncp_core::netpkt::{icmp_echo_request, parse_icmp_echo_reply};
use std::net::Ipv4Addr;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How long to wait for each reply.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(2);
/// Pause between echoes.
pub const INTERVAL: Duration = Duration::from_millis(100);
/// Echo identifier used by the demo.
const IDENT: u16 = 0x6f6e; // "on"

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
        let seq = u16::try_from(i).unwrap_or(u16::MAX);
        let payload = format!("oncp demo {i}").into_bytes();
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
                println!(
                    "    reply from {dst}: icmp_seq={seq} time={:.3} ms",
                    rtt.as_secs_f64() * 1e3
                );
                rtts.push(rtt);
            }
            None => println!(
                "    icmp_seq={seq}: no reply within {} s",
                REPLY_TIMEOUT.as_secs()
            ),
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
