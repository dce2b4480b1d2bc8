//! The log reader: walks the prepared lines, gathers hex dump lines into
//! dumps, gives each dump its meaning from the message before it (or from
//! its bytes), decodes it, and turns messages into facts and items.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use super::dump::{Builder, Dump};
use super::facts::Facts;
use super::hexline::{self, Parsed, Shape};
use super::http::{self, Collector};
use super::lines::{Line, lines};
use super::oncp::{self, Cx, First};
use super::options::Options;
use super::pulse;
use super::report::{Damage, Explanation, Item};
use super::tlv_names::hex;
use super::{oncp_log, openconnect, verdict};
use crate::trace::Direction;

/// What the next dump is, from the message before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The 3-byte read after the hostname packet (`Read 3 bytes of SSL record`).
    StatusRead(u32),
    /// A record (`Invalid packet waiting for KMP 301`).
    Record,
    /// One KMP message without record framing (`Failed to parse KMP
    /// message`, `Unknown KMP message`).
    KmpAlone,
    /// Outgoing records (`oNCP negotiation request outgoing:`, `Packet outgoing:`).
    Outgoing,
}

/// Items kept at most; a log with more is summarised.
const MAX_ITEMS: usize = 10_000;

/// The reader's state.
pub(crate) struct Reader {
    opts: Options,
    facts: Facts,
    items: Vec<Item>,
    damage: Vec<Damage>,
    formats: Vec<String>,
    http: Collector,
    builder: Builder,
    expect: Option<(Expect, usize)>,
    /// A hostname packet was seen and no status yet.
    after_hostname: bool,
    /// Configuration lines from OpenConnect's messages, gathered into one item.
    settings: Option<Item>,
    versions: u32,
    /// OpenConnect said it is exiting (a later connection attempt is a
    /// second log pasted after this one).
    exited: Option<usize>,
    lines: usize,
    dropped_items: usize,
}

impl Reader {
    /// A reader with `opts`.
    pub(crate) fn new(opts: Options) -> Reader {
        Reader {
            opts,
            facts: Facts::default(),
            items: Vec::new(),
            damage: Vec::new(),
            formats: Vec::new(),
            http: Collector::new(opts.show_secrets),
            builder: Builder::default(),
            expect: None,
            after_hostname: false,
            settings: None,
            versions: 0,
            exited: None,
            lines: 0,
            dropped_items: 0,
        }
    }

    /// Reads all of `log`.
    pub(crate) fn run(mut self, log: &str) -> Explanation {
        for line in lines(log) {
            self.lines = line.no;
            self.line(&line);
        }
        if let Some(d) = self.builder.finish() {
            self.dump(d);
        }
        self.flush_settings();
        self.flush_http();
        if self.dropped_items > 0 {
            self.damage.push(Damage {
                line: self.lines,
                text: format!("{} more items are not listed", self.dropped_items),
            });
        }
        self.items.sort_by_key(|it| it.line);
        self.facts.last_line = self.lines;
        let verdicts = verdict::verdicts(&self.facts);
        Explanation {
            formats: self.formats,
            verdicts,
            items: self.items,
            damage: self.damage,
            lines: self.lines,
        }
    }

    fn format(&mut self, name: &str) {
        if !self.formats.iter().any(|f| f == name) && self.formats.len() < 16 {
            self.formats.push(String::from(name));
        }
    }

    fn push(&mut self, item: Item) {
        if self.items.len() < MAX_ITEMS {
            self.items.push(item);
        } else {
            self.dropped_items += 1;
        }
    }

    fn line(&mut self, line: &Line<'_>) {
        let t: &str = &line.text;
        match hexline::parse(t) {
            Parsed::Hex(h) => {
                if let Some(d) = self.builder.push(line.no, h) {
                    self.dump(d);
                }
                return;
            }
            Parsed::Star => {
                self.builder.star(line.no);
                return;
            }
            Parsed::End(n) => {
                if let Some(d) = self.builder.end(line.no, n) {
                    self.dump(d);
                }
                return;
            }
            Parsed::None => {}
        }
        if self.builder.try_continue(line.no, t) {
            return;
        }
        if let Some(d) = self.builder.finish() {
            self.dump(d);
        }
        if line.oncp.is_some() {
            self.format("oncp log");
            if let Some(m) = oncp_log::parse(t) {
                self.oncp_msg(line.no, m);
            }
            if self.http.line(line.no, t) {
                self.flush_http_done();
            }
            return;
        }
        if let Some(m) = openconnect::parse(t) {
            self.flush_settings_unless(&m);
            self.oc_msg(line.no, m);
            return;
        }
        if self.http.line(line.no, t) {
            self.format("HTTP dump (--dump-http-traffic)");
        }
        self.flush_http_done();
    }

