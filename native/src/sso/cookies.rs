//! Picking the gateway's session out of the browser's cookie store: the
//! `DSID` (and its companions) of the gateway's host, HttpOnly included,
//! never one that was already there before the sign-in (a kept profile
//! may hold an old session).

use crate::login::jar::CookieJar;

/// One cookie as the browser reports it.
#[derive(Clone, PartialEq, Eq)]
pub struct BrowserCookie {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
    /// Domain (`host`, or `.domain` for domain cookies).
    pub domain: String,
}

impl std::fmt::Debug for BrowserCookie {
    /// Name and domain only: values are secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.name, self.domain)
    }
}

/// Whether a cookie of `domain` is sent to `host`.
pub fn domain_matches(domain: &str, host: &str) -> bool {
    let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
    let domain = domain.trim_matches(['[', ']']).to_ascii_lowercase();
    match domain.strip_prefix('.') {
        Some(d) => host == d || host.ends_with(&format!(".{d}")),
        None => host == domain,
    }
}

/// The `DSID` values for `host` in `cookies`.
pub fn dsids<'a>(cookies: &'a [BrowserCookie], host: &'a str) -> impl Iterator<Item = &'a str> {
    cookies
        .iter()
        .filter(move |c| c.name == "DSID" && !c.value.is_empty() && domain_matches(&c.domain, host))
        .map(|c| c.value.as_str())
}

/// The gateway's cookies as a jar once it holds a `DSID` that is not one
/// of `old`; `None` until then.
pub fn session_jar(cookies: &[BrowserCookie], host: &str, old: &[String]) -> Option<CookieJar> {
    let fresh = dsids(cookies, host).find(|d| !old.iter().any(|o| o == d))?;
    let mut jar = CookieJar::new();
    for c in cookies
        .iter()
        .filter(|c| c.name != "DSID" && domain_matches(&c.domain, host))
    {
        jar.set(&c.name, &c.value);
    }
    jar.set("DSID", fresh);
    Some(jar)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(name: &str, value: &str, domain: &str) -> BrowserCookie {
        BrowserCookie {
            name: name.into(),
            value: value.into(),
            domain: domain.into(),
        }
    }

    #[test]
    fn domains() {
        assert!(domain_matches("vpn.example.com", "VPN.example.com"));
        assert!(domain_matches(".example.com", "vpn.example.com"));
        assert!(domain_matches(".example.com", "example.com"));
        assert!(!domain_matches(".example.com", "badexample.com"));
        assert!(!domain_matches("idp.example.com", "vpn.example.com"));
        assert!(domain_matches("::1", "[::1]"));
        assert!(domain_matches("10.0.0.1", "10.0.0.1"));
    }

    #[test]
    fn a_new_dsid_of_the_gateway_host_only() {
        let mut cookies = vec![
            c("DSID", "idp-side", "idp.example.net"),
            c("MSISAuth", "x", "idp.example.net"),
            c("DSID", "old", "vpn.example.com"),
        ];
        let old = vec!["old".to_string()];
        assert!(session_jar(&cookies, "vpn.example.com", &old).is_none());
        cookies[2].value = "new".into();
        cookies.push(c("DSFirstAccess", "17", "vpn.example.com"));
        let jar = session_jar(&cookies, "vpn.example.com", &old).unwrap();
        assert_eq!(jar.session_cookie().unwrap(), "DSID=new; DSFirst=17");
        assert_eq!(jar.header().unwrap(), "DSFirstAccess=17; DSID=new");
        assert!(!format!("{cookies:?}").contains("new"));
    }
}
