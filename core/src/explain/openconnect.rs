//! OpenConnect's log messages that matter for an oNCP (`--protocol=nc`)
//! session, as OpenConnect 9.01 prints them at `-vvv` (oncp.c, esp.c,
//! http.c, main.c, gnutls.c/openssl.c). Only the words are matched; what
//! they mean is decided in `verdict`.

use alloc::string::String;
use alloc::vec::Vec;

/// One recognised OpenConnect message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Msg {
    /// `OpenConnect version v9.01-3`
    Version(String),
    /// `Connected to 192.0.2.1:443`
    Connected(String),
    /// `Attempting to connect to server 192.0.2.1:443`: a connection starts.
    Attempting(String),
    /// `…; exiting.`: OpenConnect ends (the other exit messages).
    Exiting(String),
    /// `Read N bytes of SSL record`: the next `<` dump is that read.
    ReadSslRecord(u32),
    /// `Unexpected response of size N after hostname packet`
    UnexpectedSizeAfterHostname(u32),
    /// `Server response to hostname packet is error 0xNN`
    HostnameError(u8),
    /// `Invalid packet waiting for KMP 301`: a `<` dump of the record follows.
    InvalidWaiting301,
    /// `Failed to parse KMP header`
    BadKmpHeader,
    /// `Failed to parse KMP message`: a `<` dump of the message follows.
    BadKmpMessage,
    /// `Expected KMP message 301 from server but got N`
    Expected301(u32),
    /// `KMP message 301 from server too large (N bytes)`
    Kmp301TooLarge(u32),
    /// `Got KMP message 301 of length N`
    Got301Length(u32),
    /// `Read additional N bytes of KMP 301 message`
    ReadAdditional301(u32),
    /// `Record of additional N bytes too large; would make M`
    ContinuationTooLarge(u32, u32),
    /// `Failed to read continuation record length` / `… of length N`
    ContinuationFailed,
    /// `Got KMP message T of size N`
    GotKmp(u32, u32),
    /// `oNCP negotiation request outgoing:`: a `>` dump follows.
    NegotiationOutgoing,
    /// `Packet outgoing:`: a `>` dump follows.
    PacketOutgoing,
    /// `Unknown KMP message T of size N:`: a `<` dump follows.
    UnknownKmp(u32, u32),
    /// `Unknown TLV group G attr A len N: xx xx …`
    UnknownTlv {
        /// Group.
        group: u16,
        /// Attribute.
        attr: u16,
        /// Value length.
        len: u32,
        /// Its first (up to 16) bytes.
        bytes: Vec<u8>,
    },
    /// `Unexpected length N for TLV G/A`
    BadTlvLength(u32, u16, u16),
    /// `Received … ` configuration lines and the `ESP …:` ones: a name and
    /// the value as printed.
    Setting(&'static str, String),
    /// `ESP encryption type … key 0x…` (keys, redacted), `Parameters for
    /// incoming ESP: SPI 0x…`.
    EspKey(String),
    /// `Send ESP probes`
    EspProbes,
    /// `ESP session established with server`
    EspEstablished,
    /// `ESP detected dead peer`
    EspDeadPeer,
    /// `Unexpected N result from server`
    UnexpectedResult(u32),
    /// `Got HTTP response: HTTP/1.1 401 Unauthorized`
    HttpResponse(String),
    /// `Cookie was rejected by server; exiting.`
    CookieRejected,
    /// `Session terminated by server; exiting.`
    SessionTerminated,
    /// `Server terminated connection (session expired)` / `(reason: N)`
    ServerTerminated(Option<u8>),
    /// `Server sent zero-length oNCP record`
    ZeroLengthRecord,
    /// `Unrecognised data packet`
    BadDataPacket,
    /// Pulse: `Authentication failure: Account locked out` (and the other
    /// reasons), `Unhandled Pulse authentication packet, or authentication failure`.
    PulseAuthFailure(String),
    /// TLS failures: `SSL connection failure: …`, `Failed to open HTTPS
    /// connection`, GnuTLS/OpenSSL handshake errors.
    TlsFailure(String),
    /// `Configured as 10.0.0.2, with SSL connected and ESP in progress`
    Configured(String),
    /// `Logout successful.` / `Logout failed.`
    Logout(bool),
}

