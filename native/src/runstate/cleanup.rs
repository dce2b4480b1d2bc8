//! Undoes what a dead `oncp connect` left: for each state file whose
//! process is gone, the DNS change is reverted and the bypass routes are
//! removed, then the file is deleted. Unreadable or half-written files
//! are reported and removed (there is nothing in them to act on).

use super::{Record, RouteRecord, process_start_time, read_record};
use std::net::Ipv4Addr;
use std::path::Path;

/// What a cleanup did.
#[derive(Debug, Default)]
pub struct CleanupReport {
    /// What was undone.
    pub done: Vec<String>,
    /// What could not be undone, and why.
    pub failed: Vec<String>,
}

/// Whether the process that wrote a record still runs.
fn alive(pid: u32, start_time: u64) -> bool {
    process_start_time(pid).is_some_and(|t| start_time == 0 || t == start_time)
}

/// Removes one route oncp added; a route already gone is fine.
async fn remove_route(handle: &rtnetlink::Handle, r: &RouteRecord) -> Result<bool, String> {
    let mut b = rtnetlink::RouteMessageBuilder::<Ipv4Addr>::new()
        .destination_prefix(r.dst.network(), r.dst.prefix_len())
        .output_interface(r.oif);
    if let Some(gw) = r.gateway {
        b = b.gateway(gw);
    }
    match handle.route().del(b.build()).execute().await {
        Ok(()) => Ok(true),
        Err(rtnetlink::Error::NetlinkError(e)) if e.raw_code() == -3 || e.raw_code() == -19 => {
            // ESRCH (no such route) or ENODEV (its device is gone).
            Ok(false)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Cleans up after every dead tunnel recorded in `dir`.
pub async fn stale(dir: &Path) -> CleanupReport {
    cleanup_where(dir, |r| !alive(r.pid, r.start_time)).await
}

/// Cleans up what process `pid` recorded in `dir`, whether or not it is
/// still listed as running: `oncp cleanup --when-closed` calls this once
/// that process has closed its end of the pipe, i.e. is exiting (it may
/// still be a zombie then).
pub async fn of_process(dir: &Path, pid: u32) -> CleanupReport {
    cleanup_where(dir, |r| r.pid == pid).await
}

async fn cleanup_where(dir: &Path, wanted: impl Fn(&Record) -> bool) -> CleanupReport {
    let mut report = CleanupReport::default();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return report,
        // Not root (e.g. run unprivileged by NetworkManager): whatever
        // is there belongs to root's runs, and this one has nothing of
        // its own to undo.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            tracing::debug!("{}: {e}; no stale state checked", dir.display());
            return report;
        }
        Err(e) => {
            report
                .failed
                .push(format!("cannot read {}: {e}", dir.display()));
            return report;
        }
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for path in files {
        let record = match read_record(&path) {
            Ok(r) => r,
            Err(e) => {
                report.failed.push(format!(
                    "ignoring the unreadable state file {}: {e}; removed it",
                    path.display()
                ));
                let _ = std::fs::remove_file(&path);
                continue;
            }
        };
        if wanted(&record) {
            undo(&path, &record, &mut report).await;
        }
    }
    report
}

/// Undoes one record's changes and removes its file.
async fn undo(path: &Path, record: &Record, report: &mut CleanupReport) {
    let who = format!("{} (oncp process {}, gone)", record.ifname, record.pid);
    if let Some(dns) = &record.dns {
        match dns.revert().await {
            Ok(msg) => report.done.push(format!("{who}: DNS: {msg}")),
            Err(e) => report.failed.push(format!("{who}: DNS: {e}")),
        }
    }
    if !record.routes.is_empty() {
        match rtnetlink::new_connection() {
            Ok((conn, handle, _)) => {
                tokio::spawn(conn);
                for r in &record.routes {
                    match remove_route(&handle, r).await {
                        Ok(true) => report
                            .done
                            .push(format!("{who}: removed the route to {}", r.dst)),
                        Ok(false) => {}
                        Err(e) => report
                            .failed
                            .push(format!("{who}: removing the route to {}: {e}", r.dst)),
                    }
                }
            }
            Err(e) => report.failed.push(format!("{who}: netlink: {e}")),
        }
    }
    for net in &record.pending_routes {
        report.failed.push(format!(
            "{who}: was adding a route to {net} when it stopped; check `ip route show {net}`"
        ));
    }
    if let Err(e) = std::fs::remove_file(path) {
        report
            .failed
            .push(format!("removing {}: {e}", path.display()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_dead_process_resolver_file_is_restored_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let resolv = dir.path().join("resolv.conf");
        std::fs::write(&resolv, "nameserver 192.0.2.1\n").unwrap();
        let cfg = crate::dns::DnsConfig {
            servers: vec!["10.0.0.53".parse().unwrap()],
            search: vec![],
            full_tunnel: true,
        };
        // A tunnel "killed" after rewriting the file: its record names a
        // PID that does not exist.
        let mut dead = super::super::RunState::create(dir.path(), "tun8").unwrap();
        crate::dns::file::FileChange::apply(&resolv, dir.path(), "tun8", &cfg, &mut dead).unwrap();
        let mut rec: Record = read_record(&dir.path().join("tun8.json")).unwrap();
        rec.pid = u32::MAX;
        std::fs::write(
            dir.path().join("tun8.json"),
            serde_json::to_vec(&rec).unwrap(),
        )
        .unwrap();
        // This process's own tunnel is alive and must be left alone.
        let _live = super::super::RunState::create(dir.path(), "tun9").unwrap();
        // And a half-written file.
        std::fs::write(dir.path().join("tun5.json"), b"{\"pid\":").unwrap();

        let r = stale(dir.path()).await;
        assert_eq!(
            std::fs::read_to_string(&resolv).unwrap(),
            "nameserver 192.0.2.1\n"
        );
        assert!(r.done.iter().any(|m| m.contains("restored")), "{r:?}");
        assert!(r.failed.iter().any(|m| m.contains("tun5.json")), "{r:?}");
        assert!(!dir.path().join("tun8.json").exists());
        assert!(!dir.path().join("tun5.json").exists());
        assert!(dir.path().join("tun9.json").exists());
    }

    #[tokio::test]
    async fn of_process_takes_that_process_records_even_while_it_runs() {
        let dir = tempfile::tempdir().unwrap();
        let _mine = super::super::RunState::create(dir.path(), "tun3").unwrap();
        let mut other: Record = read_record(&dir.path().join("tun3.json")).unwrap();
        other.pid = u32::MAX;
        other.ifname = "tun4".into();
        std::fs::write(
            dir.path().join("tun4.json"),
            serde_json::to_vec(&other).unwrap(),
        )
        .unwrap();
        let r = of_process(dir.path(), std::process::id()).await;
        assert!(r.failed.is_empty(), "{r:?}");
        assert!(
            !dir.path().join("tun3.json").exists(),
            "this process's record went"
        );
        assert!(dir.path().join("tun4.json").exists(), "another's stays");
    }
}
