//! The OpenSSL backend against a `--legacy-tls` server and a modern one:
//! `auto` falls back only when rustls shares nothing with the server, and
//! the same pins and CA checks apply, before any byte is sent.

use std::sync::atomic::Ordering;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::backend::TlsBackend;
use super::client::{TlsClient, TlsConnectError, TlsOptions};
use super::test_server;

fn echo4(req: &[u8]) -> Vec<u8> {
    req.iter().take(4).copied().collect()
}

async fn round_trip(client: &TlsClient, host: &str, port: u16) -> Result<String, TlsConnectError> {
    let mut s = client.connect(host, port).await?;
    s.write_all(b"ping").await.unwrap();
    let mut b = [0u8; 4];
    s.read_exact(&mut b).await.unwrap();
    assert_eq!(&b, b"ping");
    Ok(s.describe())
}

fn client(backend: TlsBackend, pin: &str) -> TlsClient {
    TlsClient::new(&TlsOptions {
        pins: vec![pin.parse().unwrap()],
        backend,
        ..Default::default()
    })
    .unwrap()
}

#[tokio::test]
async fn auto_falls_back_to_openssl_for_a_legacy_server_and_stays_there() {
    let (srv, _) = test_server::start_legacy(4, echo4).await;
    let auto = client(TlsBackend::Auto, &srv.pin);
    assert!(!auto.uses_openssl());
    assert!(!auto.openssl_built(), "OpenSSL is set up only when needed");
    let described = round_trip(&auto, "localhost", srv.port).await.unwrap();
    assert!(
        described.starts_with("OpenSSL TLSv1.2 TLS_RSA_WITH_AES_"),
        "{described}"
    );
    assert!(
        auto.uses_openssl(),
        "later connections go straight to OpenSSL"
    );
    assert!(auto.openssl_built());
    round_trip(&auto, "localhost", srv.port).await.unwrap();

    // rustls alone cannot talk to it.
    let rustls_only = client(TlsBackend::Rustls, &srv.pin);
    match round_trip(&rustls_only, "localhost", srv.port).await {
        Err(TlsConnectError::Handshake { source, .. }) => {
            assert!(rustls_only.should_fall_back(&source) || !rustls_only.uses_openssl());
            assert!(
                super::backend::chain_is_incompatibility(&source),
                "{source}"
            );
        }
        other => panic!("expected a handshake failure, got {other:?}"),
    }
}

#[tokio::test]
async fn auto_keeps_rustls_for_a_modern_server_and_openssl_can_talk_to_it_too() {
    let srv = test_server::start(4, echo4).await;
    let auto = client(TlsBackend::Auto, &srv.pin);
    let d = round_trip(&auto, "localhost", srv.port).await.unwrap();
    assert!(d.starts_with("rustls TLSv1_3"), "{d}");
    assert!(!auto.uses_openssl());
    assert!(
        !auto.openssl_built(),
        "a session rustls serves never initialises OpenSSL"
    );
    let ossl = client(TlsBackend::Openssl, &srv.pin);
    assert!(
        ossl.openssl_built(),
        "--tls-backend openssl sets it up at once"
    );
    let d = round_trip(&ossl, "localhost", srv.port).await.unwrap();
    assert!(d.starts_with("OpenSSL TLSv1.3"), "{d}");
}

