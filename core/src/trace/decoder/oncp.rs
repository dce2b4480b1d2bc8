//! oNCP stream items as events (spec §2–§6), and the ESP SAs they carry.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::Out;
use super::http::secret;
use super::{inner, plaintext};
use crate::esp::{Cipher, Integrity, SaError, SaParams};
use crate::oncp::wire::config::{CipherCode, ConfigValues, EspSettings, MacCode, Route};
use crate::oncp::wire::data::split_ip_packets;
use crate::oncp::wire::{Config, Control, EspKeys, KmpMessage, KmpType, Sender, StreamItem};
use crate::trace::event::{Event, Layer, Value};
use crate::trace::net::tcp::FlowId;
use crate::trace::{Direction, TraceError};

/// The largest IP packet accepted inside a KMP 300.
const MAX_INNER_PACKET: usize = 65_535;

/// Per-connection oNCP state: the ESP algorithms last announced (8/1, 8/2),
/// which the client's 302 does not repeat.
pub(crate) struct OncpFlow {
    flow: FlowId,
    cipher: Option<CipherCode>,
    mac: Option<MacCode>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn addrs(list: &[core::net::Ipv4Addr]) -> Value {
    Value::List(list.iter().map(|a| Value::Text(format!("{a}"))).collect())
}

fn routes(list: &[Route]) -> Value {
    Value::List(
        list.iter()
            .map(|r| {
                Value::Text(match r.prefix_len() {
                    Some(p) => format!("{}/{p}", r.addr),
                    None => format!("{}/{}", r.addr, r.mask),
                })
            })
            .collect(),
    )
}

/// Gives the events of message `m` its bytes (KMP header and payload, as
/// they stood in the stream); inner packets already have theirs. The
/// payload of a 301 or 302 carries ESP keys: withheld unless `show`.
fn attach_message(events: &mut [Event], m: &KmpMessage, show: bool) {
    let mut bytes: Option<Vec<u8>> = None;
    let secret = matches!(m.kmp_type(), KmpType::CONFIG | KmpType::ESP_KEYS);
    for e in events.iter_mut().filter(|e| e.plaintext.is_none()) {
        let b = bytes.get_or_insert_with(|| {
            let mut b = Vec::with_capacity(m.header.to_bytes().len() + m.payload.len());
            b.extend_from_slice(&m.header.to_bytes());
            b.extend_from_slice(&m.payload);
            b
        });
        plaintext::attach(e, b, secret, show);
    }
    if let Some(mut b) = bytes
        && secret
    {
        zeroize::Zeroize::zeroize(&mut b);
    }
}

impl OncpFlow {
    pub(crate) fn new(flow: FlowId) -> Self {
        OncpFlow {
            flow,
            cipher: None,
            mac: None,
        }
    }

    /// Events for one stream item; SAs found go to `out.esp`.
    pub(crate) fn item(
        &mut self,
        out: &mut Out<'_>,
        dir: Direction,
        item: StreamItem,
    ) -> Vec<Event> {
        let keep = out.opts.plaintext;
        let show = out.opts.show_secrets;
        match item {
            StreamItem::Hostname(h) => {
                let name = h.hostname_lossy();
                let mut e = Event::new(Layer::Oncp, format!("hostname packet {name}"))
                    .with("hostname", &*name);
                if keep {
                    plaintext::attach(&mut e, &h.to_payload(), false, show);
                }
                alloc::vec![e]
            }
            StreamItem::Status(s) => {
                let mut e = Event::new(
                    Layer::Oncp,
                    format!(
                        "status {} ({})",
                        s.0,
                        if s.is_ok() { "ok" } else { "refused" }
                    ),
                )
                .with("status", s.0);
                if keep {
                    plaintext::attach(&mut e, &[s.0], false, show);
                }
                alloc::vec![e]
            }
            StreamItem::Terminated(r) => alloc::vec![
                Event::new(Layer::Oncp, format!("termination notice: {}", r.describe()))
                    .with("reason", r.0)
            ],
            StreamItem::Message {
                message,
                start,
                end,
                interleaved,
            } => {
                let mut events = self.message(out, dir, &message, start, end, interleaved);
                if keep {
                    attach_message(&mut events, &message, show);
                }
                events
            }
        }
    }

