//! The client's TLS: system roots and/or `--cafile`, or `--servercert`
//! pins; NSS key log output for captures. There is no insecure mode: a
//! certificate that fails verification is refused and its pin reported so
//! the user can decide to pin it.
//!
//! rustls does the handshake unless `--tls-backend` says otherwise; with
//! `auto` (the default) a gateway that shares no protocol version or
//! cipher suite with rustls is retried with the OpenSSL backend
//! ([`super::legacy_client`]), with a warning naming what was negotiated,
//! and later connections (reconnects, logout) go straight to OpenSSL.

use crate::tls::backend::{TlsBackend, chain_is_incompatibility, weaknesses};
use crate::tls::rustls_verify::PinOrCaVerifier;
use crate::tls::stream::GatewayStream;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpStream;

// The options and errors of `TlsClient`, kept below both backends.
pub use crate::tls::error::{TlsConnectError, TlsSetupError};
pub use crate::tls::options::{TlsOptions, load_pem_certs};

/// How long sent data may stay unacknowledged before the connection is
/// declared dead (Linux `TCP_USER_TIMEOUT`).
pub const TCP_USER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// A configured TLS client; cheap to clone.
#[derive(Clone)]
pub struct TlsClient {
    connector: tokio_rustls::TlsConnector,
    last_pin: Arc<Mutex<Option<String>>>,
    resolve: Vec<(String, std::net::IpAddr)>,
    backend: TlsBackend,
    /// `auto` found a gateway rustls cannot talk to: OpenSSL from now on.
    fell_back: Arc<AtomicBool>,
    /// A rustls handshake succeeded in this session: never fall back
    /// later (an attacker forging a handshake_failure alert would
    /// otherwise downgrade the connection).
    rustls_worked: Arc<AtomicBool>,
    /// The OpenSSL backend, built when first needed (see
    /// [`super::legacy_client::LazyLegacyConnector`]).
    #[cfg(feature = "legacy-tls")]
    legacy: Option<Arc<super::legacy_client::LazyLegacyConnector>>,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient").finish_non_exhaustive()
    }
}

