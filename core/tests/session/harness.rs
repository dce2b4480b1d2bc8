//! A simulated clock and link between a ClientSession and a
//! GatewaySession: TLS is reliable and in order with a fixed delay; the
//! UDP link can drop, duplicate, reorder (jitter) and delay, and be
//! blocked per direction. Every datagram the link drops is recorded.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::Ipv4Addr;
use std::ops::{Deref, DerefMut};

use oncp_core::esp::{Cipher, Integrity};
use oncp_core::oncp::session::*;
use oncp_core::oncp::wire::{ConfigValues, Route};
use oncp_core::rng::{Random, TestRng};
use oncp_core::time::{Duration, Instant};
pub use oncp_core::tunnel::{ClientTunnel, GatewayTunnel};

pub const DSID: &str = "0123456789abcdef0123456789abcdef";

/// The client's tunnel address (what [`gateway_config`] assigns).
pub const C: [u8; 4] = [10, 10, 1, 2];
/// An address behind the gateway (inside the split-include route).
pub const S: [u8; 4] = [10, 0, 0, 1];

pub fn gateway_config() -> GatewaySessionConfig {
    GatewaySessionConfig {
        values: ConfigValues {
            address: Some(Ipv4Addr::new(10, 10, 1, 2)),
            netmask: Some(Ipv4Addr::new(255, 255, 255, 0)),
            dns: vec![Ipv4Addr::new(10, 0, 0, 53)],
            search_domain: Some("corp.example".into()),
            split_include: vec![Route {
                addr: Ipv4Addr::new(10, 0, 0, 0),
                mask: Ipv4Addr::new(255, 0, 0, 0),
            }],
            mtu: Some(1400),
            ..Default::default()
        },
        cipher: Cipher::Aes128Cbc,
        integrity: Integrity::HmacSha1_96,
        esp_port: Some(4500),
        compression: false,
        rekey_after: None,
        dpd: Some(Duration::from_secs(10)),
        replay_protection: true,
    }
}

/// A session whose `poll_output` is sorted into one queue per kind, so a
/// test can look at one kind at a time. Every output goes through the one
/// `poll_output` drain in [`pull`](Self::pull).
pub struct Polled<S: Sorts> {
    pub inner: S,
    /// What a gateway offers when it accepts a tunnel request.
    pub offer: GatewaySessionConfig,
    tls: VecDeque<Vec<u8>>,
    udp: VecDeque<Vec<u8>>,
    ip: VecDeque<Vec<u8>>,
    events: VecDeque<S::Event>,
}

/// The sessions `Polled` wraps.
pub trait Sorts {
    type Event;
    fn next(&mut self, buf: &mut Vec<u8>) -> Option<Output<Self::Event>>;
}

impl Sorts for ClientSession {
    type Event = ClientEvent;
    fn next(&mut self, buf: &mut Vec<u8>) -> Option<Output<ClientEvent>> {
        self.poll_output(buf)
    }
}

impl Sorts for GatewaySession {
    type Event = GatewayEvent;
    fn next(&mut self, buf: &mut Vec<u8>) -> Option<Output<GatewayEvent>> {
        self.poll_output(buf)
    }
}

impl<S: Sorts> Polled<S> {
    pub fn new(inner: S) -> Self {
        Polled {
            inner,
            offer: gateway_config(),
            tls: VecDeque::new(),
            udp: VecDeque::new(),
            ip: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Sorts every pending output into its queue.
    pub fn pull(&mut self) {
        let mut buf = Vec::new();
        while let Some(o) = self.inner.next(&mut buf) {
            match o {
                Output::Tls => self.tls.push_back(std::mem::take(&mut buf)),
                Output::Udp => self.udp.push_back(std::mem::take(&mut buf)),
                Output::Ip => self.ip.push_back(std::mem::take(&mut buf)),
                Output::Event(e) => self.events.push_back(e),
            }
        }
    }

    pub fn poll_tls_transmit(&mut self) -> Option<Vec<u8>> {
        self.pull();
        self.tls.pop_front()
    }
    pub fn poll_udp_transmit(&mut self) -> Option<Vec<u8>> {
        self.pull();
        self.udp.pop_front()
    }
    pub fn poll_ip(&mut self) -> Option<Vec<u8>> {
        self.pull();
        self.ip.pop_front()
    }
    pub fn poll_event(&mut self) -> Option<S::Event> {
        self.pull();
        self.events.pop_front()
    }
}

impl Polled<GatewaySession> {
    /// Feeds TLS bytes and answers a tunnel request at once: accepted
    /// with [`offer`](Self::offer) for [`DSID`], rejected otherwise (the
    /// request event itself is not queued).
    pub fn handle_tls(&mut self, now: Instant, data: &[u8]) {
        self.inner.handle_tls(now, data);
        self.pull();
        let mut kept = VecDeque::new();
        while let Some(e) = self.events.pop_front() {
            match e {
                GatewayEvent::TunnelRequested(r) => {
                    if r.dsid.as_deref() == Some(DSID) {
                        self.inner.accept_with(now, self.offer.clone());
                    } else {
                        self.inner.reject(now, RejectReason::BadCookie);
                    }
                    self.pull();
                }
                other => kept.push_back(other),
            }
        }
        self.events = kept;
    }
}

impl<S: Sorts> Deref for Polled<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.inner
    }
}

