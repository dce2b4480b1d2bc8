//! `--syslog`: each log event is one datagram to the local syslog socket
//! `/dev/log` (served by journald where it runs, else by rsyslog & co.),
//! in the form glibc's syslog(3) sends without a timestamp:
//! `<PRI>oncp[PID]: message`, facility daemon as OpenConnect uses.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::Arc;
use tracing::Level;

/// The local syslog socket.
pub const DEV_LOG: &str = "/dev/log";
/// The tag in front of every message.
pub const IDENT: &str = "oncp";
/// syslog facility daemon (3), shifted.
const FACILITY_DAEMON: u8 = 3 << 3;
/// Longest message sent (longer ones are cut; syslog daemons take 8 KiB
/// and more, and oncp's lines are far shorter).
pub const MAX_MESSAGE: usize = 8 * 1024;

/// The syslog severity for a tracing level.
pub fn severity(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// One syslog datagram for `message` at `level`.
pub fn format(level: &Level, pid: u32, message: &str) -> Vec<u8> {
    let message = message.trim_end_matches('\n');
    let mut out = format!("<{}>{IDENT}[{pid}]: ", FACILITY_DAEMON | severity(level)).into_bytes();
    let mut end = message.len().min(MAX_MESSAGE);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    out.extend_from_slice(&message.as_bytes()[..end]);
    out
}

/// A connected syslog socket, shared by every event's writer.
#[derive(Debug, Clone)]
pub struct Syslog {
    sock: Arc<UnixDatagram>,
    pid: u32,
}

impl Syslog {
    /// Connects to the socket at `path` (normally [`DEV_LOG`]).
    pub fn connect(path: &Path) -> std::io::Result<Syslog> {
        let sock = UnixDatagram::unbound()?;
        sock.connect(path)?;
        Ok(Syslog {
            sock: Arc::new(sock),
            pid: std::process::id(),
        })
    }
}

/// Collects one formatted event and sends it when dropped.
#[derive(Debug)]
pub struct EventWriter {
    sock: Arc<UnixDatagram>,
    pid: u32,
    level: Level,
    buf: Vec<u8>,
}

impl Write for EventWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        // Bounded: a message longer than MAX_MESSAGE is cut anyway.
        let room = (MAX_MESSAGE + 1).saturating_sub(self.buf.len());
        self.buf.extend_from_slice(&data[..data.len().min(room)]);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.buf);
        // A full or vanished syslog loses the line, as syslog(3) does.
        let _ = self.sock.send(&format(&self.level, self.pid, &text));
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Syslog {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> EventWriter {
        self.writer(Level::INFO)
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> EventWriter {
        self.writer(*meta.level())
    }
}

impl Syslog {
    fn writer(&self, level: Level) -> EventWriter {
        EventWriter {
            sock: self.sock.clone(),
            pid: self.pid,
            level,
            buf: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::fmt::MakeWriter;

    #[test]
    fn priorities_and_the_tag() {
        assert_eq!(format(&Level::ERROR, 7, "bad\n"), b"<27>oncp[7]: bad");
        assert_eq!(format(&Level::WARN, 7, "w"), b"<28>oncp[7]: w");
        assert_eq!(format(&Level::INFO, 7, "i"), b"<30>oncp[7]: i");
        assert_eq!(format(&Level::TRACE, 7, "t"), b"<31>oncp[7]: t");
        let long = "é".repeat(MAX_MESSAGE);
        let cut = format(&Level::INFO, 1, &long);
        assert!(cut.len() <= MAX_MESSAGE + 16);
        assert!(
            std::str::from_utf8(&cut).is_ok(),
            "cut at a character boundary"
        );
    }

    #[test]
    fn each_event_is_one_datagram() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let rx = UnixDatagram::bind(&path).unwrap();
        let s = Syslog::connect(&path).unwrap();
        {
            let mut w = s.writer(Level::WARN);
            write!(w, "first ").unwrap();
            writeln!(w, "part").unwrap();
        }
        drop(s.make_writer());
        let mut buf = [0u8; 512];
        let n = rx.recv(&mut buf).unwrap();
        let pid = std::process::id();
        assert_eq!(&buf[..n], format!("<28>oncp[{pid}]: first part").as_bytes());
        rx.set_nonblocking(true).unwrap();
        assert!(rx.recv(&mut buf).is_err(), "an empty event sends nothing");
        assert!(Syslog::connect(&dir.path().join("absent")).is_err());
    }
}
