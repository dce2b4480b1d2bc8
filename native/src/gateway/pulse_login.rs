//! `oncp gateway`'s sign-in over Pulse IF-T/TLS: the same users, realms,
//! second factor and "already signed in" choice as the web sign-in
//! (`login`), asked step by step through the session's neutral
//! [`LoginAnswer`]/[`LoginStep`] dialogue. Passwords and codes are never
//! logged.

use oncp_core::tunnel::{LoginAnswer, LoginStep, OpenSession};
use zeroize::Zeroizing;

use super::cookies::CookieStore;
use super::credentials::user_matches;
use super::login::config::{ConfirmMode, LoginConfig};
use super::login::{MAX_TOKEN_FAILURES, session_handle, token_ok};

/// Wrong passwords allowed before the sign-in fails.
pub const MAX_PASSWORD_FAILURES: u32 = 3;

/// The prompt of the second-factor request.
pub const TOKEN_PROMPT: &str = "Enter the code from your authenticator:";

/// What a sign-in is checked against.
#[derive(Debug, Clone, Copy)]
pub struct LoginContext<'a> {
    /// Users who may sign in: (name, password).
    pub users: &'a [(String, String)],
    /// Realms, second factor, confirmation, roles.
    pub login: &'a LoginConfig,
    /// Issued DSIDs.
    pub cookies: &'a CookieStore,
}

/// Where one client's sign-in stands.
#[derive(Debug, Default)]
pub struct PulseLogin {
    user: Option<String>,
    realm: Option<String>,
    password_failures: u32,
    token_failures: u32,
}

impl PulseLogin {
    /// The step after the client's `answer`.
    pub fn next(&mut self, answer: &LoginAnswer, shared: &LoginContext<'_>) -> LoginStep {
        let cfg = shared.login;
        match answer {
            LoginAnswer::Start { client_version } => {
                tracing::debug!("Pulse sign-in from {client_version:?}");
                if cfg.realms.is_empty() {
                    self.ask_password(false)
                } else {
                    LoginStep::ChooseRealm(cfg.realms.clone())
                }
            }
            LoginAnswer::Realm(r) => {
                if !cfg.realms.contains(r) {
                    tracing::info!("Pulse sign-in with an unknown realm {r:?}");
                    return LoginStep::Failed(format!("Unknown realm {r}"));
                }
                self.realm = Some(r.clone());
                self.ask_password(false)
            }
            LoginAnswer::Password { username, password } => {
                let user = username.clone().or_else(|| self.user.clone());
                let ok = user
                    .as_deref()
                    .is_some_and(|u| user_matches(shared.users, u, password));
                if !ok {
                    self.password_failures += 1;
                    tracing::info!("Pulse sign-in failed for user {user:?}");
                    if self.password_failures >= MAX_PASSWORD_FAILURES {
                        return LoginStep::Failed(
                            "Invalid username or password. Too many attempts.".into(),
                        );
                    }
                    return self.ask_password(true);
                }
                self.user = user;
                if cfg.token.is_some() {
                    return LoginStep::Token {
                        prompt: TOKEN_PROMPT.into(),
                    };
                }
                self.after_factors(shared)
            }
            LoginAnswer::Token { code, .. } => {
                if self.user.is_none() || cfg.token.is_none() {
                    return LoginStep::Failed("Unexpected token code".into());
                }
                if !token_ok(cfg, code) {
                    self.token_failures += 1;
                    tracing::info!("wrong second factor for user {:?}", self.user);
                    if self.token_failures >= MAX_TOKEN_FAILURES {
                        return LoginStep::Failed("Too many wrong codes.".into());
                    }
                    return LoginStep::Token {
                        prompt: "Invalid code. Please try again:".into(),
                    };
                }
                self.after_factors(shared)
            }
            LoginAnswer::EndSession(id) => {
                let Some(user) = self.user.clone() else {
                    return LoginStep::Failed("Not signed in".into());
                };
                for (dsid, _) in shared.cookies.sessions_of(&user) {
                    if session_handle(&dsid) == *id {
                        shared.cookies.revoke(&dsid);
                        tracing::info!("user {user:?} closed an earlier session");
                    }
                }
                self.grant(shared)
            }
        }
    }

    fn ask_password(&self, retry: bool) -> LoginStep {
        LoginStep::Password {
            username: true,
            retry,
        }
    }

