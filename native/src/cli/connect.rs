//! `oncp connect` command line. Option names follow `openconnect`'s where
//! the concept is the same, so scripts written for
//! `openconnect --protocol=nc` keep working.

use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `oncp connect`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectArgs {
    /// The gateway: `host`, `host:port` or `https://host[:port][/path]`.
    pub server: String,

    /// The VPN protocol; only `nc` (Juniper Network Connect) is supported.
    #[arg(long, default_value = "nc")]
    pub protocol: String,

    /// Cookie from an earlier login, e.g. `DSID=…` (a bare value is taken as the DSID).
    #[arg(short = 'C', long)]
    pub cookie: Option<String>,
    /// Read the cookie from standard input.
    #[arg(long, conflicts_with = "cookie")]
    pub cookie_on_stdin: bool,

    /// Accept the server's certificate only if it has this fingerprint
    /// (`pin-sha256:BASE64`, or SHA-1/SHA-256 in hex); may be repeated.
    #[arg(long, value_name = "FINGERPRINT")]
    pub servercert: Vec<String>,
    /// Trust the certificate authorities in this PEM file.
    #[arg(long, value_name = "FILE")]
    pub cafile: Option<PathBuf>,
    /// Do not trust the system's certificate authorities.
    #[arg(long)]
    pub no_system_trust: bool,

    /// Configure the network with this vpnc-script.
    #[arg(short = 's', long, value_name = "SCRIPT")]
    pub script: Option<PathBuf>,
    /// Name of the TUN interface to create.
    #[arg(short = 'i', long, value_name = "IFNAME")]
    pub interface: Option<String>,
    /// Request this MTU from the server.
    #[arg(short = 'm', long)]
    pub mtu: Option<u16>,
    /// Do not use ESP over UDP; carry all traffic over TLS.
    #[arg(long, alias = "no-udp")]
    pub no_dtls: bool,

    /// Give up reconnecting after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub reconnect_timeout: u64,
    /// Probe the ESP path every this many seconds.
    #[arg(long, value_name = "INTERVAL")]
    pub force_dpd: Option<u64>,
    /// Host name to report to the gateway.
    #[arg(long, value_name = "STRING")]
    pub local_hostname: Option<String>,
    /// HTTP User-Agent to send.
    #[arg(long, value_name = "STRING")]
    pub useragent: Option<String>,
    /// Write TLS secrets to this file in NSS key log format (SSLKEYLOGFILE is also honoured).
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<PathBuf>,
}

/// Runs `oncp connect`.
pub fn run(_args: ConnectArgs, _verbose: u8) -> ExitCode {
    tracing::error!("`oncp connect` needs the client session, which is not in this build yet");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn connect(args: &[&str]) -> super::ConnectArgs {
        let mut argv = vec!["oncp", "connect"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Connect(a) => *a,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn openconnect_style_options_parse() {
        let a = connect(&[
            "-C",
            "DSID=abc",
            "--servercert",
            "pin-sha256:AAAA",
            "-s",
            "/bin/true",
            "-i",
            "tun7",
            "-m",
            "1300",
            "--no-dtls",
            "--reconnect-timeout",
            "30",
            "--force-dpd",
            "5",
            "--local-hostname",
            "me",
            "--useragent",
            "UA",
            "vpn.example.com",
        ]);
        assert_eq!(a.cookie.as_deref(), Some("DSID=abc"));
        assert_eq!(a.servercert, ["pin-sha256:AAAA"]);
        assert_eq!(a.interface.as_deref(), Some("tun7"));
        assert_eq!(a.mtu, Some(1300));
        assert!(a.no_dtls);
        assert_eq!(a.reconnect_timeout, 30);
        assert_eq!(a.force_dpd, Some(5));
        assert_eq!(a.server, "vpn.example.com");
        assert_eq!(a.protocol, "nc");
    }

    #[test]
    fn equals_forms_and_no_udp_alias() {
        let a = connect(&["--protocol=nc", "--cookie=x", "--mtu=1400", "--no-udp", "h"]);
        assert_eq!(a.mtu, Some(1400));
        assert!(a.no_dtls);
        assert_eq!(a.reconnect_timeout, 300);
    }

    #[test]
    fn cookie_sources_conflict() {
        let r = Cli::try_parse_from(["oncp", "connect", "-C", "x", "--cookie-on-stdin", "h"]);
        assert!(r.is_err());
    }
}
