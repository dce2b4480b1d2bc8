//! `/etc/resolv.conf` rewritten for the tunnel: the VPN's servers first
//! (then the host's, up to glibc's three), the VPN's domains before the
//! host's search list, the host's `options` kept. The original is saved
//! under the state directory first, the file is written in place (it may
//! be a bind mount, as in containers), and on exit it is put back only if
//! it still holds what oncp wrote: a file someone changed meanwhile is
//! left alone, with the saved original named in the warning.

use super::{DnsChange, DnsConfig, Journal};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// glibc's limit on `nameserver` lines (MAXNS).
const MAX_NAMESERVERS: usize = 3;

/// The default resolver file.
pub const RESOLV_CONF: &str = "/etc/resolv.conf";

/// A rewritten resolver file and how to put it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// The file that was rewritten.
    pub path: PathBuf,
    /// Where its original content was saved.
    pub backup: PathBuf,
    /// SHA-256 (hex) of the original content.
    pub original_sha256: String,
    /// SHA-256 (hex) of what oncp wrote.
    pub written_sha256: String,
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The new file's content for `cfg` on top of `original`.
pub fn render(original: &str, ifname: &str, cfg: &DnsConfig, backup: &Path) -> String {
    let mut servers: Vec<String> = cfg.servers.iter().map(ToString::to_string).collect();
    let mut search: Vec<String> = cfg.search.clone();
    let mut options = Vec::new();
    for line in original.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => {
                if let Some(s) = words.next()
                    && !servers.iter().any(|x| x == s)
                {
                    servers.push(s.to_string());
                }
            }
            Some("search") | Some("domain") => {
                for d in words {
                    if !search.iter().any(|x| x == d) {
                        search.push(d.to_string());
                    }
                }
            }
            Some("options") => options.push(line.trim().to_string()),
            _ => {}
        }
    }
    servers.truncate(MAX_NAMESERVERS);
    let mut out = format!(
        "# Written by oncp for {ifname}; the original is saved in {} and\n# restored when the tunnel ends (or by `oncp cleanup`).\n",
        backup.display()
    );
    for s in &servers {
        out.push_str(&format!("nameserver {s}\n"));
    }
    if !search.is_empty() {
        out.push_str(&format!("search {}\n", search.join(" ")));
    }
    for o in options {
        out.push_str(&o);
        out.push('\n');
    }
    out
}

/// Replaces the content of `path` in place (no rename: it may be a bind
/// mount or a symlink's target).
fn write_in_place(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)?;
    f.write_all(content)?;
    f.sync_all()
}

