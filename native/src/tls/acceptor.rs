//! The gateway's TLS acceptor: rustls, or OpenSSL with only legacy suites
//! (`oncp gateway --legacy-tls`), behind one type.

use std::path::Path;

use tokio::net::TcpStream;

use super::stream::ClientStream;

/// Accepts TLS connections with the backend the gateway was started with.
#[derive(Clone)]
pub enum ServerAcceptor {
    /// rustls (TLS 1.2 and 1.3, modern suites).
    Rustls(tokio_rustls::TlsAcceptor),
    /// OpenSSL with [`super::legacy_server::CIPHERS`] only.
    #[cfg(feature = "legacy-tls")]
    OpenSsl(std::sync::Arc<openssl::ssl::SslAcceptor>),
}

impl std::fmt::Debug for ServerAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ServerAcceptor::Rustls(_) => "ServerAcceptor::Rustls",
            #[cfg(feature = "legacy-tls")]
            ServerAcceptor::OpenSsl(_) => "ServerAcceptor::OpenSsl",
        })
    }
}

impl ServerAcceptor {
    /// Runs the server side of the handshake.
    pub async fn accept(&self, tcp: TcpStream) -> std::io::Result<ClientStream> {
        match self {
            ServerAcceptor::Rustls(a) => Ok(ClientStream::Rustls(Box::pin(a.accept(tcp).await?))),
            #[cfg(feature = "legacy-tls")]
            ServerAcceptor::OpenSsl(a) => {
                let ssl = openssl::ssl::Ssl::new(a.context()).map_err(std::io::Error::other)?;
                let mut s = Box::pin(
                    tokio_openssl::SslStream::new(ssl, tcp).map_err(std::io::Error::other)?,
                );
                s.as_mut().accept().await.map_err(std::io::Error::other)?;
                Ok(ClientStream::OpenSsl(s))
            }
        }
    }
}

/// The gateway's TLS: an acceptor, its certificate's pin and PEM.
#[derive(Debug, Clone)]
pub struct GatewayTls {
    /// The acceptor.
    pub acceptor: ServerAcceptor,
    /// `pin-sha256:…` of the certificate.
    pub pin: String,
    /// The certificate (PEM).
    pub cert_pem: String,
}

impl GatewayTls {
    /// A self-signed certificate for `names`; RSA and OpenSSL with legacy
    /// suites when `legacy`.
    pub fn self_signed(names: &[String], legacy: bool) -> anyhow::Result<GatewayTls> {
        if legacy {
            #[cfg(feature = "legacy-tls")]
            return Ok(legacy_identity(super::legacy_server::self_signed(names)?));
            #[cfg(not(feature = "legacy-tls"))]
            anyhow::bail!(NO_LEGACY);
        }
        Ok(Self::from_identity(super::server::self_signed(names)?))
    }

    /// The certificate chain and key in PEM files.
    pub fn from_files(cert: &Path, key: &Path, legacy: bool) -> anyhow::Result<GatewayTls> {
        if legacy {
            #[cfg(feature = "legacy-tls")]
            return Ok(legacy_identity(super::legacy_server::from_files(
                cert, key,
            )?));
            #[cfg(not(feature = "legacy-tls"))]
            anyhow::bail!(NO_LEGACY);
        }
        Ok(Self::from_identity(super::server::from_files(cert, key)?))
    }

    fn from_identity(id: super::server::ServerIdentity) -> GatewayTls {
        GatewayTls {
            acceptor: ServerAcceptor::Rustls(tokio_rustls::TlsAcceptor::from(id.config)),
            pin: id.pin,
            cert_pem: id.cert_pem,
        }
    }
}

#[cfg(not(feature = "legacy-tls"))]
const NO_LEGACY: &str = "--legacy-tls: this oncp was built without the legacy-tls feature";

#[cfg(feature = "legacy-tls")]
fn legacy_identity(id: super::legacy_server::LegacyIdentity) -> GatewayTls {
    GatewayTls {
        acceptor: ServerAcceptor::OpenSsl(std::sync::Arc::new(id.acceptor)),
        pin: id.pin,
        cert_pem: id.cert_pem,
    }
}
