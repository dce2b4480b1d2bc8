//! The TLS ≤ 1.2 handshake transcript hash up to the ClientKeyExchange: the
//! "session hash" of the extended master secret (RFC 7627), needed to turn
//! an `RSA` key log line (the pre-master secret) into the master secret.

use alloc::vec::Vec;

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384};

use super::keys::Prf;
use super::suite::HashAlg;

/// Running hashes of the handshake messages. All candidate hashes run
/// because the suite (and so the hash) is only known from the ServerHello.
#[derive(Clone, Default)]
pub(crate) struct Transcript {
    md5: Md5,
    sha1: Sha1,
    sha256: Sha256,
    sha384: Sha384,
    /// The ClientKeyExchange has been hashed: later messages are not part of
    /// the session hash.
    done: bool,
}

impl core::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Transcript")
            .field("done", &self.done)
            .finish()
    }
}

impl Transcript {
    /// Hashes the next bytes of handshake messages (headers included).
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        if self.done {
            return;
        }
        self.md5.update(bytes);
        self.sha1.update(bytes);
        self.sha256.update(bytes);
        self.sha384.update(bytes);
    }

    /// Starts over (a ClientHello: a new handshake, e.g. a renegotiation).
    pub(crate) fn restart(&mut self) {
        *self = Transcript::default();
    }

    /// Stops hashing (after the ClientKeyExchange).
    pub(crate) fn finish(&mut self) {
        self.done = true;
    }

    /// The session hash for a PRF: MD5 ‖ SHA-1 for TLS 1.0/1.1, the suite's
    /// hash for TLS 1.2.
    pub(crate) fn session_hash(&self, prf: Prf) -> Vec<u8> {
        match prf {
            Prf::Tls10 => {
                let mut out = self.md5.clone().finalize().to_vec();
                out.extend_from_slice(&self.sha1.clone().finalize());
                out
            }
            Prf::Tls12(HashAlg::Sha256) => self.sha256.clone().finalize().to_vec(),
            Prf::Tls12(HashAlg::Sha384) => self.sha384.clone().finalize().to_vec(),
        }
    }
}
