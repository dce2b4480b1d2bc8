//! `oncp gateway` settings as given by a user: every field optional, from
//! command-line flags or a TOML config file (`--config FILE`). Flags win
//! over the file, the file over the defaults; [`Settings::into_config`]
//! turns the result into a [`GatewayConfig`].

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use ipnet::{Ipv4Net, Ipv6Net};
use oncp_core::esp::{Cipher, Integrity};
use serde::Deserialize;

use super::protocol::ProtocolChoice;
use super::{CertSource, DataPlaneMode, GatewayConfig};

/// Default HTTPS address.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:443";
/// Default ESP port.
pub const DEFAULT_ESP_PORT: u16 = 4500;
/// Default address pool.
pub const DEFAULT_POOL: &str = "10.10.1.0/24";
/// Default tunnel MTU.
pub const DEFAULT_MTU: u32 = 1400;
/// Default ESP dead-peer-detection interval announced to clients (s).
pub const DEFAULT_DPD: u64 = 15;

/// Gateway settings; `None`/empty means "not given here".
///
/// The TOML file uses the same names, e.g.
/// ```toml
/// listen = "192.0.2.1:443"
/// pool = "10.10.1.0/24"
/// routes = ["10.10.0.0/16"]
/// dns = ["10.10.0.53"]
/// domain = "corp.example"
/// cipher = "aes256"
/// mac = "sha1"
/// rekey = 3600
/// [users]
/// alice = "secret"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// HTTPS (and tunnel) address.
    pub listen: Option<SocketAddr>,
    /// ESP UDP port.
    pub esp_port: Option<u16>,
    /// Offer ESP (`false`: TLS only).
    pub esp: Option<bool>,
    /// Certificate chain (PEM).
    pub cert: Option<PathBuf>,
    /// Private key (PEM).
    pub key: Option<PathBuf>,
    /// Names for a generated self-signed certificate.
    #[serde(default)]
    pub cert_names: Vec<String>,
    /// Users who may sign in: name → password.
    #[serde(default)]
    pub users: BTreeMap<String, String>,
    /// A file of `NAME:PASSWORD` lines.
    pub users_file: Option<PathBuf>,
    /// DSIDs accepted without signing in.
    #[serde(default)]
    pub dsids: Vec<String>,
    /// Address pool.
    pub pool: Option<Ipv4Net>,
    /// IPv6 address pool (Pulse only): a client gets the host number of
    /// its IPv4 address in it.
    pub pool6: Option<Ipv6Net>,
    /// Tunnel protocols served: `nc`, `pulse` or `both`.
    pub protocol: Option<ProtocolChoice>,
    /// Answer oNCP tunnels with status 8 (oNCP switched off).
    pub disable_oncp: Option<bool>,
    /// Let Pulse's ESP carry both IP families (0x4024 = 1).
    pub esp_both_families: Option<bool>,
    /// Split-include routes.
    #[serde(default)]
    pub routes: Vec<Ipv4Net>,
    /// Split-exclude routes.
    #[serde(default)]
    pub exclude: Vec<Ipv4Net>,
    /// DNS servers.
    #[serde(default)]
    pub dns: Vec<Ipv4Addr>,
    /// WINS servers.
    #[serde(default)]
    pub wins: Vec<Ipv4Addr>,
    /// DNS search domain.
    pub domain: Option<String>,
    /// Tunnel MTU.
    pub mtu: Option<u32>,
    /// ESP cipher: `aes128` or `aes256`.
    pub cipher: Option<String>,
    /// ESP integrity: `sha1` or `md5`.
    pub mac: Option<String>,
    /// LZO-compress packets sent to clients over ESP.
    pub compression: Option<bool>,
    /// Serve only legacy TLS (OpenSSL, TLS 1.2 RSA-kex AES-CBC).
    pub legacy_tls: Option<bool>,
    /// Use the kernel's UDP offloads for ESP (`false`: `--no-offload`).
    pub offload: Option<bool>,
    /// ESP rekey interval in seconds.
    pub rekey: Option<u64>,
    /// ESP DPD interval announced to clients, in seconds.
    pub dpd: Option<u64>,
    /// Echo mode instead of a TUN device.
    pub echo: Option<bool>,
    /// TUN device name.
    pub interface: Option<String>,
    /// Print the counters every this many seconds (0 or absent: never).
    pub stats: Option<u64>,
}

