//! NSS key log (`SSLKEYLOGFILE`) parsing.
//!
//! Each line is `LABEL <client_random hex> <secret hex>` (or `RSA <first 8
//! bytes of the encrypted pre-master secret> <pre-master secret>`, which
//! decrypts RSA key exchange sessions without a `CLIENT_RANDOM` line); `#` starts a
//! comment, blank lines are skipped, CRLF is accepted. Bad lines are reported
//! with their line number and skipped; the rest of the text is still used.
//! A [`KeyLog`] grows incrementally: a key log file and any number of pcapng
//! decryption-secrets blocks can be added one after the other.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use thiserror::Error;

/// Longest key log line we look at; real lines are under 250 characters.
pub const MAX_KEYLOG_LINE: usize = 1024;

/// Which secret a key log line carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretLabel {
    /// `CLIENT_RANDOM`: the TLS ≤ 1.2 master secret (48 bytes).
    MasterSecret,
    /// `CLIENT_EARLY_TRAFFIC_SECRET` (TLS 1.3 0-RTT).
    ClientEarlyTraffic,
    /// `CLIENT_HANDSHAKE_TRAFFIC_SECRET` (TLS 1.3).
    ClientHandshakeTraffic,
    /// `SERVER_HANDSHAKE_TRAFFIC_SECRET` (TLS 1.3).
    ServerHandshakeTraffic,
    /// `CLIENT_TRAFFIC_SECRET_0` (TLS 1.3).
    ClientTraffic0,
    /// `SERVER_TRAFFIC_SECRET_0` (TLS 1.3).
    ServerTraffic0,
    /// `EARLY_EXPORTER_SECRET` (TLS 1.3; kept, not needed for decryption).
    EarlyExporter,
    /// `EXPORTER_SECRET` (TLS 1.3; kept, not needed for decryption).
    Exporter,
}

impl SecretLabel {
    /// The label as written in the key log.
    pub const fn as_str(self) -> &'static str {
        match self {
            SecretLabel::MasterSecret => "CLIENT_RANDOM",
            SecretLabel::ClientEarlyTraffic => "CLIENT_EARLY_TRAFFIC_SECRET",
            SecretLabel::ClientHandshakeTraffic => "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            SecretLabel::ServerHandshakeTraffic => "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            SecretLabel::ClientTraffic0 => "CLIENT_TRAFFIC_SECRET_0",
            SecretLabel::ServerTraffic0 => "SERVER_TRAFFIC_SECRET_0",
            SecretLabel::EarlyExporter => "EARLY_EXPORTER_SECRET",
            SecretLabel::Exporter => "EXPORTER_SECRET",
        }
    }

    fn parse(label: &str) -> Option<SecretLabel> {
        Some(match label {
            "CLIENT_RANDOM" => SecretLabel::MasterSecret,
            "CLIENT_EARLY_TRAFFIC_SECRET" => SecretLabel::ClientEarlyTraffic,
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => SecretLabel::ClientHandshakeTraffic,
            "SERVER_HANDSHAKE_TRAFFIC_SECRET" => SecretLabel::ServerHandshakeTraffic,
            "CLIENT_TRAFFIC_SECRET_0" => SecretLabel::ClientTraffic0,
            "SERVER_TRAFFIC_SECRET_0" => SecretLabel::ServerTraffic0,
            "EARLY_EXPORTER_SECRET" => SecretLabel::EarlyExporter,
            "EXPORTER_SECRET" => SecretLabel::Exporter,
            _ => return None,
        })
    }

    /// Secret lengths accepted for this label: the master secret is 48 bytes,
    /// TLS 1.3 secrets are a SHA-256 or SHA-384 output.
    const fn valid_len(self, len: usize) -> bool {
        match self {
            SecretLabel::MasterSecret => len == 48,
            _ => len == 32 || len == 48,
        }
    }
}

impl fmt::Display for SecretLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bad key log line (the line is skipped; parsing goes on).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyLogError {
    /// The label is not one of the NSS key log labels.
    #[error("key log line {line}: unknown label {label:?}")]
    UnknownLabel {
        /// 1-based line number within the text given to [`KeyLog::add_text`].
        line: usize,
        /// The label (at most 40 characters of it).
        label: String,
    },
    /// Fewer or more than three space-separated fields.
    #[error("key log line {line}: expected `LABEL <client_random hex> <secret hex>`")]
    FieldCount {
        /// 1-based line number.
        line: usize,
    },
    /// A field is not an even number of hex digits.
    #[error("key log line {line}: the {field} is not hex")]
    BadHex {
        /// 1-based line number.
        line: usize,
        /// `client random`, `secret` or `encrypted pre-master secret prefix`.
        field: &'static str,
    },
    /// A field has the wrong length.
    #[error("key log line {line}: the {field} is {len} bytes, expected {expected}")]
    BadLength {
        /// 1-based line number.
        line: usize,
        /// Which field.
        field: &'static str,
        /// Its decoded length.
        len: usize,
        /// What was expected.
        expected: &'static str,
    },
    /// The line is not UTF-8 text.
    #[error("key log line {line}: not UTF-8 text")]
    NotText {
        /// 1-based line number.
        line: usize,
    },
    /// The line is longer than [`MAX_KEYLOG_LINE`].
    #[error("key log line {line}: longer than {MAX_KEYLOG_LINE} characters")]
    TooLong {
        /// 1-based line number.
        line: usize,
    },
}

