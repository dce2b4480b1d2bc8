//! ESP security associations learnt from the oNCP stream (or given by the
//! user) and the decoding of UDP ESP packets with them (spec §13): the
//! server's 7/1 + 7/2 (in its 301 or a 302 rekey) decrypt packets *to* the
//! gateway; the client's 302 decrypts packets *from* it. Packets are
//! matched by SPI, so old and new SAs coexist after a rekey.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::SocketAddr;

use super::{gso, inner, plaintext, text};
use crate::esp::{Decrypted, InboundSa, NextHeader, ReplayVerdict, SaParams, spi_of};
use crate::lzo;
use crate::trace::event::{Event, Layer};
use crate::trace::{Direction, TraceError};

/// The most SAs remembered; the oldest is forgotten first.
pub const MAX_KNOWN_SAS: usize = 256;

/// Decompressed LZO payloads are bounded by this (an IPv4 packet).
pub const MAX_LZO_OUTPUT: usize = 65_535;

/// An ESP SA known to the decoder.
struct KnownSa {
    /// Direction of the packets it protects, when known.
    direction: Option<Direction>,
    /// Where it came from, e.g. `server 301 (flow 1)`.
    origin: String,
    /// The SA, replay window included.
    sa: InboundSa,
}

/// The SAs and the gateway's ESP endpoints.
#[derive(Default)]
pub(crate) struct EspRegistry {
    sas: Vec<KnownSa>,
    /// Gateway ESP ports announced by 8/4.
    ports: Vec<u16>,
    /// The packet being decrypted: one buffer for every packet instead of
    /// an allocation each (it grows to the largest datagram seen, at most
    /// a UDP payload's 64 KiB).
    scratch: Vec<u8>,
}

impl core::fmt::Debug for EspRegistry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EspRegistry")
            .field("sas", &self.sas.len())
            .field("ports", &self.ports)
            .finish()
    }
}

impl EspRegistry {
    /// Adds an SA for packets in `direction`; an SA with the same SPI and
    /// direction is replaced.
    pub(crate) fn add(&mut self, params: &SaParams, direction: Option<Direction>, origin: String) {
        self.sas
            .retain(|k| !(k.sa.spi() == params.spi && k.direction == direction));
        if self.sas.len() >= MAX_KNOWN_SAS {
            self.sas.remove(0);
        }
        self.sas.push(KnownSa {
            direction,
            origin,
            // Replay is judged here, so the SA itself accepts replays.
            sa: InboundSa::new(params, false),
        });
    }

    /// Notes a gateway ESP port.
    pub(crate) fn add_port(&mut self, port: u16) {
        if !self.ports.contains(&port) {
            self.ports.push(port);
        }
    }

