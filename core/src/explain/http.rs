//! HTTP exchanges in `--dump-http-traffic` output: OpenConnect's (`> `
//! request lines, `Got HTTP response:` and its header lines, `< ` body
//! lines) and oncp's (`> GET url`, `< 200`, `< Name: value`). Cookie
//! values, passwords and other secret-looking form values are redacted
//! unless secrets are to be shown.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::report::Item;
use crate::trace::Direction;

/// What stands in for a redacted value.
pub(crate) const REDACTED: &str = "<redacted>";

/// Header lines kept per request or response.
const MAX_HEADERS: usize = 64;

/// Which part of an exchange the next line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    RequestHead,
    RequestBody,
    ResponseHead,
    ResponseBody,
}

/// One request and its response.
#[derive(Debug, Clone, Default)]
pub(crate) struct Exchange {
    /// Line of the request (or of the response when no request was seen).
    pub line: usize,
    /// `POST /dana/js?prot=1&svc=4 HTTP/1.1`
    pub request: Option<String>,
    /// Request header lines, redacted.
    pub request_headers: Vec<(String, String)>,
    /// Request body, redacted.
    pub request_body: Option<String>,
    /// Response status code and line.
    pub status: Option<(u16, String, usize)>,
    /// Response header lines, redacted.
    pub response_headers: Vec<(String, String)>,
    /// Response body lines seen.
    pub body_lines: usize,
    /// The page's `<title>`, when the body shows one.
    pub title: Option<String>,
}

impl Exchange {
    /// Whether this is the tunnel request (`POST /dana/js…`).
    pub(crate) fn is_tunnel(&self) -> bool {
        self.request
            .as_deref()
            .is_some_and(|r| r.contains("/dana/js"))
    }

    /// The exchange as an item.
    pub(crate) fn item(&self) -> Item {
        let summary = match (&self.request, &self.status) {
            (Some(r), Some((_, s, _))) => format!("HTTP {r} -> {s}"),
            (Some(r), None) => format!("HTTP {r} (no response in the log)"),
            (None, Some((_, s, _))) => format!("HTTP response {s}"),
            (None, None) => String::from("HTTP"),
        };
        let mut it = Item::new(self.line, Some(Direction::ClientToServer), summary);
        for (k, v) in &self.request_headers {
            it.field(format!("> {k}"), v.clone());
        }
        if let Some(b) = &self.request_body {
            it.field("> body", b.clone());
        }
        for (k, v) in &self.response_headers {
            it.field(format!("< {k}"), v.clone());
        }
        if let Some(t) = &self.title {
            it.field("< page title", t.clone());
        }
        if self.body_lines > 0 {
            it.field("< body", format!("{} lines", self.body_lines));
        }
        if self.is_tunnel()
            && let Some((code, _, _)) = self.status
        {
            it.note(match code {
                200 => {
                    String::from("the tunnel request was accepted; oNCP follows on this connection")
                }
                302 | 401 | 403 => format!(
                    "HTTP {code} to the tunnel request: the gateway rejected the cookie (DSID)"
                ),
                _ => format!("HTTP {code} to the tunnel request: the tunnel was refused"),
            });
        }
        it
    }
}

/// Collects exchanges from the lines of a log.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    cur: Option<(Exchange, Part)>,
    /// Redaction off.
    show: bool,
    done: Vec<Exchange>,
}

fn is_method(s: &str) -> bool {
    matches!(
        s,
        "GET" | "POST" | "PUT" | "HEAD" | "DELETE" | "OPTIONS" | "PATCH"
    )
}

/// `Name: value` with a header-like name.
fn header_line(t: &str) -> Option<(&str, &str)> {
    let (k, v) = t.split_once(':')?;
    let ok = !k.is_empty()
        && k.len() <= 64
        && k.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
    ok.then(|| (k, v.trim()))
}

/// The status code of `HTTP/1.1 401 Unauthorized` (or oncp's bare `401`).
pub(crate) fn status_code(s: &str) -> Option<u16> {
    let rest = match s.strip_prefix("HTTP/") {
        Some(r) => r.split_once(' ')?.1,
        None => s,
    };
    let code = rest.split(' ').next()?;
    (code.len() == 3).then(|| code.parse().ok()).flatten()
}

impl Collector {
    /// A collector; `show`: no redaction.
    pub(crate) fn new(show: bool) -> Collector {
        Collector {
            show,
            ..Collector::default()
        }
    }

    /// Takes the exchanges finished so far.
    pub(crate) fn take(&mut self) -> Vec<Exchange> {
        core::mem::take(&mut self.done)
    }

