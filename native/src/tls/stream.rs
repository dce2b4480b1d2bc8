//! One stream type per side whatever TLS library carries it, so the client
//! driver, the logout, the web login and the gateway do not care which
//! backend was used.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A TLS connection to the gateway.
#[derive(Debug)]
pub enum GatewayStream {
    /// Made with rustls.
    Rustls(Pin<Box<tokio_rustls::client::TlsStream<TcpStream>>>),
    /// Made with OpenSSL (the legacy backend).
    #[cfg(feature = "legacy-tls")]
    OpenSsl(Pin<Box<tokio_openssl::SslStream<TcpStream>>>),
}

/// A client's TLS connection to `oncp gateway`.
#[derive(Debug)]
pub enum ClientStream {
    /// Accepted with rustls.
    Rustls(Pin<Box<tokio_rustls::server::TlsStream<TcpStream>>>),
    /// Accepted with OpenSSL (`--legacy-tls`).
    #[cfg(feature = "legacy-tls")]
    OpenSsl(Pin<Box<tokio_openssl::SslStream<TcpStream>>>),
}

impl GatewayStream {
    /// The gateway's address.
    pub fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        match self {
            GatewayStream::Rustls(s) => s.as_ref().get_ref().get_ref().0.peer_addr(),
            #[cfg(feature = "legacy-tls")]
            GatewayStream::OpenSsl(s) => s.as_ref().get_ref().get_ref().peer_addr(),
        }
    }

    /// The library, protocol version and cipher suite, e.g.
    /// `rustls TLSv1.3 TLS13_AES_256_GCM_SHA384`.
    pub fn describe(&self) -> String {
        match self {
            GatewayStream::Rustls(s) => {
                let c = s.as_ref().get_ref().get_ref().1;
                let v = c
                    .protocol_version()
                    .map(|v| format!("{v:?}"))
                    .unwrap_or_default();
                let suite = c
                    .negotiated_cipher_suite()
                    .map(|s| format!("{:?}", s.suite()))
                    .unwrap_or_default();
                format!("rustls {v} {suite}")
            }
            #[cfg(feature = "legacy-tls")]
            GatewayStream::OpenSsl(s) => {
                let (version, suite) = super::legacy_client::negotiated(s.as_ref().get_ref().ssl());
                format!("OpenSSL {version} {suite}")
            }
        }
    }
}

/// Delegates the tokio I/O traits of an enum of boxed streams to its
/// variants.
macro_rules! delegate_io {
    ($ty:ident) => {
        impl AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $ty::Rustls(s) => s.as_mut().poll_read(cx, buf),
                    #[cfg(feature = "legacy-tls")]
                    $ty::OpenSsl(s) => s.as_mut().poll_read(cx, buf),
                }
            }
        }

        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                match self.get_mut() {
                    $ty::Rustls(s) => s.as_mut().poll_write(cx, buf),
                    #[cfg(feature = "legacy-tls")]
                    $ty::OpenSsl(s) => s.as_mut().poll_write(cx, buf),
                }
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $ty::Rustls(s) => s.as_mut().poll_flush(cx),
                    #[cfg(feature = "legacy-tls")]
                    $ty::OpenSsl(s) => s.as_mut().poll_flush(cx),
                }
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                match self.get_mut() {
                    $ty::Rustls(s) => s.as_mut().poll_shutdown(cx),
                    #[cfg(feature = "legacy-tls")]
                    $ty::OpenSsl(s) => s.as_mut().poll_shutdown(cx),
                }
            }
        }
    };
}

delegate_io!(GatewayStream);
delegate_io!(ClientStream);
