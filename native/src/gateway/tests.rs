//! The gateway served on loopback (echo mode), spoken to over real TLS:
//! certificate pin, HTTP routing, sign-in and logout, cookie checks on the
//! tunnel request, bounded request heads and bodies.

use std::time::Duration;

use oncp_core::oncp::wire::http::{ResponseHead, TUNNEL_PATH, head_len};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{GatewayConfig, GatewayHandle, serve};
use crate::tls::client::{TlsClient, TlsOptions};

async fn gateway(users: &[(&str, &str)], dsids: &[&str]) -> GatewayHandle {
    let mut cfg = GatewayConfig::loopback_echo();
    cfg.users = users
        .iter()
        .map(|(u, p)| (u.to_string(), p.to_string()))
        .collect();
    cfg.dsids = dsids.iter().map(|d| d.to_string()).collect();
    serve(cfg).await.expect("gateway starts")
}

fn client(pin: &str) -> TlsClient {
    TlsClient::new(&TlsOptions {
        pins: vec![pin.parse().expect("pin")],
        ..Default::default()
    })
    .expect("TLS client")
}

/// Sends `request` on a new connection; returns the response head and
/// body (per Content-Length), or everything up to EOF.
async fn exchange(gw: &GatewayHandle, request: &[u8]) -> (ResponseHead, Vec<u8>) {
    let tls = client(&gw.pin);
    let mut s = tls
        .connect("127.0.0.1", gw.tls_addr.port())
        .await
        .expect("TLS connects with the printed pin");
    s.write_all(request).await.unwrap();
    s.flush().await.unwrap();
    read_response(&mut s).await.expect("a response")
}

async fn read_response<S: tokio::io::AsyncRead + Unpin>(
    s: &mut S,
) -> Option<(ResponseHead, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let n = loop {
        if let Some(n) = head_len(&buf).unwrap() {
            break n;
        }
        let r = tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk))
            .await
            .expect("answer in time")
            .unwrap_or(0);
        if r == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..r]);
    };
    let head = ResponseHead::parse(&buf[..n]).unwrap();
    let len: usize = head
        .header("content-length")
        .map_or(0, |v| v.parse().unwrap());
    while buf.len() < n + len {
        let r = s.read(&mut chunk).await.unwrap();
        assert_ne!(r, 0, "body cut short");
        buf.extend_from_slice(&chunk[..r]);
    }
    Some((head, buf[n..n + len].to_vec()))
}

fn get(path: &str, cookie: Option<&str>) -> Vec<u8> {
    let c = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nHost: gw\r\n{c}\r\n").into_bytes()
}

fn post_form(path: &str, form: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: gw\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )
    .into_bytes()
}

fn tunnel_request(dsid: &str) -> Vec<u8> {
    format!(
        "POST {TUNNEL_PATH} HTTP/1.1\r\nHost: gw\r\nCookie: DSID={dsid}\r\nContent-Length: 256\r\nNCP-Version: 3\r\n\r\n"
    )
    .into_bytes()
}

