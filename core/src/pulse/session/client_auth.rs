//! The client's side of the EAP sign-in (spec/pulse.md §4.7, §4.8): what
//! to ask the driver for each gateway request, and the Juniper/1 answer
//! built from the driver's reply.

use alloc::format;
use alloc::string::String;

use crate::pulse::auth::{
    ClientAnswer, Credential, Juniper2Request, Juniper2Response, RequestKind, ServerRequest,
};
use crate::pulse::secret::Secret;
use crate::tunnel::{ChoiceKind, DisconnectReason, LoginChoice, LoginPrompt, LoginReply};

/// A gateway request waiting for the driver's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Pending {
    /// A choice; the reply must be one of `values`.
    Choose(ChoiceKind, alloc::vec::Vec<String>),
    /// A typed realm.
    RealmEntry,
    /// Juniper/2 (or /5 when `five`) password, nested identifier.
    Password {
        inner_id: u8,
        five: bool,
        username: bool,
    },
    /// Juniper/2 password change.
    Change { inner_id: u8 },
    /// GTC token code.
    Token { inner_id: u8, username: bool },
    /// A notice to acknowledge.
    Notice,
}

/// What to do with a classified gateway request (after the first one).
#[derive(Debug)]
pub(super) enum Step {
    /// Ask the driver.
    Ask(LoginPrompt, Pending),
    /// The cookie: signed in.
    Cookie(Secret),
    /// The sign-in is over, unsuccessfully.
    Fail(DisconnectReason),
}

/// What `request` means for the client; `rounds` counts the credential
/// requests answered so far (a second one is secondary authentication).
pub(super) fn step_for(request: ServerRequest, rounds: u32) -> Step {
    let m = request.modifiers;
    let secondary = rounds > 0;
    match request.kind {
        RequestKind::Cookie(c) => Step::Cookie(c),
        RequestKind::Failure(f) => Step::Fail(DisconnectReason::LoginFailed(f.describe())),
        RequestKind::HostChecker => Step::Fail(DisconnectReason::Unsupported(
            "the gateway asks for the Host Checker (TNCC); try --protocol=nc".into(),
        )),
        RequestKind::ServerInfo => Step::Fail(DisconnectReason::LoginFailed(
            "the gateway sent a sign-in request without a question".into(),
        )),
        RequestKind::RealmList(r) => choose(ChoiceKind::Realm, r),
        RequestKind::RegionList(r) => choose(ChoiceKind::Region, r),
        RequestKind::RealmEntry => Step::Ask(LoginPrompt::RealmEntry, Pending::RealmEntry),
        RequestKind::SessionLimit(s) => {
            let options = s
                .iter()
                .map(|x| LoginChoice {
                    value: x.id.clone(),
                    label: format!(
                        "{} from {} (signed in at {} UTC)",
                        x.id, x.from, x.login_time
                    ),
                })
                .collect::<alloc::vec::Vec<_>>();
            let values = s.into_iter().map(|x| x.id).collect();
            Step::Ask(
                LoginPrompt::Choose {
                    kind: ChoiceKind::SessionToEnd,
                    options,
                },
                Pending::Choose(ChoiceKind::SessionToEnd, values),
            )
        }
        RequestKind::Notice => Step::Ask(
            LoginPrompt::Notice(m.notice.clone().unwrap_or_default()),
            Pending::Notice,
        ),
        RequestKind::Password { inner_id, request } => match request {
            Juniper2Request::Change => {
                Step::Ask(LoginPrompt::NewPassword, Pending::Change { inner_id })
            }
            r => {
                let username = m.wants_username();
                Step::Ask(
                    password_prompt(&m, username, r == Juniper2Request::Retry, secondary),
                    Pending::Password {
                        inner_id,
                        five: false,
                        username,
                    },
                )
            }
        },
        RequestKind::Password5 { inner_id } => {
            let username = m.wants_username();
            Step::Ask(
                password_prompt(&m, username, false, secondary),
                Pending::Password {
                    inner_id,
                    five: true,
                    username,
                },
            )
        }
        RequestKind::Token { inner_id, prompt } => Step::Ask(
            LoginPrompt::Token { prompt },
            Pending::Token {
                inner_id,
                username: false,
            },
        ),
    }
}

fn choose(kind: ChoiceKind, names: alloc::vec::Vec<String>) -> Step {
    let options = names
        .iter()
        .map(|n| LoginChoice {
            value: n.clone(),
            label: n.clone(),
        })
        .collect();
    Step::Ask(
        LoginPrompt::Choose { kind, options },
        Pending::Choose(kind, names),
    )
}

fn password_prompt(
    m: &crate::pulse::auth::Modifiers,
    username: bool,
    retry: bool,
    secondary: bool,
) -> LoginPrompt {
    let (user_label, password_label) = if secondary {
        (m.user2_label.clone(), m.password2_label.clone())
    } else {
        (m.user_label.clone(), m.password_label.clone())
    };
    LoginPrompt::Password {
        username,
        username_only: !m.wants_password(),
        retry,
        secondary,
        user_label,
        password_label,
    }
}

