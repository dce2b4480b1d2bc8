//! `-b/--background` and `--pid-file`, as OpenConnect does them: the
//! command stays in the foreground (prompts, login, tunnel setup) until
//! the tunnel is fully up, then the foreground process exits with status
//! 0 after writing the daemon's PID to `--pid-file`, and the daemon
//! carries on (its standard streams stay where they were). If the
//! connection fails first, the command exits with the failure's status.
//! The daemon removes the PID file when it ends.
//!
//! Forking a process that may run threads is unsafe (and this crate has
//! no `unsafe`), so the foreground process re-runs `oncp` with the same
//! arguments as the daemon-to-be and waits for its "tunnel up" message
//! on a Unix socket named in [`NOTIFY_ENV`].

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// The environment variable naming the foreground process's socket.
pub const NOTIFY_ENV: &str = "ONCP_BACKGROUND_NOTIFY";
/// What the daemon sends when the tunnel is up.
const READY: &[u8] = b"up\n";
/// How often the foreground process checks on the daemon.
const POLL: Duration = Duration::from_millis(50);

/// Failures of the foreground side.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The PID file cannot be written (checked before anything starts).
    #[error("failed to open '{}' for write: {source}", path.display())]
    PidFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The socket or the process could not be set up.
    #[error("failed to continue in background: {0}")]
    Spawn(std::io::Error),
}

/// In the daemon: how to tell the foreground process the tunnel is up.
#[derive(Debug)]
pub struct Notifier {
    socket: PathBuf,
}

impl Notifier {
    /// The notifier when this process is a daemon started by
    /// [`run_foreground`].
    pub fn from_env() -> Option<Notifier> {
        std::env::var_os(NOTIFY_ENV).map(|p| Notifier { socket: p.into() })
    }

    /// Tells the foreground process the tunnel is up (it then exits).
    pub fn ready(&self) {
        match UnixStream::connect(&self.socket).and_then(|mut s| s.write_all(READY)) {
            Ok(()) => {}
            Err(e) => tracing::warn!("cannot tell the foreground process the tunnel is up: {e}"),
        }
    }
}

/// In the foreground: re-runs this command as the daemon and waits until
/// the tunnel is up (exit 0, PID written) or the daemon-to-be ends (its
/// exit status).
pub fn run_foreground(pid_file: Option<&Path>) -> Result<ExitCode, DaemonError> {
    // Opened first, as OpenConnect does, so a bad path fails early.
    let mut pid_out = pid_file
        .map(|path| {
            std::fs::File::create(path).map_err(|source| DaemonError::PidFile {
                path: path.to_path_buf(),
                source,
            })
        })
        .transpose()?;
    let socket = socket_path();
    let listener = UnixListener::bind(&socket).map_err(DaemonError::Spawn)?;
    let _cleanup = RemoveOnDrop(socket.clone());
    listener.set_nonblocking(true).map_err(DaemonError::Spawn)?;
    let exe = std::env::current_exe().map_err(DaemonError::Spawn)?;
    let mut child = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(NOTIFY_ENV, &socket)
        .spawn()
        .map_err(DaemonError::Spawn)?;
    loop {
        match listener.accept() {
            Ok((mut s, _)) => {
                let mut msg = [0u8; READY.len()];
                if s.read_exact(&mut msg).is_ok() && msg == READY {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(DaemonError::Spawn(e)),
        }
        if let Some(status) = child.try_wait().map_err(DaemonError::Spawn)? {
            drop(pid_out.take());
            if let Some(p) = pid_file {
                let _ = std::fs::remove_file(p);
            }
            return Ok(exit_code_of(status));
        }
        std::thread::sleep(POLL);
    }
    let pid = child.id();
    if let (Some(f), Some(path)) = (pid_out.as_mut(), pid_file) {
        writeln!(f, "{pid}").map_err(|source| DaemonError::PidFile {
            path: path.to_path_buf(),
            source,
        })?;
    }
    tracing::info!("Continuing in background; pid {pid}");
    Ok(ExitCode::SUCCESS)
}

/// The status to exit with for a child's: its code, or 128 + signal.
fn exit_code_of(status: std::process::ExitStatus) -> ExitCode {
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn socket_path() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("oncp-bg-{}-{nanos}.sock", std::process::id()))
}

/// Removes a file when dropped.
#[derive(Debug)]
pub struct RemoveOnDrop(pub PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifier_reaches_the_listener() {
        let path = socket_path();
        let l = UnixListener::bind(&path).unwrap();
        let _c = RemoveOnDrop(path.clone());
        Notifier {
            socket: path.clone(),
        }
        .ready();
        let (mut s, _) = l.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        assert_eq!(got, READY);
        drop(_c);
        assert!(!path.exists());
    }

    #[test]
    fn child_statuses_pass_through() {
        let st = std::process::Command::new("sh")
            .args(["-c", "exit 2"])
            .status()
            .unwrap();
        assert_eq!(exit_code_of(st), ExitCode::from(2));
    }
}
