//! `oncp gateway --saml`'s checks, spoken to over HTTPS without a browser
//! (loopback, no root): the SAML request, the mock IdP's password and MFA
//! steps (wrong answers refused, steps in order, the sign-in used once),
//! and the assertion consumer (a forged assertion refused, a good one
//! accepted once, the DSID `Secure; HttpOnly`). The browser side is in
//! `e2e_sso.rs`.

use oncp::auth::http::LoginHttp;
use oncp::gateway::login::config::LoginConfig;
use oncp::gateway::saml::SamlMode;
use oncp::gateway::saml::assertion::{decode, encode};
use oncp::gateway::{GatewayConfig, GatewayHandle};
use oncp::login::flow::{HttpRequest, HttpResponse};
use oncp::tls::client::{TlsClient, TlsOptions};

struct Client {
    http: LoginHttp,
    base: String,
}

impl Client {
    async fn new(gw: &GatewayHandle) -> Client {
        let tls = TlsClient::new(&TlsOptions {
            pins: vec![gw.pin.parse().unwrap()],
            ..Default::default()
        })
        .unwrap();
        Client {
            http: LoginHttp::new(&tls, "oncp-test").unwrap(),
            base: format!("https://127.0.0.1:{}", gw.tls_addr.port()),
        }
    }

    async fn get(&self, path: &str) -> HttpResponse {
        let req = HttpRequest {
            url: format!("{}{path}", self.base).parse().unwrap(),
            body: None,
        };
        self.http.send(&req, None).await.unwrap()
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> HttpResponse {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let req = HttpRequest {
            url: format!("{}{path}", self.base).parse().unwrap(),
            body: Some(body),
        };
        self.http.send(&req, None).await.unwrap()
    }
}

/// The value of the hidden field `name` in a page.
fn hidden(page: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + key.len();
    let len = page[at..].find('"').unwrap();
    page[at..at + len]
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
}

/// The IdP sign-in key the page's script carries.
fn txn(page: &str) -> String {
    let at = page.find("const txn = \"").expect("txn in the page") + 13;
    let len = page[at..].find('"').unwrap();
    page[at..at + len].to_string()
}

fn ok(r: &HttpResponse) -> bool {
    serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["ok"] == true
}

async fn gateway() -> GatewayHandle {
    let mut c = GatewayConfig::loopback_echo();
    c.users = vec![("alice".into(), "s3cret".into())];
    c.login = LoginConfig {
        saml: SamlMode::Only,
        saml_mfa_code: Some("424242".into()),
        ..Default::default()
    };
    oncp::gateway::serve(c).await.unwrap()
}

/// A request through the IdP's page up to the self-posting response page.
async fn idp_signin(c: &Client) -> (String, String) {
    let start = c.get("/").await;
    assert_eq!(start.status, 302);
    let page = c.get(start.location.as_deref().unwrap()).await.body;
    let request = hidden(&page, "SAMLRequest");
    let relay = hidden(&page, "RelayState");
    let idp = c
        .post(
            "/idp/sso",
            &[("SAMLRequest", &request), ("RelayState", &relay)],
        )
        .await;
    assert_eq!(idp.status, 200);
    assert!(!idp.body.contains("<form"), "the IdP page has no form");
    let t = txn(&idp.body);
    // MFA before the password: refused.
    assert!(!ok(&c
        .post("/idp/mfa", &[("txn", &t), ("code", "424242")])
        .await));
    let wrong = [
        ("txn", t.as_str()),
        ("username", "alice"),
        ("password", "nope"),
    ];
    assert!(!ok(&c.post("/idp/login", &wrong).await));
    let right = [
        ("txn", t.as_str()),
        ("username", "alice"),
        ("password", "s3cret"),
    ];
    assert!(ok(&c.post("/idp/login", &right).await));
    assert!(!ok(&c
        .post("/idp/mfa", &[("txn", &t), ("code", "000000")])
        .await));
    let mfa = c.post("/idp/mfa", &[("txn", &t), ("code", "424242")]).await;
    assert!(ok(&mfa));
    let next: serde_json::Value = serde_json::from_str(&mfa.body).unwrap();
    let posted = c.get(next["next"].as_str().unwrap()).await;
    assert_eq!(posted.status, 200);
    assert!(
        posted
            .body
            .contains("action=\"/dana-na/auth/saml-consumer.cgi\"")
    );
    // The page is issued once.
    assert_eq!(c.get(next["next"].as_str().unwrap()).await.status, 403);
    (
        hidden(&posted.body, "SAMLResponse"),
        hidden(&posted.body, "RelayState"),
    )
}

#[tokio::test]
async fn the_mock_idp_and_the_assertion_consumer_check_everything() {
    let gw = gateway().await;
    let c = Client::new(&gw).await;
    let (response, relay) = idp_signin(&c).await;
    let acs = "/dana-na/auth/saml-consumer.cgi";

    // A forged user name: the signature no longer matches.
    let forged = encode(
        &decode(&response)
            .unwrap()
            .replace("<saml:NameID>alice<", "<saml:NameID>mallory<"),
    );
    let r = c
        .post(acs, &[("SAMLResponse", &forged), ("RelayState", &relay)])
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("signature"), "{}", r.body);
    assert!(r.set_cookies.iter().all(|c| !c.starts_with("DSID=")));

    // The real one: a session, the DSID Secure and HttpOnly.
    let r = c
        .post(acs, &[("SAMLResponse", &response), ("RelayState", &relay)])
        .await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/dana/home/starter0.cgi"));
    let dsid_cookie = r
        .set_cookies
        .iter()
        .find(|c| c.starts_with("DSID="))
        .expect("DSID set");
    assert!(dsid_cookie.contains("Secure") && dsid_cookie.contains("HttpOnly"));
    let dsid = dsid_cookie["DSID=".len()..].split(';').next().unwrap();
    assert_eq!(gw.session_user(dsid).as_deref(), Some("alice"));

    // Replayed: the request it answers was used.
    let r = c
        .post(acs, &[("SAMLResponse", &response), ("RelayState", &relay)])
        .await;
    assert_eq!(r.status, 403, "{}", r.body);

    // Garbage is a clear refusal, not a crash.
    for bad in ["", "%%%", &encode("<not saml/>")] {
        let r = c.post(acs, &[("SAMLResponse", bad)]).await;
        assert_eq!(r.status, 403, "{bad:?}: {}", r.body);
    }
    let r = c.post("/idp/sso", &[("SAMLRequest", "bm9wZQ==")]).await;
    assert_eq!(r.status, 400, "{}", r.body);
    gw.shutdown();
}

#[tokio::test]
async fn three_wrong_passwords_end_the_idp_signin() {
    let gw = gateway().await;
    let c = Client::new(&gw).await;
    let page = c.get("/dana-na/auth/saml-start.cgi").await.body;
    let request = hidden(&page, "SAMLRequest");
    let idp = c.post("/idp/sso", &[("SAMLRequest", &request)]).await;
    let t = txn(&idp.body);
    let wrong = [
        ("txn", t.as_str()),
        ("username", "alice"),
        ("password", "x"),
    ];
    for _ in 0..3 {
        assert!(!ok(&c.post("/idp/login", &wrong).await));
    }
    let right = [
        ("txn", t.as_str()),
        ("username", "alice"),
        ("password", "s3cret"),
    ];
    let r = c.post("/idp/login", &right).await;
    assert!(!ok(&r), "the sign-in was forgotten: {}", r.body);
    assert!(r.body.contains("expired"), "{}", r.body);
    gw.shutdown();
}
