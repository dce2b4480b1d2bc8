//! `oncp gateway`'s sign-in over Pulse IF-T/TLS: the same users, realms,
//! second factor and "already signed in" choice as the web sign-in
//! (`login`), asked step by step through the session's neutral
//! [`LoginAnswer`]/[`LoginStep`] dialogue. Passwords and codes are never
//! logged.

use oncp_core::tunnel::{LoginAnswer, LoginStep, OpenSession};
use zeroize::Zeroizing;

use super::Shared;
use super::credentials::user_matches;
use super::login::config::ConfirmMode;
use super::login::{MAX_TOKEN_FAILURES, session_handle, token_ok};

/// Wrong passwords allowed before the sign-in fails.
pub const MAX_PASSWORD_FAILURES: u32 = 3;

/// The prompt of the second-factor request.
pub const TOKEN_PROMPT: &str = "Enter the code from your authenticator:";

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
    pub fn next(&mut self, answer: &LoginAnswer, shared: &Shared) -> LoginStep {
        let cfg = &shared.config.login;
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
                    .is_some_and(|u| user_matches(&shared.config.users, u, password));
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
    fn after_factors(&mut self, shared: &Shared) -> LoginStep {
        let Some(user) = self.user.clone() else {
            return LoginStep::Failed("Not signed in".into());
        };
        let open = shared.cookies.sessions_of(&user);
        let ask = match shared.config.login.confirm {
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

    fn grant(&mut self, shared: &Shared) -> LoginStep {
        let user = self.user.clone().unwrap_or_default();
        let roles = &shared.config.login.roles;
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
