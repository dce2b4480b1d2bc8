//! Per-TCP-flow state: TLS detection and decryption, and the layers above.

use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;
use core::fmt;
use core::net::SocketAddr;

use super::Out;
use super::app::AppStreams;
use super::plaintext;
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
    app: AppStreams,
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
        dir: Direction,
        chunk: StreamChunk<'_>,
        keylog: &KeyLog,
        out: &mut Out<'_>,
    ) {
        match chunk {
            StreamChunk::Gap { offset, missing } => {
                let mut e = Event::from_error(Layer::Tcp, TraceError::TcpGap { offset, missing });
                e.push("flow", self.id);
                out.emit(Some(dir), e);
                if let Kind::Tls(t) = &mut self.kind {
                    t.conn.gap(dir, missing, &mut t.out);
                    self.drain_tls(keylog, out);
                }
            }
            StreamChunk::Data { data, .. } => {
                if matches!(self.kind, Kind::Undecided) {
                    self.decide(dir, data, out);
                }
                if let Kind::Tls(t) = &mut self.kind {
                    t.conn.feed(dir, data, keylog, &mut t.out);
                    self.drain_tls(keylog, out);
                }
            }
        }
    }

    fn decide(&mut self, dir: Direction, data: &[u8], out: &mut Out<'_>) {
        let tls = (dir == Direction::ClientToServer && looks_like_client_hello(data))
            || looks_like_tls_record(data);
        if tls {
            self.kind = Kind::Tls(Box::new(TlsFlow {
                conn: TlsConnection::new(),
                out: Vec::new(),
                app: AppStreams::new(self.id),
            }));
        } else {
            self.kind = Kind::Other;
            let e = Event::new(
                Layer::Tcp,
                format!("flow {} is not TLS; not decoded", self.id),
            )
            .with("flow", self.id);
            out.emit(Some(dir), e);
        }
    }

    /// New key log secrets.
    pub(crate) fn keys_added(&mut self, keylog: &KeyLog, out: &mut Out<'_>) {
        if let Kind::Tls(t) = &mut self.kind {
            t.conn.keys_added(keylog, &mut t.out);
            self.drain_tls(keylog, out);
        }
    }

    /// The flow ended.
    pub(crate) fn finish(&mut self, keylog: &KeyLog, out: &mut Out<'_>) {
        if let Kind::Tls(t) = &mut self.kind {
            t.conn.finish(keylog, &mut t.out);
            self.drain_tls(keylog, out);
            if let Kind::Tls(t) = &mut self.kind {
                t.app.finish(out);
            }
        }
    }

    fn drain_tls(&mut self, _keylog: &KeyLog, out: &mut Out<'_>) {
        let Kind::Tls(t) = &mut self.kind else {
            return;
        };
        // Directions as the TLS layer learnt them from the ClientHello.
        let swap = t.conn.client_direction() != Direction::ClientToServer;
        let mut events = core::mem::take(&mut t.out);
        for ev in events.drain(..) {
            let dir = if swap {
                ev.direction.reverse()
            } else {
                ev.direction
            };
            if let TlsEventKind::ApplicationData {
                stream_offset,
                data,
            } = &ev.kind
            {
                if out.opts.packet_events {
                    let mut e = tls_event(&ev).with("flow", self.id);
                    if out.opts.plaintext {
                        // Any of the session's secrets may be in there.
                        plaintext::attach(&mut e, data, true, out.opts.show_secrets);
                    }
                    out.emit(Some(dir), e);
                }
                t.app.data(out, dir, *stream_offset, data);
                continue;
            }
            let e = tls_event(&ev).with("flow", self.id);
            out.emit(Some(dir), e);
        }
        // Keep the allocation.
        t.out = events;
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
