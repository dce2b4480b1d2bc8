//! Software tokens: HOTP (RFC 4226) and TOTP (RFC 6238) codes from a
//! `--token-secret` in OpenConnect's syntax (auth.md §6.1):
//! `[sha1:|sha256:|sha512:]` then `base32:…`, `0x…` (hex) or the raw
//! bytes of the string; for HOTP an optional `,counter` suffix.
//!
//! As in OpenConnect: the hash and `base32:` prefixes ignore case,
//! trailing blanks are dropped, the counter is read like C's `strtol`
//! with base 0 (`0x1f` hex, `017` octal, else decimal), and a HOTP
//! secret read from `@FILE` is written back with the next counter after
//! each code is used ([`with_counter`]).

use hmac::{Hmac, KeyInit, Mac};

/// The HMAC hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Hash {
    /// HMAC-SHA1 (the default).
    #[default]
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

/// A parsed `--token-secret`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    /// The key bytes.
    pub key: Vec<u8>,
    /// The hash.
    pub hash: Hash,
    /// HOTP counter (`,N` suffix), if given.
    pub counter: Option<u64>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret")
            .field("hash", &self.hash)
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// A `--token-secret` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Bad base32.
    #[error("--token-secret: invalid base32")]
    Base32,
    /// Bad hex.
    #[error("--token-secret: invalid hex after 0x")]
    Hex,
    /// Bad counter.
    #[error("--token-secret: invalid counter after ','")]
    Counter,
    /// Empty key.
    #[error("--token-secret: empty key")]
    Empty,
}

