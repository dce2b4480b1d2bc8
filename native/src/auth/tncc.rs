//! The Host Checker hand-off (auth.md §7): `--csd-wrapper PROGRAM` is run
//! with a Unix socket as its standard input, told the `DSPREAUTH` cookie,
//! and answers with a new one.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long the program may take to answer.
pub const TNCC_TIMEOUT: Duration = Duration::from_secs(120);

/// Unexpected lines tolerated after the four answer lines.
const MAX_EXTRA_LINES: usize = 10;

/// The program's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TnccAnswer {
    /// The new `DSPREAUTH` value.
    pub preauth: String,
    /// Re-check interval in seconds (0: none).
    pub interval: u64,
}

/// What the hand-off needs to know.
#[derive(Debug, Clone)]
pub struct TnccRequest<'a> {
    /// The gateway host name.
    pub host: &'a str,
    /// The current `DSPREAUTH`.
    pub preauth: &'a str,
    /// `DSSIGNIN`, if set.
    pub signin: Option<&'a str>,
    /// The server certificate's pin (base64, without `pin-sha256:`).
    pub sha256: &'a str,
    /// The local host name.
    pub local_hostname: &'a str,
}

/// Runs the wrapper and reads its answer. The socket is returned so that
/// the caller can send `setcookie` later; the program is left running.
pub fn run(program: &Path, req: &TnccRequest<'_>) -> anyhow::Result<(TnccAnswer, UnixStream)> {
    let (ours, theirs) = UnixStream::pair()?;
    let stdout = std::io::stderr().as_fd_clone()?;
    let mut child = Command::new(program)
        .arg(req.host)
        .stdin(Stdio::from(std::os::fd::OwnedFd::from(theirs)))
        .stdout(Stdio::from(stdout))
        .env("TNCC_SHA256", req.sha256)
        .env("TNCC_HOSTNAME", req.local_hostname)
        .env("TNCC_INTERVAL", "0")
        .spawn()
        .map_err(|e| anyhow::anyhow!("starting --csd-wrapper {}: {e}", program.display()))?;
    // Reap it whenever it exits; it may keep running for re-checks.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    ours.set_read_timeout(Some(TNCC_TIMEOUT))?;
    let mut w = ours.try_clone()?;
    write!(
        w,
        "start\nIC={}\nCookie={}\nDSSIGNIN={}\n",
        req.host,
        req.preauth,
        req.signin.unwrap_or("null")
    )?;
    w.flush()?;
    let answer = read_answer(&mut BufReader::new(ours.try_clone()?))?;
    Ok((answer, ours))
}

/// Parses the program's answer: status `200`, an ignored line, the new
/// cookie, the interval, then lines up to an empty one.
pub fn read_answer(r: &mut dyn BufRead) -> anyhow::Result<TnccAnswer> {
    let mut line = || -> anyhow::Result<String> {
        let mut l = String::new();
        if r.read_line(&mut l)? == 0 {
            anyhow::bail!("the Host Checker program closed its socket");
        }
        Ok(l.trim_end_matches('\n').trim_end_matches('\r').to_string())
    };
    let status = line()?;
    if status != "200" {
        anyhow::bail!("the Host Checker program failed (status {status:?})");
    }
    let _ = line()?;
    let preauth = line()?;
    if preauth.is_empty() {
        anyhow::bail!("the Host Checker program sent an empty DSPREAUTH");
    }
    let interval = line()?.trim().parse::<u64>().unwrap_or(0);
    for _ in 0..=MAX_EXTRA_LINES {
        let l = line()?;
        if l.is_empty() {
            return Ok(TnccAnswer { preauth, interval });
        }
        // Trace only: the line may carry a cookie.
        tracing::trace!("Host Checker program: unexpected line {l:?}");
    }
    anyhow::bail!("the Host Checker program's answer does not end")
}

/// Tells the program the session's cookie (`setcookie`), best effort.
pub fn send_setcookie(sock: &mut UnixStream, preauth: &str) {
    let _ = write!(sock, "setcookie\nCookie={preauth}\n");
}

trait CloneFd {
    fn as_fd_clone(&self) -> std::io::Result<std::os::fd::OwnedFd>;
}

impl CloneFd for std::io::Stderr {
    fn as_fd_clone(&self) -> std::io::Result<std::os::fd::OwnedFd> {
        use std::os::fd::AsFd;
        self.as_fd().try_clone_to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_lines() {
        let mut ok: &[u8] = b"200\n3\nsuccess\n\n\n";
        assert_eq!(
            read_answer(&mut ok).unwrap(),
            TnccAnswer {
                preauth: "success".into(),
                interval: 0
            }
        );
        let mut crlf: &[u8] = b"200\r\n3\r\nnew\r\n60\r\nx\r\n\r\n";
        assert_eq!(read_answer(&mut crlf).unwrap().interval, 60);
        let mut bad: &[u8] = b"500\n3\nx\n\n\n";
        assert!(
            read_answer(&mut bad)
                .unwrap_err()
                .to_string()
                .contains("500")
        );
        let mut short: &[u8] = b"200\n3\nx\n";
        assert!(read_answer(&mut short).is_err());
    }
}
