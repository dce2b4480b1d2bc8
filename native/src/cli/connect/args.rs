//! `oncp connect`'s command line: OpenConnect's option names, short
//! letters and help groups (`openconnect --help` of 9.01), so scripts
//! written for `openconnect --protocol=nc` keep working.
//!
//! Options that only make sense for other protocols or for features oncp
//! does not have live in [`super::compat`]: they are accepted and warned
//! about. To add an option, add a field here under the help heading
//! OpenConnect would list it under.

use std::path::PathBuf;

use super::compat::IgnoredArgs;
use super::heading;

/// The manual's extra sections (`oncp connect --help`, `oncp man connect`).
const AFTER_LONG_HELP: &str = "\
Options oncp accepts but does not act on are marked (ignored): each one given prints a \
one-line warning.

CONFIG FILE: --config FILE reads options from FILE at the point where --config appears; \
options later on the command line override it. One long option per line without the \
leading dashes (`user alice`, `user=alice`, `no-dtls`); empty lines and lines starting \
with # are ignored; the value is the rest of the line, taken as is.

PROTOCOLS: --protocol auto (the default) speaks Juniper Network Connect (oNCP) and, when \
the gateway answers the hostname packet with status 0x08 (oNCP disabled), says so and \
continues over Pulse IF-T/TLS with the same DSID, without a second login. --protocol=nc \
is oNCP only, --protocol=pulse IF-T/TLS only (sign-in on the tunnel connection, or -C DSID). \
Pulse tunnels also carry IPv6 (address and routes on the TUN device, INTERNAL_IP6_* and \
CISCO_IPV6_SPLIT_* for -s scripts).

BACKGROUND: with -b, oncp stays in the foreground until the tunnel is up, then writes \
the daemon's PID to --pid-file (removed when the daemon ends) and returns.

EXIT STATUS: 0 after SIGINT/SIGTERM (logged out) or SIGHUP (detached, the cookie \
stays valid) and after --authenticate/--cookieonly; 1 on errors (login failed, \
connection lost for longer than --reconnect-timeout, session terminated by the \
gateway, bad options); 2 when the gateway rejects the cookie.";

/// A `--resolve HOST:IP`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolve {
    /// The host name as given in the server URL.
    pub host: String,
    /// The address to use for it.
    pub ip: std::net::IpAddr,
}

impl std::str::FromStr for Resolve {
    type Err = String;
    /// `HOST:IP`; the IP may be IPv6, bare or in brackets
    /// (`vpn.example.com:2001:db8::1`, `vpn.example.com:[2001:db8::1]`).
    fn from_str(s: &str) -> Result<Resolve, String> {
        let bad = || format!("{s:?} is not HOST:IP");
        let (host, ip) = s.split_once(':').ok_or_else(bad)?;
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(bad());
        }
        let ip = ip
            .parse()
            .map_err(|_| format!("{s:?}: {ip:?} is not an IP address"))?;
        Ok(Resolve {
            host: host.to_string(),
            ip,
        })
    }
}

/// Options of `oncp connect`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    // As with getopt_long: a repeated option overrides (so the command
    // line overrides a --config file), and unique prefixes of long names
    // are accepted.
    args_override_self = true,
    infer_long_args = true,
    after_help = "Options oncp accepts but does not act on are marked (ignored): they \
                  print a one-line warning. `oncp man connect` prints the manual page.",
    after_long_help = AFTER_LONG_HELP
)]
pub struct ConnectArgs {
    /// The gateway: `host`, `host:port` or `https://host[:port][/path]`.
    #[arg(value_name = "SERVER")]
    pub server: Option<String>,
    /// Read options from config file (long option names without `--`,
    /// one per line; see `oncp man`).
    #[arg(long, value_name = "CONFIGFILE")]
    pub config: Option<PathBuf>,

    /// VPN protocol: `auto` (the default: Juniper Network Connect, and
    /// Pulse IF-T/TLS with the same cookie when the gateway has oNCP
    /// disabled), `nc` (Network Connect only) or `pulse` (IF-T/TLS only).
    #[arg(long, default_value = "auto", help_heading = heading::PROTOCOL)]
    pub protocol: String,
    /// Same as --protocol=nc (OpenConnect's old spelling).
    #[arg(long, hide = true)]
    pub juniper: bool,

