//! The EAP login inside IF-T (spec/pulse.md §4): the TCG 5/6/7 messages,
//! the gateway's Juniper/1 requests, the client's answers and the nested
//! credential payloads.

pub mod answer;
pub mod credentials;
pub mod message;
pub mod request;

pub use answer::{ClientAnswer, ClientResponse, Credential};
pub use credentials::{Juniper2Request, Juniper2Response};
pub use message::{AUTH_TYPE_JUNIPER, AuthMessage, AuthStage};
pub use request::{ExistingSession, Failure, Modifiers, RequestKind, ServerRequest};

/// The EAP Identity the client always sends.
pub const IDENTITY: &str = "anonymous";
