//! ClientHello and ServerHello: the fields decryption needs and a summary
//! worth showing.

use alloc::string::String;
use alloc::vec::Vec;

use super::error::TlsError;
use super::suite::{CipherSuite, ProtocolVersion};

const EXT_SERVER_NAME: u16 = 0;
const EXT_ALPN: u16 = 16;
const EXT_ENCRYPT_THEN_MAC: u16 = 22;
const EXT_EXTENDED_MASTER_SECRET: u16 = 23;
const EXT_EARLY_DATA: u16 = 42;
const EXT_SUPPORTED_VERSIONS: u16 = 43;

/// The `random` of a HelloRetryRequest (RFC 8446 §4.1.3).
const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// What a ClientHello offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    /// `legacy_version` (TLS 1.3 clients say TLS 1.2 here).
    pub legacy_version: ProtocolVersion,
    /// The client random: the key log is indexed by it.
    pub random: [u8; 32],
    /// Offered suites, in order (GREASE values included).
    pub cipher_suites: Vec<CipherSuite>,
    /// The `server_name` host name, if sent.
    pub server_name: Option<String>,
    /// The `supported_versions` extension (TLS 1.3 clients), in order.
    pub supported_versions: Vec<ProtocolVersion>,
    /// Offered ALPN protocols.
    pub alpn: Vec<String>,
    /// Offered encrypt-then-MAC (RFC 7366).
    pub encrypt_then_mac: bool,
    /// Offered extended master secret (RFC 7627).
    pub extended_master_secret: bool,
    /// Offered TLS 1.3 0-RTT early data.
    pub early_data: bool,
}

/// What a ServerHello chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    /// `legacy_version`.
    pub legacy_version: ProtocolVersion,
    /// The server random.
    pub random: [u8; 32],
    /// The chosen suite.
    pub cipher_suite: CipherSuite,
    /// The `supported_versions` choice (TLS 1.3).
    pub selected_version: Option<ProtocolVersion>,
    /// Chosen ALPN protocol (TLS ≤ 1.2 sends it here).
    pub alpn: Option<String>,
    /// Encrypt-then-MAC agreed.
    pub encrypt_then_mac: bool,
    /// Extended master secret agreed.
    pub extended_master_secret: bool,
    /// This is a TLS 1.3 HelloRetryRequest, not a real ServerHello.
    pub hello_retry_request: bool,
}

impl ServerHello {
    /// The negotiated protocol version.
    pub fn version(&self) -> ProtocolVersion {
        self.selected_version.unwrap_or(self.legacy_version)
    }
}

/// A bounds-checked reader over a message body.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    message: &'static str,
    offset: u64,
}

impl<'a> Cursor<'a> {
    fn error(&self, field: &'static str) -> TlsError {
        TlsError::MalformedHandshake {
            offset: self.offset,
            message: self.message,
            field,
            at: self.pos,
        }
    }

