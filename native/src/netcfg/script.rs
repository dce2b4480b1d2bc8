//! Running a vpnc-script with the environment OpenConnect gives it, so
//! Debian's `/usr/share/vpnc-scripts/vpnc-script` works unchanged.
//!
//! The variable set follows OpenConnect 9.01's `script.c`
//! (`prepare_script_env`) and `tun.c` (`TUNDEV`): variables it clears are
//! removed from the environment here too. The `CISCO_SPLIT_*_PROTOCOL`,
//! `_SPORT` and `_DPORT` variables that vpnc-script documents as unused are
//! not set by OpenConnect 9.01, so they are not set here either. The
//! environment is built from the protocol-neutral configuration; the IPv6
//! variables (`INTERNAL_IP6_*`, `CISCO_IPV6_SPLIT_*`) appear only when the
//! protocol gives IPv6 settings (oNCP never does).

use oncp_core::tunnel::{Prefix, TunnelConfig};
use std::fmt::Display;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// Why the script is called (`reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Before the TUN device is created.
    PreInit,
    /// The tunnel is up: configure the device, routes and DNS.
    Connect,
    /// The tunnel is going away: undo.
    Disconnect,
    /// Before trying to reconnect after losing the TLS connection.
    AttemptReconnect,
    /// Reconnected with the same configuration.
    Reconnect,
}

impl Reason {
    /// The value of `reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::PreInit => "pre-init",
            Reason::Connect => "connect",
            Reason::Disconnect => "disconnect",
            Reason::AttemptReconnect => "attempt-reconnect",
            Reason::Reconnect => "reconnect",
        }
    }
}

/// What the environment is built from.
#[derive(Debug, Clone, Copy)]
pub struct ScriptInputs<'a> {
    /// The gateway's address (numeric, as connected).
    pub gateway: IpAddr,
    /// The TUN device name.
    pub tundev: &'a str,
    /// The configuration the gateway sent (absent for `pre-init`).
    pub config: Option<&'a TunnelConfig>,
    /// The tunnel MTU in use.
    pub mtu: u32,
    /// This process's id (`VPNPID`).
    pub pid: u32,
    /// OpenConnect's log level: 0 error, 1 info, 2 debug, 3 trace.
    pub log_level: u8,
}

/// One environment change: `Some(value)` sets, `None` removes.
pub type EnvVar = (String, Option<String>);

/// The environment for `reason`, in a stable order.
pub fn script_env(reason: Reason, inp: &ScriptInputs<'_>) -> Vec<EnvVar> {
    let mut env: Vec<EnvVar> = Vec::new();
    let mut set = |k: &str, v: Option<String>| env.push((k.to_string(), v));
    set("reason", Some(reason.as_str().into()));
    set("VPNGATEWAY", Some(inp.gateway.to_string()));
    set("VPNPID", Some(inp.pid.to_string()));
    set("LOG_LEVEL", Some(inp.log_level.to_string()));
    // Unset before the device exists (pre-init without -i), as in OpenConnect.
    set(
        "TUNDEV",
        Some(inp.tundev.to_string()).filter(|t| !t.is_empty()),
    );
    set("CISCO_BANNER", None);
    set("IDLE_TIMEOUT", None);
    set("INTERNAL_IP4_MTU", Some(inp.mtu.to_string()));
    let Some(cfg) = inp.config else {
        set("CISCO_SPLIT_INC", None);
        set("CISCO_SPLIT_EXC", None);
        return env;
    };
    if let Some(a) = cfg.ipv4 {
        set("INTERNAL_IP4_ADDRESS", Some(a.addr.to_string()));
        if let Some(len) = a.prefix_len {
            let p = Prefix { addr: a.addr, len };
            set("INTERNAL_IP4_NETADDR", Some(p.network().to_string()));
            set("INTERNAL_IP4_NETMASK", Some(p.netmask().to_string()));
            set("INTERNAL_IP4_NETMASKLEN", Some(len.to_string()));
        }
    }
    set("INTERNAL_IP4_DNS", joined(cfg.dns_v4()));
    set("INTERNAL_IP4_NBNS", joined(cfg.wins.iter()));
    set(
        "CISCO_DEF_DOMAIN",
        Some(cfg.search_domains.join(" ")).filter(|d| !d.is_empty()),
    );
    if let Some(a) = cfg.ipv6 {
        set("INTERNAL_IP6_ADDRESS", Some(a.addr.to_string()));
        if let Some(len) = a.prefix_len {
            set("INTERNAL_IP6_NETMASK", Some(format!("{}/{len}", a.addr)));
        }
    }
    if let Some(dns6) = joined(cfg.dns_v6()) {
        set("INTERNAL_IP6_DNS", Some(dns6));
    }
    split_vars(&mut env, "INC", &cfg.include_v4);
    split_vars(&mut env, "EXC", &cfg.exclude_v4);
    split_vars6(&mut env, "INC", &cfg.include_v6);
    split_vars6(&mut env, "EXC", &cfg.exclude_v6);
    env
}

