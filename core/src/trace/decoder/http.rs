//! HTTP inside a TLS connection: request and response heads summarised
//! (cookies redacted unless secrets are shown), bodies skipped by
//! Content-Length or chunked encoding, form field names listed, and the
//! switch to the oNCP stream after the tunnel-opening request and its 200
//! (or to IF-T/TLS after the Pulse upgrade request and its 101).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::oncp::wire::http::{RequestHead, ResponseHead, head_len};
use crate::trace::event::{Event, Layer, Value};

/// The most body bytes kept to list form field names.
pub const MAX_SCANNED_BODY: usize = 256 * 1024;

/// Where an HTTP direction is.
#[derive(Debug)]
pub(crate) enum HttpState {
    /// Collecting a head.
    Head(Vec<u8>),
    /// Skipping a body of known length.
    Body {
        remaining: u64,
        scan: Option<Vec<u8>>,
    },
    /// Skipping a chunked body.
    Chunked {
        chunk: ChunkState,
        scan: Option<Vec<u8>>,
    },
    /// The body runs until the connection closes.
    UntilClose,
}

/// Progress through a chunked body.
#[derive(Debug)]
pub(crate) enum ChunkState {
    /// Reading a chunk-size line.
    Size(Vec<u8>),
    /// Inside chunk data, then its CRLF.
    Data(u64),
    /// Reading trailer lines until an empty one.
    Trailer(Vec<u8>),
}

/// Redacts a secret unless `show` is set.
pub(crate) fn secret(value: &str, show: bool) -> String {
    if show {
        value.into()
    } else {
        String::from(crate::trace::event::REDACTED)
    }
}

fn cookie_list(pairs: impl Iterator<Item = (String, String)>, show: bool) -> Value {
    Value::List(
        pairs
            .map(|(n, v)| Value::Text(format!("{n}={}", secret(&v, show))))
            .collect(),
    )
}

/// The event for a request head.
pub(crate) fn request_event(req: &RequestHead, show: bool) -> Event {
    let mut e = Event::new(Layer::Http, format!("{} {}", req.method, req.target))
        .with("method", req.method.as_str())
        .with("target", req.target.as_str());
    if let Some(h) = req.header("Host") {
        e.push("host", h);
    }
    if let Some(c) = req.header("Cookie") {
        let pairs = c.split(';').filter_map(|p| {
            let p = p.trim();
            (!p.is_empty()).then(|| match p.split_once('=') {
                Some((n, v)) => (n.into(), v.into()),
                None => (String::from("DSID"), p.into()),
            })
        });
        e.push("cookies", cookie_list(pairs, show));
    }
    if let Some(l) = req.header("Content-Length") {
        e.push("content_length", l);
    }
    if req.is_tunnel_request() {
        e.summary.push_str(" (tunnel request)");
        e.push("tunnel", true);
    } else if crate::pulse::http::is_upgrade_request(req) {
        e.summary.push_str(" (tunnel request: IF-T/TLS upgrade)");
        e.push("tunnel", true);
    }
    e
}

/// Which tunnel a response answers, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TunnelAnswer {
    /// An ordinary page.
    None,
    /// The oNCP tunnel request (200 opens it).
    Oncp,
    /// The Pulse IF-T/TLS upgrade (101 opens it).
    Pulse,
}

/// The event for a response head.
pub(crate) fn response_event(resp: &ResponseHead, tunnel: TunnelAnswer, show: bool) -> Event {
    let mut e = Event::new(Layer::Http, format!("{} {}", resp.status, resp.reason))
        .with("status", resp.status)
        .with("reason", resp.reason.as_str());
    if let Some(l) = resp.header("Location") {
        e.push("location", l);
    }
    if let Some(t) = resp.header("Content-Type") {
        e.push("content_type", t);
    }
    let set: Vec<(String, String)> = resp
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Set-Cookie"))
        .map(|(_, v)| {
            let first = v.split(';').next().unwrap_or("");
            match first.split_once('=') {
                Some((n, v)) => (n.trim().into(), v.into()),
                None => (first.trim().into(), String::new()),
            }
        })
        .collect();
    if !set.is_empty() {
        e.push("set_cookies", cookie_list(set.into_iter(), show));
    }
    let opened = match tunnel {
        TunnelAnswer::None => return e,
        TunnelAnswer::Oncp => (resp.status == 200).then_some(" (tunnel open: oNCP follows)"),
        TunnelAnswer::Pulse => (resp.status == 101).then_some(" (tunnel open: IF-T/TLS follows)"),
    };
    e.summary.push_str(opened.unwrap_or(" (tunnel refused)"));
    e.push("tunnel", true);
    e
}

/// Tries to take a complete head off the front of `buf`: its length.
pub(crate) fn take_head(buf: &[u8]) -> Result<Option<usize>, crate::oncp::wire::WireError> {
    head_len(buf)
}

/// The body framing of a message with these headers.
pub(crate) fn body_state(
    headers: &[(String, String)],
    is_response: bool,
    status: u16,
    scan: bool,
) -> Option<HttpState> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let scan_buf = scan.then(Vec::new);
    if is_response && (status / 100 == 1 || status == 204 || status == 304) {
        return None;
    }
    if header("Transfer-Encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        return Some(HttpState::Chunked {
            chunk: ChunkState::Size(Vec::new()),
            scan: scan_buf,
        });
    }
    match header("Content-Length").and_then(|l| l.trim().parse::<u64>().ok()) {
        Some(0) => None,
        Some(n) => Some(HttpState::Body {
            remaining: n,
            scan: scan_buf,
        }),
        None if is_response => Some(HttpState::UntilClose),
        None => None,
    }
}

