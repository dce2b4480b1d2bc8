//! The decoder's output: a typed stream of [`Event`]s with a stable text
//! rendering.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use super::Direction;
use super::decoder::text::push_u64;
use super::error::TraceError;

/// What a redacted secret reads as in a field value.
pub(crate) const REDACTED: &str = "<redacted>";

/// The protocol layer an [`Event`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Layer {
    /// The capture file itself (headers, interfaces, key log blocks).
    Capture,
    /// IP (fragments, non-TCP/UDP protocols).
    Ip,
    /// TCP segments and stream events.
    Tcp,
    /// UDP datagrams that are not ESP.
    Udp,
    /// TLS handshakes, alerts, decryption state.
    Tls,
    /// HTTP requests and responses inside TLS.
    Http,
    /// oNCP messages inside the tunnel's TLS stream.
    Oncp,
    /// Pulse IF-T/TLS messages inside the tunnel's TLS stream.
    Pulse,
    /// ESP packets (UDP-encapsulated).
    Esp,
    /// IP packets carried inside the tunnel.
    Inner,
}

impl Layer {
    /// The lowercase name used in the text rendering and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Layer::Capture => "capture",
            Layer::Ip => "ip",
            Layer::Tcp => "tcp",
            Layer::Udp => "udp",
            Layer::Tls => "tls",
            Layer::Http => "http",
            Layer::Oncp => "oncp",
            Layer::Pulse => "pulse",
            Layer::Esp => "esp",
            Layer::Inner => "inner",
        }
    }
}

/// A field value, typed enough for JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(untagged))]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// An unsigned number.
    Uint(u64),
    /// Text (including rendered addresses and hex strings).
    Text(String),
    /// A list of values.
    List(Vec<Value>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.write_text(&mut text);
        f.write_str(&text)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Uint(v)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Uint(v.into())
    }
}
impl From<u16> for Value {
    fn from(v: u16) -> Self {
        Value::Uint(v.into())
    }
}
impl From<u8> for Value {
    fn from(v: u8) -> Self {
        Value::Uint(v.into())
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Value::Uint(v as u64)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.into())
    }
}

/// One named field of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Field {
    /// The field's name (lowercase, `_`-separated): almost always a
    /// constant, so not a copy of its own (two events per ESP packet have a
    /// dozen fields each).
    pub name: Cow<'static, str>,
    /// Its value.
    pub value: Value,
}

/// The decrypted bytes an [`Event`] was decoded from (asked for with
/// [`DecoderOptions::plaintext`](super::DecoderOptions::plaintext)).
#[derive(Clone, PartialEq, Eq)]
pub enum Plaintext {
    /// The bytes: an oNCP message (its 20-byte KMP header and payload, the
    /// oNCP record framing stripped), an ESP packet's decrypted payload, a
    /// tunnelled IP packet (decompressed when LZO), an HTTP head or body,
    /// or a TLS record's application data.
    Bytes(Vec<u8>),
    /// Not given: the bytes carry secrets that the event's fields redact
    /// (decode with `show_secrets` to get them).
    Withheld,
}

impl Plaintext {
    /// The bytes, unless withheld.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Plaintext::Bytes(b) => Some(b),
            Plaintext::Withheld => None,
        }
    }
}

/// Only the length: the bytes may be secret.
impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Plaintext::Bytes(b) => write!(f, "Plaintext({} bytes)", b.len()),
            Plaintext::Withheld => f.write_str("Plaintext(withheld)"),
        }
    }
}

/// One thing the decoder found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Event {
    /// Capture time in microseconds since the Unix epoch, when known.
    pub time_us: Option<u64>,
    /// The direction within the VPN session, when it applies.
    pub direction: Option<Direction>,
    /// The layer.
    pub layer: Layer,
    /// A one-line summary.
    pub summary: String,
    /// Named fields, in a stable order.
    pub fields: Vec<Field>,
    /// The bytes of the capture file this event came from (for stream
    /// events: the block of the packet that completed it).
    pub source: Option<Range<u64>>,
    /// The error, when the event reports one. Its message is also in the
    /// `error` field.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub error: Option<TraceError>,
    /// The decrypted bytes this event was decoded from, for events that
    /// come out of decryption, when [`DecoderOptions::plaintext`] asked for
    /// them (not part of the text rendering or the JSON).
    ///
    /// [`DecoderOptions::plaintext`]: super::DecoderOptions::plaintext
    #[cfg_attr(feature = "serde", serde(skip))]
    pub plaintext: Option<Plaintext>,
}