#[tokio::test]
async fn pin_mismatch_is_refused_before_any_byte_is_sent() {
    let (srv, received) = test_server::start_legacy(4, echo4).await;
    let wrong = format!("pin-sha256:{}", "A".repeat(43) + "=");
    for backend in [TlsBackend::Openssl, TlsBackend::Auto] {
        let c = client(backend, &wrong);
        match c.connect("localhost", srv.port).await {
            Err(TlsConnectError::CertificateRejected { pin, reason }) => {
                assert_eq!(pin, srv.pin, "{backend:?}");
                assert!(reason.contains("--servercert"), "{reason}");
            }
            other => panic!("{backend:?}: expected rejection, got {other:?}"),
        }
        assert_eq!(c.last_pin().as_deref(), Some(srv.pin.as_str()));
    }
    // Every hex form pins on OpenSSL too.
    let der = rustls::pki_types::CertificateDer::from_pem_slice(srv.cert_pem.as_bytes()).unwrap();
    let prints = super::pin::CertFingerprints::of_der(&der).unwrap();
    for good in [
        format!("sha256:{}", prints.cert_sha256_hex),
        format!("sha1:{}", &prints.cert_sha1_hex[..12]),
    ] {
        round_trip(&client(TlsBackend::Openssl, &good), "localhost", srv.port)
            .await
            .unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        received.load(Ordering::SeqCst),
        8,
        "only the two pinned connections sent bytes"
    );
}

use rustls::pki_types::pem::PemObject;

#[tokio::test]
async fn cafile_and_names_are_checked_and_system_roots_alone_refuse() {
    let (srv, received) = test_server::start_legacy(4, echo4).await;
    let dir = std::env::temp_dir().join(format!("oncp-legacy-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &srv.cert_pem).unwrap();
    let keylog = dir.join("keys.log");
    let trusted = TlsClient::new(&TlsOptions {
        cafile: Some(ca),
        keylog: Some(keylog.clone()),
        backend: TlsBackend::Openssl,
        ..Default::default()
    })
    .unwrap();
    round_trip(&trusted, "localhost", srv.port).await.unwrap();
    let logged = std::fs::read_to_string(&keylog).unwrap();
    assert!(
        logged.lines().any(|l| l.starts_with("CLIENT_RANDOM ")),
        "{logged}"
    );
    // Same certificate, other name (127.0.0.1 is not in it): refused.
    let err = trusted.connect("127.0.0.1", srv.port).await.unwrap_err();
    assert!(
        matches!(err, TlsConnectError::CertificateRejected { .. }),
        "{err}"
    );
    // System roots only: the self-signed certificate is refused, with its pin.
    let system = TlsClient::new(&TlsOptions {
        system_trust: true,
        backend: TlsBackend::Auto,
        ..Default::default()
    })
    .unwrap();
    let err = system.connect("localhost", srv.port).await.unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("--servercert {}", srv.pin)),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        received.load(Ordering::SeqCst),
        4,
        "only the trusted one sent"
    );
}

#[tokio::test]
async fn web_login_requests_reach_a_legacy_server_over_our_own_stream() {
    use crate::auth::http::LoginHttp;
    use crate::login::flow::HttpRequest;
    let (srv, _) = test_server::start_legacy(usize::MAX, |req| {
        let text = String::from_utf8_lossy(req);
        if text.starts_with("POST /dana-na/auth/url_default/login.cgi HTTP/1.1\r\n")
            && text.contains("\r\ncookie: DSSignInURL=/\r\n")
            && text.contains("\r\nncp-version: 3\r\n")
            && text.to_ascii_lowercase().contains("\r\nhost: localhost:")
        {
            b"HTTP/1.1 302 Found\r\nLocation: /dana/home/starter0.cgi\r\nSet-Cookie: DSID=abc; path=/\r\nContent-Length: 2\r\n\r\nok"
                .to_vec()
        } else {
            format!("HTTP/1.1 400 Bad\r\nContent-Length: {}\r\n\r\n{text}", text.len()).into_bytes()
        }
    })
    .await;
    for backend in [TlsBackend::Auto, TlsBackend::Openssl] {
        let tls = client(backend, &srv.pin);
        let http = LoginHttp::new(&tls, "ua").unwrap();
        let url = format!(
            "https://localhost:{}/dana-na/auth/url_default/login.cgi",
            srv.port
        );
        let req = HttpRequest {
            url: url.parse().unwrap(),
            body: Some("username=u&password=p".into()),
        };
        let resp = http.send(&req, Some("DSSignInURL=/".into())).await.unwrap();
        assert_eq!(resp.status, 302, "{backend:?}: {}", resp.body);
        assert_eq!(resp.location.as_deref(), Some("/dana/home/starter0.cgi"));
        assert_eq!(resp.set_cookies, ["DSID=abc; path=/"]);
        assert_eq!(resp.body, "ok");
    }
    // rustls only: a clear handshake error, no fallback.
    let tls = client(TlsBackend::Rustls, &srv.pin);
    let http = LoginHttp::new(&tls, "ua").unwrap();
    let req = HttpRequest {
        url: format!("https://localhost:{}/", srv.port).parse().unwrap(),
        body: None,
    };
    let err = http.send(&req, None).await.unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("handshake"),
        "{err:#}"
    );
}