/// A setting that is present but wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    /// The config file is not valid TOML for these settings.
    #[error("config file {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What is wrong (with line and column from the TOML parser).
        message: String,
    },
    /// A user entry is not `NAME:PASSWORD`.
    #[error("user entry {0:?} is not NAME:PASSWORD")]
    User(String),
    /// Unknown cipher name.
    #[error("unknown ESP cipher {0:?} (aes128 or aes256)")]
    Cipher(String),
    /// Unknown integrity algorithm name.
    #[error("unknown ESP integrity algorithm {0:?} (sha1 or md5; sha256 with --protocol pulse)")]
    Mac(String),
    /// Only one of --cert and --key.
    #[error("--cert and --key go together")]
    CertWithoutKey,
    /// Bad numbers.
    #[error("{0}")]
    Range(&'static str),
}

impl Settings {
    /// Parses a TOML config file's text; `path` is for messages.
    pub fn from_toml(text: &str, path: &str) -> Result<Settings, SettingsError> {
        toml::from_str(text).map_err(|e| SettingsError::File {
            path: path.to_string(),
            message: e.to_string().trim_end().to_string(),
        })
    }

    /// Reads a TOML config file.
    pub fn from_file(path: &Path) -> anyhow::Result<Settings> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        Ok(Settings::from_toml(&text, &path.display().to_string())?)
    }

    /// `self` where given, `base` elsewhere. Lists are taken whole from
    /// one side (the one that has any), except users and DSIDs, which add up.
    pub fn over(self, base: Settings) -> Settings {
        fn list<T>(a: Vec<T>, b: Vec<T>) -> Vec<T> {
            if a.is_empty() { b } else { a }
        }
        let mut users = base.users;
        users.extend(self.users);
        let mut dsids = base.dsids;
        dsids.extend(self.dsids);
        Settings {
            listen: self.listen.or(base.listen),
            esp_port: self.esp_port.or(base.esp_port),
            esp: self.esp.or(base.esp),
            cert: self.cert.or(base.cert),
            key: self.key.or(base.key),
            cert_names: list(self.cert_names, base.cert_names),
            users,
            users_file: self.users_file.or(base.users_file),
            dsids,
            pool: self.pool.or(base.pool),
            pool6: self.pool6.or(base.pool6),
            protocol: self.protocol.or(base.protocol),
            disable_oncp: self.disable_oncp.or(base.disable_oncp),
            esp_both_families: self.esp_both_families.or(base.esp_both_families),
            routes: list(self.routes, base.routes),
            exclude: list(self.exclude, base.exclude),
            dns: list(self.dns, base.dns),
            wins: list(self.wins, base.wins),
            domain: self.domain.or(base.domain),
            mtu: self.mtu.or(base.mtu),
            cipher: self.cipher.or(base.cipher),
            mac: self.mac.or(base.mac),
            compression: self.compression.or(base.compression),
            legacy_tls: self.legacy_tls.or(base.legacy_tls),
            offload: self.offload.or(base.offload),
            rekey: self.rekey.or(base.rekey),
            dpd: self.dpd.or(base.dpd),
            echo: self.echo.or(base.echo),
            interface: self.interface.or(base.interface),
            stats: self.stats.or(base.stats),
        }
    }

    /// Adds the users of a `NAME:PASSWORD`-per-line text (`#` comments and
    /// blank lines skipped).
    pub fn add_users_text(&mut self, text: &str) -> Result<(), SettingsError> {
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            self.add_user(line)?;
        }
        Ok(())
    }

    /// Adds one `NAME:PASSWORD` user.
    pub fn add_user(&mut self, entry: &str) -> Result<(), SettingsError> {
        let (u, p) = entry
            .split_once(':')
            .filter(|(u, _)| !u.is_empty())
            .ok_or_else(|| SettingsError::User(entry.to_string()))?;
        self.users.insert(u.to_string(), p.to_string());
        Ok(())
    }

    /// The gateway configuration, with defaults for what is not given.
    /// Reads `users_file` if set.
    pub fn into_config(mut self) -> anyhow::Result<GatewayConfig> {
        if let Some(f) = self.users_file.take() {
            let text = std::fs::read_to_string(&f)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", f.display()))?;
            self.add_users_text(&text)?;
        }
        Ok(self.into_config_without_files()?)
    }

    fn into_config_without_files(self) -> Result<GatewayConfig, SettingsError> {
        let listen = self
            .listen
            .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("default address"));
        let cert = match (self.cert, self.key) {
            (Some(cert), Some(key)) => CertSource::Files { cert, key },
            (None, None) => {
                let mut names = if self.cert_names.is_empty() {
                    vec!["localhost".to_string()]
                } else {
                    self.cert_names
                };
                let ip = listen.ip().to_string();
                if !listen.ip().is_unspecified() && !names.contains(&ip) {
                    names.push(ip);
                }
                CertSource::SelfSigned(names)
            }
            _ => return Err(SettingsError::CertWithoutKey),
        };
        let pool = self
            .pool
            .unwrap_or_else(|| DEFAULT_POOL.parse().expect("default pool"))
            .trunc();
        if pool.prefix_len() > 30 {
            return Err(SettingsError::Range(
                "the pool needs room for the gateway and a client (/30 or larger)",
            ));
        }
        let mtu = self.mtu.unwrap_or(DEFAULT_MTU);
        if !(576..=65_535).contains(&mtu) {
            return Err(SettingsError::Range("the MTU must be 576 to 65535"));
        }
        // Names from the one ESP name table (short or display form).
        let cipher = match self.cipher.as_deref() {
            None => Cipher::Aes128Cbc,
            Some(name) => {
                Cipher::from_name(name).ok_or_else(|| SettingsError::Cipher(name.to_string()))?
            }
        };
        let protocol = self.protocol.unwrap_or_default();
        // HMAC-SHA-256-128 exists only in Pulse (spec/pulse.md §6.4).
        let integrity = match self.mac.as_deref() {
            None => Integrity::HmacSha1_96,
            Some(name) => Integrity::from_name(name)
                .filter(|m| Integrity::ONCP.contains(m) || protocol == ProtocolChoice::Pulse)
                .ok_or_else(|| SettingsError::Mac(name.to_string()))?,
        };
        let pool6 = self.pool6.map(|p| p.trunc());
        if pool6.is_some_and(|p| p.prefix_len() > 120) {
            return Err(SettingsError::Range(
                "the IPv6 pool needs room for the clients (/120 or larger)",
            ));
        }
        if self.rekey == Some(0) {
            return Err(SettingsError::Range("the rekey interval must be positive"));
        }
        Ok(GatewayConfig {
            listen,
            esp_port: self.esp_port.unwrap_or(DEFAULT_ESP_PORT),
            esp: self.esp.unwrap_or(true),
            cert,
            users: self.users.into_iter().collect(),
            dsids: self.dsids,
            pool,
            pool6,
            protocol,
            disable_oncp: self.disable_oncp.unwrap_or(false) || !protocol.oncp(),
            esp_both_families: self.esp_both_families.unwrap_or(false),
            routes: if self.routes.is_empty() {
                vec![pool]
            } else {
                self.routes
            },
            exclude: self.exclude,
            dns: self.dns,
            wins: self.wins,
            domain: self.domain,
            mtu,
            cipher,
            integrity,
            compression: self.compression.unwrap_or(false),
            legacy_tls: self.legacy_tls.unwrap_or(false),
            offload: if self.offload.unwrap_or(true) {
                crate::esp_batch::Offload::On
            } else {
                crate::esp_batch::Offload::Off
            },
            rekey_after: self.rekey.map(std::time::Duration::from_secs),
            dpd: std::time::Duration::from_secs(self.dpd.unwrap_or(DEFAULT_DPD)),
            login: Default::default(),
            dataplane: if self.echo.unwrap_or(false) {
                DataPlaneMode::Echo
            } else {
                DataPlaneMode::Tun {
                    name: self.interface,
                }
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
listen = "192.0.2.1:8443"
esp_port = 4501
pool = "10.20.0.0/16"
routes = ["10.20.0.0/16", "172.16.0.0/12"]
exclude = ["10.20.9.0/24"]
dns = ["10.20.0.53", "10.20.0.54"]
wins = ["10.20.0.55"]
domain = "corp.example"
mtu = 1300
cipher = "aes256"
mac = "md5"
compression = true
rekey = 600
dpd = 5
dsids = ["fromfile"]
[users]
alice = "wonderland"
"#;

    #[test]
    fn file_gives_every_setting() {
        let s = Settings::from_toml(FILE, "gw.toml").unwrap();
        let c = s.into_config_without_files().unwrap();
        assert_eq!(c.listen, "192.0.2.1:8443".parse().unwrap());
        assert_eq!(c.esp_port, 4501);
        assert!(c.esp);
        assert_eq!(c.pool, "10.20.0.0/16".parse().unwrap());
        assert_eq!(c.routes.len(), 2);
        assert_eq!(c.exclude, vec!["10.20.9.0/24".parse().unwrap()]);
        assert_eq!(c.dns.len(), 2);
        assert_eq!(c.wins, vec![Ipv4Addr::new(10, 20, 0, 55)]);
        assert_eq!(c.domain.as_deref(), Some("corp.example"));
        assert_eq!(c.mtu, 1300);
        assert_eq!(c.cipher, Cipher::Aes256Cbc);
        assert_eq!(c.integrity, Integrity::HmacMd5_96);
        assert!(c.compression);
        assert_eq!(c.rekey_after, Some(std::time::Duration::from_secs(600)));
        assert_eq!(c.dpd, std::time::Duration::from_secs(5));
        assert_eq!(c.users, vec![("alice".into(), "wonderland".into())]);
        assert_eq!(c.dsids, vec!["fromfile".to_string()]);
        // The generated certificate also names the listening address.
        match c.cert {
            CertSource::SelfSigned(n) => assert_eq!(n, ["localhost", "192.0.2.1"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(c.dataplane, DataPlaneMode::Tun { name: None }));
    }

    #[test]
    fn flags_win_over_the_file_and_users_add_up() {
        let file = Settings::from_toml(FILE, "gw.toml").unwrap();
        let mut flags = Settings {
            mtu: Some(1200),
            routes: vec!["10.30.0.0/16".parse().unwrap()],
            echo: Some(true),
            ..Default::default()
        };
        flags.add_user("bob:builder").unwrap();
        let c = flags.over(file).into_config_without_files().unwrap();
        assert_eq!(c.mtu, 1200);
        assert_eq!(c.routes, vec!["10.30.0.0/16".parse().unwrap()]);
        assert_eq!(c.esp_port, 4501, "from the file");
        assert_eq!(c.users.len(), 2);
        assert!(matches!(c.dataplane, DataPlaneMode::Echo));
    }

    #[test]
    fn defaults_without_anything() {
        let c = Settings::default().into_config_without_files().unwrap();
        assert_eq!(c.listen, DEFAULT_LISTEN.parse().unwrap());
        assert_eq!(c.pool, DEFAULT_POOL.parse().unwrap());
        assert_eq!(c.routes, vec![c.pool]);
        assert_eq!(c.mtu, DEFAULT_MTU);
        assert_eq!(c.cipher, Cipher::Aes128Cbc);
        assert_eq!(c.integrity, Integrity::HmacSha1_96);
        assert_eq!(c.rekey_after, None);
        match c.cert {
            CertSource::SelfSigned(n) => assert_eq!(n, ["localhost"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pulse_settings() {
        let c = Settings {
            protocol: Some(ProtocolChoice::Pulse),
            mac: Some("sha256".into()),
            pool6: Some("fd00:10::7/64".parse().unwrap()),
            ..Default::default()
        }
        .into_config_without_files()
        .unwrap();
        assert_eq!(c.integrity, Integrity::HmacSha256_128);
        assert!(c.disable_oncp, "pulse only: oNCP gets status 8");
        assert_eq!(c.pool6, Some("fd00:10::/64".parse().unwrap()));
        let both = Settings::default().into_config_without_files().unwrap();
        assert_eq!(both.protocol, ProtocolChoice::Both);
        assert!(!both.disable_oncp);
        let off = Settings {
            disable_oncp: Some(true),
            ..Default::default()
        };
        assert!(off.into_config_without_files().unwrap().disable_oncp);
        let e = Settings {
            pool6: Some("fd00::/124".parse().unwrap()),
            ..Default::default()
        };
        assert!(matches!(
            e.into_config_without_files(),
            Err(SettingsError::Range(_))
        ));
        let t = Settings::from_toml("protocol = \"pulse\"\npool6 = \"fd00::/64\"\n", "gw.toml")
            .unwrap();
        assert_eq!(t.protocol, Some(ProtocolChoice::Pulse));
    }

    #[test]
    fn wrong_settings_are_clear_errors() {
        let e = Settings::from_toml("mtu = \"big\"\n", "gw.toml").unwrap_err();
        assert!(
            matches!(&e, SettingsError::File { path, message } if path == "gw.toml" && message.contains("mtu")),
            "{e}"
        );
        let e = Settings::from_toml("mtuu = 1400\n", "gw.toml").unwrap_err();
        assert!(e.to_string().contains("mtuu"), "{e}");
        let bad = |s: Settings| s.into_config_without_files().unwrap_err();
        assert_eq!(
            bad(Settings {
                cipher: Some("des".into()),
                ..Default::default()
            }),
            SettingsError::Cipher("des".into())
        );
        assert_eq!(
            bad(Settings {
                mac: Some("sha256".into()),
                ..Default::default()
            }),
            SettingsError::Mac("sha256".into())
        );
        assert_eq!(
            bad(Settings {
                cert: Some("c.pem".into()),
                ..Default::default()
            }),
            SettingsError::CertWithoutKey
        );
        assert!(matches!(
            bad(Settings {
                pool: Some("10.0.0.0/31".parse().unwrap()),
                ..Default::default()
            }),
            SettingsError::Range(_)
        ));
        assert!(matches!(
            bad(Settings {
                mtu: Some(100),
                ..Default::default()
            }),
            SettingsError::Range(_)
        ));
        let mut s = Settings::default();
        assert_eq!(
            s.add_users_text("# users\nalice:a:b\n\nnopassword\n"),
            Err(SettingsError::User("nopassword".into()))
        );
        assert_eq!(s.users.get("alice").map(String::as_str), Some("a:b"));
    }
}