    fn flush_http_done(&mut self) {
        for e in self.http.take() {
            self.exchange(e);
        }
    }

    fn flush_http(&mut self) {
        self.http.flush();
        self.flush_http_done();
    }

    fn exchange(&mut self, e: http::Exchange) {
        if let Some((code, _, line)) = e.status
            && e.is_tunnel()
        {
            self.facts.tunnel_status = Some((code, line));
        }
        self.push(e.item());
    }

    fn oncp_msg(&mut self, no: usize, m: oncp_log::Msg) {
        use oncp_log::Msg::*;
        let mut it = Item::new(no, None, "");
        match m {
            Connected => return,
            CookieRejected(code) => {
                self.facts.cookie_rejected = Some(no);
                if let Some(c) = code {
                    self.facts.tunnel_status.get_or_insert((c, no));
                }
                it.summary = String::from("oncp: the gateway rejected the cookie");
            }
            BadStatus(s) => {
                self.facts.status.get_or_insert((s, no));
                it.summary = format!("oncp: status {s:#04x} after the hostname packet");
            }
            Terminated(r) => {
                self.facts.termination.get_or_insert((r, no));
                it.summary = String::from("oncp: the gateway terminated the session");
            }
            EspUp => {
                self.facts.esp_established.get_or_insert(no);
                return;
            }
            EspDown => {
                self.facts.esp_dead.get_or_insert(no);
                return;
            }
            Tls(t) => {
                it.summary = String::from("oncp: TLS failure");
                it.field("message", t.clone());
                self.facts.tls_failures.push((no, t));
            }
            Protocol(t) => {
                it.summary = String::from("oncp: protocol error");
                it.field("message", t.clone());
                self.facts.config_errors.push((no, t));
            }
        }
        self.push(it);
    }

    /// Ends the gathered configuration item unless `m` continues it.
    fn flush_settings_unless(&mut self, m: &openconnect::Msg) {
        if !matches!(
            m,
            openconnect::Msg::Setting(..) | openconnect::Msg::UnknownTlv { .. }
        ) {
            self.flush_settings();
        }
    }

    fn flush_settings(&mut self) {
        if let Some(it) = self.settings.take() {
            self.push(it);
        }
    }

    fn settings_item(&mut self, no: usize) -> &mut Item {
        self.settings.get_or_insert_with(|| {
            Item::new(
                no,
                Some(Direction::ServerToClient),
                "configuration (KMP 301) as OpenConnect printed it",
            )
        })
    }