impl<S: Sorts> DerefMut for Polled<S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.inner
    }
}

pub fn client_options() -> ClientOptions {
    let mut o = ClientOptions::new("vpn.example.com", &format!("DSID={DSID}"));
    o.local_hostname = "simclient".into();
    o
}

/// An IPv4 packet (protocol 253) whose payload starts with `id`.
pub fn packet(id: u32, from: [u8; 4], to: [u8; 4], len: usize) -> Vec<u8> {
    let mut p = vec![0u8; len.max(24)];
    write_packet(&mut p, id, from, to);
    p
}

/// Writes [`packet`]`(id, from, to, p.len())` into `p` (at least 24
/// bytes), without allocating.
pub fn write_packet(p: &mut [u8], id: u32, from: [u8; 4], to: [u8; 4]) {
    let len = p.len();
    p.fill(0);
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
    p[8] = 64;
    p[9] = 253;
    p[12..16].copy_from_slice(&from);
    p[16..20].copy_from_slice(&to);
    p[20..24].copy_from_slice(&id.to_be_bytes());
    for (i, b) in p[24..].iter_mut().enumerate() {
        *b = (id as usize).wrapping_add(i) as u8;
    }
}

pub fn packet_id(p: &[u8]) -> u32 {
    u32::from_be_bytes(p[20..24].try_into().unwrap())
}

#[derive(Debug, Clone, Copy, Default)]
pub struct LinkFaults {
    pub loss: f64,
    pub duplicate: f64,
    pub jitter: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dir {
    C2S,
    S2C,
}

/// How a test packet left its sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Tls,
    Udp(u64),
    /// The session took nothing (not configured yet, or closed).
    NotSent,
}

pub struct Pair {
    pub now: Instant,
    pub client: Polled<ClientSession>,
    pub gateway: Polled<GatewaySession>,
    pub faults: LinkFaults,
    pub blocked: HashSet<Dir>,
    /// The TLS connection died silently: records written are never
    /// delivered (no error either side).
    pub tls_dead: bool,
    pub tls_delay: Duration,
    pub udp_delay: Duration,
    link_rng: TestRng,
    /// (deliver at, sequence) -> (direction, datagram id, bytes)
    udp_in_flight: BTreeMap<(Instant, u64), (Dir, u64, Vec<u8>)>,
    tls_in_flight: BTreeMap<(Instant, u64), (Dir, Vec<u8>)>,
    seq: u64,
    next_datagram: u64,
    /// Datagram ids whose every copy the link dropped.
    pub dropped: HashSet<u64>,
    pub client_rx: Vec<Vec<u8>>,
    pub gateway_rx: Vec<Vec<u8>>,
    pub client_events: Vec<(Instant, ClientEvent)>,
    pub gateway_events: Vec<(Instant, GatewayEvent)>,
    pub client_udp_sent: u64,
}

