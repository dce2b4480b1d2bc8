//! Picks the DNS method for `--dns` and applies it, falling back (in
//! `auto`) from systemd-resolved to resolvconf to the resolver file.

use super::file::FileChange;
use super::{DnsChange, DnsConfig, DnsMode, Journal, describe, ifindex_of, resolvconf, resolved};
use std::path::Path;

/// What [`apply`] did.
#[derive(Debug)]
pub struct Applied {
    /// The change made, to undo on exit (`None`: nothing changed).
    pub change: Option<DnsChange>,
    /// The line that says what was done.
    pub summary: String,
    /// Why earlier methods were passed over or failed.
    pub warnings: Vec<String>,
}

async fn via_resolved(
    ifname: &str,
    cfg: &DnsConfig,
    journal: &mut dyn Journal,
) -> Result<(DnsChange, String), String> {
    let ifindex = ifindex_of(ifname).ok_or_else(|| format!("no interface named {ifname}"))?;
    let m = resolved::manager().await?;
    let change = DnsChange::Resolved {
        ifindex,
        ifname: ifname.to_string(),
    };
    journal
        .before(&change)
        .map_err(|e| format!("cannot record the change: {e}"))?;
    if let Err(e) = resolved::set(&m, ifindex, cfg).await {
        if let Ok(idx) = i32::try_from(ifindex) {
            let _ = m.revert_link(idx).await;
        }
        journal.cleared();
        return Err(e);
    }
    let servers: Vec<String> = cfg.servers.iter().map(ToString::to_string).collect();
    Ok((
        change,
        format!(
            "DNS: systemd-resolved, link {ifname}: servers {}, {}",
            servers.join(" "),
            resolved::describe_domains(cfg)
        ),
    ))
}

async fn via_resolvconf(
    ifname: &str,
    cfg: &DnsConfig,
    journal: &mut dyn Journal,
) -> Result<(DnsChange, String), String> {
    let change = resolvconf::apply(ifname, cfg, journal).await?;
    Ok((
        change,
        format!("DNS: resolvconf record {ifname}: {}", describe(cfg)),
    ))
}

fn via_file(
    path: &Path,
    state_dir: &Path,
    ifname: &str,
    cfg: &DnsConfig,
    journal: &mut dyn Journal,
) -> Result<(DnsChange, String), String> {
    let change = FileChange::apply(path, state_dir, ifname, cfg, journal)?;
    let split = if cfg.full_tunnel {
        ""
    } else {
        " (split tunnel, but a resolver file cannot route by domain: every name asks these servers first)"
    };
    let line = format!(
        "DNS: rewrote {} (original saved in {}): {}{split}",
        path.display(),
        change.backup.display(),
        describe(cfg)
    );
    Ok((DnsChange::File(change), line))
}

/// Sets the tunnel's DNS on `ifname` with `mode`. `resolv_conf` is the
/// resolver file for the file method and `state_dir` where its original
/// is saved. Never fails: what went wrong is in the warnings.
pub async fn apply(
    mode: DnsMode,
    ifname: &str,
    cfg: &DnsConfig,
    resolv_conf: &Path,
    state_dir: &Path,
    journal: &mut dyn Journal,
) -> Applied {
    let mut warnings = Vec::new();
    if mode == DnsMode::None || cfg.is_empty() {
        let summary = if cfg.is_empty() {
            "DNS: the gateway sent no DNS servers; left unchanged".into()
        } else {
            super::describe_unset(cfg)
        };
        return Applied {
            change: None,
            summary,
            warnings,
        };
    }
    let auto = mode == DnsMode::Auto;
    if auto || mode == DnsMode::Resolved {
        match via_resolved(ifname, cfg, journal).await {
            Ok((change, summary)) => return done(change, summary, warnings),
            Err(e) => warnings.push(format!("systemd-resolved: {e}")),
        }
    }
    if (auto && resolvconf::program().is_some()) || mode == DnsMode::Resolvconf {
        match via_resolvconf(ifname, cfg, journal).await {
            Ok((change, summary)) => return done(change, summary, warnings),
            Err(e) => warnings.push(format!("resolvconf: {e}")),
        }
    }
    if auto || mode == DnsMode::File {
        match via_file(resolv_conf, state_dir, ifname, cfg, journal) {
            Ok((change, summary)) => return done(change, summary, warnings),
            Err(e) => warnings.push(format!("resolver file: {e}")),
        }
    }
    Applied {
        change: None,
        summary: format!(
            "DNS NOT set (the tunnel works, names resolve as before): {}",
            describe(cfg)
        ),
        warnings,
    }
}

fn done(change: DnsChange, summary: String, warnings: Vec<String>) -> Applied {
    Applied {
        change: Some(change),
        summary,
        warnings,
    }
}
