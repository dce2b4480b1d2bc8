//! A sign-in held on the tunnel connection itself (Pulse's EAP login;
//! oNCP signs in on web pages instead and never uses these): the session
//! reports each answer of the client as [`LoginAnswer`] in
//! [`super::GatewayEvent::Login`], and the driver, which knows the users,
//! realms and second factors, says what comes next with a [`LoginStep`]
//! through [`super::GatewayTunnel::login_step`]. So no user or password
//! list ever reaches the core.

use alloc::string::String;
use alloc::vec::Vec;

use zeroize::Zeroizing;

/// What the client answered. Passwords and codes are wiped on drop and
/// never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub enum LoginAnswer {
    /// The client started a sign-in without a cookie (or the cookie it
    /// offered was refused): the driver names the first step.
    Start {
        /// The client's version string (Pulse AVP 0xd70).
        client_version: String,
    },
    /// The realm it chose or typed.
    Realm(String),
    /// A user name (when it was asked for) and a password.
    Password {
        /// The user name, if the client sent one.
        username: Option<String>,
        /// The password.
        password: Zeroizing<String>,
    },
    /// A token code (second factor), with the user name if sent.
    Token {
        /// The user name, if the client sent one.
        username: Option<String>,
        /// The code.
        code: Zeroizing<String>,
    },
    /// The id of an open session the user chose to end (session limit).
    EndSession(String),
}

impl core::fmt::Debug for LoginAnswer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LoginAnswer::Start { client_version } => f
                .debug_struct("Start")
                .field("client_version", client_version)
                .finish(),
            LoginAnswer::Realm(r) => f.debug_tuple("Realm").field(r).finish(),
            LoginAnswer::Password { username, password } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", &format_args!("<{} bytes>", password.len()))
                .finish(),
            LoginAnswer::Token { username, code } => f
                .debug_struct("Token")
                .field("username", username)
                .field("code", &format_args!("<{} bytes>", code.len()))
                .finish(),
            LoginAnswer::EndSession(id) => f.debug_tuple("EndSession").field(id).finish(),
        }
    }
}

/// An open session offered for ending when the user's limit is reached.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OpenSession {
    /// An opaque id (never the session's cookie).
    pub id: String,
    /// Where it was started from (shown to the user).
    pub from: String,
    /// When it was started, Unix seconds (non-zero).
    pub login_time: u64,
}

/// What the gateway asks next, or how the sign-in ends.
#[derive(Clone, PartialEq, Eq)]
pub enum LoginStep {
    /// Choose one of these realms.
    ChooseRealm(Vec<String>),
    /// Enter a password (and the user name when `username` is set);
    /// `retry`: the previous one was wrong.
    Password {
        /// Ask for the user name too.
        username: bool,
        /// The previous answer was refused.
        retry: bool,
    },
    /// Enter a token code (second factor); the prompt is shown to the
    /// user.
    Token {
        /// The prompt.
        prompt: String,
    },
    /// The session limit is reached: choose a session to end.
    ChooseSession(Vec<OpenSession>),
    /// Signed in: this is the session cookie (DSID). The session hands it
    /// to the client and then reports the tunnel request with it.
    Granted(Zeroizing<String>),
    /// Refused, with a message for the user; the session ends.
    Failed(String),
}

impl core::fmt::Debug for LoginStep {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LoginStep::ChooseRealm(r) => f.debug_tuple("ChooseRealm").field(r).finish(),
            LoginStep::Password { username, retry } => f
                .debug_struct("Password")
                .field("username", username)
                .field("retry", retry)
                .finish(),
            LoginStep::Token { prompt } => f.debug_struct("Token").field("prompt", prompt).finish(),
            LoginStep::ChooseSession(s) => f.debug_tuple("ChooseSession").field(s).finish(),
            LoginStep::Granted(c) => f
                .debug_tuple("Granted")
                .field(&format_args!("<{} bytes>", c.len()))
                .finish(),
            LoginStep::Failed(m) => f.debug_tuple("Failed").field(m).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let a = LoginAnswer::Password {
            username: Some("alice".into()),
            password: Zeroizing::new("hunter2".into()),
        };
        let t = alloc::format!("{a:?}");
        assert!(t.contains("alice") && !t.contains("hunter2"), "{t}");
        let c = LoginAnswer::Token {
            username: None,
            code: Zeroizing::new("123456".into()),
        };
        assert!(!alloc::format!("{c:?}").contains("123456"));
        let g = LoginStep::Granted(Zeroizing::new("0123456789abcdef".into()));
        let t = alloc::format!("{g:?}");
        assert!(
            !t.contains("0123456789abcdef") && t.contains("16 bytes"),
            "{t}"
        );
    }
}