impl Pair {
    pub fn new(gw: GatewaySessionConfig, opts: ClientOptions, seed: u64) -> Pair {
        let now = Instant(1_000_000);
        // Batches of 10 or more datagrams verify with the lanes block
        // function, as the shell installs it.
        oncp_core::esp::install_sha1_lanes(oncp_core::esp::sha1_compress_lanes);
        let client = Polled::new(ClientSession::new(opts, Box::new(TestRng::new(seed)), now));
        let gateway = Self::new_gateway(gw, seed, now);
        Pair {
            now,
            client,
            gateway,
            faults: LinkFaults::default(),
            blocked: HashSet::new(),
            tls_dead: false,
            tls_delay: Duration::from_millis(10),
            udp_delay: Duration::from_millis(10),
            link_rng: TestRng::new(seed ^ 0x5555),
            udp_in_flight: BTreeMap::new(),
            tls_in_flight: BTreeMap::new(),
            seq: 0,
            next_datagram: 0,
            dropped: HashSet::new(),
            client_rx: Vec::new(),
            gateway_rx: Vec::new(),
            client_events: Vec::new(),
            gateway_events: Vec::new(),
            client_udp_sent: 0,
        }
    }

    pub fn new_gateway(
        gw: GatewaySessionConfig,
        seed: u64,
        now: Instant,
    ) -> Polled<GatewaySession> {
        let mut g = Polled::new(GatewaySession::new(
            Box::new(TestRng::new(seed.wrapping_mul(31).wrapping_add(7))),
            now,
        ));
        g.offer = gw;
        g
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.link_rng.next_u32() as f64) / (u32::MAX as f64) < p
    }

    fn send_udp(&mut self, dir: Dir, d: Vec<u8>) -> u64 {
        let id = self.next_datagram;
        self.next_datagram += 1;
        if self.blocked.contains(&dir) || self.chance(self.faults.loss) {
            self.dropped.insert(id);
            return id;
        }
        let copies = if self.chance(self.faults.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let jitter = if self.faults.jitter.0 > 0 {
                Duration(self.link_rng.next_u32() as u64 % self.faults.jitter.0)
            } else {
                Duration(0)
            };
            self.seq += 1;
            self.udp_in_flight.insert(
                (self.now + self.udp_delay + jitter, self.seq),
                (dir, id, d.clone()),
            );
        }
        id
    }

    /// Moves every pending output of both sides onto the links. Returns
    /// the id of the last client datagram and whether the client wrote to
    /// TLS, for tracking how a packet left.
    pub fn collect(&mut self) -> (Option<u64>, bool) {
        let mut last_udp = None;
        let mut wrote_tls = false;
        while let Some(d) = self.client.poll_udp_transmit() {
            self.client_udp_sent += 1;
            last_udp = Some(self.send_udp(Dir::C2S, d));
        }
        while let Some(d) = self.gateway.poll_udp_transmit() {
            self.send_udp(Dir::S2C, d);
        }
        while let Some(b) = self.client.poll_tls_transmit() {
            wrote_tls = true;
            if self.tls_dead {
                continue;
            }
            self.seq += 1;
            self.tls_in_flight
                .insert((self.now + self.tls_delay, self.seq), (Dir::C2S, b));
        }
        while let Some(b) = self.gateway.poll_tls_transmit() {
            if self.tls_dead {
                continue;
            }
            self.seq += 1;
            self.tls_in_flight
                .insert((self.now + self.tls_delay, self.seq), (Dir::S2C, b));
        }
        while let Some(p) = self.client.poll_ip() {
            self.client_rx.push(p);
        }
        while let Some(p) = self.gateway.poll_ip() {
            self.gateway_rx.push(p);
        }
        while let Some(e) = self.client.poll_event() {
            self.client_events.push((self.now, e));
        }
        while let Some(e) = self.gateway.poll_event() {
            self.gateway_events.push((self.now, e));
        }
        (last_udp, wrote_tls)
    }

    /// Delivers everything due at or before `now`.
    fn deliver_due(&mut self) {
        loop {
            let tls = self.tls_in_flight.first_key_value().map(|(k, _)| *k);
            let udp = self.udp_in_flight.first_key_value().map(|(k, _)| *k);
            let next = match (tls, udp) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) => a,
                (None, Some(b)) => b,
                (None, None) => return,
            };
            if next.0 > self.now {
                return;
            }
            let now = self.now;
            if tls == Some(next) {
                let (dir, b) = self.tls_in_flight.remove(&next).unwrap();
                match dir {
                    Dir::C2S => self.gateway.handle_tls(now, &b),
                    Dir::S2C => self.client.handle_tls(now, &b),
                }
            } else {
                let (dir, _, d) = self.udp_in_flight.remove(&next).unwrap();
                // Each side takes every datagram due before the next TLS
                // bytes in one receive, as the drivers do (recvmmsg, GRO):
                // a batch.
                let mut batch = vec![d];
                while let Some((&k, (next_dir, _, _))) = self.udp_in_flight.first_key_value()
                    && *next_dir == dir
                    && k.0 <= now
                    && tls.is_none_or(|t| k < t)
                {
                    batch.push(self.udp_in_flight.remove(&k).unwrap().2);
                }
                let refs: Vec<&[u8]> = batch.iter().map(|d| &d[..]).collect();
                match dir {
                    Dir::C2S => {
                        let mut authentic = vec![false; refs.len()];
                        self.gateway.handle_udp_batch(now, &refs, &mut authentic);
                    }
                    Dir::S2C => self.client.handle_udp_batch(now, &refs),
                }
            }
            self.collect();
        }
    }

    /// Runs the simulation until `end`, jumping from event to event.
    pub fn run_until(&mut self, end: Instant) {
        loop {
            self.collect();
            self.deliver_due();
            for t in [self.client.poll_timeout(), self.gateway.poll_timeout()] {
                if t.is_some_and(|t| t <= self.now) {
                    let now = self.now;
                    self.client.handle_timeout(now);
                    self.gateway.handle_timeout(now);
                    self.collect();
                    // A handled timer must not stay due: that would spin
                    // a real driver.
                    for (side, t) in [
                        ("client", self.client.poll_timeout()),
                        ("gateway", self.gateway.poll_timeout()),
                    ] {
                        assert!(t.is_none_or(|t| t > now), "{side} timer stuck at {t:?}");
                    }
                }
            }
            let next = [
                self.client.poll_timeout(),
                self.gateway.poll_timeout(),
                self.tls_in_flight.first_key_value().map(|(k, _)| k.0),
                self.udp_in_flight.first_key_value().map(|(k, _)| k.0),
            ]
            .into_iter()
            .flatten()
            .filter(|&t| t > self.now)
            .min();
            match next {
                Some(t) if t <= end => self.now = t,
                _ => {
                    self.now = end;
                    self.deliver_due();
                    return;
                }
            }
        }
    }

    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        self.run_until(end);
    }

    /// The client sends `p` now; returns how it left.
    pub fn client_send(&mut self, p: &[u8]) -> Via {
        let now = self.now;
        self.client.send_ip(now, p);
        match self.collect() {
            (Some(id), _) => Via::Udp(id),
            (None, true) => Via::Tls,
            (None, false) => Via::NotSent,
        }
    }

    /// The gateway sends `p` now; returns how it left.
    pub fn gateway_send(&mut self, p: &[u8]) -> Via {
        let now = self.now;
        let (before, tls_before) = (self.next_datagram, self.tls_in_flight.len());
        self.gateway.send_ip(now, p);
        self.collect();
        if self.next_datagram > before {
            Via::Udp(self.next_datagram - 1)
        } else if self.tls_in_flight.len() > tls_before {
            Via::Tls
        } else {
            Via::NotSent
        }
    }

    /// How many of the client's events so far match `f`.
    pub fn client_event_count(&self, f: impl Fn(&ClientEvent) -> bool) -> usize {
        self.client_events.iter().filter(|(_, e)| f(e)).count()
    }

    /// Asserts that the client is on ESP and that its packet `id` leaves
    /// over UDP and is the last one the gateway has received a second later.
    pub fn assert_esp_carries(&mut self, id: u32) {
        assert_eq!(self.client.transport(), Transport::Esp);
        assert!(matches!(
            self.client_send(&packet(id, C, S, 100)),
            Via::Udp(_)
        ));
        self.run_for(Duration::from_secs(1));
        assert_eq!(self.gateway_rx.last().map(|x| packet_id(x)), Some(id));
    }

    pub fn client_saw(&self, f: impl Fn(&ClientEvent) -> bool) -> bool {
        self.client_events.iter().any(|(_, e)| f(e))
    }

    pub fn gateway_saw(&self, f: impl Fn(&GatewayEvent) -> bool) -> bool {
        self.gateway_events.iter().any(|(_, e)| f(e))
    }
}
