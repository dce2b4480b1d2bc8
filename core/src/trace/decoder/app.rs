//! The application layer of one decrypted TLS connection: HTTP until the
//! tunnel opens, then the oNCP or Pulse IF-T stream in each direction.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::vec::Vec;

use super::Out;
use super::http::{self, HttpState};
use super::oncp::OncpFlow;
use super::plaintext;
use super::pulse::PulseFlow;
use crate::oncp::wire::http::{RequestHead, ResponseHead};
use crate::oncp::wire::{StreamDecoder, StreamKind, WireError};
use crate::pulse::Deframer;
use crate::pulse::http::is_upgrade_request;
use crate::trace::event::{Event, Layer, Value};
use crate::trace::net::tcp::FlowId;
use crate::trace::{Direction, TraceError};

/// What a body is, for the summary at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Form,
    Html,
    Other,
}

enum Side {
    Http(HttpState, BodyKind),
    Oncp(StreamDecoder),
    Pulse(Deframer),
    Dead,
}

/// What a request asked for, for reading its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    /// An ordinary request.
    Page,
    /// The oNCP tunnel request (answered with 200).
    Oncp,
    /// The Pulse IF-T/TLS upgrade (answered with 101).
    Pulse,
}

/// Both directions of a TLS connection's plaintext.
pub(crate) struct AppStreams {
    flow: FlowId,
    /// Client side, server side.
    sides: [Side; 2],
    /// The next plaintext offset expected per side.
    next: [u64; 2],
    /// Requests awaiting their response: what each asked for.
    pending: VecDeque<Asked>,
    oncp: OncpFlow,
    pulse: PulseFlow,
}