/// Up to three addresses, space-separated, as OpenConnect passes them.
fn joined<T: Display>(addrs: impl Iterator<Item = T>) -> Option<String> {
    let v: Vec<String> = addrs.take(3).map(|a| a.to_string()).collect();
    (!v.is_empty()).then(|| v.join(" "))
}

fn split_vars(env: &mut Vec<EnvVar>, kind: &str, routes: &[Prefix<Ipv4Addr>]) {
    for (n, r) in routes.iter().enumerate() {
        let net = r.network();
        if net != r.addr {
            tracing::warn!(
                "split route {}/{} has host bits set, using {net}/{}",
                r.addr,
                r.len,
                r.len
            );
        }
        let p = format!("CISCO_SPLIT_{kind}_{n}");
        env.push((format!("{p}_ADDR"), Some(net.to_string())));
        env.push((format!("{p}_MASK"), Some(r.netmask().to_string())));
        env.push((format!("{p}_MASKLEN"), Some(r.len.to_string())));
    }
    let count = (!routes.is_empty()).then(|| routes.len().to_string());
    env.push((format!("CISCO_SPLIT_{kind}"), count));
}

/// IPv6 split routes, only when there are any.
fn split_vars6(env: &mut Vec<EnvVar>, kind: &str, routes: &[Prefix<Ipv6Addr>]) {
    if routes.is_empty() {
        return;
    }
    for (n, r) in routes.iter().enumerate() {
        let p = format!("CISCO_IPV6_SPLIT_{kind}_{n}");
        env.push((format!("{p}_ADDR"), Some(r.network().to_string())));
        env.push((format!("{p}_MASKLEN"), Some(r.len.to_string())));
    }
    env.push((
        format!("CISCO_IPV6_SPLIT_{kind}"),
        Some(routes.len().to_string()),
    ));
}

/// A script that failed.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// It could not be started.
    #[error("failed to spawn script {script} for {reason}: {source}")]
    Spawn {
        /// The script.
        script: String,
        /// The reason it was run for.
        reason: &'static str,
        /// The I/O error.
        source: std::io::Error,
    },
    /// It exited unsuccessfully.
    #[error("script {script} for {reason} failed: {status}")]
    Failed {
        /// The script.
        script: String,
        /// The reason it was run for.
        reason: &'static str,
        /// How it exited.
        status: std::process::ExitStatus,
    },
}

