//! What sessions report to their driver, whatever the protocol.

use alloc::boxed::Box;
use alloc::string::String;

use super::config::TunnelConfig;
use super::login::LoginAnswer;
use super::prompt::{LoginPrompt, SessionCookie};

/// Which path carries outgoing data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// KMP 300 messages over the TLS connection.
    Tls,
    /// ESP over UDP.
    Esp,
}

/// Why ESP stopped carrying data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EspDownReason {
    /// Nothing was received over ESP for twice the DPD interval.
    DeadPeer,
    /// The gateway's rekey message could not be used.
    BadRekey(String),
    /// The TLS connection was lost (ESP restarts after reconnecting).
    TlsLost,
    /// The peer disabled ESP (gateway side: the client's 303).
    DisabledByPeer,
    /// Our outbound keys ran out and the gateway did not rekey in time
    /// (the client reconnects to get fresh ones).
    KeysExpired,
    /// The UDP socket reported an error (e.g. ICMP port unreachable).
    UdpError,
}

/// Why a session ended for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The gateway answered the tunnel request with 302 or 4xx.
    CookieRejected(u16),
    /// The gateway answered the tunnel request with another failure status.
    HttpFailure(u16),
    /// The gateway's status byte after the hostname packet was not 0
    /// (8: oNCP disabled on this gateway).
    BadStatus(u8),
    /// The gateway sent a termination notice.
    Terminated(u8),
    /// The peer broke the protocol (what it did, in words).
    Protocol(String),
    /// The configuration was unusable (e.g. no IPv4 address).
    BadConfig(String),
    /// After a reconnect the gateway assigned a different address.
    AddressChanged,
    /// We closed the session.
    Closed,
    /// The client logged out (its cookie should be revoked).
    LoggedOut,
    /// The sign-in on the tunnel connection failed or was abandoned.
    LoginFailed(String),
    /// The gateway did not accept the cookie for a sign-in on the tunnel
    /// connection (it asked for credentials instead).
    CookieNotAccepted,
    /// The sign-in needs something this client does not do (Host
    /// Checker, certificate authentication over EAP-TTLS).
    Unsupported(String),
    /// The gateway ended the session with an error message (Pulse 0x93).
    ServerError {
        /// The error type number.
        code: u32,
        /// Its text.
        text: String,
    },
    /// The TLS connection was lost and the session cannot reconnect
    /// (gateway side).
    ConnectionLost,
    /// The gateway accepted the connection but did not send its
    /// configuration within this many seconds (client side).
    SetupTimeout(u64),
}

/// Events of a client session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// The sign-in on the tunnel connection needs an answer: reply with
    /// [`super::ClientTunnel::answer_login`] (Pulse; oNCP never asks).
    LoginPrompt(LoginPrompt),
    /// Signed in on the tunnel connection: this is the session cookie
    /// (the DSID value), for `--authenticate` and reconnects.
    SignedIn(SessionCookie),
    /// The gateway's configuration arrived (first time and after each
    /// reconnect).
    Configured(Box<TunnelConfig>),
    /// ESP probes are answered and data now goes over ESP.
    EspUp,
    /// ESP stopped carrying data; data goes over TLS.
    EspDown(EspDownReason),
    /// New ESP keys are in use (gateway-initiated rekey).
    Rekeyed,
    /// The TLS connection must be re-established with the same cookie
    /// (call [`super::ClientTunnel::reconnect`] once it is up).
    ReconnectNeeded,
    /// The session is over; the driver should log out unless the cookie
    /// was rejected.
    Disconnected(DisconnectReason),
}

/// A client's request to open a tunnel, for the gateway to judge. The
/// cookie is a credential: `Debug` hides it and it is wiped on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct TunnelRequest {
    /// The `DSID` cookie of the request, if it had one.
    pub dsid: Option<String>,
}

impl core::fmt::Debug for TunnelRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TunnelRequest")
            .field(
                "dsid",
                &self
                    .dsid
                    .as_ref()
                    .map(|d| alloc::format!("<{} bytes>", d.len())),
            )
            .finish()
    }
}

impl Drop for TunnelRequest {
    fn drop(&mut self) {
        if let Some(d) = &mut self.dsid {
            zeroize::Zeroize::zeroize(d);
        }
    }
}

