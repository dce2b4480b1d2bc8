//! The gateway's half of the Pulse EAP sign-in (spec §4.7): a neutral
//! [`LoginStep`] becomes one Juniper/1 request, and the client's answer
//! to it becomes a neutral [`LoginAnswer`], checked against what was
//! asked.

use alloc::string::String;

use zeroize::Zeroizing;

use crate::pulse::auth::{
    ClientAnswer, ClientResponse, Credential, ExistingSession, Juniper2Request, RequestKind,
    ServerRequest,
};
use crate::pulse::secret::Secret;
use crate::tunnel::{LoginAnswer, LoginStep};

/// Which kind of answer an outstanding request waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Asked {
    /// A realm name (0xd50).
    Realm,
    /// A password (nested Juniper/2 or Juniper/5), echoing `inner_id`.
    Password {
        /// The nested EAP identifier of the request.
        inner_id: u8,
    },
    /// A token code (nested GTC), echoing `inner_id`.
    Token {
        /// The nested EAP identifier of the request.
        inner_id: u8,
    },
    /// A session to end (0xd69).
    Session,
    /// Nothing: the cookie went out, an empty response is due.
    Empty,
}

/// What a step becomes on the wire.
pub(super) enum StepRequest {
    /// A request the client answers.
    Ask(ServerRequest, Asked),
    /// The cookie (0xd53); an empty response is due.
    Cookie(ServerRequest),
    /// A failure with this text (never empty); the sign-in ends after it.
    Fail(String),
}

/// The message a failure carries when the driver gave none (Juniper/2
/// 0xc5 needs some text).
const DEFAULT_FAILURE: &str = "Sign-in failed";

/// `0xd73` value "password only" (spec §4.5).
const PASSWORD_ONLY: u32 = 3;

/// The request for `step`; nested EAP requests use `inner_id`.
pub(super) fn request_for(step: &LoginStep, inner_id: u8) -> StepRequest {
    match step {
        LoginStep::ChooseRealm(realms) => StepRequest::Ask(
            ServerRequest::new(RequestKind::RealmList(realms.clone())),
            Asked::Realm,
        ),
        LoginStep::Password { username, retry } => {
            let request = if *retry {
                Juniper2Request::Retry
            } else {
                Juniper2Request::Password
            };
            let mut r = ServerRequest::new(RequestKind::Password { inner_id, request });
            // OpenConnect asks for user and password unless told
            // otherwise; any 0xd73 also makes it call the prompts
            // "secondary", so it is only sent when it changes something.
            if !username {
                r.modifiers.prompt_fields = Some(PASSWORD_ONLY);
            }
            StepRequest::Ask(r, Asked::Password { inner_id })
        }
        LoginStep::Token { prompt } => {
            let mut r = ServerRequest::new(RequestKind::Token {
                inner_id,
                prompt: prompt.clone(),
            });
            // The user name was given with the password already.
            r.modifiers.prompt_fields = Some(PASSWORD_ONLY);
            StepRequest::Ask(r, Asked::Token { inner_id })
        }
        LoginStep::ChooseSession(sessions) => StepRequest::Ask(
            ServerRequest::new(RequestKind::SessionLimit(
                sessions
                    .iter()
                    .map(|s| ExistingSession {
                        id: s.id.clone(),
                        from: s.from.clone(),
                        login_time: s.login_time.max(1),
                    })
                    .collect(),
            )),
            Asked::Session,
        ),
        LoginStep::Granted(dsid) => StepRequest::Cookie(ServerRequest::new(RequestKind::Cookie(
            Secret::new(dsid.as_str()),
        ))),
        LoginStep::Failed(msg) => {
            let text = if msg.is_empty() {
                String::from(DEFAULT_FAILURE)
            } else {
                msg.clone()
            };
            StepRequest::Fail(text)
        }
    }
}

