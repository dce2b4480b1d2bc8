//! Key derivation: the TLS 1.3 traffic-key schedule (HKDF-Expand-Label,
//! RFC 8446 §7.1–7.3) and the TLS 1.0–1.2 PRF key block (RFC 2246 §5,
//! RFC 5246 §5 and §6.3).

use alloc::vec;
use alloc::vec::Vec;

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Sha256, Sha384};

use super::suite::HashAlg;

impl HashAlg {
    pub(crate) const fn len(self) -> usize {
        match self {
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }
}

/// HKDF-Expand-Label(secret, label, context, out.len()). Returns `None` when
/// the secret is shorter than the hash (a key log line for another suite).
pub(crate) fn hkdf_expand_label(
    hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) -> Option<()> {
    let length = u16::try_from(out.len()).ok()?;
    let label_len = u8::try_from(6 + label.len()).ok()?;
    let context_len = u8::try_from(context.len()).ok()?;
    let info: [&[u8]; 6] = [
        &length.to_be_bytes(),
        &[label_len],
        b"tls13 ",
        label,
        &[context_len],
        context,
    ];
    match hash {
        HashAlg::Sha256 => Hkdf::<Sha256>::from_prk(secret)
            .ok()?
            .expand_multi_info(&info, out)
            .ok(),
        HashAlg::Sha384 => Hkdf::<Sha384>::from_prk(secret)
            .ok()?
            .expand_multi_info(&info, out)
            .ok(),
    }
}

/// Write key and IV derived from a TLS 1.3 traffic secret.
pub(crate) struct TrafficKeys {
    pub(crate) key: Vec<u8>,
    pub(crate) iv: [u8; 12],
}

/// `[sender]_write_key` and `[sender]_write_iv` from a traffic secret.
pub(crate) fn tls13_traffic_keys(
    hash: HashAlg,
    secret: &[u8],
    key_len: usize,
) -> Option<TrafficKeys> {
    if secret.len() != hash.len() {
        return None;
    }
    let mut key = vec![0; key_len];
    hkdf_expand_label(hash, secret, b"key", &[], &mut key)?;
    let mut iv = [0; 12];
    hkdf_expand_label(hash, secret, b"iv", &[], &mut iv)?;
    Some(TrafficKeys { key, iv })
}

/// application_traffic_secret_N+1 after a KeyUpdate.
pub(crate) fn tls13_next_secret(hash: HashAlg, secret: &[u8]) -> Option<Vec<u8>> {
    let mut next = vec![0; hash.len()];
    hkdf_expand_label(hash, secret, b"traffic upd", &[], &mut next)?;
    Some(next)
}

/// Which PRF a TLS ≤ 1.2 connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prf {
    /// TLS 1.0 and 1.1: P_MD5 XOR P_SHA-1 over the two halves of the secret.
    Tls10,
    /// TLS 1.2 with the suite's hash.
    Tls12(HashAlg),
}

/// P_hash(secret, label + seed), XORed into `out`.
fn p_hash_xor<M: Mac + KeyInit + Clone>(
    secret: &[u8],
    label: &[u8],
    seed: &[&[u8]],
    out: &mut [u8],
) {
    let Ok(base) = <M as KeyInit>::new_from_slice(secret) else {
        return;
    };
    // A(1) = HMAC(secret, label + seed)
    let mut mac = base.clone();
    mac.update(label);
    seed.iter().for_each(|s| mac.update(s));
    let mut a = mac.finalize().into_bytes();
    for chunk in out.chunks_mut(a.len()) {
        let mut mac = base.clone();
        mac.update(&a);
        mac.update(label);
        seed.iter().for_each(|s| mac.update(s));
        let block = mac.finalize().into_bytes();
        chunk
            .iter_mut()
            .zip(block.iter())
            .for_each(|(o, b)| *o ^= b);
        let mut next = base.clone();
        next.update(&a);
        a = next.finalize().into_bytes();
    }
}

/// PRF(secret, label, seed) into `out`.
pub(crate) fn prf(kind: Prf, secret: &[u8], label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    out.fill(0);
    match kind {
        Prf::Tls10 => {
            let half = secret.len().div_ceil(2);
            p_hash_xor::<Hmac<Md5>>(&secret[..half], label, seed, out);
            p_hash_xor::<Hmac<Sha1>>(&secret[secret.len() - half..], label, seed, out);
        }
        Prf::Tls12(HashAlg::Sha256) => p_hash_xor::<Hmac<Sha256>>(secret, label, seed, out),
        Prf::Tls12(HashAlg::Sha384) => p_hash_xor::<Hmac<Sha384>>(secret, label, seed, out),
    }
}

/// The TLS ≤ 1.2 key block: `key expansion` with server_random + client_random.
pub(crate) fn key_block(
    kind: Prf,
    master_secret: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    len: usize,
) -> Vec<u8> {
    let mut out = vec![0; len];
    prf(
        kind,
        master_secret,
        b"key expansion",
        &[server_random, client_random],
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 8448 §3 (simple 1-RTT handshake): server handshake traffic secret
    /// → server handshake write key and IV.
    #[test]
    fn rfc8448_server_handshake_keys() {
        let secret = unhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
        let keys = tls13_traffic_keys(HashAlg::Sha256, &secret, 16).unwrap();
        assert_eq!(keys.key, unhex("3fce516009c21727d0f2e4e86ee403bc"));
        assert_eq!(keys.iv.to_vec(), unhex("5d313eb2671276ee13000b30"));
        // A SHA-384 suite cannot use a 32-byte secret.
        assert!(tls13_traffic_keys(HashAlg::Sha384, &secret, 32).is_none());
    }

    /// RFC 8448 §3: client application traffic secret → write key and IV.
    #[test]
    fn rfc8448_client_application_keys() {
        let secret = unhex("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5");
        let keys = tls13_traffic_keys(HashAlg::Sha256, &secret, 16).unwrap();
        assert_eq!(keys.key, unhex("17422dda596ed5d9acd890e3c63f5051"));
        assert_eq!(keys.iv.to_vec(), unhex("5b78923dee08579033e523d9"));
    }

    /// The TLS 1.2 PRF (SHA-256) test vector circulated on the IETF TLS list
    /// (secret 9bbe436b…, seed a0ba9f93…, label "test label", 100 bytes).
    #[test]
    fn tls12_prf_sha256_vector() {
        let secret = unhex("9bbe436ba940f017b17652849a71db35");
        let seed = unhex("a0ba9f936cda311827a6f796ffd5198c");
        let mut out = [0u8; 100];
        prf(
            Prf::Tls12(HashAlg::Sha256),
            &secret,
            b"test label",
            &[&seed],
            &mut out,
        );
        assert_eq!(
            out.to_vec(),
            unhex(
                "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66"
            )
        );
    }
}