impl Event {
    /// An event with no fields.
    pub fn new(layer: Layer, summary: impl Into<String>) -> Self {
        Event {
            time_us: None,
            direction: None,
            layer,
            summary: summary.into(),
            fields: Vec::new(),
            source: None,
            error: None,
            plaintext: None,
        }
    }

    /// An event with room for `fields` fields (the per-packet events,
    /// which have about a dozen: one allocation instead of three).
    pub fn with_capacity(layer: Layer, summary: impl Into<String>, fields: usize) -> Self {
        let mut e = Event::new(layer, summary);
        e.fields.reserve_exact(fields);
        e
    }

    /// An error event: the summary and an `error` field carry its message.
    pub fn from_error(layer: Layer, error: TraceError) -> Self {
        let message = alloc::format!("{error}");
        let mut e = Event::new(layer, alloc::format!("error: {message}"));
        e.fields.push(Field {
            name: "error".into(),
            value: Value::Text(message),
        });
        e.error = Some(error);
        e
    }

    /// Adds a field (builder style).
    pub fn with(mut self, name: impl Into<Cow<'static, str>>, value: impl Into<Value>) -> Self {
        self.push(name, value);
        self
    }

    /// Adds a field.
    pub fn push(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<Value>) {
        self.fields.push(Field {
            name: name.into(),
            value: value.into(),
        });
    }

    /// The value of the first field called `name`.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| &f.value)
    }

    /// Whether a field's value was redacted (a secret not shown).
    pub fn has_redacted_field(&self) -> bool {
        fn redacted(v: &Value) -> bool {
            match v {
                Value::Text(t) => t.contains(REDACTED),
                Value::List(items) => items.iter().any(redacted),
                Value::Bool(_) | Value::Uint(_) => false,
            }
        }
        self.fields.iter().any(|f| redacted(&f.value))
    }

    /// Whether this event reports an error.
    pub fn is_error(&self) -> bool {
        self.error.is_some()
    }
}

/// Renders `12345.678901 C->S tls    summary  key=value …  [@start..end]`:
/// seconds with six decimals (or `-`), the direction (or `   -`), the layer,
/// the summary and the fields. The format is stable (tests snapshot it).
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = String::with_capacity(256);
        self.write_text(&mut line);
        f.write_str(&line)
    }
}

impl Event {
    /// Appends the text rendering ([`Display`](fmt::Display), no newline)
    /// to `out`: what `oncp decode` prints, built without `core::fmt` for
    /// the parts every event has (a busy capture prints two events per ESP
    /// packet).
    pub fn write_text(&self, out: &mut String) {
        match self.time_us {
            Some(t) => {
                push_u64(out, t / 1_000_000);
                out.push('.');
                let micros = t % 1_000_000;
                let mut width = 1;
                while width < 6 && micros >= 10u64.pow(width) {
                    width += 1;
                }
                for _ in width..6 {
                    out.push('0');
                }
                push_u64(out, micros);
            }
            None => out.push('-'),
        }
        out.push(' ');
        out.push_str(self.direction.map(|d| d.label()).unwrap_or("-"));
        out.push(' ');
        let layer = self.layer.name();
        out.push_str(layer);
        for _ in layer.len()..7 {
            out.push(' ');
        }
        out.push(' ');
        out.push_str(&self.summary);
        for field in &self.fields {
            if field.name == "error" && self.error.is_some() {
                continue;
            }
            out.push(' ');
            out.push_str(&field.name);
            out.push('=');
            field.value.write_text(out);
        }
        if let Some(r) = &self.source {
            out.push_str(" [@");
            push_u64(out, r.start);
            out.push_str("..");
            push_u64(out, r.end);
            out.push(']');
        }
    }
}

