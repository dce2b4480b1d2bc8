//! A loopback TLS server with a fresh self-signed certificate, for tests.

use crate::tls::client::{TlsClient, TlsOptions, provider};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A running test server.
pub struct TestServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its certificate's pin-sha256.
    pub pin: String,
    /// Its certificate (PEM), valid for `localhost`.
    pub cert_pem: String,
}

impl TestServer {
    /// A client that pins this server.
    pub fn pinned_client(&self) -> TlsClient {
        TlsClient::new(&TlsOptions {
            pins: vec![self.pin.parse().unwrap()],
            ..Default::default()
        })
        .unwrap()
    }
}

/// A TLS acceptor with a fresh self-signed certificate for `localhost`,
/// its pin and the certificate PEM.
pub fn acceptor() -> (tokio_rustls::TlsAcceptor, String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let der = cert.der().clone();
    let pin = crate::tls::pin::pin_sha256_of_der(&der).unwrap();
    let key_der = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der], key_der)
        .unwrap();
    (
        tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        pin,
        cert.pem(),
    )
}

/// A fresh 2048-bit RSA key (as OpenSSL holds it) and a self-signed
/// certificate for `localhost` made with it: what RSA key exchange needs.
#[cfg(feature = "legacy-tls")]
pub fn rsa_localhost_cert() -> (
    openssl::pkey::PKey<openssl::pkey::Private>,
    rcgen::Certificate,
) {
    let rsa = openssl::rsa::Rsa::generate(2048).unwrap();
    let key = openssl::pkey::PKey::from_rsa(rsa).unwrap();
    let pkcs8 = rustls::pki_types::PrivatePkcs8KeyDer::from(key.private_key_to_pkcs8().unwrap());
    let signer =
        rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
        .unwrap()
        .self_signed(&signer)
        .unwrap();
    (key, cert)
}

/// Starts a server; for each connection it reads until the request head
/// ends (`\r\n\r\n`) or `min_read` bytes arrived, whichever is first, and
/// writes `answer(request)`.
pub async fn start(
    min_read: usize,
    answer: impl Fn(&[u8]) -> Vec<u8> + Send + Sync + 'static,
) -> TestServer {
    let (acceptor, pin, cert_pem) = acceptor();
    start_with(
        crate::tls::acceptor::ServerAcceptor::Rustls(acceptor),
        pin,
        cert_pem,
        min_read,
        answer,
    )
    .await
}

/// Like [`start`] with a `--legacy-tls` gateway's TLS (OpenSSL, TLS 1.2
/// RSA-kex AES-CBC only) for `localhost`; also returns a counter of the
/// application bytes the server received.
#[cfg(feature = "legacy-tls")]
pub async fn start_legacy(
    min_read: usize,
    answer: impl Fn(&[u8]) -> Vec<u8> + Send + Sync + 'static,
) -> (TestServer, Arc<std::sync::atomic::AtomicUsize>) {
    let tls = crate::tls::acceptor::GatewayTls::self_signed(&["localhost".into()], true).unwrap();
    let received = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = received.clone();
    let srv = start_with(tls.acceptor, tls.pin, tls.cert_pem, min_read, move |req| {
        counter.fetch_add(req.len(), std::sync::atomic::Ordering::SeqCst);
        answer(req)
    })
    .await;
    (srv, received)
}

async fn start_with(
    acceptor: crate::tls::acceptor::ServerAcceptor,
    pin: String,
    cert_pem: String,
    min_read: usize,
    answer: impl Fn(&[u8]) -> Vec<u8> + Send + Sync + 'static,
) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let answer = answer.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut req = Vec::new();
                let mut b = [0u8; 1024];
                while req.len() < min_read && !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut b).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => req.extend_from_slice(&b[..n]),
                    }
                }
                let reply = answer(&req);
                if req.is_empty() {
                    return;
                }
                let _ = tls.write_all(&reply).await;
                let _ = tls.flush().await;
                let _ = tls.shutdown().await;
            });
        }
    });
    TestServer {
        port,
        pin,
        cert_pem,
    }
}
