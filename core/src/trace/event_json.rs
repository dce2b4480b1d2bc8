//! An [`Event`] as one JSON object, written straight into a byte buffer:
//! the same bytes `serde_json::to_writer` gives for the `serde` derive of
//! [`Event`] (field order, `null`s, serde_json's escaping), without going
//! through serde. `oncp decode --json` and the wasm package write every
//! event this way; a busy capture has two events per ESP packet, and the
//! serde path (escaping byte by byte through a `Write` adapter) cost more
//! than decrypting the packet. The tests of `oncp-tests` compare it with
//! serde_json on every testdata capture.

use alloc::vec::Vec;

use super::Direction;
use super::decoder::text::decimal;
use super::event::{Event, Value};

impl Event {
    /// Appends this event as one JSON object (no newline): the same bytes
    /// as `serde_json::to_writer(out, &event)` with the `serde` feature.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"time_us\":");
        match self.time_us {
            Some(t) => push_u64(out, t),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"direction\":");
        out.extend_from_slice(match self.direction {
            Some(Direction::ClientToServer) => b"\"ClientToServer\"",
            Some(Direction::ServerToClient) => b"\"ServerToClient\"",
            None => b"null",
        });
        out.extend_from_slice(b",\"layer\":\"");
        out.extend_from_slice(self.layer.name().as_bytes());
        out.extend_from_slice(b"\",\"summary\":");
        push_str(out, &self.summary);
        out.extend_from_slice(b",\"fields\":[");
        for (i, f) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"name\":");
            push_str(out, &f.name);
            out.extend_from_slice(b",\"value\":");
            push_value(out, &f.value);
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"source\":");
        match &self.source {
            Some(r) => {
                out.extend_from_slice(b"{\"start\":");
                push_u64(out, r.start);
                out.extend_from_slice(b",\"end\":");
                push_u64(out, r.end);
                out.push(b'}');
            }
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
}

fn push_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Uint(n) => push_u64(out, *n),
        Value::Text(s) => push_str(out, s),
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_value(out, item);
            }
            out.push(b']');
        }
    }
}

/// Appends `n` in decimal.
fn push_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(decimal(n, &mut [0; 20]));
}

/// Appends `s` as a JSON string, escaped as serde_json escapes: `"` and
/// `\` with a backslash; `\b \t \n \f \r` by name; the other control
/// characters (below 0x20) as `\u00XX` with lowercase hex; everything
/// else (DEL and non-ASCII included) as it is. Unescaped runs are copied
/// whole.
fn push_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        start = i + 1;
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]),
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::Layer;
    use alloc::string::String;

    fn json_str(s: &str) -> String {
        let mut out = Vec::new();
        push_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_as_serde_json_does() {
        assert_eq!(json_str(""), "\"\"");
        assert_eq!(json_str("plain µs ü"), "\"plain µs ü\"");
        assert_eq!(json_str("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(
            json_str("\u{8}\t\n\u{c}\r\u{0}\u{1f}\u{7f}"),
            "\"\\b\\t\\n\\f\\r\\u0000\\u001f\u{7f}\""
        );
    }

    #[test]
    fn writes_the_derived_shape() {
        let mut e = Event::new(Layer::Esp, "ESP \"x\"")
            .with("seq", 7u32)
            .with("probe", true)
            .with("flags", Value::List(alloc::vec!["S".into(), 1u8.into()]));
        let mut out = Vec::new();
        e.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"time_us\":null,\"direction\":null,\"layer\":\"esp\",\"summary\":\"ESP \\\"x\\\"\",\
             \"fields\":[{\"name\":\"seq\",\"value\":7},{\"name\":\"probe\",\"value\":true},\
             {\"name\":\"flags\",\"value\":[\"S\",1]}],\"source\":null}"
        );
        e.time_us = Some(u64::MAX);
        e.direction = Some(Direction::ServerToClient);
        e.source = Some(0..18_446_744_073_709_551_615);
        e.fields.clear();
        let mut out = Vec::new();
        e.write_json(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"time_us\":18446744073709551615,\"direction\":\"ServerToClient\",\"layer\":\"esp\",\
             \"summary\":\"ESP \\\"x\\\"\",\"fields\":[],\"source\":{\"start\":0,\"end\":18446744073709551615}}"
        );
    }
}
