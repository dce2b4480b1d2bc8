//! Fuzzes the Pulse gateway session (core/src/pulse/session/gateway.rs)
//! with a client stream after a valid upgrade request, answered by a
//! driver that accepts every sign-in step: arbitrary IF-T messages in any
//! phase, in arbitrary chunks, with ESP datagrams and timer ticks between
//! them.
//!
//! Input: `[cuts u8]` then records `[kind u8][len u8][len bytes]`: kind
//! bit 0 clear = TLS bytes, set = a UDP datagram; bit 1 = a timer tick
//! after it. `cuts` seeds how TLS bytes are split (1 to 64 bytes).
//!
//! Checked: no panic; each TLS output is one whole IF-T message (after
//! the 101) of at most 16 KiB + header; the TLS output is the same
//! whether the client's bytes come whole or in chunks; nothing is
//! output after the session closed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncp_core::pulse::IftMessage;
use oncp_core::pulse::session::GatewaySession;
use oncp_core::rng::TestRng;
use oncp_core::time::Instant;
use oncp_core::tunnel::{
    EspConfig, GatewayEvent, GatewayTunnel, IfAddr, LoginAnswer, LoginStep, Output, TunnelConfig,
};

const UPGRADE: &[u8] = b"GET / HTTP/1.1\r\nHost: gw\r\nContent-Type: EAP\r\n\
Upgrade: IF-T/TLS 1.0\r\nContent-Length: 0\r\n\r\n";

fn config() -> TunnelConfig {
    TunnelConfig {
        ipv4: Some(IfAddr {
            addr: [10, 0, 0, 2].into(),
            prefix_len: Some(24),
        }),
        mtu: Some(1400),
        esp: EspConfig {
            port: Some(4500),
            lifetime_secs: Some(5),
            dpd_secs: Some(1),
            ..EspConfig::default()
        },
        ..TunnelConfig::default()
    }
}

enum Step<'a> {
    Tls(&'a [u8]),
    Udp(&'a [u8]),
    Tick,
}

fn steps(data: &[u8]) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    let mut rest = data;
    while let [kind, len, tail @ ..] = rest {
        let n = (*len as usize).min(tail.len());
        let (body, after) = tail.split_at(n);
        out.push(if kind & 1 == 0 {
            Step::Tls(body)
        } else {
            Step::Udp(body)
        });
        if kind & 2 != 0 {
            out.push(Step::Tick);
        }
        rest = after;
    }
    out
}

/// Runs the session; returns its TLS output in order.
fn run(steps: &[Step<'_>], mut cut: impl FnMut() -> usize) -> Vec<Vec<u8>> {
    let mut s = GatewaySession::new(Box::new(TestRng::new(1)), Instant(0));
    let mut tls = Vec::new();
    let mut buf = Vec::new();
    let mut now = Instant(0);
    s.handle_tls(now, UPGRADE);
    for step in steps {
        match step {
            Step::Tls(b) => {
                let mut rest = *b;
                while !rest.is_empty() {
                    let n = cut().clamp(1, rest.len());
                    s.handle_tls(now, &rest[..n]);
                    rest = &rest[n..];
                    drain(&mut s, &mut buf, &mut tls, now);
                }
            }
            Step::Udp(d) => {
                let _ = s.handle_udp(now, d);
            }
            Step::Tick => {
                now = s.poll_timeout().map_or(now, |t| t.max(now));
                s.handle_timeout(now);
            }
        }
        drain(&mut s, &mut buf, &mut tls, now);
    }
    tls
}

fn drain(s: &mut GatewaySession, buf: &mut Vec<u8>, tls: &mut Vec<Vec<u8>>, now: Instant) {
    while let Some(o) = s.poll_output(buf) {
        match o {
            Output::Tls => tls.push(buf.clone()),
            Output::Event(GatewayEvent::Login(a)) => {
                let step = match a {
                    LoginAnswer::Start { .. } => LoginStep::Password {
                        username: true,
                        retry: false,
                    },
                    LoginAnswer::Password { .. } => LoginStep::Token {
                        prompt: "code".into(),
                    },
                    _ => LoginStep::Granted(zeroize::Zeroizing::new("cookie".into())),
                };
                s.login_step(now, step);
            }
            Output::Event(GatewayEvent::TunnelRequested(_)) => s.accept(now, config()),
            Output::Udp | Output::Ip | Output::Event(_) => {}
        }
        if s.is_closed() {
            assert!(s.poll_timeout().is_none());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, rest)) = data.split_first() else {
        return;
    };
    let steps = steps(rest);
    let whole = run(&steps, || usize::MAX);
    let mut x = u32::from(seed) | 1;
    let chunked = run(&steps, || {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        1 + (x >> 16) as usize % 64
    });
    assert_eq!(whole, chunked, "chunking changed the output");
    // The first output is the 101; every later one is one whole message.
    for t in whole.iter().skip(1) {
        let (m, used) = IftMessage::parse(t, 16_384 + 16).expect("one whole IF-T message");
        assert_eq!(used, t.len(), "one message per TLS output ({m:?})");
    }
});