    fn bytes(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], TlsError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| self.error(field))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, TlsError> {
        Ok(self.bytes(1, field)?[0])
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, TlsError> {
        let b = self.bytes(2, field)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn vec8(&mut self, field: &'static str) -> Result<&'a [u8], TlsError> {
        let n = self.u8(field)?;
        self.bytes(usize::from(n), field)
    }

    fn vec16(&mut self, field: &'static str) -> Result<&'a [u8], TlsError> {
        let n = self.u16(field)?;
        self.bytes(usize::from(n), field)
    }

    fn random(&mut self) -> Result<[u8; 32], TlsError> {
        let b = self.bytes(32, "random")?;
        let mut out = [0; 32];
        out.copy_from_slice(b);
        Ok(out)
    }

    fn sub(&self, data: &'a [u8]) -> Cursor<'a> {
        Cursor {
            data,
            pos: 0,
            message: self.message,
            offset: self.offset,
        }
    }

    fn at_end(&self) -> bool {
        self.pos == self.data.len()
    }

    /// Iterates the extensions block (absent → empty).
    fn extensions(
        &mut self,
        mut each: impl FnMut(u16, &mut Cursor<'a>) -> Result<(), TlsError>,
    ) -> Result<(), TlsError> {
        if self.at_end() {
            return Ok(());
        }
        let block = self.vec16("extensions length")?;
        let mut exts = self.sub(block);
        while !exts.at_end() {
            let ext_type = exts.u16("extension type")?;
            let body = exts.vec16("extension length")?;
            let mut body = exts.sub(body);
            each(ext_type, &mut body)?;
        }
        Ok(())
    }
}

fn u16_list(data: &[u8]) -> impl Iterator<Item = u16> + '_ {
    data.chunks_exact(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn alpn_list(c: &mut Cursor<'_>) -> Result<Vec<String>, TlsError> {
    let list = c.vec16("ALPN list")?;
    let mut list = c.sub(list);
    let mut out = Vec::new();
    while !list.at_end() {
        out.push(text(list.vec8("ALPN protocol")?));
    }
    Ok(out)
}

impl ClientHello {
    /// Parses a ClientHello body (without the 4-byte handshake header);
    /// `offset` is only used in errors.
    pub(crate) fn parse(body: &[u8], offset: u64) -> Result<ClientHello, TlsError> {
        let mut c = Cursor {
            data: body,
            pos: 0,
            message: "ClientHello",
            offset,
        };
        let legacy_version = ProtocolVersion(c.u16("legacy_version")?);
        let random = c.random()?;
        c.vec8("session_id")?;
        let suites = c.vec16("cipher_suites")?;
        if suites.len() % 2 != 0 {
            return Err(c.error("cipher_suites"));
        }
        c.vec8("compression_methods")?;
        let mut hello = ClientHello {
            legacy_version,
            random,
            cipher_suites: u16_list(suites).map(CipherSuite).collect(),
            server_name: None,
            supported_versions: Vec::new(),
            alpn: Vec::new(),
            encrypt_then_mac: false,
            extended_master_secret: false,
            early_data: false,
        };
        c.extensions(|ext_type, e| {
            match ext_type {
                EXT_SERVER_NAME => {
                    let list = e.vec16("server_name list")?;
                    let mut list = e.sub(list);
                    while !list.at_end() {
                        let name_type = list.u8("server_name type")?;
                        let name = list.vec16("server_name")?;
                        if name_type == 0 && hello.server_name.is_none() {
                            hello.server_name = Some(text(name));
                        }
                    }
                }
                EXT_SUPPORTED_VERSIONS => {
                    let list = e.vec8("supported_versions")?;
                    hello.supported_versions = u16_list(list).map(ProtocolVersion).collect();
                }
                EXT_ALPN => hello.alpn = alpn_list(e)?,
                EXT_ENCRYPT_THEN_MAC => hello.encrypt_then_mac = true,
                EXT_EXTENDED_MASTER_SECRET => hello.extended_master_secret = true,
                EXT_EARLY_DATA => hello.early_data = true,
                _ => {}
            }
            Ok(())
        })?;
        Ok(hello)
    }
}

impl ServerHello {
    /// Parses a ServerHello body (without the handshake header).
    pub(crate) fn parse(body: &[u8], offset: u64) -> Result<ServerHello, TlsError> {
        let mut c = Cursor {
            data: body,
            pos: 0,
            message: "ServerHello",
            offset,
        };
        let legacy_version = ProtocolVersion(c.u16("legacy_version")?);
        let random = c.random()?;
        c.vec8("session_id")?;
        let cipher_suite = CipherSuite(c.u16("cipher_suite")?);
        c.u8("compression_method")?;
        let mut hello = ServerHello {
            legacy_version,
            random,
            cipher_suite,
            selected_version: None,
            alpn: None,
            encrypt_then_mac: false,
            extended_master_secret: false,
            hello_retry_request: random == HELLO_RETRY_REQUEST_RANDOM,
        };
        c.extensions(|ext_type, e| {
            match ext_type {
                EXT_SUPPORTED_VERSIONS => {
                    hello.selected_version = Some(ProtocolVersion(e.u16("supported_versions")?));
                }
                EXT_ALPN => hello.alpn = alpn_list(e)?.into_iter().next(),
                EXT_ENCRYPT_THEN_MAC => hello.encrypt_then_mac = true,
                EXT_EXTENDED_MASTER_SECRET => hello.extended_master_secret = true,
                _ => {}
            }
            Ok(())
        })?;
        Ok(hello)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn ext(t: u16, body: &[u8]) -> Vec<u8> {
        let mut v = t.to_be_bytes().to_vec();
        v.extend_from_slice(&(body.len() as u16).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn client_hello_fields() {
        let mut body = vec![3, 3];
        body.extend_from_slice(&[7; 32]);
        body.extend_from_slice(&[0]); // session id
        body.extend_from_slice(&[0, 4, 0x13, 0x01, 0xc0, 0x2f]);
        body.extend_from_slice(&[1, 0]);
        let mut exts = ext(0, &[0, 8, 0, 0, 5, b'a', b'.', b'b', b'.', b'c']);
        exts.extend(ext(43, &[4, 3, 4, 3, 3]));
        exts.extend(ext(16, &[0, 3, 2, b'h', b'2']));
        exts.extend(ext(22, &[]));
        body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        body.extend(exts);
        let hello = ClientHello::parse(&body, 0).unwrap();
        assert_eq!(hello.random, [7; 32]);
        assert_eq!(
            hello.cipher_suites,
            [CipherSuite(0x1301), CipherSuite(0xc02f)]
        );
        assert_eq!(hello.server_name.as_deref(), Some("a.b.c"));
        assert_eq!(
            hello.supported_versions,
            [ProtocolVersion::TLS13, ProtocolVersion::TLS12]
        );
        assert_eq!(hello.alpn, ["h2"]);
        assert!(hello.encrypt_then_mac && !hello.early_data);
        // Every truncation is a clean error naming the message.
        for cut in 0..body.len() {
            if let Err(e) = ClientHello::parse(&body[..cut], 9) {
                assert!(matches!(
                    e,
                    TlsError::MalformedHandshake {
                        offset: 9,
                        message: "ClientHello",
                        ..
                    }
                ));
            }
        }
        assert!(ClientHello::parse(&body[..40], 0).is_err());
    }

    #[test]
    fn server_hello_version_and_hrr() {
        let mut body = vec![3, 3];
        body.extend_from_slice(&HELLO_RETRY_REQUEST_RANDOM);
        body.extend_from_slice(&[0, 0x13, 0x02, 0]);
        let exts = ext(43, &[3, 4]);
        body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        body.extend(exts);
        let hello = ServerHello::parse(&body, 0).unwrap();
        assert!(hello.hello_retry_request);
        assert_eq!(hello.version(), ProtocolVersion::TLS13);
        assert_eq!(hello.cipher_suite, CipherSuite(0x1302));
        let plain = ServerHello::parse(&body[..38], 0).unwrap();
        assert_eq!(plain.version(), ProtocolVersion::TLS12);
    }
}
