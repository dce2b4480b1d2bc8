//! oncp's own log messages (`oncp connect -v/-vv`, tracing's format) that
//! say how a session went: the driver's exit messages, ESP up and down,
//! TLS failures. oncp does not dump protocol bytes in its log; the HTTP
//! lines of its `--dump-http-traffic` are read by `http`.

use alloc::string::String;

/// One recognised oncp message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Msg {
    /// `connected to host:port` / `reconnected to …`
    Connected,
    /// `… rejected the cookie (HTTP 401)` / `cookie was rejected by server (HTTP 401)`
    CookieRejected(Option<u16>),
    /// `… answered with status 8 instead of 0 …`
    BadStatus(u8),
    /// `the gateway terminated the session (reason N)` / `session terminated by server (…)`
    Terminated(Option<u8>),
    /// `ESP session established; data now over ESP`
    EspUp,
    /// `ESP stopped (…); data now over TLS`
    EspDown,
    /// A TLS failure (handshake, alert, incompatibility).
    Tls(String),
    /// `unusable configuration from the gateway: …` / `protocol error …`
    Protocol(String),
}

/// The number after `pre` in `t` (up to the first non-digit).
fn number_after(t: &str, pre: &str) -> Option<u32> {
    let at = t.find(pre)? + pre.len();
    let digits: String = t[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The message on an oncp log line, if it is one that matters.
pub(crate) fn parse(t: &str) -> Option<Msg> {
    let lower = t.to_ascii_lowercase();
    if lower.contains("rejected the cookie") || lower.contains("cookie was rejected") {
        return Some(Msg::CookieRejected(
            number_after(t, "HTTP ").and_then(|n| u16::try_from(n).ok()),
        ));
    }
    if lower.contains("answered with status") {
        return number_after(t, "status ")
            .and_then(|n| u8::try_from(n).ok())
            .map(Msg::BadStatus);
    }
    if lower.contains("terminated the session") || lower.contains("session terminated by server") {
        return Some(Msg::Terminated(
            number_after(t, "reason ")
                .or_else(|| number_after(t, "TerminationReason("))
                .and_then(|n| u8::try_from(n).ok()),
        ));
    }
    if lower.starts_with("esp session established") {
        return Some(Msg::EspUp);
    }
    if lower.starts_with("esp stopped") {
        return Some(Msg::EspDown);
    }
    if lower.starts_with("connected to ") || lower.starts_with("reconnected to ") {
        return Some(Msg::Connected);
    }
    if lower.contains("handshake")
        || lower.contains("peer is incompatible")
        || lower.contains("received fatal alert")
        || lower.contains("protocol version")
    {
        return Some(Msg::Tls(String::from(super::lines::cut(t, 400))));
    }
    if lower.contains("unusable configuration") || lower.contains("protocol error from the gateway")
    {
        return Some(Msg::Protocol(String::from(super::lines::cut(t, 400))));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert_eq!(
            parse("cookie was rejected by server (HTTP 401); exiting"),
            Some(Msg::CookieRejected(Some(401)))
        );
        assert_eq!(
            parse(
                "connection failed: the gateway answered with status 8 instead of 0 (8: oNCP disabled)"
            ),
            Some(Msg::BadStatus(8))
        );
        assert_eq!(
            parse("session ended: the gateway terminated the session (reason 1); exiting"),
            Some(Msg::Terminated(Some(1)))
        );
        assert_eq!(
            parse("ESP session established; data now over ESP"),
            Some(Msg::EspUp)
        );
        assert!(matches!(
            parse(
                "connection failed: 127.0.0.1:4443: TLS handshake: peer is incompatible: no cipher suites in common"
            ),
            Some(Msg::Tls(_))
        ));
        assert_eq!(parse("TUN device tun0"), None);
    }
}