    /// The "already signed in" choice when configured, else the cookie.
    fn after_factors(&mut self, shared: &LoginContext<'_>) -> LoginStep {
        let Some(user) = self.user.clone() else {
            return LoginStep::Failed("Not signed in".into());
        };
        let open = shared.cookies.sessions_of(&user);
        let ask = match shared.login.confirm {
            ConfirmMode::Never => false,
            ConfirmMode::IfActive | ConfirmMode::Always => !open.is_empty(),
        };
        if ask {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs().max(1));
            return LoginStep::ChooseSession(
                open.into_iter()
                    .map(|(dsid, addr)| OpenSession {
                        id: session_handle(&dsid),
                        from: format!("tunnel address {addr}"),
                        login_time: now,
                    })
                    .collect(),
            );
        }
        self.grant(shared)
    }

    fn grant(&mut self, shared: &LoginContext<'_>) -> LoginStep {
        let user = self.user.clone().unwrap_or_default();
        let roles = &shared.login.roles;
        if roles.len() >= 2 {
            // No role choice exists in IF-T (spec §4.5): the first applies.
            tracing::info!(
                "user {user:?} gets role {:?} (Pulse has no role choice)",
                roles[0]
            );
        }
        match shared
            .cookies
            .issue(&user, &mut crate::runtime::os_rng::OsRng)
        {
            Some(dsid) => {
                tracing::info!(
                    "user {user:?} signed in over Pulse (realm {:?})",
                    self.realm
                );
                LoginStep::Granted(Zeroizing::new(dsid))
            }
            None => LoginStep::Failed("No address left in the pool".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::login::config::{TokenConfig, TokenForm};

    fn pw(user: &str, p: &str) -> LoginAnswer {
        LoginAnswer::Password {
            username: Some(user.into()),
            password: Zeroizing::new(p.into()),
        }
    }

    fn code(c: &str) -> LoginAnswer {
        LoginAnswer::Token {
            username: None,
            code: Zeroizing::new(c.into()),
        }
    }

    fn start() -> LoginAnswer {
        LoginAnswer::Start {
            client_version: "test".into(),
        }
    }

    #[test]
    fn realm_password_token_and_session_choice() {
        let users = vec![("alice".to_string(), "hunter2".to_string())];
        let login = LoginConfig {
            realms: vec!["Users".into(), "Admins".into()],
            token: Some(TokenConfig {
                form: TokenForm::Totp,
                code: Some("424242".into()),
                totp: None,
            }),
            confirm: ConfirmMode::IfActive,
            ..Default::default()
        };
        let cookies = CookieStore::new("10.10.1.0/24".parse().unwrap());
        let ctx = LoginContext {
            users: &users,
            login: &login,
            cookies: &cookies,
        };
        let mut l = PulseLogin::default();
        assert_eq!(
            l.next(&start(), &ctx),
            LoginStep::ChooseRealm(login.realms.clone())
        );
        assert!(matches!(
            l.next(&LoginAnswer::Realm("Nope".into()), &ctx),
            LoginStep::Failed(_)
        ));
        let pw_step = l.next(&LoginAnswer::Realm("Admins".into()), &ctx);
        assert_eq!(
            pw_step,
            LoginStep::Password {
                username: true,
                retry: false
            }
        );
        assert_eq!(
            l.next(&pw("alice", "wrong"), &ctx),
            LoginStep::Password {
                username: true,
                retry: true
            }
        );
        assert!(matches!(
            l.next(&pw("alice", "hunter2"), &ctx),
            LoginStep::Token { .. }
        ));
        assert!(matches!(
            l.next(&code("111111"), &ctx),
            LoginStep::Token { .. }
        ));
        let LoginStep::Granted(first) = l.next(&code("424242"), &ctx) else {
            panic!("granted");
        };
        assert_eq!(cookies.sessions_of_dsid(&first).as_deref(), Some("alice"));
        // A second sign-in while the first is open: the session choice.
        let mut l = PulseLogin::default();
        l.next(&start(), &ctx);
        l.next(&LoginAnswer::Realm("Users".into()), &ctx);
        l.next(&pw("alice", "hunter2"), &ctx);
        let LoginStep::ChooseSession(open) = l.next(&code("424242"), &ctx) else {
            panic!("session choice");
        };
        assert_eq!(open.len(), 1);
        assert_ne!(open[0].id, *first, "an opaque handle, not the DSID");
        let LoginStep::Granted(second) = l.next(&LoginAnswer::EndSession(open[0].id.clone()), &ctx)
        else {
            panic!("granted");
        };
        assert!(
            cookies.sessions_of_dsid(&first).is_none(),
            "first one ended"
        );
        assert!(cookies.sessions_of_dsid(&second).is_some());
    }

    #[test]
    fn too_many_failures_end_the_sign_in() {
        let users = vec![("bob".to_string(), "b".to_string())];
        let login = LoginConfig::default();
        let cookies = CookieStore::new("10.10.1.0/24".parse().unwrap());
        let ctx = LoginContext {
            users: &users,
            login: &login,
            cookies: &cookies,
        };
        let mut l = PulseLogin::default();
        assert!(matches!(
            l.next(&start(), &ctx),
            LoginStep::Password { retry: false, .. }
        ));
        for _ in 1..MAX_PASSWORD_FAILURES {
            assert!(matches!(
                l.next(&pw("bob", "x"), &ctx),
                LoginStep::Password { retry: true, .. }
            ));
        }
        assert!(matches!(
            l.next(&pw("bob", "x"), &ctx),
            LoginStep::Failed(_)
        ));
        // A token code without a second factor configured is refused.
        assert!(matches!(
            l.next(&code("123456"), &ctx),
            LoginStep::Failed(_)
        ));
        assert!(matches!(
            PulseLogin::default().next(&LoginAnswer::EndSession("x".into()), &ctx),
            LoginStep::Failed(_)
        ));
    }
}