impl Secret {
    /// Parses OpenConnect's syntax; `hotp` enables the `,counter` suffix.
    pub fn parse(s: &str, hotp: bool) -> Result<Secret, SecretError> {
        let s = s.trim_end();
        let (hash, rest) = [
            ("sha1:", Hash::Sha1),
            ("sha256:", Hash::Sha256),
            ("sha512:", Hash::Sha512),
        ]
        .iter()
        .find_map(|(p, h)| strip_prefix_ignore_case(s, p).map(|r| (*h, r)))
        .unwrap_or((Hash::Sha1, s));
        let (body, counter) = match rest.rsplit_once(',') {
            Some((b, c)) if hotp => (b, Some(parse_counter(c)?)),
            _ => (rest, None),
        };
        let key = if let Some(b32) = strip_prefix_ignore_case(body, "base32:") {
            let clean: String = b32
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '=')
                .map(|c| c.to_ascii_uppercase())
                .collect();
            data_encoding::BASE32_NOPAD
                .decode(clean.as_bytes())
                .map_err(|_| SecretError::Base32)?
        } else if let Some(h) = body.strip_prefix("0x") {
            hex::decode(h).map_err(|_| SecretError::Hex)?
        } else {
            body.as_bytes().to_vec()
        };
        if key.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(Secret { key, hash, counter })
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// A counter as C's `strtol(…, 0)` reads it, then only blanks.
fn parse_counter(c: &str) -> Result<u64, SecretError> {
    let c = c.trim();
    let (digits, radix) = if let Some(h) = c.strip_prefix("0x").or_else(|| c.strip_prefix("0X")) {
        (h, 16)
    } else if c.len() > 1 && c.starts_with('0') {
        (&c[1..], 8)
    } else {
        (c, 10)
    };
    u64::from_str_radix(digits, radix).map_err(|_| SecretError::Counter)
}

/// The `--token-secret` text with its HOTP counter set to `counter`
/// (replacing a `,counter` suffix, or adding one): what goes back into
/// the `@FILE` after a code is used, without a final newline, as
/// OpenConnect writes it. The rest of the text is kept as the user wrote
/// it — also a `sha256:`/`sha512:` prefix, which OpenConnect 9.01 drops
/// when it writes the file back (so its next run would use SHA-1).
pub fn with_counter(text: &str, counter: u64) -> String {
    let t = text.trim_end();
    let base = match t.rsplit_once(',') {
        Some((b, c)) if parse_counter(c).is_ok() => b,
        _ => t,
    };
    format!("{base},{counter}")
}

fn mac(hash: Hash, key: &[u8], msg: &[u8]) -> Vec<u8> {
    macro_rules! run {
        ($d:ty) => {{
            let mut m =
                <Hmac<$d> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
            m.update(msg);
            m.finalize().into_bytes().to_vec()
        }};
    }
    match hash {
        Hash::Sha1 => run!(sha1::Sha1),
        Hash::Sha256 => run!(sha2::Sha256),
        Hash::Sha512 => run!(sha2::Sha512),
    }
}

/// The HOTP code (RFC 4226) for `counter`, `digits` long (6 to 9).
pub fn hotp(secret: &Secret, counter: u64, digits: u32) -> String {
    let h = mac(secret.hash, &secret.key, &counter.to_be_bytes());
    let off = (h[h.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    let digits = digits.clamp(6, 9);
    format!(
        "{:0width$}",
        bin % 10u32.pow(digits),
        width = digits as usize
    )
}

/// The TOTP code (RFC 6238) at `unix_secs` with a 30 s step.
pub fn totp(secret: &Secret, unix_secs: u64, digits: u32) -> String {
    hotp(secret, unix_secs / 30, digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4226_vectors() {
        let s = Secret::parse("12345678901234567890", true).unwrap();
        let want = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (c, w) in want.iter().enumerate() {
            assert_eq!(hotp(&s, c as u64, 6), *w, "counter {c}");
        }
        let s = Secret::parse("12345678901234567890,1", true).unwrap();
        assert_eq!(s.counter, Some(1));
    }

    #[test]
    fn rfc6238_vectors() {
        let sha1 = Secret::parse("0x3132333435363738393031323334353637383930", false).unwrap();
        let sha256 = Secret::parse("sha256:12345678901234567890123456789012", false).unwrap();
        let sha512 = Secret::parse(
            "sha512:base32:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA=",
            false,
        )
        .unwrap();
        for (t, a, b, c) in [
            (59u64, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ] {
            assert_eq!(totp(&sha1, t, 8), a, "sha1 {t}");
            assert_eq!(totp(&sha256, t, 8), b, "sha256 {t}");
            assert_eq!(totp(&sha512, t, 8), c, "sha512 {t}");
        }
    }

    #[test]
    fn secret_forms_and_errors() {
        assert_eq!(Secret::parse("ABCD", false).unwrap().key, b"ABCD");
        assert_eq!(Secret::parse("base32:mzxw6===", false).unwrap().key, b"foo");
        assert_eq!(Secret::parse("base32:!!", false), Err(SecretError::Base32));
        assert_eq!(Secret::parse("0xzz", false), Err(SecretError::Hex));
        assert_eq!(Secret::parse("k,x", true), Err(SecretError::Counter));
        assert_eq!(Secret::parse("k,5", false).unwrap().key, b"k,5");
        assert!(!format!("{:?}", Secret::parse("topsecret", false).unwrap()).contains("topsecret"));
    }

    #[test]
    fn openconnect_parsing_details() {
        let upper = Secret::parse("SHA256:BASE32:MZXW6===", false).unwrap();
        assert_eq!(
            (upper.hash, upper.key.as_slice()),
            (Hash::Sha256, &b"foo"[..])
        );
        assert_eq!(Secret::parse("k,0x1f", true).unwrap().counter, Some(31));
        assert_eq!(Secret::parse("k,017", true).unwrap().counter, Some(15));
        assert_eq!(Secret::parse("k, 9 \n", true).unwrap().counter, Some(9));
        assert_eq!(Secret::parse("k,-1", true), Err(SecretError::Counter));
        assert_eq!(Secret::parse("ABCD  \n", false).unwrap().key, b"ABCD");
    }

    #[test]
    fn counter_written_back_keeps_the_secret_text() {
        assert_eq!(
            with_counter("sha256:base32:MZXW6,4\n", 5),
            "sha256:base32:MZXW6,5"
        );
        assert_eq!(with_counter("0x3132", 1), "0x3132,1");
        let again = with_counter("12345678901234567890,0", 1);
        let s = Secret::parse(&again, true).unwrap();
        assert_eq!((s.counter, hotp(&s, 1, 6).as_str()), (Some(1), "287082"));
    }
}
