//! `oncp connect --setuid USER` (OpenConnect's `-U`): once the tunnel is
//! set up, the process becomes USER (its groups, its group, its user id;
//! through glibc, so every thread changes) and keeps no capability.
//!
//! What the exit needs root for is done by a helper started just before:
//! `oncp cleanup --when-closed PID`, a root process that waits for the
//! end of a pipe only this process holds (it ends with the process, also
//! on SIGKILL) and then undoes what `/run/oncp/` records for PID — the
//! bypass routes and the DNS change, by the same code that cleans up
//! after a crash. It reads nothing else from the unprivileged process, so
//! taking over the dropped process gains nothing from it. With
//! `--script`, later script runs (reconnect, disconnect) run as USER, as
//! with OpenConnect.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set once this process has given up root.
static DROPPED: AtomicBool = AtomicBool::new(false);

/// Whether this process has dropped its privileges (teardown of the
/// built-in setup is then the helper's).
pub fn dropped() -> bool {
    DROPPED.load(Ordering::Relaxed)
}

/// Why privileges could not be dropped.
#[derive(Debug, thiserror::Error)]
pub enum PrivilegeError {
    /// The user name is unknown.
    #[error("--setuid {0}: no such user")]
    NoSuchUser(String),
    /// Looking the user up failed.
    #[error("--setuid {user}: looking it up: {source}")]
    Lookup {
        /// The user given.
        user: String,
        /// The error.
        source: nix::Error,
    },
    /// A system call refused.
    #[error("--setuid {user}: {what}: {source}")]
    Call {
        /// The user given.
        user: String,
        /// What was being done.
        what: &'static str,
        /// The error.
        source: nix::Error,
    },
    /// Root could be regained: the drop did not take.
    #[error("--setuid {0}: still able to become root again; refusing to continue")]
    NotDropped(String),
    /// The cleanup helper could not be started.
    #[error("--setuid: starting the cleanup helper: {0}")]
    Helper(std::io::Error),
}

/// The user to become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// As given (a name or a numeric id).
    pub given: String,
    /// Its login name, if it has one (for its supplementary groups).
    pub name: Option<String>,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
}

impl Target {
    /// Looks `user` up: a login name, else a numeric user id (as
    /// OpenConnect accepts; a number without a passwd entry keeps its
    /// own id as group).
    pub fn resolve(user: &str) -> Result<Target, PrivilegeError> {
        let lookup = |source| PrivilegeError::Lookup {
            user: user.to_string(),
            source,
        };
        if let Some(u) = nix::unistd::User::from_name(user).map_err(lookup)? {
            return Ok(Target {
                given: user.to_string(),
                name: Some(u.name),
                uid: u.uid.as_raw(),
                gid: u.gid.as_raw(),
            });
        }
        let uid: u32 = user
            .parse()
            .map_err(|_| PrivilegeError::NoSuchUser(user.to_string()))?;
        let entry = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)).map_err(lookup)?;
        Ok(Target {
            given: user.to_string(),
            name: entry.as_ref().map(|u| u.name.clone()),
            uid,
            gid: entry.map_or(uid, |u| u.gid.as_raw()),
        })
    }
}

/// The running cleanup helper: its pipe closes when this process ends.
#[derive(Debug)]
pub struct TeardownHelper {
    child: std::process::Child,
}

impl TeardownHelper {
    /// Starts `oncp cleanup --when-closed PID` (as the current, still
    /// privileged user) in its own process group, so a terminal's Ctrl-C
    /// reaches only this process, which then ends the session first.
    pub fn start() -> Result<TeardownHelper, PrivilegeError> {
        use std::os::unix::process::CommandExt;
        let exe = std::env::current_exe().map_err(PrivilegeError::Helper)?;
        let child = std::process::Command::new(exe)
            .args(["cleanup", "--when-closed"])
            .arg(std::process::id().to_string())
            .stdin(std::process::Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(PrivilegeError::Helper)?;
        Ok(TeardownHelper { child })
    }

    /// The helper's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Keeps the pipe open for the rest of this process's life.
    pub fn keep(self) {
        std::mem::forget(self.child);
    }
}

/// Becomes `target` for good: supplementary groups, group, then user
/// (each for every thread), and checks root cannot be regained.
pub fn drop_to(target: &Target) -> Result<(), PrivilegeError> {
    use nix::unistd::{Gid, Uid};
    let call = |what| {
        move |source| PrivilegeError::Call {
            user: target.given.clone(),
            what,
            source,
        }
    };
    let gid = Gid::from_raw(target.gid);
    match &target.name {
        Some(name) => {
            let c = std::ffi::CString::new(name.as_str())
                .map_err(|_| PrivilegeError::NoSuchUser(name.clone()))?;
            nix::unistd::initgroups(&c, gid).map_err(call("initgroups"))?;
        }
        None => nix::unistd::setgroups(&[gid]).map_err(call("setgroups"))?,
    }
    nix::unistd::setgid(gid).map_err(call("setgid"))?;
    nix::unistd::setuid(Uid::from_raw(target.uid)).map_err(call("setuid"))?;
    if target.uid != 0 && nix::unistd::setuid(Uid::from_raw(0)).is_ok() {
        return Err(PrivilegeError::NotDropped(target.given.clone()));
    }
    DROPPED.store(true, Ordering::Relaxed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_resolve() {
        let root = Target::resolve("root").unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        assert_eq!(root.name.as_deref(), Some("root"));
        let by_number = Target::resolve("0").unwrap();
        assert_eq!(by_number.name.as_deref(), Some("root"));
        // A number without a passwd entry: its own id as group.
        let bare = Target::resolve("4000123").unwrap();
        assert_eq!(
            (bare.uid, bare.gid, bare.name),
            (4_000_123, 4_000_123, None)
        );
        let e = Target::resolve("no-such-user-oncp").unwrap_err();
        assert!(e.to_string().contains("no such user"), "{e}");
    }
}
