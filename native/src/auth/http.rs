//! The login's HTTP client: reqwest on our rustls configuration (same
//! trust, pins and `ring` provider as the tunnel), redirects and cookies
//! left to the flow (OpenConnect's rules, auth.md §1), OpenConnect's
//! headers (`NCP-Version: 3`, `X-Pad`). When the gateway needs the
//! OpenSSL backend (`--tls-backend openssl`, or `auto` after rustls found
//! no common suite), requests go over our own stream instead
//! (`crate::tls::legacy_http`), with the same trust and pins.

use super::http_dump::HttpDump;
use crate::login::flow::{HttpRequest, HttpResponse};
use crate::tls::client::TlsClient;

/// Largest login page read (a sign-in page is a few kilobytes).
pub const MAX_PAGE: usize = 1 << 20;

/// The default User-Agent (OpenConnect 9.01's, which gateways know).
pub const DEFAULT_USER_AGENT: &str = "Open AnyConnect VPN Agent v9.01";

/// Sends login requests.
#[derive(Debug, Clone)]
pub struct LoginHttp {
    client: reqwest::Client,
    user_agent: String,
    dump: Option<HttpDump>,
    tls: TlsClient,
}

/// `X-Pad`: zeros so that body length + pad is a multiple of 64 (1 to 64).
pub fn x_pad(body_len: usize) -> String {
    "0".repeat(64 - body_len % 64)
}

impl LoginHttp {
    /// A client using `tls`'s configuration.
    pub fn new(tls: &TlsClient, user_agent: &str) -> anyhow::Result<LoginHttp> {
        let config = (*tls.rustls_config()).clone();
        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls(config)
            .redirect(reqwest::redirect::Policy::none())
            // Like OpenConnect (and like the tunnel's own connection):
            // no proxy from HTTP_PROXY/HTTPS_PROXY.
            .no_proxy()
            .timeout(std::time::Duration::from_secs(60));
        // `--resolve`: reqwest takes the port from the URL, not from here.
        for (host, ip) in tls.resolve_overrides() {
            builder = builder.resolve(host, std::net::SocketAddr::new(*ip, 0));
        }
        Ok(LoginHttp {
            client: builder.build()?,
            user_agent: user_agent.to_string(),
            dump: None,
            tls: tls.clone(),
        })
    }

    /// Logs every request and response (`--dump-http-traffic`).
    pub fn with_dump(mut self, dump: Option<HttpDump>) -> LoginHttp {
        self.dump = dump;
        self
    }

    /// Sends `req` with the jar's `Cookie` header.
    pub async fn send(
        &self,
        req: &HttpRequest,
        cookie: Option<String>,
    ) -> anyhow::Result<HttpResponse> {
        let mut b = match &req.body {
            Some(_) => self.client.post(req.url.clone()),
            None => self.client.get(req.url.clone()),
        }
        .header("User-Agent", &self.user_agent);
        if let Some(c) = cookie {
            b = b.header("Cookie", c);
        }
        b = b.header("NCP-Version", "3");
        if let Some(body) = &req.body {
            b = b
                .header("X-Pad", x_pad(body.len()))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(body.clone());
        }
        tracing::debug!("{req:?}");
        let built = b.build()?;
        if let Some(d) = &self.dump {
            let headers = header_pairs(built.headers());
            for line in d.request(
                built.method().as_str(),
                built.url().as_str(),
                &headers,
                req.body.as_deref(),
            ) {
                tracing::info!("{line}");
            }
        }
        let (status, resp_headers, body) = self.execute(built, req).await?;
        let header = |name: &'static str| {
            resp_headers
                .iter()
                .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let set_cookies = header("set-cookie").collect();
        let location = header("location").next();
        tracing::debug!("-> {status}, {} bytes", body.len());
        let body = String::from_utf8_lossy(&body).into_owned();
        if let Some(d) = &self.dump {
            for line in d.response(status, &resp_headers, &body) {
                tracing::info!("{line}");
            }
        }
        Ok(HttpResponse {
            status,
            set_cookies,
            location,
            body,
        })
    }
}

impl LoginHttp {
    /// Sends `built` with reqwest (rustls), or over our own stream when
    /// the gateway needs OpenSSL; returns status, headers and body.
    async fn execute(
        &self,
        built: reqwest::Request,
        req: &HttpRequest,
    ) -> anyhow::Result<(u16, Vec<(String, String)>, Vec<u8>)> {
        let copy = built.try_clone();
        if !self.tls.uses_openssl() {
            match self.client.execute(built).await {
                Ok(resp) => {
                    self.tls.note_rustls_worked();
                    return read_reqwest(resp, req).await;
                }
                Err(e) if copy.is_some() && self.tls.should_fall_back(&e) => {
                    tracing::debug!("{req:?}: {}; retrying over our own stream", error_chain(&e));
                }
                Err(e) => anyhow::bail!("{req:?}: {}", error_chain(&e)),
            }
        }
        let built = copy.ok_or_else(|| anyhow::anyhow!("{req:?}: request cannot be resent"))?;
        own_stream(&self.tls, built, req).await
    }
}

async fn read_reqwest(
    mut resp: reqwest::Response,
    req: &HttpRequest,
) -> anyhow::Result<(u16, Vec<(String, String)>, Vec<u8>)> {
    let status = resp.status().as_u16();
    let headers = header_pairs(resp.headers());
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > MAX_PAGE {
            anyhow::bail!("{req:?}: page larger than {MAX_PAGE} bytes");
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, headers, body))
}

#[cfg(feature = "legacy-tls")]
async fn own_stream(
    tls: &TlsClient,
    built: reqwest::Request,
    req: &HttpRequest,
) -> anyhow::Result<(u16, Vec<(String, String)>, Vec<u8>)> {
    let headers = header_pairs(built.headers());
    let body = built.body().and_then(|b| b.as_bytes()).map(<[u8]>::to_vec);
    let send = crate::tls::legacy_http::send(
        tls,
        built.method().as_str(),
        built.url(),
        &headers,
        body,
        MAX_PAGE,
    );
    let r = tokio::time::timeout(std::time::Duration::from_secs(60), send)
        .await
        .map_err(|_| anyhow::anyhow!("{req:?}: timed out"))?
        .map_err(|e| anyhow::anyhow!("{req:?}: {e:#}"))?;
    Ok((r.status, r.headers, r.body))
}

#[cfg(not(feature = "legacy-tls"))]
async fn own_stream(
    _: &TlsClient,
    _: reqwest::Request,
    req: &HttpRequest,
) -> anyhow::Result<(u16, Vec<(String, String)>, Vec<u8>)> {
    anyhow::bail!("{req:?}: this oncp was built without the legacy-tls feature")
}

/// Header names and values as text.
fn header_pairs(h: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// An error with its causes (reqwest hides the TLS reason in them).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn x_pad_rounds_to_64() {
        assert_eq!(super::x_pad(47), "0".repeat(17));
        assert_eq!(super::x_pad(64).len(), 64);
        assert_eq!(super::x_pad(0).len(), 64);
        assert_eq!(super::x_pad(63).len(), 1);
    }
}
