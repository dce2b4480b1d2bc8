//! The gateway's HTTP side: reading request heads and bodies (bounded),
//! and the minimal Juniper-style sign-in pages (form `frmLogin` posted to
//! `login.cgi`, DSID cookie on success, `logout.cgi`).

use std::sync::Arc;

use oncp_core::wire::http::{LOGOUT_PATH, MAX_HEAD_LEN, RequestHead, head_len};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::Shared;

/// Largest request body accepted (login forms are small).
pub const MAX_BODY: usize = 64 * 1024;

/// The default sign-in page.
pub const WELCOME_PATH: &str = "/dana-na/auth/url_default/welcome.cgi";
/// Where the sign-in form posts.
pub const LOGIN_PATH: &str = "/dana-na/auth/url_default/login.cgi";
/// The landing page after sign-in.
pub const STARTER_PATH: &str = "/dana/home/starter0.cgi";

/// A request read from the connection: its head, the raw head bytes and
/// the body.
#[derive(Debug)]
pub struct Request {
    /// Parsed head.
    pub head: RequestHead,
    /// The head bytes as received (fed to the tunnel session).
    pub raw_head: Vec<u8>,
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
    let raw_head = buf[..n].to_vec();
    let mut rest = buf[n..].to_vec();
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
    Ok(Some(Request {
        head,
        raw_head,
        body,
        rest,
    }))
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
}

impl Response {
    fn new(status: u16, body: impl Into<String>) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    fn redirect(to: &str) -> Self {
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
            404 => "Not Found",
            _ => "Status",
        };
        let mut s = format!("HTTP/1.1 {} {reason}\r\n", self.status);
        for (k, v) in &self.headers {
            s.push_str(&format!("{k}: {v}\r\n"));
        }
        s.push_str("Content-Type: text/html; charset=utf-8\r\n");
        s.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        s.push_str(&self.body);
        s.into_bytes()
    }
}

fn login_page(failed: bool) -> String {
    let msg = if failed {
        "<p class=\"error\">Invalid username or password. Please re-enter your user information.</p>"
    } else {
        ""
    };
    format!(
        "<html><head><title>oncp gateway - Sign In</title></head><body>\n{msg}\n\
         <form name=\"frmLogin\" method=\"POST\" action=\"{LOGIN_PATH}\" autocomplete=\"off\">\n\
         <input type=\"hidden\" name=\"tz_offset\" value=\"0\">\n\
         <table><tr><td>Username</td><td><input type=\"text\" name=\"username\" value=\"\"></td></tr>\n\
         <tr><td>Password</td><td><input type=\"password\" name=\"password\" value=\"\"></td></tr></table>\n\
         <input type=\"hidden\" name=\"realm\" value=\"Users\">\n\
         <input type=\"submit\" name=\"btnSubmit\" value=\"Sign In\">\n\
         </form></body></html>\n"
    )
}

/// Whether `user`/`pass` is one of the configured users (the password
/// compared in constant time).
fn user_matches(users: &[(String, String)], user: &str, pass: &str) -> bool {
    use subtle::ConstantTimeEq;
    users
        .iter()
        .filter(|(u, _)| u == user)
        .any(|(_, p)| bool::from(p.as_bytes().ct_eq(pass.as_bytes())))
}

/// Checks the sign-in form `fields` (urlencoded) and issues a DSID.
fn sign_in(fields: &[u8], shared: &Arc<Shared>) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(fields).into_owned().collect();
    let field = |n: &str| form.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let (Some(user), Some(pass)) = (field("username"), field("password")) else {
        return Response::new(200, login_page(false));
    };
    if !user_matches(&shared.config.users, user, pass) {
        tracing::info!("sign-in failed for user {user:?}");
        return Response::redirect(&format!("{WELCOME_PATH}?p=failed"));
    }
    let mut rng = crate::client::os_rng::OsRng;
    let Some(dsid) = shared.cookies.issue(user, &mut rng) else {
        return Response::new(
            200,
            "<html><body>No address left in the pool.</body></html>",
        );
    };
    tracing::info!("user {user:?} signed in");
    let mut r = Response::redirect(STARTER_PATH);
    r.headers
        .push(("Set-Cookie".into(), format!("DSID={dsid}; path=/; Secure")));
    r.headers.push((
        "Set-Cookie".into(),
        format!(
            "DSFirstAccess={}; path=/; Secure",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        ),
    ));
    r
}

/// Answers a sign-in, landing or logout request.
pub fn handle(req: &Request, shared: &Arc<Shared>) -> Response {
    let path = req.head.target.split('?').next().unwrap_or("");
    match (req.head.method.as_str(), path) {
        ("GET", "/") => Response::redirect(WELCOME_PATH),
        ("GET", WELCOME_PATH) => {
            Response::new(200, login_page(req.head.target.contains("p=failed")))
        }
        ("GET", LOGIN_PATH) | ("POST", LOGIN_PATH) => {
            // The form's fields: in the body of a POST, in the query of a GET.
            let fields = if req.head.method == "POST" {
                &req.body[..]
            } else {
                req.head
                    .target
                    .split_once('?')
                    .map_or(&b""[..], |(_, q)| q.as_bytes())
            };
            sign_in(fields, shared)
        }
        ("GET", STARTER_PATH) | ("GET", "/dana/home/index.cgi") => Response::new(
            200,
            "<html><body>Signed in. Start Network Connect.</body></html>",
        ),
        ("GET", LOGOUT_PATH) => {
            if let Some(d) = req.head.cookie("DSID") {
                shared.cookies.revoke(d);
            }
            let mut r = Response::new(200, "<html><body>You have been signed out.</body></html>");
            r.headers.push((
                "Set-Cookie".into(),
                "DSID=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT".into(),
            ));
            r
        }
        _ => Response::new(404, "<html><body>Not found.</body></html>"),
    }
}
