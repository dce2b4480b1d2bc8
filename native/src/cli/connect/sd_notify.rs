//! systemd's readiness protocol (sd_notify(3)) without libsystemd: one
//! datagram of `KEY=value` lines to the Unix socket named in
//! `NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace). The
//! `oncp@.service` unit is `Type=notify`: `READY=1` goes out once the
//! tunnel is up, so `systemctl start` returns only then.

use std::os::unix::net::{SocketAddr, UnixDatagram};

/// The environment variable systemd sets for `Type=notify` services.
pub const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";

/// Where readiness messages go.
#[derive(Debug, Clone)]
pub struct SdNotify {
    addr: SocketAddr,
}

impl SdNotify {
    /// The notifier for `NOTIFY_SOCKET`, when systemd set it (and it names
    /// a socket address that can exist).
    pub fn from_env() -> Option<SdNotify> {
        let value = std::env::var_os(NOTIFY_SOCKET)?;
        match SdNotify::at(&value.to_string_lossy()) {
            Ok(n) => Some(n),
            Err(e) => {
                tracing::warn!("ignoring {NOTIFY_SOCKET}={value:?}: {e}");
                None
            }
        }
    }

    /// The notifier for a socket path, or `@name` for an abstract socket.
    pub fn at(socket: &str) -> std::io::Result<SdNotify> {
        let addr = match socket.strip_prefix('@') {
            Some(name) => {
                use std::os::linux::net::SocketAddrExt;
                SocketAddr::from_abstract_name(name.as_bytes())?
            }
            None if socket.starts_with('/') => SocketAddr::from_pathname(socket)?,
            None => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "neither an absolute path nor @abstract",
                ));
            }
        };
        Ok(SdNotify { addr })
    }

    /// Sends `state` (newline-separated `KEY=value` assignments).
    pub fn send(&self, state: &str) -> std::io::Result<()> {
        let sock = UnixDatagram::unbound()?;
        sock.send_to_addr(state.as_bytes(), &self.addr)?;
        Ok(())
    }

    /// Tells systemd the service is up, with a status line.
    pub fn ready(&self, status: &str) {
        let status: String = status.chars().filter(|c| *c != '\n').collect();
        if let Err(e) = self.send(&format!("READY=1\nSTATUS={status}\n")) {
            tracing::warn!("cannot tell systemd the tunnel is up ({NOTIFY_SOCKET}): {e}");
        }
    }

    /// Tells systemd the service is stopping (after SIGINT/SIGTERM).
    pub fn stopping(&self) {
        if let Err(e) = self.send("STOPPING=1\n") {
            tracing::debug!("{NOTIFY_SOCKET}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_is_one_datagram_with_a_status() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let rx = UnixDatagram::bind(&path).unwrap();
        SdNotify::at(path.to_str().unwrap())
            .unwrap()
            .ready("tunnel up\non tun0");
        let mut buf = [0u8; 256];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=tunnel upon tun0\n");
    }

    #[test]
    fn abstract_names_and_bad_values() {
        let name = format!("oncp-test-notify-{}", std::process::id());
        let rx = {
            use std::os::linux::net::SocketAddrExt;
            let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
            UnixDatagram::bind_addr(&addr).unwrap()
        };
        SdNotify::at(&format!("@{name}"))
            .unwrap()
            .send("X=1\n")
            .unwrap();
        let mut buf = [0u8; 16];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"X=1\n");
        assert!(SdNotify::at("relative/path").is_err());
        let gone = SdNotify::at("/nonexistent/oncp/notify").unwrap();
        assert!(gone.send("READY=1\n").is_err());
    }
}
