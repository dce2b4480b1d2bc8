//! The login's cookie jar, kept the way OpenConnect keeps it (auth.md
//! §1.3): one flat list of `name=value` for the gateway host; attributes
//! ignored; an empty value deletes; a new value replaces in place; the jar
//! is emptied when a redirect goes to another host or port.

use zeroize::Zeroize;

/// Cookies in the order they were first set. Values are zeroed when they
/// are replaced or deleted and when the jar is dropped.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CookieJar {
    cookies: Vec<(String, String)>,
}

impl Drop for CookieJar {
    fn drop(&mut self) {
        self.clear();
    }
}

impl std::fmt::Debug for CookieJar {
    /// Names only: values (the DSID) are secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.cookies.iter().map(|(n, _)| n))
            .finish()
    }
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        CookieJar::default()
    }

    /// Applies one `Set-Cookie` header value.
    pub fn set_cookie_header(&mut self, header: &str) {
        let pair = header.split(';').next().unwrap_or("");
        let Some((name, value)) = pair.split_once('=') else {
            return;
        };
        let name = name.trim();
        if name.is_empty() {
            return;
        }
        self.set(name, value.trim());
    }

    /// Sets (or, with an empty value, deletes) a cookie.
    pub fn set(&mut self, name: &str, value: &str) {
        if value.is_empty() {
            for (n, v) in self.cookies.iter_mut() {
                if n == name {
                    v.zeroize();
                }
            }
            self.cookies.retain(|(n, _)| n != name);
        } else if let Some(slot) = self.cookies.iter_mut().find(|(n, _)| n == name) {
            slot.1.zeroize();
            slot.1 = value.to_string();
        } else {
            self.cookies.push((name.to_string(), value.to_string()));
        }
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Empties the jar (values zeroed).
    pub fn clear(&mut self) {
        for (_, v) in self.cookies.iter_mut() {
            v.zeroize();
        }
        self.cookies.clear();
    }

    /// Whether the jar is empty.
    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    /// The `Cookie` request header value (`a=1; b=2`), or `None` when empty.
    pub fn header(&self) -> Option<String> {
        (!self.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// OpenConnect's printed cookie string (auth.md §8):
    /// `DSID=…[; DSFirst=…][; DSLast=…][; DSSignInUrl=…]`, or `None`
    /// without a DSID.
    pub fn session_cookie(&self) -> Option<String> {
        let dsid = self.get("DSID").filter(|d| !d.is_empty())?;
        let mut s = format!("DSID={dsid}");
        for (from, to) in [
            ("DSFirstAccess", "DSFirst"),
            ("DSLastAccess", "DSLast"),
            ("DSSignInUrl", "DSSignInUrl"),
        ] {
            if let Some(v) = self.get(from) {
                s.push_str(&format!("; {to}={v}"));
            }
        }
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_jar_rules() {
        let mut j = CookieJar::new();
        assert_eq!(j.header(), None);
        j.set_cookie_header("DSSIGNIN=url_default; path=/; Secure");
        j.set_cookie_header("DSASSERTREF=x; path=/; expires=Thu, 01 Jan 1970 22:00:00 GMT");
        j.set_cookie_header("DSIVS=; path=/");
        j.set_cookie_header("garbage");
        assert_eq!(j.header().unwrap(), "DSSIGNIN=url_default; DSASSERTREF=x");
        j.set_cookie_header("DSSIGNIN=url_6");
        j.set_cookie_header("DSID=abc; path=/");
        j.set_cookie_header("DSFirstAccess=17");
        assert_eq!(
            j.header().unwrap(),
            "DSSIGNIN=url_6; DSASSERTREF=x; DSID=abc; DSFirstAccess=17"
        );
        assert_eq!(j.session_cookie().unwrap(), "DSID=abc; DSFirst=17");
        j.set_cookie_header("DSASSERTREF=");
        assert_eq!(j.get("DSASSERTREF"), None);
        assert!(!format!("{j:?}").contains("abc"));
        j.clear();
        assert_eq!(j.session_cookie(), None);
    }
}
