//! What the gateway's two ways of signing in (the forms of [`super::login`]
//! and SAML of [`super::saml`]) share: the portal's paths and name, HTML
//! escaping, cookies, and the redirect that hands a new session's `DSID`
//! to the browser.

use super::Shared;
use super::http::Response;

/// The default sign-in page.
pub const WELCOME_PATH: &str = "/dana-na/auth/url_default/welcome.cgi";
/// Where the sign-in forms post.
pub const LOGIN_PATH: &str = "/dana-na/auth/url_default/login.cgi";
/// The landing page after sign-in.
pub const STARTER_PATH: &str = "/dana/home/starter0.cgi";
/// The name shown in page titles.
pub const PORTAL_NAME: &str = "oncp gateway";

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Adds a `Set-Cookie` for `name=value` (path `/`, `Secure; HttpOnly`).
pub fn set_cookie(r: &mut Response, name: &str, value: &str) {
    r.headers.push((
        "Set-Cookie".into(),
        format!("{name}={value}; path=/; Secure; HttpOnly"),
    ));
}

/// Adds a `Set-Cookie` that removes cookie `name`.
pub fn clear_cookie(r: &mut Response, name: &str) {
    r.headers.push((
        "Set-Cookie".into(),
        format!("{name}=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT"),
    ));
}

/// The redirect to the landing page that hands a new session's `DSID`
/// to the browser.
pub fn session_response(dsid: &str) -> Response {
    let mut r = Response::redirect(STARTER_PATH);
    set_cookie(&mut r, "DSID", dsid);
    set_cookie(&mut r, "DSFirstAccess", &now_secs().to_string());
    set_cookie(&mut r, "DSLastAccess", &now_secs().to_string());
    r
}

/// Issues a DSID for `user` (signed in elsewhere, e.g. through SAML) and
/// redirects to the landing page with it.
pub fn open_session(shared: &Shared, user: &str) -> Response {
    match shared
        .cookies
        .issue(user, &mut crate::runtime::os_rng::OsRng)
    {
        Some(dsid) => session_response(&dsid),
        None => Response::new(
            200,
            "<html><body>No address left in the pool.</body></html>",
        ),
    }
}
