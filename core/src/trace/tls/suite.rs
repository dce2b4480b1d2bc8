//! Protocol versions and cipher suites, and how to decrypt the ones we support.

use core::fmt;

/// A TLS protocol version as it appears on the wire (`0x0303` = TLS 1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion(pub u16);

impl ProtocolVersion {
    /// SSL 3.0.
    pub const SSL3: ProtocolVersion = ProtocolVersion(0x0300);
    /// TLS 1.0.
    pub const TLS10: ProtocolVersion = ProtocolVersion(0x0301);
    /// TLS 1.1.
    pub const TLS11: ProtocolVersion = ProtocolVersion(0x0302);
    /// TLS 1.2.
    pub const TLS12: ProtocolVersion = ProtocolVersion(0x0303);
    /// TLS 1.3.
    pub const TLS13: ProtocolVersion = ProtocolVersion(0x0304);

    /// `TLS 1.2` etc., or `None` for unknown and GREASE values.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0300 => "SSL 3.0",
            0x0301 => "TLS 1.0",
            0x0302 => "TLS 1.1",
            0x0303 => "TLS 1.2",
            0x0304 => "TLS 1.3",
            _ => return None,
        })
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "version {:#06x}", self.0),
        }
    }
}

/// A cipher suite number from the TLS registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CipherSuite(pub u16);

/// Hash of the TLS 1.2 PRF or the TLS 1.3 key schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashAlg {
    Sha256,
    Sha384,
}

/// HMAC of a CBC suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MacAlg {
    Sha1,
    Sha256,
    Sha384,
}

impl MacAlg {
    pub(crate) const fn len(self) -> usize {
        match self {
            MacAlg::Sha1 => 20,
            MacAlg::Sha256 => 32,
            MacAlg::Sha384 => 48,
        }
    }
}

/// The AEAD of an AEAD suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AeadAlg {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl AeadAlg {
    pub(crate) const fn key_len(self) -> usize {
        match self {
            AeadAlg::Aes128Gcm => 16,
            AeadAlg::Aes256Gcm | AeadAlg::ChaCha20Poly1305 => 32,
        }
    }
}

/// Record protection of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BulkCipher {
    Aead(AeadAlg),
    /// AES-CBC with the given key length and HMAC.
    AesCbc {
        key_len: usize,
        mac: MacAlg,
    },
}

/// Everything needed to derive keys and decrypt records of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SuiteParams {
    pub(crate) name: &'static str,
    /// A TLS 1.3 suite (HKDF key schedule) rather than a TLS ≤ 1.2 one (PRF).
    pub(crate) tls13: bool,
    pub(crate) cipher: BulkCipher,
    /// PRF hash (TLS 1.2) or HKDF hash (TLS 1.3). TLS 1.0/1.1 use their own
    /// MD5+SHA-1 PRF whatever this says.
    pub(crate) hash: HashAlg,
}

use AeadAlg::*;
use BulkCipher::{Aead, AesCbc};
use HashAlg::*;

const fn aead(name: &'static str, tls13: bool, alg: AeadAlg, hash: HashAlg) -> SuiteParams {
    SuiteParams {
        name,
        tls13,
        cipher: Aead(alg),
        hash,
    }
}

const fn cbc(name: &'static str, key_len: usize, mac: MacAlg) -> SuiteParams {
    SuiteParams {
        name,
        tls13: false,
        cipher: AesCbc { key_len, mac },
        hash: if matches!(mac, MacAlg::Sha384) {
            Sha384
        } else {
            Sha256
        },
    }
}