/// The message on line `t`, if it is one of OpenConnect's that matter.
pub(crate) fn parse(t: &str) -> Option<Msg> {
    use Msg::*;
    if let Some(r) = t.strip_prefix("OpenConnect version ") {
        return Some(Version(String::from(r)));
    }
    if let Some(r) = t.strip_prefix("Attempting to connect to server ") {
        return Some(Attempting(String::from(r)));
    }
    if let Some(r) = t.strip_prefix("Connected to ") {
        return Some(Connected(String::from(r)));
    }
    if let Some(n) = between(t, "Read ", " bytes of SSL record") {
        return Some(ReadSslRecord(n));
    }
    if let Some(n) = between(t, "Unexpected response of size ", " after hostname packet") {
        return Some(UnexpectedSizeAfterHostname(n));
    }
    if let Some(r) = t.strip_prefix("Server response to hostname packet is error 0x") {
        return u8::from_str_radix(r.trim(), 16).ok().map(HostnameError);
    }
    match t {
        "Invalid packet waiting for KMP 301" => return Some(InvalidWaiting301),
        "Failed to parse KMP header" => return Some(BadKmpHeader),
        "Failed to parse KMP message" => return Some(BadKmpMessage),
        "oNCP negotiation request outgoing:" => return Some(NegotiationOutgoing),
        "Packet outgoing:" => return Some(PacketOutgoing),
        "Send ESP probes" | "Send ESP probes for DPD" => return Some(EspProbes),
        "ESP session established with server" => return Some(EspEstablished),
        "ESP detected dead peer" => return Some(EspDeadPeer),
        "Cookie was rejected by server; exiting." => return Some(CookieRejected),
        "Session terminated by server; exiting." => return Some(SessionTerminated),
        "Server terminated connection (session expired)" => {
            return Some(ServerTerminated(Some(1)));
        }
        "Server sent zero-length oNCP record" => return Some(ZeroLengthRecord),
        "Unrecognised data packet" => return Some(BadDataPacket),
        "Logout successful." => return Some(Logout(true)),
        "Logout failed." => return Some(Logout(false)),
        "Failed to read continuation record length" => return Some(ContinuationFailed),
        _ => {}
    }
    if t.starts_with("Failed to read continuation record of length ") {
        return Some(ContinuationFailed);
    }
    if let Some(n) = between(t, "Server terminated connection (reason: ", ")") {
        return Some(ServerTerminated(u8::try_from(n).ok()));
    }
    if let Some(n) = between(t, "Expected KMP message 301 from server but got ", "") {
        return Some(Expected301(n));
    }
    if let Some(n) = between(t, "KMP message 301 from server too large (", " bytes)") {
        return Some(Kmp301TooLarge(n));
    }
    if let Some(n) = between(t, "Got KMP message 301 of length ", "") {
        return Some(Got301Length(n));
    }
    if let Some(n) = between(t, "Read additional ", " bytes of KMP 301 message") {
        return Some(ReadAdditional301(n));
    }
    if let Some(r) = t.strip_prefix("Record of additional ") {
        let (a, rest) = r.split_once(" bytes too large; would make ")?;
        return Some(ContinuationTooLarge(a.parse().ok()?, rest.parse().ok()?));
    }
    if let Some(r) = t.strip_prefix("Got KMP message ") {
        let (k, n) = r.split_once(" of size ")?;
        return Some(GotKmp(k.parse().ok()?, n.parse().ok()?));
    }
    if let Some(r) = t.strip_prefix("Unknown KMP message ") {
        let (k, n) = r.split_once(" of size ")?;
        return Some(UnknownKmp(
            k.parse().ok()?,
            n.trim_end_matches(':').parse().ok()?,
        ));
    }
    if let Some(r) = t.strip_prefix("Unknown TLV group ") {
        return unknown_tlv(r);
    }
    if let Some(r) = t.strip_prefix("Unexpected length ") {
        let (n, tlv) = r.split_once(" for TLV ")?;
        let (g, a) = tlv.split_once('/')?;
        return Some(BadTlvLength(
            n.parse().ok()?,
            g.parse().ok()?,
            a.parse().ok()?,
        ));
    }
    if let Some(n) = between(t, "Unexpected ", " result from server") {
        return Some(UnexpectedResult(n));
    }
    if let Some(r) = t.strip_prefix("Authentication failure: ") {
        return Some(PulseAuthFailure(String::from(super::lines::cut(r, 200))));
    }
    if t == "Unhandled Pulse authentication packet, or authentication failure" {
        return Some(PulseAuthFailure(String::from(
            "not given (unhandled authentication packet)",
        )));
    }
    if let Some(r) = t.strip_prefix("Got HTTP response: ") {
        return Some(HttpResponse(String::from(r)));
    }
    if let Some(r) = t.strip_prefix("Configured as ") {
        return Some(Configured(String::from(r)));
    }
    if t.starts_with("ESP encryption type ")
        || t.starts_with("ESP authentication type ")
        || t.starts_with("Parameters for ")
    {
        return Some(EspKey(String::from(t)));
    }
    if let Some(m) = setting(t) {
        return Some(m);
    }
    if let Some(r) = tls_failure(t) {
        return Some(TlsFailure(String::from(r)));
    }
    t.strip_suffix("; exiting.")
        .map(|r| Exiting(String::from(r)))
}

/// The number between `pre` and `post` (`post` empty: to the end).
fn between(t: &str, pre: &str, post: &str) -> Option<u32> {
    let r = t.strip_prefix(pre)?;
    let r = if post.is_empty() {
        r
    } else {
        r.strip_suffix(post)?
    };
    r.trim().parse().ok()
}