const fn idx(dir: Direction) -> usize {
    match dir {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

/// The most requests remembered while their responses are outstanding.
const MAX_PENDING_REQUESTS: usize = 64;

impl AppStreams {
    pub(crate) fn new(flow: FlowId) -> Self {
        AppStreams {
            flow,
            sides: [
                Side::Http(HttpState::Head(Vec::new()), BodyKind::Other),
                Side::Http(HttpState::Head(Vec::new()), BodyKind::Other),
            ],
            next: [0; 2],
            pending: VecDeque::new(),
            oncp: OncpFlow::new(flow),
            pulse: PulseFlow::new(flow),
        }
    }

    fn emit(&self, out: &mut Out<'_>, dir: Direction, mut e: Event) {
        e.push("flow", self.flow);
        out.emit(Some(dir), e);
    }

    /// Decrypted bytes of `dir` at plaintext offset `offset`.
    pub(crate) fn data(&mut self, out: &mut Out<'_>, dir: Direction, offset: u64, data: &[u8]) {
        let i = idx(dir);
        if offset != self.next[i] && !matches!(self.sides[i], Side::Dead) {
            let missing = offset.saturating_sub(self.next[i]);
            let e = Event::from_error(
                Layer::Oncp,
                TraceError::PlaintextGap {
                    offset: self.next[i],
                    missing,
                },
            );
            self.emit(out, dir, e);
            self.sides[i] = Side::Dead;
        }
        self.next[i] = offset + data.len() as u64;
        let mut rest = data;
        while !rest.is_empty() {
            let used = self.step(out, dir, rest);
            rest = &rest[used..];
        }
    }

    /// Consumes some of `data` for side `dir`; returns how much.
    fn step(&mut self, out: &mut Out<'_>, dir: Direction, data: &[u8]) -> usize {
        let i = idx(dir);
        let show = out.opts.show_secrets;
        match &mut self.sides[i] {
            Side::Dead => data.len(),
            Side::Pulse(d) => {
                let r = d.feed(data);
                self.drain_pulse(out, dir);
                if let Err(e) = r {
                    self.emit(out, dir, PulseFlow::error(e));
                    self.sides[i] = Side::Dead;
                }
                data.len()
            }
            Side::Oncp(dec) => {
                let r = dec.feed(data);
                self.drain_oncp(out, dir);
                if let Err(e) = r {
                    let e = Event::from_error(Layer::Oncp, TraceError::Wire(e));
                    self.emit(out, dir, e);
                    self.sides[i] = Side::Dead;
                }
                data.len()
            }
            Side::Http(HttpState::Head(buf), _) => {
                let before = buf.len();
                buf.extend_from_slice(data);
                match http::take_head(buf) {
                    Ok(None) => data.len(),
                    Ok(Some(n)) => {
                        let head = core::mem::take(buf);
                        self.head(out, dir, &head[..n], show);
                        // Bytes after the head in this call's data.
                        n.saturating_sub(before)
                    }
                    Err(e) => {
                        self.emit(
                            out,
                            dir,
                            Event::from_error(Layer::Http, TraceError::Wire(e)),
                        );
                        self.sides[i] = Side::Dead;
                        data.len()
                    }
                }
            }
            Side::Http(HttpState::Body { remaining, scan }, kind) => {
                let n = (*remaining).min(data.len() as u64) as usize;
                http::keep(scan, &data[..n]);
                *remaining -= n as u64;
                if *remaining == 0 {
                    let scan = scan.take();
                    let kind = *kind;
                    self.body_end(out, dir, kind, scan, show);
                }
                n
            }
            Side::Http(HttpState::Chunked { chunk, scan }, kind) => {
                let (n, done) = http::chunked(chunk, scan, data);
                if done {
                    let scan = scan.take();
                    let kind = *kind;
                    self.body_end(out, dir, kind, scan, show);
                }
                n
            }
            Side::Http(HttpState::UntilClose, _) => data.len(),
        }
    }

    fn head(&mut self, out: &mut Out<'_>, dir: Direction, head: &[u8], show: bool) {
        let i = idx(dir);
        if dir == Direction::ClientToServer {
            match RequestHead::parse(head) {
                Ok(req) => {
                    let mut e = http::request_event(&req, show);
                    if out.opts.plaintext {
                        let secret = ["Authorization", "Proxy-Authorization", "Cookie"]
                            .iter()
                            .any(|h| req.header(h).is_some());
                        plaintext::attach(&mut e, head, secret, show);
                    }
                    self.emit(out, dir, e);
                    let tunnel = req.is_tunnel_request();
                    let asked = if tunnel {
                        Asked::Oncp
                    } else if is_upgrade_request(&req) {
                        Asked::Pulse
                    } else {
                        Asked::Page
                    };
                    if self.pending.len() < MAX_PENDING_REQUESTS {
                        self.pending.push_back(asked);
                    }
                    if asked == Asked::Pulse {
                        // IF-T messages follow the head (Content-Length 0).
                        self.sides[i] = Side::Pulse(Deframer::new());
                        return;
                    }
                    if tunnel {
                        // The announced Content-Length of 256 never comes
                        // (spec §2.1): oNCP starts right after the head.
                        self.sides[i] = Side::Oncp(StreamDecoder::new(StreamKind::ClientToServer));
                        return;
                    }
                    let kind = match req.header("Content-Type") {
                        Some(t) if t.contains("x-www-form-urlencoded") => BodyKind::Form,
                        _ => BodyKind::Other,
                    };
                    self.sides[i] =
                        match http::body_state(&req.headers, false, 0, kind == BodyKind::Form) {
                            Some(st) => Side::Http(st, kind),
                            None => Side::Http(HttpState::Head(Vec::new()), kind),
                        };
                }
                Err(e) => self.fail_http(out, dir, e),
            }
        } else {
            match ResponseHead::parse(head) {
                Ok(resp) => {
                    let asked = self.pending.pop_front().unwrap_or(Asked::Page);
                    let tunnel = asked == Asked::Oncp;
                    let answer = match asked {
                        Asked::Oncp => http::TunnelAnswer::Oncp,
                        Asked::Pulse => http::TunnelAnswer::Pulse,
                        Asked::Page => http::TunnelAnswer::None,
                    };
                    let mut e = http::response_event(&resp, answer, show);
                    if out.opts.plaintext {
                        let secret = resp.header("Set-Cookie").is_some();
                        plaintext::attach(&mut e, head, secret, show);
                    }
                    self.emit(out, dir, e);
                    if asked == Asked::Pulse && resp.status == 101 {
                        self.sides[i] = Side::Pulse(Deframer::new());
                        return;
                    }
                    if tunnel && resp.status == 200 {
                        self.sides[i] = Side::Oncp(StreamDecoder::new(StreamKind::ServerToClient));
                        return;
                    }
                    let kind = match resp.header("Content-Type") {
                        Some(t) if t.contains("html") => BodyKind::Html,
                        _ => BodyKind::Other,
                    };
                    self.sides[i] = match http::body_state(
                        &resp.headers,
                        true,
                        resp.status,
                        kind == BodyKind::Html,
                    ) {
                        Some(st) => Side::Http(st, kind),
                        None => Side::Http(HttpState::Head(Vec::new()), kind),
                    };
                }
                Err(e) => self.fail_http(out, dir, e),
            }
        }
    }

    fn fail_http(&mut self, out: &mut Out<'_>, dir: Direction, e: WireError) {
        self.emit(
            out,
            dir,
            Event::from_error(Layer::Http, TraceError::Wire(e)),
        );
        self.sides[idx(dir)] = Side::Dead;
    }

    fn body_end(
        &mut self,
        out: &mut Out<'_>,
        dir: Direction,
        kind: BodyKind,
        scan: Option<Vec<u8>>,
        show: bool,
    ) {
        self.sides[idx(dir)] = Side::Http(HttpState::Head(Vec::new()), BodyKind::Other);
        let Some(body) = scan else {
            return;
        };
        match kind {
            BodyKind::Form => {
                let fields = http::form_fields(&body, show);
                let mut e = Event::new(Layer::Http, "form submitted").with("form_fields", fields);
                if out.opts.plaintext {
                    // A login form: its values are credentials.
                    plaintext::attach(&mut e, &body, true, show);
                }
                self.emit(out, dir, e);
            }
            BodyKind::Html => {
                let (forms, inputs) = http::html_form_names(&body);
                if !forms.is_empty() || !inputs.is_empty() {
                    let mut e =
                        Event::new(Layer::Http, format!("page with {} form(s)", forms.len()))
                            .with("forms", Value::List(forms))
                            .with("inputs", Value::List(inputs));
                    if out.opts.plaintext {
                        plaintext::attach(&mut e, &body, false, show);
                    }
                    self.emit(out, dir, e);
                }
            }
            BodyKind::Other => {}
        }
    }

    fn drain_oncp(&mut self, out: &mut Out<'_>, dir: Direction) {
        let Side::Oncp(dec) = &mut self.sides[idx(dir)] else {
            return;
        };
        while let Some(item) = dec.poll_item() {
            for mut e in self.oncp.item(out, dir, item) {
                e.push("flow", self.flow);
                out.emit(Some(dir), e);
            }
        }
    }

    fn drain_pulse(&mut self, out: &mut Out<'_>, dir: Direction) {
        loop {
            let Side::Pulse(d) = &mut self.sides[idx(dir)] else {
                return;
            };
            let Some(f) = d.poll() else { return };
            for mut e in self.pulse.message(out, dir, &f) {
                e.push("flow", self.flow);
                out.emit(Some(dir), e);
            }
        }
    }

    /// The connection ended: report what was cut short.
    pub(crate) fn finish(&mut self, out: &mut Out<'_>) {
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let i = idx(dir);
            let partial = match &self.sides[i] {
                Side::Oncp(dec) => dec.has_partial().then_some((Layer::Oncp, "oNCP message")),
                Side::Pulse(d) => d.has_partial().then_some((Layer::Pulse, "IF-T message")),
                Side::Http(HttpState::Head(buf), _) if !buf.is_empty() => {
                    Some((Layer::Http, "HTTP head"))
                }
                Side::Http(HttpState::Body { .. } | HttpState::Chunked { .. }, _) => {
                    Some((Layer::Http, "HTTP body"))
                }
                _ => None,
            };
            if let Some((layer, what)) = partial {
                let e = Event::from_error(
                    layer,
                    TraceError::CutShort {
                        what,
                        offset: self.next[i],
                    },
                );
                self.emit(out, dir, e);
            }
        }
    }
}
