//! Pulse IF-T/TLS messages as events (spec/pulse.md §10): the header,
//! version, client information, the EAP login with its AVPs (recursing
//! into AVP 79; passwords, token codes, user names and the cookie
//! redacted unless secrets are shown), the configuration with routes as
//! ranges and CIDRs, ESP SAs from the key messages, and inner packets.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::Out;
use super::http::secret;
use super::{inner, plaintext};
use crate::esp::{Cipher, Integrity, SaParams};
use crate::oncp::wire::{CipherCode, MacCode};
use crate::pulse::auth::AuthMessage;
use crate::pulse::avp::{Avp, PULSE_AVP_VENDOR, code, code_name, parse_avps};
use crate::pulse::config::{EspKeyEntry, MainConfig, PulseConfig, range_to_cidrs};
use crate::pulse::eap::{EapBody, EapPacket, eap_type, juniper_type};
use crate::pulse::message::{Message, Sender};
use crate::pulse::{Framed, PulseError};
use crate::trace::event::{Event, Layer, Value};
use crate::trace::net::tcp::FlowId;
use crate::trace::{Direction, TraceError};

/// Per-connection Pulse state: the ESP algorithms of the last main
/// configuration, which the key messages do not repeat.
pub(crate) struct PulseFlow {
    flow: FlowId,
    cipher: Option<u16>,
    mac: Option<u16>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn text_list<T: core::fmt::Display>(items: impl Iterator<Item = T>) -> Value {
    Value::List(items.map(|i| Value::Text(format!("{i}"))).collect())
}

/// AVPs whose data is a credential or the cookie.
fn secret_avp(a: &Avp) -> bool {
    a.vendor == Some(PULSE_AVP_VENDOR) && matches!(a.code, code::COOKIE | code::USERNAME)
}

/// A one-line description of a nested or outer EAP packet; credential
/// payloads (Juniper/2 and /5 responses, GTC responses) are redacted.
fn describe_eap(p: &EapPacket, show: bool) -> String {
    let head = format!("{:?} id={}", p.code, p.identifier);
    let response = p.code == crate::pulse::eap::EapCode::Response;
    match &p.body {
        EapBody::Empty => head,
        EapBody::Expanded {
            vendor,
            vendor_type,
            data,
        } => {
            let name = match (*vendor, *vendor_type) {
                (0x000a4c, t) => format!("Juniper/{t}"),
                (v, t) => format!("expanded {v:#08x}/{t}"),
            };
            let creds = matches!(
                *vendor_type,
                juniper_type::PASSWORD | juniper_type::PASSWORD5
            );
            let body = if creds && response {
                secret(&hex(data), show)
            } else if *vendor_type == juniper_type::AVPS {
                format!("{} AVP bytes", data.len())
            } else {
                hex(data)
            };
            format!("{head} {name} {body}")
        }
        EapBody::Typed { eap_type: t, data } => {
            let name = match *t {
                eap_type::IDENTITY => "Identity",
                eap_type::GTC => "GTC",
                eap_type::TTLS => "EAP-TTLS",
                eap_type::TLS => "EAP-TLS",
                _ => "type",
            };
            let body = if *t == eap_type::GTC && response {
                secret(&String::from_utf8_lossy(data), show)
            } else if *t == eap_type::TTLS {
                format!("{} bytes (inner TLS not decoded)", data.len())
            } else {
                String::from_utf8_lossy(data).into_owned()
            };
            format!("{head} {name}({t}) {body}")
        }
    }
}

fn describe_avp(a: &Avp, show: bool) -> String {
    let name = code_name(a.vendor, a.code).unwrap_or("unknown");
    let mut flags = String::new();
    if a.flags & 0x80 != 0 {
        flags.push('V');
    }
    if a.mandatory() {
        flags.push('M');
    }
    let vendor = a
        .vendor
        .map(|v| format!(" vendor={v:#x}"))
        .unwrap_or_default();
    let value = if a.is_eap_message() {
        match EapPacket::parse(&a.data) {
            Ok(p) => describe_eap(&p, show),
            Err(e) => format!("bad nested EAP: {e}"),
        }
    } else if secret_avp(a) {
        secret(&String::from_utf8_lossy(&a.data), show)
    } else if a.vendor == Some(PULSE_AVP_VENDOR) && a.code == code::SESSION {
        match parse_avps(&a.data) {
            Ok(inner) => {
                let parts: Vec<String> = inner.iter().map(|i| describe_avp(i, show)).collect();
                format!("[{}]", parts.join("; "))
            }
            Err(e) => format!("bad nested AVPs: {e}"),
        }
    } else if a.data.len() == 4 && !a.data.iter().all(|b| b.is_ascii_graphic()) {
        format!(
            "{}",
            u32::from_be_bytes([a.data[0], a.data[1], a.data[2], a.data[3]])
        )
    } else if !a.data.is_empty() && a.data.iter().all(|b| (0x20..0x7f).contains(b)) {
        String::from_utf8_lossy(&a.data).into_owned()
    } else {
        hex(&a.data)
    };
    format!(
        "{:#x} {name} ({flags}{vendor}, {} bytes) = {value}",
        a.code,
        a.data.len()
    )
}

impl PulseFlow {
    pub(crate) fn new(flow: FlowId) -> Self {
        PulseFlow {
            flow,
            cipher: None,
            mac: None,
        }
    }

