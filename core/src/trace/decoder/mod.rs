//! The sans-IO trace decoder: capture bytes and key logs in, [`Event`]s out.
//!
//! ```
//! use oncp_core::trace::{Decoder, DecoderOptions};
//!
//! let mut decoder = Decoder::new(DecoderOptions::default());
//! decoder.add_keylog(b"# SSLKEYLOGFILE lines\n");
//! decoder.push(&[0xd4, 0xc3, 0xb2, 0xa1]); // any chunking of the file
//! decoder.finish();
//! while let Some(event) = decoder.poll_event() {
//!     println!("{event}");
//! }
//! ```
//!
//! Call order: [`Decoder::add_keylog`] (any time; data held back for want of
//! keys is decrypted when they arrive), [`Decoder::push`] with each chunk of
//! the file, [`Decoder::poll_event`] until `None` after each push, and
//! [`Decoder::finish`] at the end of the file, then poll again. Memory is
//! bounded by the open flows and fragment reassembly, not the file size.
//!
//! With [`DecoderOptions::plaintext`] each decrypted event also carries the
//! plaintext bytes it was decoded from ([`Event::plaintext`]); they are
//! handed out with the event and not kept, so memory stays bounded the
//! same way.

mod app;
mod esp;
mod flow;
mod gso;
#[cfg(test)]
mod gso_tests;
mod http;
mod inner;
mod oncp;
mod packet;
mod plaintext;
mod pulse;
#[cfg(test)]
mod pulse_tests;
pub(crate) mod text;
mod user_sa;

pub use user_sa::{UserSa, UserSaError};

use alloc::collections::VecDeque;
use alloc::format;
use core::ops::Range;

use super::capture::{CaptureItem, CaptureLimits, CaptureReader};
use super::event::{Event, Layer};
use super::net::fragment::{FragmentLimits, Reassembler};
use super::net::tcp::{FlowLimits, FlowTable};
use super::tls::KeyLog;
use super::{Direction, TraceError};
use esp::EspRegistry;
use flow::FlowApp;

/// How the decoder works and what it reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoderOptions {
    /// Show secrets (cookie values, keys) instead of redacting them.
    pub show_secrets: bool,
    /// One event per TCP segment and UDP datagram (otherwise only SYN, FIN,
    /// RST and anomalies).
    pub packet_events: bool,
    /// Capture reader limits.
    pub capture: CaptureLimits,
    /// TCP flow limits.
    pub flows: FlowLimits,
    /// IP fragment reassembly limits.
    pub fragments: FragmentLimits,
    /// The most events queued before [`Decoder::push`] stops reading the
    /// buffered input (the rest is read on the next push or poll).
    pub max_queued_events: usize,
    /// ESP SAs supplied by the user (`--esp-sa`), used besides those found
    /// in the oNCP stream.
    pub esp_sas: alloc::vec::Vec<UserSa>,
    /// Attach to each event that comes out of decryption the plaintext it
    /// was decoded from ([`Event::plaintext`]): the oNCP message, the ESP
    /// payload, the inner IP packet, the HTTP head. Off by default: it
    /// copies every decrypted byte once more. Bytes that carry secrets the
    /// event redacts are [`Plaintext::Withheld`](super::Plaintext::Withheld)
    /// unless `show_secrets`.
    pub plaintext: bool,
}

impl Default for DecoderOptions {
    fn default() -> Self {
        DecoderOptions {
            show_secrets: false,
            packet_events: false,
            capture: CaptureLimits::default(),
            flows: FlowLimits::default(),
            fragments: FragmentLimits::default(),
            max_queued_events: 4096,
            esp_sas: alloc::vec::Vec::new(),
            plaintext: false,
        }
    }
}

/// Where the current packet came from, stamped on its events.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ctx {
    pub(crate) time_us: Option<u64>,
    pub(crate) source: Option<Range<u64>>,
}

/// Everything but the capture reader (so a borrowed packet can be decoded
/// while the reader is borrowed).
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) opts: DecoderOptions,
    pub(crate) keylog: KeyLog,
    pub(crate) events: VecDeque<Event>,
    pub(crate) flows: FlowTable<FlowApp>,
    pub(crate) fragments: Reassembler,
    pub(crate) last_time_us: Option<u64>,
    pub(crate) packets: u64,
    pub(crate) esp: EspRegistry,
}

/// Where layers above TCP put their events and ESP SAs.
pub(crate) struct Out<'a> {
    pub(crate) events: &'a mut VecDeque<Event>,
    pub(crate) ctx: &'a Ctx,
    pub(crate) esp: &'a mut EspRegistry,
    pub(crate) opts: &'a DecoderOptions,
}

impl Out<'_> {
    /// Queues an event stamped with the packet's time and source.
    pub(crate) fn emit(&mut self, dir: Option<Direction>, mut event: Event) {
        emit_to(self.events, self.ctx, dir, &mut event);
    }
}

impl State {
    /// Queues an event stamped with the packet's time and source.
    pub(crate) fn emit(&mut self, ctx: &Ctx, dir: Option<Direction>, mut event: Event) {
        emit_to(&mut self.events, ctx, dir, &mut event);
    }

    /// Queues an error event.
    pub(crate) fn error(
        &mut self,
        ctx: &Ctx,
        layer: Layer,
        dir: Option<Direction>,
        e: impl Into<TraceError>,
    ) {
        self.emit(ctx, dir, Event::from_error(layer, e.into()));
    }
}