    fn message(
        &mut self,
        out: &mut Out<'_>,
        dir: Direction,
        m: &KmpMessage,
        start: u64,
        end: u64,
        interleaved: bool,
    ) -> Vec<Event> {
        let t = m.kmp_type();
        let decorate = |mut e: Event| {
            e.push("kmp", t.0);
            e.push("stream_offset", start);
            e.push("message_length", end - start);
            let sender = match dir {
                Direction::ClientToServer => Sender::Client,
                Direction::ServerToClient => Sender::Server,
            };
            if !m.header.has_pattern_of(sender) {
                e.push("header_prefix", hex(&m.header.prefix));
                e.push("header_pattern", hex(&m.header.pattern));
            }
            if interleaved {
                e.push("interleaved", true);
            }
            e
        };
        let fail = |e: crate::oncp::wire::WireError| {
            decorate(Event::from_error(
                Layer::Oncp,
                TraceError::Wire(e.shifted(start)),
            ))
        };
        let mut events = Vec::new();
        match t {
            KmpType::DATA => match split_ip_packets(&m.payload, MAX_INNER_PACKET) {
                Ok(packets) => {
                    if out.opts.packet_events {
                        let e = Event::new(
                            Layer::Oncp,
                            format!("KMP 300 data, {} packet(s)", packets.len()),
                        )
                        .with("packets", packets.len());
                        events.push(decorate(e));
                    }
                    events.extend(packets.iter().map(|p| {
                        let mut e = inner::summarize(p, "tls");
                        if out.opts.plaintext {
                            plaintext::attach(&mut e, p, false, out.opts.show_secrets);
                        }
                        e
                    }));
                }
                Err(e) => events.push(fail(e)),
            },
            KmpType::CONFIG => match Config::parse(&m.payload) {
                Ok(cfg) => {
                    events.push(decorate(self.config_event(
                        out,
                        cfg.values(),
                        "KMP 301 configuration",
                    )));
                    events.extend(self.server_sa(out, &cfg.values().esp, "server 301"));
                }
                Err(e) => events.push(fail(e)),
            },
            KmpType::ESP_KEYS if dir == Direction::ServerToClient => {
                match Config::parse_rekey(&m.payload) {
                    Ok(cfg) => {
                        events.push(decorate(self.config_event(
                            out,
                            cfg.values(),
                            "KMP 302 rekey",
                        )));
                        events.extend(self.server_sa(out, &cfg.values().esp, "server 302"));
                    }
                    Err(e) => events.push(fail(e)),
                }
            }
            KmpType::ESP_KEYS => match EspKeys::parse_client_payload(&m.payload) {
                Ok(keys) => {
                    let mut e = Event::new(
                        Layer::Oncp,
                        format!("KMP 302 client keys spi={:#010x}", keys.spi),
                    )
                    .with("spi", format!("{:#010x}", keys.spi));
                    e.push(
                        "secrets",
                        secret(&hex(&keys.secrets), out.opts.show_secrets),
                    );
                    events.push(decorate(e));
                    events.extend(self.add_sa(
                        out,
                        keys.spi,
                        &keys.secrets,
                        Direction::ServerToClient,
                        "client 302",
                    ));
                }
                Err(e) => events.push(fail(e)),
            },
            KmpType::CONTROL => match Control::parse_payload(&m.payload) {
                Ok(controls) => {
                    let text: Vec<String> = controls
                        .iter()
                        .map(|c| match c {
                            Control::Mtu(m) => format!("mtu={m}"),
                            Control::Esp(on) => format!("esp={}", if *on { "on" } else { "off" }),
                        })
                        .collect();
                    let mut e =
                        Event::new(Layer::Oncp, format!("KMP 303 control {}", text.join(" ")));
                    for c in &controls {
                        match c {
                            Control::Mtu(m) => e.push("mtu", *m),
                            Control::Esp(on) => e.push("esp", *on),
                        }
                    }
                    events.push(decorate(e));
                }
                Err(e) => events.push(fail(e)),
            },
            other => {
                let e = Event::new(
                    Layer::Oncp,
                    format!("KMP {other} (unknown type), {} bytes", m.payload.len()),
                )
                .with("payload_length", m.payload.len());
                events.push(decorate(e));
            }
        }
        events
    }

