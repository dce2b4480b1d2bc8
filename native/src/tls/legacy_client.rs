//! The client's legacy TLS backend: OpenSSL, for gateways that rustls
//! cannot talk to (TLS 1.0/1.1, or TLS 1.2 with only RSA key exchange and
//! CBC suites).
//!
//! Debian's OpenSSL 3 refuses those by default (`/etc/ssl/openssl.cnf`:
//! `MinProtocol = TLSv1.2`, `CipherString = DEFAULT:@SECLEVEL=2`, and
//! OpenSSL 3 allows TLS < 1.2 only at security level 0), so this backend
//! sets its own floor explicitly: minimum protocol TLS 1.0 and the cipher
//! string [`CIPHERS`] at security level 0 (which also accepts SHA-1
//! signatures and RSA keys under 2048 bits, as old gateways have). No
//! NULL, anonymous, export, RC4, DES/3DES, MD5, PSK or SRP suites. The
//! legacy renegotiation option (`SSL_OP_LEGACY_SERVER_CONNECT`, part of
//! `SSL_OP_ALL` that the openssl crate sets) lets it reach servers without
//! RFC 5746 support.
//!
//! Trust is the same as rustls's: with `--servercert` pins the leaf must
//! match one (CA verification is not consulted); otherwise the chain must
//! verify against the system roots (the same `rustls-native-certs` list)
//! and/or `--cafile`, for the host name. The checks run inside the
//! handshake (the verify callback aborts it) and the pin is checked again
//! on the finished connection before it is handed out, so no HTTP byte
//! (cookie) is ever written to an unverified gateway.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use openssl::ssl::{SslConnector, SslMethod, SslRef, SslVerifyMode, SslVersion};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509, X509StoreContextRef};
use tokio::net::TcpStream;

use super::error::{TlsConnectError, TlsSetupError};
use super::options::{TlsOptions, load_pem_certs};
use super::pin::{CertFingerprints, Pin};

/// The legacy backend's cipher list (TLS ≤ 1.2; TLS 1.3 keeps OpenSSL's
/// defaults): forward-secret AEAD first, then RSA key exchange and CBC,
/// at security level 0.
pub const CIPHERS: &str = "ECDHE+AESGCM:ECDHE+CHACHA20:ECDHE+AES:DHE+AESGCM:DHE+AES:RSA+AESGCM:RSA+AES:!aNULL:!eNULL:!MD5:!PSK:!SRP:!DSS:@SECLEVEL=0";

/// An OpenSSL client configuration with oncp's trust rules.
#[derive(Clone)]
pub struct LegacyConnector {
    connector: SslConnector,
    pins: Arc<Vec<Pin>>,
}

impl std::fmt::Debug for LegacyConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyConnector").finish_non_exhaustive()
    }
}

/// What the verify callback saw.
#[derive(Debug, Default)]
struct Verdict {
    /// `pin-sha256:` of the leaf.
    leaf_pin: Option<String>,
    /// Why the certificate was refused.
    rejected: Option<String>,
}

fn setup_err(e: impl std::fmt::Display) -> TlsSetupError {
    TlsSetupError::Backend(format!("OpenSSL: {e}"))
}

/// A [`LegacyConnector`] built on first use. With `--tls-backend auto`
/// most gateways never need OpenSSL, and building its configuration
/// initialises the library and copies the system trust store into an
/// OpenSSL store, which costs the client about 2.5 MB of resident memory
/// for the whole session (measured with scripts/bench-throughput).
pub struct LazyLegacyConnector {
    opts: TlsOptions,
    built: std::sync::OnceLock<LegacyConnector>,
}

impl LazyLegacyConnector {
    /// Remembers `opts`; nothing is built yet.
    pub fn new(opts: &TlsOptions) -> LazyLegacyConnector {
        LazyLegacyConnector {
            opts: opts.clone(),
            built: std::sync::OnceLock::new(),
        }
    }

    /// Whether the OpenSSL configuration has been built.
    pub fn is_built(&self) -> bool {
        self.built.get().is_some()
    }

    /// The connector, built now if it was not yet (a failed build is
    /// tried again next time).
    pub fn get(&self) -> Result<&LegacyConnector, TlsSetupError> {
        if let Some(c) = self.built.get() {
            return Ok(c);
        }
        let c = LegacyConnector::new(&self.opts)?;
        Ok(self.built.get_or_init(|| c))
    }
}

