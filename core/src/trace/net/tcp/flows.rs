//! The TCP flow table: connections keyed by their 4-tuple, each with a
//! reassembler per direction and the caller's per-flow state. Memory is
//! bounded by the number of open flows ([`FlowLimits`]).

use alloc::vec::Vec;
use core::net::{IpAddr, SocketAddr};

use super::header::{TcpFlags, TcpHeader};
use super::stream::{SegmentVerdict, StreamChunk, StreamReassembler};
use crate::trace::Direction;

/// A BTreeMap is enough: lookups are O(log n) and it needs no hasher.
type Map<K, V> = alloc::collections::BTreeMap<K, V>;

/// Limits of the flow table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowLimits {
    /// Open flows at once; the least recently seen is evicted for a new one.
    pub max_flows: usize,
    /// Out-of-order bytes held per direction before a hole becomes a gap.
    pub max_buffered: usize,
}

impl Default for FlowLimits {
    fn default() -> Self {
        FlowLimits {
            max_flows: 4096,
            max_buffered: 4 << 20,
        }
    }
}

/// A flow's 4-tuple in canonical order (the smaller endpoint first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey(pub SocketAddr, pub SocketAddr);

impl FlowKey {
    /// The key of a segment from `src` to `dst`.
    pub fn new(src: SocketAddr, dst: SocketAddr) -> Self {
        if src <= dst {
            FlowKey(src, dst)
        } else {
            FlowKey(dst, src)
        }
    }
}

/// A flow's number, in order of first appearance.
pub type FlowId = u64;

/// One TCP flow: the connection's streams plus the caller's state.
#[derive(Debug)]
pub struct TcpFlow<A> {
    /// The connection.
    pub conn: TcpConnection,
    /// The caller's state for this flow.
    pub app: A,
}

/// One TCP connection's two streams.
#[derive(Debug)]
pub struct TcpConnection {
    /// Its number.
    pub id: FlowId,
    /// The client (the SYN's sender, or a guess: the higher port).
    pub client: SocketAddr,
    /// The server.
    pub server: SocketAddr,
    /// Client-to-server stream.
    pub to_server: StreamReassembler,
    /// Server-to-client stream.
    pub to_client: StreamReassembler,
    /// Capture time of the last segment.
    pub last_seen_us: u64,
    /// An RST was seen.
    pub reset: bool,
}