    /// Whether a datagram between these endpoints is ESP: its SPI is known,
    /// or one end is a gateway ESP port.
    pub(crate) fn claims(&self, src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> bool {
        let Some(spi) = spi_of(payload) else {
            return false;
        };
        self.sas.iter().any(|k| k.sa.spi() == spi)
            || self.ports.contains(&src.port())
            || self.ports.contains(&dst.port())
    }

    /// Decodes an ESP datagram: events for the ESP packet and the inner
    /// packet it carries (with their plaintext when `keep_plaintext`: the
    /// decrypted ESP payload, and the inner packet decompressed). A
    /// datagram that fails as one ESP packet but is a UDP super-packet (see
    /// [`gso`]) is decoded segment by segment instead, each ESP event
    /// marked with its `segment` (`k/n`).
    pub(crate) fn decode(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
        keep_plaintext: bool,
        out: &mut Vec<(Option<Direction>, Event)>,
    ) {
        let mark = out.len();
        if self.decode_one(src, dst, payload, keep_plaintext, out) {
            return;
        }
        let Some(size) = gso::segment_size(payload) else {
            return;
        };
        out.truncate(mark);
        let count = payload.len().div_ceil(size);
        for (k, segment) in payload.chunks(size).enumerate() {
            let first = out.len();
            self.decode_one(src, dst, segment, keep_plaintext, out);
            if let Some((_, e)) = out.get_mut(first) {
                mark_segment(e, k + 1, count, payload.len());
            }
        }
    }

    /// [`Self::decode`] for one ESP packet; false when it has an SA but
    /// did not decrypt (bad length or ICV).
    fn decode_one(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
        keep_plaintext: bool,
        out: &mut Vec<(Option<Direction>, Event)>,
    ) -> bool {
        let spi = spi_of(payload).unwrap_or(0);
        let seq = crate::esp::seq_of(payload).unwrap_or(0);
        let guess_dir = if self.ports.contains(&dst.port()) {
            Some(Direction::ClientToServer)
        } else if self.ports.contains(&src.port()) {
            Some(Direction::ServerToClient)
        } else {
            None
        };
        let base = |summary: String| {
            Event::with_capacity(Layer::Esp, summary, 12)
                .with("src", text::socket(&src))
                .with("dst", text::socket(&dst))
                .with("spi", text::hex32(spi))
                .with("seq", seq)
                .with("length", payload.len())
        };
        // Prefer an SA whose direction fits the ports.
        let idx = self
            .sas
            .iter()
            .rposition(|k| k.sa.spi() == spi && (guess_dir.is_none() || k.direction == guess_dir))
            .or_else(|| self.sas.iter().rposition(|k| k.sa.spi() == spi));
        let Some(idx) = idx else {
            let e = base(format!(
                "ESP spi={spi:#010x} seq={seq} len={}: no SA for this SPI",
                payload.len()
            ))
            .with("decrypted", false);
            out.push((guess_dir, e));
            return true;
        };
        let known = &mut self.sas[idx];
        let dir = known.direction.or(guess_dir);
        let replay = known.sa.window().check(seq);
        let buf = &mut self.scratch;
        buf.clear();
        buf.extend_from_slice(payload);
        // Only the inner packet's headers are shown, so only they (and the
        // trailer) are decrypted, unless the plaintext is kept.
        let decrypted = if keep_plaintext {
            known.sa.decrypt_in_place(buf).map(|d| (d, None))
        } else {
            known.sa.decrypt_head_in_place(buf, INNER_HEAD)
        };
        match decrypted {
            Ok((d, rest)) => {
                if let Some(rest) = rest
                    && !headers_decrypted(&buf[d.payload.start..rest.range.start], d.next_header)
                {
                    known.sa.decrypt_rest(buf, &rest);
                }
                let probe = d.is_probe(buf);
                let mut e = base(esp_summary(spi, seq, &d, probe, replay))
                    .with("sa", known.origin.as_str())
                    .with("icv", "good")
                    .with("replay", replay_name(replay))
                    .with("next_header", d.next_header.0)
                    .with("payload_length", d.payload.len());
                if probe {
                    e.push("probe", true);
                }
                if keep_plaintext {
                    plaintext::attach(&mut e, &buf[d.payload.clone()], false, false);
                }
                out.push((dir, e));
                if !probe {
                    let inner = &buf[d.payload.clone()];
                    inner_packet(inner, d.next_header, keep_plaintext, out, dir);
                }
                true
            }
            Err(err) => {
                let mut e = Event::from_error(Layer::Esp, TraceError::Esp(err));
                e.summary = format!("ESP spi={spi:#010x} seq={seq} len={}: {err}", payload.len());
                e.push("spi", format!("{spi:#010x}"));
                e.push("seq", seq);
                e.push("sa", known.origin.as_str());
                if err == crate::esp::EspError::BadIcv {
                    e.push("icv", "bad");
                }
                out.push((dir, e));
                false
            }
        }
    }
}

/// Marks the ESP event of segment `k` of `count` of a super-packet of
/// `datagram_length` bytes.
fn mark_segment(e: &mut Event, k: usize, count: usize, datagram_length: usize) {
    let mut at = String::with_capacity(8);
    text::push_u64(&mut at, k as u64);
    at.push('/');
    text::push_u64(&mut at, count as u64);
    e.summary.push_str(" (segment ");
    e.summary.push_str(&at);
    e.summary.push_str(" of a UDP super-packet)");
    e.push("segment", at);
    e.push("datagram_length", datagram_length);
}

/// The ESP payload bytes decrypted for an inner packet's event: its IP
/// header and the first 8 bytes after it (ports, ICMP type, code, id and
/// sequence), in whole blocks: an IPv6 header (40 bytes) or an IPv4 one
/// without options (20). With the last block that is four blocks, one
/// pass of the software AES (wasm); an IPv4 header with options is
/// decrypted whole after (see `headers_decrypted`).
const INNER_HEAD: usize = 48;

/// Whether the decrypted `head` of an ESP payload holds everything the
/// inner packet's event shows (see `inner::summarize`): an uncompressed
/// IPv4 header and 8 bytes more, or an IPv6 header without extension
/// headers (TCP, UDP, ICMPv6) and 8 bytes more. Anything else (LZO,
/// extension headers, not IP) is decrypted whole.
fn headers_decrypted(head: &[u8], next: NextHeader) -> bool {
    let Some(&first) = head.first() else {
        return false;
    };
    match (next, first >> 4) {
        (NextHeader::IPV4 | NextHeader::IPV6, 4) => usize::from(first & 0xf) * 4 + 8 <= head.len(),
        (NextHeader::IPV4 | NextHeader::IPV6, 6) => {
            head.len() >= 48 && matches!(head[6], 6 | 17 | 58)
        }
        _ => false,
    }
}

fn replay_name(v: ReplayVerdict) -> &'static str {
    match v {
        ReplayVerdict::Fresh => "fresh",
        ReplayVerdict::Replayed => "replayed",
        ReplayVerdict::TooOld => "too old",
    }
}

