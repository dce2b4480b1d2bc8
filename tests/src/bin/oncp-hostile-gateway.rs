//! A hostile oNCP gateway for the fault-injection tests (issue #9,
//! scenario 7; `tests/tests/e2e_faults_hostile.rs`). Test-only: it serves
//! one behaviour per run, chosen with `--mode`:
//!
//! - `huge-head`: answers the tunnel request with an HTTP head that never
//!   ends (header lines up to 64 MiB);
//! - `silent-setup`: reads the tunnel request and never answers;
//! - `bad-config`: a KMP 301 whose first TLV claims 4 GiB;
//! - `oversized`: a valid session, then length fields that lie (an IP
//!   packet claiming 65535 bytes, a 64 KiB KMP of an unknown type, a rekey
//!   302 whose group claims 4 GiB), then normal service;
//! - `endless-data`: a valid session, then 64 MiB of well-formed KMP 300
//!   data (UDP to the discard port) as fast as TLS takes it;
//! - `stalled-record`: a valid session, then a record announcing 65535
//!   bytes of which only 100 ever come (ESP keeps working);
//! - `esp-abuse`: a valid session whose every ESP datagram to the client
//!   is followed by replays, copies with a bad ICV, a truncated copy and
//!   one with an unknown SPI, after a burst of random datagrams;
//! - `status-08`: answers the hostname packet with status 0x08 (oNCP
//!   disabled, Pulse only) and closes;
//! - `zero-record`: answers the hostname packet with a zero-length record
//!   and one byte (`00 00 01`, the termination notice) and closes;
//! - `default-route`: a valid session whose configuration has netmask
//!   255.255.255.255 and split include 0.0.0.0/0;
//! - `split-config`: a valid session whose configuration (800 routes,
//!   over 11 KB) comes in records of 4000 bytes, each in its own TLS record.
//!
//! The last four make the logs of `testdata/logs/` (`scripts/make-logs.sh`).
//!
//! Pulse IF-T/TLS modes (the client sends the IF-T upgrade request; core's
//! Pulse gateway session signs any user in with any password):
//!
//! - `pulse-bad-length`: the version response's IF-T length field says 8
//!   (less than its own 16-byte header);
//! - `pulse-oversized`: the first sign-in challenge claims 0x7ffffff0
//!   bytes, of which only the real ones come;
//! - `pulse-unknown`: a valid session which, once configured, gets
//!   messages of an unknown vendor, an unknown Juniper type and an
//!   unknown TCG type, then normal service;
//! - `pulse-eap-loop`: every sign-in answer is met with the same realm
//!   question again, for ever;
//! - `pulse-empty-config`: a valid sign-in, then a configuration with
//!   nothing in it (no address, no MTU, no ESP);
//! - `pulse-refused-late`: the tunnel is accepted with an empty
//!   configuration, which core's gateway refuses after the cookie with a
//!   failure message (a gateway with nothing to give this user).
//!
//! A valid session is core's gateway session (through the oNCP adapter),
//! drained by the gateway's own drain code, with an in-process echo
//! data plane (ICMP echo to the gateway's tunnel address). Prints `PIN=…`
//! when listening, `TUNNEL n` per tunnel request, `LOGOUT` per logout
//! request and `SENT n` after a flood.

use oncp::gateway::drain::{GatewayOutputs, drain};
use oncp::runtime::clock::Clock;
use oncp_core::pulse::config::{ConfigKind, MainConfig};
use oncp_core::time::Instant;
use oncp_core::tunnel::{
    EspConfig, GatewayEvent, GatewayTunnel, IfAddr, LoginAnswer, LoginStep, Prefix, TunnelConfig,
};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use zeroize::Zeroizing;

/// The gateway's tunnel address; the client gets [`CLIENT`].
const ME: Ipv4Addr = Ipv4Addr::new(10, 81, 0, 1);
const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 81, 0, 2);
/// Flood size for `huge-head` and `endless-data`.
const FLOOD: usize = 64 << 20;

static TUNNELS: AtomicU32 = AtomicU32::new(0);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    HugeHead,
    SilentSetup,
    BadConfig,
    Oversized,
    EndlessData,
    StalledRecord,
    EspAbuse,
    Status08,
    ZeroRecord,
    DefaultRoute,
    SplitConfig,
    PulseBadLength,
    PulseOversized,
    PulseUnknown,
    PulseEapLoop,
    PulseEmptyConfig,
    PulseRefusedLate,
}