    /// Web login answers and software tokens.
    #[command(flatten)]
    pub auth: super::auth_args::AuthArgs,
    /// Browser (SAML/SSO) sign-in.
    #[command(flatten)]
    pub sso: crate::sso::args::SsoArgs,
    /// Set login usergroup: the gateway URL's path when the server has none.
    #[arg(short = 'g', long, value_name = "GROUP", help_heading = heading::AUTH)]
    pub usergroup: Option<String>,

    /// Accept only server certificate with this fingerprint
    /// (`pin-sha256:BASE64`, or SHA-1/SHA-256 in hex); may be repeated.
    #[arg(long, value_name = "FINGERPRINT", help_heading = heading::VALIDATION)]
    pub servercert: Vec<String>,
    /// Disable default system certificate authorities.
    #[arg(long, help_heading = heading::VALIDATION)]
    pub no_system_trust: bool,
    /// Cert file for server verification.
    #[arg(long, value_name = "FILE", help_heading = heading::VALIDATION)]
    pub cafile: Option<PathBuf>,
    /// TLS library (oncp only): `auto` tries rustls, then OpenSSL with a
    /// warning when the gateway offers only legacy versions/suites.
    #[arg(long, value_enum, default_value_t, value_name = "BACKEND", help_heading = heading::VALIDATION)]
    pub tls_backend: crate::tls::backend::TlsBackend,

    /// Set VPN server (instead of the SERVER argument).
    #[arg(
        long = "server",
        value_name = "SERVER",
        conflicts_with = "server",
        help_heading = heading::INTERNET
    )]
    pub server_option: Option<String>,
    /// Reconnection retry timeout.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 300,
        help_heading = heading::INTERNET
    )]
    pub reconnect_timeout: u64,
    /// Use IP when connecting to HOST (repeatable).
    #[arg(long, value_name = "HOST:IP", help_heading = heading::INTERNET)]
    pub resolve: Vec<Resolve>,

    /// Authenticate only and print login info (COOKIE, HOST, CONNECT_URL,
    /// FINGERPRINT, RESOLVE as shell assignments).
    #[arg(long, help_heading = heading::TWO_PHASE)]
    pub authenticate: bool,
    /// Fetch and print cookie only; don't connect.
    #[arg(long, help_heading = heading::TWO_PHASE)]
    pub cookieonly: bool,
    /// Print cookie before connecting.
    #[arg(long, help_heading = heading::TWO_PHASE)]
    pub printcookie: bool,
    /// Use authentication cookie COOKIE (`DSID=…`; a bare value is the DSID).
    #[arg(short = 'C', long, help_heading = heading::TWO_PHASE)]
    pub cookie: Option<String>,
    /// Read cookie from standard input.
    #[arg(long, conflicts_with = "cookie", help_heading = heading::TWO_PHASE)]
    pub cookie_on_stdin: bool,

    /// Continue in background after startup (once the tunnel is up).
    #[arg(short = 'b', long, help_heading = heading::PROCESS)]
    pub background: bool,
    /// Write the daemon's PID to this file (with --background).
    #[arg(long, value_name = "PIDFILE", help_heading = heading::PROCESS)]
    pub pid_file: Option<PathBuf>,
    /// Drop privileges after connecting (to USER, a name or a uid); a root
    /// helper undoes routes and DNS on exit.
    #[arg(short = 'U', long, value_name = "USER", help_heading = heading::PROCESS)]
    pub setuid: Option<String>,

    /// Use syslog for progress messages (the /dev/log socket, which
    /// journald serves where it runs) instead of standard error.
    #[arg(short = 'l', long, help_heading = heading::LOGGING)]
    pub syslog: bool,
    /// Dump HTTP authentication traffic (implies --verbose; secrets are
    /// redacted below -vv).
    #[arg(long, help_heading = heading::LOGGING)]
    pub dump_http_traffic: bool,
    /// Write TLS secrets to this file in NSS key log format (SSLKEYLOGFILE is also honoured).
    #[arg(long, value_name = "FILE", help_heading = heading::LOGGING)]
    pub keylog: Option<PathBuf>,
    /// Write the IP packets through the tunnel (as the TUN device sees
    /// them, both directions) to this pcapng file for Wireshark.
    #[arg(long, value_name = "FILE", help_heading = heading::LOGGING)]
    pub pcap: Option<PathBuf>,

    /// Use IFNAME for tunnel interface.
    #[arg(short = 'i', long, value_name = "IFNAME", help_heading = heading::SCRIPT)]
    pub interface: Option<String>,
    /// Configure the network with this vpnc-compatible script (default:
    /// oncp's built-in netlink setup).
    #[arg(short = 's', long, value_name = "SCRIPT", help_heading = heading::SCRIPT)]
    pub script: Option<PathBuf>,
    /// How to set the tunnel's DNS without --script: auto (systemd-resolved,
    /// else resolvconf, else /etc/resolv.conf), resolved, resolvconf, file,
    /// or none. Undone on exit; after a crash by the next `oncp connect` or
    /// `oncp cleanup`.
    #[arg(long, value_enum, default_value_t = crate::dns::DnsMode::Auto, value_name = "METHOD", help_heading = heading::SCRIPT)]
    pub dns: crate::dns::DnsMode,

    /// MTU of the tunnel device (default: the gateway's). As with
    /// OpenConnect, the MTU reported to the gateway stays the one it sent.
    #[arg(short = 'm', long, help_heading = heading::TUNNEL)]
    pub mtu: Option<u16>,
    /// Set Dead Peer Detection interval (in seconds).
    #[arg(long, value_name = "INTERVAL", help_heading = heading::TUNNEL)]
    pub force_dpd: Option<u64>,
    /// Disable ESP: carry all traffic over TLS.
    #[arg(long, alias = "no-udp", help_heading = heading::TUNNEL)]
    pub no_dtls: bool,
    /// Do not use the kernel's UDP offloads (GSO, GRO, batched receives)
    /// for ESP: one system call per datagram each way.
    #[arg(long, help_heading = heading::TUNNEL)]
    pub no_offload: bool,

    /// HTTP header User-Agent: field.
    #[arg(long, value_name = "STRING", help_heading = heading::LOCAL)]
    pub useragent: Option<String>,
    /// Local hostname to advertise to server.
    #[arg(long, value_name = "STRING", help_heading = heading::LOCAL)]
    pub local_hostname: Option<String>,

    /// Run SCRIPT instead of trojan binary (the Host Checker, TNCC).
    #[arg(long, value_name = "SCRIPT", help_heading = heading::TROJAN)]
    pub csd_wrapper: Option<PathBuf>,

    /// OpenConnect options oncp accepts without acting on them.
    #[command(flatten)]
    pub ignored: IgnoredArgs,

    /// Show secrets in `--dump-http-traffic` (set from `-vv`, not an option).
    #[arg(skip)]
    pub reveal_secrets: bool,
}