/// Writes `content` to `path` through a temporary file and a rename.
pub fn write_atomically(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(content)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

impl FileChange {
    /// Saves `path`'s content in `state_dir`, records the change in
    /// `journal`, then rewrites `path` for `cfg`.
    pub fn apply(
        path: &Path,
        state_dir: &Path,
        ifname: &str,
        cfg: &DnsConfig,
        journal: &mut dyn Journal,
    ) -> Result<FileChange, String> {
        let original =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let backup = state_dir.join(format!("{ifname}.resolv.conf"));
        let content = render(&String::from_utf8_lossy(&original), ifname, cfg, &backup);
        write_atomically(&backup, &original).map_err(|e| {
            format!(
                "cannot save {} to {}: {e}",
                path.display(),
                backup.display()
            )
        })?;
        let change = FileChange {
            path: path.to_path_buf(),
            backup: backup.clone(),
            original_sha256: sha256_hex(&original),
            written_sha256: sha256_hex(content.as_bytes()),
        };
        if let Err(e) = journal.before(&DnsChange::File(change.clone())) {
            let _ = std::fs::remove_file(&backup);
            return Err(format!(
                "cannot record the change under {}: {e}",
                state_dir.display()
            ));
        }
        if let Err(e) = write_in_place(path, content.as_bytes()) {
            // Opening for writing fails before truncating (read-only
            // file or file system); a failed write after it is repaired.
            if std::fs::read(path).map(|c| c != original).unwrap_or(true) {
                let _ = write_in_place(path, &original);
            }
            let _ = std::fs::remove_file(&backup);
            journal.cleared();
            return Err(format!("cannot write {}: {e}", path.display()));
        }
        Ok(change)
    }

    /// Puts the original back if the file still holds what oncp wrote.
    pub fn restore(&self) -> Result<String, String> {
        let path = self.path.display();
        let current = std::fs::read(&self.path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let current = sha256_hex(&current);
        if current == self.original_sha256 {
            let _ = std::fs::remove_file(&self.backup);
            return Ok(format!("{path} already holds its original content"));
        }
        if current != self.written_sha256 {
            return Err(format!(
                "{path} was changed by someone else since oncp wrote it: left as it is (the original is saved in {})",
                self.backup.display()
            ));
        }
        let original = std::fs::read(&self.backup).map_err(|e| {
            format!(
                "cannot read the saved original {}: {e}",
                self.backup.display()
            )
        })?;
        if sha256_hex(&original) != self.original_sha256 {
            return Err(format!(
                "the saved original {} does not match what was saved: {path} left as it is",
                self.backup.display()
            ));
        }
        write_in_place(&self.path, &original).map_err(|e| format!("cannot restore {path}: {e}"))?;
        let _ = std::fs::remove_file(&self.backup);
        Ok(format!("restored {path}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Log {
        before: Vec<DnsChange>,
        cleared: bool,
        fail: bool,
    }
    impl Journal for Log {
        fn before(&mut self, c: &DnsChange) -> std::io::Result<()> {
            if self.fail {
                return Err(std::io::Error::other("disk full"));
            }
            self.before.push(c.clone());
            Ok(())
        }
        fn cleared(&mut self) {
            self.cleared = true;
        }
    }

    fn cfg() -> DnsConfig {
        DnsConfig {
            servers: vec!["10.0.0.53".parse().unwrap(), "fd00::53".parse().unwrap()],
            search: vec!["corp.example".into()],
            full_tunnel: true,
        }
    }

    const ORIGINAL: &str =
        "# host\nnameserver 192.0.2.1\nnameserver 192.0.2.2\nsearch home.example\noptions edns0\n";

    #[test]
    fn the_vpn_comes_first_and_the_host_options_stay() {
        let s = render(
            ORIGINAL,
            "tun0",
            &cfg(),
            Path::new("/run/oncp/tun0.resolv.conf"),
        );
        let lines: Vec<&str> = s.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            lines,
            [
                "nameserver 10.0.0.53",
                "nameserver fd00::53",
                "nameserver 192.0.2.1",
                "search corp.example home.example",
                "options edns0"
            ]
        );
    }

    #[test]
    fn written_then_restored_and_a_changed_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("resolv.conf");
        std::fs::write(&path, ORIGINAL).unwrap();
        let mut log = Log::default();
        let ch = FileChange::apply(&path, dir.path(), "tun0", &cfg(), &mut log).unwrap();
        assert_eq!(log.before, vec![DnsChange::File(ch.clone())]);
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("nameserver 10.0.0.53")
        );
        assert_eq!(std::fs::read_to_string(&ch.backup).unwrap(), ORIGINAL);
        assert_eq!(
            ch.restore().unwrap(),
            format!("restored {}", path.display())
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), ORIGINAL);
        assert!(!ch.backup.exists());

        let ch = FileChange::apply(&path, dir.path(), "tun0", &cfg(), &mut log).unwrap();
        std::fs::write(&path, "nameserver 198.51.100.1\n").unwrap();
        let e = ch.restore().unwrap_err();
        assert!(e.contains("changed by someone else"), "{e}");
        assert!(e.contains(&ch.backup.display().to_string()), "{e}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "nameserver 198.51.100.1\n"
        );
        assert!(ch.backup.exists());
    }

    #[test]
    fn nothing_changes_when_the_change_cannot_be_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("resolv.conf");
        std::fs::write(&path, ORIGINAL).unwrap();
        let mut log = Log {
            fail: true,
            ..Default::default()
        };
        let e = FileChange::apply(&path, dir.path(), "tun0", &cfg(), &mut log).unwrap_err();
        assert!(e.contains("cannot record"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), ORIGINAL);
        assert!(!dir.path().join("tun0.resolv.conf").exists());
    }

    #[test]
    fn a_missing_file_is_an_error_not_a_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent");
        let e =
            FileChange::apply(&path, dir.path(), "tun0", &cfg(), &mut Log::default()).unwrap_err();
        assert!(e.contains("cannot read"), "{e}");
        assert!(!path.exists());
    }
}