    fn oc_msg(&mut self, no: usize, m: openconnect::Msg) {
        use openconnect::Msg::*;
        self.format("OpenConnect log");
        let f = &mut self.facts;
        let note = |s: &str| Item::new(no, None, s);
        let item = match m {
            Version(v) => {
                self.versions += 1;
                if self.versions > 1 {
                    self.damage.push(Damage {
                        line: no,
                        text: format!(
                            "a second log starts here (OpenConnect {v} printed again): two logs pasted together; read on as a new session"
                        ),
                    });
                    self.after_hostname = false;
                    self.expect = None;
                }
                Some(Item::new(no, None, format!("OpenConnect {v}")))
            }
            Connected(to) => Some(Item::new(no, None, format!("connected to {to}"))),
            Attempting(_) => {
                if let Some(end) = self.exited.take() {
                    self.damage.push(Damage {
                        line: no,
                        text: format!(
                            "a second log starts here (OpenConnect exited at line {end} and connects again): two logs pasted together; read on as a new session"
                        ),
                    });
                    self.after_hostname = false;
                    self.expect = None;
                }
                None
            }
            Exiting(why) => {
                self.exited = Some(no);
                Some(note(&format!("OpenConnect exits: {why}")))
            }
            ReadSslRecord(n) => {
                if self.after_hostname && f.status.is_none() {
                    self.expect = Some((Expect::StatusRead(n), no));
                }
                None
            }
            UnexpectedSizeAfterHostname(n) => {
                f.unexpected_size = Some((n, no));
                Some(note(&format!(
                    "OpenConnect: unexpected response of size {n} after the hostname packet"
                )))
            }
            HostnameError(b) => {
                f.status.get_or_insert((b, no));
                None
            }
            InvalidWaiting301 => {
                self.expect = Some((Expect::Record, no));
                f.config_errors.push((
                    no,
                    String::from(
                        "OpenConnect: \"Invalid packet waiting for KMP 301\": the record carrying the configuration is shorter than a KMP header, or its length disagrees with the bytes read",
                    ),
                ));
                None
            }
            BadKmpHeader => {
                f.config_errors.push((
                    no,
                    String::from("OpenConnect: \"Failed to parse KMP header\": the KMP header's fixed bytes are not the expected ones"),
                ));
                None
            }
            BadKmpMessage => {
                self.expect = Some((Expect::KmpAlone, no));
                f.config_errors.push((
                    no,
                    String::from("OpenConnect: \"Failed to parse KMP message\": a TLV runs past its group or the message"),
                ));
                None
            }
            Expected301(n) => {
                f.config_errors
                    .push((no, format!("OpenConnect expected KMP 301 and got KMP {n}")));
                None
            }
            Kmp301TooLarge(n) => {
                f.config_errors.push((
                    no,
                    format!("KMP 301 of {n} bytes is larger than OpenConnect's 64 KiB buffer"),
                ));
                None
            }
            Got301Length(n) => {
                f.config_len = Some((n, no));
                None
            }
            ReadAdditional301(n) => {
                f.config_continuations.0 += 1;
                f.config_continuations.1 += n;
                None
            }
            ContinuationTooLarge(..) | ContinuationFailed => {
                f.config_continuations.2.get_or_insert(no);
                None
            }
            GotKmp(k, n) => {
                if k == 301 {
                    f.config_len = Some((n, no));
                    f.configured.get_or_insert(no);
                }
                None
            }
            NegotiationOutgoing | PacketOutgoing => {
                self.expect = Some((Expect::Outgoing, no));
                None
            }
            UnknownKmp(k, n) => {
                self.expect = Some((Expect::KmpAlone, no));
                Some(note(&format!(
                    "OpenConnect: unknown KMP message {k} of size {n} (OpenConnect 9.01 ends the session on it)"
                )))
            }
            UnknownTlv {
                group,
                attr,
                len,
                bytes,
            } => {
                f.unknown_tlvs.push((group, attr, no));
                let mut value = hex(&bytes);
                if len as usize > bytes.len() {
                    value.push_str(" …");
                }
                let it = self.settings_item(no);
                it.field_note(
                    super::tlv_names::label(group, attr),
                    value,
                    format!("unknown TLV, length {len}, kept raw (OpenConnect ignores it)"),
                );
                None
            }
            BadTlvLength(n, g, a) => {
                f.config_errors.push((
                    no,
                    format!("TLV {g}/{a} has length {n}, not the one it must have"),
                ));
                None
            }
            Setting(name, value) => {
                setting_fact(f, name, &value, no);
                f.configured.get_or_insert(no);
                let it = self.settings_item(no);
                it.field(name, value);
                None
            }
            EspKey(t) => {
                let shown = if self.opts.show_secrets {
                    t
                } else {
                    redact_key(&t)
                };
                Some(note(&shown))
            }
            EspProbes => {
                f.esp_probes += 1;
                f.first_probe.get_or_insert(no);
                None
            }
            EspEstablished => {
                f.esp_established.get_or_insert(no);
                Some(note("ESP session established"))
            }
            EspDeadPeer => {
                f.esp_dead.get_or_insert(no);
                Some(note("ESP detected dead peer"))
            }
            UnexpectedResult(n) => {
                f.tunnel_status
                    .get_or_insert((u16::try_from(n).unwrap_or(0), no));
                Some(note(&format!(
                    "OpenConnect: unexpected HTTP {n} to the tunnel request"
                )))
            }
            HttpResponse(s) => {
                self.format("HTTP dump (--dump-http-traffic)");
                self.http.response(no, &s);
                None
            }
            CookieRejected => {
                self.exited = Some(no);
                f.cookie_rejected = Some(no);
                Some(note("OpenConnect: cookie was rejected by server"))
            }
            SessionTerminated => {
                self.exited = Some(no);
                if f.termination.is_none() && f.early_termination.is_none() {
                    f.termination = Some((None, no));
                }
                None
            }
            ServerTerminated(r) => {
                f.termination = Some((r, no));
                None
            }
            ZeroLengthRecord => {
                f.termination.get_or_insert((None, no));
                None
            }
            BadDataPacket => {
                f.config_errors.push((
                    no,
                    String::from("OpenConnect: unrecognised data packet in a KMP 300"),
                ));
                None
            }
            PulseAuthFailure(why) => {
                self.facts.pulse_bytes.get_or_insert(no);
                self.facts.ift_auth_failure.get_or_insert((why.clone(), no));
                Some(note(&format!(
                    "OpenConnect (Pulse): authentication failure: {why}"
                )))
            }
            TlsFailure(t) => {
                let t = http::redact_text(&t, self.opts.show_secrets);
                f.tls_failures.push((no, t.clone()));
                Some(note(&format!("TLS: {t}")))
            }
            Configured(t) => {
                f.configured.get_or_insert(no);
                Some(note(&format!("configured as {t}")))
            }
            Logout(ok) => Some(note(if ok {
                "logout successful"
            } else {
                "logout failed"
            })),
        };
        if let Some(it) = item {
            self.push(it);
        }
    }