/// `3 attr 2 len 4: 0a 00 00 01` (up to 16 bytes, `...` after them).
fn unknown_tlv(r: &str) -> Option<Msg> {
    let (g, r) = r.split_once(" attr ")?;
    let (a, r) = r.split_once(" len ")?;
    let (n, hex) = r.split_once(':')?;
    let mut bytes = Vec::new();
    for tok in hex.trim_end_matches("...").split_whitespace() {
        if bytes.len() >= 16 {
            break;
        }
        bytes.push(u8::from_str_radix(tok, 16).ok()?);
    }
    Some(Msg::UnknownTlv {
        group: g.parse().ok()?,
        attr: a.parse().ok()?,
        len: n.trim().parse().ok()?,
        bytes,
    })
}

/// The configuration and ESP parameter lines of oncp.c's `process_attr`.
fn setting(t: &str) -> Option<Msg> {
    const SETTINGS: [(&str, &str); 17] = [
        ("Received internal IP address ", "1/1 address"),
        ("Received netmask ", "1/2 netmask"),
        ("Received internal gateway address ", "1/3 internal gateway"),
        ("Received DNS server ", "2/1 DNS server"),
        ("Received DNS search domain ", "2/2 search domain"),
        ("Received split include route ", "3/3 split include"),
        ("Received split exclude route ", "3/4 split exclude"),
        ("Received WINS server ", "4/1 WINS server"),
        ("Received MTU ", "6/2 MTU"),
        ("ESP encryption: ", "8/1 ESP cipher"),
        ("ESP HMAC: ", "8/2 ESP HMAC"),
        ("ESP compression: ", "8/3 compression"),
        ("ESP port: ", "8/4 ESP port"),
        ("ESP key lifetime: ", "8/5-6 key lifetime"),
        ("ESP to SSL fallback: ", "8/9 ESP to SSL fallback"),
        ("ESP replay protection: ", "8/10 replay protection"),
        ("ESP SPI (outbound): ", "7/1 SPI (outbound)"),
    ];
    for (pre, name) in SETTINGS {
        if let Some(r) = t.strip_prefix(pre) {
            let v = r.strip_suffix(" from server").unwrap_or(r);
            return Some(Msg::Setting(name, String::from(v)));
        }
    }
    if let Some(n) = t.strip_suffix(" bytes of ESP secrets") {
        return Some(Msg::Setting("7/2 ESP secrets", alloc::format!("{n} bytes")));
    }
    None
}

/// TLS handshake failures as OpenConnect prints them (its GnuTLS and
/// OpenSSL builds).
fn tls_failure(t: &str) -> Option<&str> {
    const MARKERS: [&str; 8] = [
        "SSL connection failure",
        "Failed to open HTTPS connection to",
        "SSL handshake failed",
        "Failed to establish TLS",
        "GnuTLS error",
        "handshake failure",
        "unsupported protocol",
        "no shared cipher",
    ];
    MARKERS.iter().any(|m| t.contains(m)).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Msg::*;

    #[test]
    fn messages() {
        let cases: [(&str, Msg); 14] = [
            ("Read 3 bytes of SSL record", ReadSslRecord(3)),
            (
                "Unexpected response of size 3 after hostname packet",
                UnexpectedSizeAfterHostname(3),
            ),
            (
                "Server response to hostname packet is error 0x08",
                HostnameError(8),
            ),
            ("Got KMP message 301 of size 213", GotKmp(301, 213)),
            ("Got KMP message 301 of length 213", Got301Length(213)),
            (
                "Unknown TLV group 3 attr 2 len 4: 0a 00 00 01",
                UnknownTlv {
                    group: 3,
                    attr: 2,
                    len: 4,
                    bytes: alloc::vec![10, 0, 0, 1],
                },
            ),
            (
                "Record of additional 100 bytes too large; would make 400",
                ContinuationTooLarge(100, 400),
            ),
            ("Unexpected 401 result from server", UnexpectedResult(401)),
            (
                "Received split include route 0.0.0.0/0.0.0.0",
                Setting("3/3 split include", String::from("0.0.0.0/0.0.0.0")),
            ),
            (
                "Received MTU 1400 from server",
                Setting("6/2 MTU", String::from("1400")),
            ),
            (
                "Server terminated connection (reason: 8)",
                ServerTerminated(Some(8)),
            ),
            ("Unknown KMP message 305 of size 12:", UnknownKmp(305, 12)),
            (
                "Got HTTP response: HTTP/1.1 401 Unauthorized",
                HttpResponse(String::from("HTTP/1.1 401 Unauthorized")),
            ),
            ("Send ESP probes", EspProbes),
        ];
        for (t, m) in cases {
            assert_eq!(parse(t), Some(m), "{t}");
        }
        let long_tlv =
            "Unknown TLV group 9 attr 1 len 40: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f...";
        match parse(long_tlv) {
            Some(UnknownTlv { len, bytes, .. }) => assert_eq!((len, bytes.len()), (40, 16)),
            other => panic!("{other:?}"),
        }
        for not in [
            "Read x bytes of SSL record",
            "Unknown TLV group x attr",
            "Got KMP message",
            "Server response to hostname packet is error 0xzz",
            "hello",
        ] {
            assert_eq!(parse(not), None, "{not}");
        }
    }
}
