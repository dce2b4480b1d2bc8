//! Preparing a pasted log's lines: line endings, terminal colours, and the
//! prefixes other tools put in front of a program's own output (syslog and
//! journal, OpenConnect's `--timestamp`, mail quoting, indentation). oncp's
//! own log lines (tracing's format) are recognised here too.

use alloc::borrow::Cow;
use alloc::string::String;

/// The level of one of oncp's log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OncpLevel {
    /// `ERROR`
    Error,
    /// `WARN`
    Warn,
    /// `INFO`
    Info,
    /// `DEBUG` or `TRACE`
    Debug,
}

/// One prepared line.
#[derive(Debug, Clone)]
pub(crate) struct Line<'a> {
    /// 1-based line number in the pasted text.
    pub no: usize,
    /// The text without prefixes or colours.
    pub text: Cow<'a, str>,
    /// Set when the line is one of oncp's own (tracing) log lines.
    pub oncp: Option<OncpLevel>,
}

/// Longest line looked at; the rest of a longer line is ignored (a log
/// line is short; the longest expected is a "hex stream" of one TLS
/// record copied from Wireshark).
pub(crate) const MAX_LINE: usize = 65536;

/// The lines of `log`, prepared.
pub(crate) fn lines(log: &str) -> impl Iterator<Item = Line<'_>> {
    log.lines().enumerate().map(|(i, raw)| prepare(i + 1, raw))
}

fn prepare(no: usize, raw: &str) -> Line<'_> {
    let raw = cut(raw, MAX_LINE);
    let text: Cow<'_, str> = if raw.contains('\x1b') {
        Cow::Owned(strip_ansi(raw))
    } else {
        Cow::Borrowed(raw)
    };
    let (text, oncp) = match text {
        Cow::Borrowed(t) => {
            let (t, level) = strip_prefixes(t);
            (Cow::Borrowed(t), level)
        }
        Cow::Owned(t) => {
            let (s, level) = strip_prefixes(&t);
            (Cow::Owned(String::from(s)), level)
        }
    };
    Line { no, text, oncp }
}

/// `s` cut to at most `max` bytes at a character boundary.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Removes ANSI escape sequences (`ESC [ … final`), as terminals colour
/// tracing's output.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        if chars.clone().next() == Some('[') {
            chars.next();
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

fn strip_prefixes(mut t: &str) -> (&str, Option<OncpLevel>) {
    t = t.trim_end();
    t = t.trim_start();
    if let Some(rest) = strip_syslog(t) {
        t = rest;
    }
    if let Some(rest) = strip_bracket_time(t) {
        t = rest;
    }
    if let Some((rest, level)) = strip_tracing(t) {
        return (rest, Some(level));
    }
    (strip_quote(t), None)
}

/// `Dec  7 01:02:03 host prog[123]: ` (syslog) or
/// `2026-12-07T01:02:03+0000 host prog[123]: ` (journalctl -o short-iso).
fn strip_syslog(t: &str) -> Option<&str> {
    let b = t.as_bytes();
    let after_time = if b.len() > 16
        && b[..3].iter().all(u8::is_ascii_alphabetic)
        && b[3] == b' '
        && t.get(7..15).is_some_and(is_clock)
    {
        16
    } else if b.len() > 20
        && t.get(..10).is_some_and(is_date)
        && b[10] == b'T'
        && t.get(11..19).is_some_and(is_clock)
    {
        t.get(19..)?.find(' ')? + 20
    } else {
        return None;
    };
    let rest = t.get(after_time..)?;
    let host_end = rest.find(' ')?;
    let prog = &rest[host_end + 1..];
    let colon = prog.find(": ")?;
    let name = &prog[..colon];
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.[]/".contains(&c));
    name_ok.then(|| &prog[colon + 2..])
}

/// `[2026-12-07 01:02:03] ` (OpenConnect's `--timestamp`).
fn strip_bracket_time(t: &str) -> Option<&str> {
    let rest = t.strip_prefix('[')?;
    let end = rest.find("] ")?;
    let inside = &rest[..end];
    let looks = end >= 8
        && inside
            .bytes()
            .all(|c| c.is_ascii_digit() || b"-:. T".contains(&c));
    looks.then(|| &rest[end + 2..])
}