    fn dump(&mut self, d: Dump) {
        self.damage.extend(d.damage.iter().cloned());
        self.format(d.shape.name());
        let dir = match d.marker {
            Some('<') => Some(Direction::ServerToClient),
            Some('>') => Some(Direction::ClientToServer),
            _ => None,
        };
        let expect = self.expect.take().map(|e| e.0);
        let b = d.contiguous();
        let mut summary = format!(
            "{} bytes in a hex dump ({}, lines {}-{})",
            d.bytes.len(),
            d.shape.name(),
            d.first_line,
            d.last_line
        );
        if let Some((_, missing)) = d.gaps.first() {
            summary.push_str(&format!(
                "; {missing} bytes missing after the first {}: only those are decoded",
                b.len()
            ));
        }
        let mut outer = Item::new(d.first_line, dir, summary);
        let show = self.opts.show_secrets;
        let after_hostname = self.after_hostname && self.facts.status.is_none();
        let tunnels_before = self.facts.tunnels;
        let mut cx = Cx {
            show,
            facts: &mut self.facts,
            line: d.first_line,
        };
        let (dir, inner) = match expect {
            Some(Expect::StatusRead(n)) if dir != Some(Direction::ClientToServer) => {
                if n as usize != d.bytes.len() {
                    self.damage.push(Damage {
                        line: d.first_line,
                        text: format!(
                            "OpenConnect says it read {n} bytes; the dump below it shows {}",
                            d.bytes.len()
                        ),
                    });
                }
                let it = oncp::records(b, dir, First::Status, &mut cx);
                (dir, Some(status_read_note(it, b)))
            }
            Some(Expect::Record) => (dir, Some(oncp::records(b, dir, First::Stream, &mut cx))),
            Some(Expect::KmpAlone) => {
                let mut it = Item::new(
                    d.first_line,
                    dir,
                    "KMP message (as OpenConnect dumps it, without its record length)",
                );
                it.children = oncp::kmp_messages(b, dir, true, &mut cx);
                (dir, Some(it))
            }
            Some(Expect::Outgoing) => (dir, Some(oncp::records(b, dir, First::Stream, &mut cx))),
            _ => guess(b, dir, after_hostname, &mut cx),
        };
        if self.facts.tunnels > tunnels_before {
            self.after_hostname = true;
        } else if dir == Some(Direction::ServerToClient) && self.facts.status.is_some() {
            self.after_hostname = false;
        }
        outer.direction = dir;
        if let Some(inner) = inner {
            outer.summary = format!("{}: {}", outer.summary, inner.summary);
            outer.fields.extend(inner.fields);
            outer.notes.extend(inner.notes);
            outer.children.extend(inner.children);
        }
        if d.shape != Shape::OpenConnect && outer.direction.is_some() && d.marker.is_none() {
            outer.note(format!(
                "the log gives no direction; {} going by the bytes",
                outer.direction.map_or("", |d| d.label())
            ));
        }
        self.push(outer);
    }
}

/// What a 3-byte status read means.
fn status_read_note(mut it: Item, b: &[u8]) -> Item {
    if b.len() >= 2 {
        let len = u16::from_le_bytes([b[0], b[1]]);
        if len > 1 && b.len() == 3 {
            it.note(format!(
                "OpenConnect reads 3 bytes first: the record (length {len}) holds the status byte and the start of the KMP 301, which is read next and not dumped"
            ));
            // Not damage: the rest of the record was read, just not shown.
            it.children.iter_mut().for_each(|c| {
                c.notes.retain(|n| !n.starts_with("record says"));
            });
            it.children
                .retain(|c| !c.summary.contains("not a KMP header"));
        }
    }
    it
}

