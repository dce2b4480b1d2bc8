//! The `resolvconf` program (Debian's resolvconf, openresolv, or
//! systemd's `resolvectl` shim): `resolvconf -a IFACE` reads the record
//! (`nameserver` and `search` lines) on standard input, `-d IFACE`
//! removes it. The record is named after the interface, as vpnc-script
//! does, so the usual interface-order rules rank it.

use super::{DnsChange, DnsConfig, Journal};
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

/// Where `resolvconf` is on `PATH`, if installed.
pub fn program() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("resolvconf"))
        .find(|p| p.is_file())
}

/// The record for `cfg`.
pub fn record(cfg: &DnsConfig) -> String {
    let mut s = String::new();
    for a in &cfg.servers {
        s.push_str(&format!("nameserver {a}\n"));
    }
    if !cfg.search.is_empty() {
        s.push_str(&format!("search {}\n", cfg.search.join(" ")));
    }
    s
}

async fn run(args: &[&str], input: Option<&str>) -> Result<(), String> {
    let prog = program().ok_or("resolvconf is not installed")?;
    let mut child = tokio::process::Command::new(&prog)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", prog.display()))?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin
            .write_all(text.as_bytes())
            .await
            .map_err(|e| format!("writing to resolvconf: {e}"))?;
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait_with_output())
        .await
        .map_err(|_| format!("resolvconf {} did not finish within 10 s", args.join(" ")))?
        .map_err(|e| format!("resolvconf: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "resolvconf {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Adds the record for `ifname`, recorded in `journal` first.
pub async fn apply(
    ifname: &str,
    cfg: &DnsConfig,
    journal: &mut dyn Journal,
) -> Result<DnsChange, String> {
    let change = DnsChange::Resolvconf {
        record: ifname.to_string(),
    };
    journal
        .before(&change)
        .map_err(|e| format!("cannot record the change: {e}"))?;
    if let Err(e) = run(&["-a", ifname], Some(&record(cfg))).await {
        // It may have half-applied: remove whatever it took.
        let _ = run(&["-d", ifname], None).await;
        journal.cleared();
        return Err(e);
    }
    Ok(change)
}

/// Removes the record.
pub async fn revert(record: &str) -> Result<String, String> {
    run(&["-d", record], None).await?;
    Ok(format!("resolvconf: removed the record for {record}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_has_servers_of_both_families_and_the_domains() {
        let cfg = DnsConfig {
            servers: vec!["10.0.0.53".parse().unwrap(), "fd00::53".parse().unwrap()],
            search: vec!["corp.example".into(), "lab.example".into()],
            full_tunnel: false,
        };
        assert_eq!(
            record(&cfg),
            "nameserver 10.0.0.53\nnameserver fd00::53\nsearch corp.example lab.example\n"
        );
    }
}
