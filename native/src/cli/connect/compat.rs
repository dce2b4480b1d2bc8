//! OpenConnect 9.01 options that oncp accepts but does not act on: other
//! protocols' knobs (AnyConnect's DTLS ciphers, compression, XML POST),
//! client certificates, proxies. Scripts that pass them keep
//! working; each one given prints a one-line warning saying what oncp
//! does instead.

use super::heading;

/// The accepted-but-ignored options, grouped under OpenConnect's headings.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct IgnoredArgs {
    /// (ignored) Disable password/SecurID authentication.
    #[arg(long, help_heading = heading::AUTH)]
    pub no_passwd: bool,
    /// (ignored) Use SSL client certificate CERT.
    #[arg(short = 'c', long, value_name = "CERT", help_heading = heading::AUTH)]
    pub certificate: Option<String>,
    /// (ignored) Use SSL private key file KEY.
    #[arg(short = 'k', long, value_name = "KEY", help_heading = heading::AUTH)]
    pub sslkey: Option<String>,
    /// (ignored) Warn when certificate lifetime < DAYS.
    #[arg(short = 'e', long, value_name = "DAYS", help_heading = heading::AUTH)]
    pub cert_expire_warning: Option<String>,
    /// (ignored) Set key passphrase or TPM SRK PIN.
    #[arg(short = 'p', long, value_name = "PASS", help_heading = heading::AUTH)]
    pub key_password: Option<String>,
    /// (ignored) Key passphrase is fsid of file system.
    #[arg(long, help_heading = heading::AUTH)]
    pub key_password_from_fsid: bool,

    /// (ignored: oncp connects directly) Set proxy server.
    #[arg(short = 'P', long, value_name = "URL", help_heading = heading::INTERNET)]
    pub proxy: Option<String>,
    /// (ignored) Set proxy authentication methods.
    #[arg(long, value_name = "METHODS", help_heading = heading::INTERNET)]
    pub proxy_auth: Option<String>,
    /// Disable proxy (oncp never uses one).
    #[arg(long, help_heading = heading::INTERNET)]
    pub no_proxy: bool,
    /// (ignored) Use libproxy to automatically configure proxy.
    #[arg(long, help_heading = heading::INTERNET)]
    pub libproxy: bool,
    /// (ignored) Copy TOS / TCLASS field into ESP packets.
    #[arg(long, help_heading = heading::INTERNET)]
    pub passtos: bool,
    /// (ignored) Set local port for ESP datagrams.
    #[arg(long, value_name = "PORT", help_heading = heading::INTERNET)]
    pub dtls_local_port: Option<String>,
    /// (ignored) HTTP authentication methods for the server.
    #[arg(long, value_name = "METHODS", hide = true)]
    pub http_auth: Option<String>,

    /// (ignored: log lines carry a timestamp already) Prepend timestamp.
    #[arg(long, help_heading = heading::LOGGING)]
    pub timestamp: bool,

    /// (ignored: traffic goes to a TUN device) Pass traffic to 'script'
    /// program, not tun.
    #[arg(short = 'S', long, help_heading = heading::SCRIPT)]
    pub script_tun: bool,

    /// (ignored) Do not ask for IPv6 connectivity.
    #[arg(long, help_heading = heading::TUNNEL)]
    pub disable_ipv6: bool,
    /// (ignored: AnyConnect only) XML config file.
    #[arg(short = 'x', long, value_name = "CONFIG", help_heading = heading::TUNNEL)]
    pub xmlconfig: Option<String>,
    /// (ignored) Indicate path MTU to/from server.
    #[arg(long, value_name = "MTU", help_heading = heading::TUNNEL)]
    pub base_mtu: Option<String>,
    /// (ignored) Enable stateful compression.
    #[arg(short = 'd', long, help_heading = heading::TUNNEL)]
    pub deflate: bool,
    /// (ignored) Disable all compression.
    #[arg(short = 'D', long, help_heading = heading::TUNNEL)]
    pub no_deflate: bool,
    /// (ignored) Compression mode.
    #[arg(long, value_name = "MODE", hide = true)]
    pub compression: Option<String>,
    /// (ignored) Require perfect forward secrecy.
    #[arg(long, help_heading = heading::TUNNEL)]
    pub pfs: bool,
    /// (ignored: AnyConnect only) OpenSSL ciphers to support for DTLS.
    #[arg(long, value_name = "LIST", help_heading = heading::TUNNEL)]
    pub dtls_ciphers: Option<String>,
    /// (ignored: AnyConnect only) Ciphers for DTLS 1.2.
    #[arg(long, value_name = "LIST", hide = true)]
    pub dtls12_ciphers: Option<String>,
    /// (ignored) Set packet queue limit to LEN pkts.
    #[arg(short = 'Q', long, value_name = "LEN", help_heading = heading::TUNNEL)]
    pub queue_len: Option<String>,

    /// (ignored) OS type to report.
    #[arg(long, value_name = "STRING", help_heading = heading::LOCAL)]
    pub os: Option<String>,
    /// (ignored) Reported version string during authentication.
    #[arg(long, value_name = "STRING", help_heading = heading::LOCAL)]
    pub version_string: Option<String>,

    /// (ignored) Drop privileges during trojan execution.
    #[arg(long, value_name = "USER", help_heading = heading::TROJAN)]
    pub csd_user: Option<String>,
    /// (ignored) Set minimum interval between trojan runs (in seconds).
    #[arg(long, value_name = "INTERVAL", help_heading = heading::TROJAN)]
    pub force_trojan: Option<String>,

    /// (ignored) Disable HTTP connection re-use.
    #[arg(long, help_heading = heading::SERVER_BUGS)]
    pub no_http_keepalive: bool,
    /// (ignored: AnyConnect only) Do not attempt XML POST authentication.
    #[arg(long, help_heading = heading::SERVER_BUGS)]
    pub no_xmlpost: bool,
    /// (ignored: oncp's TLS offers no 3DES or RC4) Allow insecure ciphers.
    #[arg(long, help_heading = heading::SERVER_BUGS)]
    pub allow_insecure_crypto: bool,

    /// (ignored) Use MCA certificate MCACERT.
    #[arg(long, value_name = "MCACERT", help_heading = heading::MCA)]
    pub mca_certificate: Option<String>,
    /// (ignored) Use MCA key MCAKEY.
    #[arg(long, value_name = "MCAKEY", help_heading = heading::MCA)]
    pub mca_key: Option<String>,
    /// (ignored) Passphrase MCAPASS for MCACERT/MCAKEY.
    #[arg(long, value_name = "MCAPASS", help_heading = heading::MCA)]
    pub mca_key_password: Option<String>,

    /// (ignored) GnuTLS debug level.
    #[arg(long, value_name = "LEVEL", hide = true)]
    pub gnutls_debug: Option<String>,
    /// (ignored) GnuTLS priority string.
    #[arg(long, value_name = "STRING", hide = true)]
    pub gnutls_priority: Option<String>,
    /// Removed from OpenConnect as insecure; refused.
    #[arg(long, hide = true)]
    pub no_cert_check: bool,
}