/// Why the server arguments cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerError {
    /// Neither the argument nor `--server`.
    #[error("no server specified")]
    Missing,
}

impl ConnectArgs {
    /// The gateway to use: the SERVER argument or `--server`, with
    /// `--usergroup GROUP` as its path when it has none (OpenConnect: the
    /// URL's own path wins).
    pub fn gateway(&self) -> Result<String, ServerError> {
        let server = self
            .server
            .as_deref()
            .or(self.server_option.as_deref())
            .ok_or(ServerError::Missing)?
            .trim();
        let Some(group) = self.usergroup.as_deref().map(|g| g.trim_matches('/')) else {
            return Ok(server.to_string());
        };
        let after_scheme = server.split_once("://").map_or(server, |(_, r)| r);
        let has_path = after_scheme
            .split_once('/')
            .is_some_and(|(_, p)| !p.is_empty());
        if has_path || group.is_empty() {
            return Ok(server.to_string());
        }
        Ok(format!("{}/{group}", server.trim_end_matches('/')))
    }

    /// Whether only the login is wanted (no tunnel).
    pub fn login_only(&self) -> bool {
        self.authenticate || self.cookieonly
    }

    /// Whether `--protocol` names Pulse IF-T/TLS (`pulse`).
    pub fn protocol_is_pulse(&self) -> bool {
        !self.juniper && self.protocol.eq_ignore_ascii_case("pulse")
    }

    /// Whether `--protocol` (or `--juniper`) names Juniper Network Connect
    /// alone.
    pub fn protocol_is_nc(&self) -> bool {
        self.juniper || self.protocol.eq_ignore_ascii_case("nc")
    }

    /// Whether `--protocol` is `auto` (the default): oNCP, then Pulse with
    /// the same cookie if the gateway refuses oNCP.
    pub fn protocol_is_auto(&self) -> bool {
        !self.juniper && self.protocol.eq_ignore_ascii_case("auto")
    }
}