/// Meaning and direction of a dump the log says nothing about, from its
/// bytes.
fn guess(
    b: &[u8],
    dir: Option<Direction>,
    after_hostname: bool,
    cx: &mut Cx<'_>,
) -> (Option<Direction>, Option<Item>) {
    if b.is_empty() {
        return (dir, None);
    }
    if oncp::is_hostname_record(b) && dir != Some(Direction::ServerToClient) {
        let d = dir.or(Some(Direction::ClientToServer));
        return (d, Some(oncp::records(b, d, First::Hostname, cx)));
    }
    if pulse::is_ift(b) {
        return (dir, Some(pulse::messages(b, dir, cx)));
    }
    if oncp::is_kmp(b) {
        let t = u16::from_be_bytes([b[6], b[7]]);
        let d = dir.or(match t {
            301 => Some(Direction::ServerToClient),
            303 => Some(Direction::ClientToServer),
            _ => None,
        });
        let mut it = Item::new(cx.line, d, "KMP messages (no record framing)");
        it.children = oncp::kmp_messages(b, d, false, cx);
        return (d, Some(it));
    }
    let status_like = b.len() >= 3 && b[..2] == [1, 0] || (b.len() == 3 && b[..2] == [0, 0]);
    if dir != Some(Direction::ClientToServer) && (after_hostname || dir.is_none()) && status_like {
        let d = dir.or(Some(Direction::ServerToClient));
        return (d, Some(oncp::records(b, d, First::Status, cx)));
    }
    if oncp::is_record_chain(b) || (b.len() > 22 && oncp::is_kmp(&b[2..])) {
        let first = if dir != Some(Direction::ClientToServer) && after_hostname {
            First::Status
        } else {
            First::Stream
        };
        return (dir, Some(oncp::records(b, dir, first, cx)));
    }
    if let Some(text) = http_text(b) {
        let mut it = Item::new(cx.line, dir, "HTTP text");
        it.field("first line", http::redact_text(&text, cx.show));
        return (dir, Some(it));
    }
    if b[0] == 0x45 && b.len() >= 20 {
        let src = Ipv4Addr::new(b[12], b[13], b[14], b[15]);
        let dst = Ipv4Addr::new(b[16], b[17], b[18], b[19]);
        return (
            dir,
            Some(Item::new(
                cx.line,
                dir,
                format!("IPv4 packet {src} -> {dst}, {} bytes", b.len()),
            )),
        );
    }
    let mut it = Item::new(cx.line, dir, "bytes not recognised as oNCP, HTTP or IP");
    it.field("bytes", hex(&b[..b.len().min(64)]));
    (dir, Some(it))
}

fn http_text(b: &[u8]) -> Option<String> {
    let starts = [&b"GET "[..], b"POST ", b"HTTP/1."];
    if !starts.iter().any(|s| b.starts_with(s)) {
        return None;
    }
    let end = b
        .iter()
        .position(|&c| c == b'\r' || c == b'\n')
        .unwrap_or(b.len().min(200));
    Some(String::from_utf8_lossy(&b[..end.min(200)]).into_owned())
}

/// `ESP encryption type AES-128-CBC (RFC3602) key 0x…` with the key hidden.
fn redact_key(t: &str) -> String {
    match t.find(" key 0x") {
        Some(i) => format!("{} key <redacted>", &t[..i]),
        None => String::from(t),
    }
}

/// Facts from one of OpenConnect's configuration lines.
fn setting_fact(f: &mut Facts, name: &str, value: &str, no: usize) {
    let ip = |s: &str| s.trim().parse::<Ipv4Addr>().ok();
    match name {
        "1/2 netmask" => {
            if let Some(m) = ip(value) {
                f.netmask = Some((m, no));
            }
        }
        "3/3 split include" => {
            if let Some((a, m)) = value.split_once('/')
                && let (Some(a), Some(m)) = (ip(a), ip(m))
            {
                f.split_include(a, m, no);
            }
        }
        "8/4 ESP port" => {
            if let Ok(p) = value.trim().parse() {
                f.esp_port = Some((p, no));
            }
        }
        _ => {}
    }
}