/// The crypto provider used everywhere (ring: quick to build, no C
/// toolchain step beyond cc).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl TlsClient {
    /// Builds the client configuration.
    pub fn new(opts: &TlsOptions) -> Result<TlsClient, TlsSetupError> {
        let provider = provider();
        let mut roots = RootCertStore::empty();
        if opts.system_trust && opts.pins.is_empty() {
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                tracing::debug!("system certificate store: {e}");
            }
            let (added, ignored) = roots.add_parsable_certificates(found.certs);
            tracing::debug!("trusting {added} system CA certificates ({ignored} unusable)");
        }
        if let Some(path) = &opts.cafile {
            let (added, _) = roots.add_parsable_certificates(load_pem_certs(path)?);
            if added == 0 {
                return Err(TlsSetupError::CaFile {
                    path: path.clone(),
                    reason: "no usable CA certificate".into(),
                });
            }
        }
        let webpki = if roots.is_empty() {
            None
        } else {
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| rustls::Error::General(e.to_string()))?,
            )
        };
        let last_pin = Arc::new(Mutex::new(None));
        let verifier = Arc::new(PinOrCaVerifier {
            webpki,
            pins: opts.pins.clone(),
            algorithms: provider.signature_verification_algorithms,
            last_pin: last_pin.clone(),
        });
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        if let Some(path) = &opts.keylog {
            config.key_log = Arc::new(FileKeyLog::open(path)?);
        } else if std::env::var_os("SSLKEYLOGFILE").is_some() {
            config.key_log = Arc::new(rustls::KeyLogFile::new());
        }
        if opts.backend == TlsBackend::Openssl && !TlsBackend::LEGACY_AVAILABLE {
            return Err(TlsSetupError::Backend(
                "--tls-backend openssl: this oncp was built without the legacy-tls feature".into(),
            ));
        }
        Ok(TlsClient {
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
            last_pin,
            resolve: opts.resolve.clone(),
            backend: opts.backend,
            fell_back: Arc::new(AtomicBool::new(false)),
            rustls_worked: Arc::new(AtomicBool::new(false)),
            #[cfg(feature = "legacy-tls")]
            legacy: if opts.backend.may_use_openssl() {
                let lazy = super::legacy_client::LazyLegacyConnector::new(opts);
                // With `openssl` it is used at once: report setup errors
                // (a bad CA file, say) before anything else happens.
                if opts.backend == TlsBackend::Openssl {
                    lazy.get()?;
                }
                Some(Arc::new(lazy))
            } else {
                None
            },
        })
    }

    /// Whether the OpenSSL backend's configuration has been built (it is
    /// built on first use, so a session that never falls back never
    /// initialises OpenSSL).
    #[cfg(feature = "legacy-tls")]
    pub fn openssl_built(&self) -> bool {
        self.legacy.as_ref().is_some_and(|l| l.is_built())
    }

    /// Whether connections now go through OpenSSL (`--tls-backend
    /// openssl`, or `auto` after a fallback). The web login then uses our
    /// own stream instead of reqwest, which only speaks rustls.
    pub fn uses_openssl(&self) -> bool {
        self.backend == TlsBackend::Openssl
            || (self.backend == TlsBackend::Auto && self.fell_back.load(Ordering::Relaxed))
    }

    /// Whether a failed rustls handshake (`error`, anywhere in its chain)
    /// should be retried with OpenSSL.
    /// Never once rustls has worked in this session (a gateway does not
    /// lose TLS 1.2/1.3 between reconnects; an attacker's forged alert
    /// could).
    pub fn should_fall_back(&self, error: &(dyn std::error::Error + 'static)) -> bool {
        self.backend == TlsBackend::Auto
            && TlsBackend::LEGACY_AVAILABLE
            && !self.rustls_worked.load(Ordering::Relaxed)
            && chain_is_incompatibility(error)
    }

    /// Records that a rustls handshake with the gateway succeeded (the web
    /// login's reqwest client tells us; our own connections note it).
    pub fn note_rustls_worked(&self) {
        self.rustls_worked.store(true, Ordering::Relaxed);
    }

    /// The rustls configuration (shared with the web login's HTTP client,
    /// so it gets the same trust and pinning).
    pub fn rustls_config(&self) -> Arc<ClientConfig> {
        self.connector.config().clone()
    }

    /// The `--resolve` address for `host`, if one was given (the last
    /// one for a host wins).
    pub fn resolved(&self, host: &str) -> Option<std::net::IpAddr> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.resolve
            .iter()
            .rev()
            .find(|(h, _)| h.eq_ignore_ascii_case(host))
            .map(|(_, ip)| *ip)
    }

    /// The `--resolve` overrides.
    pub fn resolve_overrides(&self) -> &[(String, std::net::IpAddr)] {
        &self.resolve
    }

    /// The `pin-sha256:…` of the last server certificate seen.
    pub fn last_pin(&self) -> Option<String> {
        self.last_pin.lock().ok().and_then(|p| p.clone())
    }

    /// Opens TCP to `host:port` and runs the TLS handshake with the
    /// backend in use, falling back from rustls to OpenSSL under `auto`.
    pub async fn connect(&self, host: &str, port: u16) -> Result<GatewayStream, TlsConnectError> {
        if self.uses_openssl() {
            return self.connect_openssl(host, port).await;
        }
        let rustls_err = match self.connect_rustls(host, port).await {
            Err(TlsConnectError::Handshake { addr, source }) if self.should_fall_back(&source) => {
                (addr, source)
            }
            Err(TlsConnectError::Handshake { addr, source })
                if self.backend == TlsBackend::Auto
                    && self.rustls_worked.load(Ordering::Relaxed)
                    && chain_is_incompatibility(&source) =>
            {
                return Err(TlsConnectError::Handshake {
                    addr,
                    source: std::io::Error::other(format!(
                        "{source}; not retrying with OpenSSL: this gateway spoke modern TLS \
                         earlier in the session (a downgrade attempt?)"
                    )),
                });
            }
            other => return other,
        };
        let (addr, first) = rustls_err;
        tracing::debug!("{addr}: rustls handshake failed ({first}); trying OpenSSL");
        let stream = match self.connect_openssl(host, port).await {
            Ok(s) => s,
            Err(TlsConnectError::Handshake { addr, source }) => {
                return Err(TlsConnectError::Handshake {
                    addr,
                    source: std::io::Error::other(format!(
                        "rustls: {first}; OpenSSL fallback: {source}"
                    )),
                });
            }
            Err(e) => return Err(e),
        };
        self.fell_back.store(true, Ordering::Relaxed);
        Ok(stream)
    }

    /// TCP to `host:port` (or its `--resolve` address).
    async fn tcp(&self, host: &str, port: u16) -> Result<(TcpStream, String), TlsConnectError> {
        let addr = format!("{host}:{port}");
        let tcp = match self.resolved(host) {
            Some(ip) => TcpStream::connect((ip, port)).await,
            None => TcpStream::connect(&addr).await,
        }
        .map_err(|source| TlsConnectError::Tcp {
            addr: addr.clone(),
            source,
        })?;
        let _ = tcp.set_nodelay(true);
        // Unacknowledged data for this long fails the connection. oNCP has
        // no keepalive on TLS (spec §9.1): without this, a gateway that
        // vanishes silently while data goes over TLS leaves the client
        // waiting for TCP's retransmissions (about 15 minutes) instead of
        // reconnecting. An idle connection is never affected.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Err(e) = socket2::SockRef::from(&tcp).set_tcp_user_timeout(Some(TCP_USER_TIMEOUT)) {
            tracing::debug!("TCP_USER_TIMEOUT: {e}");
        }
        Ok((tcp, addr))
    }

    async fn connect_rustls(
        &self,
        host: &str,
        port: u16,
    ) -> Result<GatewayStream, TlsConnectError> {
        let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']'))
            .map_err(|_| TlsConnectError::BadName(host.to_string()))?
            .to_owned();
        let (tcp, addr) = self.tcp(host, port).await?;
        match self.connector.connect(name, tcp).await {
            Ok(s) => {
                self.note_rustls_worked();
                Ok(GatewayStream::Rustls(Box::pin(s)))
            }
            Err(source) => {
                let rejected = source
                    .get_ref()
                    .and_then(|e| e.downcast_ref::<rustls::Error>())
                    .is_some_and(|e| matches!(e, rustls::Error::InvalidCertificate(_)));
                let pin = self.last_pin.lock().map(|p| p.clone()).unwrap_or(None);
                match (rejected, pin) {
                    (true, Some(pin)) => Err(TlsConnectError::CertificateRejected {
                        reason: source.to_string(),
                        pin,
                    }),
                    _ => Err(TlsConnectError::Handshake { addr, source }),
                }
            }
        }
    }

    #[cfg(feature = "legacy-tls")]
    async fn connect_openssl(
        &self,
        host: &str,
        port: u16,
    ) -> Result<GatewayStream, TlsConnectError> {
        let Some(lazy) = &self.legacy else {
            return Err(TlsConnectError::Unavailable(format!(
                "{host}: the OpenSSL backend is not configured"
            )));
        };
        let legacy = lazy
            .get()
            .map_err(|e| TlsConnectError::Unavailable(format!("{host}: {e}")))?;
        let (tcp, addr) = self.tcp(host, port).await?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let s = legacy.connect(bare, &addr, tcp, &self.last_pin).await?;
        let (version, suite) = super::legacy_client::negotiated(s.ssl());
        let weak = weaknesses(&version, &suite);
        if self.backend == TlsBackend::Auto && !self.fell_back.load(Ordering::Relaxed) {
            tracing::warn!(
                "{addr}: the gateway offers no TLS version or cipher suite that rustls accepts; \
                 connected with the OpenSSL fallback using {version} {suite}, which is weaker \
                 than modern TLS ({})",
                if weak.is_empty() {
                    "older configuration".to_string()
                } else {
                    weak.join(", ")
                }
            );
        } else if !weak.is_empty() {
            tracing::warn!(
                "{addr}: OpenSSL negotiated {version} {suite}, which is weak: {}",
                weak.join(", ")
            );
        } else {
            tracing::debug!("{addr}: OpenSSL negotiated {version} {suite}");
        }
        Ok(GatewayStream::OpenSsl(Box::pin(s)))
    }

    #[cfg(not(feature = "legacy-tls"))]
    async fn connect_openssl(
        &self,
        host: &str,
        _port: u16,
    ) -> Result<GatewayStream, TlsConnectError> {
        let _ = weaknesses;
        Err(TlsConnectError::Unavailable(format!(
            "{host}: this oncp was built without the legacy-tls feature (no OpenSSL backend)"
        )))
    }
}

