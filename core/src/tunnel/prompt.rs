//! What a client session asks its driver during a sign-in held on the
//! tunnel connection (Pulse's EAP login; oNCP signs in on web pages and
//! never asks): the session reports a [`LoginPrompt`] in
//! [`super::ClientEvent::LoginPrompt`] and waits; the driver (which has
//! the command line and the terminal) answers with a [`LoginReply`]
//! through [`super::ClientTunnel::answer_login`]. No user name, password
//! or code is ever kept by the core beyond the message it goes into.

use alloc::string::String;
use alloc::vec::Vec;

use zeroize::Zeroizing;

/// What a choice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChoiceKind {
    /// The realm (`--authgroup`).
    Realm,
    /// The region (Pulse 9.10+ gateways).
    Region,
    /// The session limit is reached: which open session to end.
    SessionToEnd,
}

/// One option of a choice: what is sent back and what is shown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LoginChoice {
    /// The value answered with [`LoginReply::Choice`].
    pub value: String,
    /// What the user sees.
    pub label: String,
}

/// What the gateway wants next.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LoginPrompt {
    /// Choose one of `options`.
    Choose {
        /// What the choice is about.
        kind: ChoiceKind,
        /// The options, in the gateway's order.
        options: Vec<LoginChoice>,
    },
    /// Type a realm name ([`LoginReply::Text`]).
    RealmEntry,
    /// A password, and the user name when `username` is set
    /// ([`LoginReply::Password`]).
    Password {
        /// Ask for the user name too.
        username: bool,
        /// Only the user name is wanted (the password is sent empty).
        username_only: bool,
        /// The previous password was refused.
        retry: bool,
        /// A second round of credentials (secondary authentication).
        secondary: bool,
        /// The gateway's label for the user name field, if it gave one.
        user_label: Option<String>,
        /// The gateway's label for the password field, if it gave one.
        password_label: Option<String>,
    },
    /// The password expired: the current one and a new one
    /// ([`LoginReply::NewPassword`]).
    NewPassword,
    /// A token code (second factor) ([`LoginReply::Token`]).
    Token {
        /// The gateway's prompt text.
        prompt: String,
    },
    /// A sign-in notice to show and acknowledge ([`LoginReply::Acknowledge`]).
    Notice(String),
}

/// The driver's answer to a [`LoginPrompt`]. Secrets are wiped on drop
/// and never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub enum LoginReply {
    /// The value of the chosen [`LoginChoice`].
    Choice(String),
    /// Typed text (a realm name).
    Text(String),
    /// A user name (when asked for) and a password.
    Password {
        /// The user name.
        username: Option<String>,
        /// The password.
        password: Zeroizing<String>,
    },
    /// The current and the new password.
    NewPassword {
        /// The current password.
        old: Zeroizing<String>,
        /// The new password.
        new: Zeroizing<String>,
    },
    /// A token code.
    Token(Zeroizing<String>),
    /// The notice was shown.
    Acknowledge,
    /// No answer: give up the sign-in with this reason (e.g. the option
    /// that would have answered is missing and there is no terminal).
    Cancel(String),
}

impl core::fmt::Debug for LoginReply {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LoginReply::Choice(c) => f.debug_tuple("Choice").field(c).finish(),
            LoginReply::Text(t) => f.debug_tuple("Text").field(t).finish(),
            LoginReply::Password { username, password } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", &format_args!("<{} bytes>", password.len()))
                .finish(),
            LoginReply::NewPassword { .. } => f.write_str("NewPassword(<hidden>)"),
            LoginReply::Token(c) => write!(f, "Token(<{} bytes>)", c.len()),
            LoginReply::Acknowledge => f.write_str("Acknowledge"),
            LoginReply::Cancel(why) => f.debug_tuple("Cancel").field(why).finish(),
        }
    }
}

/// A session cookie (the DSID value) obtained by a sign-in on the tunnel
/// connection: wiped on drop, `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCookie(Zeroizing<String>);

impl SessionCookie {
    /// Wraps a cookie value.
    pub fn new(value: &str) -> Self {
        SessionCookie(Zeroizing::new(String::from(value)))
    }
    /// The cookie value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl core::fmt::Debug for SessionCookie {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SessionCookie(<{} bytes>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let r = LoginReply::Password {
            username: Some("alice".into()),
            password: Zeroizing::new("hunter2".into()),
        };
        let t = alloc::format!("{r:?}");
        assert!(t.contains("alice") && !t.contains("hunter2"), "{t}");
        let t = alloc::format!("{:?}", LoginReply::Token(Zeroizing::new("918273".into())));
        assert!(!t.contains("918273"), "{t}");
        let n = LoginReply::NewPassword {
            old: Zeroizing::new("old-secret".into()),
            new: Zeroizing::new("new-secret".into()),
        };
        assert!(!alloc::format!("{n:?}").contains("secret"));
        let c = SessionCookie::new("0123456789abcdef");
        assert_eq!(c.expose(), "0123456789abcdef");
        assert!(!alloc::format!("{c:?}").contains("0123"));
    }
}
