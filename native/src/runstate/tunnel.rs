//! What the built-in network setup of one tunnel changes outside its
//! TUN device (bypass routes, DNS), recorded in the state file before
//! each change and undone on exit.

use super::{RouteRecord, RunState, STATE_DIR};
use crate::dns::file::RESOLV_CONF;
use crate::dns::{DnsChange, DnsConfig, DnsMode, setup};
use ipnet::Ipv4Net;
use std::path::PathBuf;

/// The tunnel's changes and their record.
#[derive(Debug)]
pub struct TunnelChanges {
    mode: DnsMode,
    dir: PathBuf,
    resolv_conf: PathBuf,
    state: Option<RunState>,
    dns: Option<DnsChange>,
}

impl TunnelChanges {
    /// Changes made with `--dns mode`, recorded under `/run/oncp/`.
    pub fn new(mode: DnsMode) -> TunnelChanges {
        TunnelChanges {
            mode,
            dir: PathBuf::from(STATE_DIR),
            resolv_conf: PathBuf::from(RESOLV_CONF),
            state: None,
            dns: None,
        }
    }

    fn state(&mut self, ifname: &str) -> Option<&mut RunState> {
        if self.state.is_none() {
            match RunState::create(&self.dir, ifname) {
                Ok(s) => self.state = Some(s),
                Err(e) => {
                    tracing::warn!(
                        "cannot record the tunnel's changes under {}: {e} (a crash would leave them in place)",
                        self.dir.display()
                    );
                }
            }
        }
        self.state.as_mut()
    }

    /// The bypass routes to `nets` are about to be added.
    pub fn before_routes(&mut self, ifname: &str, nets: &[Ipv4Net]) {
        if let Some(s) = self.state(ifname)
            && let Err(e) = s.routes_pending(nets)
        {
            tracing::warn!("recording the bypass routes: {e}");
        }
    }

    /// The bypass routes that were added: (destination, next hop,
    /// output interface).
    pub fn routes_added(
        &mut self,
        ifname: &str,
        routes: Vec<(Ipv4Net, Option<std::net::Ipv4Addr>, u32)>,
    ) {
        let routes = routes
            .into_iter()
            .map(|(dst, gateway, oif)| RouteRecord { dst, gateway, oif })
            .collect();
        if let Some(s) = self.state(ifname)
            && let Err(e) = s.routes_added(routes)
        {
            tracing::warn!("recording the bypass routes: {e}");
        }
    }

    /// Sets the tunnel's DNS (once; a reconnect keeps it) and logs one
    /// line saying what was done.
    pub async fn set_dns(&mut self, ifname: &str, cfg: DnsConfig) {
        if self.dns.is_some() {
            return;
        }
        let cfg = crate::dns::sanitized(cfg);
        let mode = self.mode;
        let (resolv_conf, dir) = (self.resolv_conf.clone(), self.dir.clone());
        let applied = if mode == DnsMode::None || cfg.is_empty() {
            setup::apply(mode, ifname, &cfg, &resolv_conf, &dir, &mut NoJournal).await
        } else if let Some(state) = self.state(ifname) {
            setup::apply(mode, ifname, &cfg, &resolv_conf, &dir, state).await
        } else {
            tracing::warn!("DNS NOT set: its change could not be recorded first");
            return;
        };
        for w in &applied.warnings {
            tracing::warn!("{w}");
        }
        tracing::info!("{}", applied.summary);
        self.dns = applied.change;
    }

    /// Reverts DNS and removes the record (call after the routes are
    /// removed).
    pub async fn undo(&mut self) {
        if let Some(change) = self.dns.take() {
            match change.revert().await {
                Ok(msg) => tracing::info!("DNS: {msg}"),
                Err(e) => tracing::warn!("DNS: {e}"),
            }
        }
        if let Some(s) = self.state.take() {
            s.finish();
        }
    }
}

/// For the paths that change nothing.
struct NoJournal;

impl crate::dns::Journal for NoJournal {
    fn before(&mut self, _: &DnsChange) -> std::io::Result<()> {
        Err(std::io::Error::other("nothing may be changed here"))
    }
    fn cleared(&mut self) {}
}