/// Writes TLS secrets in NSS key log format to a named file (appending).
struct FileKeyLog {
    file: Mutex<std::fs::File>,
}

impl std::fmt::Debug for FileKeyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileKeyLog")
    }
}

impl FileKeyLog {
    fn open(path: &Path) -> Result<FileKeyLog, TlsSetupError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| TlsSetupError::KeyLog {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(FileKeyLog {
            file: Mutex::new(file),
        })
    }
}

impl rustls::KeyLog for FileKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = format!(
            "{label} {} {}\n",
            hex::encode(client_random),
            hex::encode(secret)
        );
        if let Ok(mut f) = self.file.lock()
            && let Err(e) = f.write_all(line.as_bytes())
        {
            tracing::warn!("writing TLS key log: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use crate::tls::test_server::TestServer;

    /// A TLS server on loopback that echoes the first 4 bytes.
    async fn server() -> TestServer {
        crate::tls::test_server::start(4, |req| req[..4].to_vec()).await
    }

    async fn round_trip(client: &TlsClient, host: &str, port: u16) -> Result<(), TlsConnectError> {
        let mut s = client.connect(host, port).await?;
        s.write_all(b"ping").await.unwrap();
        let mut b = [0u8; 4];
        s.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"ping");
        Ok(())
    }

    #[tokio::test]
    async fn matching_pin_is_accepted_and_other_pin_refused_with_the_real_pin() {
        let srv = server().await;
        let good = TlsClient::new(&TlsOptions {
            pins: vec![srv.pin.parse().unwrap()],
            ..Default::default()
        })
        .unwrap();
        round_trip(&good, "localhost", srv.port).await.unwrap();

        let wrong = format!("pin-sha256:{}", "A".repeat(43) + "=");
        let bad = TlsClient::new(&TlsOptions {
            pins: vec![wrong.parse().unwrap()],
            system_trust: true,
            ..Default::default()
        })
        .unwrap();
        match round_trip(&bad, "localhost", srv.port).await {
            Err(TlsConnectError::CertificateRejected { pin, .. }) => assert_eq!(pin, srv.pin),
            other => panic!("expected rejection, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn untrusted_certificate_is_refused_by_default_and_its_pin_printed() {
        let srv = server().await;
        let client = TlsClient::new(&TlsOptions {
            system_trust: true,
            ..Default::default()
        })
        .unwrap();
        let err = round_trip(&client, "localhost", srv.port)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("--servercert {}", srv.pin)),
            "{err}"
        );
    }

    #[tokio::test]
    async fn cafile_trusts_the_certificate_for_its_name_only() {
        let srv = server().await;
        let dir = std::env::temp_dir().join(format!("oncp-cafile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, &srv.cert_pem).unwrap();
        let keylog = dir.join("keys.log");
        let client = TlsClient::new(&TlsOptions {
            cafile: Some(ca.clone()),
            keylog: Some(keylog.clone()),
            ..Default::default()
        })
        .unwrap();
        round_trip(&client, "localhost", srv.port).await.unwrap();
        let logged = std::fs::read_to_string(&keylog).unwrap();
        assert!(
            logged
                .lines()
                .any(|l| l.starts_with("CLIENT_TRAFFIC_SECRET_0 ")),
            "{logged}"
        );
        // Same certificate, wrong name: refused.
        let err = round_trip(&client, "127.0.0.1", srv.port)
            .await
            .unwrap_err();
        assert!(
            matches!(err, TlsConnectError::CertificateRejected { .. }),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn empty_cafile_is_a_clear_error() {
        let path = std::env::temp_dir().join(format!("oncp-empty-ca-{}", std::process::id()));
        std::fs::write(&path, "not a certificate\n").unwrap();
        let err = TlsClient::new(&TlsOptions {
            cafile: Some(path.clone()),
            ..Default::default()
        })
        .unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
    }
}