/// Stamps and queues an event (for callers holding other borrows of State).
pub(crate) fn emit_to(
    events: &mut VecDeque<Event>,
    ctx: &Ctx,
    dir: Option<Direction>,
    event: &mut Event,
) {
    if event.time_us.is_none() {
        event.time_us = ctx.time_us;
    }
    if event.direction.is_none() {
        event.direction = dir;
    }
    if event.source.is_none() {
        event.source = ctx.source.clone();
    }
    events.push_back(core::mem::replace(event, Event::new(Layer::Capture, "")));
}

/// The trace decoder. See the module documentation for the call order.
#[derive(Debug)]
pub struct Decoder {
    reader: CaptureReader,
    state: State,
    finished: bool,
}

impl Decoder {
    /// A decoder with these options.
    pub fn new(opts: DecoderOptions) -> Self {
        let mut esp = EspRegistry::default();
        for (i, user) in opts.esp_sas.iter().enumerate() {
            esp.add(&user.params, user.direction, format!("user SA {i}"));
        }
        Decoder {
            reader: CaptureReader::new(opts.capture),
            state: State {
                keylog: KeyLog::new(),
                events: VecDeque::new(),
                flows: FlowTable::new(opts.flows),
                fragments: Reassembler::new(opts.fragments),
                last_time_us: None,
                packets: 0,
                esp,
                opts,
            },
            finished: false,
        }
    }

    /// The key log collected so far (from [`Decoder::add_keylog`] and the
    /// capture's decryption secrets blocks).
    pub fn keylog(&self) -> &KeyLog {
        &self.state.keylog
    }

    /// Packets read so far.
    pub fn packets(&self) -> u64 {
        self.state.packets
    }

    /// Adds NSS key log text (whole lines). Connections waiting for these
    /// keys are decrypted now.
    pub fn add_keylog(&mut self, text: &[u8]) {
        self.state.add_keylog(&Ctx::default(), text, "key log");
    }

    /// Feeds the next chunk of the capture file.
    pub fn push(&mut self, chunk: &[u8]) {
        self.reader.push(chunk);
        self.read();
    }

    /// End of the capture: reports a truncated last block, delivers held TCP
    /// data (with gaps), and finishes every connection.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.read_all();
        self.finished = true;
        let ctx = Ctx {
            time_us: self.state.last_time_us,
            source: None,
        };
        if let Some(e) = self.reader.finish() {
            self.state.error(&ctx, Layer::Capture, None, e);
        }
        self.state.finish_all(&ctx);
    }

    /// The next event, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        if self.state.events.is_empty() && !self.finished {
            self.read();
        }
        self.state.events.pop_front()
    }

    fn read(&mut self) {
        while self.state.events.len() < self.state.opts.max_queued_events {
            if !self.step() {
                break;
            }
        }
    }

    fn read_all(&mut self) {
        while self.step() {}
    }

    /// Decodes one capture item; false when more input is needed.
    fn step(&mut self) -> bool {
        let Some(item) = self.reader.next_item() else {
            return false;
        };
        let state = &mut self.state;
        match item {
            CaptureItem::Packet(p) => {
                state.packets += 1;
                if let Some(t) = p.time_us {
                    state.last_time_us = Some(t);
                }
                let ctx = Ctx {
                    time_us: p.time_us.or(state.last_time_us),
                    source: Some(p.source.clone()),
                };
                state.packet(&ctx, p.link_type, p.data);
            }
            CaptureItem::Format {
                format,
                big_endian,
                nanosecond,
                link_type,
                source,
            } => {
                let ctx = Ctx {
                    time_us: None,
                    source: Some(source),
                };
                let mut e = Event::new(Layer::Capture, format!("{format} file")).with(
                    "byte_order",
                    if big_endian {
                        "big-endian"
                    } else {
                        "little-endian"
                    },
                );
                if format == "pcap" {
                    e.push("timestamps", if nanosecond { "ns" } else { "µs" });
                }
                if let Some(lt) = link_type {
                    e.push("link_type", lt.0);
                    e.push("link", lt.name());
                }
                state.emit(&ctx, None, e);
            }
            CaptureItem::Interface {
                id,
                link_type,
                snaplen,
                source,
            } => {
                let ctx = Ctx {
                    time_us: None,
                    source: Some(source),
                };
                let e = Event::new(Layer::Capture, format!("interface {id}"))
                    .with("link_type", link_type.0)
                    .with("link", link_type.name())
                    .with("snaplen", snaplen);
                state.emit(&ctx, None, e);
            }
            CaptureItem::KeyLog { text, source } => {
                let ctx = Ctx {
                    time_us: state.last_time_us,
                    source: Some(source),
                };
                state.add_keylog(&ctx, text, "decryption secrets block");
            }
            CaptureItem::Skipped { .. } => {}
            CaptureItem::Error(e) => {
                let ctx = Ctx {
                    time_us: state.last_time_us,
                    source: None,
                };
                state.error(&ctx, Layer::Capture, None, e);
            }
        }
        true
    }
}

impl State {
    fn add_keylog(&mut self, ctx: &Ctx, text: &[u8], origin: &str) {
        let report = self.keylog.add_text(text);
        let e = Event::new(Layer::Tls, format!("{origin}: {} secrets", report.added))
            .with("added", report.added)
            .with("ignored", report.ignored)
            .with("errors", report.errors.len());
        self.emit(ctx, None, e);
        for err in report.errors {
            self.error(ctx, Layer::Tls, None, err);
        }
        self.keys_added(ctx);
    }
}