/// What [`KeyLog::add_text`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyLogReport {
    /// Secrets stored (a repeated line counts again).
    pub added: usize,
    /// Well-formed lines not needed for decryption: later TLS 1.3 traffic
    /// secret generations (OpenSSL logs `CLIENT_TRAFFIC_SECRET_N` after a
    /// KeyUpdate), which are derived from generation 0 instead.
    pub ignored: usize,
    /// Lines that were skipped, in order.
    pub errors: Vec<KeyLogError>,
}

/// What one key log line was.
enum Line {
    Added,
    Ignored,
    Blank,
}

/// A secret from the key log. Its `Debug` output never shows the bytes;
/// they are zeroed when it is dropped.
#[derive(Clone, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} secret bytes>", self.0.len())
    }
}

/// TLS secrets keyed by client random (and, for `RSA` lines, by the first 8
/// bytes of the encrypted pre-master secret).
#[derive(Debug, Clone, Default)]
pub struct KeyLog {
    secrets: BTreeMap<(SecretLabel, [u8; 32]), Secret>,
    rsa_premaster: BTreeMap<[u8; 8], Secret>,
    generation: u64,
}

impl KeyLog {
    /// An empty key log.
    pub fn new() -> Self {
        KeyLog::default()
    }

    /// Parses a whole key log text.
    pub fn from_text(text: &[u8]) -> (KeyLog, KeyLogReport) {
        let mut log = KeyLog::new();
        let report = log.add_text(text);
        (log, report)
    }

    /// Adds the lines of `text` (a key log file, or the payload of a pcapng
    /// decryption-secrets block). Each call must hold whole lines; a final line
    /// without a newline counts as a line. Later lines for the same client
    /// random and label replace earlier ones.
    pub fn add_text(&mut self, text: &[u8]) -> KeyLogReport {
        let mut report = KeyLogReport::default();
        for (index, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line = index + 1;
            match self.add_line(raw, line) {
                Ok(Line::Added) => report.added += 1,
                Ok(Line::Ignored) => report.ignored += 1,
                Ok(Line::Blank) => {}
                Err(e) => report.errors.push(e),
            }
        }
        report
    }

    /// Parses one line.
    fn add_line(&mut self, raw: &[u8], line: usize) -> Result<Line, KeyLogError> {
        if raw.len() > MAX_KEYLOG_LINE {
            return Err(KeyLogError::TooLong { line });
        }
        let text = core::str::from_utf8(raw).map_err(|_| KeyLogError::NotText { line })?;
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            return Ok(Line::Blank);
        }
        let mut fields = text.split_ascii_whitespace();
        let (Some(label), Some(id), Some(secret), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(KeyLogError::FieldCount { line });
        };
        let secret = decode_hex(secret).ok_or(KeyLogError::BadHex {
            line,
            field: "secret",
        })?;
        if label == "RSA" {
            let prefix = decode_hex(id).ok_or(KeyLogError::BadHex {
                line,
                field: "encrypted pre-master secret prefix",
            })?;
            let prefix: [u8; 8] =
                prefix
                    .as_slice()
                    .try_into()
                    .map_err(|_| KeyLogError::BadLength {
                        line,
                        field: "encrypted pre-master secret prefix",
                        len: prefix.len(),
                        expected: "8",
                    })?;
            if secret.len() != 48 {
                return Err(KeyLogError::BadLength {
                    line,
                    field: "pre-master secret",
                    len: secret.len(),
                    expected: "48",
                });
            }
            self.rsa_premaster.insert(prefix, Secret(secret));
            self.generation += 1;
            return Ok(Line::Added);
        }
        let later_generation = ["CLIENT_TRAFFIC_SECRET_", "SERVER_TRAFFIC_SECRET_"]
            .iter()
            .any(|p| label.starts_with(p) && !label.ends_with("_0"));
        if later_generation {
            return Ok(Line::Ignored);
        }
        let Some(kind) = SecretLabel::parse(label) else {
            return Err(KeyLogError::UnknownLabel {
                line,
                label: label.chars().take(40).collect(),
            });
        };
        let random = decode_hex(id).ok_or(KeyLogError::BadHex {
            line,
            field: "client random",
        })?;
        let random: [u8; 32] =
            random
                .as_slice()
                .try_into()
                .map_err(|_| KeyLogError::BadLength {
                    line,
                    field: "client random",
                    len: random.len(),
                    expected: "32",
                })?;
        if !kind.valid_len(secret.len()) {
            return Err(KeyLogError::BadLength {
                line,
                field: "secret",
                len: secret.len(),
                expected: if kind == SecretLabel::MasterSecret {
                    "48"
                } else {
                    "32 or 48"
                },
            });
        }
        self.insert(kind, random, secret);
        Ok(Line::Added)
    }

    /// Stores one secret.
    pub fn insert(&mut self, label: SecretLabel, client_random: [u8; 32], secret: Vec<u8>) {
        self.secrets.insert((label, client_random), Secret(secret));
        self.generation += 1;
    }

    /// The secret logged for `client_random` under `label`.
    pub fn secret(&self, label: SecretLabel, client_random: &[u8; 32]) -> Option<&[u8]> {
        self.secrets
            .get(&(label, *client_random))
            .map(|s| s.0.as_slice())
    }

    /// The pre-master secret of an `RSA` line, keyed by the first 8 bytes of
    /// the encrypted pre-master secret.
    pub fn rsa_premaster(&self, encrypted_prefix: &[u8; 8]) -> Option<&[u8]> {
        self.rsa_premaster
            .get(encrypted_prefix)
            .map(|s| s.0.as_slice())
    }

    /// Number of stored secrets.
    pub fn len(&self) -> usize {
        self.secrets.len() + self.rsa_premaster.len()
    }

    /// True when no secret is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Changes whenever a secret is added; lets a connection waiting for keys
    /// skip a retry when nothing new arrived.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// Bytes from an even number of hex digits (either case), or `None`.
