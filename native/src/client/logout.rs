//! The logout request (spec §9.2): on a new TLS connection, after the
//! tunnel's connection is closed. The request bytes and the response parser
//! are core's; this only moves them.

use crate::tls::client::TlsClient;
use oncp_core::oncp::wire::http::{ResponseHead, head_len};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Longest response head accepted.
const MAX_HEAD: usize = 16 * 1024;

/// Why the logout did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum LogoutError {
    /// Connecting failed.
    #[error(transparent)]
    Connect(#[from] crate::tls::client::TlsConnectError),
    /// Reading or writing failed.
    #[error("logout request: {0}")]
    Io(#[from] std::io::Error),
    /// The answer was not an HTTP response head.
    #[error("logout response: {0}")]
    Response(String),
    /// The gateway answered with an error status.
    #[error("logout failed: HTTP {0}")]
    Status(u16),
    /// No answer in time.
    #[error("logout timed out")]
    Timeout,
}

/// Sends `request` (core's logout request for the session's cookie) to
/// `host:port` on a new TLS connection and reads the status, all within
/// `limit`. A 2xx or 3xx status counts as success (redirects are not
/// followed).
pub async fn logout(
    tls: &TlsClient,
    host: &str,
    port: u16,
    request: &[u8],
    limit: Duration,
) -> Result<u16, LogoutError> {
    tokio::time::timeout(limit, logout_inner(tls, host, port, request))
        .await
        .map_err(|_| LogoutError::Timeout)?
}

async fn logout_inner(
    tls: &TlsClient,
    host: &str,
    port: u16,
    request: &[u8],
) -> Result<u16, LogoutError> {
    let mut s = tls.connect(host, port).await?;
    s.write_all(request).await?;
    s.flush().await?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    let head_end = loop {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(LogoutError::Response(
                "connection closed before the response head".into(),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        match head_len(&buf) {
            Ok(Some(len)) => break len,
            Ok(None) if buf.len() < MAX_HEAD => continue,
            Ok(None) => return Err(LogoutError::Response("response head too long".into())),
            Err(e) => return Err(LogoutError::Response(e.to_string())),
        }
    };
    let head =
        ResponseHead::parse(&buf[..head_end]).map_err(|e| LogoutError::Response(e.to_string()))?;
    let _ = s.shutdown().await;
    match head.status {
        200..=399 => Ok(head.status),
        other => Err(LogoutError::Status(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::test_server;
    use oncp_core::oncp::wire::http::TunnelRequest;

    async fn send(srv: &test_server::TestServer) -> Result<u16, LogoutError> {
        let req = TunnelRequest {
            host: "localhost".into(),
            port: srv.port,
            user_agent: "ua".into(),
            cookie: "DSID=abc".into(),
        };
        logout(
            &srv.pinned_client(),
            "localhost",
            srv.port,
            &req.logout_bytes(),
            crate::client::outcome::LOGOUT_TIMEOUT,
        )
        .await
    }

    #[tokio::test]
    async fn redirect_counts_as_success_and_the_request_carries_the_cookie() {
        let srv = test_server::start(usize::MAX, |req| {
            let text = String::from_utf8_lossy(req);
            if text.starts_with("GET /dana-na/auth/logout.cgi HTTP/1.1\r\n")
                && text.contains("\r\nCookie: DSID=abc\r\n")
            {
                b"HTTP/1.1 302 Found\r\nLocation: /\r\n\r\n".to_vec()
            } else {
                b"HTTP/1.1 400 Bad\r\n\r\n".to_vec()
            }
        })
        .await;
        assert_eq!(send(&srv).await.unwrap(), 302);
    }

    #[tokio::test]
    async fn error_status_is_reported() {
        let srv = test_server::start(usize::MAX, |_| b"HTTP/1.1 500 Oops\r\n\r\n".to_vec()).await;
        let err = send(&srv).await.unwrap_err();
        assert!(matches!(err, LogoutError::Status(500)), "{err}");
    }

    #[tokio::test]
    async fn garbage_answer_is_a_response_error() {
        let srv = test_server::start(usize::MAX, |_| b"SSH-2.0-nope\r\n\r\n".to_vec()).await;
        let err = send(&srv).await.unwrap_err();
        assert!(matches!(err, LogoutError::Response(_)), "{err}");
    }
}