    /// Ends the exchange in progress.
    pub(crate) fn flush(&mut self) {
        if let Some((e, _)) = self.cur.take() {
            self.done.push(e);
        }
    }

    /// OpenConnect's `Got HTTP response: …` line.
    pub(crate) fn response(&mut self, no: usize, status_line: &str) {
        let waiting = matches!(
            self.cur,
            Some((ref e, Part::RequestHead | Part::RequestBody)) if e.status.is_none()
        );
        if !waiting {
            self.flush();
            self.cur = Some((
                Exchange {
                    line: no,
                    ..Exchange::default()
                },
                Part::RequestHead,
            ));
        }
        if let Some((e, part)) = &mut self.cur {
            if let Some(code) = status_code(status_line) {
                e.status = Some((code, String::from(status_line), no));
            }
            *part = Part::ResponseHead;
        }
    }

    /// A line that is not a hex dump line and not another message:
    /// returns whether it belonged to an exchange.
    pub(crate) fn line(&mut self, no: usize, t: &str) -> bool {
        if let Some(r) = t
            .strip_prefix("> ")
            .or(if t == ">" { Some("") } else { None })
        {
            return self.request_line(no, r);
        }
        if let Some(r) = t
            .strip_prefix("< ")
            .or(if t == "<" { Some("") } else { None })
        {
            return self.response_line(no, r);
        }
        // OpenConnect prints the response's header lines bare.
        if let Some((e, Part::ResponseHead)) = &mut self.cur
            && let Some((k, v)) = header_line(t)
        {
            if e.response_headers.len() < MAX_HEADERS {
                let v = redact_header(k, v, self.show);
                e.response_headers.push((String::from(k), v));
            }
            return true;
        }
        if let Some((_, part @ Part::ResponseHead)) = &mut self.cur
            && t.starts_with("HTTP body ")
        {
            *part = Part::ResponseBody;
            return true;
        }
        false
    }

    fn request_line(&mut self, no: usize, r: &str) -> bool {
        let method = r.split(' ').next().unwrap_or("");
        if is_method(method) && r.len() > method.len() + 1 {
            self.flush();
            let shown = redact_url(r, self.show);
            self.cur = Some((
                Exchange {
                    line: no,
                    request: Some(shown),
                    ..Exchange::default()
                },
                Part::RequestHead,
            ));
            return true;
        }
        let show = self.show;
        match &mut self.cur {
            Some((_, part @ Part::RequestHead)) if r.is_empty() => {
                *part = Part::RequestBody;
                true
            }
            Some((e, Part::RequestHead)) => {
                if let Some((k, v)) = header_line(r)
                    && e.request_headers.len() < MAX_HEADERS
                {
                    e.request_headers
                        .push((String::from(k), redact_header(k, v, show)));
                }
                true
            }
            Some((e, Part::RequestBody)) => {
                if !r.is_empty() && e.request_body.is_none() {
                    e.request_body = Some(redact_form(super::lines::cut(r, 512), show));
                }
                true
            }
            _ => false,
        }
    }

    fn response_line(&mut self, no: usize, r: &str) -> bool {
        // oncp's `< 200` or a dumped status line starts the response.
        let starts = status_code(r).is_some_and(|_| {
            r.starts_with("HTTP/") || (r.len() == 3 && r.bytes().all(|c| c.is_ascii_digit()))
        });
        if starts {
            self.response(no, r);
            return true;
        }
        let show = self.show;
        match &mut self.cur {
            Some((_, part @ Part::ResponseHead)) if r.is_empty() => {
                *part = Part::ResponseBody;
                true
            }
            Some((e, Part::ResponseHead)) if header_line(r).is_some() => {
                if let Some((k, v)) = header_line(r)
                    && e.response_headers.len() < MAX_HEADERS
                {
                    e.response_headers
                        .push((String::from(k), redact_header(k, v, show)));
                }
                true
            }
            Some((e, _)) => {
                e.body_lines += 1;
                if e.title.is_none()
                    && let Some(t) = title(r)
                {
                    e.title = Some(String::from(t));
                }
                true
            }
            None => false,
        }
    }
}

fn title(r: &str) -> Option<&str> {
    let lower_at = r.find("<title>").or_else(|| r.find("<TITLE>"))?;
    let rest = &r[lower_at + 7..];
    let end = rest.find("</").unwrap_or(rest.len());
    let t = rest[..end].trim();
    (!t.is_empty()).then(|| super::lines::cut(t, 120))
}