/// The answer to `pending` from the driver's `reply`, or why the sign-in
/// ends (a cancelled prompt, a reply of the wrong kind or a choice that
/// was not offered).
pub(super) fn answer_for(
    pending: &Pending,
    reply: LoginReply,
) -> Result<ClientAnswer, DisconnectReason> {
    let wrong = || DisconnectReason::LoginFailed("the answer does not fit the question".into());
    let user = |wanted: bool, u: Option<String>| if wanted { u } else { None };
    match (pending, reply) {
        (_, LoginReply::Cancel(why)) => Err(DisconnectReason::LoginFailed(why)),
        (Pending::Choose(kind, values), LoginReply::Choice(v)) => {
            if !values.contains(&v) {
                return Err(DisconnectReason::LoginFailed(format!(
                    "{v:?} was not offered"
                )));
            }
            Ok(match kind {
                ChoiceKind::Realm => ClientAnswer::Realm(v),
                ChoiceKind::Region => ClientAnswer::Region(v),
                ChoiceKind::SessionToEnd => ClientAnswer::KillSession(v),
            })
        }
        (Pending::RealmEntry, LoginReply::Text(t) | LoginReply::Choice(t)) => {
            Ok(ClientAnswer::Realm(t))
        }
        (
            Pending::Password {
                inner_id,
                five,
                username,
            },
            LoginReply::Password {
                username: u,
                password,
            },
        ) => {
            let p = Secret::new(password.as_str());
            Ok(ClientAnswer::Credential {
                username: user(*username, u),
                inner_id: *inner_id,
                credential: if *five {
                    Credential::Password5(p)
                } else {
                    Credential::Password(Juniper2Response {
                        password: p,
                        new_password: None,
                    })
                },
            })
        }
        (Pending::Change { inner_id }, LoginReply::NewPassword { old, new }) => {
            Ok(ClientAnswer::Credential {
                username: None,
                inner_id: *inner_id,
                credential: Credential::Password(Juniper2Response {
                    password: Secret::new(old.as_str()),
                    new_password: Some(Secret::new(new.as_str())),
                }),
            })
        }
        (Pending::Token { inner_id, username }, LoginReply::Token(code)) => {
            Ok(ClientAnswer::Credential {
                username: user(*username, None),
                inner_id: *inner_id,
                credential: Credential::Token(Secret::new(code.as_str())),
            })
        }
        (Pending::Notice, LoginReply::Acknowledge) => Ok(ClientAnswer::NoticeAck),
        _ => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pulse::auth::{ExistingSession, Failure, Modifiers};
    use zeroize::Zeroizing;

    fn req(kind: RequestKind) -> ServerRequest {
        ServerRequest::new(kind)
    }

    #[test]
    fn prompts_and_answers_per_request_kind() {
        let Step::Ask(p, pending) = step_for(
            req(RequestKind::RealmList(alloc::vec!["A".into(), "B".into()])),
            0,
        ) else {
            panic!()
        };
        assert!(matches!(
            p,
            LoginPrompt::Choose {
                kind: ChoiceKind::Realm,
                ..
            }
        ));
        assert_eq!(
            answer_for(&pending, LoginReply::Choice("B".into())),
            Ok(ClientAnswer::Realm("B".into()))
        );
        assert!(answer_for(&pending, LoginReply::Choice("C".into())).is_err());
        let mut r = req(RequestKind::Password {
            inner_id: 7,
            request: Juniper2Request::Retry,
        });
        r.modifiers = Modifiers {
            prompt_fields: Some(3),
            ..Modifiers::default()
        };
        let Step::Ask(p, pending) = step_for(r, 1) else {
            panic!()
        };
        assert_eq!(
            p,
            LoginPrompt::Password {
                username: false,
                username_only: false,
                retry: true,
                secondary: true,
                user_label: None,
                password_label: None
            }
        );
        let a = answer_for(
            &pending,
            LoginReply::Password {
                username: Some("alice".into()),
                password: Zeroizing::new("pw".into()),
            },
        )
        .unwrap();
        let ClientAnswer::Credential {
            username, inner_id, ..
        } = a
        else {
            panic!()
        };
        assert_eq!((username, inner_id), (None, 7), "user name not asked for");
        let s = ExistingSession {
            id: "s1".into(),
            from: "192.0.2.1".into(),
            login_time: 1,
        };
        let Step::Ask(_, pending) = step_for(req(RequestKind::SessionLimit(alloc::vec![s])), 0)
        else {
            panic!()
        };
        assert_eq!(
            answer_for(&pending, LoginReply::Choice("s1".into())),
            Ok(ClientAnswer::KillSession("s1".into()))
        );
        assert!(matches!(
            answer_for(&pending, LoginReply::Acknowledge),
            Err(DisconnectReason::LoginFailed(_))
        ));
        assert!(matches!(
            step_for(req(RequestKind::Failure(Failure::Code(0x0d))), 0),
            Step::Fail(DisconnectReason::LoginFailed(m)) if m == "account locked out"
        ));
        assert!(matches!(
            step_for(req(RequestKind::HostChecker), 0),
            Step::Fail(DisconnectReason::Unsupported(_))
        ));
        assert_eq!(
            answer_for(&Pending::Notice, LoginReply::Cancel("no --user".into())),
            Err(DisconnectReason::LoginFailed("no --user".into()))
        );
    }
}