/// A TLS 1.0-only server (RSA key exchange, AES-128-CBC-SHA, security
/// level 0) that echoes 4 bytes; returns its port and pin.
async fn tls10_server() -> (u16, String) {
    use openssl::ssl::{SslAcceptor, SslMethod, SslVersion};
    let (key, cert) = test_server::rsa_localhost_cert();
    let pin = super::pin::pin_sha256_of_der(cert.der()).unwrap();
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
    // The Mozilla profile disables TLS 1.0/1.1 by option: undo that.
    b.clear_options(openssl::ssl::SslOptions::NO_TLSV1 | openssl::ssl::SslOptions::NO_TLSV1_1);
    b.set_min_proto_version(Some(SslVersion::TLS1)).unwrap();
    b.set_max_proto_version(Some(SslVersion::TLS1)).unwrap();
    b.set_cipher_list("AES128-SHA:@SECLEVEL=0").unwrap();
    b.set_private_key(&key).unwrap();
    b.set_certificate(&openssl::x509::X509::from_der(cert.der()).unwrap())
        .unwrap();
    let acceptor = super::acceptor::ServerAcceptor::OpenSsl(std::sync::Arc::new(b.build()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut s) = acceptor.accept(tcp).await {
                    let mut b = [0u8; 4];
                    if s.read_exact(&mut b).await.is_ok() {
                        let _ = s.write_all(&b).await;
                        let _ = s.flush().await;
                    }
                }
            });
        }
    });
    (port, pin)
}

#[tokio::test]
async fn auto_reaches_a_tls_1_0_server_and_names_it_obsolete() {
    let (port, pin) = tls10_server().await;
    let auto = client(TlsBackend::Auto, &pin);
    let d = round_trip(&auto, "localhost", port).await.unwrap();
    assert_eq!(d, "OpenSSL TLSv1 TLS_RSA_WITH_AES_128_CBC_SHA");
    assert_eq!(
        super::backend::weaknesses("TLSv1", "TLS_RSA_WITH_AES_128_CBC_SHA")[0],
        "an obsolete protocol version (RFC 8996)"
    );
    let rustls_only = client(TlsBackend::Rustls, &pin);
    assert!(round_trip(&rustls_only, "localhost", port).await.is_err());
}

#[tokio::test]
async fn no_fallback_once_rustls_has_worked_in_the_session() {
    // One client (one session) meets a modern server, then a legacy one
    // (as if an attacker now refused every modern suite): no downgrade.
    let modern = test_server::start(4, echo4).await;
    let (legacy, received) = test_server::start_legacy(4, echo4).await;
    let auto = TlsClient::new(&TlsOptions {
        pins: vec![modern.pin.parse().unwrap(), legacy.pin.parse().unwrap()],
        ..Default::default()
    })
    .unwrap();
    round_trip(&auto, "localhost", modern.port).await.unwrap();
    let err = auto.connect("localhost", legacy.port).await.unwrap_err();
    assert!(err.to_string().contains("downgrade"), "{err}");
    assert!(!auto.uses_openssl());
    assert_eq!(received.load(Ordering::SeqCst), 0);
}