impl LegacyConnector {
    /// Builds the OpenSSL configuration for `opts`.
    pub fn new(opts: &TlsOptions) -> Result<LegacyConnector, TlsSetupError> {
        let mut b = SslConnector::builder(SslMethod::tls_client()).map_err(setup_err)?;
        b.set_min_proto_version(Some(SslVersion::TLS1))
            .map_err(setup_err)?;
        b.set_cipher_list(CIPHERS).map_err(setup_err)?;
        b.set_security_level(0);
        let mut store = X509StoreBuilder::new().map_err(setup_err)?;
        if opts.system_trust && opts.pins.is_empty() {
            let found = rustls_native_certs::load_native_certs();
            let mut added = 0;
            for der in &found.certs {
                if let Ok(c) = X509::from_der(der)
                    && store.add_cert(c).is_ok()
                {
                    added += 1;
                }
            }
            tracing::debug!("OpenSSL: trusting {added} system CA certificates");
        }
        if let Some(path) = &opts.cafile {
            for der in load_pem_certs(path)? {
                let c = X509::from_der(&der).map_err(|e| TlsSetupError::CaFile {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                store.add_cert(c).map_err(setup_err)?;
            }
        }
        b.set_cert_store(store.build());
        if let Some(file) = keylog_file(opts.keylog.as_deref())? {
            let file = Mutex::new(file);
            b.set_keylog_callback(move |_, line| {
                if let Ok(mut f) = file.lock()
                    && let Err(e) = writeln!(f, "{line}")
                {
                    tracing::warn!("writing TLS key log: {e}");
                }
            });
        }
        Ok(LegacyConnector {
            connector: b.build(),
            pins: Arc::new(opts.pins.clone()),
        })
    }

    /// Runs the handshake on `tcp` for `host` (a DNS name or an IP
    /// address, without brackets). `last_pin` receives the leaf's pin.
    pub async fn connect(
        &self,
        host: &str,
        addr: &str,
        tcp: TcpStream,
        last_pin: &Mutex<Option<String>>,
    ) -> Result<tokio_openssl::SslStream<TcpStream>, TlsConnectError> {
        let handshake = |e: String| TlsConnectError::Handshake {
            addr: addr.to_string(),
            source: std::io::Error::other(e),
        };
        let verdict = Arc::new(Mutex::new(Verdict::default()));
        let mut cfg = self
            .connector
            .configure()
            .map_err(|e| handshake(e.to_string()))?;
        if !self.pins.is_empty() {
            cfg.set_verify_hostname(false);
        }
        let (pins, seen) = (self.pins.clone(), verdict.clone());
        cfg.set_verify_callback(SslVerifyMode::PEER, move |ok, ctx| {
            verify(ok, ctx, &pins, &seen)
        });
        let ssl = cfg.into_ssl(host).map_err(|e| handshake(e.to_string()))?;
        let mut stream =
            tokio_openssl::SslStream::new(ssl, tcp).map_err(|e| handshake(e.to_string()))?;
        let result = std::pin::Pin::new(&mut stream).connect().await;
        let verdict = std::mem::take(&mut *verdict.lock().unwrap_or_else(|p| p.into_inner()));
        if let Ok(mut p) = last_pin.lock()
            && verdict.leaf_pin.is_some()
        {
            p.clone_from(&verdict.leaf_pin);
        }
        if let Err(e) = result {
            return Err(match (verdict.rejected, verdict.leaf_pin) {
                (Some(reason), Some(pin)) => TlsConnectError::CertificateRejected { reason, pin },
                _ => handshake(e.to_string()),
            });
        }
        // Belt and braces: the pinned certificate is the one in use.
        if !self.pins.is_empty() {
            let prints = stream
                .ssl()
                .peer_certificate()
                .and_then(|c| c.to_der().ok())
                .and_then(|der| CertFingerprints::of_der(&der).ok());
            if !prints.is_some_and(|p| self.pins.iter().any(|pin| p.matches(pin))) {
                return Err(handshake(
                    "certificate does not match --servercert after the handshake".into(),
                ));
            }
        }
        Ok(stream)
    }
}

/// The verify callback: records the leaf's pin; with pins, only the leaf
/// matters and it must match; otherwise OpenSSL's verdict (chain to a
/// trusted root, validity, host name) stands.
fn verify(
    preverified: bool,
    ctx: &mut X509StoreContextRef,
    pins: &[Pin],
    verdict: &Mutex<Verdict>,
) -> bool {
    let depth = ctx.error_depth();
    let leaf = ctx
        .chain()
        .and_then(|c| c.iter().next())
        .or_else(|| if depth == 0 { ctx.current_cert() } else { None })
        .and_then(|c| c.to_der().ok())
        .and_then(|der| CertFingerprints::of_der(&der).ok());
    let Ok(mut v) = verdict.lock() else {
        return false;
    };
    if let Some(p) = &leaf {
        v.leaf_pin = Some(p.pin_sha256());
    }
    if !pins.is_empty() {
        if depth > 0 {
            return true;
        }
        let ok = leaf.is_some_and(|p| pins.iter().any(|pin| p.matches(pin)));
        if !ok {
            v.rejected = Some("certificate does not match --servercert".into());
        }
        return ok;
    }
    if !preverified && v.rejected.is_none() {
        v.rejected = Some(ctx.error().error_string().to_string());
    }
    preverified
}

/// The key log file: `--keylog`, else `SSLKEYLOGFILE`, else none.
fn keylog_file(path: Option<&Path>) -> Result<Option<std::fs::File>, TlsSetupError> {
    let env = std::env::var_os("SSLKEYLOGFILE").map(std::path::PathBuf::from);
    let Some(path) = path.map(Path::to_path_buf).or(env) else {
        return Ok(None);
    };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map(Some)
        .map_err(|source| TlsSetupError::KeyLog { path, source })
}

/// The negotiated protocol version (`TLSv1.2`) and the cipher suite's
/// standard name (`TLS_RSA_WITH_AES_256_CBC_SHA256`, or OpenSSL's name
/// when it has none).
pub fn negotiated(ssl: &SslRef) -> (String, String) {
    let suite = ssl
        .current_cipher()
        .map(|c| c.standard_name().unwrap_or(c.name()).to_string())
        .unwrap_or_default();
    (ssl.version_str().to_string(), suite)
}