/// `--no-cert-check` was given: refused, as OpenConnect 9.01 does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the --no-cert-check option was insecure and has been removed; \
     fix the server's certificate or use --servercert to trust it"
)]
pub struct NoCertCheck;

impl IgnoredArgs {
    /// One warning line per option given, saying why it has no effect.
    pub fn warnings(&self) -> Vec<String> {
        let flags: &[(bool, &str, &str)] = &[
            (
                self.no_passwd,
                "--no-passwd",
                "password fields are still filled or asked",
            ),
            (
                self.key_password_from_fsid,
                "--key-password-from-fsid",
                "oncp has no client certificates",
            ),
            (self.libproxy, "--libproxy", "oncp connects directly"),
            (self.passtos, "--passtos", "ESP packets keep TOS 0"),
            (
                self.timestamp,
                "--timestamp",
                "log lines carry a timestamp already",
            ),
            (
                self.script_tun,
                "--script-tun",
                "traffic goes to a kernel TUN device",
            ),
            (
                self.disable_ipv6,
                "--disable-ipv6",
                "IPv6 settings from the gateway are applied",
            ),
            (self.deflate, "--deflate", "compression follows the gateway"),
            (
                self.no_deflate,
                "--no-deflate",
                "compression follows the gateway",
            ),
            (
                self.pfs,
                "--pfs",
                "TLS key exchange is always ephemeral in oncp",
            ),
            (
                self.no_http_keepalive,
                "--no-http-keepalive",
                "an AnyConnect workaround",
            ),
            (self.no_xmlpost, "--no-xmlpost", "an AnyConnect option"),
            (
                self.allow_insecure_crypto,
                "--allow-insecure-crypto",
                "oncp never offers 3DES or RC4",
            ),
        ];
        let values: &[(&Option<String>, &str, &str)] = &[
            (
                &self.certificate,
                "--certificate",
                "oncp has no client certificates",
            ),
            (&self.sslkey, "--sslkey", "oncp has no client certificates"),
            (
                &self.cert_expire_warning,
                "--cert-expire-warning",
                "oncp has no client certificates",
            ),
            (
                &self.key_password,
                "--key-password",
                "oncp has no client certificates",
            ),
            (&self.proxy, "--proxy", "oncp connects directly"),
            (&self.proxy_auth, "--proxy-auth", "oncp connects directly"),
            (
                &self.dtls_local_port,
                "--dtls-local-port",
                "the ESP socket uses an ephemeral port",
            ),
            (&self.http_auth, "--http-auth", "Juniper logins use forms"),
            (&self.xmlconfig, "--xmlconfig", "an AnyConnect option"),
            (&self.base_mtu, "--base-mtu", "use --mtu"),
            (
                &self.compression,
                "--compression",
                "compression follows the gateway",
            ),
            (&self.dtls_ciphers, "--dtls-ciphers", "an AnyConnect option"),
            (
                &self.dtls12_ciphers,
                "--dtls12-ciphers",
                "an AnyConnect option",
            ),
            (
                &self.queue_len,
                "--queue-len",
                "oncp sizes its queues itself",
            ),
            (&self.os, "--os", "not reported by the nc protocol"),
            (
                &self.version_string,
                "--version-string",
                "not reported by the nc protocol",
            ),
            (
                &self.csd_user,
                "--csd-user",
                "--csd-wrapper runs as oncp's user",
            ),
            (
                &self.force_trojan,
                "--force-trojan",
                "the Host Checker runs once per login",
            ),
            (
                &self.mca_certificate,
                "--mca-certificate",
                "an AnyConnect option",
            ),
            (&self.mca_key, "--mca-key", "an AnyConnect option"),
            (
                &self.mca_key_password,
                "--mca-key-password",
                "an AnyConnect option",
            ),
        ];
        let tls: &[(&Option<String>, &str)] = &[
            (&self.gnutls_debug, "--gnutls-debug"),
            (&self.gnutls_priority, "--gnutls-priority"),
        ];
        let mut out: Vec<String> = flags
            .iter()
            .filter(|(on, _, _)| *on)
            .map(|(_, name, why)| format!("{name} is ignored: {why}"))
            .collect();
        out.extend(
            values
                .iter()
                .filter(|(v, _, _)| v.is_some())
                .map(|(_, name, why)| format!("{name} is ignored: {why}")),
        );
        out.extend(
            tls.iter()
                .filter(|(v, _)| v.is_some())
                .map(|(_, name)| format!("{name} is ignored: oncp uses rustls, not GnuTLS")),
        );
        out
    }

    /// Refuses what OpenConnect refuses.
    pub fn check(&self) -> Result<(), NoCertCheck> {
        if self.no_cert_check {
            return Err(NoCertCheck);
        }
        Ok(())
    }
}