/// Whether a form field's or cookie's name says it holds a secret.
pub(crate) fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "pass", "token", "code", "pin", "secret", "otp", "saml", "key", "auth", "dsid", "cookie",
    ]
    .iter()
    .any(|w| n.contains(w))
}

fn redact_header(name: &str, value: &str, show: bool) -> String {
    let value = super::lines::cut(value, 512);
    if show {
        return String::from(value);
    }
    match name.to_ascii_lowercase().as_str() {
        "cookie" => value
            .split(';')
            .map(|c| match c.split_once('=') {
                Some((n, _)) => format!("{}={REDACTED}", n.trim()),
                None => String::from(c.trim()),
            })
            .collect::<Vec<_>>()
            .join("; "),
        "set-cookie" => {
            let (first, attrs) = value.split_once(';').unwrap_or((value, ""));
            let (name, v) = first.split_once('=').unwrap_or((first, ""));
            let v = if v.is_empty() { "" } else { REDACTED };
            if attrs.is_empty() {
                format!("{name}={v}")
            } else {
                format!("{name}={v};{attrs}")
            }
        }
        "authorization" | "proxy-authorization" => String::from(REDACTED),
        _ => String::from(value),
    }
}

/// `a=1&password=x` with secret values redacted.
pub(crate) fn redact_form(body: &str, show: bool) -> String {
    if show {
        return String::from(body);
    }
    body.split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if secret_name(k) && !v.is_empty() => format!("{k}={REDACTED}"),
            _ => String::from(kv),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn redact_url(r: &str, show: bool) -> String {
    let r = super::lines::cut(r, 512);
    match r.split_once('?') {
        Some((path, q)) if !show => {
            let (q, tail) = q.split_once(' ').unwrap_or((q, ""));
            let q = redact_form(q, false);
            if tail.is_empty() {
                format!("{path}?{q}")
            } else {
                format!("{path}?{q} {tail}")
            }
        }
        _ => String::from(r),
    }
}

/// Redacts `DSID=…` (and other secret-named `name=value` pairs) anywhere
/// in a free text line.
pub(crate) fn redact_text(t: &str, show: bool) -> String {
    if show {
        return String::from(t);
    }
    let mut out = String::with_capacity(t.len());
    for (i, word) in t.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        match word.split_once('=') {
            Some((k, v)) if secret_name(k) && !v.is_empty() => {
                out.push_str(k);
                out.push('=');
                out.push_str(REDACTED);
                if v.ends_with(';') {
                    out.push(';');
                }
            }
            _ => out.push_str(word),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openconnect_exchange() {
        let mut c = Collector::default();
        for (i, l) in [
            "> POST /dana-na/auth/url_default/login.cgi HTTP/1.1",
            "> Host: 127.0.0.1:4443",
            "> Cookie: DSSIGNIN=url_default; DSID=abc",
            ">",
            "> tz_offset=0&username=alice&password=secret&realm=Users",
        ]
        .iter()
        .enumerate()
        {
            assert!(c.line(i + 1, l), "{l}");
        }
        c.response(6, "HTTP/1.1 302 Found");
        assert!(c.line(7, "Set-Cookie: DSID=0123456789abcdef; path=/; Secure"));
        assert!(c.line(8, "HTTP body length:  (0)"));
        c.flush();
        let e = &c.take()[0];
        assert_eq!(e.status.as_ref().unwrap().0, 302);
        let text = format!("{:?}", e.item());
        assert!(!text.contains("secret"), "{text}");
        assert!(!text.contains("0123456789abcdef"), "{text}");
        assert!(!text.contains("abc\""), "{text}");
        assert!(text.contains("username=alice"), "{text}");
    }

    #[test]
    fn oncp_exchange_and_tunnel() {
        let mut c = Collector::default();
        c.line(1, "> POST /dana/js?prot=1&svc=4 HTTP/1.1");
        c.line(2, "< 401");
        c.line(3, "< Content-Length: 0");
        c.flush();
        let e = &c.take()[0];
        assert!(e.is_tunnel());
        assert_eq!(e.status.as_ref().unwrap().0, 401);
        assert!(format!("{:?}", e.item()).contains("rejected the cookie"));
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact_text("Cookie: DSID=0123; DSFirstAccess=1", false),
            "Cookie: DSID=<redacted>; DSFirstAccess=1"
        );
        assert_eq!(redact_text("DSID=0123", true), "DSID=0123");
        assert_eq!(redact_form("a=1&passwd=x", false), "a=1&passwd=<redacted>");
    }
}
