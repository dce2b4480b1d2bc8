//! The session cookie given on the command line or standard input.
//!
//! The string rules (split at `;`, a piece without `=` is the DSID) are
//! core's [`oncp_core::oncp::wire::http::normalize_cookie`]; this module only
//! obtains the string.

use std::io::BufRead;

use zeroize::Zeroizing;

/// Errors obtaining the cookie.
#[derive(Debug, thiserror::Error)]
pub enum CookieError {
    /// Neither `-C` nor `--cookie-on-stdin` was given.
    #[error("no cookie: give -C/--cookie or --cookie-on-stdin")]
    Missing,
    /// The cookie is empty after normalisation.
    #[error("the cookie is empty")]
    Empty,
    /// Standard input could not be read.
    #[error("reading the cookie from standard input: {0}")]
    Stdin(#[from] std::io::Error),
}

/// Returns the `Cookie` header value from `-C` or, with `from_stdin`, the
/// first line of `stdin`, normalised (see
/// [`oncp_core::oncp::wire::http::normalize_cookie`]) and wiped from memory when
/// dropped.
pub fn obtain(
    arg: Option<&str>,
    from_stdin: bool,
    stdin: &mut dyn BufRead,
) -> Result<Zeroizing<String>, CookieError> {
    // The raw string is zeroed once normalised; the caller holds the
    // normalised copy for the session (it is needed to reconnect).
    let raw = match (arg, from_stdin) {
        (Some(c), _) => Zeroizing::new(c.to_string()),
        (None, true) => {
            let mut line = Zeroizing::new(String::new());
            stdin.read_line(&mut line)?;
            line
        }
        (None, false) => return Err(CookieError::Missing),
    };
    let cookie = oncp_core::oncp::wire::http::normalize_cookie(raw.trim_end_matches(['\r', '\n']));
    if cookie.is_empty() {
        return Err(CookieError::Empty);
    }
    Ok(Zeroizing::new(cookie))
}

/// The DSID's value in a normalised `Cookie` header value (see
/// [`obtain`]): what Pulse IF-T takes as its cookie (spec pulse.md §4.10).
/// `None` when the string has no `DSID` or it is empty.
pub fn dsid_value(cookie: &str) -> Option<&str> {
    cookie
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("DSID="))
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsid_value_is_found_among_other_cookies() {
        assert_eq!(dsid_value("DSID=abc"), Some("abc"));
        assert_eq!(dsid_value("DSFirstAccess=1; DSID=abc; x=y"), Some("abc"));
        assert_eq!(dsid_value("DSFirstAccess=1"), None);
        assert_eq!(dsid_value("DSID="), None);
        assert_eq!(dsid_value("XDSID=abc"), None);
    }

    #[test]
    fn bare_value_becomes_dsid_from_either_source() {
        let mut none: &[u8] = b"";
        assert_eq!(
            obtain(Some("abc"), false, &mut none).unwrap().as_str(),
            "DSID=abc"
        );
        let mut input: &[u8] = b"DSID=abc; DSFirstAccess=1\nignored\n";
        assert_eq!(
            obtain(None, true, &mut input).unwrap().as_str(),
            "DSID=abc; DSFirstAccess=1"
        );
    }

    #[test]
    fn missing_or_empty_cookie_is_an_error() {
        let mut none: &[u8] = b"";
        assert!(matches!(
            obtain(None, false, &mut none),
            Err(CookieError::Missing)
        ));
        let mut blank: &[u8] = b"\n";
        assert!(matches!(
            obtain(None, true, &mut blank),
            Err(CookieError::Empty)
        ));
        assert!(matches!(
            obtain(Some(" ; "), false, &mut none),
            Err(CookieError::Empty)
        ));
    }
}
