//! Per-packet decoding: link → IP (fragments) → TCP / UDP / other.

use alloc::format;
use alloc::vec::Vec;
use core::net::SocketAddr;

use super::flow::FlowApp;
use super::text;
use super::{Ctx, Out, State, emit_to};
use crate::trace::TraceError;
use crate::trace::capture::LinkType;
use crate::trace::event::{Event, Layer};
use crate::trace::link::{self, LinkPayload};
use crate::trace::net::ip::{self, IpHeader, protocol};
use crate::trace::net::tcp::{self, FlowKey, SegmentVerdict, TcpFlags, TcpFlow, TcpHeader};
use crate::trace::net::udp;

impl State {
    /// Decodes one captured frame.
    pub(crate) fn packet(&mut self, ctx: &Ctx, link_type: LinkType, frame: &[u8]) {
        let packet = match link::decode(link_type, frame) {
            Ok(LinkPayload::Ip { packet, .. }) => packet,
            Ok(LinkPayload::Other { protocol }) => {
                if self.opts.packet_events {
                    let e = Event::new(
                        Layer::Capture,
                        format!("non-IP frame, protocol {protocol:#06x}"),
                    )
                    .with("protocol", u64::from(protocol));
                    self.emit(ctx, None, e);
                }
                return;
            }
            Err(e) => return self.error(ctx, Layer::Capture, None, e),
        };
        self.ip_packet(ctx, packet);
    }

    fn ip_packet(&mut self, ctx: &Ctx, packet: &[u8]) {
        let (header, payload) = match ip::parse(packet) {
            Ok(v) => v,
            Err(e) => return self.error(ctx, Layer::Ip, None, e),
        };
        if let Some(now) = ctx.time_us {
            let mut errs = Vec::new();
            self.fragments.expire(now, &mut errs);
            for e in errs {
                self.error(ctx, Layer::Ip, None, e);
            }
        }
        if header.fragment.is_some() {
            let mut errs = Vec::new();
            let whole = self
                .fragments
                .push(ctx.time_us.unwrap_or(0), &header, payload, &mut errs);
            for e in errs {
                self.error(ctx, Layer::Ip, None, e);
            }
            if let Some((h, data)) = whole {
                let e = Event::new(
                    Layer::Ip,
                    format!("reassembled {} -> {} ({} bytes)", h.src, h.dst, data.len()),
                )
                .with("src", format!("{}", h.src))
                .with("dst", format!("{}", h.dst))
                .with("protocol", h.protocol)
                .with("length", data.len());
                self.emit(ctx, None, e);
                self.transport(ctx, &h, &data);
            }
            return;
        }
        self.transport(ctx, &header, payload);
    }

    fn transport(&mut self, ctx: &Ctx, h: &IpHeader, payload: &[u8]) {
        match h.protocol {
            protocol::TCP => self.tcp_segment(ctx, h, payload),
            protocol::UDP => self.udp_datagram(ctx, h, payload),
            p => {
                if self.opts.packet_events {
                    let e = Event::new(
                        Layer::Ip,
                        format!("{} -> {} {}", h.src, h.dst, protocol::name(p)),
                    )
                    .with("protocol", p)
                    .with("length", payload.len());
                    self.emit(ctx, None, e);
                }
            }
        }
    }

    fn udp_datagram(&mut self, ctx: &Ctx, h: &IpHeader, datagram: &[u8]) {
        let (udp, payload) = match udp::parse(datagram) {
            Ok(v) => v,
            Err(e) => return self.error(ctx, Layer::Udp, None, e),
        };
        let src = SocketAddr::new(h.src, udp.src_port);
        let dst = SocketAddr::new(h.dst, udp.dst_port);
        if self.esp.claims(src, dst, payload) {
            let mut found = Vec::new();
            self.esp
                .decode(src, dst, payload, self.opts.plaintext, &mut found);
            for (dir, e) in found {
                self.emit(ctx, dir, e);
            }
            return;
        }
        if self.opts.packet_events {
            let e = Event::new(
                Layer::Udp,
                format!("{src} -> {dst} {} bytes", payload.len()),
            )
            .with("src", text::socket(&src))
            .with("dst", text::socket(&dst))
            .with("length", payload.len());
            self.emit(ctx, None, e);
        }
    }