/// `ESP spi=0x… seq=N IPv4 M bytes` and the like, built without
/// `core::fmt` (two events per ESP packet are the bulk of a capture).
fn esp_summary(spi: u32, seq: u32, d: &Decrypted, probe: bool, replay: ReplayVerdict) -> String {
    let mut s = String::with_capacity(64);
    s.push_str("ESP spi=");
    s.push_str(&text::hex32(spi));
    s.push_str(" seq=");
    text::push_u64(&mut s, seq.into());
    s.push(' ');
    let bytes = |s: &mut String, what: &str| {
        s.push_str(what);
        text::push_u64(s, d.payload.len() as u64);
        s.push_str(" bytes");
    };
    match d.next_header {
        _ if probe => s.push_str("probe"),
        NextHeader::IPV4 => bytes(&mut s, "IPv4 "),
        NextHeader::IPV6 => bytes(&mut s, "IPv6 "),
        NextHeader::LZO_IPV4 => bytes(&mut s, "LZO "),
        NextHeader(n) => {
            s.push_str("next header ");
            text::push_u64(&mut s, n.into());
        }
    }
    if replay != ReplayVerdict::Fresh {
        s.push_str(" (");
        s.push_str(replay_name(replay));
        s.push(')');
    }
    s
}

fn inner_packet(
    payload: &[u8],
    next: NextHeader,
    keep_plaintext: bool,
    out: &mut Vec<(Option<Direction>, Event)>,
    dir: Option<Direction>,
) {
    let event = |packet: &[u8], via| {
        let mut e = inner::summarize(packet, via);
        if keep_plaintext {
            plaintext::attach(&mut e, packet, false, false);
        }
        e
    };
    if next == NextHeader::LZO_IPV4 {
        match lzo::decompress(payload, MAX_LZO_OUTPUT) {
            Ok(p) => out.push((dir, event(&p, "esp+lzo"))),
            Err(e) => out.push((dir, Event::from_error(Layer::Inner, e.into()))),
        }
    } else {
        out.push((dir, event(payload, "esp")));
    }
}