/// Appends body bytes to a scan buffer, bounded.
pub(crate) fn keep(scan: &mut Option<Vec<u8>>, data: &[u8]) {
    if let Some(buf) = scan {
        let room = MAX_SCANNED_BODY.saturating_sub(buf.len());
        buf.extend_from_slice(&data[..data.len().min(room)]);
    }
}

/// Consumes chunked-body bytes from `data`; returns bytes used and whether
/// the body ended.
pub(crate) fn chunked(
    state: &mut ChunkState,
    scan: &mut Option<Vec<u8>>,
    data: &[u8],
) -> (usize, bool) {
    let mut used = 0;
    while used < data.len() {
        match state {
            ChunkState::Size(line) => {
                let b = data[used];
                used += 1;
                if b == b'\n' {
                    let text = String::from_utf8_lossy(line);
                    let hex = text.split(';').next().unwrap_or("").trim();
                    let size = u64::from_str_radix(hex, 16).unwrap_or(0);
                    *state = if size == 0 {
                        ChunkState::Trailer(Vec::new())
                    } else {
                        ChunkState::Data(size + 2)
                    };
                } else if line.len() < 256 {
                    line.push(b);
                }
            }
            ChunkState::Data(left) => {
                let n = (*left).min((data.len() - used) as u64) as usize;
                // The last two bytes of each chunk are its CRLF.
                let body_part = n.min(left.saturating_sub(2) as usize);
                keep(scan, &data[used..used + body_part]);
                used += n;
                *left -= n as u64;
                if *left == 0 {
                    *state = ChunkState::Size(Vec::new());
                }
            }
            ChunkState::Trailer(line) => {
                let b = data[used];
                used += 1;
                if b == b'\n' {
                    if line.iter().all(|c| *c == b'\r') {
                        return (used, true);
                    }
                    line.clear();
                } else if line.len() < 256 {
                    line.push(b);
                }
            }
        }
    }
    (used, false)
}

/// Field names of an `application/x-www-form-urlencoded` body, with values
/// redacted unless `show`.
pub(crate) fn form_fields(body: &[u8], show: bool) -> Value {
    let text = String::from_utf8_lossy(body);
    Value::List(
        text.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (n, v) = p.split_once('=').unwrap_or((p, ""));
                Value::Text(format!("{n}={}", secret(v, show)))
            })
            .collect(),
    )
}

/// The `name` attributes of `<input>`, `<select>` and `<textarea>` elements
/// and the `name`/`action` of `<form>`s in an HTML page.
pub(crate) fn html_form_names(body: &[u8]) -> (Vec<Value>, Vec<Value>) {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let mut forms = Vec::new();
    let mut inputs = Vec::new();
    let mut at = 0;
    while let Some(rel) = lower[at..].find('<') {
        let start = at + rel + 1;
        let end = lower[start..]
            .find('>')
            .map(|e| start + e)
            .unwrap_or(lower.len());
        let tag = &lower[start..end];
        let orig = &text[start..end];
        let name_of = |attr: &str| attribute(tag, orig, attr);
        if tag.starts_with("form") {
            let label = name_of("name")
                .or_else(|| name_of("id"))
                .or_else(|| name_of("action"))
                .unwrap_or_default();
            forms.push(Value::Text(label));
        } else if (tag.starts_with("input")
            || tag.starts_with("select")
            || tag.starts_with("textarea"))
            && let Some(n) = name_of("name")
        {
            inputs.push(Value::Text(n));
        }
        at = end.min(lower.len());
        if at >= lower.len() {
            break;
        }
    }
    (forms, inputs)
}

/// The value of attribute `attr` in a tag (`lower` is `orig` lowercased).
fn attribute(lower: &str, orig: &str, attr: &str) -> Option<String> {
    let mut from = 0;
    while let Some(rel) = lower[from..].find(attr) {
        let i = from + rel;
        from = i + attr.len();
        let before_ok = i == 0 || lower.as_bytes()[i - 1].is_ascii_whitespace();
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let vstart = lower.len() - rest.len() + 1;
        let v = orig[vstart..].trim_start();
        let value = match v.chars().next() {
            Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or(""),
            _ => v
                .split(|c: char| c.is_whitespace() || c == '/')
                .next()
                .unwrap_or(""),
        };
        return Some(value.into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_redaction() {
        let (forms, inputs) = html_form_names(
            b"<html><FORM name=\"frmLogin\" action='/dana-na/auth/login.cgi'><input type=text name=username>\
              <input type=\"password\" NAME=\"password\"/><select name='realm'></select></form>",
        );
        assert_eq!(forms, [Value::Text("frmLogin".into())]);
        assert_eq!(
            inputs,
            ["username", "password", "realm"].map(|s| Value::Text(s.into()))
        );
        assert_eq!(
            form_fields(b"username=bob&password=hunter2", false),
            Value::List(alloc::vec![
                Value::Text("username=<redacted>".into()),
                Value::Text("password=<redacted>".into())
            ])
        );
        assert_eq!(
            form_fields(b"a=1", true),
            Value::List(alloc::vec![Value::Text("a=1".into())])
        );
    }

    #[test]
    fn chunked_bodies_end() {
        let mut st = ChunkState::Size(Vec::new());
        let mut scan = Some(Vec::new());
        let body = b"5\r\nhello\r\n4;ext\r\n abc\r\n0\r\nX: y\r\n\r\nNEXT";
        let (used, done) = chunked(&mut st, &mut scan, &body[..7]);
        assert_eq!((used, done), (7, false));
        let (used2, done) = chunked(&mut st, &mut scan, &body[7..]);
        assert!(done);
        assert_eq!(&body[7 + used2..], b"NEXT");
        assert_eq!(scan.unwrap(), b"hello abc");
    }
}
