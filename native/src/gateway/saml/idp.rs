//! The mock identity provider: takes the gateway's `AuthnRequest`
//! (HTTP-POST binding), serves the script-built sign-in page, checks the
//! user's password and then an MFA code (JSON answers to the page's
//! `fetch` calls), and finally posts a signed assertion back to the
//! gateway's assertion consumer. Users are the gateway's own (`--user`);
//! the code is `--saml-mfa-code`, else any 6 to 8 digits. Passwords and
//! codes are never logged.

use std::sync::Arc;

use super::assertion::{
    Assertion, AuthnRequest, TEST_SIGNING_KEY, VALIDITY_SECS, decode, encode, signed_response,
};
use super::state::{IdpSignin, IdpStage};
use super::{ACS_PATH, CONTINUE_PATH, pages};
use crate::gateway::Shared;
use crate::gateway::http::{Request, Response};

/// Wrong passwords or codes allowed in one IdP sign-in.
pub const MAX_FAILURES: u32 = 3;

fn form(req: &Request) -> Vec<(String, String)> {
    form_urlencoded::parse(&req.body).into_owned().collect()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn json(value: serde_json::Value) -> Response {
    Response::json(200, value.to_string())
}

fn refused(error: &str) -> Response {
    json(serde_json::json!({ "ok": false, "error": error }))
}

/// `POST /idp/sso`: a new IdP sign-in for the gateway's request.
pub fn start(req: &Request, shared: &Arc<Shared>) -> Response {
    let f = form(req);
    let request = field(&f, "SAMLRequest")
        .ok_or(super::assertion::SamlError::Missing("SAMLRequest"))
        .and_then(decode)
        .and_then(|xml| AuthnRequest::parse(&xml));
    let request = match request {
        Ok(r) if r.acs == ACS_PATH => r,
        Ok(_) => return Response::new(400, pages::failure("Unknown assertion consumer.")),
        Err(e) => return Response::new(400, pages::failure(&e.to_string())),
    };
    let signin = IdpSignin {
        request_id: request.id,
        acs: request.acs,
        relay_state: field(&f, "RelayState").unwrap_or("").to_string(),
        user: None,
        stage: IdpStage::Password,
        failures: 0,
    };
    let txn = shared
        .saml
        .idp
        .insert("idp", signin, &mut crate::runtime::os_rng::OsRng);
    Response::new(200, pages::idp_signin(&txn))
}

/// Counts a failure; past [`MAX_FAILURES`] the sign-in is forgotten.
fn failed(shared: &Shared, txn: &str, mut s: IdpSignin, error: &str) -> Response {
    s.failures += 1;
    if s.failures >= MAX_FAILURES {
        shared.saml.idp.take(txn);
        return refused("Too many failures. Start the sign-in again.");
    }
    shared.saml.idp.update(txn, s);
    refused(error)
}

/// `POST /idp/login`: the user name and password.
pub fn password(req: &Request, shared: &Arc<Shared>) -> Response {
    let f = form(req);
    let txn = field(&f, "txn").unwrap_or("");
    let Some(mut s) = shared
        .saml
        .idp
        .get(txn)
        .filter(|s| s.stage == IdpStage::Password)
    else {
        return refused("This sign-in has expired. Start again.");
    };
    let (user, pass) = (
        field(&f, "username").unwrap_or(""),
        field(&f, "password").unwrap_or(""),
    );
    if !crate::gateway::credentials::user_matches(&shared.config.users, user, pass) {
        tracing::info!("mock IdP: wrong password for user {user:?}");
        return failed(shared, txn, s, "Wrong user name or password.");
    }
    s.user = Some(user.to_string());
    s.stage = IdpStage::Mfa;
    shared.saml.idp.update(txn, s);
    json(serde_json::json!({ "ok": true }))
}

/// `POST /idp/mfa`: the second factor.
pub fn mfa(req: &Request, shared: &Arc<Shared>) -> Response {
    let f = form(req);
    let txn = field(&f, "txn").unwrap_or("");
    let Some(mut s) = shared
        .saml
        .idp
        .get(txn)
        .filter(|s| s.stage == IdpStage::Mfa)
    else {
        return refused("This sign-in has expired. Start again.");
    };
    let expected = shared.config.login.saml_mfa_code.as_deref();
    if !crate::gateway::credentials::code_ok(expected, field(&f, "code").unwrap_or("")) {
        tracing::info!("mock IdP: wrong code for user {:?}", s.user);
        return failed(shared, txn, s, "Wrong verification code.");
    }
    s.stage = IdpStage::Done;
    shared.saml.idp.update(txn, s);
    let next = format!("{CONTINUE_PATH}?txn={txn}");
    json(serde_json::json!({ "ok": true, "next": next }))
}

/// `GET /idp/continue?txn=…`: the signed response, posted to the
/// gateway by the page's script.
pub fn finish(txn: &str, shared: &Arc<Shared>) -> Response {
    let done = shared
        .saml
        .idp
        .get(txn)
        .filter(|s| s.stage == IdpStage::Done)
        .and_then(|_| shared.saml.idp.take(txn));
    let Some(IdpSignin {
        request_id,
        acs,
        relay_state,
        user: Some(user),
        ..
    }) = done
    else {
        return Response::new(403, pages::failure("This sign-in has not been completed."));
    };
    let now = super::now_secs();
    let a = Assertion {
        user,
        in_response_to: request_id,
        recipient: acs.clone(),
        not_on_or_after: now + VALIDITY_SECS,
    };
    let mut rng = crate::runtime::os_rng::OsRng;
    let ids = (super::random_id(&mut rng), super::random_id(&mut rng));
    let xml = signed_response(&a, (&ids.0, &ids.1), now, TEST_SIGNING_KEY);
    tracing::info!(
        "mock IdP: user {:?} signed in; posting the assertion",
        a.user
    );
    Response::new(
        200,
        pages::post_binding(
            "Signing in",
            &acs,
            &[
                ("SAMLResponse", &encode(&xml)),
                ("RelayState", &relay_state),
            ],
        ),
    )
}
