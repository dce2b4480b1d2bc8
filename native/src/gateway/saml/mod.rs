//! `oncp gateway --saml`: sign-in through SAML 2.0 with a mock identity
//! provider on the same listener.
//!
//! The gateway (the service provider) sends its `AuthnRequest` by the
//! HTTP-POST binding from [`START_PATH`] to the IdP under `/idp/`
//! ([`idp`]); the IdP's script-built page asks for the password and an
//! MFA code, then posts a signed assertion ([`assertion`]) to the
//! gateway's assertion consumer [`ACS_PATH`], which checks it, sets
//! `DSID` (`Secure; HttpOnly`) and redirects to the start page.
//!
//! `--saml` (or `--saml=only`) makes SSO the only way in: `/` leads
//! straight to the IdP. `--saml=button` keeps the sign-in form and adds a
//! "Sign in with SSO" button next to it.

pub mod assertion;
pub mod datetime;
pub mod idp;
pub mod pages;
pub mod state;
pub mod xml;

use std::sync::Arc;

use super::Shared;
use super::http::{Request, Response};
use super::portal::{STARTER_PATH, WELCOME_PATH};
use assertion::{AuthnRequest, SamlError, TEST_SIGNING_KEY, decode, encode, verify_response};

/// Where a SAML sign-in starts (the self-posting `AuthnRequest`).
pub const START_PATH: &str = "/dana-na/auth/saml-start.cgi";
/// The gateway's assertion consumer.
pub const ACS_PATH: &str = "/dana-na/auth/saml-consumer.cgi";
/// The IdP's single sign-on endpoint.
pub const IDP_SSO_PATH: &str = "/idp/sso";
/// The IdP's password check.
pub const IDP_LOGIN_PATH: &str = "/idp/login";
/// The IdP's MFA check.
pub const IDP_MFA_PATH: &str = "/idp/mfa";
/// The IdP's page that posts the assertion.
pub const CONTINUE_PATH: &str = "/idp/continue";

/// Whether and how the gateway offers SAML sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SamlMode {
    /// No SAML.
    #[default]
    Off,
    /// SAML is the only sign-in: `/` goes to the IdP.
    Only,
    /// The sign-in form plus a "Sign in with SSO" button.
    Button,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A random SAML ID (`_` and 32 hex digits).
fn random_id(rng: &mut dyn oncp_core::rng::Random) -> String {
    let mut b = [0u8; 16];
    rng.fill(&mut b);
    format!("_{}", hex::encode(b))
}

/// Answers the SAML and IdP requests; `None` for everything else (the
/// form sign-in and the tunnel).
pub fn handle(req: &Request, shared: &Arc<Shared>) -> Option<Response> {
    let mode = shared.config.login.saml;
    if mode == SamlMode::Off {
        return None;
    }
    let (path, query) = req
        .head
        .target
        .split_once('?')
        .unwrap_or((req.head.target.as_str(), ""));
    let q = |n: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.into_owned())
    };
    Some(match (req.head.method.as_str(), path) {
        ("GET", "/") | ("GET", WELCOME_PATH) if mode == SamlMode::Only => {
            Response::redirect(START_PATH)
        }
        ("GET", START_PATH) => start(shared),
        ("POST", ACS_PATH) => consume(req, shared),
        ("POST", IDP_SSO_PATH) => idp::start(req, shared),
        ("POST", IDP_LOGIN_PATH) => idp::password(req, shared),
        ("POST", IDP_MFA_PATH) => idp::mfa(req, shared),
        ("GET", CONTINUE_PATH) => idp::finish(&q("txn").unwrap_or_default(), shared),
        _ => return None,
    })
}

/// The self-posting `AuthnRequest` to the IdP.
fn start(shared: &Shared) -> Response {
    let mut rng = crate::runtime::os_rng::OsRng;
    let id = shared.saml.requests.insert("_", (), &mut rng);
    let request = AuthnRequest {
        id,
        acs: ACS_PATH.into(),
    };
    Response::new(
        200,
        pages::post_binding(
            "Redirecting to your identity provider",
            IDP_SSO_PATH,
            &[
                ("SAMLRequest", &encode(&request.to_xml(now_secs()))),
                ("RelayState", STARTER_PATH),
            ],
        ),
    )
}

/// The assertion consumer: a verified assertion for an outstanding
/// request (each used once) opens a session.
fn consume(req: &Request, shared: &Shared) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(&req.body).into_owned().collect();
    let response = form
        .iter()
        .find(|(k, _)| k == "SAMLResponse")
        .map(|(_, v)| v.as_str())
        .ok_or(SamlError::Missing("SAMLResponse"))
        .and_then(decode)
        .and_then(|xml| verify_response(&xml, ACS_PATH, now_secs(), TEST_SIGNING_KEY));
    let a = match response {
        Ok(a) => a,
        Err(e) => {
            tracing::info!("SAML response refused: {e}");
            return Response::new(403, pages::failure(&e.to_string()));
        }
    };
    if shared.saml.requests.take(&a.in_response_to).is_none() {
        tracing::info!("SAML response for an unknown or used request refused");
        return Response::new(
            403,
            pages::failure("This sign-in was not started here or was already used."),
        );
    }
    tracing::info!("user {:?} signed in through SAML", a.user);
    super::portal::open_session(shared, &a.user)
}
