//! The gateway's HTTP side: reading request heads and bodies (bounded)
//! and writing responses. Who answers them is [`super::web`].

use oncp_core::oncp::wire::http::{MAX_HEAD_LEN, RequestHead, head_len};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Largest request body accepted (login forms are small).
pub const MAX_BODY: usize = 64 * 1024;

/// A request read from the connection: its head, the raw head bytes and
/// the body.
#[derive(Debug)]
pub struct Request {
    /// Parsed head.
    pub head: RequestHead,
    /// The body (per Content-Length).
    pub body: Vec<u8>,
    /// Bytes read past the head and body (the start of the oNCP stream).
    pub rest: Vec<u8>,
}

/// Reads one request; `Ok(None)` on a clean EOF before any byte.
pub async fn read_request<R: AsyncRead + Unpin>(
    rd: &mut R,
    mut buf: Vec<u8>,
) -> anyhow::Result<Option<Request>> {
    let mut chunk = [0u8; 4096];
    let n = loop {
        if let Some(n) = head_len(&buf)? {
            break n;
        }
        let r = rd.read(&mut chunk).await?;
        if r == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            anyhow::bail!("connection closed inside a request head");
        }
        buf.extend_from_slice(&chunk[..r]);
        if buf.len() > MAX_HEAD_LEN + chunk.len() {
            anyhow::bail!("request head too long");
        }
    };
    let head = RequestHead::parse(&buf[..n])?;
    let mut rest = buf[n..].to_vec();
    // The head holds the DSID: parsed once above, its bytes wiped now.
    zeroize::Zeroize::zeroize(&mut buf);
    // Sign-in forms are small and sent with a length; a chunked body
    // would be misread as the next request.
    if head.header("transfer-encoding").is_some() {
        anyhow::bail!("request bodies with Transfer-Encoding are not accepted");
    }
    // The tunnel request announces 256 body bytes that never come.
    let body_len = if head.is_tunnel_request() {
        0
    } else {
        head.header("content-length")
            .map(|v| v.trim().parse::<usize>())
            .transpose()?
            .unwrap_or(0)
    };
    if body_len > MAX_BODY {
        anyhow::bail!("request body of {body_len} bytes is too large");
    }
    while rest.len() < body_len {
        let r = rd.read(&mut chunk).await?;
        if r == 0 {
            anyhow::bail!("connection closed inside a request body");
        }
        rest.extend_from_slice(&chunk[..r]);
    }
    let body = rest.drain(..body_len).collect();
    zeroize::Zeroize::zeroize(&mut chunk);
    Ok(Some(Request { head, body, rest }))
}

/// An HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: String,
    /// `Content-Type`.
    pub content_type: &'static str,
}

impl Response {
    /// A response with this status and body.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
            content_type: "text/html; charset=utf-8",
        }
    }

    /// A JSON response (the mock IdP's answers to its page's script).
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Response {
            content_type: "application/json",
            ..Response::new(status, body)
        }
    }

    /// A 302 redirect to `to`.
    pub fn redirect(to: &str) -> Self {
        let mut r = Response::new(302, "");
        r.headers.push(("Location".into(), to.into()));
        r
    }

    /// The response bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let reason = match self.status {
            200 => "OK",
            302 => "Found",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            _ => "Status",
        };
        let mut s = format!("HTTP/1.1 {} {reason}\r\n", self.status);
        for (k, v) in &self.headers {
            s.push_str(&format!("{k}: {v}\r\n"));
        }
        s.push_str(&format!("Content-Type: {}\r\n", self.content_type));
        s.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        s.push_str(&self.body);
        s.into_bytes()
    }
}
