//! `oncp connect`'s help headings, in the order and wording of
//! `openconnect --help` (9.01): every option struct files its options
//! under one of these.

/// Protocol selection.
pub const PROTOCOL: &str = "Set VPN protocol";
/// Login answers and credentials.
pub const AUTH: &str = "Authentication";
/// Trusting the gateway's certificate.
pub const VALIDATION: &str = "Server validation";
/// Reaching the gateway.
pub const INTERNET: &str = "Internet connectivity";
/// Cookie in, cookie out.
pub const TWO_PHASE: &str = "Authentication (two-phase)";
/// Daemon mode.
pub const PROCESS: &str = "Process control";
/// Log output.
pub const LOGGING: &str = "Logging (two-phase)";
/// The vpnc-script and the TUN device.
pub const SCRIPT: &str = "VPN configuration script";
/// The tunnel itself.
pub const TUNNEL: &str = "Tunnel control";
/// What the client tells the gateway about itself.
pub const LOCAL: &str = "Local system information";
/// The Host Checker.
pub const TROJAN: &str = "Trojan binary (CSD) execution";
/// Workarounds for other gateways.
pub const SERVER_BUGS: &str = "Server bugs";
/// Cisco's second certificate.
pub const MCA: &str = "Multiple certificate authentication (MCA)";
