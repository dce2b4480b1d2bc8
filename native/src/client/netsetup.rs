//! Who configures the network when the tunnel comes up, reconnects and
//! goes down: a vpnc-script, the built-in netlink setup, or nobody (the
//! in-process IP side of `oncp demo`).

use crate::netcfg::netlink::{Installed, Netlink};
use crate::netcfg::routes;
use crate::netcfg::script::{self, Reason, ScriptInputs};
use crate::runstate::tunnel::TunnelChanges;
use oncp_core::tunnel::TunnelConfig;
use std::net::IpAddr;
use std::path::PathBuf;

/// The network setup method.
#[derive(Debug)]
pub enum NetSetup {
    /// Nothing to configure.
    None,
    /// Run this vpnc-script (OpenConnect's `-s`).
    Script {
        /// The script command.
        path: PathBuf,
        /// `LOG_LEVEL` for the script.
        log_level: u8,
    },
    /// Address, MTU and routes through netlink, DNS by `--dns`.
    Builtin {
        /// Routes to remove on exit.
        installed: Option<Installed>,
        /// Bypass routes and DNS, recorded for crash recovery.
        changes: Box<TunnelChanges>,
    },
}

/// What the setup is about.
#[derive(Debug, Clone, Copy)]
pub struct SetupContext<'a> {
    /// The gateway's address.
    pub gateway: IpAddr,
    /// The TUN device name (empty before it exists).
    pub tundev: &'a str,
    /// The configuration in force, if any.
    pub config: Option<&'a TunnelConfig>,
    /// The tunnel MTU.
    pub mtu: u32,
}

/// A setup step that failed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The vpnc-script failed.
    #[error(transparent)]
    Script(#[from] script::ScriptError),
    /// Netlink failed.
    #[error(transparent)]
    Netlink(#[from] crate::netcfg::netlink::NetlinkError),
}

impl NetSetup {
    async fn script(&self, reason: Reason, ctx: &SetupContext<'_>) -> Result<(), SetupError> {
        if let NetSetup::Script { path, log_level } = self {
            let inp = ScriptInputs {
                gateway: ctx.gateway,
                tundev: ctx.tundev,
                config: ctx.config,
                mtu: ctx.mtu,
                pid: std::process::id(),
                log_level: *log_level,
            };
            script::run(path, reason, &script::script_env(reason, &inp)).await?;
        }
        Ok(())
    }

    /// Before the TUN device is created.
    pub async fn pre_init(&mut self, ctx: &SetupContext<'_>) -> Result<(), SetupError> {
        self.script(Reason::PreInit, ctx).await
    }

    /// The configuration arrived: `first` for the first time, otherwise
    /// after a reconnect (same address; the device kept its settings).
    pub async fn connected(
        &mut self,
        first: bool,
        ctx: &SetupContext<'_>,
    ) -> Result<(), SetupError> {
        match self {
            NetSetup::None => Ok(()),
            NetSetup::Script { .. } => {
                let reason = if first {
                    Reason::Connect
                } else {
                    Reason::Reconnect
                };
                self.script(reason, ctx).await
            }
            NetSetup::Builtin { installed, changes } => {
                let Some(cfg) = ctx.config else { return Ok(()) };
                if !first && installed.is_some() {
                    return Ok(());
                }
                let plan = routes::plan(cfg, ctx.gateway);
                let nl = Netlink::open()?;
                changes.before_routes(ctx.tundev, &plan.bypass);
                let done = nl.configure(ctx.tundev, ctx.mtu, &plan).await?;
                changes.routes_added(ctx.tundev, done.bypass_routes());
                *installed = Some(done);
                let routes: Vec<String> = plan
                    .via_tunnel
                    .iter()
                    .map(ToString::to_string)
                    .chain(plan.via_tunnel6.iter().map(ToString::to_string))
                    .collect();
                let addrs: Vec<String> = plan
                    .address
                    .iter()
                    .map(ToString::to_string)
                    .chain(plan.address6.iter().map(ToString::to_string))
                    .collect();
                tracing::info!(
                    "configured {} ({}), routes {}",
                    ctx.tundev,
                    addrs.join(" "),
                    routes.join(" ")
                );
                let dns = crate::dns::DnsConfig {
                    servers: cfg.dns.clone(),
                    search: cfg.search_domains.clone(),
                    full_tunnel: cfg.include_v4.is_empty()
                        || cfg.include_v4.iter().any(|r| r.len == 0),
                };
                changes.set_dns(ctx.tundev, dns).await;
                Ok(())
            }
        }
    }

    /// Before trying to reconnect.
    pub async fn attempt_reconnect(&mut self, ctx: &SetupContext<'_>) -> Result<(), SetupError> {
        self.script(Reason::AttemptReconnect, ctx).await
    }

    /// The tunnel is going away.
    pub async fn disconnect(&mut self, ctx: &SetupContext<'_>) -> Result<(), SetupError> {
        match self {
            NetSetup::Builtin { .. } if crate::privileges::dropped() => {
                // No right to do it any more: the root helper started
                // before the drop undoes the records once we are gone.
                tracing::debug!("routes and DNS are left to the --setuid cleanup helper");
                Ok(())
            }
            NetSetup::Builtin { installed, changes } => {
                if let Some(i) = installed.take() {
                    Netlink::open()?.undo(i).await;
                }
                changes.undo().await;
                Ok(())
            }
            _ => self.script(Reason::Disconnect, ctx).await,
        }
    }
}