/// Why a gateway refuses a tunnel request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// The cookie is missing, unknown or expired.
    BadCookie,
}

/// Events of a gateway session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayEvent {
    /// A tunnel request arrived: answer with
    /// [`super::GatewayTunnel::accept`] or [`super::GatewayTunnel::reject`].
    TunnelRequested(TunnelRequest),
    /// The client answered a step of a sign-in held on the tunnel
    /// connection (Pulse): answer with [`super::GatewayTunnel::login_step`].
    Login(LoginAnswer),
    /// The client identified itself; setup continues.
    Accepted {
        /// The client's host name, from its hostname packet.
        hostname: String,
    },
    /// The configuration went out.
    Configured,
    /// The client enabled ESP (and we have its keys).
    EspUp,
    /// ESP stopped carrying data to the client.
    EspDown(EspDownReason),
    /// A rekey completed (the client's new keys arrived).
    Rekeyed,
    /// The session is over.
    Disconnected(DisconnectReason),
}

/// Packet and byte counters of a session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// IP packets sent over TLS.
    pub tls_packets_out: u64,
    /// IP packets received over TLS.
    pub tls_packets_in: u64,
    /// IP packet bytes sent over TLS.
    pub tls_bytes_out: u64,
    /// IP packet bytes received over TLS.
    pub tls_bytes_in: u64,
    /// IP packets sent over ESP.
    pub esp_packets_out: u64,
    /// IP packets received over ESP.
    pub esp_packets_in: u64,
    /// IP packet bytes (uncompressed) sent over ESP.
    pub esp_bytes_out: u64,
    /// IP packet bytes (uncompressed) received over ESP.
    pub esp_bytes_in: u64,
    /// ESP packets sent LZO-compressed.
    pub lzo_out: u64,
    /// ESP packets received LZO-compressed.
    pub lzo_in: u64,
    /// Probes sent.
    pub probes_out: u64,
    /// Probes received.
    pub probes_in: u64,
    /// Datagrams refused (bad ICV, replay, unknown SPI, bad LZO, …).
    pub esp_dropped: u64,
    /// Rekeys completed.
    pub rekeys: u64,
    /// IP packets refused by `send_ip`: not one whole packet, or IPv6 on
    /// the client (oNCP carries IPv4 only, spec/oncp.md §10).
    pub unsendable: u64,
}

impl core::fmt::Display for DisconnectReason {
    /// A sentence for the user (the driver's exit message).
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DisconnectReason::CookieRejected(s) => {
                write!(f, "the gateway rejected the cookie (HTTP {s})")
            }
            DisconnectReason::HttpFailure(0) => {
                f.write_str("the gateway closed the connection before answering the tunnel request")
            }
            DisconnectReason::HttpFailure(s) => {
                write!(f, "the gateway refused the tunnel request (HTTP {s})")
            }
            DisconnectReason::BadStatus(s) => {
                write!(
                    f,
                    "the gateway answered with status {s} instead of 0 (8: oNCP disabled)"
                )
            }
            DisconnectReason::Terminated(r) => {
                write!(f, "the gateway terminated the session (reason {r})")
            }
            DisconnectReason::Protocol(e) => write!(f, "protocol error from the gateway: {e}"),
            DisconnectReason::BadConfig(why) => {
                write!(f, "unusable configuration from the gateway: {why}")
            }
            DisconnectReason::AddressChanged => {
                f.write_str("after reconnecting, the gateway assigned a different IPv4 address")
            }
            DisconnectReason::Closed => f.write_str("closed"),
            DisconnectReason::LoggedOut => f.write_str("the client logged out"),
            DisconnectReason::LoginFailed(why) => write!(f, "sign-in failed: {why}"),
            DisconnectReason::CookieNotAccepted => {
                f.write_str("the gateway did not accept the cookie")
            }
            DisconnectReason::Unsupported(what) => write!(f, "not supported: {what}"),
            DisconnectReason::ServerError { code, text } => {
                write!(f, "the gateway ended the session (error {code}: {text})")
            }
            DisconnectReason::ConnectionLost => f.write_str("the TLS connection was lost"),
            DisconnectReason::SetupTimeout(s) => write!(
                f,
                "the gateway accepted the connection but sent no configuration within {s} s"
            ),
        }
    }
}