    /// An error of the Pulse stream as an event.
    pub(crate) fn error(e: PulseError) -> Event {
        Event::from_error(Layer::Pulse, TraceError::Pulse(e))
    }

    /// Events for one message; SAs found go to `out.esp`.
    pub(crate) fn message(&mut self, out: &mut Out<'_>, dir: Direction, f: &Framed) -> Vec<Event> {
        let m = &f.message;
        let sender = match dir {
            Direction::ClientToServer => Sender::Client,
            Direction::ServerToClient => Sender::Gateway,
        };
        let show = out.opts.show_secrets;
        let decorate = |mut e: Event| {
            e.push("ift_type", format!("{}", m.msg_type));
            e.push("ift_id", m.identifier);
            e.push("stream_offset", f.start);
            e.push("message_length", m.wire_len());
            e
        };
        let mut events = Vec::new();
        let decoded = match Message::decode(m, sender) {
            Ok(d) => d,
            Err(e) => {
                events.push(decorate(Self::error(e.shifted(f.start))));
                return events;
            }
        };
        let secret_bytes = matches!(
            decoded,
            Message::Auth(_) | Message::EspKeys(_) | Message::EspReply(_)
        );
        match decoded {
            Message::VersionRequest(v) => events.push(decorate(
                Event::new(
                    Layer::Pulse,
                    format!(
                        "version request {}..{} preferring {}",
                        v.min, v.max, v.preferred
                    ),
                )
                .with("min", v.min)
                .with("max", v.max)
                .with("preferred", v.preferred),
            )),
            Message::VersionResponse(v) => events.push(decorate(
                Event::new(Layer::Pulse, format!("version {}", v.version))
                    .with("version", v.version),
            )),
            Message::ClientInfo(c) => {
                let mut e = Event::new(
                    Layer::Pulse,
                    format!(
                        "client information {}",
                        c.get("clientHostName").unwrap_or("")
                    ),
                );
                for (k, v) in &c.pairs {
                    e.push(k.clone(), v.as_str());
                }
                events.push(decorate(e));
            }
            Message::Auth(a) => events.push(decorate(self.auth_event(&a, show))),
            Message::Config(c) => {
                events.push(decorate(self.config_event(out, &c)));
            }
            Message::EspKeys(k) => {
                let e = Event::new(Layer::Pulse, format!("ESP keys spi={:#010x}", k.entry.spi))
                    .with("spi", format!("{:#010x}", k.entry.spi))
                    .with("secrets", secret(&hex(&k.entry.secrets), show));
                events.push(decorate(e));
                events.extend(self.add_sa(out, &k.entry, Direction::ClientToServer, "server keys"));
            }
            Message::EspReply(r) => {
                let e = Event::new(
                    Layer::Pulse,
                    format!(
                        "ESP key reply spi={:#010x} (server spi {:#010x})",
                        r.client.spi, r.server.spi
                    ),
                )
                .with("spi", format!("{:#010x}", r.client.spi))
                .with("server_spi", format!("{:#010x}", r.server.spi))
                .with("secrets", secret(&hex(&r.client.secrets), show));
                events.push(decorate(e));
                events.extend(self.add_sa(
                    out,
                    &r.client,
                    Direction::ServerToClient,
                    "client reply",
                ));
            }
            Message::Data(p) => {
                if out.opts.packet_events {
                    events.push(decorate(
                        Event::new(Layer::Pulse, format!("IP data, {} bytes", p.len()))
                            .with("packet_length", p.len()),
                    ));
                }
                let mut e = inner::summarize(&p, "tls");
                if out.opts.plaintext {
                    plaintext::attach(&mut e, &p, false, show);
                }
                events.push(e);
            }
            Message::Ncmo(v) => events.push(decorate(Event::new(
                Layer::Pulse,
                format!("ncmo {:?}", String::from_utf8_lossy(&v)),
            ))),
            Message::EndOfConfig => {
                events.push(decorate(Event::new(Layer::Pulse, "end of configuration")))
            }
            Message::FatalError(fe) => events.push(decorate(
                Event::new(
                    Layer::Pulse,
                    format!("fatal error {}: {}", fe.error_type, fe.text),
                )
                .with("error_type", fe.error_type)
                .with("text", fe.text.as_str()),
            )),
            Message::Licence(t) => events.push(decorate(
                Event::new(Layer::Pulse, "licence").with("licence", t.as_str()),
            )),
            Message::Logout => events.push(decorate(Event::new(Layer::Pulse, "logout"))),
            Message::OtherConfig { kind, value } => events.push(decorate(
                Event::new(
                    Layer::Pulse,
                    format!("configuration of unknown kind {:#010x}", kind.0),
                )
                .with("value", hex(&value)),
            )),
            Message::Unknown(u) => events.push(decorate(
                Event::new(
                    Layer::Pulse,
                    format!("{} (unknown), {} bytes", u.msg_type, u.value.len()),
                )
                .with("value_length", u.value.len()),
            )),
        }
        if out.opts.plaintext {
            let mut bytes = m.to_bytes();
            for e in events.iter_mut().filter(|e| e.plaintext.is_none()) {
                plaintext::attach(e, &bytes, secret_bytes, show);
            }
            if secret_bytes {
                zeroize::Zeroize::zeroize(&mut bytes);
            }
        }
        events
    }

