//! Turning the negotiated parameters plus a key log secret into the record
//! protection of one direction.

use alloc::vec;
use alloc::vec::Vec;

use super::error::{CannotDecrypt, TlsError};
use super::keylog::{KeyLog, SecretLabel};
use super::keys::{Prf, key_block, prf};
use super::protection::{CbcKeys, RecordProtection};
use super::suite::{BulkCipher, CipherSuite, ProtocolVersion};

/// Which end of the connection sends a direction's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Client,
    Server,
}

/// Which keys of a connection a direction is using.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// TLS ≤ 1.2 after a ChangeCipherSpec.
    Tls12,
    /// TLS 1.3 handshake traffic keys.
    Tls13Handshake,
    /// TLS 1.3 application traffic keys (any generation).
    Tls13Application,
}

/// Everything needed to build one direction's protection once the key log
/// has the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeySpec {
    pub(crate) suite: CipherSuite,
    pub(crate) version: ProtocolVersion,
    pub(crate) client_random: [u8; 32],
    pub(crate) server_random: [u8; 32],
    pub(crate) encrypt_then_mac: bool,
    pub(crate) role: Role,
    pub(crate) stage: Stage,
    /// RSA key exchange: how to use an `RSA` key log line instead.
    pub(crate) rsa: Option<RsaPremaster>,
}

/// What an `RSA` key log line (encrypted pre-master prefix → pre-master
/// secret) needs to give the master secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RsaPremaster {
    /// First 8 bytes of the encrypted pre-master secret (ClientKeyExchange).
    pub(crate) encrypted_prefix: [u8; 8],
    /// The session hash when extended master secret was negotiated.
    pub(crate) session_hash: Option<Vec<u8>>,
}

impl KeySpec {
    /// The PRF of a TLS ≤ 1.2 spec.
    pub(crate) fn prf(&self) -> Option<Prf> {
        let params = self.suite.params()?;
        Some(if self.version == ProtocolVersion::TLS12 {
            Prf::Tls12(params.hash)
        } else {
            Prf::Tls10
        })
    }

    /// The master secret: from a `CLIENT_RANDOM` line, else derived from the
    /// pre-master secret of an `RSA` line.
    fn master_secret(&self, keys: &KeyLog) -> Option<Vec<u8>> {
        if let Some(secret) = keys.secret(SecretLabel::MasterSecret, &self.client_random) {
            return Some(secret.to_vec());
        }
        let rsa = self.rsa.as_ref()?;
        let premaster = keys.rsa_premaster(&rsa.encrypted_prefix)?;
        let mut master = vec![0; 48];
        match &rsa.session_hash {
            Some(hash) => prf(
                self.prf()?,
                premaster,
                b"extended master secret",
                &[hash],
                &mut master,
            ),
            None => prf(
                self.prf()?,
                premaster,
                b"master secret",
                &[&self.client_random, &self.server_random],
                &mut master,
            ),
        }
        Some(master)
    }
}

/// Why [`setup`] produced no protection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SetupError {
    /// The key log lacks the secret (yet).
    Missing(CannotDecrypt),
    /// The parameters cannot be decrypted whatever the key log says.
    Unsupported(CannotDecrypt),
    /// The key log secret does not fit.
    BadSecret(TlsError),
}

impl KeySpec {
    /// The key log label this spec needs.
    pub(crate) fn label(&self) -> SecretLabel {
        match (self.stage, self.role) {
            (Stage::Tls12, _) => SecretLabel::MasterSecret,
            (Stage::Tls13Handshake, Role::Client) => SecretLabel::ClientHandshakeTraffic,
            (Stage::Tls13Handshake, Role::Server) => SecretLabel::ServerHandshakeTraffic,
            (Stage::Tls13Application, Role::Client) => SecretLabel::ClientTraffic0,
            (Stage::Tls13Application, Role::Server) => SecretLabel::ServerTraffic0,
        }
    }

