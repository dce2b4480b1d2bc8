//! The mock SAML 2.0 messages: the gateway's `AuthnRequest` and the
//! IdP's `Response` with one signed `Assertion`. The signature is an
//! HMAC-SHA256 over the exact bytes of the `<saml:Assertion>` element,
//! keyed with [`TEST_SIGNING_KEY`] — a fixed key shared by the mock IdP
//! and the gateway in the same process, for tests only. The gateway
//! reads every field it trusts from the signed bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::datetime;
use super::xml::{attr, element, escape, text};

/// The mock IdP's entity ID (the `Issuer` of its responses).
pub const IDP_ENTITY: &str = "urn:oncp:mock-idp";
/// The gateway's entity ID (the `Issuer` of its requests and the
/// assertion's `Audience`).
pub const SP_ENTITY: &str = "urn:oncp:gateway";
/// The fixed test key the mock IdP signs with and the gateway checks.
pub const TEST_SIGNING_KEY: &[u8] = b"oncp mock IdP signing key (tests only)";
/// How long an assertion is valid after it is issued.
pub const VALIDITY_SECS: u64 = 300;
/// Largest SAML message accepted (decoded).
pub const MAX_MESSAGE: usize = 16 * 1024;

const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// Why a SAML message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SamlError {
    /// Not base64, not UTF-8 or too long.
    #[error("the SAML message is not base64 text of at most {MAX_MESSAGE} bytes")]
    Encoding,
    /// A required element or attribute is missing or repeated.
    #[error("the SAML message has no single {0}")]
    Missing(&'static str),
    /// The signature does not match the signed bytes.
    #[error("the assertion's signature does not verify")]
    BadSignature,
    /// The status is not Success.
    #[error("the identity provider reported a failure")]
    NotSuccess,
    /// Issued by someone else.
    #[error("the assertion comes from an unknown issuer")]
    WrongIssuer,
    /// Meant for someone else.
    #[error("the assertion is meant for another audience or recipient")]
    WrongAudience,
    /// Past its `NotOnOrAfter`.
    #[error("the assertion has expired")]
    Expired,
}

/// Decodes a base64 SAML form field to XML text.
pub fn decode(field: &str) -> Result<String, SamlError> {
    if field.len() > MAX_MESSAGE * 4 / 3 + 4 {
        return Err(SamlError::Encoding);
    }
    let raw = BASE64
        .decode(field.trim())
        .map_err(|_| SamlError::Encoding)?;
    String::from_utf8(raw).map_err(|_| SamlError::Encoding)
}

/// Encodes XML for a SAML form field.
pub fn encode(xml: &str) -> String {
    BASE64.encode(xml)
}

/// The gateway's sign-in request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequest {
    /// Its ID (echoed as `InResponseTo`).
    pub id: String,
    /// Where the response is to be posted.
    pub acs: String,
}

impl AuthnRequest {
    /// The request as XML.
    pub fn to_xml(&self, now: u64) -> String {
        format!(
            "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
             xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{}\" Version=\"2.0\" \
             IssueInstant=\"{}\" AssertionConsumerServiceURL=\"{}\" \
             ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\">\
             <saml:Issuer>{SP_ENTITY}</saml:Issuer></samlp:AuthnRequest>",
            escape(&self.id),
            datetime::format(now),
            escape(&self.acs)
        )
    }

    /// Reads a request.
    pub fn parse(xml: &str) -> Result<AuthnRequest, SamlError> {
        let e = element(xml, "samlp:AuthnRequest").ok_or(SamlError::Missing("AuthnRequest"))?;
        if text(e, "saml:Issuer").as_deref() != Some(SP_ENTITY) {
            return Err(SamlError::WrongIssuer);
        }
        Ok(AuthnRequest {
            id: attr(e, "ID").ok_or(SamlError::Missing("ID"))?,
            acs: attr(e, "AssertionConsumerServiceURL")
                .ok_or(SamlError::Missing("AssertionConsumerServiceURL"))?,
        })
    }
}

/// What a verified assertion says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    /// The user (`NameID`).
    pub user: String,
    /// The request it answers.
    pub in_response_to: String,
    /// Where it may be consumed.
    pub recipient: String,
    /// Valid before this Unix time.
    pub not_on_or_after: u64,
}

fn mac(key: &[u8], signed: &str) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(signed.as_bytes());
    m
}

/// The IdP's signed response carrying `a`, issued at `now`.
pub fn signed_response(a: &Assertion, ids: (&str, &str), now: u64, key: &[u8]) -> String {
    let (response_id, assertion_id) = ids;
    let until = datetime::format(a.not_on_or_after);
    let assertion = format!(
        "<saml:Assertion ID=\"{assertion_id}\" Version=\"2.0\" IssueInstant=\"{now}\">\
         <saml:Issuer>{IDP_ENTITY}</saml:Issuer>\
         <saml:Subject><saml:NameID>{user}</saml:NameID>\
         <saml:SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">\
         <saml:SubjectConfirmationData InResponseTo=\"{irt}\" Recipient=\"{rcpt}\" NotOnOrAfter=\"{until}\"/>\
         </saml:SubjectConfirmation></saml:Subject>\
         <saml:Conditions NotOnOrAfter=\"{until}\"><saml:AudienceRestriction>\
         <saml:Audience>{SP_ENTITY}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
         </saml:Assertion>",
        now = datetime::format(now),
        user = escape(&a.user),
        irt = escape(&a.in_response_to),
        rcpt = escape(&a.recipient),
    );
    let sig = BASE64.encode(mac(key, &assertion).finalize().into_bytes());
    format!(
        "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{response_id}\" Version=\"2.0\" \
         IssueInstant=\"{}\" InResponseTo=\"{}\" Destination=\"{}\">\
         <saml:Issuer>{IDP_ENTITY}</saml:Issuer>\
         <samlp:Status><samlp:StatusCode Value=\"{SUCCESS}\"/></samlp:Status>{assertion}\
         <ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\
         <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#hmac-sha256\"/>\
         <ds:SignatureValue>{sig}</ds:SignatureValue></ds:Signature></samlp:Response>",
        datetime::format(now),
        escape(&a.in_response_to),
        escape(&a.recipient),
    )
}