    fn config_event(&mut self, out: &Out<'_>, v: &ConfigValues, title: &str) -> Event {
        let show = out.opts.show_secrets;
        let mut e = Event::new(Layer::Oncp, String::from(title));
        let mut summary = String::from(title);
        if let Some(a) = v.address {
            summary.push_str(&format!(" address={a}"));
            e.push("address", format!("{a}"));
        }
        if let Some(a) = v.netmask {
            e.push("netmask", format!("{a}"));
        }
        if let Some(a) = v.internal_gateway {
            e.push("internal_gateway", format!("{a}"));
        }
        if !v.dns.is_empty() {
            e.push("dns", addrs(&v.dns));
        }
        if let Some(d) = &v.search_domain {
            e.push("search_domain", d.as_str());
        }
        if !v.split_include.is_empty() {
            e.push("split_include", routes(&v.split_include));
        }
        if !v.split_exclude.is_empty() {
            e.push("split_exclude", routes(&v.split_exclude));
        }
        if !v.wins.is_empty() {
            e.push("wins", addrs(&v.wins));
        }
        if let Some(m) = v.mtu {
            summary.push_str(&format!(" mtu={m}"));
            e.push("mtu", m);
        }
        let esp = &v.esp;
        if let Some(spi) = esp.spi {
            summary.push_str(&format!(" esp_spi={spi:#010x}"));
            e.push("esp_spi", format!("{spi:#010x}"));
        }
        if let Some(s) = &esp.secrets {
            e.push("esp_secrets", secret(&hex(s), show));
        }
        if let Some(c) = esp.cipher {
            self.cipher = Some(c);
            e.push(
                "esp_cipher",
                Cipher::from_code(c)
                    .map(|c| String::from(c.name()))
                    .unwrap_or(format!("code {}", c.0)),
            );
        }
        if let Some(m) = esp.mac {
            self.mac = Some(m);
            e.push(
                "esp_mac",
                Integrity::from_code(m)
                    .map(|m| String::from(m.name()))
                    .unwrap_or(format!("code {}", m.0)),
            );
        }
        if let Some(c) = esp.compression {
            e.push("compression", c);
        }
        if let Some(p) = esp.port {
            e.push("esp_port", p);
        }
        if let Some(n) = esp.lifetime_bytes {
            e.push("lifetime_bytes", n);
        }
        if let Some(n) = esp.lifetime_secs {
            e.push("lifetime_secs", n);
        }
        if let Some(n) = esp.fallback_secs {
            e.push("fallback_secs", n);
        }
        if let Some(r) = esp.replay_protection {
            e.push("replay_protection", r);
        }
        if !v.unknown.is_empty() {
            e.push(
                "unknown_tlvs",
                Value::List(
                    v.unknown
                        .iter()
                        .map(|u| Value::Text(format!("{}/{}={}", u.group, u.attr, hex(&u.value))))
                        .collect(),
                ),
            );
        }
        e.summary = summary;
        e
    }

    fn server_sa(
        &mut self,
        out: &mut Out<'_>,
        esp: &EspSettings,
        origin: &'static str,
    ) -> Vec<Event> {
        if let Some(p) = esp.port {
            out.esp.add_port(p);
        }
        match (esp.spi, &esp.secrets) {
            (Some(spi), Some(secrets)) => {
                self.add_sa(out, spi, secrets, Direction::ClientToServer, origin)
            }
            _ => Vec::new(),
        }
    }

    fn add_sa(
        &mut self,
        out: &mut Out<'_>,
        spi: u32,
        secrets: &[u8; 64],
        direction: Direction,
        origin: &'static str,
    ) -> Vec<Event> {
        let unusable = |reason: &'static str| {
            alloc::vec![Event::from_error(
                Layer::Esp,
                TraceError::UnusableSa {
                    spi,
                    origin,
                    reason
                }
            )]
        };
        let params = match SaParams::from_settings(Some(spi), self.cipher, self.mac, Some(secrets))
        {
            Ok(p) => p,
            Err(SaError::UnsupportedCipher(_)) => return unusable("unsupported cipher code"),
            Err(SaError::UnsupportedIntegrity(_)) => return unusable("unsupported MAC code"),
            Err(_) => return unusable("no 8/1 and 8/2 algorithms seen on this connection"),
        };
        let (cipher, integrity) = (params.cipher, params.integrity);
        let label = format!("{origin} (flow {})", self.flow);
        let mut e = Event::new(
            Layer::Esp,
            format!(
                "SA spi={spi:#010x} for {} packets: {} + {} from {label}",
                direction.label(),
                cipher.name(),
                integrity.name()
            ),
        )
        .with("spi", format!("{spi:#010x}"))
        .with("sa_direction", direction.label())
        .with("cipher", cipher.name())
        .with("mac", integrity.name());
        let show = out.opts.show_secrets;
        e.push("enc_key", secret(&hex(params.enc_key()), show));
        e.push("mac_key", secret(&hex(params.mac_key()), show));
        out.esp.add(&params, Some(direction), label);
        alloc::vec![e]
    }
}