impl Mode {
    fn is_pulse(self) -> bool {
        matches!(
            self,
            Mode::PulseBadLength
                | Mode::PulseOversized
                | Mode::PulseUnknown
                | Mode::PulseEapLoop
                | Mode::PulseEmptyConfig
                | Mode::PulseRefusedLate
        )
    }
}

fn parse_mode(s: &str) -> Option<Mode> {
    Some(match s {
        "huge-head" => Mode::HugeHead,
        "silent-setup" => Mode::SilentSetup,
        "bad-config" => Mode::BadConfig,
        "oversized" => Mode::Oversized,
        "endless-data" => Mode::EndlessData,
        "stalled-record" => Mode::StalledRecord,
        "esp-abuse" => Mode::EspAbuse,
        "status-08" => Mode::Status08,
        "zero-record" => Mode::ZeroRecord,
        "default-route" => Mode::DefaultRoute,
        "split-config" => Mode::SplitConfig,
        "pulse-bad-length" => Mode::PulseBadLength,
        "pulse-oversized" => Mode::PulseOversized,
        "pulse-unknown" => Mode::PulseUnknown,
        "pulse-eap-loop" => Mode::PulseEapLoop,
        "pulse-empty-config" => Mode::PulseEmptyConfig,
        "pulse-refused-late" => Mode::PulseRefusedLate,
        _ => return None,
    })
}

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .ok_or_else(|| format!("missing {name}"))
    };
    let listen: SocketAddr = arg("--listen")?.parse()?;
    let esp_port: u16 = arg("--esp-port")?.parse()?;
    let mode = parse_mode(&arg("--mode")?).ok_or("unknown --mode")?;
    let identity =
        oncp::tls::server::self_signed(&[listen.ip().to_string()]).map_err(|e| e.to_string())?;
    let listener = TcpListener::bind(listen).await?;
    let udp = Arc::new(UdpSocket::bind(SocketAddr::new(listen.ip(), esp_port)).await?);
    println!("PIN={}", identity.pin);
    let acceptor = tokio_rustls::TlsAcceptor::from(identity.config.clone());
    loop {
        let (tcp, _) = listener.accept().await?;
        let acceptor = acceptor.clone();
        let udp = udp.clone();
        tokio::spawn(async move {
            if let Ok(tls) = acceptor.accept(tcp).await
                && let Err(e) = serve(tls, udp, mode, esp_port).await
            {
                println!("CONNECTION ended: {e}");
            }
        });
    }
}

/// Reads one HTTP request head; answers a logout itself. Returns the
/// bytes read for a tunnel request.
async fn read_head<S: AsyncRead + AsyncWrite + Unpin>(
    tls: &mut S,
) -> Result<Option<Vec<u8>>, Error> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while oncp_core::oncp::wire::http::head_len(&buf)?.is_none() {
        let n = tls.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    if String::from_utf8_lossy(&buf).contains("logout") {
        println!("LOGOUT");
        tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            .await?;
        tls.shutdown().await?;
        return Ok(None);
    }
    println!("TUNNEL {}", TUNNELS.fetch_add(1, Ordering::Relaxed) + 1);
    Ok(Some(buf))
}

fn tunnel_config(esp_port: u16, mode: Mode) -> TunnelConfig {
    let (prefix_len, include_v4) = match mode {
        Mode::DefaultRoute => (
            32,
            vec![Prefix {
                addr: Ipv4Addr::UNSPECIFIED,
                len: 0,
            }],
        ),
        // 800 routes of 14 bytes: a configuration over 11 KB.
        Mode::SplitConfig => (
            24,
            (0..800u32)
                .map(|i| Prefix {
                    addr: Ipv4Addr::from(0x0a80_0000 + (i << 8)),
                    len: 24,
                })
                .collect(),
        ),
        _ => (
            24,
            vec![Prefix {
                addr: Ipv4Addr::new(10, 81, 0, 0),
                len: 24,
            }],
        ),
    };
    TunnelConfig {
        ipv4: Some(IfAddr {
            addr: CLIENT,
            prefix_len: Some(prefix_len),
        }),
        include_v4,
        mtu: Some(1400),
        esp: EspConfig {
            port: Some(esp_port),
            dpd_secs: Some(10),
            ..EspConfig::default()
        },
        ..TunnelConfig::default()
    }
}