/// Checks a response: the signature over the assertion (constant time,
/// before anything in it is read), success status, issuer, audience,
/// recipient `acs` and validity at `now`. Returns what the signed
/// assertion says.
pub fn verify_response(xml: &str, acs: &str, now: u64, key: &[u8]) -> Result<Assertion, SamlError> {
    let response = element(xml, "samlp:Response").ok_or(SamlError::Missing("Response"))?;
    let assertion = element(response, "saml:Assertion").ok_or(SamlError::Missing("Assertion"))?;
    let sig = text(response, "ds:SignatureValue").ok_or(SamlError::Missing("SignatureValue"))?;
    let sig = BASE64.decode(sig).map_err(|_| SamlError::BadSignature)?;
    mac(key, assertion)
        .verify_slice(&sig)
        .map_err(|_| SamlError::BadSignature)?;
    let status = element(response, "samlp:StatusCode").ok_or(SamlError::Missing("StatusCode"))?;
    if attr(status, "Value").as_deref() != Some(SUCCESS) {
        return Err(SamlError::NotSuccess);
    }
    if text(assertion, "saml:Issuer").as_deref() != Some(IDP_ENTITY) {
        return Err(SamlError::WrongIssuer);
    }
    if text(assertion, "saml:Audience").as_deref() != Some(SP_ENTITY) {
        return Err(SamlError::WrongAudience);
    }
    let conf = element(assertion, "saml:SubjectConfirmationData")
        .ok_or(SamlError::Missing("SubjectConfirmationData"))?;
    let recipient = attr(conf, "Recipient").ok_or(SamlError::Missing("Recipient"))?;
    if recipient != acs {
        return Err(SamlError::WrongAudience);
    }
    let not_on_or_after = attr(conf, "NotOnOrAfter")
        .and_then(|t| datetime::parse(&t))
        .ok_or(SamlError::Missing("NotOnOrAfter"))?;
    if now >= not_on_or_after {
        return Err(SamlError::Expired);
    }
    Ok(Assertion {
        user: text(assertion, "saml:NameID").ok_or(SamlError::Missing("NameID"))?,
        in_response_to: attr(conf, "InResponseTo").ok_or(SamlError::Missing("InResponseTo"))?,
        recipient,
        not_on_or_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACS: &str = "/dana-na/auth/saml-consumer.cgi";
    const NOW: u64 = 1_796_584_800;

    fn sample() -> Assertion {
        Assertion {
            user: "alice <&>".into(),
            in_response_to: "_req1".into(),
            recipient: ACS.into(),
            not_on_or_after: NOW + VALIDITY_SECS,
        }
    }

    #[test]
    fn a_signed_response_verifies_and_round_trips() {
        let xml = signed_response(&sample(), ("_r1", "_a1"), NOW, TEST_SIGNING_KEY);
        let got = verify_response(&decode(&encode(&xml)).unwrap(), ACS, NOW, TEST_SIGNING_KEY);
        assert_eq!(got, Ok(sample()));
    }

    #[test]
    fn tampering_wrong_key_expiry_and_recipient_are_refused() {
        let xml = signed_response(&sample(), ("_r1", "_a1"), NOW, TEST_SIGNING_KEY);
        let forged = xml.replace("alice &lt;&amp;&gt;", "mallory");
        assert_eq!(
            verify_response(&forged, ACS, NOW, TEST_SIGNING_KEY),
            Err(SamlError::BadSignature)
        );
        assert_eq!(
            verify_response(&xml, ACS, NOW, b"another key"),
            Err(SamlError::BadSignature)
        );
        assert_eq!(
            verify_response(&xml, ACS, NOW + VALIDITY_SECS, TEST_SIGNING_KEY),
            Err(SamlError::Expired)
        );
        assert_eq!(
            verify_response(&xml, "/elsewhere", NOW, TEST_SIGNING_KEY),
            Err(SamlError::WrongAudience)
        );
        // A second assertion smuggled in: not a single one any more.
        let two = xml.replace(
            "<ds:Signature",
            "<saml:Assertion ID=\"x\"></saml:Assertion><ds:Signature",
        );
        assert_eq!(
            verify_response(&two, ACS, NOW, TEST_SIGNING_KEY),
            Err(SamlError::Missing("Assertion"))
        );
        assert_eq!(decode("%%%"), Err(SamlError::Encoding));
        assert_eq!(
            decode(&"A".repeat(MAX_MESSAGE * 2)),
            Err(SamlError::Encoding)
        );
    }

    #[test]
    fn authn_request_round_trips() {
        let r = AuthnRequest {
            id: "_abc".into(),
            acs: ACS.into(),
        };
        assert_eq!(AuthnRequest::parse(&r.to_xml(NOW)), Ok(r));
        assert_eq!(
            AuthnRequest::parse("<samlp:AuthnRequest ID=\"x\"></samlp:AuthnRequest>"),
            Err(SamlError::WrongIssuer)
        );
    }
}
