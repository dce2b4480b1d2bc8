//! The gateway's web face: who answers a request that does not open a
//! tunnel — the SAML paths first ([`super::saml`]), then the sign-in,
//! landing and logout pages ([`super::login`]).

use std::sync::Arc;

use super::Shared;
use super::http::{Request, Response};

/// Answers a sign-in, landing or logout request.
pub fn handle(req: &Request, shared: &Arc<Shared>) -> Response {
    super::saml::handle(req, shared).unwrap_or_else(|| super::login::handle(req, shared))
}