/// The suites we can decrypt. The key exchange does not matter for passive
/// decryption with a key log, so RSA, DHE and ECDHE variants all appear.
const SUPPORTED: &[(u16, SuiteParams)] = &[
    (
        0x1301,
        aead("TLS_AES_128_GCM_SHA256", true, Aes128Gcm, Sha256),
    ),
    (
        0x1302,
        aead("TLS_AES_256_GCM_SHA384", true, Aes256Gcm, Sha384),
    ),
    (
        0x1303,
        aead(
            "TLS_CHACHA20_POLY1305_SHA256",
            true,
            ChaCha20Poly1305,
            Sha256,
        ),
    ),
    (
        0x002f,
        cbc("TLS_RSA_WITH_AES_128_CBC_SHA", 16, MacAlg::Sha1),
    ),
    (
        0x0033,
        cbc("TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 16, MacAlg::Sha1),
    ),
    (
        0x0035,
        cbc("TLS_RSA_WITH_AES_256_CBC_SHA", 32, MacAlg::Sha1),
    ),
    (
        0x0039,
        cbc("TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 32, MacAlg::Sha1),
    ),
    (
        0x003c,
        cbc("TLS_RSA_WITH_AES_128_CBC_SHA256", 16, MacAlg::Sha256),
    ),
    (
        0x003d,
        cbc("TLS_RSA_WITH_AES_256_CBC_SHA256", 32, MacAlg::Sha256),
    ),
    (
        0x0067,
        cbc("TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 16, MacAlg::Sha256),
    ),
    (
        0x006b,
        cbc("TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 32, MacAlg::Sha256),
    ),
    (
        0x009c,
        aead("TLS_RSA_WITH_AES_128_GCM_SHA256", false, Aes128Gcm, Sha256),
    ),
    (
        0x009d,
        aead("TLS_RSA_WITH_AES_256_GCM_SHA384", false, Aes256Gcm, Sha384),
    ),
    (
        0x009e,
        aead(
            "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
            false,
            Aes128Gcm,
            Sha256,
        ),
    ),
    (
        0x009f,
        aead(
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
            false,
            Aes256Gcm,
            Sha384,
        ),
    ),
    (
        0xc009,
        cbc("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 16, MacAlg::Sha1),
    ),
    (
        0xc00a,
        cbc("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 32, MacAlg::Sha1),
    ),
    (
        0xc013,
        cbc("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 16, MacAlg::Sha1),
    ),
    (
        0xc014,
        cbc("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 32, MacAlg::Sha1),
    ),
    (
        0xc023,
        cbc(
            "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
            16,
            MacAlg::Sha256,
        ),
    ),
    (
        0xc024,
        cbc(
            "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
            32,
            MacAlg::Sha384,
        ),
    ),
    (
        0xc027,
        cbc("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 16, MacAlg::Sha256),
    ),
    (
        0xc028,
        cbc("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 32, MacAlg::Sha384),
    ),
    (
        0xc02b,
        aead(
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            false,
            Aes128Gcm,
            Sha256,
        ),
    ),
    (
        0xc02c,
        aead(
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            false,
            Aes256Gcm,
            Sha384,
        ),
    ),
    (
        0xc02f,
        aead(
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            false,
            Aes128Gcm,
            Sha256,
        ),
    ),
    (
        0xc030,
        aead(
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            false,
            Aes256Gcm,
            Sha384,
        ),
    ),
    (
        0xcca8,
        aead(
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            false,
            ChaCha20Poly1305,
            Sha256,
        ),
    ),
    (
        0xcca9,
        aead(
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            false,
            ChaCha20Poly1305,
            Sha256,
        ),
    ),
    (
        0xccaa,
        aead(
            "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            false,
            ChaCha20Poly1305,
            Sha256,
        ),
    ),
];

/// Names of common suites we see but cannot decrypt.
const OTHER_NAMES: &[(u16, &str)] = &[
    (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
    (0x1304, "TLS_AES_128_CCM_SHA256"),
    (0x1305, "TLS_AES_128_CCM_8_SHA256"),
    (0x5600, "TLS_FALLBACK_SCSV"),
    (0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"),
    (0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"),
];

impl CipherSuite {
    /// The IANA name, when known.
    pub fn name(self) -> Option<&'static str> {
        if let Some(params) = self.params() {
            return Some(params.name);
        }
        OTHER_NAMES
            .iter()
            .find(|(id, _)| *id == self.0)
            .map(|(_, name)| *name)
    }

    /// True when records protected by this suite can be decrypted.
    pub fn is_supported(self) -> bool {
        self.params().is_some()
    }

    /// True for the TLS 1.3 suites.
    pub fn is_tls13(self) -> bool {
        (0x1301..=0x1305).contains(&self.0)
    }

    pub(crate) fn params(self) -> Option<SuiteParams> {
        SUPPORTED
            .iter()
            .find(|(id, _)| *id == self.0)
            .map(|(_, params)| *params)
    }
}

impl fmt::Display for CipherSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "cipher suite {:#06x}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn names_and_params() {
        assert_eq!(CipherSuite(0x1302).to_string(), "TLS_AES_256_GCM_SHA384");
        assert_eq!(CipherSuite(0x0a0a).to_string(), "cipher suite 0x0a0a");
        assert!(!CipherSuite(0x000a).is_supported());
        let p = CipherSuite(0xc028).params().unwrap();
        assert_eq!(p.hash, HashAlg::Sha384);
        assert_eq!(
            p.cipher,
            BulkCipher::AesCbc {
                key_len: 32,
                mac: MacAlg::Sha384
            }
        );
        assert_eq!(CipherSuite(0x003d).params().unwrap().hash, HashAlg::Sha256);
        assert_eq!(ProtocolVersion(0x0303).to_string(), "TLS 1.2");
        assert_eq!(ProtocolVersion(0x7a7a).to_string(), "version 0x7a7a");
        // Every supported suite's name says what the table says.
        for (id, p) in SUPPORTED {
            assert_eq!(p.tls13, CipherSuite(*id).is_tls13(), "{}", p.name);
            assert_eq!(
                p.name.ends_with("SHA384"),
                p.hash == HashAlg::Sha384,
                "{}",
                p.name
            );
            let is_cbc = matches!(p.cipher, BulkCipher::AesCbc { .. });
            assert_eq!(p.name.contains("CBC"), is_cbc, "{}", p.name);
        }
    }
}