/// Runs `script` through `/bin/sh -c` (as OpenConnect does, so the value may
/// carry arguments) with `env` applied on top of this process's environment,
/// and waits for it.
pub async fn run(script: &Path, reason: Reason, env: &[EnvVar]) -> Result<(), ScriptError> {
    let name = script.display().to_string();
    let mut cmd = tokio::process::Command::new("/bin/sh");
    cmd.arg("-c").arg(script);
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    tracing::debug!("running {name} for {}", reason.as_str());
    let status = cmd.status().await.map_err(|source| ScriptError::Spawn {
        script: name.clone(),
        reason: reason.as_str(),
        source,
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(ScriptError::Failed {
            script: name,
            reason: reason.as_str(),
            status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncp_core::tunnel::IfAddr;
    use std::collections::BTreeMap;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn prefix(a: &str, len: u8) -> Prefix<Ipv4Addr> {
        Prefix { addr: ip(a), len }
    }

    fn config() -> TunnelConfig {
        TunnelConfig {
            ipv4: Some(IfAddr {
                addr: ip("10.200.0.7"),
                prefix_len: Some(24),
            }),
            dns: vec![
                ip("10.200.0.1").into(),
                "2001:db8::53".parse().unwrap(),
                ip("10.200.0.2").into(),
            ],
            wins: vec![ip("10.200.0.3")],
            search_domains: vec!["corp.example".into()],
            include_v4: vec![prefix("10.0.0.0", 8), prefix("192.168.1.9", 24)],
            exclude_v4: vec![prefix("10.1.0.0", 16)],
            ..Default::default()
        }
    }

    fn env_map(reason: Reason, cfg: Option<&TunnelConfig>) -> BTreeMap<String, Option<String>> {
        let inp = ScriptInputs {
            gateway: "192.0.2.1".parse().unwrap(),
            tundev: "tun3",
            config: cfg,
            mtu: 1400,
            pid: 4242,
            log_level: 1,
        };
        script_env(reason, &inp).into_iter().collect()
    }

    fn get<'a>(m: &'a BTreeMap<String, Option<String>>, k: &str) -> Option<&'a str> {
        m.get(k).and_then(|v| v.as_deref())
    }

    #[test]
    fn connect_environment_matches_openconnect_names_and_formats() {
        let cfg = config();
        let m = env_map(Reason::Connect, Some(&cfg));
        assert_eq!(get(&m, "reason"), Some("connect"));
        assert_eq!(get(&m, "VPNGATEWAY"), Some("192.0.2.1"));
        assert_eq!(get(&m, "VPNPID"), Some("4242"));
        assert_eq!(get(&m, "TUNDEV"), Some("tun3"));
        assert_eq!(get(&m, "INTERNAL_IP4_ADDRESS"), Some("10.200.0.7"));
        assert_eq!(get(&m, "INTERNAL_IP4_NETMASK"), Some("255.255.255.0"));
        assert_eq!(get(&m, "INTERNAL_IP4_NETMASKLEN"), Some("24"));
        assert_eq!(get(&m, "INTERNAL_IP4_NETADDR"), Some("10.200.0.0"));
        assert_eq!(get(&m, "INTERNAL_IP4_MTU"), Some("1400"));
        assert_eq!(get(&m, "INTERNAL_IP4_DNS"), Some("10.200.0.1 10.200.0.2"));
        assert_eq!(get(&m, "INTERNAL_IP4_NBNS"), Some("10.200.0.3"));
        assert_eq!(get(&m, "CISCO_DEF_DOMAIN"), Some("corp.example"));
        // Host bits are cleared; no IPv6 variable without IPv6 settings
        // (the IPv6 DNS server alone goes to INTERNAL_IP6_DNS).
        assert_eq!(get(&m, "CISCO_SPLIT_INC"), Some("2"));
        assert_eq!(get(&m, "INTERNAL_IP6_DNS"), Some("2001:db8::53"));
        assert!(!m.keys().any(|k| k.starts_with("INTERNAL_IP6_A")));
        assert!(!m.keys().any(|k| k.starts_with("CISCO_IPV6")));
        assert_eq!(get(&m, "CISCO_SPLIT_INC_0_ADDR"), Some("10.0.0.0"));
        assert_eq!(get(&m, "CISCO_SPLIT_INC_0_MASK"), Some("255.0.0.0"));
        assert_eq!(get(&m, "CISCO_SPLIT_INC_0_MASKLEN"), Some("8"));
        assert_eq!(get(&m, "CISCO_SPLIT_INC_1_ADDR"), Some("192.168.1.0"));
        assert_eq!(get(&m, "CISCO_SPLIT_INC_1_MASKLEN"), Some("24"));
        assert!(!m.contains_key("CISCO_SPLIT_INC_2_ADDR"));
        assert_eq!(get(&m, "CISCO_SPLIT_EXC"), Some("1"));
        assert_eq!(get(&m, "CISCO_SPLIT_EXC_0_ADDR"), Some("10.1.0.0"));
        assert_eq!(get(&m, "CISCO_SPLIT_EXC_0_MASKLEN"), Some("16"));
        // Cleared, so a value inherited from our own environment cannot leak in.
        assert_eq!(m.get("CISCO_BANNER"), Some(&None));
        assert_eq!(m.get("IDLE_TIMEOUT"), Some(&None));
    }

    #[test]
    fn empty_lists_clear_their_variables() {
        let cfg = TunnelConfig {
            ipv4: Some(IfAddr {
                addr: ip("10.0.0.2"),
                prefix_len: None,
            }),
            ..Default::default()
        };
        let m = env_map(Reason::Reconnect, Some(&cfg));
        assert_eq!(get(&m, "reason"), Some("reconnect"));
        for k in [
            "INTERNAL_IP4_DNS",
            "INTERNAL_IP4_NBNS",
            "CISCO_DEF_DOMAIN",
            "CISCO_SPLIT_INC",
            "CISCO_SPLIT_EXC",
        ] {
            assert_eq!(m.get(k), Some(&None), "{k}");
        }
        assert!(!m.contains_key("INTERNAL_IP4_NETMASK"));
    }

    #[test]
    fn ipv6_settings_use_openconnects_names() {
        let cfg = TunnelConfig {
            ipv6: Some(IfAddr {
                addr: "2001:db8:1::7".parse().unwrap(),
                prefix_len: Some(64),
            }),
            include_v6: vec![Prefix {
                addr: "2001:db8:2::1".parse().unwrap(),
                len: 48,
            }],
            ..Default::default()
        };
        let m = env_map(Reason::Connect, Some(&cfg));
        assert_eq!(get(&m, "INTERNAL_IP6_ADDRESS"), Some("2001:db8:1::7"));
        assert_eq!(get(&m, "INTERNAL_IP6_NETMASK"), Some("2001:db8:1::7/64"));
        assert_eq!(get(&m, "CISCO_IPV6_SPLIT_INC"), Some("1"));
        assert_eq!(get(&m, "CISCO_IPV6_SPLIT_INC_0_ADDR"), Some("2001:db8:2::"));
        assert_eq!(get(&m, "CISCO_IPV6_SPLIT_INC_0_MASKLEN"), Some("48"));
        assert!(!m.contains_key("CISCO_IPV6_SPLIT_EXC"));
        assert!(!m.contains_key("INTERNAL_IP4_ADDRESS"));
    }

    #[test]
    fn pre_init_has_no_configuration() {
        let inp = ScriptInputs {
            gateway: "192.0.2.1".parse().unwrap(),
            tundev: "",
            config: None,
            mtu: 1400,
            pid: 1,
            log_level: 1,
        };
        let unnamed: BTreeMap<_, _> = script_env(Reason::PreInit, &inp).into_iter().collect();
        assert_eq!(unnamed.get("TUNDEV"), Some(&None));
        let m = env_map(Reason::PreInit, None);
        assert_eq!(get(&m, "reason"), Some("pre-init"));
        assert!(!m.contains_key("INTERNAL_IP4_ADDRESS"));
        assert_eq!(m.get("CISCO_SPLIT_INC"), Some(&None));
    }

    #[tokio::test]
    async fn script_sees_the_environment_and_failures_are_reported() {
        let dir = std::env::temp_dir().join(format!("oncp-script-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("out");
        let script = dir.join("s.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho \"$reason $TUNDEV $CISCO_SPLIT_INC ${{CISCO_BANNER-unset}}\" > {}\n[ \"$reason\" != disconnect ]\n",
                out.display()
            ),
        )
        .unwrap();
        let cfg = config();
        let inp = ScriptInputs {
            gateway: "192.0.2.1".parse().unwrap(),
            tundev: "tun3",
            config: Some(&cfg),
            mtu: 1400,
            pid: 1,
            log_level: 1,
        };
        // The script is not executable: /bin/sh -c needs "sh path".
        let cmdline = std::path::PathBuf::from(format!("sh {}", script.display()));
        run(
            &cmdline,
            Reason::Connect,
            &script_env(Reason::Connect, &inp),
        )
        .await
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "connect tun3 2 unset\n"
        );
        let err = run(
            &cmdline,
            Reason::Disconnect,
            &script_env(Reason::Disconnect, &inp),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(
                err,
                ScriptError::Failed {
                    reason: "disconnect",
                    ..
                }
            ),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
