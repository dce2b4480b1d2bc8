//! How a client run ended, and the exit status OpenConnect uses for it.

use oncp_core::oncp::session::DisconnectReason;
use std::time::Duration;

/// How long the logout may take in the ordinary case.
pub const LOGOUT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the logout may take after reconnecting failed: the gateway has
/// just been unreachable for all of `--reconnect-timeout`, so one short
/// try (it frees the session on the gateway if the path came back) rather
/// than holding the user's exit another ten seconds.
pub const LOGOUT_AFTER_OUTAGE: Duration = Duration::from_secs(2);

/// Why the driver stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The user asked to end the session (SIGINT/SIGTERM, or the demo is
    /// done).
    Closed,
    /// The user detached (SIGHUP): the session stays valid on the gateway.
    Detached,
    /// The gateway refused the cookie (HTTP status).
    CookieRejected(u16),
    /// The session ended for another reason the session reported.
    Ended(DisconnectReason),
    /// The first connection could not be made.
    ConnectFailed(String),
    /// Reconnecting did not succeed within `--reconnect-timeout`.
    ReconnectFailed,
    /// Configuring the network failed.
    SetupFailed(String),
    /// The local side failed (e.g. the TUN device broke).
    LocalFailure(String),
}

impl Outcome {
    /// The outcome for a session's final event.
    pub fn from_disconnect(r: DisconnectReason) -> Outcome {
        match r {
            DisconnectReason::Closed => Outcome::Closed,
            DisconnectReason::CookieRejected(status) => Outcome::CookieRejected(status),
            other => Outcome::Ended(other),
        }
    }

    /// OpenConnect's exit status: 0 when the user ended or detached the
    /// session, 2 when the cookie was rejected, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Closed | Outcome::Detached => 0,
            Outcome::CookieRejected(_) | Outcome::Ended(DisconnectReason::CookieNotAccepted) => 2,
            _ => 1,
        }
    }

    /// Whether the logout request should be sent (spec §9.2): after every
    /// final end except a detach, a rejected cookie or a session that never
    /// reached the gateway.
    pub fn needs_logout(&self) -> bool {
        !matches!(
            self,
            Outcome::Detached
                | Outcome::CookieRejected(_)
                | Outcome::ConnectFailed(_)
                | Outcome::Ended(DisconnectReason::CookieNotAccepted)
        )
    }

    /// How long the logout request (when [`Outcome::needs_logout`]) may
    /// take before the run ends without it.
    pub fn logout_time_limit(&self) -> Duration {
        match self {
            Outcome::ReconnectFailed => LOGOUT_AFTER_OUTAGE,
            _ => LOGOUT_TIMEOUT,
        }
    }

    /// A one-line explanation for the user.
    pub fn message(&self) -> String {
        match self {
            Outcome::Closed => "user cancelled (SIGINT/SIGTERM); exiting".into(),
            Outcome::Detached => "user detached from session (SIGHUP); exiting".into(),
            Outcome::CookieRejected(s) => {
                format!("cookie was rejected by server (HTTP {s}); exiting")
            }
            Outcome::Ended(DisconnectReason::Terminated(r)) => {
                format!("session terminated by server ({r:?}); exiting")
            }
            Outcome::Ended(DisconnectReason::BadStatus(8)) => {
                "the gateway answered the hostname packet with status 0x08: oNCP is disabled there; \
                 use --protocol=pulse, or leave --protocol out to switch by itself; exiting"
                    .into()
            }
            Outcome::Ended(r) => format!("session ended: {r}; exiting"),
            Outcome::ConnectFailed(e) => format!("connection failed: {e}"),
            Outcome::ReconnectFailed => {
                "reconnect failed within --reconnect-timeout; exiting".into()
            }
            Outcome::SetupFailed(e) => format!("network setup failed: {e}"),
            Outcome::LocalFailure(e) => format!("{e}; exiting"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_openconnect() {
        assert_eq!(
            Outcome::from_disconnect(DisconnectReason::Closed).exit_code(),
            0
        );
        assert_eq!(Outcome::Detached.exit_code(), 0);
        let rejected = Outcome::from_disconnect(DisconnectReason::CookieRejected(403));
        assert_eq!(rejected, Outcome::CookieRejected(403));
        assert_eq!(rejected.exit_code(), 2);
        assert_eq!(Outcome::ReconnectFailed.exit_code(), 1);
        let refused = Outcome::from_disconnect(DisconnectReason::CookieNotAccepted);
        assert_eq!(refused.exit_code(), 2, "Pulse cookie not accepted");
        assert!(!refused.needs_logout());
        let disabled = Outcome::from_disconnect(DisconnectReason::BadStatus(8));
        assert_eq!(disabled.exit_code(), 1);
        assert!(
            disabled.message().contains("status 0x08"),
            "{}",
            disabled.message()
        );
        assert!(disabled.message().contains("--protocol=pulse"));
    }

    #[test]
    fn logout_skipped_only_when_the_session_must_survive_or_never_existed() {
        assert!(Outcome::Closed.needs_logout());
        assert!(Outcome::ReconnectFailed.needs_logout());
        let tun = Outcome::LocalFailure("reading the TUN device: EBADFD".into());
        assert!(tun.needs_logout());
        assert_eq!(tun.exit_code(), 1);
        assert!(tun.message().starts_with("reading the TUN device"));
        assert!(!Outcome::Detached.needs_logout());
        let bad = Outcome::from_disconnect(DisconnectReason::BadConfig("no IPv4 address".into()));
        assert_eq!(
            bad.message(),
            "session ended: unusable configuration from the gateway: no IPv4 address; exiting"
        );
        assert!(!Outcome::CookieRejected(302).needs_logout());
        assert!(!Outcome::ConnectFailed("x".into()).needs_logout());
    }

    #[test]
    fn logout_after_a_failed_reconnect_gets_a_short_time_limit() {
        assert_eq!(
            Outcome::ReconnectFailed.logout_time_limit(),
            LOGOUT_AFTER_OUTAGE
        );
        assert_eq!(Outcome::Closed.logout_time_limit(), LOGOUT_TIMEOUT);
        assert!(LOGOUT_AFTER_OUTAGE < LOGOUT_TIMEOUT);
    }
}