pub(crate) fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some((hex_digit(pair[0])? << 4) | hex_digit(pair[1])?))
        .collect()
}

const fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    const CR: &str = "2085f8a4b1efa598259ef6e0b7c34f15cf3be6c0f2ef59757e7ce07280f720af";

    #[test]
    fn parses_labels_comments_blank_lines_and_crlf() {
        let text = format!(
            "# comment\r\n\r\nCLIENT_TRAFFIC_SECRET_N {CR} 00\nCLIENT_RANDOM {CR} {}\r\nSERVER_HANDSHAKE_TRAFFIC_SECRET {CR} {}\nEXPORTER_SECRET {CR} {}",
            "11".repeat(48),
            "22".repeat(32),
            "33".repeat(48)
        );
        let (log, report) = KeyLog::from_text(text.as_bytes());
        assert_eq!(report.errors, []);
        assert_eq!((report.added, report.ignored), (3, 1));
        let cr: [u8; 32] = decode_hex(CR).unwrap().try_into().unwrap();
        assert_eq!(
            log.secret(SecretLabel::MasterSecret, &cr),
            Some(&[0x11; 48][..])
        );
        assert_eq!(
            log.secret(SecretLabel::ServerHandshakeTraffic, &cr),
            Some(&[0x22; 32][..])
        );
        assert_eq!(log.secret(SecretLabel::ClientHandshakeTraffic, &cr), None);
        assert_eq!(log.len(), 3);
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let text = format!(
            "BOGUS {CR} 00\nCLIENT_RANDOM {CR}\nCLIENT_RANDOM zz {m}\nCLIENT_RANDOM 0011 {m}\n\
             CLIENT_RANDOM {CR} 0011\nCLIENT_RANDOM {CR} {m}\nRSA 0102030405060708 {m}\n",
            m = "ab".repeat(48)
        );
        let mut bytes = text.into_bytes();
        bytes.push(0xff);
        let mut log = KeyLog::new();
        let report = log.add_text(&bytes);
        assert_eq!(report.added, 2);
        let lines: Vec<usize> = report
            .errors
            .iter()
            .map(|e| match e {
                KeyLogError::UnknownLabel { line, .. }
                | KeyLogError::FieldCount { line }
                | KeyLogError::BadHex { line, .. }
                | KeyLogError::BadLength { line, .. }
                | KeyLogError::NotText { line }
                | KeyLogError::TooLong { line } => *line,
            })
            .collect();
        assert_eq!(lines, [1, 2, 3, 4, 5, 8]);
        assert!(
            matches!(report.errors[0], KeyLogError::UnknownLabel { ref label, .. } if label == "BOGUS")
        );
        assert!(matches!(report.errors[5], KeyLogError::NotText { .. }));
        assert_eq!(
            log.rsa_premaster(&[1, 2, 3, 4, 5, 6, 7, 8]),
            Some(&[0xab; 48][..])
        );
    }

    #[test]
    fn incremental_adds_bump_the_generation() {
        let mut log = KeyLog::new();
        let g0 = log.generation();
        log.add_text(format!("CLIENT_TRAFFIC_SECRET_0 {CR} {}\n", "44".repeat(32)).as_bytes());
        assert!(log.generation() > g0);
        let g1 = log.generation();
        log.add_text(b"# nothing new\n");
        assert_eq!(log.generation(), g1);
    }

    #[test]
    fn debug_output_hides_secrets() {
        let (log, _) =
            KeyLog::from_text(format!("CLIENT_RANDOM {CR} {}", "5a".repeat(48)).as_bytes());
        let shown = format!("{log:?}");
        assert!(!shown.contains("5a5a"), "{shown}");
        assert!(shown.contains("48 secret bytes"));
    }
}