impl Value {
    /// Appends the value as [`Display`](fmt::Display) renders it.
    fn write_text(&self, out: &mut String) {
        match self {
            Value::Bool(true) => out.push_str("true"),
            Value::Bool(false) => out.push_str("false"),
            Value::Uint(n) => push_u64(out, *n),
            Value::Text(s) => {
                if s.is_empty() || s.contains([' ', '"', '=', ',', '[', ']']) {
                    use fmt::Write;
                    // A String's fmt::Write never fails.
                    let _ = write!(out, "{s:?}");
                } else {
                    out.push_str(s);
                }
            }
            Value::List(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_text(out);
                }
                out.push(']');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn renders_stably() {
        let mut e = Event::new(Layer::Tcp, "SYN")
            .with("src", "10.0.0.1:5000")
            .with("len", 0u32)
            .with("flags", Value::List(alloc::vec!["S".into(), "A".into()]))
            .with("note", "two words");
        e.time_us = Some(1_700_000_000_000_123);
        e.direction = Some(Direction::ClientToServer);
        e.source = Some(24..90);
        assert_eq!(
            e.to_string(),
            "1700000000.000123 C->S tcp     SYN src=10.0.0.1:5000 len=0 flags=[S,A] note=\"two words\" [@24..90]"
        );
    }

    /// The rendering as it was written with `core::fmt` before
    /// [`Event::write_text`], kept as the reference.
    fn with_fmt(e: &Event) -> String {
        fn value(v: &Value) -> String {
            match v {
                Value::Bool(b) => alloc::format!("{b}"),
                Value::Uint(n) => alloc::format!("{n}"),
                Value::Text(s) if s.is_empty() || s.contains([' ', '"', '=', ',', '[', ']']) => {
                    alloc::format!("{s:?}")
                }
                Value::Text(s) => s.clone(),
                Value::List(items) => {
                    let items: Vec<String> = items.iter().map(value).collect();
                    alloc::format!("[{}]", items.join(","))
                }
            }
        }
        let mut s = match e.time_us {
            Some(t) => alloc::format!("{}.{:06}", t / 1_000_000, t % 1_000_000),
            None => "-".into(),
        };
        let dir = e.direction.map(|d| d.label()).unwrap_or("-");
        s += &alloc::format!(" {dir} {:<7} {}", e.layer.name(), e.summary);
        for f in &e.fields {
            if f.name == "error" && e.error.is_some() {
                continue;
            }
            s += &alloc::format!(" {}={}", f.name, value(&f.value));
        }
        if let Some(r) = &e.source {
            s += &alloc::format!(" [@{}..{}]", r.start, r.end);
        }
        s
    }

    #[test]
    fn fast_rendering_equals_the_fmt_one() {
        let times = [
            None,
            Some(0),
            Some(7),
            Some(1_000_000),
            Some(12_345_678),
            Some(u64::MAX),
        ];
        let texts = [
            "",
            "plain",
            "two words",
            "a\"b",
            "tab\there",
            "x=y",
            "[",
            "µs ü",
            "\u{1}",
        ];
        for (i, t) in times.into_iter().enumerate() {
            for layer in [Layer::Capture, Layer::Ip, Layer::Inner] {
                let mut e = Event::new(layer, "summary of it").with("n", i as u64);
                for (k, text) in texts.iter().enumerate() {
                    e.push("f", *text);
                    e.push(
                        "l",
                        Value::List(alloc::vec![(*text).into(), k.into(), true.into()]),
                    );
                }
                e.time_us = t;
                e.direction = [None, Some(Direction::ClientToServer)][i % 2];
                e.source = (i % 3 == 0).then_some(i as u64..(i as u64) << 40);
                assert_eq!(e.to_string(), with_fmt(&e));
                let mut err = Event::from_error(
                    layer,
                    TraceError::Capture(super::super::capture::CaptureError::BadMagic { magic: 9 }),
                );
                err.time_us = t;
                assert_eq!(err.to_string(), with_fmt(&err));
            }
        }
    }

    #[test]
    fn error_events_carry_the_message() {
        let e = Event::from_error(
            Layer::Capture,
            TraceError::Capture(super::super::capture::CaptureError::BadMagic { magic: 7 }),
        );
        assert!(e.is_error());
        assert!(e.summary.starts_with("error: "));
        assert!(matches!(e.field("error"), Some(Value::Text(_))));
        assert_eq!(e.to_string(), alloc::format!("- - capture {}", e.summary));
    }
}