    fn auth_event(&self, a: &AuthMessage, show: bool) -> Event {
        let stage = format!("{:?}", a.stage).to_lowercase();
        let Some(eap) = &a.eap else {
            return Event::new(Layer::Pulse, format!("auth {stage} (start)"));
        };
        let mut e = Event::new(
            Layer::Pulse,
            format!("auth {stage}: {}", describe_eap(eap, show)),
        )
        .with("eap_code", format!("{:?}", eap.code))
        .with("eap_id", eap.identifier);
        if let Some(t) = eap.eap_type() {
            e.push("eap_type", t);
        }
        match a.juniper1_avps() {
            Some(Ok(avps)) => {
                e.push(
                    "avps",
                    Value::List(
                        avps.iter()
                            .map(|x| Value::Text(describe_avp(x, show)))
                            .collect(),
                    ),
                );
            }
            Some(Err(err)) => e.push("avp_error", format!("{err}")),
            None => {}
        }
        e
    }

    fn config_event(&mut self, out: &mut Out<'_>, c: &MainConfig) -> Event {
        let mut e = Event::new(
            Layer::Pulse,
            format!("main configuration (kind {:#010x})", c.kind.0),
        );
        e.push(
            "routes",
            Value::List(
                c.routes
                    .iter()
                    .map(|r| {
                        let cidrs: Vec<String> = range_to_cidrs(r.first, r.last)
                            .iter()
                            .map(|x| format!("{x}"))
                            .collect();
                        Value::Text(format!(
                            "{} {}-{} = {}",
                            if r.exclude { "exclude" } else { "include" },
                            r.first,
                            r.last,
                            cidrs.join(",")
                        ))
                    })
                    .collect(),
            ),
        );
        let v = match PulseConfig::from_main(c) {
            Ok(v) => v,
            Err(err) => {
                e.push("error", format!("{err}"));
                return e;
            }
        };
        let mut summary = String::from("main configuration");
        if let Some(a) = v.ipv4_address {
            summary.push_str(&format!(" address={a}"));
            e.push("address", format!("{a}"));
        }
        if let Some(m) = v.ipv4_netmask {
            e.push("netmask", format!("{m}"));
        }
        if let Some(a) = v.ipv6_address {
            summary.push_str(&format!(" address6={a}"));
            e.push("address6", format!("{a}"));
        }
        if !v.dns.is_empty() {
            e.push("dns", text_list(v.dns.iter()));
        }
        if !v.search_domains.is_empty() {
            e.push("search_domains", text_list(v.search_domains.iter()));
        }
        if !v.wins.is_empty() {
            e.push("wins", text_list(v.wins.iter()));
        }
        if !v.split_include_v6.is_empty() {
            e.push("split_include6", text_list(v.split_include_v6.iter()));
        }
        if !v.split_exclude_v6.is_empty() {
            e.push("split_exclude6", text_list(v.split_exclude_v6.iter()));
        }
        if let Some(m) = v.mtu {
            summary.push_str(&format!(" mtu={m}"));
            e.push("mtu", m);
        }
        let esp = &v.esp;
        if let Some(c) = esp.cipher {
            self.cipher = Some(c);
            let name = u8::try_from(c)
                .ok()
                .and_then(|c| Cipher::from_code(CipherCode(c)).ok())
                .map_or(format!("code {c}"), |c| String::from(c.name()));
            e.push("esp_cipher", name);
        }
        if let Some(m) = esp.mac {
            self.mac = Some(m);
            let name = u8::try_from(m)
                .ok()
                .and_then(|m| Integrity::from_pulse_code(MacCode(m)).ok())
                .map_or(format!("code {m}"), |m| String::from(m.name()));
            e.push("esp_mac", name);
        }
        if let Some(p) = esp.port {
            out.esp.add_port(p);
            e.push("esp_port", p);
        }
        if let Some(n) = esp.lifetime_secs {
            e.push("lifetime_secs", n);
        }
        if let Some(n) = esp.lifetime_bytes {
            e.push("lifetime_bytes", n);
        }
        if let Some(n) = esp.fallback_secs {
            e.push("fallback_secs", n);
        }
        if let Some(r) = esp.replay_protection {
            e.push("replay_protection", r);
        }
        if let Some(b) = esp.both_families {
            e.push("esp_both_families", b);
        }
        if !v.unknown.is_empty() {
            e.push(
                "unknown_attributes",
                text_list(
                    v.unknown
                        .iter()
                        .map(|a| format!("{:#06x}={}", a.attr_type, hex(&a.value))),
                ),
            );
        }
        if !v.malformed.is_empty() {
            e.push(
                "malformed_attributes",
                text_list(
                    v.malformed
                        .iter()
                        .map(|a| format!("{:#06x}={}", a.attr_type, hex(&a.value))),
                ),
            );
        }
        e.summary = summary;
        e
    }