fn set_cookie_dsid(head: &ResponseHead) -> Option<String> {
    head.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.strip_prefix("DSID="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .filter(|v| !v.is_empty())
}

const LOGIN: &str = "/dana-na/auth/url_default/login.cgi";

#[tokio::test]
async fn wrong_pin_is_refused() {
    let gw = gateway(&[], &[]).await;
    let other = crate::tls::server::self_signed(&["localhost".into()]).unwrap();
    assert_ne!(other.pin, gw.pin);
    let r = client(&other.pin)
        .connect("127.0.0.1", gw.tls_addr.port())
        .await;
    assert!(r.is_err(), "a different pin must not verify");
    gw.shutdown();
}

#[tokio::test]
async fn sign_in_pages_issue_a_dsid_that_opens_the_tunnel_until_logout() {
    let gw = gateway(&[("alice", "s3cret")], &[]).await;

    let (h, _) = exchange(&gw, &get("/", None)).await;
    assert_eq!(h.status, 302);
    let welcome = h.header("location").unwrap().to_string();
    let (h, body) = exchange(&gw, &get(&welcome, None)).await;
    assert_eq!(h.status, 200);
    let page = String::from_utf8(body).unwrap();
    assert!(
        page.contains("name=\"frmLogin\"") && page.contains(LOGIN),
        "{page}"
    );

    // Wrong password: back to the sign-in page, no cookie.
    let (h, _) = exchange(&gw, &post_form(LOGIN, "username=alice&password=nope")).await;
    assert_eq!(h.status, 302);
    assert!(h.header("location").unwrap().contains("p=failed"));
    assert_eq!(set_cookie_dsid(&h), None);
    let (h, _) = exchange(&gw, &post_form(LOGIN, "username=bob&password=s3cret")).await;
    assert_eq!(set_cookie_dsid(&h), None, "unknown user");

    // Right password, by POST and by GET with the fields in the query.
    let (h, _) = exchange(&gw, &post_form(LOGIN, "username=alice&password=s3cret")).await;
    assert_eq!(h.status, 302);
    let dsid = set_cookie_dsid(&h).expect("DSID issued");
    assert_eq!(dsid.len(), 32);
    let (h, _) = exchange(
        &gw,
        &get(&format!("{LOGIN}?username=alice&password=s3cret"), None),
    )
    .await;
    let dsid2 = set_cookie_dsid(&h).expect("DSID issued by GET");
    assert_ne!(dsid, dsid2);

    // The tunnel request with the cookie is accepted.
    let (h, _) = exchange(&gw, &tunnel_request(&dsid)).await;
    assert_eq!(h.status, 200, "issued DSID opens the tunnel");

    // Logout invalidates it.
    let (h, body) = exchange(
        &gw,
        &get("/dana-na/auth/logout.cgi", Some(&format!("DSID={dsid}"))),
    )
    .await;
    assert_eq!(h.status, 200);
    assert!(
        !body.is_empty(),
        "OpenConnect counts an empty 200 as a failed logout"
    );
    let (h, _) = exchange(&gw, &tunnel_request(&dsid)).await;
    assert_eq!(h.status, 401, "DSID no longer valid after logout");
    let (h, _) = exchange(&gw, &tunnel_request(&dsid2)).await;
    assert_eq!(h.status, 200, "the other login is untouched");
    gw.shutdown();
}

#[tokio::test]
async fn tunnel_needs_an_issued_cookie() {
    let gw = gateway(&[], &["preissued0123"]).await;
    let (h, _) = exchange(&gw, &tunnel_request("guessed")).await;
    assert_eq!(h.status, 401);
    let (h, _) = exchange(&gw, &tunnel_request("preissued0123")).await;
    assert_eq!(h.status, 200);
    let issued = gw.issue_dsid("carol").unwrap();
    let (h, _) = exchange(&gw, &tunnel_request(&issued)).await;
    assert_eq!(h.status, 200);
    assert!(gw.accept_dsid("added-later", "dave"));
    let (h, _) = exchange(&gw, &tunnel_request("added-later")).await;
    assert_eq!(h.status, 200);
    assert!(gw.revoke_dsid("added-later"));
    assert!(!gw.revoke_dsid("added-later"));
    let (h, _) = exchange(&gw, &tunnel_request("added-later")).await;
    assert_eq!(h.status, 401);
    assert_eq!(gw.cookie_attempts(), 5);
    let (h, _) = exchange(&gw, &get("/no/such/page", None)).await;
    assert_eq!(h.status, 404);
    gw.shutdown();
}

#[tokio::test]
async fn oversized_heads_and_bodies_close_the_connection() {
    let gw = gateway(&[], &[]).await;
    let tls = client(&gw.pin);

    let mut s = tls.connect("127.0.0.1", gw.tls_addr.port()).await.unwrap();
    let mut huge = b"GET / HTTP/1.1\r\n".to_vec();
    while huge.len() < 40_000 {
        huge.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    // The gateway may close while we are still writing.
    let _ = s.write_all(&huge).await;
    let _ = s.flush().await;
    assert!(
        read_response(&mut s).await.is_none(),
        "no answer to a 40 kB head"
    );

    let mut s = tls.connect("127.0.0.1", gw.tls_addr.port()).await.unwrap();
    s.write_all(
        format!("POST {LOGIN} HTTP/1.1\r\nHost: gw\r\nContent-Length: 100000000\r\n\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    s.flush().await.unwrap();
    assert!(
        read_response(&mut s).await.is_none(),
        "no 100 MB body is awaited"
    );

    // Still serving.
    let (h, _) = exchange(&gw, &get("/", None)).await;
    assert_eq!(h.status, 302);
    gw.shutdown();
}