    fn tcp_segment(&mut self, ctx: &Ctx, h: &IpHeader, segment: &[u8]) {
        let (tcp, payload) = match tcp::TcpHeader::parse(segment) {
            Ok(v) => v,
            Err(e) => return self.error(ctx, Layer::Tcp, None, e),
        };
        let src = SocketAddr::new(h.src, tcp.src_port);
        let dst = SocketAddr::new(h.dst, tcp.dst_port);
        let key = FlowKey::new(src, dst);
        let flags = tcp.flags;
        // A bare ACK or late FIN of an unknown (or finished) flow opens nothing.
        if !self.flows.contains(&key) && !flags.has(TcpFlags::SYN) && payload.is_empty() {
            return;
        }
        let now = ctx.time_us.unwrap_or(0);
        let mut evicted = Vec::new();
        let flow = self
            .flows
            .lookup(src, dst, &tcp, now, FlowApp::new, &mut evicted);
        let TcpFlow { conn, app } = flow;
        let dir = conn.direction_from(src);
        let keylog = &self.keylog;
        let mut out = Out {
            events: &mut self.events,
            ctx,
            esp: &mut self.esp,
            opts: &self.opts,
        };
        let verdict = conn.segment(src, &tcp, payload, now, &mut |d, chunk| {
            app.chunk(d, chunk, keylog, &mut out);
        });
        let events = &mut *out.events;
        let notable = flags.0 & (TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST) != 0
            || !matches!(verdict, SegmentVerdict::InOrder);
        if notable || self.opts.packet_events {
            let mut e = segment_event(src, dst, &tcp, payload.len(), verdict);
            e.push("flow", conn.id);
            emit_to(events, ctx, Some(dir), &mut e);
        }
        let closed = conn.is_closed();
        if closed && let Some(mut flow) = self.flows.remove(&key) {
            self.finish_flow(ctx, &mut flow, "closed");
        }
        for mut old in evicted {
            let reason = if old.conn.is_closed() {
                "closed"
            } else {
                "evicted"
            };
            if reason == "evicted" {
                let e = TraceError::FlowEvicted {
                    flow: old.conn.id,
                    limit: self.flows.limits().max_flows,
                };
                self.error(ctx, Layer::Tcp, None, e);
            }
            self.finish_flow(ctx, &mut old, reason);
        }
    }

    /// Delivers a flow's held data and ends its upper layers.
    pub(crate) fn finish_flow(&mut self, ctx: &Ctx, flow: &mut TcpFlow<FlowApp>, reason: &str) {
        let TcpFlow { conn, app } = flow;
        let keylog = &self.keylog;
        let mut out = Out {
            events: &mut self.events,
            ctx,
            esp: &mut self.esp,
            opts: &self.opts,
        };
        conn.flush(&mut |d, chunk| app.chunk(d, chunk, keylog, &mut out));
        app.finish(keylog, &mut out);
        let events = &mut *out.events;
        let mut e = Event::new(
            Layer::Tcp,
            format!(
                "connection {} {} <-> {} {reason}",
                conn.id, conn.client, conn.server
            ),
        )
        .with("flow", conn.id)
        .with("client_bytes", conn.to_server.delivered())
        .with("server_bytes", conn.to_client.delivered());
        let missing = conn.to_server.missing() + conn.to_client.missing();
        if missing > 0 {
            e.push("missing_bytes", missing);
        }
        emit_to(events, ctx, None, &mut e);
    }

    /// End of capture: every flow is finished, unfinished fragments reported.
    pub(crate) fn finish_all(&mut self, ctx: &Ctx) {
        for mut flow in self.flows.drain() {
            self.finish_flow(ctx, &mut flow, "open at end of capture");
        }
        let mut errs = Vec::new();
        self.fragments.expire(u64::MAX, &mut errs);
        for e in errs {
            self.error(ctx, Layer::Ip, None, e);
        }
    }

    /// New keys: flows waiting for them decrypt now.
    pub(crate) fn keys_added(&mut self, ctx: &Ctx) {
        let keylog = &self.keylog;
        let mut out = Out {
            events: &mut self.events,
            ctx,
            esp: &mut self.esp,
            opts: &self.opts,
        };
        for (_, app) in self.flows.apps_mut() {
            app.keys_added(keylog, &mut out);
        }
    }
}

fn segment_event(
    src: SocketAddr,
    dst: SocketAddr,
    tcp: &TcpHeader,
    len: usize,
    verdict: SegmentVerdict,
) -> Event {
    let mut summary = format!("{src} -> {dst} [{}] seq={} len={len}", tcp.flags, tcp.seq);
    if verdict != SegmentVerdict::InOrder {
        summary.push(' ');
        summary.push_str(verdict.name());
    }
    Event::new(Layer::Tcp, summary)
        .with("src", format!("{src}"))
        .with("dst", format!("{dst}"))
        .with("flags", format!("{}", tcp.flags))
        .with("seq", tcp.seq)
        .with("ack", tcp.ack)
        .with("length", len)
        .with("verdict", verdict.name())
}