    fn add_sa(
        &mut self,
        out: &mut Out<'_>,
        k: &EspKeyEntry,
        direction: Direction,
        origin: &'static str,
    ) -> Vec<Event> {
        let spi = k.spi;
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
        let (Some(c), Some(m)) = (self.cipher, self.mac) else {
            return unusable("no 0x4010 and 0x4011 algorithms seen on this connection");
        };
        let Some(cipher) = u8::try_from(c)
            .ok()
            .and_then(|c| Cipher::from_code(CipherCode(c)).ok())
        else {
            return unusable("unsupported cipher code");
        };
        let Some(integrity) = u8::try_from(m)
            .ok()
            .and_then(|m| Integrity::from_pulse_code(MacCode(m)).ok())
        else {
            return unusable("unsupported MAC code");
        };
        if cipher.key_len() + integrity.key_len() > 64 {
            return unusable("keys do not fit the 64-byte block");
        }
        let params = SaParams::new(spi, cipher, integrity, &k.secrets);
        let label = format!("pulse {origin} (flow {})", self.flow);
        let show = out.opts.show_secrets;
        let e = Event::new(
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
        .with("mac", integrity.name())
        .with("enc_key", secret(&hex(params.enc_key()), show))
        .with("mac_key", secret(&hex(params.mac_key()), show));
        out.esp.add(&params, Some(direction), label);
        alloc::vec![e]
    }
}
