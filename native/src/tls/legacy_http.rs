//! HTTP/1.1 requests over our own [`GatewayStream`], for the web login
//! when the gateway needs the OpenSSL backend.
//!
//! The login's reqwest client is built on our rustls configuration and
//! cannot use another TLS library (its native-tls connector could not
//! check `--servercert` pins nor lower OpenSSL's security level). So when
//! [`TlsClient::uses_openssl`] (or a rustls handshake fails in a way
//! `auto` falls back from), each login request is sent here instead: a
//! fresh connection made by [`TlsClient::connect`] — same trust, pins,
//! `--resolve` and key log as the tunnel — and hyper's HTTP/1.1 client on
//! it, one request per connection.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

use super::client::TlsClient;
use super::stream::GatewayStream;

/// A response: status, headers (lower-case names) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// HTTP status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Sends one request over a new connection from `tls` and reads the
/// response, refusing a body larger than `max_body` bytes.
pub async fn send(
    tls: &TlsClient,
    method: &str,
    url: &url::Url,
    headers: &[(String, String)],
    body: Option<Vec<u8>>,
    max_body: usize,
) -> anyhow::Result<RawResponse> {
    let host = url
        .host_str()
        .ok_or_else(|| anyhow::anyhow!("{url}: no host"))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| anyhow::anyhow!("{url}: no port"))?;
    let stream = tls.connect(host, port).await?;
    exchange(stream, method, url, headers, body, max_body).await
}

/// One request and its response on `stream`.
pub async fn exchange(
    stream: GatewayStream,
    method: &str,
    url: &url::Url,
    headers: &[(String, String)],
    body: Option<Vec<u8>>,
    max_body: usize,
) -> anyhow::Result<RawResponse> {
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    let driver = tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!("login connection: {e}");
        }
    });
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let mut req = http::Request::builder().method(method).uri(target);
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        let host = url.host_str().unwrap_or_default();
        req = req.header(
            "host",
            match url.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_string(),
            },
        );
    }
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let req = req.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
    let mut resp = sender.send_request(req).await?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    while let Some(frame) = resp.body_mut().frame().await {
        if let Ok(data) = frame?.into_data() {
            if body.len() + data.len() > max_body {
                driver.abort();
                anyhow::bail!("{url}: page larger than {max_body} bytes");
            }
            body.extend_from_slice(&data);
        }
    }
    driver.abort();
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}