impl TcpConnection {
    /// The direction of a segment sent by `src`.
    pub fn direction_from(&self, src: SocketAddr) -> Direction {
        if src == self.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        }
    }

    /// The reassembler of `dir`.
    pub fn stream_mut(&mut self, dir: Direction) -> &mut StreamReassembler {
        match dir {
            Direction::ClientToServer => &mut self.to_server,
            Direction::ServerToClient => &mut self.to_client,
        }
    }

    /// Both directions finished (FIN reached both ways, or RST).
    pub fn is_closed(&self) -> bool {
        self.reset || (self.to_server.is_closed() && self.to_client.is_closed())
    }

    /// Adds a segment from `src`: the sender's stream gets the payload and
    /// the other stream learns the acknowledgment. Chunks of either
    /// direction go to `sink`.
    pub fn segment(
        &mut self,
        src: SocketAddr,
        tcp: &TcpHeader,
        payload: &[u8],
        now_us: u64,
        sink: &mut dyn FnMut(Direction, StreamChunk<'_>),
    ) -> SegmentVerdict {
        self.last_seen_us = self.last_seen_us.max(now_us);
        let dir = self.direction_from(src);
        let flags = tcp.flags;
        let verdict = self.stream_mut(dir).segment(
            tcp.seq,
            flags.has(TcpFlags::SYN),
            flags.has(TcpFlags::FIN),
            payload,
            &mut |c| sink(dir, c),
        );
        if flags.has(TcpFlags::ACK) {
            let other = dir.reverse();
            self.stream_mut(other)
                .peer_acked(tcp.ack, &mut |c| sink(other, c));
        }
        if flags.has(TcpFlags::RST) {
            self.reset = true;
            self.to_server
                .reset(&mut |c| sink(Direction::ClientToServer, c));
            self.to_client
                .reset(&mut |c| sink(Direction::ServerToClient, c));
        }
        verdict
    }

    /// End of capture: held data of both directions is delivered, with gaps.
    pub fn flush(&mut self, sink: &mut dyn FnMut(Direction, StreamChunk<'_>)) {
        self.to_server
            .flush(&mut |c| sink(Direction::ClientToServer, c));
        self.to_client
            .flush(&mut |c| sink(Direction::ServerToClient, c));
    }
}

/// The open TCP flows.
#[derive(Debug)]
pub struct FlowTable<A> {
    limits: FlowLimits,
    flows: Map<FlowKey, TcpFlow<A>>,
    next_id: FlowId,
}

impl<A> FlowTable<A> {
    /// An empty table.
    pub fn new(limits: FlowLimits) -> Self {
        FlowTable {
            limits,
            flows: Map::new(),
            next_id: 0,
        }
    }

    /// Open flows.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// Whether no flow is open.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// The flow of a segment from `src` to `dst`, created if new (or if a
    /// fresh SYN reuses a closed flow's 4-tuple). `make_app` builds the
    /// caller's state. Returns the flow and the flows evicted or replaced to
    /// make room, for the caller to finish.
    pub fn lookup(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        tcp: &TcpHeader,
        now_us: u64,
        make_app: impl FnOnce(FlowId, SocketAddr, SocketAddr) -> A,
        evicted: &mut Vec<TcpFlow<A>>,
    ) -> &mut TcpFlow<A> {
        let key = FlowKey::new(src, dst);
        let syn_only = tcp.flags.has(TcpFlags::SYN) && !tcp.flags.has(TcpFlags::ACK);
        if let Some(old) = self.flows.get(&key)
            && syn_only
            && (old.conn.is_closed()
                || old.conn.client != src
                || old.conn.to_server.delivered() > 0)
            && let Some(old) = self.flows.remove(&key)
        {
            evicted.push(old);
        }
        if !self.flows.contains_key(&key) {
            while self.flows.len() >= self.limits.max_flows.max(1) {
                let oldest = self
                    .flows
                    .iter()
                    .min_by_key(|(_, f)| (!f.conn.is_closed(), f.conn.last_seen_us))
                    .map(|(k, _)| *k);
                match oldest.and_then(|k| self.flows.remove(&k)) {
                    Some(f) => evicted.push(f),
                    None => break,
                }
            }
        }
        let limits = self.limits;
        let next_id = &mut self.next_id;
        self.flows.entry(key).or_insert_with(|| {
            let (client, server) = guess_roles(src, dst, tcp.flags);
            let id = *next_id;
            *next_id += 1;
            TcpFlow {
                conn: TcpConnection {
                    id,
                    client,
                    server,
                    to_server: StreamReassembler::new(limits.max_buffered),
                    to_client: StreamReassembler::new(limits.max_buffered),
                    last_seen_us: now_us,
                    reset: false,
                },
                app: make_app(id, client, server),
            }
        })
    }

    /// Whether a flow with this key is open.
    pub fn contains(&self, key: &FlowKey) -> bool {
        self.flows.contains_key(key)
    }

    /// The limits.
    pub fn limits(&self) -> FlowLimits {
        self.limits
    }

    /// Mutable access to every open flow's caller state.
    pub fn apps_mut(&mut self) -> impl Iterator<Item = (&TcpConnection, &mut A)> {
        self.flows.values_mut().map(|f| (&f.conn, &mut f.app))
    }

    /// Removes and returns the flow of `key`.
    pub fn remove(&mut self, key: &FlowKey) -> Option<TcpFlow<A>> {
        self.flows.remove(key)
    }

    /// Removes every flow (end of capture), in key order.
    pub fn drain(&mut self) -> Vec<TcpFlow<A>> {
        let mut all: Vec<TcpFlow<A>> = core::mem::take(&mut self.flows).into_values().collect();
        all.sort_by_key(|f| f.conn.id);
        all
    }
}

/// Who is the client: the sender of a bare SYN, the receiver of a SYN-ACK,
/// otherwise the endpoint with the higher port (servers listen on low ones).
fn guess_roles(src: SocketAddr, dst: SocketAddr, flags: TcpFlags) -> (SocketAddr, SocketAddr) {
    if flags.has(TcpFlags::SYN) {
        if flags.has(TcpFlags::ACK) {
            (dst, src)
        } else {
            (src, dst)
        }
    } else if src.port() >= dst.port() {
        (src, dst)
    } else {
        (dst, src)
    }
}

/// A socket address from an IP address and port.
pub fn socket(ip: IpAddr, port: u16) -> SocketAddr {
    SocketAddr::new(ip, port)
}