/// Where the valid session's outputs go, with the hostile twists.
struct HostileIo<S> {
    tls: S,
    udp: Arc<UdpSocket>,
    mode: Mode,
    esp_port: u16,
    client_udp: Option<SocketAddr>,
    configured: bool,
    tls_silenced: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> GatewayOutputs for HostileIo<S> {
    async fn tls(&mut self, rec: &[u8]) -> std::io::Result<()> {
        if self.tls_silenced {
            return Ok(());
        }
        if self.mode.is_pulse() {
            return self.pulse_tls(rec).await;
        }
        if rec == [1, 0, 0] && matches!(self.mode, Mode::Status08 | Mode::ZeroRecord) {
            let answer = if self.mode == Mode::Status08 {
                [1, 0, 8]
            } else {
                [0, 0, 1]
            };
            self.tls.write_all(&answer).await?;
            self.tls.flush().await?;
            self.tls.shutdown().await?;
            println!("SENT status");
            // Nothing more goes out; the session ends as if the link dropped.
            self.tls_silenced = true;
            return Err(std::io::Error::other("status sent, connection closed"));
        }
        if self.mode == Mode::SplitConfig && record_kmp_type(rec) == Some(301) {
            self.configured = true;
            // The same 301 as records of 4000 bytes, one TLS record each.
            for piece in rec[2..].chunks(4000) {
                let mut one = (piece.len() as u16).to_le_bytes().to_vec();
                one.extend_from_slice(piece);
                self.tls.write_all(&one).await?;
                self.tls.flush().await?;
            }
            return Ok(());
        }
        let mut rec = rec;
        let bad;
        if record_kmp_type(rec) == Some(301) {
            self.configured = true;
            if self.mode == Mode::BadConfig {
                // Group 1 claiming 0xffffff00 bytes, with 3 present.
                bad = kmp_record(301, &[0, 1, 0xff, 0xff, 0xff, 0x00, 1, 2, 3]);
                rec = &bad;
            }
        }
        self.tls.write_all(rec).await?;
        self.tls.flush().await
    }

    async fn udp(&mut self, d: &[u8]) {
        if let Some(to) = self.client_udp {
            let _ = self.udp.send_to(d, to).await;
            if self.mode == Mode::EspAbuse {
                let _ = abuse_copies(&self.udp, d, to).await;
            }
        }
    }

    fn ip<T: GatewayTunnel + ?Sized>(&mut self, p: &mut Vec<u8>, session: &mut T, now: Instant) {
        if let Some(r) = oncp_core::netpkt::echo_reply(p, ME) {
            session.send_ip(now, &r);
        }
    }

    fn event<T: GatewayTunnel + ?Sized>(
        &mut self,
        ev: GatewayEvent,
        session: &mut T,
        now: Instant,
    ) {
        match ev {
            GatewayEvent::TunnelRequested(_) if self.mode == Mode::PulseRefusedLate => {
                session.accept(now, TunnelConfig::default());
            }
            // Any cookie will do.
            GatewayEvent::TunnelRequested(_) => {
                session.accept(now, tunnel_config(self.esp_port, self.mode));
            }
            // Pulse sign-in: a user name and password, any will do; or,
            // for the EAP loop, the realm question after every answer.
            GatewayEvent::Login(_) if self.mode == Mode::PulseEapLoop => {
                session.login_step(
                    now,
                    LoginStep::ChooseRealm(vec!["Users".into(), "Admins".into()]),
                );
            }
            GatewayEvent::Login(LoginAnswer::Start { .. }) => session.login_step(
                now,
                LoginStep::Password {
                    username: true,
                    retry: false,
                },
            ),
            GatewayEvent::Login(_) => session.login_step(
                now,
                LoginStep::Granted(Zeroizing::new("hostile0123456789abcdef01234567".into())),
            ),
            _ => {}
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> HostileIo<S> {
    /// The Pulse session's TLS output (the 101, then one IF-T message
    /// each), with the mode's twist.
    async fn pulse_tls(&mut self, rec: &[u8]) -> std::io::Result<()> {
        let ift = (rec.len() >= 16).then(|| {
            let be = |i: usize| u32::from_be_bytes([rec[i], rec[i + 1], rec[i + 2], rec[i + 3]]);
            (be(0), be(4))
        });
        let mut rec = rec.to_vec();
        match (self.mode, ift) {
            // TCG version response: length 8.
            (Mode::PulseBadLength, Some((TCG, 2))) => {
                rec[8..12].copy_from_slice(&8u32.to_be_bytes());
                println!("SENT bad-length");
            }
            // The first TCG auth challenge: length 0x7ffffff0.
            (Mode::PulseOversized, Some((TCG, 5))) if !self.configured => {
                self.configured = true;
                rec[8..12].copy_from_slice(&0x7fff_fff0u32.to_be_bytes());
                println!("SENT oversized");
            }
            // The main configuration (Juniper 1 of a main kind) replaced
            // by one with no routes and no attributes, same identifier.
            (Mode::PulseEmptyConfig, Some((JUNIPER, 1)))
                if MainConfig::parse(&rec[16..]).is_ok() =>
            {
                let id = u32::from_be_bytes([rec[12], rec[13], rec[14], rec[15]]);
                let empty = MainConfig {
                    kind: ConfigKind::MAIN,
                    extra: Vec::new(),
                    routes: Vec::new(),
                    attrs: Vec::new(),
                };
                rec = empty.to_message(id).to_bytes();
                println!("SENT empty-config");
            }
            // After the end of configuration (Juniper 0x8f): strangers.
            (Mode::PulseUnknown, Some((JUNIPER, 0x8f))) => {
                self.tls.write_all(&rec).await?;
                for (vendor, kind) in [(0x00ab_cdef, 1), (JUNIPER, 0x77), (TCG, 0x42)] {
                    self.tls
                        .write_all(&ift_message(vendor, kind, &[0x5a; 64]))
                        .await?;
                }
                self.tls.flush().await?;
                println!("SENT unknown");
                return Ok(());
            }
            _ => {}
        }
        self.tls.write_all(&rec).await?;
        self.tls.flush().await
    }
}

/// The TCG and Juniper IF-T vendor ids.
const TCG: u32 = 0x5597;
const JUNIPER: u32 = 0xa4c;

/// An IF-T message (spec: 16-byte header, then the value); sequence 0.
fn ift_message(vendor: u32, kind: u32, value: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(16 + value.len());
    m.extend_from_slice(&vendor.to_be_bytes());
    m.extend_from_slice(&kind.to_be_bytes());
    m.extend_from_slice(&((16 + value.len()) as u32).to_be_bytes());
    m.extend_from_slice(&0u32.to_be_bytes());
    m.extend_from_slice(value);
    m
}

/// A record holding one KMP message of `kmp_type` with `payload`
/// (spec §3.1, §3.2: server header pattern).
fn kmp_record(kmp_type: u16, payload: &[u8]) -> Vec<u8> {
    let len = 20 + payload.len();
    let mut r = Vec::with_capacity(2 + len);
    r.extend_from_slice(&(len as u16).to_le_bytes());
    r.extend_from_slice(&[0; 6]);
    r.extend_from_slice(&kmp_type.to_be_bytes());
    r.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    r.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    r.extend_from_slice(payload);
    r
}

/// The KMP type of a record the session wrote, if it holds one.
fn record_kmp_type(rec: &[u8]) -> Option<u16> {
    (rec.len() >= 22).then(|| u16::from_be_bytes([rec[8], rec[9]]))
}

/// An IPv4/UDP packet from the gateway to the client's discard port.
fn discard_packet(len: usize) -> Vec<u8> {
    let mut p = vec![0u8; len];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
    p[8] = 64;
    p[9] = 17;
    p[12..16].copy_from_slice(&ME.octets());
    p[16..20].copy_from_slice(&CLIENT.octets());
    let mut sum: u32 = p[..20]
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    p[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    p[20..22].copy_from_slice(&9999u16.to_be_bytes());
    p[22..24].copy_from_slice(&9u16.to_be_bytes());
    p[24..26].copy_from_slice(&((len - 20) as u16).to_be_bytes());
    p
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin + Send>(
    mut tls: S,
    udp: Arc<UdpSocket>,
    mode: Mode,
    esp_port: u16,
) -> Result<(), Error> {
    let Some(head) = read_head(&mut tls).await? else {
        return Ok(());
    };
    if mode == Mode::HugeHead {
        tls.write_all(b"HTTP/1.1 200 OK\r\n").await?;
        let line = format!("X-Pad: {}\r\n", "a".repeat(1000));
        let mut sent = 0;
        while sent < FLOOD {
            if tls.write_all(line.as_bytes()).await.is_err() {
                break;
            }
            sent += line.len();
        }
        println!("SENT {sent}");
        std::future::pending::<()>().await;
    }
    if mode == Mode::SilentSetup {
        // Keep the connection open, read and ignore whatever comes.
        let mut sink = [0u8; 4096];
        while tls.read(&mut sink).await? > 0 {}
        return Ok(());
    }
    let clock = Clock::new();
    let now = || clock.now();
    let mut session = if mode.is_pulse() {
        let n = oncp_core::oncp::wire::http::head_len(&head)?.ok_or("no head")?;
        let req = oncp_core::oncp::wire::http::RequestHead::parse(&head[..n])?;
        oncp::pulse_adapter::gateway_for_request(
            &req,
            &head[n..],
            Box::new(oncp::runtime::os_rng::OsRng),
            now(),
        )
    } else {
        let mut s = oncp::oncp_adapter::gateway(Box::new(oncp::runtime::os_rng::OsRng), now());
        s.handle_tls(now(), &head);
        s
    };
    let mut io = HostileIo {
        tls,
        udp,
        mode,
        esp_port,
        client_udp: None,
        configured: false,
        tls_silenced: false,
    };
    let mut hostile_done = false;
    let mut buf = vec![0u8; 65_536];
    let mut dgram = vec![0u8; 65_536];
    let mut out = Vec::new();
    loop {
        // Drain every output until the session has nothing more (an echo
        // reply queues new output while draining).
        drain(&mut *session, &mut out, &mut io, now).await;
        if session.is_closed() {
            return Ok(());
        }
        // The hostile part, once the client has its configuration and
        // (for ESP abuse) its ESP address is known.
        if io.configured && !hostile_done {
            match io.mode {
                Mode::Oversized => {
                    hostile_done = true;
                    let mut lie = discard_packet(40);
                    lie[2..4].copy_from_slice(&65535u16.to_be_bytes());
                    io.tls.write_all(&kmp_record(300, &lie)).await?;
                    io.tls
                        .write_all(&kmp_record(999, &vec![0x5a; 65535 - 20]))
                        .await?;
                    io.tls
                        .write_all(&kmp_record(302, &[0, 7, 0xff, 0xff, 0xff, 0xff, 0]))
                        .await?;
                    io.tls.flush().await?;
                    println!("SENT oversized");
                }
                Mode::EndlessData => {
                    hostile_done = true;
                    let p = discard_packet(1400);
                    let rec = kmp_record(300, &p);
                    let mut sent = 0;
                    while sent < FLOOD {
                        io.tls.write_all(&rec).await?;
                        sent += rec.len();
                    }
                    io.tls.flush().await?;
                    println!("SENT {sent}");
                }
                Mode::StalledRecord => {
                    hostile_done = true;
                    let mut rec = 65535u16.to_le_bytes().to_vec();
                    rec.extend_from_slice(&[0u8; 100]);
                    io.tls.write_all(&rec).await?;
                    io.tls.flush().await?;
                    io.tls_silenced = true;
                    println!("SENT stalled");
                }
                Mode::EspAbuse if io.client_udp.is_some() => {
                    hostile_done = true;
                    let to = io.client_udp.expect("known");
                    let mut junk = [0u8; 96];
                    for i in 0..20_000u32 {
                        junk[..4].copy_from_slice(&i.to_be_bytes());
                        junk[4..8].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_be_bytes());
                        let _ = io.udp.send_to(&junk[..8 + (i as usize % 88)], to).await;
                    }
                    println!("SENT junk");
                }
                _ => {}
            }
        }
        let sleep = clock.sleep_until(session.poll_timeout());
        tokio::select! {
            r = io.tls.read(&mut buf) => match r {
                Ok(0) | Err(_) => session.handle_tls_closed(now()),
                Ok(n) => session.handle_tls(now(), &buf[..n]),
            },
            r = io.udp.recv_from(&mut dgram) => {
                let (n, from) = r?;
                if session.handle_udp(now(), &dgram[..n]) {
                    io.client_udp = Some(from);
                }
            }
            () = sleep => session.handle_timeout(now()),
        }
    }
}

/// After a genuine ESP datagram: three replays, three copies with a
/// corrupted ICV, a truncated copy and one with an unknown SPI.
async fn abuse_copies(udp: &UdpSocket, d: &[u8], to: SocketAddr) -> Result<(), Error> {
    for _ in 0..3 {
        udp.send_to(d, to).await?;
    }
    let mut bad = d.to_vec();
    for i in 0..3 {
        let last = bad.len() - 1 - i;
        bad[last] ^= 0x01;
        udp.send_to(&bad, to).await?;
    }
    udp.send_to(&d[..d.len() / 2], to).await?;
    let mut other = d.to_vec();
    other[0] ^= 0xff;
    udp.send_to(&other, to).await?;
    Ok(())
}