/// tracing's format: `2026-12-07T01:02:03.123456Z  INFO target: message`
/// (the target only at `-vv`). Returns the message and the level.
fn strip_tracing(t: &str) -> Option<(&str, OncpLevel)> {
    if t.len() < 21 || !is_date(t.get(..10)?) || t.as_bytes()[10] != b'T' {
        return None;
    }
    let z = t.find('Z')?;
    let rest = t[z + 1..].trim_start();
    let (level, rest) = rest.split_once(' ')?;
    let level = match level {
        "ERROR" => OncpLevel::Error,
        "WARN" => OncpLevel::Warn,
        "INFO" => OncpLevel::Info,
        "DEBUG" | "TRACE" => OncpLevel::Debug,
        _ => return None,
    };
    let rest = rest.trim_start();
    // `oncp::client::driver: message` or `oncp_core::…: message`
    let rest = match rest.split_once(": ") {
        Some((target, msg))
            if (target.starts_with("oncp") || target.contains("::")) && !target.contains(' ') =>
        {
            msg
        }
        _ => rest,
    };
    Some((rest, level))
}

/// Mail quoting in front of one of OpenConnect's hex dump lines: `> < 0000:`
/// or `>> > 0000:` — only then, as `> ` is OpenConnect's own marker too.
fn strip_quote(mut t: &str) -> &str {
    loop {
        let Some(rest) = t.strip_prefix('>') else {
            return t;
        };
        let rest = rest.trim_start();
        let b = rest.as_bytes();
        let inner = b.len() > 7
            && (b[0] == b'<' || b[0] == b'>')
            && (b[1] == b' ' || b[1] == b'>' || b[1] == b'<');
        if !inner {
            return t;
        }
        t = rest;
    }
}

fn is_clock(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 8
        && b[2] == b':'
        && b[5] == b':'
        && [0, 1, 3, 4, 6, 7].iter().all(|&i| b[i].is_ascii_digit())
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| b[i].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn one(s: &str) -> (String, Option<OncpLevel>) {
        let l = lines(s).next().unwrap();
        (l.text.into_owned(), l.oncp)
    }

    #[test]
    fn prefixes_are_removed() {
        assert_eq!(
            one("Dec  7 01:02:03 laptop openconnect[4242]: Got HTTP response: HTTP/1.1 200 OK").0,
            "Got HTTP response: HTTP/1.1 200 OK"
        );
        assert_eq!(
            one("2026-12-07T01:02:03+0000 laptop openconnect[4242]: ESP session established with server").0,
            "ESP session established with server"
        );
        assert_eq!(
            one("[2026-12-07 01:02:03] Send ESP probes").0,
            "Send ESP probes"
        );
        assert_eq!(
            one("> < 0000:  01 00 00                                          |...|\r").0,
            "< 0000:  01 00 00                                          |...|"
        );
        // OpenConnect's own '>' marker stays.
        assert_eq!(
            one("> POST /dana/js HTTP/1.1").0,
            "> POST /dana/js HTTP/1.1"
        );
        assert_eq!(
            one("    0000  13 00 00 04").0,
            "0000  13 00 00 04",
            "indentation"
        );
    }

    #[test]
    fn oncp_lines_and_colours() {
        let (t, l) = one(
            "\x1b[2m2026-12-07T01:02:03.123456Z\x1b[0m \x1b[32m INFO\x1b[0m \x1b[2moncp::client::driver\x1b[0m\x1b[2m:\x1b[0m ESP session established; data now over ESP",
        );
        assert_eq!(t, "ESP session established; data now over ESP");
        assert_eq!(l, Some(OncpLevel::Info));
        let (t, l) =
            one("2026-12-07T01:02:03.1Z ERROR cookie was rejected by server (HTTP 401); exiting");
        assert_eq!(t, "cookie was rejected by server (HTTP 401); exiting");
        assert_eq!(l, Some(OncpLevel::Error));
    }

    #[test]
    fn long_and_odd_lines_are_safe() {
        let long: String = core::iter::repeat_n('é', MAX_LINE).collect();
        let l: Vec<_> = lines(&long).collect();
        assert!(l[0].text.len() <= MAX_LINE);
        for s in [
            "\x1b",
            "\x1b[",
            ">",
            "> <",
            "[",
            "[2026] ",
            "2026-12-07T",
            "Dec  7 01:02:03 ",
        ] {
            let _ = one(s);
        }
    }
}
