//! Crash safety for what `oncp connect` changes outside its TUN device:
//! the DNS settings and the bypass routes. Each tunnel has a state file
//! `/run/oncp/IFNAME.json`, written (atomically) before each change; it
//! is removed once everything is undone on exit. After a SIGKILL the
//! next `oncp connect` and `oncp cleanup` find the file of a process that
//! is gone and undo what it lists ([`cleanup`]).

pub mod cleanup;
pub mod tunnel;

use crate::dns::file::write_atomically;
use crate::dns::{DnsChange, Journal};
use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// Where the state files live.
pub const STATE_DIR: &str = "/run/oncp";
/// Largest state file read back (they are a few hundred bytes).
const MAX_STATE_LEN: u64 = 64 * 1024;

/// A route oncp added outside the tunnel device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteRecord {
    /// Destination network.
    pub dst: Ipv4Net,
    /// Next hop, if any.
    pub gateway: Option<Ipv4Addr>,
    /// Output interface index.
    pub oif: u32,
}

/// One tunnel's state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The `oncp connect` process.
    pub pid: u32,
    /// Its start time (clock ticks after boot, /proc/PID/stat field 22),
    /// so a reused PID is not taken for it.
    pub start_time: u64,
    /// The TUN device.
    pub ifname: String,
    /// The DNS change in force (recorded before it was made).
    pub dns: Option<DnsChange>,
    /// Bypass routes about to be added (recorded before the netlink
    /// requests; their next hops are not known yet).
    #[serde(default)]
    pub pending_routes: Vec<Ipv4Net>,
    /// Bypass routes added.
    #[serde(default)]
    pub routes: Vec<RouteRecord>,
}

/// The start time of process `pid` (field 22 of /proc/PID/stat).
pub fn process_start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// Reads a state file; a clear error for an unreadable, oversized or
/// half-written one.
pub fn read_record(path: &Path) -> Result<Record, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_STATE_LEN {
        return Err(format!(
            "{} bytes, more than a state file holds",
            meta.len()
        ));
    }
    let text = std::fs::read(path).map_err(|e| e.to_string())?;
    serde_json::from_slice(&text).map_err(|e| format!("not a complete state file ({e})"))
}

/// The live state file of this process's tunnel.
#[derive(Debug)]
pub struct RunState {
    dir: PathBuf,
    path: PathBuf,
    record: Record,
}

impl RunState {
    /// Starts the record for `ifname` in `dir` (created, mode 0700).
    pub fn create(dir: &Path, ifname: &str) -> std::io::Result<RunState> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let pid = std::process::id();
        let state = RunState {
            dir: dir.to_path_buf(),
            path: dir.join(format!("{ifname}.json")),
            record: Record {
                pid,
                start_time: process_start_time(pid).unwrap_or(0),
                ifname: ifname.to_string(),
                dns: None,
                pending_routes: Vec::new(),
                routes: Vec::new(),
            },
        };
        state.save()?;
        Ok(state)
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The record as last saved.
    pub fn record(&self) -> &Record {
        &self.record
    }

    fn save(&self) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(&self.record).map_err(std::io::Error::other)?;
        write_atomically(&self.path, &json)
    }

    /// Records the bypass routes about to be added.
    pub fn routes_pending(&mut self, nets: &[Ipv4Net]) -> std::io::Result<()> {
        self.record.pending_routes = nets.to_vec();
        self.save()
    }

    /// Records the bypass routes that were added.
    pub fn routes_added(&mut self, routes: Vec<RouteRecord>) -> std::io::Result<()> {
        self.record.pending_routes.clear();
        self.record.routes = routes;
        self.save()
    }

    /// Everything is undone: the file goes.
    pub fn finish(self) {
        if let Err(e) = std::fs::remove_file(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("removing {}: {e}", self.path.display());
        }
    }
}

impl Journal for RunState {
    fn before(&mut self, change: &DnsChange) -> std::io::Result<()> {
        self.record.dns = Some(change.clone());
        self.save()
    }

    fn cleared(&mut self) {
        self.record.dns = None;
        if let Err(e) = self.save() {
            tracing::warn!("updating {}: {e}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_start_time() {
        let t = process_start_time(std::process::id()).unwrap();
        assert!(t > 0);
        assert_eq!(process_start_time(u32::MAX), None);
    }

    #[test]
    fn the_record_is_saved_before_each_change_and_removed_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("oncp");
        let mut s = RunState::create(&d, "tun7").unwrap();
        let path = d.join("tun7.json");
        assert_eq!(read_record(&path).unwrap().ifname, "tun7");
        let net: Ipv4Net = "192.0.2.1/32".parse().unwrap();
        s.routes_pending(&[net]).unwrap();
        assert_eq!(read_record(&path).unwrap().pending_routes, vec![net]);
        let change = DnsChange::Resolvconf {
            record: "tun7".into(),
        };
        s.before(&change).unwrap();
        let r = read_record(&path).unwrap();
        assert_eq!(r.dns, Some(change));
        assert_eq!(r.pid, std::process::id());
        s.cleared();
        assert_eq!(read_record(&path).unwrap().dns, None);
        s.finish();
        assert!(!path.exists());
    }

    #[test]
    fn half_written_and_oversized_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        std::fs::write(&p, br#"{"pid": 12, "start_ti"#).unwrap();
        assert!(
            read_record(&p)
                .unwrap_err()
                .contains("not a complete state file")
        );
        std::fs::write(&p, vec![b' '; 70 * 1024]).unwrap();
        assert!(
            read_record(&p)
                .unwrap_err()
                .contains("more than a state file holds")
        );
        assert!(read_record(&dir.path().join("absent.json")).is_err());
    }
}
