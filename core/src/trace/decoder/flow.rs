//! Per-TCP-flow state: TLS detection and decryption, and the layers above.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::vec::Vec;
use core::fmt;
use core::net::SocketAddr;

use super::{Ctx, emit_to};
use crate::trace::event::{Event, Layer};
use crate::trace::net::tcp::{FlowId, StreamChunk};
use crate::trace::tls::{KeyLog, TlsConnection, TlsEvent, TlsEventKind, looks_like_client_hello};
use crate::trace::{Direction, TraceError};

/// What a flow carries.
enum Kind {
    /// No data yet.
    Undecided,
    /// TLS.
    Tls(Box<TlsFlow>),
    /// Something else: its bytes are counted, not decoded.
    Other,
}

struct TlsFlow {
    conn: TlsConnection,
    out: Vec<TlsEvent>,
}

/// The decoder's state for one TCP flow.
pub(crate) struct FlowApp {
    id: FlowId,
    kind: Kind,
}

impl fmt::Debug for FlowApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Undecided => "undecided",
            Kind::Tls(_) => "tls",
            Kind::Other => "other",
        };
        f.debug_struct("FlowApp")
            .field("id", &self.id)
            .field("kind", &kind)
            .finish()
    }
}

/// Whether `data` starts like a TLS record (handshake, alert, CCS or
/// application data; version 3.x).
fn looks_like_tls_record(data: &[u8]) -> bool {
    matches!(data, [20..=23, 3, 0..=4, ..])
}

impl FlowApp {
    /// A new flow's state.
    pub(crate) fn new(id: FlowId, _client: SocketAddr, _server: SocketAddr) -> Self {
        FlowApp {
            id,
            kind: Kind::Undecided,
        }
    }

    /// A piece of the reassembled stream of direction `dir`.
    pub(crate) fn chunk(
        &mut self,
        ctx: &Ctx,
        dir: Direction,
        chunk: StreamChunk<'_>,
        keylog: &KeyLog,
        events: &mut VecDeque<Event>,
    ) {
        match chunk {
            StreamChunk::Gap { offset, missing } => {
                let mut e = Event::from_error(Layer::Tcp, TraceError::TcpGap { offset, missing });
                e.push("flow", self.id);
                emit_to(events, ctx, Some(dir), &mut e);
                if let Kind::Tls(t) = &mut self.kind {
                    t.conn.gap(dir, missing, &mut t.out);
                    self.drain_tls(ctx, events);
                }
            }
            StreamChunk::Data { data, .. } => {
                if matches!(self.kind, Kind::Undecided) {
                    self.decide(ctx, dir, data, events);
                }
                if let Kind::Tls(t) = &mut self.kind {
                    t.conn.feed(dir, data, keylog, &mut t.out);
                    self.drain_tls(ctx, events);
                }
            }
        }
    }

    fn decide(&mut self, ctx: &Ctx, dir: Direction, data: &[u8], events: &mut VecDeque<Event>) {
        let tls = (dir == Direction::ClientToServer && looks_like_client_hello(data))
            || looks_like_tls_record(data);
        if tls {
            self.kind = Kind::Tls(Box::new(TlsFlow {
                conn: TlsConnection::new(),
                out: Vec::new(),
            }));
        } else {
            self.kind = Kind::Other;
            let mut e = Event::new(
                Layer::Tcp,
                format!("flow {} is not TLS; not decoded", self.id),
            )
            .with("flow", self.id);
            emit_to(events, ctx, Some(dir), &mut e);
        }
    }

    /// New key log secrets.
    pub(crate) fn keys_added(&mut self, ctx: &Ctx, keylog: &KeyLog, events: &mut VecDeque<Event>) {
        if let Kind::Tls(t) = &mut self.kind {
            t.conn.keys_added(keylog, &mut t.out);
            self.drain_tls(ctx, events);
        }
    }

    /// The flow ended.
    pub(crate) fn finish(&mut self, ctx: &Ctx, keylog: &KeyLog, events: &mut VecDeque<Event>) {
        if let Kind::Tls(t) = &mut self.kind {
            t.conn.finish(keylog, &mut t.out);
            self.drain_tls(ctx, events);
        }
    }

    fn drain_tls(&mut self, ctx: &Ctx, events: &mut VecDeque<Event>) {
        let Kind::Tls(t) = &mut self.kind else {
            return;
        };
        for ev in t.out.drain(..) {
            let mut e = tls_event(&ev);
            e.push("flow", self.id);
            emit_to(events, ctx, Some(ev.direction), &mut e);
        }
    }
}

/// The decoder event for a TLS event.
fn tls_event(ev: &TlsEvent) -> Event {
    let offset = ev.offset;
    let e = match &ev.kind {
        TlsEventKind::ClientHello(h) => {
            let mut e = Event::new(Layer::Tls, "ClientHello")
                .with("version", format!("{}", h.legacy_version));
            if let Some(sni) = &h.server_name {
                e.summary = format!("ClientHello sni={sni}");
                e.push("sni", sni.as_str());
            }
            e.with("suites", h.cipher_suites.len())
        }
        TlsEventKind::ServerHello(h) => {
            let name = if h.hello_retry_request {
                "HelloRetryRequest"
            } else {
                "ServerHello"
            };
            Event::new(
                Layer::Tls,
                format!("{name} {} {}", h.version(), h.cipher_suite),
            )
            .with("version", format!("{}", h.version()))
            .with("suite", format!("{}", h.cipher_suite))
        }
        TlsEventKind::Error(err) => Event::from_error(Layer::Tls, TraceError::Tls(err.clone())),
        TlsEventKind::ApplicationData {
            stream_offset,
            data,
        } => Event::new(Layer::Tls, format!("application data {} bytes", data.len()))
            .with("length", data.len())
            .with("plain_offset", *stream_offset),
        _ => {
            // The TLS layer's own rendering after its "dir @offset: " prefix.
            let text = format!("{ev}");
            let summary = text.split_once(": ").map(|(_, s)| s).unwrap_or(&text);
            Event::new(Layer::Tls, summary)
        }
    };
    e.with("offset", offset)
}