/// The neutral answer for a client response to a request of kind
/// `asked`; an error names what did not fit. `Ok(None)`: the empty
/// response to the cookie.
pub(super) fn answer_for(
    asked: Asked,
    resp: ClientResponse,
) -> Result<Option<LoginAnswer>, &'static str> {
    let ClientResponse { answer, .. } = resp;
    match (asked, answer) {
        (Asked::Realm, ClientAnswer::Realm(r)) => Ok(Some(LoginAnswer::Realm(r))),
        (
            Asked::Password { inner_id },
            ClientAnswer::Credential {
                username,
                inner_id: echoed,
                credential,
            },
        ) => {
            if echoed != inner_id {
                return Err("nested EAP identifier not echoed");
            }
            let password = match credential {
                Credential::Password(r) => {
                    if r.new_password.is_some() {
                        return Err("a new password that was not asked for");
                    }
                    Zeroizing::new(String::from(r.password.expose()))
                }
                Credential::Password5(p) => Zeroizing::new(String::from(p.expose())),
                Credential::Token(_) => return Err("a token code where a password was asked"),
            };
            Ok(Some(LoginAnswer::Password { username, password }))
        }
        (
            Asked::Token { inner_id },
            ClientAnswer::Credential {
                username,
                inner_id: echoed,
                credential: Credential::Token(code),
            },
        ) => {
            if echoed != inner_id {
                return Err("nested EAP identifier not echoed");
            }
            Ok(Some(LoginAnswer::Token {
                username,
                code: Zeroizing::new(String::from(code.expose())),
            }))
        }
        (Asked::Session, ClientAnswer::KillSession(id)) => Ok(Some(LoginAnswer::EndSession(id))),
        (Asked::Empty, ClientAnswer::Empty) => Ok(None),
        (Asked::Empty, _) => Err("an answer where the empty response to the cookie was due"),
        (_, ClientAnswer::Empty) => Err("an empty response to a request"),
        _ => Err("an answer of another kind than was asked"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pulse::auth::Juniper2Response;
    use alloc::vec::Vec;

    fn resp(answer: ClientAnswer) -> ClientResponse {
        ClientResponse {
            answer,
            other: Vec::new(),
        }
    }

    #[test]
    fn steps_become_requests_that_parse_back() {
        let step = LoginStep::ChooseRealm(alloc::vec!["Users".into(), "Admins".into()]);
        let StepRequest::Ask(r, Asked::Realm) = request_for(&step, 1) else {
            panic!("realm request");
        };
        let back = ServerRequest::from_avps(&r.to_avps()).unwrap();
        assert_eq!(
            back.kind,
            RequestKind::RealmList(alloc::vec!["Users".into(), "Admins".into()])
        );
        let pw = LoginStep::Password {
            username: true,
            retry: true,
        };
        let StepRequest::Ask(r, Asked::Password { inner_id: 7 }) = request_for(&pw, 7) else {
            panic!("password request");
        };
        assert_eq!(r.modifiers.prompt_fields, None);
        assert!(matches!(
            ServerRequest::from_avps(&r.to_avps()).unwrap().kind,
            RequestKind::Password {
                inner_id: 7,
                request: Juniper2Request::Retry
            }
        ));
        let StepRequest::Fail(text) = request_for(&LoginStep::Failed(String::new()), 1) else {
            panic!("failure");
        };
        assert_eq!(text, DEFAULT_FAILURE);
        let StepRequest::Cookie(r) =
            request_for(&LoginStep::Granted(Zeroizing::new("abc".into())), 1)
        else {
            panic!("cookie");
        };
        assert!(matches!(r.kind, RequestKind::Cookie(ref c) if c.expose() == "abc"));
    }

    #[test]
    fn answers_must_fit_the_request() {
        let pw = ClientAnswer::Credential {
            username: Some("alice".into()),
            inner_id: 3,
            credential: Credential::Password(Juniper2Response {
                password: Secret::from("hunter2"),
                new_password: None,
            }),
        };
        let a = answer_for(Asked::Password { inner_id: 3 }, resp(pw.clone())).unwrap();
        assert!(matches!(
            a,
            Some(LoginAnswer::Password { ref username, ref password })
                if username.as_deref() == Some("alice") && password.as_str() == "hunter2"
        ));
        assert!(answer_for(Asked::Password { inner_id: 4 }, resp(pw.clone())).is_err());
        assert!(answer_for(Asked::Token { inner_id: 3 }, resp(pw)).is_err());
        assert!(answer_for(Asked::Realm, resp(ClientAnswer::Empty)).is_err());
        assert!(answer_for(Asked::Empty, resp(ClientAnswer::Realm("x".into()))).is_err());
        assert_eq!(
            answer_for(Asked::Empty, resp(ClientAnswer::Empty)),
            Ok(None)
        );
        assert_eq!(
            answer_for(Asked::Session, resp(ClientAnswer::KillSession("s1".into()))),
            Ok(Some(LoginAnswer::EndSession("s1".into())))
        );
    }
}