    /// Checks the suite and version without looking at the key log.
    pub(crate) fn check_supported(&self) -> Result<(), CannotDecrypt> {
        let params = self
            .suite
            .params()
            .ok_or(CannotDecrypt::UnsupportedSuite(self.suite))?;
        let version_ok = match self.stage {
            Stage::Tls12 => {
                (ProtocolVersion::TLS10..=ProtocolVersion::TLS12).contains(&self.version)
                    && !params.tls13
                    && (self.version == ProtocolVersion::TLS12
                        || matches!(params.cipher, BulkCipher::AesCbc { .. }))
            }
            Stage::Tls13Handshake | Stage::Tls13Application => {
                self.version == ProtocolVersion::TLS13 && params.tls13
            }
        };
        if !version_ok {
            return Err(
                if params.tls13 != (self.version == ProtocolVersion::TLS13) {
                    CannotDecrypt::UnsupportedSuite(self.suite)
                } else {
                    CannotDecrypt::UnsupportedVersion(self.version)
                },
            );
        }
        Ok(())
    }
}

/// Builds the protection for `spec` from the key log.
pub(crate) fn setup(spec: &KeySpec, keys: &KeyLog) -> Result<RecordProtection, SetupError> {
    spec.check_supported().map_err(SetupError::Unsupported)?;
    let params =
        spec.suite
            .params()
            .ok_or(SetupError::Unsupported(CannotDecrypt::UnsupportedSuite(
                spec.suite,
            )))?;
    let label = spec.label();
    let missing = || {
        SetupError::Missing(CannotDecrypt::MissingKey {
            label,
            client_random: spec.client_random,
        })
    };
    let master;
    let secret = if spec.stage == Stage::Tls12 {
        master = spec.master_secret(keys).ok_or_else(missing)?;
        master.as_slice()
    } else {
        keys.secret(label, &spec.client_random)
            .ok_or_else(missing)?
    };
    let bad_secret = || {
        SetupError::BadSecret(TlsError::BadSecret {
            label,
            len: secret.len(),
            suite: spec.suite,
        })
    };
    if spec.stage != Stage::Tls12 {
        let BulkCipher::Aead(alg) = params.cipher else {
            return Err(SetupError::Unsupported(CannotDecrypt::UnsupportedSuite(
                spec.suite,
            )));
        };
        return RecordProtection::tls13(alg, params.hash, secret).ok_or_else(bad_secret);
    }
    let prf = spec.prf().ok_or_else(bad_secret)?;
    let (mac_len, key_len, iv_len) = match params.cipher {
        BulkCipher::Aead(alg) => (
            0,
            alg.key_len(),
            if alg == super::suite::AeadAlg::ChaCha20Poly1305 {
                12
            } else {
                4
            },
        ),
        BulkCipher::AesCbc { key_len, mac } => (mac.len(), key_len, 16),
    };
    let block = key_block(
        prf,
        secret,
        &spec.client_random,
        &spec.server_random,
        2 * (mac_len + key_len + iv_len),
    );
    // client MAC, server MAC, client key, server key, client IV, server IV.
    let pick = |start: usize, len: usize| -> Vec<u8> {
        let start = start + if spec.role == Role::Server { len } else { 0 };
        block[start..start + len].to_vec()
    };
    let mac_key = pick(0, mac_len);
    let key = pick(2 * mac_len, key_len);
    let iv = pick(2 * (mac_len + key_len), iv_len);
    match params.cipher {
        BulkCipher::Aead(alg) => {
            RecordProtection::tls12_aead(alg, &key, &iv).ok_or_else(bad_secret)
        }
        BulkCipher::AesCbc { mac, .. } => RecordProtection::cbc(CbcKeys {
            enc_key: key,
            mac_key,
            mac,
            iv: iv.as_slice().try_into().map_err(|_| bad_secret())?,
            chained_iv: spec.version == ProtocolVersion::TLS10,
            encrypt_then_mac: spec.encrypt_then_mac,
        })
        .ok_or_else(bad_secret),
    }
}
